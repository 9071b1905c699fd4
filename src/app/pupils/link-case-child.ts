import { changeReasonSchema, type StoredCaseChild } from '../../domain/case-children.ts';
import { AppError, invalidInput, invalidTransition, notFound } from '../../domain/errors.ts';
import type { CaseChildRole } from '../../domain/pupil.ts';
import type { Actor } from '../../domain/roles.ts';
import { enqueueCardRefresh } from '../cases/case-messages.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { caseForChildChange, currentRecordOf, raisePupilPatterns } from './children-on-cases.ts';

export interface LinkCaseChildOptions {
  actor: Actor;
  caseId: string;
  pupilId: string;
  /** A child already on the case (a typed name flagged to link): linking it resolves the flag. */
  childId?: string;
  /** For a child added to the case now (default: the child the concern is about). */
  role?: CaseChildRole;
  reason: string;
}

/**
 * A DSL, deputy or head links a pupil of the register to a case: a typed name the report kept (the flag is then
 * resolved, the name kept on record), or a child the report did not name. Audited with the reason kept sealed on
 * the link; the pupil's pattern is weighed again in the same transaction.
 */
export async function linkCaseChild(deps: AppDeps, options: LinkCaseChildOptions): Promise<StoredCaseChild> {
  const { actor, caseId } = options;
  const reason = parseReason(options.reason);
  return deps.storage.transaction(async (tx) => {
    const now = nowIso(deps);
    const header = await caseForChildChange(tx, actor, caseId);
    // A record merged into another is linked as the one that stays; a leaver can still be linked (an old concern).
    const pupil = await currentRecordOf(tx, actor.schoolId, options.pupilId);
    if (!pupil) throw invalidInput('That pupil was not found in your school’s register.', [{ path: 'pupilId', message: 'Pick a pupil of your school.' }]);
    const onCase = await tx.caseChildren.listForCase(actor.schoolId, caseId);
    if (onCase.some((child) => child.pupilId === pupil.id)) throw invalidTransition('That pupil is already linked to this case.');

    let linked: StoredCaseChild;
    if (options.childId) {
      const child = onCase.find((candidate) => candidate.id === options.childId);
      if (!child) throw notFound('That child on the case');
      if (child.pupilId) throw invalidTransition('That child is already linked to a pupil. Unlink them first, with a reason, then link the right pupil.');
      if (!(await tx.caseChildren.linkPupil(actor.schoolId, child.id, { pupilId: pupil.id, by: actor.personId, at: now, reason }))) throw new AppError('conflict', 'Someone changed this child on the case at the same moment. Reload the case and try again.');
      linked = { ...child, pupilId: pupil.id, linkedBy: actor.personId, linkedAt: now, linkReason: reason };
    } else {
      linked = { id: deps.ids.newId(), schoolId: actor.schoolId, caseId, pupilId: pupil.id, role: options.role ?? 'subject', addedBy: actor.personId, addedAt: now, linkedBy: actor.personId, linkedAt: now, linkReason: reason };
      await tx.caseChildren.insert(linked);
    }
    await tx.audit.append(
      { schoolId: actor.schoolId, actorId: actor.personId, action: 'case.child_linked', caseId, detail: { childId: linked.id, pupilId: pupil.id, role: linked.role, resolvedTypedName: Boolean(options.childId) } },
      now,
    );
    await enqueueCardRefresh(tx, { schoolId: actor.schoolId, id: header.id }, now);
    await raisePupilPatterns(deps, tx, { schoolId: actor.schoolId, caseId, pupilIds: [pupil.id], now });
    return linked;
  });
}

export function parseReason(value: unknown): string {
  const parsed = changeReasonSchema.safeParse(value);
  if (!parsed.success) throw invalidInput('Give a reason for the change.', [{ path: 'reason', message: parsed.error.issues[0]?.message ?? 'Give a reason.' }]);
  return parsed.data;
}
