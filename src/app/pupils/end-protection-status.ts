import { endProtectionStatusSchema, PROTECTION_STATUS_ROLES, type StoredProtectionStatus } from '../../domain/case-children.ts';
import { invalidInput, notFound } from '../../domain/errors.ts';
import { hasAnyRole, type Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/** A DSL or deputy ends a protection status on a date (the plan ended, the child left care); audited. */
export async function endProtectionStatus(deps: AppDeps, options: { actor: Actor; statusId: string; end: unknown }): Promise<StoredProtectionStatus> {
  const { actor, statusId } = options;
  if (!hasAnyRole(actor, PROTECTION_STATUS_ROLES)) throw notFound('That status');
  const parsed = endProtectionStatusSchema.safeParse(options.end);
  if (!parsed.success) throw invalidInput('Give the date the status ended.', parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || 'to', message: issue.message })));
  const { to } = parsed.data;
  return deps.storage.transaction(async (tx) => {
    const now = nowIso(deps);
    const status = await tx.protectionStatuses.get(actor.schoolId, statusId);
    if (!status) throw notFound('That status');
    if (to < status.from) throw invalidInput('The end date must be on or after the start date.', [{ path: 'to', message: `Give a date on or after ${status.from}.` }]);
    await tx.protectionStatuses.end(actor.schoolId, statusId, { to, by: actor.personId, at: now });
    await tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'pupil.protection_status_ended', detail: { pupilId: status.pupilId, statusId, kind: status.kind, to } }, now);
    return { ...status, to, endedBy: actor.personId, endedAt: now };
  });
}
