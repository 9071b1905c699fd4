import { canActOnCase, canViewCase } from '../../domain/case.ts';
import { AppError, forbidden, invalidInput, notFound } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/**
 * A DSL places a legal hold on a case (police or a court asked for the evidence, a claim is expected): while
 * it stands, retention drops none of the case's reported messages, however long ago it was closed. The reason
 * is kept sealed with the hold; the audit event records who and when.
 */
export async function placeLegalHold(deps: AppDeps, options: { actor: Actor; caseId: string; reason: string }): Promise<{ placed: true; at: string }> {
  const { actor, caseId } = options;
  const reason = options.reason.trim();
  if (!reason) throw invalidInput('Say why the case is placed under a legal hold.', [{ path: 'reason', message: 'Say why the case is placed under a legal hold.' }]);
  return deps.storage.transaction(async (tx) => {
    const header = await tx.cases.getHeader(actor.schoolId, caseId);
    if (!header || !canViewCase(actor, header)) throw notFound('That case');
    if (!canActOnCase(actor, header)) throw forbidden('Only the DSL, deputy DSLs and the headteacher can place a legal hold.');
    const now = nowIso(deps);
    if (!(await tx.emails.placeLegalHold(actor.schoolId, { caseId, reason, byId: actor.personId, at: now }))) {
      throw new AppError('invalid_transition', 'This case is already under a legal hold.');
    }
    const emails = (await tx.emails.listForCase(actor.schoolId, caseId)).filter((email) => email.contentKept).length;
    await tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'case.legal_hold_placed', caseId, detail: { emailsKept: emails } }, now);
    return { placed: true, at: now };
  });
}
