import type { AupPolicyVersion } from '../../domain/aup.ts';
import { AppError } from '../../domain/errors.ts';
import { nowIso, type AppDeps } from '../deps.ts';

export interface AupForSigning {
  /** The version a card or message names. */
  policy: AupPolicyVersion;
  /** The version in force now for the same audience: the same one, a newer one, or none (withdrawn). */
  current?: AupPolicyVersion;
  /** The school's time zone, for the dates a card shows. */
  timeZone: string;
  /** The person's first day with pupils, when the office gave one and it is still ahead: what they sign before. */
  signBefore?: string;
  /** The school's Google Workspace domain, when it has one: the directory a Google Chat signature is vouched for by. */
  googleDomain?: string;
}

/**
 * A policy version as a signing card needs it: the version itself, the current version of its audience
 * (so a card for a replaced version can offer the new one), and the school's time zone. Policies are for
 * everyone in the school to read; the school comes from the caller's own record, never from card data.
 */
export async function readAupForSigning(deps: AppDeps, options: { schoolId: string; policyId: string; personId?: string }): Promise<AupForSigning> {
  const { schoolId, policyId, personId } = options;
  return deps.storage.read(async (reader) => {
    const [policy, school] = await Promise.all([reader.aupPolicies.get(schoolId, policyId), reader.schools.get(schoolId)]);
    if (!policy || !school) throw new AppError('not_found', 'That policy was not found. Ask the school office which policy you should sign.');
    const [current, profile] = await Promise.all([reader.aupPolicies.current(schoolId, policy.audience), personId ? reader.aupProfiles.get(schoolId, personId) : undefined]);
    // A start date already behind us is no longer a deadline to show.
    const startDate = profile?.startDate && profile.startDate >= nowIso(deps).slice(0, 10) ? profile.startDate : undefined;
    return { policy, ...(current ? { current } : {}), timeZone: school.timeZone, ...(startDate ? { signBefore: startDate } : {}), ...(school.googleDomain ? { googleDomain: school.googleDomain } : {}) };
  });
}
