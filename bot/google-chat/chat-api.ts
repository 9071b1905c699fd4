import type { OAuth2Client } from 'google-auth-library';
import { chat, type chat_v1 } from 'googleapis/build/src/apis/chat/index.js';
import { DeferDelivery, PermanentDeliveryError, RetryableDeliveryError } from '../../src/jobs/outbox-dispatcher.ts';
import type { PacedKey, SlidingWindowPacer } from '../../src/jobs/sliding-window-pacer.ts';

/** A google.apps.card.v1 Card, as Chat takes it inside `cardsV2[].card` and in dialogs. */
export type GoogleCard = Record<string, unknown>;

/** The parts of a Chat message DSL Desk writes (spaces.messages resource). */
export interface ChatMessageBody {
  text?: string;
  cardsV2?: { cardId: string; card: GoogleCard }[];
  /** Shows the message to this user only (`users/…`); the app can post such messages in a space. */
  privateMessageViewer?: { name: string };
}

/** Chat's per-project and per-space limits for message writes (create, patch, delete). */
export interface ChatWriteLimits {
  /** Writes per minute for the whole Cloud project (Chat allows 3,000). */
  projectWritesPerMinute: number;
  /** Writes per second in one space (Chat plans for about 1). */
  spaceWritesPerSecond: number;
  /** Space reads per minute for the project, findDirectMessage included (Chat allows 3,000). */
  projectReadsPerMinute: number;
}

export const DEFAULT_CHAT_WRITE_LIMITS: ChatWriteLimits = { projectWritesPerMinute: 2_700, spaceWritesPerSecond: 1, projectReadsPerMinute: 2_700 };

/** What DSL Desk asks of the Chat REST API, as the app (service account, `chat.bot`). */
export interface ChatApi {
  /** spaces.messages.create. `requestId` makes a repeat return the first message; returns the message name. */
  createMessage(input: { space: string; message: ChatMessageBody; requestId?: string; messageId?: string }): Promise<{ name: string }>;
  /** spaces.messages.patch of the app's own message (`spaces/…/messages/…`). */
  updateMessage(input: { name: string; message: ChatMessageBody; updateMask: string }): Promise<void>;
  /** spaces.findDirectMessage: the DM between the app and `users/…`, or undefined when there is none (404). */
  findDirectMessage(user: string): Promise<{ name: string } | undefined>;
  /** Paced implementations: how long a write to this space would wait for its slot now (nothing reserved). */
  spaceBusyFor?(space: string): Promise<number>;
}

/** A Chat API call refused or not answered: sorted into retry-later or give-up with words a DSL understands. */
export class ChatCallError extends Error {
  override name = 'ChatCallError';
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly reason: string;

  constructor(options: { status: number | undefined; retryable: boolean; retryAfterMs?: number; reason: string }, cause: unknown) {
    super(`google chat answered ${options.status ?? 'nothing'}: ${options.reason}`, { cause });
    this.status = options.status;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.reason = options.reason;
  }

  /** The outbox dispatcher's error for this failure: retried later (honouring Retry-After) or failed for good. */
  toDeliveryError(): Error {
    return this.retryable
      ? new RetryableDeliveryError(this.message, this.retryAfterMs)
      : new PermanentDeliveryError(this.reason);
  }
}

const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

function reasonFor(status: number | undefined): string {
  if (status === undefined) return 'Google Chat could not be reached';
  if (status === 429) return 'Google Chat asked DSL Desk to slow down';
  if (status === 401) return 'Google Chat refused DSL Desk\'s credentials (check the service account key)';
  if (status === 403) return 'the app is not allowed in that space (was it removed, or not installed for the school?)';
  if (status === 404) return 'the space or message no longer exists, or the app is no longer a member';
  if (status >= 500) return 'Google Chat had a fault';
  return `Google Chat refused the request (${status})`;
}

function retryAfterOf(headers: unknown): number | undefined {
  const value = headers && typeof headers === 'object' && 'get' in headers && typeof (headers as Headers).get === 'function'
    ? (headers as Headers).get('retry-after')
    : (headers as Record<string, string> | undefined)?.['retry-after'];
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Sorts a gaxios error (or a network failure) into a ChatCallError. Never copies the request body. */
export function describeChatError(error: unknown): ChatCallError {
  if (error instanceof ChatCallError) return error;
  const response = (error as { response?: { status?: number; headers?: unknown } } | undefined)?.response;
  const status = typeof response?.status === 'number' ? response.status : undefined;
  const retryable = status === undefined || RETRYABLE_STATUSES.has(status);
  const retryAfterMs = retryAfterOf(response?.headers);
  return new ChatCallError({ status, retryable, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), reason: reasonFor(status) }, error);
}

export interface GoogleChatApiOptions {
  /** Signs the calls (a JWT client is an OAuth2Client): a service-account client with the `chat.bot` scope, or (sandbox, tests) a fixed token. */
  auth: OAuth2Client;
  /** https://chat.googleapis.com/ in production; a local fake in the sandbox and the tests (origin only). */
  rootUrl: string;
  /** Per-attempt timeout; the outbox retries. */
  timeoutMs?: number;
}

/** The Chat REST API through googleapis, with failures sorted for the outbox. */
export function createGoogleChatApi(options: GoogleChatApiOptions): ChatApi {
  // Node's own fetch: otherwise gaxios imports node-fetch lazily on its first call, a second HTTP stack that
  // also cannot load in a CommonJS test runtime.
  const client: chat_v1.Chat = chat({ version: 'v1', auth: options.auth, rootUrl: options.rootUrl, timeout: options.timeoutMs ?? 15_000, retry: false, fetchImplementation: fetch });
  return {
    async createMessage({ space, message, requestId, messageId }) {
      try {
        const { data } = await client.spaces.messages.create({
          parent: space,
          requestBody: message as chat_v1.Schema$Message,
          ...(requestId ? { requestId } : {}),
          ...(messageId ? { messageId } : {}),
        });
        if (!data.name) throw new ChatCallError({ status: 200, retryable: true, reason: 'Google Chat answered without a message name' }, undefined);
        return { name: data.name };
      } catch (error) {
        throw describeChatError(error);
      }
    },
    async updateMessage({ name, message, updateMask }) {
      try {
        await client.spaces.messages.patch({ name, updateMask, requestBody: message as chat_v1.Schema$Message });
      } catch (error) {
        throw describeChatError(error);
      }
    },
    async findDirectMessage(user) {
      try {
        const { data } = await client.spaces.findDirectMessage({ name: user });
        return data.name ? { name: data.name } : undefined;
      } catch (error) {
        const described = describeChatError(error);
        if (described.status === 404) return undefined;
        throw described;
      }
    },
  };
}

/** The space a message name belongs to: `spaces/AAA/messages/BBB` → `spaces/AAA`. */
export function spaceOfMessage(name: string): string {
  const match = /^(spaces\/[^/]+)\/messages\/[^/]+$/.exec(name);
  if (!match) throw new Error('not a Chat message name');
  return match[1]!;
}

/**
 * No slot yet is not a failure: the message goes back to the queue until its slot is near, without counting
 * as an attempt. Counted as one, a DSL space's queue of cards (one a second) would push the later cards into
 * ever longer backoff and set off the "not delivered" fallback of cards that are merely waiting their turn.
 */
function waitForSlot(kind: 'write' | 'read', retryInMs: number): DeferDelivery {
  return new DeferDelivery(`waiting for a Google Chat ${kind} slot`, new Date(Date.now() + retryInMs));
}

/** Longest a write waits for a pacing slot inside its outbox lease before handing the message back to the queue. */
export const MAX_CHAT_PACING_WAIT_MS = 10_000;

/**
 * Keeps every write under Chat's limits: about one per second in each space and the project's writes per
 * minute, across all of the process's senders (cases, notices, policy campaigns share one pacer and, through
 * its ledger, remember the last minute's writes over a restart). A write that would wait longer than
 * `MAX_CHAT_PACING_WAIT_MS` is handed back to the outbox to come back when its slot is near.
 */
export class PacedChatApi implements ChatApi {
  readonly #api: ChatApi;
  readonly #pacer: SlidingWindowPacer;
  readonly #limits: ChatWriteLimits;
  readonly #projectKey: string;

  constructor(options: { api: ChatApi; pacer: SlidingWindowPacer; limits?: ChatWriteLimits; projectKey?: string }) {
    this.#api = options.api;
    this.#pacer = options.pacer;
    this.#limits = options.limits ?? DEFAULT_CHAT_WRITE_LIMITS;
    this.#projectKey = options.projectKey ?? 'google-chat:project';
  }

  #spaceKey(space: string): PacedKey {
    // A few milliseconds of margin: Chat counts a write when it arrives, the pacer from the slot it reserved.
    return { key: `google-chat:${space}`, windows: [{ limit: this.#limits.spaceWritesPerSecond, perMs: 1_050 }] };
  }

  async #paced<T>(space: string, call: () => Promise<T>): Promise<T> {
    const spaceKey = this.#spaceKey(space);
    const projectKey: PacedKey = { key: this.#projectKey, windows: [{ limit: this.#limits.projectWritesPerMinute, perMs: 60_000 }] };
    // The space's slot first, then the project's when the write is about to go. The pacer keeps each key's
    // reservations in time order, so a project slot reserved seconds ahead for a busy space (the DSL space's
    // queue of cards) would hold every other space's writes (a reporter's receipt in their DM) behind it.
    // When both are free now (a DM, most writes), one reservation takes both: one ledger write, not two.
    const both = await this.#pacer.tryAcquire([spaceKey, projectKey], 0);
    if (both.ok) return call();
    const spaceSlot = await this.#pacer.tryAcquire([spaceKey], MAX_CHAT_PACING_WAIT_MS);
    if (!spaceSlot.ok) throw waitForSlot('write', spaceSlot.retryInMs);
    const projectSlot = await this.#pacer.tryAcquire([projectKey], MAX_CHAT_PACING_WAIT_MS);
    if (!projectSlot.ok) throw waitForSlot('write', projectSlot.retryInMs);
    return call();
  }

  createMessage(input: Parameters<ChatApi['createMessage']>[0]): Promise<{ name: string }> {
    return this.#paced(input.space, () => this.#api.createMessage(input));
  }

  updateMessage(input: Parameters<ChatApi['updateMessage']>[0]): Promise<void> {
    return this.#paced(spaceOfMessage(input.name), () => this.#api.updateMessage(input));
  }

  spaceBusyFor(space: string): Promise<number> {
    return this.#pacer.waitFor([this.#spaceKey(space)]);
  }

  async findDirectMessage(user: string): Promise<{ name: string } | undefined> {
    // A space read: a policy campaign finds one DM per recipient, so reads count against the project too.
    const slot = await this.#pacer.tryAcquire([{ key: `${this.#projectKey}:reads`, windows: [{ limit: this.#limits.projectReadsPerMinute, perMs: 60_000 }] }], MAX_CHAT_PACING_WAIT_MS);
    if (!slot.ok) throw waitForSlot('read', slot.retryInMs);
    return this.#api.findDirectMessage(user);
  }
}
