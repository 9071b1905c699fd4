import { aupPolicyInputSchema, newPolicyVersion, type AupPolicyVersion } from '../../domain/aup.ts';
import { AppError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { requireAupManager } from './aup-context.ts';
import { startCampaignInTransaction } from './start-aup-campaign.ts';
import { concurrentChange, nowIso, OPERATOR, retryOnConcurrentChange, type AppDeps, type Operator } from '../deps.ts';

/**
 * Publishes a new version of the school's policy for one audience. Earlier versions stay exactly as they
 * were: signatures refer to them by id and hash. Two publishers at once get consecutive versions.
 */
export async function publishAup(
  deps: AppDeps,
  options: { actor: Actor | Operator; schoolId: string; policy: unknown; /** Ask everyone in the audience to sign (default); off for seeding. */ startCampaign?: boolean },
): Promise<AupPolicyVersion> {
  const { actor, schoolId } = options;
  requireAupManager(actor, schoolId, 'publish its acceptable use policies');
  const parsed = aupPolicyInputSchema.safeParse(options.policy);
  if (!parsed.success) {
    throw new AppError('invalid_input', 'The policy needs a few fixes before it can be published.', { fields: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) });
  }
  return retryOnConcurrentChange(() =>
    deps.storage.transaction(async (tx) => {
      if (!(await tx.schools.get(schoolId))) throw new AppError('not_found', 'That school was not found.');
      const now = nowIso(deps);
      const latest = await tx.aupPolicies.current(schoolId, parsed.data.audience);
      const policy = newPolicyVersion(parsed.data, { id: deps.ids.newId(), schoolId, ...(latest ? { latest } : {}), publishedAt: now, publishedById: actor === OPERATOR ? null : actor.personId });
      try {
        await tx.aupPolicies.insert(policy);
      } catch (error) {
        // Someone else published the same version number a moment ago: take the next one.
        if (/unique|duplicate/i.test((error as Error).message)) throw concurrentChange();
        throw error;
      }
      await tx.audit.append(
        { schoolId, actorId: actor === OPERATOR ? null : actor.personId, action: 'aup.published', policyId: policy.id, detail: { audience: policy.audience, version: policy.version, sha256: policy.sha256 } },
        now,
      );
      // Everyone in the audience is asked to sign the new version, in the same transaction as the publish:
      // a version is never published without its campaign, nor a campaign started twice.
      if (options.startCampaign !== false) await startCampaignInTransaction(deps, tx, { policy, reason: 'published', createdById: actor === OPERATOR ? null : actor.personId });
      return policy;
    }),
  );
}
