import { channelFallbackEmail, fallbackRecipientRoles, type DeliveryFallbackRecord, type OverdueDelivery } from '../../domain/delivery-fallback.ts';
import { CHANNEL_TARGET, personTarget } from '../../domain/chat.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { prepareNotification } from './prepare-notification.ts';
import { schoolMailRoute, sendSchoolMail } from '../emails/send-school-mail.ts';

const NO_MAILBOX = 'Teams has not delivered this for a while and DSL Desk has no school mailbox connected to email instead. Connect the mailbox (REPORT_SENDER_MAILBOX) so this fallback can be used.';
const NOBODY = 'Teams has not delivered this for a while and nobody with an email address could be told instead.';

/**
 * The school's fallback for a case card or notice Teams has not taken for too long: an email with the reference
 * only, never anything of the concern. A channel card goes to the DSLs and deputies (for a restricted case the
 * DSLs and the head, never its subject); a notice to the person it was for, in its own words. The email and its
 * record are once per overdue message (`dedupeKey`); if no email can go, that is recorded with why, so the case
 * shows it. The card itself keeps trying either way.
 */
export async function sendDeliveryFallback(
  deps: AppDeps,
  options: { schoolId: string; caseId: string; dedupeKey: string; delivery: OverdueDelivery; lastAttempt: boolean },
): Promise<DeliveryFallbackRecord | undefined> {
  const { schoolId, caseId, dedupeKey, delivery } = options;
  const target = delivery.kind === 'notice' ? personTarget(delivery.personId) : CHANNEL_TARGET;
  const plan = await deps.storage.read(async (reader) => {
    if (await reader.deliveryFallbacks.get(schoolId, dedupeKey)) return undefined;
    const found = await reader.cases.get(schoolId, caseId);
    if (!found) return undefined;
    // Teams took the card after all between the request and now: nothing to fall back from.
    if (delivery.kind === 'channel_card' && (await reader.chat.getCaseCard(schoolId, caseId, CHANNEL_TARGET))?.state === 'posted') return undefined;
    const route = schoolMailRoute(deps, await reader.schools.get(schoolId));
    const roles = fallbackRecipientRoles(delivery, found.restricted);
    const people = new Map<string, string>();
    for (const role of roles) {
      for (const person of await reader.people.listWithRole(schoolId, role)) {
        if (person.active && person.id !== found.subjectPersonId && person.email) people.set(person.id, person.email);
      }
    }
    if (delivery.kind === 'notice') {
      const person = await reader.people.get(schoolId, delivery.personId);
      if (person?.active && person.email) people.set(person.id, person.email);
    }
    const minutes = Math.max(0, Math.round((deps.clock.now().getTime() - Date.parse(found.createdAt)) / 60_000));
    return { found, route, to: [...people.values()], minutes };
  });
  if (!plan) return undefined;

  let email: { subject: string; body: string } | undefined;
  if (delivery.kind === 'notice') {
    const prepared = await prepareNotification(deps, { schoolId, caseId, personId: delivery.personId, event: delivery.event, platform: 'teams' });
    // They may no longer be told (they left, or may no longer see the case): nothing to fall back to.
    if (!prepared) return undefined;
    email = {
      subject: prepared.text.title,
      body: [...prepared.text.lines, '', 'This message comes from DSL Desk, your school’s safeguarding reporting service. It never contains the details of a case.'].join('\n\n'),
    };
  } else {
    email = channelFallbackEmail(plan.found.reference, plan.found.urgency, plan.found.restricted, plan.minutes);
  }

  let outcome: Pick<DeliveryFallbackRecord, 'state' | 'recipients' | 'reason'>;
  if (!plan.route) outcome = { state: 'unavailable', recipients: 0, reason: NO_MAILBOX };
  else if (plan.to.length === 0) outcome = { state: 'unavailable', recipients: 0, reason: NOBODY };
  else {
    try {
      await sendSchoolMail(deps, plan.route, { to: plan.to, subject: email.subject, body: email.body });
      outcome = { state: 'sent', recipients: plan.to.length };
    } catch (error) {
      // Tried again by the outbox; only when it gives up is the failure itself the record.
      if (!options.lastAttempt) throw error;
      outcome = { state: 'unavailable', recipients: 0, reason: 'Teams has not delivered this for a while, and the school’s mailbox did not accept the email sent instead.' };
    }
  }
  const record: DeliveryFallbackRecord = { schoolId, dedupeKey, caseId, target, ...outcome, at: nowIso(deps) };
  return deps.storage.transaction(async (tx) => {
    // A second instance that sent the same email at the same moment records nothing more.
    if (!(await tx.deliveryFallbacks.insert(record))) return undefined;
    await tx.audit.append(
      {
        schoolId,
        actorId: null,
        action: 'case.delivery_fallback',
        caseId,
        detail: { target: target.split(':')[0] ?? target, channel: 'email', state: record.state, recipients: record.recipients, ...(delivery.kind === 'notice' ? { recipientId: delivery.personId, event: delivery.event } : {}) },
      },
      record.at,
    );
    return record;
  });
}
