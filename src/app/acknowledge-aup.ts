import { checkSignable, signatureInputSchema, type AupAcknowledgement, type SigningSurface } from '../domain/aup.ts';
import { AppError } from '../domain/errors.ts';
import type { Actor } from '../domain/roles.ts';
import { nowIso, type AppDeps } from './deps.ts';

export interface AcknowledgeAupOptions {
  actor: Actor;
  policyId: string;
  /** What the person submitted: the tick and the name they typed. Validated here. */
  signature: unknown;
  surface: SigningSurface;
  directoryIdentity?: AupAcknowledgement['directoryIdentity'];
  ipAddress?: string;
  userAgent?: string;
}

/**
 * Records a person's agreement to the current version of a policy, with its audit event, in one
 * transaction. Signing again returns the first signature; signing a version that has been replaced is
 * refused with the new version named.
 */
export async function acknowledgeAup(deps: AppDeps, options: AcknowledgeAupOptions): Promise<{ acknowledgement: AupAcknowledgement; alreadySigned: boolean }> {
  const { actor } = options;
  const signature = signatureInputSchema.safeParse(options.signature);
  if (!signature.success) {
    throw new AppError('invalid_input', 'To sign, tick the box and type your full name.', { fields: signature.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) });
  }
  return deps.storage.transaction(async (tx) => {
    const policy = await tx.aupPolicies.get(actor.schoolId, options.policyId);
    if (!policy) throw new AppError('not_found', 'That policy was not found. Ask the school office which policy you should sign.');
    const stale = checkSignable(await tx.aupPolicies.current(actor.schoolId, policy.audience), policy);
    if (stale) throw stale;
    const now = nowIso(deps);
    const record: AupAcknowledgement = {
      id: deps.ids.newId(),
      schoolId: actor.schoolId,
      personId: actor.personId,
      policyId: policy.id,
      policyVersion: policy.version,
      audience: policy.audience,
      sha256: policy.sha256,
      wording: policy.acknowledgementWording,
      typedName: signature.data.typedName,
      ...(signature.data.typedEmail ? { typedEmail: signature.data.typedEmail } : {}),
      surface: options.surface,
      ...(options.directoryIdentity ? { directoryIdentity: options.directoryIdentity } : {}),
      ...(options.ipAddress ? { ipAddress: options.ipAddress } : {}),
      ...(options.userAgent ? { userAgent: options.userAgent.slice(0, 500) } : {}),
      signedAt: now,
    };
    const stored = await tx.aupAcknowledgements.insert(record);
    const alreadySigned = stored.id !== record.id;
    if (!alreadySigned) {
      await tx.audit.append(
        { schoolId: actor.schoolId, actorId: actor.personId, action: 'aup.acknowledged', policyId: policy.id, detail: { version: policy.version, sha256: policy.sha256, surface: options.surface } },
        now,
      );
    }
    return { acknowledgement: stored, alreadySigned };
  });
}
