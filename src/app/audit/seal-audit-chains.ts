import { makeSeal, needsSeal, type AuditSealKeys } from '../../domain/audit-seal.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/**
 * Seals each school's audit chain head with the current sealing key (kept outside the database), when the
 * chain has grown since its last seal. Each school in its own transaction, with the head locked, so the seal
 * names a head no concurrent append is moving and two instances sealing together do not both number a seal.
 * Returns how many seals were made.
 */
export async function sealAuditChains(deps: Pick<AppDeps, 'storage' | 'clock'>, keys: AuditSealKeys): Promise<number> {
  const schools = await deps.storage.read((reader) => reader.audit.schoolsWithChains());
  let made = 0;
  for (const schoolId of schools) {
    const sealed = await deps.storage.transaction(async (tx) => {
      const head = await tx.audit.lockHead(schoolId);
      const previous = await tx.audit.latestSeal(schoolId);
      if (!head || !needsSeal(head, previous)) return false;
      await tx.audit.addSeal(makeSeal(keys, { schoolId, head, previous, at: nowIso(deps) }));
      return true;
    });
    if (sealed) made += 1;
  }
  return made;
}
