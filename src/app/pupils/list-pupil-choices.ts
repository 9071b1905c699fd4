import { pupilChoiceOf, type PupilChoice } from '../../domain/pupil.ts';
import type { Actor } from '../../domain/roles.ts';
import type { AppDeps } from '../deps.ts';

/** A class list, not a register: a form that lists children without a search offers at most this many. */
export const LISTED_PUPILS_LIMIT = 30;

/**
 * The school's on-roll pupils as a picker shows them (preferred name, year, registration group), by name, for a
 * form on a client that cannot search as the reporter types. Only the local sandbox uses it: the Microsoft 365
 * Agents Playground has no typeahead, and its demo school has a handful of invented pupils. A real school's form
 * always searches (`searchPupils`), so no member of staff is ever shown the school's list of children.
 */
export async function listPupilChoices(deps: AppDeps, options: { actor: Actor; limit?: number }): Promise<PupilChoice[]> {
  const { actor } = options;
  const pupils = await deps.storage.read((reader) => reader.pupils.list(actor.schoolId));
  return pupils
    .map(pupilChoiceOf)
    .sort((a, b) => a.name.localeCompare(b.name, 'en-GB'))
    .slice(0, Math.min(options.limit ?? LISTED_PUPILS_LIMIT, LISTED_PUPILS_LIMIT));
}
