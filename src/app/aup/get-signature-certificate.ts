import { AppError, forbidden } from '../../domain/errors.ts';
import type { AupAcknowledgement, AupPolicyVersion } from '../../domain/aup.ts';
import { hasAnyRole, type Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/** What a certificate shows, for the school's admins and the signer only. */
export async function getSignatureForCertificate(
  deps: AppDeps,
  options: { actor: Actor; acknowledgementId: string; policyId: string },
): Promise<{ schoolName: string; schoolTimeZone: string; policy: AupPolicyVersion; acknowledgement: AupAcknowledgement; signerName: string }> {
  const { actor } = options;
  // A transaction, not a plain read: the download's access event is written with it.
  return deps.storage.transaction(async (reader) => {
    const acknowledgement = (await reader.aupAcknowledgements.forPolicy(actor.schoolId, options.policyId)).find((ack) => ack.id === options.acknowledgementId);
    if (!acknowledgement) throw new AppError('not_found', 'That signature was not found.');
    const isSigner = acknowledgement.personId === actor.personId;
    if (!isSigner && !hasAnyRole(actor, ['admin', 'head', 'dsl'])) throw forbidden('Only the school’s admins and the person who signed can download this certificate.');
    const policy = await reader.aupPolicies.get(actor.schoolId, acknowledgement.policyId);
    const school = await reader.schools.get(actor.schoolId);
    const signer = acknowledgement.personId ? await reader.people.get(actor.schoolId, acknowledgement.personId) : undefined;
    if (!policy || !school) throw new AppError('not_found', 'That signature was not found.');
    await reader.audit.append(
      { schoolId: actor.schoolId, actorId: actor.personId, action: 'aup.certificate_downloaded', policyId: policy.id, detail: { acknowledgementId: acknowledgement.id, ownSignature: isSigner } },
      nowIso(deps),
    );
    return { schoolName: school.name, schoolTimeZone: school.timeZone, policy, acknowledgement, signerName: signer?.displayName ?? acknowledgement.typedName };
  });
}
