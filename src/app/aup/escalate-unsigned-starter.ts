import type { AupDeliveryContext } from './deliver-aup.ts';
import type { ChatPlatform, ChatUser } from '../../domain/chat.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import type { DeliveryKey } from './aup-messages.ts';

export interface EscalationRecipient {
  personId: string;
  displayName: string;
  email: string;
  entraObjectId: string | null;
  /** Their Google account id, for finding their DM with the Chat app. */
  googleSubject: string | null;
  role: 'head' | 'line_manager';
  chatUser?: ChatUser;
}

export interface PreparedEscalation {
  starter: AupDeliveryContext['person'];
  policy: { title: string; version: number };
  startDate: string;
  recipients: EscalationRecipient[];
}

/**
 * A new starter's start date is two working days away and they have not signed: who to tell (the
 * headteacher(s) and, if known, their line manager). Undefined when they have signed, left, or the start
 * date has since changed.
 */
export async function prepareEscalation(deps: AppDeps, key: DeliveryKey, startDate: string, platform: ChatPlatform): Promise<PreparedEscalation | undefined> {
  return deps.storage.read(async (reader) => {
    const delivery = await reader.aupDeliveries.get(key.schoolId, key.personId, key.policyId, key.cycle);
    if (!delivery || delivery.state === 'signed' || delivery.escalatedAt) return undefined;
    const [person, policy, profile] = await Promise.all([reader.people.get(key.schoolId, key.personId), reader.aupPolicies.get(key.schoolId, key.policyId), reader.aupProfiles.get(key.schoolId, key.personId)]);
    if (!person?.active || !policy || profile?.startDate !== startDate) return undefined;
    const heads = await reader.people.listWithRole(key.schoolId, 'head');
    const manager = profile.lineManagerId ? await reader.people.get(key.schoolId, profile.lineManagerId) : undefined;
    const recipients: EscalationRecipient[] = [];
    for (const [who, role] of [...heads.map((h) => [h, 'head'] as const), ...(manager ? [[manager, 'line_manager'] as const] : [])]) {
      if (!who.active || recipients.some((r) => r.personId === who.id)) continue;
      const chatUser = await reader.chat.getUser(key.schoolId, who.id, platform);
      recipients.push({ personId: who.id, displayName: who.displayName, email: who.email, entraObjectId: who.entraObjectId, googleSubject: who.googleSubject, role, ...(chatUser ? { chatUser } : {}) });
    }
    return { starter: { id: person.id, displayName: person.displayName, email: person.email, entraObjectId: person.entraObjectId, googleSubject: person.googleSubject }, policy: { title: policy.title, version: policy.version }, startDate, recipients };
  });
}

/** Recorded once, with who was told and how, so the school can show it acted before the start date. */
export async function recordEscalation(deps: AppDeps, key: DeliveryKey, told: { personId: string; via: string }[], notTold: { personId: string; reason: string }[]): Promise<void> {
  await deps.storage.transaction(async (tx) => {
    const delivery = await tx.aupDeliveries.get(key.schoolId, key.personId, key.policyId, key.cycle, { lock: true });
    if (!delivery || delivery.escalatedAt) return;
    const now = nowIso(deps);
    await tx.aupDeliveries.update({ ...delivery, escalatedAt: now, updatedAt: now }, delivery.state);
    await tx.audit.append(
      { schoolId: key.schoolId, actorId: null, action: 'aup.escalated', policyId: key.policyId, detail: { personId: key.personId, told: told.map((t) => `${t.personId}:${t.via}`).join(','), notTold: notTold.map((n) => n.personId).join(','), cycle: key.cycle } },
      now,
    );
  });
}

/** The words of an escalation: names and dates only. */
export function escalationText(prepared: PreparedEscalation): { title: string; body: string } {
  return {
    title: `${prepared.starter.displayName} has not signed the acceptable use policy`,
    body: `${prepared.starter.displayName} starts on ${prepared.startDate} and has not yet signed "${prepared.policy.title}" (version ${prepared.policy.version}). Staff sign before they have contact with pupils: please make sure they sign before they start.`,
  };
}
