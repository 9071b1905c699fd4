import { invalidInput, invalidTransition, notFound } from '../../domain/errors.ts';
import { PUPIL_RECORD_ROLES } from '../../domain/pupil.ts';
import { hasAnyRole, type Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { parseReason } from './link-case-child.ts';

export interface PupilMergeResult {
  keptPupilId: string;
  mergedPupilId: string;
  /** How many case links, protection statuses and pattern alerts moved to the record that stays. */
  moved: { links: number; statuses: number; alerts: number };
}

/**
 * Two records of one child (a temporary UPN and the permanent one, a name typed twice) become one: every case link,
 * protection status and pattern alert moves to the record that stays, and the other is marked merged into it, so
 * the chronology follows. A DSL, deputy or head, with a reason (sealed); audited. Both records must be the school's.
 */
export async function mergePupils(deps: AppDeps, options: { actor: Actor; keepPupilId: string; mergePupilId: string; reason: string }): Promise<PupilMergeResult> {
  const { actor, keepPupilId, mergePupilId } = options;
  if (!hasAnyRole(actor, PUPIL_RECORD_ROLES)) throw notFound('That pupil');
  const reason = parseReason(options.reason);
  if (keepPupilId === mergePupilId) throw invalidInput('Choose two different records to merge.', [{ path: 'mergePupilId', message: 'Choose the other record of the same child.' }]);
  return deps.storage.transaction(async (tx) => {
    const now = nowIso(deps);
    // Scoped to the actor's school: another school's record is "not found", so nothing moves across schools.
    const keep = await tx.pupils.get(actor.schoolId, keepPupilId);
    const merge = await tx.pupils.get(actor.schoolId, mergePupilId);
    if (!keep || !merge) throw notFound('That pupil');
    if (keep.mergedInto) throw invalidTransition('The record to keep has itself been merged into another. Keep that one instead.');
    if (merge.mergedInto) throw invalidTransition('That record has already been merged.');
    const moved = {
      links: await tx.caseChildren.movePupil(actor.schoolId, merge.id, keep.id),
      statuses: await tx.protectionStatuses.movePupil(actor.schoolId, merge.id, keep.id),
      alerts: await tx.pupilPatterns.movePupil(actor.schoolId, merge.id, keep.id),
    };
    await tx.pupils.setMergedInto(actor.schoolId, merge.id, keep.id, now);
    await tx.caseChildren.recordMerge({ id: deps.ids.newId(), schoolId: actor.schoolId, fromPupilId: merge.id, intoPupilId: keep.id, reason, mergedBy: actor.personId, mergedAt: now });
    await tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'pupil.merged', detail: { pupilId: keep.id, mergedPupilId: merge.id, ...moved } }, now);
    return { keptPupilId: keep.id, mergedPupilId: merge.id, moved };
  });
}
