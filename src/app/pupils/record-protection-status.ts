import { PROTECTION_STATUS_ROLES, protectionStatusInputSchema, type StoredProtectionStatus } from '../../domain/case-children.ts';
import { invalidInput, notFound } from '../../domain/errors.ts';
import { hasAnyRole, type Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { currentRecordOf } from './children-on-cases.ts';

/**
 * A DSL or deputy records a child-protection status (child in need, a plan, looked after…) with its dates. It is
 * shown to the DSLs on every case of the pupil, never on the shared card. Audited (the kind, never the detail).
 */
export async function recordProtectionStatus(deps: AppDeps, options: { actor: Actor; pupilId: string; status: unknown }): Promise<StoredProtectionStatus> {
  const { actor } = options;
  if (!hasAnyRole(actor, PROTECTION_STATUS_ROLES)) throw notFound('That pupil');
  const parsed = protectionStatusInputSchema.safeParse(options.status);
  if (!parsed.success) throw invalidInput('The status has problems.', parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || 'status', message: issue.message })));
  const input = parsed.data;
  return deps.storage.transaction(async (tx) => {
    const now = nowIso(deps);
    const pupil = await currentRecordOf(tx, actor.schoolId, options.pupilId);
    if (!pupil) throw notFound('That pupil');
    const status: StoredProtectionStatus = {
      id: deps.ids.newId(),
      schoolId: actor.schoolId,
      pupilId: pupil.id,
      kind: input.kind,
      ...(input.detail ? { detail: input.detail } : {}),
      from: input.from,
      ...(input.to ? { to: input.to } : {}),
      recordedBy: actor.personId,
      recordedAt: now,
    };
    await tx.protectionStatuses.insert(status);
    await tx.audit.append(
      { schoolId: actor.schoolId, actorId: actor.personId, action: 'pupil.protection_status_recorded', detail: { pupilId: pupil.id, statusId: status.id, kind: status.kind, from: status.from, to: status.to ?? null } },
      now,
    );
    return status;
  });
}
