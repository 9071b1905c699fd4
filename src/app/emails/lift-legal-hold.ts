import { canActOnCase, canViewCase } from '../../domain/case.ts';
import { AppError, forbidden, notFound } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/**
 * A DSL lifts a case's legal hold: retention applies again from the case's closure, so messages of a case
 * closed long ago may go at the next hourly check. Audited.
 */
export async function liftLegalHold(deps: AppDeps, options: { actor: Actor; caseId: string }): Promise<{ lifted: true; at: string }> {
  const { actor, caseId } = options;
  return deps.storage.transaction(async (tx) => {
    const header = await tx.cases.getHeader(actor.schoolId, caseId);
    if (!header || !canViewCase(actor, header)) throw notFound('That case');
    if (!canActOnCase(actor, header)) throw forbidden('Only the DSL, deputy DSLs and the headteacher can lift a legal hold.');
    const hold = await tx.emails.getLegalHold(actor.schoolId, caseId);
    if (!hold || !(await tx.emails.liftLegalHold(actor.schoolId, caseId))) throw new AppError('invalid_transition', 'This case is not under a legal hold.');
    const now = nowIso(deps);
    await tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'case.legal_hold_lifted', caseId, detail: { placedAt: hold.at, placedById: hold.byId } }, now);
    return { lifted: true, at: now };
  });
}
