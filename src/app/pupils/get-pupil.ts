import { notFound } from '../../domain/errors.ts';
import { PUPIL_RECORD_ROLES, type Pupil } from '../../domain/pupil.ts';
import type { Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/** Whether this person sees pupils' full records (legal names, dates of birth, UPNs). */
export function canSeePupilRecords(actor: Pick<Actor, 'roles'>): boolean {
  return actor.roles.some((role) => PUPIL_RECORD_ROLES.includes(role));
}

/**
 * Opens a pupil's full record, for the DSLs, deputies and the head only; anyone else is told it does not exist
 * (as for a case they may not see). The view is an access event in the same transaction as the read.
 */
export async function getPupil(deps: AppDeps, options: { actor: Actor; pupilId: string }): Promise<Pupil> {
  const { actor, pupilId } = options;
  if (!canSeePupilRecords(actor)) throw notFound('That pupil');
  return deps.storage.transaction(async (tx) => {
    const pupil = await tx.pupils.get(actor.schoolId, pupilId);
    if (!pupil) throw notFound('That pupil');
    await tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'pupil.viewed', detail: { pupilId } }, nowIso(deps));
    return pupil;
  });
}
