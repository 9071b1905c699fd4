/**
 * The "Report to DSL" task pane: for Outlook clients without integrated spam reporting, for shared
 * mailboxes, and for a second try after a failed report. The person picks what worries them, may add a
 * note, and presses the button. With Mailbox 1.14 the pane sends the whole message (.eml) like the Report
 * button; otherwise it sends the message's ids and DSL Desk fetches it from Exchange (Graph) on the
 * person's behalf. Whatever happens, the note stays in the box (and in sessionStorage) until the report is received.
 */
import { searchPupils, searchStaff, sendEmailReport, sendGraphReport, type FetchLike, type Outcome } from './api.ts';
import { startStaffSearch, type StaffSearch, type StaffSearchElements } from './staff-search.ts';
import { startChildSearch, type ChildSearch, type ChildSearchElements } from './child-search.ts';
import { createAuth, type Auth } from './auth.ts';
import { loadMsal } from './msal.ts';
import { decodeBase64 } from './base64.ts';
import { choiceNamesChildren, cleanNote, isReportChoice, type ReportChoice } from './choices.ts';
import { addinConfig, apiBaseFor, type AddinConfig } from './config.ts';
import { browserDocument, browserLocation, browserOnline, type PaneDocument, type PaneElement, type PaneInput } from './dom.ts';
import { draftKeyFor, newUuid, ReportDrafts, reportFingerprint, sessionStorageOrNone, type StorageLike } from './drafts.ts';
import { callAsync, officeGlobal, restIdOf, supportsMailbox, type MessageReadItem, type OfficeLike } from './office.ts';
import { OFFICE_READY_TIMEOUT_MS, showUnavailable } from './unavailable.ts';

export interface TaskpaneDeps {
  office: OfficeLike;
  document: PaneDocument;
  config: AddinConfig;
  auth: Auth;
  apiBase: string;
  storage: StorageLike | undefined;
  fetch?: FetchLike;
  newKey?: () => string;
  online?: () => boolean | undefined;
  /** The people search's pause after the last key press. */
  searchDebounceMs?: number;
}

/** How this pane sends the report: the message itself, or its ids for the server to fetch. */
export type Route = 'eml' | 'graph';

export function routeFor(office: OfficeLike, item: MessageReadItem): Route {
  return supportsMailbox(office, '1.14') && typeof item.getAsFileAsync === 'function' ? 'eml' : 'graph';
}

interface Pane {
  form: PaneElement;
  note: PaneInput;
  send: PaneInput;
  retry: PaneInput;
  choices: PaneInput[];
  subject: PaneElement;
  choiceError: PaneElement;
  status: PaneElement;
  problem: PaneElement;
  problemMessage: PaneElement;
  receipt: PaneElement;
  reference: PaneElement;
  joined: PaneElement;
  noItem: PaneElement;
  staff: StaffSearchElements;
  child: ChildSearchElements;
}

function find(document: PaneDocument): Pane {
  const get = (id: string) => {
    const element = document.getElementById(id);
    if (!element) throw new Error(`taskpane.html has no #${id}`);
    return element;
  };
  return {
    form: get('report-form'),
    note: get('note') as PaneInput,
    send: get('send') as PaneInput,
    retry: get('retry') as PaneInput,
    choices: Array.from(document.querySelectorAll('input[name="choice"]')),
    subject: get('subject'),
    choiceError: get('choice-error'),
    status: get('status'),
    problem: get('problem'),
    problemMessage: get('problem-message'),
    receipt: get('receipt'),
    reference: get('reference'),
    joined: get('joined'),
    noItem: get('no-item'),
    staff: {
      input: get('staff-search') as PaneInput,
      results: get('staff-results'),
      chosen: get('staff-chosen'),
      chosenName: get('staff-chosen-name'),
      clear: get('staff-clear') as PaneInput,
      message: get('staff-message'),
    },
    child: {
      section: get('child-section'),
      input: get('child-search') as PaneInput,
      results: get('child-results'),
      picked: get('child-picked'),
      message: get('child-message'),
      typedName: get('child-typed') as PaneInput,
    },
  };
}

async function sharedMailboxOf(item: MessageReadItem): Promise<string | undefined> {
  if (!item.getSharedPropertiesAsync) return undefined;
  try {
    const result = await callAsync<{ targetMailbox?: string }>((callback) => item.getSharedPropertiesAsync!(callback));
    return result.status === 'succeeded' ? result.value?.targetMailbox || undefined : undefined;
  } catch {
    return undefined;
  }
}

export function startTaskpane(deps: TaskpaneDeps): { staffSearch?: StaffSearch; childSearch?: ChildSearch } {
  const pane = find(deps.document);
  const item = deps.office.context.mailbox.item;
  if (!item) {
    pane.form.hidden = true;
    pane.noItem.hidden = false;
    return {};
  }
  pane.subject.textContent = item.subject ? `“${item.subject}”` : '';
  const route = routeFor(deps.office, item);
  const drafts = new ReportDrafts(deps.storage, draftKeyFor(item));
  pane.form.setAttribute('data-route', route);

  // Whatever was typed before (here, or in Outlook's report dialog before a failed report) comes back.
  const saved = drafts.loadNote();
  if (saved && !pane.note.value) pane.note.value = saved;
  pane.note.addEventListener('input', () => drafts.saveNote(pane.note.value));

  const selectedChoice = (): ReportChoice | undefined => {
    const value = pane.choices.find((input) => input.checked)?.value;
    return isReportChoice(value) ? value : undefined;
  };
  const searchCall = {
    baseUrl: deps.apiBase,
    authHeaders: () => deps.auth.headers({ interactive: true }),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.online ? { online: deps.online } : {}),
  };
  // "Which child?" only for a concern about a child or inappropriate content; what was picked stays if the pane reopens.
  const childSearch = startChildSearch({
    document: deps.document,
    elements: pane.child,
    search: (query) => searchPupils(searchCall, query),
    onChange: (draft) => drafts.saveChildren(draft),
    ...(deps.searchDebounceMs !== undefined ? { debounceMs: deps.searchDebounceMs } : {}),
  });
  childSearch.restore(drafts.loadChildren());
  childSearch.show(choiceNamesChildren(selectedChoice()));
  for (const input of pane.choices) {
    input.addEventListener('change', () => {
      pane.choiceError.hidden = true;
      childSearch.show(choiceNamesChildren(selectedChoice()));
    });
  }

  const staffSearch = startStaffSearch({
    document: deps.document,
    elements: pane.staff,
    search: (query) => searchStaff(searchCall, query),
    ...(deps.searchDebounceMs !== undefined ? { debounceMs: deps.searchDebounceMs } : {}),
  });

  let busy = false;
  const setBusy = (value: boolean) => {
    busy = value;
    pane.send.disabled = value;
    pane.retry.disabled = value;
    pane.status.hidden = !value;
    pane.status.textContent = value ? 'Sending your report to DSL Desk…' : '';
  };

  const showOutcome = (outcome: Outcome) => {
    if (outcome.ok) {
      drafts.clear();
      pane.note.value = '';
      pane.form.hidden = true;
      pane.problem.hidden = true;
      pane.reference.textContent = outcome.receipt.reference;
      pane.joined.hidden = !outcome.receipt.joinedExisting;
      pane.receipt.hidden = false;
      pane.receipt.focus();
      return;
    }
    // The note stays exactly as typed: in the box and in sessionStorage.
    drafts.saveNote(pane.note.value);
    pane.problem.setAttribute('data-kind', outcome.problem.kind);
    pane.problemMessage.textContent = outcome.problem.message;
    pane.problem.hidden = false;
    pane.retry.hidden = false;
    pane.problem.focus();
  };

  const submit = async () => {
    if (busy) return;
    const choice = selectedChoice();
    if (!choice) {
      pane.choiceError.hidden = false;
      pane.choices[0]?.focus();
      return;
    }
    const note = cleanNote(pane.note.value);
    const subjectPersonId = staffSearch.chosen()?.id;
    // A phishing report names no child, even if some were picked before the choice changed.
    const children = choiceNamesChildren(choice) ? childSearch.children() : [];
    drafts.saveNote(pane.note.value);
    pane.problem.hidden = true;
    setBusy(true);
    try {
      const idempotencyKey = drafts.attemptKey(reportFingerprint([route, choice, note, draftKeyFor(item), subjectPersonId ?? '', JSON.stringify(children)]), deps.newKey ?? newUuid);
      const call = {
        baseUrl: deps.apiBase,
        authHeaders: () => deps.auth.headers({ interactive: true }),
        idempotencyKey,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        ...(deps.online ? { online: deps.online } : {}),
      };
      let outcome: Outcome;
      if (route === 'eml') {
        const file = await callAsync<string>((callback) => item.getAsFileAsync!({}, callback));
        if (file.status !== 'succeeded' || typeof file.value !== 'string' || !file.value) {
          outcome = { ok: false, problem: { kind: 'server', message: `Outlook could not read this email${file.error?.message ? ` (${file.error.message})` : ''}. Press Retry.`, retryable: true } };
        } else {
          outcome = await sendEmailReport(call, { eml: decodeBase64(file.value), choice, note, ...(subjectPersonId ? { subjectPersonId } : {}), ...(children.length ? { children } : {}) });
        }
      } else {
        const mailbox = await sharedMailboxOf(item);
        outcome = await sendGraphReport(call, {
          itemId: restIdOf(deps.office, item.itemId),
          internetMessageId: item.internetMessageId,
          ...(mailbox ? { mailbox } : {}),
          choice,
          ...(note ? { note } : {}),
          ...(subjectPersonId ? { subjectPersonId } : {}),
          ...(children.length ? { children } : {}),
        });
      }
      setBusy(false);
      showOutcome(outcome);
    } catch {
      setBusy(false);
      showOutcome({ ok: false, problem: { kind: 'server', message: 'Something went wrong in the add-in and nothing was sent. Press Retry; your note is kept.', retryable: true } });
    }
  };

  pane.form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit();
  });
  pane.retry.addEventListener('click', () => void submit());
  pane.form.hidden = false;
  pane.send.disabled = false;
  return { staffSearch, childSearch };
}

/**
 * Starts the pane once Outlook is ready. Without Office.js (blocked or not loaded), outside Outlook, or when
 * Outlook never says it is ready, the pane says what is wrong and what to do instead of showing a bare heading.
 */
export function start(options: { office?: OfficeLike; document?: PaneDocument; readyTimeoutMs?: number } = {}): void {
  const office = 'office' in options ? options.office : officeGlobal();
  const document = options.document ?? browserDocument();
  if (!document) return;
  const whenParsed = (then: () => void) => {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', then);
    else then();
  };
  if (!office || typeof office.onReady !== 'function') {
    whenParsed(() => showUnavailable(document, 'office-js-missing'));
    return;
  }
  let settled = false;
  const timer = setTimeout(() => {
    if (settled) return;
    settled = true;
    whenParsed(() => showUnavailable(document, 'no-answer'));
  }, options.readyTimeoutMs ?? OFFICE_READY_TIMEOUT_MS);
  const run = () => {
    if (!office.context?.mailbox) {
      showUnavailable(document, 'not-in-outlook');
      return;
    }
    const config = addinConfig();
    const location = browserLocation();
    startTaskpane({
      office,
      document,
      config,
      apiBase: apiBaseFor(config, location),
      auth: createAuth(config, location?.hostname, loadMsal),
      storage: sessionStorageOrNone(),
      online: browserOnline,
    });
  };
  void Promise.resolve(office.onReady()).then(() => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    whenParsed(run);
  });
}

if (browserDocument()) start();
