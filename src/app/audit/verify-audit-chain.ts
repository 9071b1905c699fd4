import type { AuditSealKeys } from '../../domain/audit-seal.ts';
import type { AuditVerification } from '../../domain/ports.ts';
import type { AppDeps } from '../deps.ts';

/**
 * Walks every school's audit chain and names the first row that was altered or removed; given the sealing
 * keys, also checks every seal (numbered without gaps, made with a key we hold, its head still in the chain),
 * which catches a chain rewritten consistently by someone who could only write the database.
 */
export function verifyAuditChain(deps: Pick<AppDeps, 'storage'>, sealKeys?: AuditSealKeys): Promise<AuditVerification> {
  return deps.storage.verifyAudit(sealKeys ? { sealKeys } : {});
}

/** Whether the verification found anything wrong (a broken chain or a seal that does not vouch for it). */
export function auditVerificationFailed(result: AuditVerification): boolean {
  return Boolean(result.firstBreak || result.sealProblem);
}
