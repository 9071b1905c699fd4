import { checkSignable, signatureInputSchema, type AupAcknowledgement, type AupPolicyVersion, type SignatureInput, type SigningSurface } from '../../domain/aup.ts';
import { AppError } from '../../domain/errors.ts';
import type { StorageTx } from '../../domain/ports.ts';
import type { Actor } from '../../domain/roles.ts';
import { aupSettingsFor, cycleAt } from './aup-context.ts';
import { nowIso, type AppDeps } from '../deps.ts';

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
  const signature = parseSignature(options.signature);
  return deps.storage.transaction(async (tx) => {
    const policy = await tx.aupPolicies.get(actor.schoolId, options.policyId);
    if (!policy) throw new AppError('not_found', 'That policy was not found. Ask the school office which policy you should sign.');
    const stale = checkSignable(await tx.aupPolicies.current(actor.schoolId, policy.audience), policy);
    if (stale) throw stale;
    return recordSignature(deps, tx, {
      schoolId: actor.schoolId,
      personId: actor.personId,
      policy,
      signature,
      surface: options.surface,
      ...(options.directoryIdentity ? { directoryIdentity: options.directoryIdentity } : {}),
      ...(options.ipAddress ? { ipAddress: options.ipAddress } : {}),
      ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    });
  });
}

/** The tick and the typed name, checked; a clear message saying what to fix otherwise. */
export function parseSignature(input: unknown): SignatureInput {
  const signature = signatureInputSchema.safeParse(input);
  if (!signature.success) {
    throw new AppError('invalid_input', 'To sign, tick the box and type your full name.', { fields: signature.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) });
  }
  return signature.data;
}

export interface RecordSignatureOptions {
  schoolId: string;
  /** Null for someone signing through a one-time link who has no account. */
  personId: string | null;
  /** The version being signed, already checked to be the current one. */
  policy: AupPolicyVersion;
  signature: SignatureInput;
  surface: SigningSurface;
  directoryIdentity?: AupAcknowledgement['directoryIdentity'];
  ipAddress?: string;
  userAgent?: string;
  signingLinkId?: string;
}

/**
 * Writes a signature inside the caller's transaction: the sealed record, the person's delivery marked
 * signed (so reminders stop), and the audit event. A person who already signed this version in this
 * cycle gets their first signature back and nothing new is written.
 */
export async function recordSignature(deps: AppDeps, tx: StorageTx, options: RecordSignatureOptions): Promise<{ acknowledgement: AupAcknowledgement; alreadySigned: boolean }> {
  const { schoolId, personId, policy, signature } = options;
  const school = await tx.schools.get(schoolId);
  if (!school) throw new AppError('not_found', 'That school was not found.');
  const settings = await aupSettingsFor(tx, schoolId);
  const now = nowIso(deps);
  const cycle = cycleAt(deps.clock.now(), school, settings);
  const record: AupAcknowledgement = {
    id: deps.ids.newId(),
    schoolId,
    personId,
    policyId: policy.id,
    policyVersion: policy.version,
    cycle,
    audience: policy.audience,
    sha256: policy.sha256,
    wording: policy.acknowledgementWording,
    typedName: signature.typedName,
    ...(signature.typedEmail ? { typedEmail: signature.typedEmail } : {}),
    surface: options.surface,
    ...(options.directoryIdentity ? { directoryIdentity: options.directoryIdentity } : {}),
    ...(options.ipAddress ? { ipAddress: options.ipAddress } : {}),
    ...(options.userAgent ? { userAgent: options.userAgent.slice(0, 500) } : {}),
    ...(options.signingLinkId ? { signingLinkId: options.signingLinkId } : {}),
    signedAt: now,
  };
  const stored = await tx.aupAcknowledgements.insert(record);
  const alreadySigned = stored.id !== record.id;
  if (!alreadySigned) {
    if (personId) await markDeliverySigned(tx, { schoolId, personId, policyId: policy.id, cycle }, now);
    await tx.audit.append(
      {
        schoolId,
        actorId: personId,
        action: 'aup.acknowledged',
        policyId: policy.id,
        detail: { version: policy.version, sha256: policy.sha256, surface: options.surface, cycle, acknowledgementId: stored.id, ...(options.signingLinkId ? { signingLinkId: options.signingLinkId } : {}) },
      },
      now,
    );
  }
  return { acknowledgement: stored, alreadySigned };
}

/** The person's delivery for this version and cycle, if there was one, now shows as signed. */
async function markDeliverySigned(tx: StorageTx, key: { schoolId: string; personId: string; policyId: string; cycle: string }, now: string): Promise<void> {
  const delivery = await tx.aupDeliveries.get(key.schoolId, key.personId, key.policyId, key.cycle, { lock: true });
  if (!delivery || delivery.state === 'signed') return;
  await tx.aupDeliveries.update({ ...delivery, state: 'signed', signedAt: now, updatedAt: now }, delivery.state);
}
