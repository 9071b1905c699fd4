import { CARD_REFRESH_WINDOW_MS, OUTBOX_KINDS } from '../../src/app/cases/case-messages.ts';
import type { ChatDelivery, DeliveryAttempt } from '../../src/app/chat-delivery.ts';
import type { AppDeps } from '../../src/app/deps.ts';
import type { OutboxMessageOf } from '../../src/app/outbox-catalogue.ts';
import { caseCardIsCurrent, prepareCaseCard, type CaseCardContext } from '../../src/app/cases/prepare-case-card.ts';
import { prepareNotification, recordNotificationSent } from '../../src/app/cases/prepare-notification.ts';
import { readSchoolTimeZone } from '../../src/app/organisations/read-school-time-zone.ts';
import { recordCaseCardFailed, recordCaseCardPosted } from '../../src/app/cases/record-case-card.ts';
import { OneAtATimePerKey, withDeliveryFallback } from '../../src/jobs/case-delivery.ts';
import { canNotifyByEmail, sendNotificationEmail } from '../../src/app/cases/send-notification-email.ts';
import { CHANNEL_TARGET, personTarget } from '../../src/domain/chat.ts';
import { chatUserName } from '../../src/domain/google-workspace.ts';
import type { OutboxMessage } from '../../src/domain/ports.ts';
import { DeferDelivery, PermanentDeliveryError, RetryableDeliveryError } from '../../src/jobs/outbox-dispatcher.ts';
import type { Logger } from '../../src/logger.ts';
import { ChatCallError, MAX_CHAT_PACING_WAIT_MS, type ChatApi, type ChatMessageBody } from './chat-api.ts';
import { caseCard, caseCardText, CASE_CARD_UPDATE_MASK, notificationCard, type ChatCardKit } from './chat-cards.ts';
import { CASE_CARD_ID, cardMessage, PUPIL_PATTERN_CARD_ID, pupilPatternChatCard } from './google-chat-app.ts';
import { preparePupilPatternCard } from '../../src/app/pupils/prepare-pupil-pattern-card.ts';
import { recordPupilPatternCard } from '../../src/app/pupils/record-pupil-pattern-card.ts';
import { readPatternWindow } from '../../src/app/pupils/read-pattern-window.ts';
import type { PUPIL_PATTERN_KIND } from '../../src/app/outbox-catalogue.ts';

export interface GoogleChatDeliveryOptions {
  deps: AppDeps;
  logger: Logger;
  /** Paced: one write a second per space, the project's writes per minute. */
  chat: ChatApi;
  kit: ChatCardKit;
}

type DeliveredMessage = Omit<OutboxMessage, 'payload'>;

/**
 * The Google Chat side of the outbox: posts case cards to the school's DSL space, edits them as cases change,
 * and sends 1:1 notices in each person's DM with the app. Every write is paced (PacedChatApi); 429 and 5xx are
 * retried with the dispatcher's backoff, honouring Retry-After; a 403 or 404 is recorded on the case as "not
 * delivered" and not retried. Each post carries a request id made from its outbox message, so a retry after a
 * lost answer or a restart returns the message Chat already has instead of posting a second card.
 */
export class GoogleChatDelivery implements Pick<ChatDelivery, 'postCaseCard' | 'refreshCaseCard' | 'notifyPerson' | 'postPupilPattern'> {
  readonly #options: GoogleChatDeliveryOptions;
  readonly #cardWork = new OneAtATimePerKey();
  /** The space each school's last case card went to: a hint for pacing, never where a card is posted. */
  readonly #spaceOfSchool = new Map<string, string>();

  constructor(options: GoogleChatDeliveryOptions) {
    this.#options = options;
  }

  /** Past its threshold of failures, the school's email fallback is queued once while this keeps trying. */
  postCaseCard(message: OutboxMessageOf<typeof OUTBOX_KINDS.caseCreated>, attempt: DeliveryAttempt): Promise<void> {
    return withDeliveryFallback(this.#options, message, this.#cardWork.run(message.payload.caseId, () => this.#postCaseCard(message, message.payload.caseId, attempt)));
  }

  refreshCaseCard(message: OutboxMessageOf<typeof OUTBOX_KINDS.cardRefresh>, attempt: DeliveryAttempt): Promise<void> {
    return this.#cardWork.run(message.payload.caseId, () => this.#refreshCaseCard(message, message.payload.caseId, attempt));
  }

  async #postCaseCard(message: DeliveredMessage, caseId: string, attempt: DeliveryAttempt): Promise<void> {
    const { deps } = this.#options;
    // A wave of reports queues many cards for one space, which takes one a second: a card whose space has no
    // slot for a while goes back to the queue before anything is read for it, so the wave's reports are not held
    // up by cards preparing only to wait. (The space is the one this school's last card went to.)
    const knownSpace = this.#spaceOfSchool.get(message.schoolId);
    const busyMs = knownSpace && this.#options.chat.spaceBusyFor ? await this.#options.chat.spaceBusyFor(knownSpace) : 0;
    if (busyMs > MAX_CHAT_PACING_WAIT_MS) throw new DeferDelivery('waiting for a Google Chat write slot', new Date(Date.now() + busyMs));
    const context = await prepareCaseCard(deps, { schoolId: message.schoolId, caseId, platform: 'google_chat', onlyWithChannel: true });
    if (!context?.channel) {
      // No DSL space yet: the school sees its cases in the case list; nothing to post.
      this.#options.logger.debug({ outboxId: message.id, kind: message.kind }, 'no google chat case space: card not posted');
      return;
    }
    if (context.card?.state === 'posted' && context.card.platform === 'google_chat') return this.#refreshCaseCard(message, caseId, attempt);
    const space = context.channel.address.conversationId;
    this.#spaceOfSchool.set(message.schoolId, space);
    const body = await this.#newCaseMessage(message.schoolId, context);
    const target = { caseId, target: CHANNEL_TARGET, conversationId: space, version: context.summary.version };
    const { name } = await this.#guard(message, attempt, target, () => this.#options.chat.createMessage({ space, message: body, requestId: requestIdFor(message) }));
    await recordCaseCardPosted(deps, { schoolId: message.schoolId, caseId, target: CHANNEL_TARGET, platform: 'google_chat', conversationId: space, activityId: name, renderedVersion: context.summary.version });
  }

  async #refreshCaseCard(message: DeliveredMessage, caseId: string, attempt: DeliveryAttempt): Promise<void> {
    const { deps } = this.#options;
    const context = await prepareCaseCard(deps, { schoolId: message.schoolId, caseId, platform: 'google_chat', onlyWithChannel: true });
    if (!context?.channel) return;
    const { card } = context;
    if (!card) throw new RetryableDeliveryError('the case card has not been posted yet', 2000);
    if (card.platform !== 'google_chat' || !card.activityId || caseCardIsCurrent(card, context)) return;
    // The forms are dialogs, so an edit never wipes what a DSL is typing: no hold while the card is worked.
    // One edit per card per window, however the queue's timing falls.
    const sinceLastEdit = deps.clock.now().getTime() - Date.parse(card.updatedAt);
    if (sinceLastEdit < CARD_REFRESH_WINDOW_MS) throw new RetryableDeliveryError('the card was edited moments ago', CARD_REFRESH_WINDOW_MS - sinceLastEdit);
    const timeZone = await readSchoolTimeZone(deps, { schoolId: message.schoolId });
    const name = card.activityId;
    const target = { caseId, target: CHANNEL_TARGET, conversationId: card.conversationId, version: context.summary.version };
    await this.#guard(message, attempt, target, () =>
      this.#options.chat.updateMessage({ name, message: { text: caseCardText(context), ...cardMessage(CASE_CARD_ID, caseCard(this.#options.kit, context, timeZone)) }, updateMask: CASE_CARD_UPDATE_MASK }),
    );
    await recordCaseCardPosted(deps, { schoolId: message.schoolId, caseId, target: CHANNEL_TARGET, platform: 'google_chat', conversationId: card.conversationId, activityId: name, renderedVersion: context.summary.version });
  }

  /** A new case's message: the card, under a text that names the case (and, for an urgent one, mentions the DSLs on duty). */
  async #newCaseMessage(schoolId: string, context: CaseCardContext): Promise<ChatMessageBody> {
    const timeZone = await readSchoolTimeZone(this.#options.deps, { schoolId });
    return { text: caseCardText(context), ...cardMessage(CASE_CARD_ID, caseCard(this.#options.kit, context, timeZone)) };
  }

  notifyPerson(message: OutboxMessageOf<typeof OUTBOX_KINDS.personNotify>, attempt: DeliveryAttempt): Promise<void> {
    return withDeliveryFallback(this.#options, message, this.#notifyPerson(message, attempt));
  }

  async #notifyPerson(message: OutboxMessageOf<typeof OUTBOX_KINDS.personNotify>, attempt: DeliveryAttempt): Promise<void> {
    const { caseId, personId, event } = message.payload;
    const { deps, chat } = this.#options;
    const prepared = await prepareNotification(deps, { schoolId: message.schoolId, caseId, personId, event, platform: 'google_chat' });
    if (!prepared) return;
    const target = { caseId, target: personTarget(personId), conversationId: '', version: 0 };
    let space = prepared.chatUser?.personalConversation?.conversationId;
    if (!space) {
      const user = prepared.chatUser?.userId ?? (prepared.googleSubject ? chatUserName(prepared.googleSubject) : undefined);
      const found = user ? await this.#guard(message, attempt, target, () => chat.findDirectMessage(user)) : undefined;
      space = found?.name;
    }
    if (!space) {
      // No DM with the app (it is not installed for them): email, where the school's mailboxes are connected.
      if (canNotifyByEmail(deps)) {
        await sendNotificationEmail(deps, { schoolId: message.schoolId, caseId, personId, event });
        return;
      }
      await this.#fail(message, target, 'no_chat', `${prepared.displayName} has no chat with DSL Desk in Google Chat, so they could not be messaged. Tell them another way.`);
      throw new PermanentDeliveryError('no_chat');
    }
    const dm = space;
    await this.#guard(message, attempt, { ...target, conversationId: dm }, () =>
      chat.createMessage({ space: dm, message: { text: prepared.text.title, ...cardMessage('notice', notificationCard(this.#options.kit, prepared)) }, requestId: requestIdFor(message) }),
    );
    await recordNotificationSent(deps, { schoolId: message.schoolId, caseId, personId, event, platform: 'google_chat' });
  }

  /**
   * "A pattern for a pupil" in the DSL space: posted once (the request id makes a retry return the message Chat
   * already has), then edited when it changes (acknowledged). Where it went is recorded on the alert. No case to
   * record a failure on: a refusal is recorded on the alert and logged (the pattern stays on the chronology).
   */
  async postPupilPattern(message: OutboxMessageOf<typeof PUPIL_PATTERN_KIND>, attempt: DeliveryAttempt): Promise<void> {
    const { deps, kit, chat } = this.#options;
    const { schoolId } = message;
    const { pupilId, alertId } = message.payload;
    const prepared = await preparePupilPatternCard(deps, { schoolId, pupilId, alertId, platform: 'google_chat' });
    const space = prepared?.channel?.address.conversationId;
    if (!prepared || !space) {
      this.#options.logger.debug({ outboxId: message.id, kind: message.kind }, 'no google chat case space: pattern card not posted');
      return;
    }
    const timeZone = await readSchoolTimeZone(deps, { schoolId });
    const body = { text: 'A pattern for a pupil', ...cardMessage(PUPIL_PATTERN_CARD_ID, pupilPatternChatCard(kit, { ...prepared, rule: await readPatternWindow(deps, { schoolId }) }, pupilId, timeZone)) };
    const posted = prepared.card?.platform === 'google_chat' && prepared.card.state === 'posted' ? prepared.card : undefined;
    try {
      const name = posted?.activityId
        ? (await chat.updateMessage({ name: posted.activityId, message: body, updateMask: CASE_CARD_UPDATE_MASK }), posted.activityId)
        : (await chat.createMessage({ space, message: body, requestId: requestIdFor(message) })).name;
      await recordPupilPatternCard(deps, { schoolId, alertId, card: { platform: 'google_chat', conversationId: posted?.conversationId ?? space, activityId: name, state: 'posted', updatedAt: deps.clock.now().toISOString() } });
    } catch (error) {
      if (!(error instanceof ChatCallError)) throw error;
      this.#options.logger.warn({ outboxId: message.id, kind: message.kind, code: String(error.status ?? 'network'), final: attempt.final }, 'google chat pattern card not delivered');
      if ((!error.retryable || attempt.final) && !posted) {
        await recordPupilPatternCard(deps, { schoolId, alertId, card: { platform: 'google_chat', conversationId: space, state: 'failed', failure: error.reason, updatedAt: deps.clock.now().toISOString() } });
      }
      throw error.toDeliveryError();
    }
  }

  /** One Chat call with its failure sorted: retried later (recorded on the last attempt) or recorded and given up. */
  async #guard<T>(message: DeliveredMessage, attempt: DeliveryAttempt, target: CallTarget, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ChatCallError)) throw error;
      if (error.retryable) {
        if (attempt.final) await this.#fail(message, target, String(error.status ?? 'network'), 'Google Chat did not accept the card for three days. It will not be tried again; open the case from DSL Desk.');
        throw error.toDeliveryError();
      }
      await this.#fail(message, target, String(error.status ?? 'refused'), error.reason);
      throw error.toDeliveryError();
    }
  }

  async #fail(message: DeliveredMessage, target: CallTarget, code: string, reason: string): Promise<void> {
    await recordCaseCardFailed(this.#options.deps, {
      schoolId: message.schoolId,
      caseId: target.caseId,
      target: target.target,
      platform: 'google_chat',
      conversationId: target.conversationId,
      renderedVersion: target.version,
      failure: reason,
      code,
    });
    this.#options.logger.warn({ outboxId: message.id, kind: message.kind, caseId: target.caseId, target: target.target.split(':')[0], code }, 'google chat card not delivered');
  }
}

interface CallTarget {
  caseId: string;
  target: string;
  conversationId: string;
  version: number;
}

/**
 * Chat's request id for a post: the same for every attempt of one outbox message (over retries and restarts), so
 * Chat answers a repeat with the message it already made. Letters, digits and dashes only.
 */
export function requestIdFor(message: Pick<OutboxMessage, 'id' | 'kind'>): string {
  return `dsl-desk-${message.kind.replace(/[^a-z0-9]+/gi, '-')}-${message.id}`.slice(0, 190);
}
