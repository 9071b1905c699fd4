import type { StoredCaseChild } from '../../domain/case-children.ts';
import { invalidTransition, notFound } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { enqueueCardRefresh } from '../cases/case-messages.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { caseForChildChange } from './children-on-cases.ts';
import { parseReason } from './link-case-child.ts';

/**
 * A DSL, deputy or head takes a child off a case (the wrong child picked, a name typed in error). Nothing is
 * deleted: the link stays on record with who unlinked it, when, and why (sealed); audited.
 */
export async function unlinkCaseChild(deps: AppDeps, options: { actor: Actor; caseId: string; childId: string; reason: string }): Promise<StoredCaseChild> {
  const { actor, caseId, childId } = options;
  const reason = parseReason(options.reason);
  return deps.storage.transaction(async (tx) => {
    const now = nowIso(deps);
    await caseForChildChange(tx, actor, caseId);
    const child = await tx.caseChildren.get(actor.schoolId, childId);
    if (!child || child.caseId !== caseId) throw notFound('That child on the case');
    if (child.unlinkedAt || !(await tx.caseChildren.unlink(actor.schoolId, childId, { by: actor.personId, at: now, reason }))) throw invalidTransition('That child has already been unlinked from this case.');
    await tx.audit.append(
      { schoolId: actor.schoolId, actorId: actor.personId, action: 'case.child_unlinked', caseId, detail: { childId, pupilId: child.pupilId ?? null, role: child.role } },
      now,
    );
    await enqueueCardRefresh(tx, { schoolId: actor.schoolId, id: caseId }, now);
    return { ...child, unlinkedAt: now, unlinkedBy: actor.personId, unlinkReason: reason };
  });
}
