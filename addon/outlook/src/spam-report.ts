/**
 * Integrated spam reporting (Mailbox 1.14): Outlook's own Report button runs this handler after the person
 * chose options in the pre-report dialog. It reads the whole message (.eml) with getAsFileAsync, sends it to
 * DSL Desk with the choice and note, and finishes the event: the message moves where the school configured
 * (phishing only) and the person sees a thank-you with the case reference — or, when the report failed, why,
 * with the message left where it was and their note kept for the task pane's Retry.
 *
 * Loaded by commands.html (browser runtimes) and on its own by classic Outlook on Windows (JavaScript-only
 * runtime), so it touches no DOM.
 */
import { sendEmailReport, type Outcome, type Problem } from './api.ts';
import { createAuth, type Auth } from './auth.ts';
import { loadMsal } from './msal.ts';
import { decodeBase64 } from './base64.ts';
import { choiceFromDialogOptions, cleanNote } from './choices.ts';
import { addinConfig, apiBaseFor, type AddinConfig } from './config.ts';
import { draftKeyFor, newUuid, ReportDrafts, sessionStorageOrNone, type StorageLike } from './drafts.ts';
import { moveAfterReport } from './move-target.ts';
import { callAsync, officeGlobal, type MessageReadItem, type OfficeLike, type SpamReportingCompletedOptions, type SpamReportingEvent } from './office.ts';
import type { FetchLike } from './api.ts';

/** The FunctionName in the manifest's ReportPhishingCustomization. */
export const SPAM_REPORT_FUNCTION = 'onSpamReport';

export interface SpamReportDeps {
  office: OfficeLike;
  config: AddinConfig;
  auth: Auth;
  apiBase: string;
  storage?: StorageLike | undefined;
  fetch?: FetchLike;
  newKey?: () => string;
  /** Waits before the single automatic retry. */
  sleep?: (ms: number) => Promise<void>;
}

const NOTE_SENTENCE = { none: '.', kept: ': your note has been kept.', lost: ' and type your note again.' } as const;

const DIALOG_TITLE_SENT = 'Thank you: your report has reached DSL Desk';
const DIALOG_TITLE_FAILED = 'Your report has not been sent';

/** The texts and move of event.completed for an outcome. Pure. */
export function completionFor(outcome: Outcome, choice: ReturnType<typeof choiceFromDialogOptions>, config: AddinConfig, note: 'none' | 'kept' | 'lost' = 'none'): SpamReportingCompletedOptions {
  if (outcome.ok) {
    const move = moveAfterReport(choice, config.phishingMoveTo, 'sent');
    const joined = outcome.receipt.joinedExisting ? ' Others reported this email too, so your report was added to the same case.' : '';
    return {
      onErrorDeleteItem: false,
      moveItemTo: move.moveItemTo,
      postProcessingAction: move.postProcessingAction,
      showPostProcessingDialog: {
        title: DIALOG_TITLE_SENT,
        description: `Your reference is ${outcome.receipt.reference}.${joined} ${move.sentence} Your DSL or IT team will follow it up.`,
      },
    };
  }
  const keep = moveAfterReport(choice, config.phishingMoveTo, 'failed');
  return {
    onErrorDeleteItem: false,
    moveItemTo: keep.moveItemTo,
    postProcessingAction: keep.postProcessingAction,
    showPostProcessingDialog: {
      title: DIALOG_TITLE_FAILED,
      description: `${outcome.problem.message} The email was left where it is. To try again, open it and choose "Report to DSL" on the ribbon${NOTE_SENTENCE[note]}`,
    },
  };
}

function failure(message: string): Outcome {
  const problem: Problem = { kind: 'server', message, retryable: true };
  return { ok: false, problem };
}

/** The whole message as bytes, or why it could not be read. */
async function readMessage(item: MessageReadItem | null | undefined, event: SpamReportingEvent): Promise<{ eml: Uint8Array } | { problem: string }> {
  if (!item?.getAsFileAsync) return { problem: 'This version of Outlook cannot hand the whole email to DSL Desk.' };
  const getAsFile = item.getAsFileAsync.bind(item);
  const file = await callAsync<string>((callback) => getAsFile({ asyncContext: event }, callback));
  if (file.status !== 'succeeded' || typeof file.value !== 'string' || file.value.length === 0) {
    return { problem: `Outlook could not read this email${file.error?.message ? ` (${file.error.message})` : ''}.` };
  }
  try {
    return { eml: decodeBase64(file.value) };
  } catch {
    return { problem: 'Outlook handed over the email in a form DSL Desk could not read.' };
  }
}

export function createSpamReportHandler(deps: SpamReportDeps): (event: SpamReportingEvent) => Promise<SpamReportingCompletedOptions> {
  const newKey = deps.newKey ?? newUuid;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return async (event) => {
    const choice = choiceFromDialogOptions(event.options);
    const note = cleanNote(event.freeText);
    const item = deps.office.context.mailbox.item;
    const drafts = new ReportDrafts(deps.storage, draftKeyFor(item ?? {}));
    // Kept before anything can fail, so the task pane can offer it again.
    if (note) drafts.saveNote(note);
    const read = await readMessage(item, event);
    let outcome: Outcome;
    if ('problem' in read) outcome = failure(read.problem);
    else {
      // One key for this press of Report, reused by the automatic retry.
      const idempotencyKey = newKey();
      const send = () =>
        sendEmailReport(
          { baseUrl: deps.apiBase, authHeaders: () => deps.auth.headers({ interactive: false }), idempotencyKey, ...(deps.fetch ? { fetch: deps.fetch } : {}) },
          { eml: read.eml, choice, note },
        );
      outcome = await send();
      if (!outcome.ok && outcome.problem.retryable && ['offline', 'timeout', 'server'].includes(outcome.problem.kind)) {
        await sleep(1500);
        outcome = await send();
      }
    }
    if (outcome.ok) drafts.clear();
    const completion = completionFor(outcome, choice, deps.config, !note ? 'none' : deps.storage ? 'kept' : 'lost');
    event.completed(completion);
    return completion;
  };
}

export function registerSpamReporting(office: OfficeLike, deps: Omit<SpamReportDeps, 'office'>): void {
  const handler = createSpamReportHandler({ ...deps, office });
  office.actions?.associate(SPAM_REPORT_FUNCTION, (event) => {
    handler(event).catch(() => {
      // Never leave Outlook waiting: an unexpected error still completes the event, leaving the email in place.
      event.completed(completionFor(failure('Something went wrong in the add-in.'), choiceFromDialogOptions(event.options), deps.config));
    });
  });
}

/** Start-up in Outlook: register the handler with the settings this build carries. */
function start(): void {
  const office = officeGlobal();
  if (!office?.actions) return;
  const config = addinConfig();
  const location = (globalThis as { location?: { hostname?: string; origin?: string } }).location;
  let apiBase: string;
  try {
    apiBase = apiBaseFor(config, location);
  } catch {
    apiBase = '';
  }
  registerSpamReporting(office, {
    config,
    apiBase,
    auth: createAuth(config, location?.hostname, loadMsal),
    storage: sessionStorageOrNone(),
  });
}

start();
