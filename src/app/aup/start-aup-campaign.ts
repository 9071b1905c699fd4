import type { AupPolicyVersion } from '../../domain/aup.ts';
import { newDelivery, type AupCampaign, type AupCampaignReason } from '../../domain/aup-delivery.ts';
import { AppError } from '../../domain/errors.ts';
import type { StorageTx } from '../../domain/ports.ts';
import type { Actor } from '../../domain/roles.ts';
import { audienceOfProfile, aupSettingsFor, cycleAt, requireAupManager } from './aup-context.ts';
import { enqueueDeliveries } from './aup-messages.ts';
import { nowIso, OPERATOR, type AppDeps, type Operator } from '../deps.ts';

/**
 * Asks everyone in a policy's audience to sign it: a delivery and an outbox message per person, written
 * in the caller's transaction. Starting the same campaign again (a retried publish, a restart, the
 * yearly check running twice) adds nobody twice: deliveries and messages are keyed by person, version
 * and cycle.
 */
export async function startCampaignInTransaction(
  deps: AppDeps,
  tx: StorageTx,
  options: { policy: AupPolicyVersion; reason: AupCampaignReason; createdById: string | null },
): Promise<{ campaign: AupCampaign; created: boolean; added: number }> {
  const { policy } = options;
  const school = await tx.schools.get(policy.schoolId);
  if (!school) throw new AppError('not_found', 'That school was not found.');
  const settings = await aupSettingsFor(tx, policy.schoolId);
  const now = nowIso(deps);
  const cycle = cycleAt(deps.clock.now(), school, settings);
  const { campaign, created } = await tx.aupCampaigns.insertIfAbsent({
    id: deps.ids.newId(),
    schoolId: policy.schoolId,
    policyId: policy.id,
    cycle,
    reason: options.reason,
    recipients: 0,
    createdAt: now,
    createdById: options.createdById,
  });
  const profiles = new Map((await tx.aupProfiles.list(policy.schoolId)).map((profile) => [profile.personId, profile]));
  const audience = (await tx.people.list(policy.schoolId)).filter((person) => person.active && audienceOfProfile(profiles.get(person.id), settings) === policy.audience);
  const added = await tx.aupDeliveries.insertMissing(
    audience.map((person) => newDelivery({ schoolId: policy.schoolId, personId: person.id, policyId: policy.id, cycle, campaignId: campaign.id, reason: options.reason }, now)),
  );
  await enqueueDeliveries(tx, added, now);
  if (created || added.length) {
    const recipients = (await tx.aupDeliveries.listForCampaign(policy.schoolId, campaign.id)).length;
    await tx.aupCampaigns.setRecipients(policy.schoolId, campaign.id, recipients);
    await tx.audit.append(
      { schoolId: policy.schoolId, actorId: options.createdById, action: 'aup.campaign_started', policyId: policy.id, detail: { campaignId: campaign.id, reason: options.reason, cycle, recipients, added: added.length } },
      now,
    );
    return { campaign: { ...campaign, recipients }, created, added: added.length };
  }
  return { campaign, created, added: 0 };
}

/** Starts (or tops up) the campaign for the current version of one audience's policy, by hand. */
export async function startAupCampaign(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string; policyId: string; reason?: AupCampaignReason }): Promise<{ campaign: AupCampaign; created: boolean; added: number }> {
  const { actor, schoolId } = options;
  requireAupManager(actor, schoolId, 'start a policy campaign');
  return deps.storage.transaction(async (tx) => {
    const policy = await tx.aupPolicies.get(schoolId, options.policyId);
    if (!policy) throw new AppError('not_found', 'That policy was not found.');
    const current = await tx.aupPolicies.current(schoolId, policy.audience);
    if (current?.id !== policy.id) throw new AppError('conflict', `Version ${policy.version} has been replaced by version ${current?.version}. Start the campaign for the current version.`);
    return startCampaignInTransaction(deps, tx, { policy, reason: options.reason ?? 'published', createdById: actor === OPERATOR ? null : actor.personId });
  });
}

/**
 * The yearly re-acknowledgement: once the school's date has passed, a campaign for each current policy in
 * the new cycle. Safe to run as often as wanted (each campaign starts once per cycle).
 */
export async function startYearlyCampaigns(deps: AppDeps, options: { schoolId: string }): Promise<{ started: number }> {
  return deps.storage.transaction(async (tx) => {
    const school = await tx.schools.get(options.schoolId);
    if (!school) return { started: 0 };
    const settings = await aupSettingsFor(tx, options.schoolId);
    const cycle = cycleAt(deps.clock.now(), school, settings);
    const current = new Map<string, AupPolicyVersion>();
    for (const policy of await tx.aupPolicies.list(options.schoolId)) if ((current.get(policy.audience)?.version ?? 0) < policy.version) current.set(policy.audience, policy);
    const campaigns = await tx.aupCampaigns.list(options.schoolId);
    let started = 0;
    for (const policy of current.values()) {
      // A version published in this cycle was asked for when it was published (or deliberately not):
      // the yearly request is for versions carried over from an earlier year.
      if (cycleAt(new Date(policy.publishedAt), school, settings) === cycle) continue;
      if (campaigns.some((c) => c.policyId === policy.id && c.cycle === cycle)) continue;
      const result = await startCampaignInTransaction(deps, tx, { policy, reason: 'yearly', createdById: null });
      if (result.created) started += 1;
    }
    return { started };
  });
}
