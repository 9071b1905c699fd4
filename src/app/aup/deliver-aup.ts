import type { AupPolicyVersion } from '../../domain/aup.ts';
import { needsSending, type AupDelivery, type AupDeliveryChannel } from '../../domain/aup-delivery.ts';
import type { ChatPlatform, ChatUser, ConversationAddress } from '../../domain/chat.ts';
import type { StorageTx } from '../../domain/ports.ts';
import { reminderTimes } from '../../domain/school-calendar.ts';
import { aupSettingsFor, schoolDayOf } from './aup-context.ts';
import { enqueueDeliveries, enqueueReminder, type DeliveryKey } from './aup-messages.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/** Everything a surface needs to put a policy in front of one person. Names and ids only: policies are not secret. */
export interface AupDeliveryContext {
  key: DeliveryKey;
  delivery: AupDelivery;
  policy: Pick<AupPolicyVersion, 'id' | 'title' | 'version' | 'sha256' | 'audience' | 'acknowledgementWording' | 'effectiveDate' | 'markdown'>;
  /** The person's directory ids: Teams reaches them through Entra, Google Chat through their Google account. */
  person: { id: string; displayName: string; email: string; entraObjectId: string | null; googleSubject: string | null };
  school: { id: string; name: string; entraTenantId: string | null; googleDomain: string | null };
  chatUser?: ChatUser;
  /** Where the school's Teams conversations are served from, if DSL Desk has seen one. */
  knownServiceUrl?: string;
  /** Whether this send follows an earlier attempt that stopped half-way (a crash between send and record). */
  resumed: boolean;
}

/**
 * Claims one delivery for sending, or answers undefined when there is nothing to send: already sent,
 * signed, failed for good, the person has left, or a newer version replaced the policy (its own campaign
 * asks them). The claim (state 'sending') is committed before anything leaves DSL Desk.
 */
export async function prepareAupDelivery(deps: AppDeps, key: DeliveryKey, platform: ChatPlatform): Promise<AupDeliveryContext | undefined> {
  return deps.storage.transaction(async (tx) => {
    const delivery = await tx.aupDeliveries.get(key.schoolId, key.personId, key.policyId, key.cycle, { lock: true });
    if (!delivery || !needsSending(delivery)) return undefined;
    const context = await loadContext(tx, key, delivery, platform);
    const now = nowIso(deps);
    if (!context) {
      await tx.aupDeliveries.update({ ...delivery, state: 'failed', failureCode: 'superseded', failureReason: 'Not sent: the person has left, or a newer version replaced this policy before it went out.', updatedAt: now }, delivery.state);
      return undefined;
    }
    if (delivery.state === 'queued') await tx.aupDeliveries.update({ ...delivery, state: 'sending', updatedAt: now }, 'queued');
    return { ...context, delivery: { ...delivery, state: 'sending' }, resumed: delivery.state === 'sending' };
  });
}

async function loadContext(tx: StorageTx, key: DeliveryKey, delivery: AupDelivery, platform: ChatPlatform): Promise<Omit<AupDeliveryContext, 'resumed'> | undefined> {
  const [policy, current, person, school] = await Promise.all([
    tx.aupPolicies.get(key.schoolId, key.policyId),
    tx.aupPolicies.get(key.schoolId, key.policyId).then((p) => (p ? tx.aupPolicies.current(key.schoolId, p.audience) : undefined)),
    tx.people.get(key.schoolId, key.personId),
    tx.schools.get(key.schoolId),
  ]);
  if (!policy || !person || !school || !person.active || current?.id !== policy.id) return undefined;
  const chatUser = await tx.chat.getUser(key.schoolId, key.personId, platform);
  const channel = await tx.chat.getCaseChannel(key.schoolId, platform);
  const knownServiceUrl = chatUser?.personalConversation?.serviceUrl ?? channel?.address.serviceUrl;
  return {
    key,
    delivery,
    policy,
    person: { id: person.id, displayName: person.displayName, email: person.email, entraObjectId: person.entraObjectId, googleSubject: person.googleSubject },
    school: { id: school.id, name: school.name, entraTenantId: school.entraTenantId, googleDomain: school.googleDomain },
    ...(chatUser ? { chatUser } : {}),
    ...(knownServiceUrl ? { knownServiceUrl } : {}),
  };
}

/**
 * The card (or link) reached the person: recorded with the audit event, and their reminders are scheduled
 * on the school's working days, all in one transaction.
 */
export async function recordAupDelivered(
  deps: AppDeps,
  key: DeliveryKey,
  sent: {
    channel: AupDeliveryChannel;
    conversationId?: string;
    activityId?: string;
    personalConversation?: ConversationAddress;
    chatUserId?: string;
    /** Why chat was not possible, when the link went by email instead: kept so the office can fix it. */
    chatFailure?: { code: string; reason: string };
  },
): Promise<void> {
  await deps.storage.transaction(async (tx) => {
    const delivery = await tx.aupDeliveries.get(key.schoolId, key.personId, key.policyId, key.cycle, { lock: true });
    if (!delivery || !needsSending(delivery)) return;
    const now = nowIso(deps);
    const sentAt = deps.clock.now();
    await tx.aupDeliveries.update(
      { ...delivery, state: 'sent', channel: sent.channel, conversationId: sent.conversationId ?? null, activityId: sent.activityId ?? null, failureCode: sent.chatFailure?.code ?? null, failureReason: sent.chatFailure?.reason ?? null, sentAt: now, updatedAt: now },
      delivery.state,
    );
    if (sent.personalConversation && sent.chatUserId) {
      // Remember the 1:1 chat found for them: reminders and later policies go straight there.
      await tx.chat.saveUser({ schoolId: key.schoolId, personId: key.personId, platform: sent.personalConversation.platform, userId: sent.chatUserId, personalConversation: sent.personalConversation, updatedAt: now });
    }
    const school = await tx.schools.get(key.schoolId);
    const settings = await aupSettingsFor(tx, key.schoolId);
    if (school) {
      const day = schoolDayOf(school, settings);
      const times = reminderTimes(sentAt, settings.reminderDays, day);
      for (const [index, at] of times.entries()) await enqueueReminder(tx, key, index + 1, at, now);
    }
    await tx.audit.append({ schoolId: key.schoolId, actorId: null, action: 'aup.sent', policyId: key.policyId, detail: { personId: key.personId, channel: sent.channel, cycle: key.cycle, reason: delivery.reason } }, now);
  });
}

/** It could not be delivered: why, in words the office can act on (no Teams licence, app blocked). */
export async function recordAupDeliveryFailed(deps: AppDeps, key: DeliveryKey, failure: { code: string; reason: string }): Promise<void> {
  await deps.storage.transaction(async (tx) => {
    const delivery = await tx.aupDeliveries.get(key.schoolId, key.personId, key.policyId, key.cycle, { lock: true });
    if (!delivery || !needsSending(delivery)) return;
    const now = nowIso(deps);
    await tx.aupDeliveries.update({ ...delivery, state: 'failed', failureCode: failure.code, failureReason: failure.reason, updatedAt: now }, delivery.state);
    await tx.audit.append({ schoolId: key.schoolId, actorId: null, action: 'aup.not_delivered', policyId: key.policyId, detail: { personId: key.personId, code: failure.code, cycle: key.cycle } }, now);
  });
}

/** A reminder to send now, or undefined when it is no longer needed (signed, replaced, left). */
export async function prepareAupReminder(deps: AppDeps, key: DeliveryKey, n: number, platform: ChatPlatform): Promise<Omit<AupDeliveryContext, 'resumed'> | undefined> {
  return deps.storage.read(async (reader) => {
    const delivery = await reader.aupDeliveries.get(key.schoolId, key.personId, key.policyId, key.cycle);
    if (!delivery || delivery.state !== 'sent' || delivery.remindersSent >= n || !delivery.sentAt) return undefined;
    // After downtime several reminders can be due at once: only the latest of them goes out.
    const school = await reader.schools.get(key.schoolId);
    if (school) {
      const settings = await aupSettingsFor(reader, key.schoolId);
      const later = reminderTimes(new Date(delivery.sentAt), settings.reminderDays, schoolDayOf(school, settings))[n];
      if (later && later.getTime() <= deps.clock.now().getTime()) return undefined;
    }
    return loadContext(reader, key, delivery, platform);
  });
}

export async function recordAupReminderSent(deps: AppDeps, key: DeliveryKey, n: number): Promise<void> {
  await deps.storage.transaction(async (tx) => {
    const delivery = await tx.aupDeliveries.get(key.schoolId, key.personId, key.policyId, key.cycle, { lock: true });
    if (!delivery || delivery.state !== 'sent' || delivery.remindersSent >= n) return;
    const now = nowIso(deps);
    await tx.aupDeliveries.update({ ...delivery, remindersSent: n, updatedAt: now }, 'sent');
    await tx.audit.append({ schoolId: key.schoolId, actorId: null, action: 'aup.reminded', policyId: key.policyId, detail: { personId: key.personId, reminder: n, cycle: key.cycle } }, now);
  });
}

/** Failures that a chat with the person would have avoided. */
const UNREACHED_CODES = new Set(['no_chat', 'no_teams_licence', 'app_blocked', 'user_not_found']);

/**
 * When someone DSL Desk could not reach opens their chat with the bot, their unsigned current policies are
 * queued again (once per occasion; a signed or superseded policy is left alone).
 */
export async function requeueUnreachedDeliveries(deps: AppDeps, tx: StorageTx, options: { schoolId: string; personId: string }): Promise<number> {
  const now = nowIso(deps);
  let requeued = 0;
  for (const delivery of await tx.aupDeliveries.listForPerson(options.schoolId, options.personId)) {
    if (delivery.state !== 'failed' || !delivery.failureCode || !UNREACHED_CODES.has(delivery.failureCode)) continue;
    const policy = await tx.aupPolicies.get(options.schoolId, delivery.policyId);
    const current = policy ? await tx.aupPolicies.current(options.schoolId, policy.audience) : undefined;
    if (!policy || current?.id !== policy.id) continue;
    if (!(await tx.aupDeliveries.update({ ...delivery, state: 'queued', failureCode: null, failureReason: null, updatedAt: now }, 'failed'))) continue;
    await enqueueDeliveries(tx, [delivery], now, `again:${now}`);
    requeued += 1;
  }
  return requeued;
}
