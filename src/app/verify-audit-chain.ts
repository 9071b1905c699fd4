import type { AuditVerification } from '../domain/ports.ts';
import type { AppDeps } from './deps.ts';

/** Walks every school's audit chain and names the first row that was altered or removed. */
export function verifyAuditChain(deps: Pick<AppDeps, 'storage'>): Promise<AuditVerification> {
  return deps.storage.verifyAudit();
}
