import type { PupilPatternCardRecord } from '../../domain/case-children.ts';
import type { CaseChannel, ChatPlatform } from '../../domain/chat.ts';
import type { AppDeps } from '../deps.ts';

/** What the shared pattern card may say: the references and why, never the pupil's name or any concern. */
export interface PupilPatternCardContext {
  alert: {
    id: string;
    reason: 'count' | 'type';
    /** References of the cases that made the pattern, oldest first (restricted cases left out: see restrictedCount). */
    references: string[];
    /** Restricted cases in the pattern: counted only, because the channel's readers may not all see them. */
    restrictedCount: number;
    /** The display name of who acknowledged it. */
    acknowledgedBy?: string;
    acknowledgedAt?: string;
  };
  /** The school's case channel or space on that platform; without one there is nowhere to post. */
  channel?: CaseChannel;
  /** The card already posted for the alert, if any, so it is edited rather than posted again. */
  card?: PupilPatternCardRecord;
}

/**
 * What a chat surface needs to post or edit "a pattern for a pupil" in the school's case channel. DSL Desk itself
 * reads this (no person opens anything), so no access event is written. Undefined when the alert is not the pupil's.
 */
export async function preparePupilPatternCard(deps: AppDeps, options: { schoolId: string; pupilId: string; alertId: string; platform: ChatPlatform }): Promise<PupilPatternCardContext | undefined> {
  const { schoolId, alertId, platform } = options;
  return deps.storage.read(async (reader) => {
    const alert = await reader.pupilPatterns.get(schoolId, alertId);
    // A merge after the alert was raised moves it to the record that stays: the alert id still identifies it.
    if (!alert) return undefined;
    const references: string[] = [];
    let restrictedCount = 0;
    for (const caseId of alert.caseIds) {
      const header = await reader.cases.getHeader(schoolId, caseId);
      if (!header) continue;
      if (header.restricted) restrictedCount += 1;
      else references.push(header.reference);
    }
    const acknowledgedBy = alert.acknowledgedBy ? ((await reader.people.get(schoolId, alert.acknowledgedBy))?.displayName ?? 'Someone no longer listed') : undefined;
    const channel = await reader.chat.getCaseChannel(schoolId, platform);
    return {
      alert: {
        id: alert.id,
        reason: alert.reason,
        references,
        restrictedCount,
        ...(acknowledgedBy ? { acknowledgedBy } : {}),
        ...(alert.acknowledgedAt ? { acknowledgedAt: alert.acknowledgedAt } : {}),
      },
      ...(channel ? { channel } : {}),
      ...(alert.card ? { card: alert.card } : {}),
    };
  });
}
