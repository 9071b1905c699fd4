import type { Activity, CloudAdapter } from 'botbuilder';
import { CARD_REFRESH_WINDOW_MS, OUTBOX_KINDS } from '../../src/app/cases/case-messages.ts';
import type { ChatDelivery } from '../../src/app/chat-delivery.ts';
import type { OutboxMessageOf } from '../../src/app/outbox-catalogue.ts';
import type { AppDeps } from '../../src/app/deps.ts';
import { caseCardIsCurrent, prepareCaseCard, type CaseCardContext, type CaseHandlerContact } from '../../src/app/cases/prepare-case-card.ts';
import { prepareNotification, recordNotificationSent } from '../../src/app/cases/prepare-notification.ts';
import { recordCaseCardFailed, recordCaseCardPosted } from '../../src/app/cases/record-case-card.ts';
import { OneAtATimePerKey, withDeliveryFallback } from '../../src/jobs/case-delivery.ts';
import { canNotifyByEmail, sendNotificationEmail } from '../../src/app/cases/send-notification-email.ts';
import { cardEditDueAt, CHANNEL_TARGET, DEFAULT_CARD_EDIT_HOLD, personTarget, type ConversationAddress } from '../../src/domain/chat.ts';
import type { OutboxMessage } from '../../src/domain/ports.ts';
import { DeferDelivery, PermanentDeliveryError, RetryableDeliveryError, type OutboxAttempt } from '../../src/jobs/outbox-dispatcher.ts';
import type { SlidingWindowPacer } from '../../src/jobs/sliding-window-pacer.ts';
import type { Logger } from '../../src/logger.ts';
import { channelCardFor, notificationCardFor, pupilPatternCardFor } from './case-cards.ts';
import { preparePupilPatternCard } from '../../src/app/pupils/prepare-pupil-pattern-card.ts';
import { recordPupilPatternCard } from '../../src/app/pupils/record-pupil-pattern-card.ts';
import { readPatternWindow } from '../../src/app/pupils/read-pattern-window.ts';
import { readSchoolTimeZone } from '../../src/app/organisations/read-school-time-zone.ts';
import type { PUPIL_PATTERN_KIND } from '../../src/app/outbox-catalogue.ts';
import { cardActivity, PacedConnector, TeamsCallError, type ConnectorCalls } from './paced-calls.ts';

export interface TeamsDeliveryOptions {
  deps: AppDeps;
  logger: Logger;
  adapter: CloudAdapter;
  /** Empty in the local sandbox, where nothing is signed. */
  botAppId: string;
  /** The audience of outbound tokens (the Bot Connector's OAuth scope). */
  connectorAudience: string;
  pacer: SlidingWindowPacer;
  /** Requests per second for one tenant, under Teams' 50. */
  tenantRequestsPerSecond: number;
}

/**
 * The Teams side of the outbox: posts case cards to the DSL channel, edits them as cases change, and
 * sends 1:1 messages. Every call is paced under Teams' limits; 429/412/5xx are retried with backoff (the
 * dispatcher's), honouring Retry-After; a 403 or a missing channel is recorded on the case as "not
 * delivered" and not retried. Handlers load the case when they run, so a late edit shows the latest state.
 */
/** What the calls below need of a message: which one it is, for the logs and the school. */
type DeliveredMessage = Omit<OutboxMessage, 'payload'>;

export class TeamsDelivery implements Pick<ChatDelivery, 'postCaseCard' | 'refreshCaseCard' | 'notifyPerson' | 'postPupilPattern'> {
  readonly #options: TeamsDeliveryOptions;
  readonly #connector: PacedConnector;
  readonly #cardWork = new OneAtATimePerKey();

  constructor(options: TeamsDeliveryOptions) {
    this.#options = options;
    this.#connector = new PacedConnector(options);
  }

  /** Posts the new case's card; past its threshold of failures, the school's fallback is queued too. */
  postCaseCard(message: OutboxMessageOf<typeof OUTBOX_KINDS.caseCreated>, attempt: OutboxAttempt): Promise<void> {
    // A card that fails again, for whatever passing reason (Teams busy or down, the network, pacing), is checked
    // against its threshold; past it, the school's email fallback is queued once while this keeps trying.
    return withDeliveryFallback(
      this.#options,
      message,
      this.#cardWork.run(message.payload.caseId, () => this.#postCaseCard(message, message.payload.caseId, attempt)),
    );
  }

  refreshCaseCard(message: OutboxMessageOf<typeof OUTBOX_KINDS.cardRefresh>, attempt: OutboxAttempt): Promise<void> {
    return this.#cardWork.run(message.payload.caseId, () => this.#refreshCaseCard(message, message.payload.caseId, attempt));
  }

  async #postCaseCard(message: DeliveredMessage, caseId: string, attempt: OutboxAttempt): Promise<void> {
    const context = await prepareCaseCard(this.#options.deps, { schoolId: message.schoolId, caseId, platform: 'teams', onlyWithChannel: true });
    if (!context) {
      // No case channel yet (or no Teams): the school sees its cases in the case list; nothing to post.
      this.#options.logger.debug({ outboxId: message.id, kind: message.kind }, 'no teams case channel: card not posted');
      return;
    }
    if (context.card?.state === 'posted') return this.#refreshCaseCard(message, caseId, attempt);
    const channel = context.channel;
    if (!channel) return;
    const activity = newCaseActivity(context);
    const activityId = await this.#call(message, attempt, { caseId, target: CHANNEL_TARGET, address: channel.address, version: context.summary.version }, (ctx) => ctx.send(activity));
    await recordCaseCardPosted(this.#options.deps, {
      schoolId: message.schoolId,
      caseId,
      target: CHANNEL_TARGET,
      platform: 'teams',
      conversationId: channel.address.conversationId,
      ...(activityId ? { activityId } : {}),
      renderedVersion: context.summary.version,
    });
  }

  async #refreshCaseCard(message: DeliveredMessage, caseId: string, attempt: OutboxAttempt): Promise<void> {
    const context = await prepareCaseCard(this.#options.deps, { schoolId: message.schoolId, caseId, platform: 'teams', onlyWithChannel: true });
    if (!context?.channel) return;
    const { card } = context;
    if (!card) throw new RetryableDeliveryError('the case card has not been posted yet', 2000);
    if (!card.activityId || caseCardIsCurrent(card, context)) return;
    // Editing the message re-renders it for everyone and wipes whatever a DSL is typing in its forms: while
    // someone is working the card the edit waits (and collapses with later ones), up to the longest hold.
    const now = this.#options.deps.clock.now();
    const due = cardEditDueAt({ now, ...(card.workedAt ? { workedAt: card.workedAt } : {}), changedAt: message.createdAt, hold: this.#options.deps.settings?.caseCardHold ?? DEFAULT_CARD_EDIT_HOLD });
    if (due > now) {
      this.#options.logger.info({ outboxId: message.id, caseId, until: due.toISOString() }, 'case card edit held while the card is being worked');
      throw new DeferDelivery('the card is being worked', due);
    }
    // One edit per card per window, however the queue's timing falls: come back when the window has passed.
    const sinceLastEdit = now.getTime() - Date.parse(card.updatedAt);
    if (sinceLastEdit < CARD_REFRESH_WINDOW_MS) throw new RetryableDeliveryError('the card was edited moments ago', CARD_REFRESH_WINDOW_MS - sinceLastEdit);
    const address = { ...context.channel.address, conversationId: card.conversationId };
    const activity = { ...cardActivity(channelCardFor(context, { forDsl: false, inChannel: true })), id: card.activityId };
    await this.#call(message, attempt, { caseId, target: CHANNEL_TARGET, address, version: context.summary.version }, (ctx) => ctx.update(activity));
    await recordCaseCardPosted(this.#options.deps, {
      schoolId: message.schoolId,
      caseId,
      target: CHANNEL_TARGET,
      platform: 'teams',
      conversationId: card.conversationId,
      activityId: card.activityId,
      renderedVersion: context.summary.version,
    });
  }

  /** A 1:1 notice; past its threshold of failures, the school's fallback is queued too. */
  notifyPerson(message: OutboxMessageOf<typeof OUTBOX_KINDS.personNotify>, attempt: OutboxAttempt): Promise<void> {
    return withDeliveryFallback(this.#options, message, this.#notifyPerson(message, attempt));
  }

  async #notifyPerson(message: OutboxMessageOf<typeof OUTBOX_KINDS.personNotify>, attempt: OutboxAttempt): Promise<void> {
    const { caseId, personId, event } = message.payload;
    const { deps } = this.#options;
    const prepared = await prepareNotification(deps, { schoolId: message.schoolId, caseId, personId, event, platform: 'teams' });
    if (!prepared) return;
    const target = personTarget(personId);
    const card = notificationCardFor(prepared);
    let address = prepared.chatUser?.personalConversation;
    if (!address) {
      // They have never chatted with the bot: open a 1:1 chat in the tenant the school's channel lives in.
      const channelAddress = (await prepareCaseCard(deps, { schoolId: message.schoolId, caseId, platform: 'teams' }))?.channel?.address;
      const memberId = prepared.chatUser?.userId ?? prepared.entraObjectId;
      if (!channelAddress || !memberId) {
        // Not reachable in Teams: email, where the school's mailboxes are connected.
        if (canNotifyByEmail(deps)) {
          await sendNotificationEmail(deps, { schoolId: message.schoolId, caseId, personId, event });
          return;
        }
        await this.#fail(message, { caseId, target, conversationId: '', version: 0 }, 'no_chat', `${prepared.displayName} has not used DSL Desk in Teams yet, so they could not be messaged. Tell them another way.`);
        return;
      }
      try {
        address = await this.#openPersonalChat(message, attempt, { caseId, target, address: channelAddress, version: 0 }, memberId);
      } catch (error) {
        // Teams refused the 1:1 chat for good (the app is not installed for them): email instead, if we can.
        if (!(error instanceof PermanentDeliveryError) || !canNotifyByEmail(deps)) throw error;
        await sendNotificationEmail(deps, { schoolId: message.schoolId, caseId, personId, event });
        return;
      }
    }
    await this.#call(message, attempt, { caseId, target, address, version: 0 }, (ctx) => ctx.send({ ...cardActivity(card), summary: prepared.text.title }));
    await recordNotificationSent(deps, { schoolId: message.schoolId, caseId, personId, event, platform: 'teams' });
  }

  /**
   * "A pattern for a pupil" in the case channel: the reason and the case references, Acknowledge and Open pupil;
   * posted once, then edited when it changes (acknowledged), where it went recorded on the alert. No case to record a
   * failure on: Teams' passing failures are retried, a refusal is recorded on the alert and logged (the pattern
   * stays on the pupil's chronology).
   */
  async postPupilPattern(message: OutboxMessageOf<typeof PUPIL_PATTERN_KIND>, attempt: OutboxAttempt): Promise<void> {
    const { deps, logger } = this.#options;
    const { schoolId } = message;
    const { pupilId, alertId } = message.payload;
    const prepared = await preparePupilPatternCard(deps, { schoolId, pupilId, alertId, platform: 'teams' });
    const address = prepared?.channel?.address;
    if (!prepared || !address) {
      logger.debug({ outboxId: message.id, kind: message.kind }, 'no teams case channel: pattern card not posted');
      return;
    }
    const card = pupilPatternCardFor({ ...prepared, rule: await readPatternWindow(deps, { schoolId }) }, pupilId, await readSchoolTimeZone(deps, { schoolId }));
    const posted = prepared.card?.platform === 'teams' && prepared.card.state === 'posted' && prepared.card.activityId ? prepared.card : undefined;
    const now = () => deps.clock.now().toISOString();
    try {
      const activityId = posted
        ? (await this.#connector.call({ ...address, conversationId: posted.conversationId }, (ctx) => ctx.update({ ...cardActivity(card), id: posted.activityId! })), posted.activityId)
        : await this.#connector.call(address, (ctx) => ctx.send({ ...cardActivity(card), summary: 'A pattern for a pupil' }));
      await recordPupilPatternCard(deps, { schoolId, alertId, card: { platform: 'teams', conversationId: posted?.conversationId ?? address.conversationId, ...(activityId ? { activityId } : {}), state: 'posted', updatedAt: now() } });
    } catch (error) {
      if (!(error instanceof TeamsCallError)) throw error;
      const { failure } = error;
      logger.warn({ outboxId: message.id, kind: message.kind, code: failure.code, final: attempt.final }, 'teams pattern card not delivered');
      if ((!failure.retryable || attempt.final) && !posted) {
        await recordPupilPatternCard(deps, { schoolId, alertId, card: { platform: 'teams', conversationId: address.conversationId, state: 'failed', failure: failure.reason, updatedAt: now() } });
      }
      if (failure.retryable) throw new RetryableDeliveryError(`teams answered ${failure.code}`, failure.retryAfterMs);
      throw new PermanentDeliveryError(`teams answered ${failure.code}`);
    }
  }

  #openPersonalChat(message: DeliveredMessage, attempt: OutboxAttempt, target: CallTarget, memberId: string): Promise<ConversationAddress> {
    return this.#guard(message, attempt, target, () => this.#connector.openPersonalChat(target.address, memberId));
  }

  /** One paced Bot Connector call with Teams' error statuses mapped onto retry or "not delivered". */
  #call(message: DeliveredMessage, attempt: OutboxAttempt, target: CallTarget, work: (connector: ConnectorCalls) => Promise<string | undefined>): Promise<string | undefined> {
    return this.#guard(message, attempt, target, () => this.#connector.call(target.address, work));
  }

  async #guard<T>(message: DeliveredMessage, attempt: OutboxAttempt, target: CallTarget, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof TeamsCallError)) throw error;
      const { failure } = error;
      if (failure.retryable) {
        if (attempt.final) {
          await this.#fail(message, target, failure.code, 'Teams did not accept the card for three days. It will not be tried again; open the case from DSL Desk.');
        }
        throw new RetryableDeliveryError(`teams answered ${failure.code}`, failure.retryAfterMs);
      }
      await this.#fail(message, target, failure.code, failure.reason);
      throw new PermanentDeliveryError(`teams answered ${failure.code}`);
    }
  }

  async #fail(message: DeliveredMessage, target: Omit<CallTarget, 'address'> & { conversationId?: string; address?: ConversationAddress }, code: string, reason: string): Promise<void> {
    await recordCaseCardFailed(this.#options.deps, {
      schoolId: message.schoolId,
      caseId: target.caseId,
      target: target.target,
      platform: 'teams',
      conversationId: target.address?.conversationId ?? target.conversationId ?? '',
      renderedVersion: target.version,
      failure: reason,
      code,
    });
    this.#options.logger.warn({ outboxId: message.id, kind: message.kind, caseId: target.caseId, target: target.target.split(':')[0], code }, 'teams card not delivered');
    if (code === 'no_chat') throw new PermanentDeliveryError(code);
  }
}

interface CallTarget {
  caseId: string;
  target: string;
  address: ConversationAddress;
  version: number;
}

/** A new case: the card, a lock-screen-safe summary, and for urgent cases an @mention of each DSL. */
function newCaseActivity(context: CaseCardContext): Partial<Activity> {
  const { summary } = context;
  const activity: Partial<Activity> = {
    ...cardActivity(channelCardFor(context, { forDsl: false, inChannel: true })),
    summary: summary.restricted ? `Restricted case ${summary.reference}` : `New ${summary.urgency} case ${summary.reference}`,
  };
  if (summary.urgency !== 'urgent' || summary.restricted) return activity;
  const mentioned = context.handlers.filter((h): h is CaseHandlerContact & { entraObjectId: string } => Boolean(h.chatUserId ?? h.entraObjectId));
  if (mentioned.length === 0) return activity;
  return {
    ...activity,
    text: `Urgent case ${summary.reference}: ${mentioned.map((h) => `<at>${escapeText(h.displayName)}</at>`).join(', ')}`,
    entities: mentioned.map((h) => ({ type: 'mention', text: `<at>${escapeText(h.displayName)}</at>`, mentioned: { id: h.chatUserId ?? h.entraObjectId, name: h.displayName } })),
  };
}

function escapeText(value: string): string {
  return value.replace(/[<>&]/g, '');
}
