import { pupilChoiceOf, type Pupil, type PupilChoice } from './pupil.ts';

/**
 * The pupil picker's search over one school's on-roll pupils. Built once from the decrypted names (kept in memory
 * only, never written anywhere) and asked many times: each entry carries its names folded (no case, no accents)
 * so a search is a scan of short strings, well under a millisecond for a school of 2,000.
 */

/** Fewer letters than this would list a large part of the school to anyone who asks. */
export const PUPIL_SEARCH_MIN_LETTERS = 2;
/** Teams shows at most 15 choices in a typeahead; the pickers ask for no more. */
export const PUPIL_SEARCH_LIMIT = 15;

/** Lower case, accents and other marks removed (ŵ → w, é → e), apostrophes and hyphens kept as word breaks. */
export function foldName(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

function wordsOf(text: string): string[] {
  return foldName(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** What the index needs of a pupil: their names and what the picker shows. */
export type SearchablePupil = Pick<Pupil, 'id' | 'legalForename' | 'legalSurname' | 'preferredForename' | 'preferredSurname' | 'yearGroup' | 'registrationGroup'>;

interface Entry {
  choice: PupilChoice;
  /** Every word of every form of the name. */
  words: string[];
  /** "forename surname" in each form (preferred and legal), folded, to rank a whole-name prefix first. */
  fullNames: string[];
  /** The words of the name the picker shows (the preferred one). */
  shownWords: string[];
  sortKey: string;
}

export class PupilSearchIndex {
  readonly #entries: Entry[];

  constructor(pupils: readonly SearchablePupil[]) {
    this.#entries = pupils.map((pupil) => {
      const choice = pupilChoiceOf(pupil);
      const forenames = [pupil.preferredForename, pupil.legalForename].filter((name): name is string => Boolean(name));
      const surnames = [pupil.preferredSurname, pupil.legalSurname].filter((name): name is string => Boolean(name));
      const fullNames = [...new Set(forenames.flatMap((forename) => surnames.map((surname) => wordsOf(`${forename} ${surname}`).join(' '))))];
      return { choice, words: [...new Set([...forenames, ...surnames].flatMap(wordsOf))], fullNames, shownWords: wordsOf(choice.name), sortKey: foldName(choice.name) };
    });
  }

  get size(): number {
    return this.#entries.length;
  }

  /**
   * Every word typed must start a word of one of the pupil's names ("sam gr" finds Sam Green; "gree" finds her by
   * surname; "samantha" by her legal forename). Ranked: a whole name that starts with what was typed first, then
   * a first word typed that starts the preferred forename or surname, then the rest; alphabetical within each.
   */
  search(query: string, limit = PUPIL_SEARCH_LIMIT): PupilChoice[] {
    const typed = wordsOf(query);
    if (typed.join('').length < PUPIL_SEARCH_MIN_LETTERS) return [];
    const phrase = typed.join(' ');
    const first = typed[0]!;
    const found: { entry: Entry; rank: number }[] = [];
    for (const entry of this.#entries) {
      if (!typed.every((word) => entry.words.some((part) => part.startsWith(word)))) continue;
      const rank = entry.fullNames.some((name) => name.startsWith(phrase)) ? 0 : entry.shownWords.some((part) => part.startsWith(first)) ? 1 : 2;
      found.push({ entry, rank });
    }
    found.sort((a, b) => a.rank - b.rank || a.entry.sortKey.localeCompare(b.entry.sortKey, 'en-GB') || a.entry.choice.id.localeCompare(b.entry.choice.id));
    return found.slice(0, Math.max(1, limit)).map(({ entry }) => entry.choice);
  }
}
