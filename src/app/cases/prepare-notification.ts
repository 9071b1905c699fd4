import { canViewCase } from '../../domain/case.ts';
import { notificationText, summariseCase, type NotificationEvent, type NotificationText } from '../../domain/case-summary.ts';
import type { ChatPlatform, ChatUser } from '../../domain/chat.ts';
import { nowIso, type AppDeps } from '../deps.ts';

export interface PreparedNotification {
  caseId: string;
  reference: string;
  personId: string;
  displayName: string;
  entraObjectId: string | null;
  /** Their Google account id, once they have signed in with Google: `users/<id>` in Chat. */
  googleSubject: string | null;
  chatUser?: ChatUser;
  text: NotificationText;
}

/**
 * The 1:1 message for one person about one case, or undefined when it should no longer be sent (the
 * person left, or may no longer see the case). Reporters get status words only.
 */
export async function prepareNotification(
  deps: AppDeps,
  options: { schoolId: string; caseId: string; personId: string; event: NotificationEvent; platform: ChatPlatform },
): Promise<PreparedNotification | undefined> {
  const { schoolId, caseId, personId, event, platform } = options;
  return deps.storage.read(async (reader) => {
    const found = await reader.cases.get(schoolId, caseId);
    const person = await reader.people.get(schoolId, personId);
    if (!found || !person || !person.active) return undefined;
    // Reporters hear the verdict a DSL or IT decided; the analysis's suggestion is never told on its own.
    const reported = event === 'email_verdict' ? (await reader.emails.listForCase(schoolId, caseId))[0] : undefined;
    if (event === 'email_verdict' && !reported?.decision) return undefined;
    const text = notificationText(event, summariseCase(found, () => undefined, reported?.analysis, reported?.decision), minutesSince(found.createdAt, nowIso(deps)));
    if (text.offersCase && !canViewCase({ schoolId, personId, displayName: person.displayName, roles: person.roles }, found)) return undefined;
    const chatUser = await reader.chat.getUser(schoolId, personId, platform);
    return {
      caseId,
      reference: found.reference,
      personId,
      displayName: person.displayName,
      entraObjectId: person.entraObjectId,
      googleSubject: person.googleSubject,
      ...(chatUser ? { chatUser } : {}),
      text,
    };
  });
}

function minutesSince(from: string, to: string): number {
  return Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 60_000));
}

/** Every 1:1 message about a case is part of its chronology: who was told, and why. */
export async function recordNotificationSent(deps: AppDeps, options: { schoolId: string; caseId: string; personId: string; event: NotificationEvent; platform: ChatPlatform | 'email' }): Promise<void> {
  await deps.storage.transaction(async (tx) => {
    await tx.audit.append(
      { schoolId: options.schoolId, actorId: null, action: 'case.notification_sent', caseId: options.caseId, detail: { event: options.event, recipientId: options.personId, platform: options.platform } },
      nowIso(deps),
    );
  });
}
