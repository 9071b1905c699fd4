import { AppError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { aupSettingsFor, cycleAt } from './aup-context.ts';
import type { AppDeps } from '../deps.ts';

export interface MySignature {
  /** `current`: whether this version is still the one in force for its audience, so it can still be signed. */
  policy: { id: string; version: number; title: string; current: boolean };
  /** The person's signature of this version in the cycle a signature given now would count for; null when they have not signed. */
  signature: { id: string; signedAt: string; policyVersion: number; cycle: string } | null;
}

/**
 * Whether the signed-in person has signed one version of a policy this cycle. Everyone signs again each
 * year, so last year's signature of the same version does not count: the cycle is the one acknowledgeAup
 * would record now. Another school's policy is not found, as everywhere else.
 */
export async function getMySignature(deps: AppDeps, options: { actor: Actor; policyId: string }): Promise<MySignature> {
  const { actor } = options;
  return deps.storage.read(async (reader) => {
    const [policy, school] = await Promise.all([reader.aupPolicies.get(actor.schoolId, options.policyId), reader.schools.get(actor.schoolId)]);
    if (!policy || !school) throw new AppError('not_found', 'That policy was not found. Ask the school office which policy you should sign.');
    const current = await reader.aupPolicies.current(actor.schoolId, policy.audience);
    const cycle = cycleAt(deps.clock.now(), school, await aupSettingsFor(reader, actor.schoolId));
    const signed = (await reader.aupAcknowledgements.forPerson(actor.schoolId, actor.personId)).find((ack) => ack.policyId === policy.id && ack.cycle === cycle);
    return {
      policy: { id: policy.id, version: policy.version, title: policy.title, current: current?.id === policy.id },
      signature: signed ? { id: signed.id, signedAt: signed.signedAt, policyVersion: signed.policyVersion, cycle: signed.cycle } : null,
    };
  });
}
