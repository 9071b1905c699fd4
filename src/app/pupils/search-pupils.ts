import { PUPIL_SEARCH_LIMIT } from '../../domain/pupil-search.ts';
import type { PupilChoice } from '../../domain/pupil.ts';
import type { Actor } from '../../domain/roles.ts';
import type { AppDeps } from '../deps.ts';

/**
 * The child picker a member of staff uses when reporting (Teams' typeahead, the Chat and add-on forms, the API).
 * Any member of staff of the school may search: any of them may need to report a concern. It answers only what a
 * picker shows (preferred name, year, registration group) for on-roll pupils not merged into another record;
 * never a UPN, a date of birth or a legal name the child does not use. Matching is case- and accent-insensitive on
 * preferred and legal names ("sam gr" finds Sam Green). A search is not an access event: it reveals no more than
 * the class list on the wall (docs/decisions.md).
 */
export async function searchPupils(deps: AppDeps, options: { actor: Actor; query: string; limit?: number }): Promise<PupilChoice[]> {
  const { actor } = options;
  const limit = Math.max(1, Math.min(options.limit ?? PUPIL_SEARCH_LIMIT, PUPIL_SEARCH_LIMIT));
  const index = await deps.storage.read((reader) => reader.pupils.searchIndex(actor.schoolId));
  return index.search(options.query, limit);
}
