import type { PersonWithRoles } from '../../domain/ports.ts';
import type { Actor } from '../../domain/roles.ts';
import type { AppDeps } from '../deps.ts';

/** One person a reporter can name as the member of staff an allegation is about: a name and an id, nothing else. */
export interface StaffChoice {
  id: string;
  name: string;
}

/** Teams shows at most 15 choices in a typeahead; the Outlook pane shows the same number. */
export const STAFF_SEARCH_LIMIT = 15;
/** Fewer letters than this would list a large part of the school to anyone who asks. */
export const STAFF_SEARCH_MIN_LETTERS = 2;

function folded(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Every word typed starts a word of the name (or of the email's local part): "jo sm" finds Jo Smith. */
function matches(person: PersonWithRoles, words: readonly string[]): boolean {
  const haystack = folded(`${person.displayName} ${person.email.split('@')[0] ?? ''}`).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  return words.every((word) => haystack.some((part) => part.startsWith(word)));
}

/**
 * The people search a reporter uses to name the member of staff concerned (Teams' typeahead, the Outlook pane).
 * It searches our own records of the reporter's school only, active people only, and answers names and ids:
 * never emails, roles or anything else. With `personId`, the one person of that school (to show a choice
 * already made). Any signed-in member of the school may search: any of them may need to report an allegation.
 */
export async function searchStaff(deps: AppDeps, options: { actor: Actor; query?: string; personId?: string; limit?: number }): Promise<StaffChoice[]> {
  const { actor } = options;
  const limit = Math.max(1, Math.min(options.limit ?? STAFF_SEARCH_LIMIT, STAFF_SEARCH_LIMIT));
  return deps.storage.read(async (reader) => {
    if (options.personId) {
      const person = await reader.people.get(actor.schoolId, options.personId);
      return person?.active ? [{ id: person.id, name: person.displayName }] : [];
    }
    const words = folded(options.query ?? '').split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    if (words.join('').length < STAFF_SEARCH_MIN_LETTERS) return [];
    return (await reader.people.list(actor.schoolId))
      .filter((person) => person.active && person.id !== actor.personId && matches(person, words))
      .sort((a, b) => a.displayName.localeCompare(b.displayName, 'en-GB'))
      .slice(0, limit)
      .map((person) => ({ id: person.id, name: person.displayName }));
  });
}
