import type { Activity, CloudAdapter, ConversationParameters, ConversationReference, TurnContext } from 'botbuilder';
import type { ConversationAddress } from '../../src/domain/chat.ts';
import { RetryableDeliveryError } from '../../src/jobs/outbox-dispatcher.ts';
import type { PacedKey, SlidingWindowPacer } from '../../src/jobs/sliding-window-pacer.ts';

/** Teams' documented limits for one bot in one conversation. */
export const CONVERSATION_WINDOWS = [
  { limit: 7, perMs: 1000 },
  { limit: 8, perMs: 2000 },
  { limit: 60, perMs: 30_000 },
  { limit: 1800, perMs: 3_600_000 },
] as const;

/**
 * Teams counts a call when it arrives; the pacer counts it from the slot it reserved. A call that slept to its
 * slot arrives on time, while one that went at once can arrive a little late (its reservation being written, a
 * connector client made for the first time), which squeezes the gap between them. Each window is paced this
 * much longer than Teams' own, so that squeeze never adds up to one call too many.
 */
export const PACING_MARGIN_MS = 250;
const PACED_CONVERSATION_WINDOWS = CONVERSATION_WINDOWS.map((w) => ({ limit: w.limit, perMs: w.perMs + PACING_MARGIN_MS }));

/** Longest a handler waits for a pacing slot inside its outbox lease (60 s) before handing back to the queue. */
export const MAX_PACING_WAIT_MS = 10_000;

const RETRYABLE_STATUSES = new Set([408, 412, 429, 500, 502, 503, 504]);
const CARD = 'application/vnd.microsoft.card.adaptive';

export interface PacedConnectorOptions {
  adapter: CloudAdapter;
  /** Empty in the local sandbox, where nothing is signed. */
  botAppId: string;
  /** The audience of outbound tokens (the Bot Connector's OAuth scope). */
  connectorAudience: string;
  /** Shared by every sender in the process, so all of them together stay under Teams' limits. */
  pacer: SlidingWindowPacer;
  /** This sender's share of the tenant's requests per second (Teams allows 50 per app per tenant). */
  tenantRequestsPerSecond: number;
}

export interface ConnectorCalls {
  send(activity: Partial<Activity>): Promise<string | undefined>;
  update(activity: Partial<Activity>): Promise<string | undefined>;
}

export interface DeliveryFailure {
  retryable: boolean;
  retryAfterMs?: number;
  code: string;
  reason: string;
}

/** Teams refused a Bot Connector call (or could not be reached): its answer, sorted by describeFailure. */
export class TeamsCallError extends Error {
  override name = 'TeamsCallError';
  readonly failure: DeliveryFailure;

  constructor(failure: DeliveryFailure, cause: unknown) {
    super(`teams answered ${failure.code}`, { cause });
    this.failure = failure;
  }
}

/**
 * Bot Connector calls under Teams' limits: each call first takes a slot for its conversation and its
 * tenant from the shared pacer (a wait longer than MAX_PACING_WAIT_MS goes back to the outbox queue as a
 * RetryableDeliveryError), and a refusal comes back as a TeamsCallError. A Retry-After also holds back
 * the next calls to that conversation. What a refusal means for the caller's records is the caller's call.
 */
export class PacedConnector {
  readonly #options: PacedConnectorOptions;

  constructor(options: PacedConnectorOptions) {
    this.#options = options;
  }

  /** Runs `work` in the conversation at `address`, as the bot, without anyone present. */
  async call<T>(address: ConversationAddress, work: (connector: ConnectorCalls) => Promise<T>): Promise<T> {
    const { adapter, botAppId } = this.#options;
    const reference: Partial<ConversationReference> = {
      channelId: 'msteams',
      serviceUrl: address.serviceUrl,
      conversation: { id: address.conversationId, isGroup: Boolean(address.channelId), conversationType: address.channelId ? 'channel' : 'personal', tenantId: address.tenantId, name: '' },
      ...(address.botId ? { bot: { id: address.botId, name: 'DSL Desk' } } : {}),
    };
    return this.#paced(address, async () => {
      let result: T | undefined;
      await adapter.continueConversationAsync(botAppId, reference, async (context) => {
        withoutSdkRetries(context);
        result = await work({
          send: async (activity) => (await context.sendActivity(activity))?.id,
          update: async (activity) => {
            await context.updateActivity(activity);
            return activity.id;
          },
        });
      });
      return result as T;
    });
  }

  /** Opens (or finds) the 1:1 chat with a member, through the connector that serves `address` (a channel of the same tenant). */
  async openPersonalChat(address: ConversationAddress, memberId: string): Promise<ConversationAddress> {
    const { adapter, botAppId, connectorAudience } = this.#options;
    const parameters = {
      isGroup: false,
      bot: { id: address.botId ?? botAppId, name: 'DSL Desk' },
      members: [{ id: memberId, name: '' }],
      tenantId: address.tenantId,
      channelData: { tenant: { id: address.tenantId } },
      activity: undefined,
    } as unknown as ConversationParameters;
    let conversationId = '';
    await this.#paced(address, () =>
      adapter.createConversationAsync(botAppId, 'msteams', address.serviceUrl, connectorAudience, parameters, async (context) => {
        conversationId = context.activity.conversation.id;
      }),
    );
    const { teamId: _team, channelId: _channel, ...personal } = address;
    return { ...personal, conversationId };
  }

  async #paced<T>(address: ConversationAddress, call: () => Promise<T>): Promise<T> {
    const { pacer, tenantRequestsPerSecond } = this.#options;
    const conversationKey = `teams:conversation:${address.conversationId}`;
    const keys: PacedKey[] = [
      { key: conversationKey, windows: PACED_CONVERSATION_WINDOWS },
      // The per-second share, and evenly spaced within it: a burst of 30 in the first few milliseconds of a second
      // (after a slow start, or a pause of the event loop) would meet Teams' per-second count bunched up.
      {
        key: `teams:tenant:${address.tenantId ?? 'unknown'}`,
        windows: [
          { limit: tenantRequestsPerSecond, perMs: 1000 },
          { limit: 1, perMs: Math.floor(1000 / tenantRequestsPerSecond) },
        ],
      },
    ];
    // Never sleep past the outbox lease: a long wait (a full 30-second window, a Retry-After) goes back to the queue.
    const slot = await pacer.tryAcquire(keys, MAX_PACING_WAIT_MS);
    if (!slot.ok) throw new RetryableDeliveryError('paced under the Teams limits', slot.retryInMs);
    try {
      return await call();
    } catch (error) {
      const failure = describeFailure(error);
      if (failure.retryable && failure.retryAfterMs) pacer.blockUntil(conversationKey, Date.now() + failure.retryAfterMs);
      throw new TeamsCallError(failure, error);
    }
  }
}

/** A message that is one Adaptive Card. */
export function cardActivity(card: object): Partial<Activity> {
  return { type: 'message', attachments: [{ contentType: CARD, content: card }] };
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

/**
 * Takes the SDK's own retry policy out of this turn's Bot Connector client. It would resend a 429 (after
 * Retry-After) or a dropped connection outside the pacer, past the tenant's share, while holding the
 * outbox's slot; instead the failure goes back to the outbox, which waits and sends again through the
 * pacer. The client is made per turn, so nothing else is affected.
 */
function withoutSdkRetries(context: TurnContext): void {
  const connector = context.turnState.get(context.adapter.ConnectorClientKey) as { client?: { pipeline?: { removePolicy(options: { name: string }): unknown } } } | undefined;
  connector?.client?.pipeline?.removePolicy({ name: 'defaultRetryPolicy' });
}
