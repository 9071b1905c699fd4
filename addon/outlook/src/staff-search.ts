/**
 * "Is this email about a member of staff?" in the task pane: a search box over the reporter's own school
 * (GET /api/v1/people/search, names and ids only). Choosing a person makes the report an allegation about
 * staff: DSL Desk restricts the case so the person never sees it. Optional; a failing search never stops the
 * report being sent.
 */
import type { StaffChoice, StaffSearchOutcome } from './api.ts';
import type { PaneDocument, PaneElement, PaneInput } from './dom.ts';

/** Fewer letters than this are not searched (the server answers nothing for them either). */
export const STAFF_SEARCH_MIN_LETTERS = 2;

export interface StaffSearchElements {
  input: PaneInput;
  results: PaneElement;
  chosen: PaneElement;
  chosenName: PaneElement;
  clear: PaneInput;
  message: PaneElement;
}

export interface StaffSearchOptions {
  document: PaneDocument;
  elements: StaffSearchElements;
  search: (query: string) => Promise<StaffSearchOutcome>;
  /** Wait this long after the last key before searching. */
  debounceMs?: number;
}

export interface StaffSearch {
  /** The person chosen, if any. */
  chosen(): StaffChoice | undefined;
  /** Runs a search now (what a key press does after the pause); resolves when the results are shown. */
  searchNow(): Promise<void>;
  /** Chooses one of the people shown (what a click on a result does). */
  choose(person: StaffChoice): void;
  clear(): void;
}

export function startStaffSearch(options: StaffSearchOptions): StaffSearch {
  const { elements, document } = options;
  let chosen: StaffChoice | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let latest = 0;

  const say = (text: string) => {
    elements.message.textContent = text;
    elements.message.hidden = text.length === 0;
  };
  const showResults = (people: StaffChoice[]) => {
    const buttons = people.map((person) => {
      const button = document.createElement?.('button');
      if (!button) return undefined;
      button.setAttribute('type', 'button');
      button.setAttribute('class', 'staff-result');
      button.setAttribute('data-person-id', person.id);
      button.textContent = person.name;
      button.addEventListener('click', () => api.choose(person));
      return button;
    });
    elements.results.replaceChildren?.(...buttons.filter((button): button is PaneInput => Boolean(button)));
    elements.results.hidden = people.length === 0;
  };

  const api: StaffSearch = {
    chosen: () => chosen,
    async searchNow() {
      const query = elements.input.value.trim();
      const run = ++latest;
      if (query.replace(/[^\p{L}\p{N}]/gu, '').length < STAFF_SEARCH_MIN_LETTERS) {
        showResults([]);
        say('');
        return;
      }
      const outcome = await options.search(query);
      if (run !== latest) return; // a later key press has its own search
      if (!outcome.ok) {
        showResults([]);
        say(`${outcome.problem.message} You can still send the report and name the person in your note.`);
        return;
      }
      showResults(outcome.people);
      say(outcome.people.length ? '' : 'No one at your school matches that name. Check the spelling, or name them in your note.');
    },
    choose(person) {
      chosen = person;
      elements.chosenName.textContent = person.name;
      elements.chosen.hidden = false;
      elements.input.hidden = true;
      elements.input.value = '';
      showResults([]);
      say('');
      elements.clear.focus();
    },
    clear() {
      chosen = undefined;
      elements.chosen.hidden = true;
      elements.chosenName.textContent = '';
      elements.input.hidden = false;
      elements.input.focus();
    },
  };

  elements.input.addEventListener('input', () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => void api.searchNow(), options.debounceMs ?? 250);
  });
  elements.clear.addEventListener('click', () => api.clear());
  return api;
}
