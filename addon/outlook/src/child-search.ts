/**
 * "Which child? (optional)" in the task pane, for a safeguarding or inappropriate-content report: a search box
 * over the school's pupils (GET /api/v1/pupils/search: name, year and class only), the children picked shown as
 * removable chips, and a name typed for a child the search does not find (the DSL links it later). Like the
 * people search, a failing search never stops the report being sent.
 */
import type { PupilChoice, PupilSearchOutcome, ReportChild } from './api.ts';
import type { PaneDocument, PaneElement, PaneInput } from './dom.ts';

/** Fewer letters than this are not searched (the server answers nothing useful for them either). */
export const CHILD_SEARCH_MIN_LETTERS = 2;
/** As the server allows for a typed name. */
export const CHILD_NAME_MAX = 200;

export interface ChildSearchElements {
  /** The whole "Which child?" fieldset: shown only for the choices that name a child. */
  section: PaneElement;
  input: PaneInput;
  results: PaneElement;
  /** The children picked, as chips. */
  picked: PaneElement;
  message: PaneElement;
  /** "Not in the list? Type their name". */
  typedName: PaneInput;
}

/** What the pane keeps of the children while the report is not yet received (the drafts). */
export interface ChildrenDraft {
  picked: PupilChoice[];
  typedName: string;
}

export interface ChildSearchOptions {
  document: PaneDocument;
  elements: ChildSearchElements;
  search: (query: string) => Promise<PupilSearchOutcome>;
  /** Called after every change to the children, so the pane can keep them in its drafts. */
  onChange?: (draft: ChildrenDraft) => void;
  /** Wait this long after the last key before searching. */
  debounceMs?: number;
}

export interface ChildSearch {
  /** The children picked and the name typed, as the pane keeps them. */
  draft(): ChildrenDraft;
  /** What goes with the report: each picked child's id, then the typed name if any. */
  children(): ReportChild[];
  /** Runs a search now (what a key press does after the pause); resolves when the results are shown. */
  searchNow(): Promise<void>;
  /** Picks one of the children shown (what a click on a result does). */
  pick(pupil: PupilChoice): void;
  /** Removes a picked child (what a chip's button does). */
  remove(pupilId: string): void;
  /** Puts back the children kept from before (the pane reopened on the same message). */
  restore(draft: ChildrenDraft): void;
  /** Shows or hides the whole section (a phishing report names no child). */
  show(visible: boolean): void;
}

/** "Sam Green, Year 5, 5G": what tells two children of the same name apart. */
export function describePupil(pupil: PupilChoice): string {
  const year = pupil.yearGroup ? (/^\d+$/.test(pupil.yearGroup) ? `Year ${pupil.yearGroup}` : pupil.yearGroup) : undefined;
  return [pupil.name, year, pupil.registrationGroup].filter(Boolean).join(', ');
}

export function startChildSearch(options: ChildSearchOptions): ChildSearch {
  const { elements, document } = options;
  let picked: PupilChoice[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let latest = 0;

  const say = (text: string) => {
    elements.message.textContent = text;
    elements.message.hidden = text.length === 0;
  };
  const changed = () => options.onChange?.(api.draft());
  const button = (className: string, label: string, ariaLabel: string, onClick: () => void): PaneInput | undefined => {
    const element = document.createElement?.('button');
    if (!element) return undefined;
    element.setAttribute('type', 'button');
    element.setAttribute('class', className);
    element.setAttribute('aria-label', ariaLabel);
    element.textContent = label;
    element.addEventListener('click', onClick);
    return element;
  };
  const present = (elementsToShow: (PaneInput | undefined)[]) => elementsToShow.filter((element): element is PaneInput => Boolean(element));

  const showResults = (pupils: PupilChoice[]) => {
    const offered = pupils.filter((pupil) => !picked.some((chosen) => chosen.id === pupil.id));
    elements.results.replaceChildren?.(...present(offered.map((pupil) => button('pupil-result', describePupil(pupil), `Pick ${describePupil(pupil)}`, () => api.pick(pupil)))));
    elements.results.hidden = offered.length === 0;
  };
  const showPicked = () => {
    elements.picked.replaceChildren?.(...present(picked.map((pupil) => button('child-chip', `${describePupil(pupil)} ✕`, `Remove ${describePupil(pupil)}`, () => api.remove(pupil.id)))));
    elements.picked.hidden = picked.length === 0;
  };

  const api: ChildSearch = {
    draft: () => ({ picked: [...picked], typedName: elements.typedName.value }),
    children() {
      const typed = elements.typedName.value.trim().slice(0, CHILD_NAME_MAX);
      return [...picked.map((pupil) => ({ pupilId: pupil.id })), ...(typed ? [{ name: typed }] : [])];
    },
    async searchNow() {
      const query = elements.input.value.trim();
      const run = ++latest;
      if (query.replace(/[^\p{L}\p{N}]/gu, '').length < CHILD_SEARCH_MIN_LETTERS) {
        showResults([]);
        say('');
        return;
      }
      const outcome = await options.search(query);
      if (run !== latest) return; // a later key press has its own search
      if (!outcome.ok) {
        showResults([]);
        say(`${outcome.problem.message} You can still type the child’s name below and send the report.`);
        return;
      }
      showResults(outcome.pupils);
      say(outcome.pupils.length ? '' : 'No pupil matches that name. Check the spelling, or type their name below: your DSL will find them.');
    },
    pick(pupil) {
      if (!picked.some((chosen) => chosen.id === pupil.id)) picked = [...picked, pupil];
      elements.input.value = '';
      showResults([]);
      showPicked();
      say(`${describePupil(pupil)} added.`);
      elements.input.focus();
      changed();
    },
    remove(pupilId) {
      const removed = picked.find((pupil) => pupil.id === pupilId);
      picked = picked.filter((pupil) => pupil.id !== pupilId);
      showPicked();
      say(removed ? `${describePupil(removed)} removed.` : '');
      elements.input.focus();
      changed();
    },
    restore(draft) {
      picked = draft.picked.filter((pupil) => typeof pupil?.id === 'string' && typeof pupil.name === 'string');
      if (!elements.typedName.value) elements.typedName.value = draft.typedName;
      showPicked();
    },
    show(visible) {
      elements.section.hidden = !visible;
    },
  };

  elements.input.addEventListener('input', () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => void api.searchNow(), options.debounceMs ?? 250);
  });
  elements.typedName.addEventListener('input', changed);
  return api;
}
