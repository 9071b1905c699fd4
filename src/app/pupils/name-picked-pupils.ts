import { pupilChoiceOf, type PupilChoice } from '../../domain/pupil.ts';
import type { Actor } from '../../domain/roles.ts';
import type { AppDeps } from '../deps.ts';

/** A form names at most this many children; more ids than that are not a form coming back. */
const MAX_PICKED = 50;

/**
 * The children a reporter has already picked on a form that comes back to be fixed (a validation error, Chat's
 * "Find"), as the picker showed them: preferred name, year and registration group, so each list shows the names
 * again rather than ids. The same any member of staff of the school may see in the pupil search, for the ids they
 * sent: pupils of their own school on roll and not merged, nothing else. Like the search, not an access event.
 */
export async function namePickedPupils(deps: AppDeps, options: { actor: Actor; pupilIds: readonly string[] }): Promise<PupilChoice[]> {
  const { actor } = options;
  const ids = [...new Set(options.pupilIds)].slice(0, MAX_PICKED);
  if (ids.length === 0) return [];
  const pupils = await deps.storage.read((reader) => reader.pupils.getMany(actor.schoolId, ids));
  const byId = new Map(pupils.filter((pupil) => !pupil.leftOn && !pupil.mergedInto).map((pupil) => [pupil.id, pupilChoiceOf(pupil)]));
  return ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
}
