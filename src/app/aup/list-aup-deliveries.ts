import type { AupAudience } from '../../domain/aup.ts';
import { groupDeliveryFailures, type AupDelivery, type AupDeliveryReason, type DeliveryFailureGroup } from '../../domain/aup-delivery.ts';
import { AppError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { aupSettingsFor, cycleAt, requireAupManager } from './aup-context.ts';
import type { AppDeps, Operator } from '../deps.ts';

/**
 * One batch of policy requests: a campaign (a version published, the yearly round), or the new starters
 * (and one-off requests) asked to sign one version in one cycle.
 */
export interface AupDeliveryGroup {
  reason: AupDeliveryReason;
  /** The campaign, for a publication or the yearly round; null for new starters and one-off requests. */
  campaignId: string | null;
  policyId: string;
  policyTitle: string;
  policyVersion: number;
  audience: AupAudience;
  cycle: string;
  /** When the campaign started, or the first of its deliveries was queued. */
  startedAt: string;
  people: number;
  /** Not sent yet (queued, or being sent now). */
  pending: number;
  /** Reached the person (sent or since signed). */
  sent: number;
  signed: number;
  failed: number;
  /** Sent, not signed, with reminders still to come. */
  awaitingReminder: number;
  remindersSent: number;
  /** Something is still to happen: a card to send, or a reminder to go out. */
  inProgress: boolean;
  /** Why they were not delivered, grouped by reason, most common first. */
  failures: DeliveryFailureGroup[];
  /** New starters and one-off requests: who is still to sign, by name (a handful, so the office can chase them). */
  waitingFor: string[];
}

/**
 * Every delivery of the school's policies, grouped into what the office thinks of as one send: each
 * campaign, and the new starters per policy version and cycle. Newest first; only those still in
 * progress unless `includeFinished` (the current cycle's finished ones then follow).
 */
export async function listAupDeliveries(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string; includeFinished?: boolean }): Promise<AupDeliveryGroup[]> {
  requireAupManager(options.actor, options.schoolId, 'see how policies are being sent');
  return deps.storage.read(async (reader) => {
    const school = await reader.schools.get(options.schoolId);
    if (!school) throw new AppError('not_found', 'That school was not found.');
    const settings = await aupSettingsFor(reader, options.schoolId);
    const currentCycle = cycleAt(deps.clock.now(), school, settings);
    const campaigns = await reader.aupCampaigns.list(options.schoolId);
    const campaignsById = new Map(campaigns.map((c) => [c.id, c]));
    const people = new Map((await reader.people.list(options.schoolId)).map((p) => [p.id, p.displayName]));
    const groups = new Map<string, { deliveries: AupDelivery[]; policy: { id: string; title: string; version: number; audience: AupAudience } }>();
    for (const policy of await reader.aupPolicies.list(options.schoolId)) {
      // This cycle and the one before (a new starter asked last summer may still be waiting), and every campaign's.
      const cycles = new Set([currentCycle, String(Number(currentCycle) - 1), ...campaigns.filter((c) => c.policyId === policy.id).map((c) => c.cycle)]);
      for (const cycle of cycles) {
        for (const delivery of await reader.aupDeliveries.listForPolicy(options.schoolId, policy.id, cycle)) {
          const key = delivery.campaignId ?? `${delivery.reason}:${policy.id}:${cycle}`;
          const group = groups.get(key) ?? { deliveries: [], policy: { id: policy.id, title: policy.title, version: policy.version, audience: policy.audience } };
          group.deliveries.push(delivery);
          groups.set(key, group);
        }
      }
    }
    const reminders = settings.reminderDays.length;
    const result: AupDeliveryGroup[] = [];
    for (const { deliveries, policy } of groups.values()) {
      const first = deliveries[0]!;
      const campaign = first.campaignId ? campaignsById.get(first.campaignId) : undefined;
      const failures = groupDeliveryFailures(deliveries);
      const pending = deliveries.filter((d) => d.state === 'queued' || d.state === 'sending').length;
      const awaitingReminder = deliveries.filter((d) => d.state === 'sent' && d.remindersSent < reminders).length;
      result.push({
        reason: first.reason,
        campaignId: first.campaignId,
        policyId: policy.id,
        policyTitle: policy.title,
        policyVersion: policy.version,
        audience: policy.audience,
        cycle: first.cycle,
        startedAt: campaign?.createdAt ?? deliveries.map((d) => d.createdAt).sort()[0]!,
        people: deliveries.length,
        pending,
        sent: deliveries.filter((d) => d.state === 'sent' || d.state === 'signed').length,
        signed: deliveries.filter((d) => d.state === 'signed').length,
        failed: deliveries.filter((d) => d.state === 'failed').length,
        awaitingReminder,
        remindersSent: deliveries.reduce((sum, d) => sum + d.remindersSent, 0),
        inProgress: pending > 0 || awaitingReminder > 0,
        failures,
        waitingFor: first.campaignId
          ? []
          : deliveries
              .filter((d) => d.state !== 'signed' && d.state !== 'failed')
              .map((d) => people.get(d.personId) ?? 'someone no longer listed')
              .sort((a, b) => a.localeCompare(b, 'en')),
      });
    }
    return result
      .filter((group) => group.inProgress || (options.includeFinished && group.cycle === currentCycle))
      .sort((a, b) => Number(b.inProgress) - Number(a.inProgress) || b.startedAt.localeCompare(a.startedAt) || a.policyTitle.localeCompare(b.policyTitle, 'en'));
  });
}
