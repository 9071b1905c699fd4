import { createHash } from 'node:crypto';
import type { AppDeps } from '../../src/app/deps.ts';
import { reportEmailFromGmail } from '../../src/app/emails/report-email-from-gmail.ts';
import { resolveActor } from '../../src/app/people/resolve-actor.ts';
import { EMAIL_REPORT_CHOICES, type EmailReportChoice } from '../../src/domain/email-report.ts';
import { AppError, isAppError } from '../../src/domain/errors.ts';
import type { SignedInIdentity } from '../../src/domain/identity.ts';
import type { Actor } from '../../src/domain/roles.ts';
import { textField } from '../../src/domain/text.ts';
import type { Logger } from '../../src/logger.ts';
import {
  GMAIL_INPUTS,
  homepageCard,
  problemCard,
  pushCard,
  REPORT_ACTION,
  reportFormCard,
  reportResultCard,
  stillFilingCard,
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

  async #report(event: GmailEvent, user: SignedInIdentity, actor: Actor): Promise<GmailRenderAction> {
    const { endpointUrl } = this.#options;
    const rawChoice = formInput(event, GMAIL_INPUTS.choice);
    const choice = EMAIL_REPORT_CHOICES.find((known) => known === rawChoice);
    const rawNote = formInput(event, GMAIL_INPUTS.note) ?? '';
    const note = noteSchema.safeParse(rawNote);
    const kept = { endpointUrl, choice, note: rawNote };
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
