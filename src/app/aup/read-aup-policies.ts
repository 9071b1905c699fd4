import type { AupPolicyVersion } from '../../domain/aup.ts';
import { AppError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import type { AppDeps } from '../deps.ts';

/** Every version of the school's policies, without their text: policies are for everyone in the school to read. */
export async function listAupPolicies(deps: AppDeps, options: { actor: Actor }): Promise<Omit<AupPolicyVersion, 'markdown'>[]> {
  const policies = await deps.storage.read((reader) => reader.aupPolicies.list(options.actor.schoolId));
  return policies.map(({ markdown: _text, ...policy }) => policy);
}

/** One version with its text, as it was hashed. */
export async function getAupPolicy(deps: AppDeps, options: { actor: Actor; policyId: string }): Promise<AupPolicyVersion> {
  const policy = await deps.storage.read((reader) => reader.aupPolicies.get(options.actor.schoolId, options.policyId));
  if (!policy) throw new AppError('not_found', 'That policy was not found.');
  return policy;
}
