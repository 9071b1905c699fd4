import type { Activity, CloudAdapter, ConversationParameters, ConversationReference } from 'botbuilder';
import { CARD_REFRESH_WINDOW_MS, OUTBOX_KINDS } from '../../src/app/case-messages.ts';
import type { AppDeps } from '../../src/app/deps.ts';
import { prepareCaseCard, type CaseCardContext, type CaseHandlerContact } from '../../src/app/prepare-case-card.ts';
import { prepareNotification, recordNotificationSent } from '../../src/app/prepare-notification.ts';
import { recordCaseCardFailed, recordCaseCardPosted } from '../../src/app/record-case-card.ts';
import { canNotifyByEmail, sendNotificationEmail } from '../../src/app/send-notification-email.ts';
import { NOTIFICATION_EVENTS, type NotificationEvent } from '../../src/domain/case-summary.ts';
import { CHANNEL_TARGET, personTarget, type ConversationAddress } from '../../src/domain/chat.ts';
import type { OutboxMessage } from '../../src/domain/ports.ts';
import { DEFAULT_MAX_ATTEMPTS, PermanentDeliveryError, RetryableDeliveryError, type OutboxHandler } from '../../src/jobs/outbox-dispatcher.ts';
import type { PacedKey, SlidingWindowPacer } from '../../src/jobs/sliding-window-pacer.ts';
import type { Logger } from '../../src/logger.ts';
import { channelCardFor, notificationCardFor, type CardJson } from './case-cards.ts';

/** Teams' documented limits for one bot in one conversation. */
const CONVERSATION_WINDOWS = [
  { limit: 7, perMs: 1000 },
  { limit: 8, perMs: 2000 },
  { limit: 60, perMs: 30_000 },
  { limit: 1800, perMs: 3_600_000 },
] as const;

/** Longest a handler waits for a pacing slot inside its outbox lease (60 s) before handing back to the queue. */
const MAX_PACING_WAIT_MS = 10_000;

const RETRYABLE_STATUSES = new Set([408, 412, 429, 500, 502, 503, 504]);
const CARD = 'application/vnd.microsoft.card.adaptive';

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
export class TeamsDelivery {
  readonly #options: TeamsDeliveryOptions;
  readonly #caseQueues = new Map<string, Promise<void>>();

  constructor(options: TeamsDeliveryOptions) {
    this.#options = options;
  }

  handlers(): Record<string, OutboxHandler> {
    return {
      [OUTBOX_KINDS.caseCreated]: (message) => this.postCaseCard(message),
      [OUTBOX_KINDS.cardRefresh]: (message) => this.refreshCaseCard(message),
      [OUTBOX_KINDS.personNotify]: (message) => this.notifyPerson(message),
    };
  }

  /**
   * Posts and edits of one case's card run one at a time in this process, so two edits never race and
   * land out of order (each renders the case as it is when its turn comes).
   */
  #oneAtATime(caseId: string, work: () => Promise<void>): Promise<void> {
    const previous = this.#caseQueues.get(caseId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    const settled = run.catch(() => undefined);
    this.#caseQueues.set(caseId, settled);
    void settled.then(() => {
      if (this.#caseQueues.get(caseId) === settled) this.#caseQueues.delete(caseId);
    });
    return run;
  }

  postCaseCard(message: OutboxMessage): Promise<void> {
    return this.#oneAtATime(String(message.payload.caseId), () => this.#postCaseCard(message));
  }

  refreshCaseCard(message: OutboxMessage): Promise<void> {
    return this.#oneAtATime(String(message.payload.caseId), () => this.#refreshCaseCard(message));
  }

  async #postCaseCard(message: OutboxMessage): Promise<void> {
    const caseId = String(message.payload.caseId);
    const context = await prepareCaseCard(this.#options.deps, { schoolId: message.schoolId, caseId, platform: 'teams', onlyWithChannel: true });
    if (!context) {
      // No case channel yet (or no Teams): the school sees its cases in the case list; nothing to post.
      this.#options.logger.debug({ outboxId: message.id, kind: message.kind }, 'no teams case channel: card not posted');
      return;
    }
    if (context.card?.state === 'posted') return this.#refreshCaseCard(message);
    const channel = context.channel;
    if (!channel) return;
    const activity = newCaseActivity(context);
    const activityId = await this.#call(message, { caseId, target: CHANNEL_TARGET, address: channel.address, version: context.summary.version }, (ctx) => ctx.send(activity));
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

  async #refreshCaseCard(message: OutboxMessage): Promise<void> {
    const caseId = String(message.payload.caseId);
    const context = await prepareCaseCard(this.#options.deps, { schoolId: message.schoolId, caseId, platform: 'teams', onlyWithChannel: true });
    if (!context?.channel) return;
    const { card } = context;
    if (!card) throw new RetryableDeliveryError('the case card has not been posted yet', 2000);
    if (!card.activityId || card.renderedVersion >= context.summary.version) return;
    // One edit per card per window, however the queue's timing falls: come back when the window has passed.
    const sinceLastEdit = this.#options.deps.clock.now().getTime() - Date.parse(card.updatedAt);
    if (sinceLastEdit < CARD_REFRESH_WINDOW_MS) throw new RetryableDeliveryError('the card was edited moments ago', CARD_REFRESH_WINDOW_MS - sinceLastEdit);
    const address = { ...context.channel.address, conversationId: card.conversationId };
    const activity = { ...cardActivity(channelCardFor(context, { forDsl: false, inChannel: true })), id: card.activityId };
    await this.#call(message, { caseId, target: CHANNEL_TARGET, address, version: context.summary.version }, (ctx) => ctx.update(activity));
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

  async notifyPerson(message: OutboxMessage): Promise<void> {
    const caseId = String(message.payload.caseId);
    const personId = String(message.payload.personId);
    const event = String(message.payload.event) as NotificationEvent;
    if (!NOTIFICATION_EVENTS.includes(event)) throw new PermanentDeliveryError(`unknown notification event ${event}`);
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
        address = await this.#openPersonalChat(message, { caseId, target, address: channelAddress, version: 0 }, memberId);
      } catch (error) {
        // Teams refused the 1:1 chat for good (the app is not installed for them): email instead, if we can.
        if (!(error instanceof PermanentDeliveryError) || !canNotifyByEmail(deps)) throw error;
        await sendNotificationEmail(deps, { schoolId: message.schoolId, caseId, personId, event });
        return;
      }
    }
    await this.#call(message, { caseId, target, address, version: 0 }, (ctx) => ctx.send({ ...cardActivity(card), summary: prepared.text.title }));
    await recordNotificationSent(deps, { schoolId: message.schoolId, caseId, personId, event, platform: 'teams' });
  }

  async #openPersonalChat(message: OutboxMessage, target: CallTarget, memberId: string): Promise<ConversationAddress> {
    const { adapter, botAppId, connectorAudience } = this.#options;
    const { address } = target;
    const parameters = {
      isGroup: false,
      bot: { id: address.botId ?? botAppId, name: 'DSL Desk' },
      members: [{ id: memberId, name: '' }],
      tenantId: address.tenantId,
      channelData: { tenant: { id: address.tenantId } },
      activity: undefined,
    } as unknown as ConversationParameters;
    let conversationId = '';
    await this.#guard(message, target, async () => {
      await adapter.createConversationAsync(botAppId, 'msteams', address.serviceUrl, connectorAudience, parameters, async (context) => {
        conversationId = context.activity.conversation.id;
      });
      return undefined;
    });
    const { teamId: _team, channelId: _channel, ...personal } = address;
    return { ...personal, conversationId };
  }

  /** One paced Bot Connector call with Teams' error statuses mapped onto retry or "not delivered". */
  async #call(message: OutboxMessage, target: CallTarget, work: (connector: ConnectorCalls) => Promise<string | undefined>): Promise<string | undefined> {
    const { adapter, botAppId } = this.#options;
    const { address } = target;
    const reference: Partial<ConversationReference> = {
      channelId: 'msteams',
      serviceUrl: address.serviceUrl,
      conversation: { id: address.conversationId, isGroup: Boolean(address.channelId), conversationType: address.channelId ? 'channel' : 'personal', tenantId: address.tenantId, name: '' },
      ...(address.botId ? { bot: { id: address.botId, name: 'DSL Desk' } } : {}),
    };
    return this.#guard(message, target, async () => {
      let result: string | undefined;
      await adapter.continueConversationAsync(botAppId, reference, async (context) => {
        result = await work({
          send: async (activity) => (await context.sendActivity(activity))?.id,
          update: async (activity) => {
            await context.updateActivity(activity);
            return activity.id;
          },
        });
      });
      return result;
    });
  }

  async #guard<T>(message: OutboxMessage, target: CallTarget, call: () => Promise<T>): Promise<T> {
    const { pacer, tenantRequestsPerSecond } = this.#options;
    const conversationKey = `teams:conversation:${target.address.conversationId}`;
    const keys: PacedKey[] = [
      { key: conversationKey, windows: CONVERSATION_WINDOWS },
      { key: `teams:tenant:${target.address.tenantId ?? 'unknown'}`, windows: [{ limit: tenantRequestsPerSecond, perMs: 1000 }] },
    ];
    // Never sleep past the outbox lease: a long wait (a full 30-second window, a Retry-After) goes back to the queue.
    const slot = await pacer.tryAcquire(keys, MAX_PACING_WAIT_MS);
    if (!slot.ok) throw new RetryableDeliveryError('paced under the Teams limits', slot.retryInMs);
    try {
      return await call();
    } catch (error) {
      const failure = describeFailure(error);
      if (failure.retryable) {
        if (failure.retryAfterMs) pacer.blockUntil(conversationKey, Date.now() + failure.retryAfterMs);
        if (message.attempts >= DEFAULT_MAX_ATTEMPTS) {
          await this.#fail(message, target, failure.code, 'Teams did not accept the card after many tries. It will not be tried again; open the case from DSL Desk.');
        }
        throw new RetryableDeliveryError(`teams answered ${failure.code}`, failure.retryAfterMs);
      }
      await this.#fail(message, target, failure.code, failure.reason);
      throw new PermanentDeliveryError(`teams answered ${failure.code}`);
    }
  }

  async #fail(message: OutboxMessage, target: Omit<CallTarget, 'address'> & { conversationId?: string; address?: ConversationAddress }, code: string, reason: string): Promise<void> {
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

interface ConnectorCalls {
  send(activity: Partial<Activity>): Promise<string | undefined>;
  update(activity: Partial<Activity>): Promise<string | undefined>;
}

function cardActivity(card: CardJson): Partial<Activity> {
  return { type: 'message', attachments: [{ contentType: CARD, content: card }] };
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

interface DeliveryFailure {
  retryable: boolean;
  retryAfterMs?: number;
  code: string;
  reason: string;
}

/** Teams' answers, sorted into "try again later" and "this will never work: tell the DSLs". */
export function describeFailure(error: unknown): DeliveryFailure {
  const e = (error ?? {}) as { statusCode?: number; status?: number; code?: string; body?: unknown; response?: { status?: number; headers?: unknown; bodyAsText?: string } };
  const status = e.statusCode ?? e.status ?? e.response?.status;
  const retryAfterMs = parseRetryAfter(headerOf(e.response?.headers, 'retry-after'));
  const teamsCode = errorCodeOf(e) ?? (status ? `http_${status}` : 'network');
  if (status === undefined || RETRYABLE_STATUSES.has(status)) {
    return { retryable: true, code: teamsCode, reason: 'Teams was busy or unreachable.', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (status === 403) return { retryable: false, code: teamsCode, reason: reasonFor403(teamsCode) };
  if (status === 404) return { retryable: false, code: teamsCode, reason: 'The Teams conversation no longer exists. Choose the channel for cases again.' };
  return { retryable: false, code: teamsCode, reason: `Teams refused the card (${teamsCode}).` };
}

function reasonFor403(code: string): string {
  switch (code) {
    case 'BotNotInConversationRoster':
      return 'DSL Desk is no longer in that team or chat. Add the app again, then choose the channel for cases again.';
    case 'BotDisabledByAdmin':
      return 'The school’s Teams administrator has blocked DSL Desk. Ask IT to allow the app.';
    case 'MessageWritesBlocked':
      return 'Teams is not accepting messages in that conversation.';
    default:
      return `Teams refused the card (${code}).`;
  }
}

function errorCodeOf(error: { code?: string; body?: unknown; response?: { bodyAsText?: string } }): string | undefined {
  const fromBody = (body: unknown): string | undefined => {
    const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
    return typeof code === 'string' ? code : undefined;
  };
  const parsed = fromBody(error.body);
  if (parsed) return parsed;
  try {
    const text = error.response?.bodyAsText;
    if (text) return fromBody(JSON.parse(text));
  } catch {
    // Not JSON: fall back to the status.
  }
  return typeof error.code === 'string' && /^[A-Za-z]+$/.test(error.code) && error.code !== 'RestError' ? error.code : undefined;
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  const withGet = headers as { get?: (n: string) => string | null | undefined };
  if (typeof withGet.get === 'function') return withGet.get(name) ?? undefined;
  const record = headers as Record<string, string | undefined>;
  return record[name] ?? record[name.toLowerCase()];
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
