import type { CaseCardRecord } from '../../domain/chat.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/**
 * Records where a case's card went. The first post and every failure are audited; edits are not,
 * because the case change that caused them already is.
 */
export async function recordCaseCardPosted(deps: AppDeps, card: Omit<CaseCardRecord, 'state' | 'updatedAt' | 'failure'>): Promise<void> {
  await deps.storage.transaction(async (tx) => {
    const now = nowIso(deps);
    const earlier = await tx.chat.getCaseCard(card.schoolId, card.caseId, card.target);
    // A slower edit must never put back an older picture of the case.
    if (earlier?.state === 'posted' && earlier.activityId === card.activityId && earlier.renderedVersion > card.renderedVersion) return;
    await tx.chat.saveCaseCard({ ...card, state: 'posted', updatedAt: now });
    if (!earlier || earlier.state !== 'posted') {
      await tx.audit.append({ schoolId: card.schoolId, actorId: null, action: 'case.card_posted', caseId: card.caseId, detail: { target: card.target.split(':')[0] ?? card.target, platform: card.platform } }, now);
    }
  });
}

/** A card that cannot be delivered (the bot was removed, the tenant blocked it): kept on the case so the DSLs see it. */
export async function recordCaseCardFailed(
  deps: AppDeps,
  card: Pick<CaseCardRecord, 'schoolId' | 'caseId' | 'target' | 'platform' | 'conversationId' | 'renderedVersion'> & { failure: string; code: string },
): Promise<void> {
  await deps.storage.transaction(async (tx) => {
    const now = nowIso(deps);
    const earlier = await tx.chat.getCaseCard(card.schoolId, card.caseId, card.target);
    await tx.chat.saveCaseCard({
      schoolId: card.schoolId,
      caseId: card.caseId,
      target: card.target,
      platform: card.platform,
      conversationId: card.conversationId,
      ...(earlier?.activityId ? { activityId: earlier.activityId } : {}),
      state: 'failed',
      renderedVersion: card.renderedVersion,
      failure: card.failure,
      updatedAt: now,
    });
    await tx.audit.append(
      { schoolId: card.schoolId, actorId: null, action: 'case.delivery_failed', caseId: card.caseId, detail: { target: card.target.split(':')[0] ?? card.target, platform: card.platform, code: card.code } },
      now,
    );
  });
}
