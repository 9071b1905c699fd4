import { createHash } from 'node:crypto';
import type { AppDeps } from '../../src/app/deps.ts';
import { reportEmailFromGmail } from '../../src/app/emails/report-email-from-gmail.ts';
import { resolveActor } from '../../src/app/people/resolve-actor.ts';
import { searchPupils } from '../../src/app/pupils/search-pupils.ts';
import { choiceNamesChildren, EMAIL_REPORT_CHOICES, type EmailReportChoice } from '../../src/domain/email-report.ts';
import type { ReportedChild } from '../../src/domain/pupil.ts';
import { AppError, isAppError } from '../../src/domain/errors.ts';
import type { SignedInIdentity } from '../../src/domain/identity.ts';
import type { Actor } from '../../src/domain/roles.ts';
import { textField } from '../../src/domain/text.ts';
import type { Logger } from '../../src/logger.ts';
import {
  FIND_CHILD_ACTION,
  GMAIL_INPUTS,
  homepageCard,
  problemCard,
  pushCard,
  REPORT_ACTION,
  reportFormCard,
  reportResultCard,
  stillFilingCard,
  TYPED_CHILD,
  updateCard,
  type GmailRenderAction,
} from './gmail-cards.ts';
import { formInput, type GmailEvent } from './gmail-events.ts';

export interface GmailAddonOptions {
  deps: AppDeps;
  logger: Logger;
  /** The Gmail endpoint's full URL, from config: every button's action function. */
  endpointUrl: string;
  /** EMAIL_REPORT_MAX_MB in bytes. */
  maxBytes: number;
  /** How long a Report may take before the card says it is still being filed (Gmail waits about 30 s). */
  answerWithinMs?: number;
}

/** The note's limit, as for reports from Outlook. */
const NOTE_MAX = 2000;
const noteSchema = textField().max(NOTE_MAX, `Keep the note under ${NOTE_MAX} characters.`);

const CHOICE_MISSING = 'Choose what this email is before pressing Report.';
/** As many pupils as the card lists for one name: enough to find the child, not a class list. */
const CHILD_MATCHES_MAX = 8;
const CHILD_NAME_MAX = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OPEN_AGAIN = 'Gmail did not send the open message with this request. Open the message again and press Report again.';

/**
 * The Gmail add-on: a translator between Gmail's events and the use cases. Who the user is comes from the
 * verified user ID token (the surface checks it); what to do comes from the pressed button's `action` parameter.
 */
export class GmailAddon {
  readonly #options: GmailAddonOptions;

  constructor(options: GmailAddonOptions) {
    this.#options = options;
  }

  async handle(event: GmailEvent, user: SignedInIdentity): Promise<GmailRenderAction> {
    const action = event.commonEventObject.parameters?.action;
    const messageId = event.gmail?.messageId;
    if (!messageId && !action) return pushCard(homepageCard());

    const actor = await this.#actor(user);
    if (actor instanceof AppError) return action ? updateCard(problemCard(actor.userMessage), 'Not reported') : pushCard(problemCard(actor.userMessage));
    if (action === FIND_CHILD_ACTION) return this.#findChild(event, actor);
    if (action !== REPORT_ACTION) return pushCard(reportFormCard({ endpointUrl: this.#options.endpointUrl }));
    return this.#report(event, user, actor);
  }

  async #actor(user: SignedInIdentity): Promise<Actor | AppError> {
    try {
      return await resolveActor(this.#options.deps, user);
    } catch (error) {
      if (isAppError(error) && (error.code === 'forbidden' || error.code === 'unauthenticated')) {
        this.#options.logger.info({ code: 'gmail_user_not_in_school', reason: error.message }, 'gmail add-on user has no school');
        return error;
      }
      throw error;
    }
  }

  /** Find child: the card again, as filled in, with the pupils who match the name typed (name, year and class only). */
  async #findChild(event: GmailEvent, actor: Actor): Promise<GmailRenderAction> {
    const kept = keptInputs(event, this.#options.endpointUrl);
    const query = (kept.childQuery ?? '').trim();
    if (query.replace(/[^\p{L}\p{N}]/gu, '').length < 2) {
      return updateCard(reportFormCard({ ...kept, childMessage: 'Type at least two letters of the child’s name, then press Find child.' }));
    }
    const matches = await this.#matchesFor(actor, query);
    return updateCard(
      reportFormCard({
        ...kept,
        childMatches: matches,
        ...(matches.length ? {} : { childMessage: 'No pupil matches that name. Check the spelling, or leave the name as typed: your DSL will find the child.' }),
      }),
    );
  }

  async #matchesFor(actor: Actor, query: string | undefined) {
    const name = query?.trim().slice(0, 100);
    return name ? searchPupils(this.#options.deps, { actor, query: name, limit: CHILD_MATCHES_MAX }) : [];
  }

  async #report(event: GmailEvent, user: SignedInIdentity, actor: Actor): Promise<GmailRenderAction> {
    const { endpointUrl } = this.#options;
    const typed = keptInputs(event, endpointUrl);
    const { choice } = typed;
    // The card shown again (a missing choice, a problem) keeps the pupil picked, listed as before.
    const kept = typed.childId && typed.childId !== TYPED_CHILD ? { ...typed, childMatches: await this.#matchesFor(actor, typed.childQuery) } : typed;
    const rawNote = kept.note;
    const note = noteSchema.safeParse(rawNote);
    if (!choice || !note.success) {
      const noteError = note.success ? undefined : note.error.issues[0]?.message;
      return updateCard(reportFormCard({ ...kept, ...(choice ? {} : { choiceError: CHOICE_MISSING }), ...(noteError ? { noteError } : {}) }), choice ? noteError : CHOICE_MISSING);
    }
    const messageId = event.gmail?.messageId;
    const gmailAccessToken = event.gmail?.accessToken;
    const userOAuthToken = event.authorizationEventObject?.userOAuthToken;
    if (!messageId || !gmailAccessToken || !userOAuthToken) return updateCard(reportFormCard({ ...kept, problem: OPEN_AGAIN }), 'Not reported yet');

    const filing = reportEmailFromGmail(this.#options.deps, {
      actor,
      userOAuthToken,
      gmailAccessToken,
      messageId,
      choice,
      ...(note.data.trim() ? { note: note.data.trim() } : {}),
      ...(choiceNamesChildren(choice) ? childrenOf(kept) : {}),
      idempotencyKey: idempotencyKeyFor(messageId, user, choice),
      maxBytes: this.#options.maxBytes,
    });
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((resolve) => {
      timer = setTimeout(() => resolve('slow'), this.#options.answerWithinMs ?? 25_000);
    });
    try {
      const receipt = await Promise.race([filing, slow]);
      if (receipt === 'slow') {
        // It goes on filing; a second press finds it by its idempotency key.
        filing.catch((error: unknown) => this.#options.logger.warn({ code: codeOf(error) }, 'gmail report failed after its card was answered'));
        this.#options.logger.warn({ code: 'gmail_report_slow' }, 'gmail report answered while still filing');
        return updateCard(stillFilingCard(endpointUrl, choice, rawNote), 'Still being filed');
      }
      this.#options.logger.info({ code: 'gmail_report_filed', caseId: receipt.caseId, duplicate: receipt.duplicate, joined: receipt.joinedExisting }, 'gmail report filed');
      return updateCard(
        reportResultCard({ reference: receipt.reference, choice, duplicate: receipt.duplicate, joinedExisting: receipt.joinedExisting }),
        receipt.duplicate ? `Already reported: ${receipt.reference}` : `Reported to your DSL team: ${receipt.reference}`,
      );
    } catch (error) {
      const code = codeOf(error);
      this.#options.logger.warn({ code: `gmail_report_${code}`, ...(isAppError(error) ? { reason: error.message } : {}) }, 'gmail report not filed');
      const problem = isAppError(error) && error.code !== 'internal'
        ? error.userMessage
        : 'DSL Desk could not file this report just now. Try again in a few minutes; if it is urgent, tell your DSL team directly.';
      return updateCard(reportFormCard({ ...kept, problem }), 'Not reported yet');
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What the card's inputs held when a button was pressed, so the card shown again keeps all of it. */
function keptInputs(event: GmailEvent, endpointUrl: string) {
  const rawChoice = formInput(event, GMAIL_INPUTS.choice);
  const childQuery = formInput(event, GMAIL_INPUTS.childQuery)?.slice(0, CHILD_NAME_MAX);
  const childId = formInput(event, GMAIL_INPUTS.childId);
  return {
    endpointUrl,
    choice: EMAIL_REPORT_CHOICES.find((known) => known === rawChoice),
    note: formInput(event, GMAIL_INPUTS.note) ?? '',
    ...(childQuery ? { childQuery } : {}),
    ...(childId && (childId === TYPED_CHILD || UUID.test(childId)) ? { childId } : {}),
  };
}

/**
 * The child the card names: the pupil picked from the list, or the name as typed when none was picked (kept for
 * the DSL to link). A phishing report names none: the card's child fields are left out of it.
 */
function childrenOf(kept: { childQuery?: string; childId?: string }): { children?: ReportedChild[] } {
  if (kept.childId && kept.childId !== TYPED_CHILD) return { children: [{ pupilId: kept.childId, role: 'subject' }] };
  const typed = kept.childQuery?.trim();
  return typed ? { children: [{ name: typed, role: 'subject' }] } : {};
}

/**
 * One report per person, message and choice: a double press (or a second press after a slow answer) finds the
 * first report; the same email reported later for another reason is a report of its own.
 */
function idempotencyKeyFor(messageId: string, user: SignedInIdentity, choice: EmailReportChoice): string {
  return `gmail:${createHash('sha256').update(`${user.subject}\n${messageId}\n${choice}`).digest('base64url').slice(0, 43)}`;
}

function codeOf(error: unknown): string {
  return isAppError(error) ? error.code : 'internal';
}
