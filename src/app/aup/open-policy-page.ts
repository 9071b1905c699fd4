import type { AupPolicyVersion } from '../../domain/aup.ts';
import { AppError } from '../../domain/errors.ts';
import type { AppDeps } from '../deps.ts';
import { isValidPolicyPageSignature } from './policy-page-links.ts';

export interface PolicyPage {
  policy: AupPolicyVersion;
  schoolName: string;
  /** The version that has replaced this one, when there is a newer one. */
  newer?: Pick<AupPolicyVersion, 'version' | 'title'>;
}

/**
 * One policy version for its read-only page, when the page address was made by DSL Desk for it. The
 * address names only the policy, so the school is the one whose id the signature matches: a wrong or
 * missing signature, or a policy of another school, looks the same as no policy at all.
 */
export async function openPolicyPage(deps: AppDeps, options: { policyId: string; signature: unknown; key: Uint8Array }): Promise<PolicyPage> {
  const notFound = () => new AppError('not_found', 'This policy page was not found. Open it again from the message you were sent.');
  if (typeof options.signature !== 'string') throw notFound();
  return deps.storage.read(async (reader) => {
    const school = (await reader.schools.list()).find((candidate) => isValidPolicyPageSignature(options.key, candidate.id, options.policyId, options.signature));
    if (!school) throw notFound();
    const policy = await reader.aupPolicies.get(school.id, options.policyId);
    if (!policy) throw notFound();
    const current = await reader.aupPolicies.current(school.id, policy.audience);
    return { policy, schoolName: school.name, ...(current && current.id !== policy.id ? { newer: { version: current.version, title: current.title } } : {}) };
  });
}
