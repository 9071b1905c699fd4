import { randomUUID } from 'node:crypto';
import type { Clock, OutboxMessage, OutboxStore } from '../domain/ports.ts';
import type { Logger } from '../logger.ts';

/** A failure that retrying cannot fix (for example a 403 from Teams): recorded, not retried. */
export class PermanentDeliveryError extends Error {
  override name = 'PermanentDeliveryError';
}

/** A failure worth retrying, optionally after the wait the other side asked for (Retry-After). */
export class RetryableDeliveryError extends Error {
  override name = 'RetryableDeliveryError';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Not a failure: the message is not to run yet (a card edit held while someone works on the card). It goes
 * back to the queue until `until`, without counting as an attempt or recording an error.
 */
export class DeferDelivery extends Error {
  override name = 'DeferDelivery';
  readonly until: Date;
  constructor(message: string, until: Date) {
    super(message);
    this.until = until;
  }
}

/** After this many failed attempts a message is given up, unless its kind was registered with another policy. */
export const DEFAULT_MAX_ATTEMPTS = 10;

/** How long a safeguarding message (a case card, an urgent escalation, a reporter's notice) keeps trying. */
export const SAFEGUARDING_RETRY_MS = 72 * 60 * 60_000;

/**
 * When a kind gives up on transient failures: after a number of attempts, or once the message is older
 * than `keepTryingMs` (a deadline, so a long outage cannot use the tries up in minutes). Permanent errors
 * end it at once either way.
 */
export type RetryPolicy = { maxAttempts: number } | { keepTryingMs: number };

/** The policy for kinds that must not be given up while Teams is having a bad day. */
export const SAFEGUARDING_RETRY: RetryPolicy = { keepTryingMs: SAFEGUARDING_RETRY_MS };

/** What a handler is told about the attempt it is running. */
export interface OutboxAttempt {
  /** A failure now is the last: the handler records "not delivered" before the message is given up. */
  final: boolean;
  /** When the attempt started, by the dispatcher's clock. */
  now: Date;
}

export type OutboxHandler = (message: OutboxMessage, attempt: OutboxAttempt) => Promise<void>;

export interface DispatcherOptions {
  store: OutboxStore;
  clock: Clock;
  logger: Logger;
  pollMs?: number;
  batchSize?: number;
  leaseMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Most messages being handled at once when running continuously (default twice the batch size). */
  maxInFlight?: number;
  /** Longest wait between polls while they keep failing (the database is away). Default 30 s. */
  maxPollBackoffMs?: number;
  random?: () => number;
}

/**
 * Runs the work that must happen after a commit (posting cards, sending reminders). Several instances
 * can run one each: claims are leased, so a crashed instance's messages are picked up after the lease.
 * Surfaces register a handler per message kind; kinds nobody handles stay queued until someone does.
 */
export class OutboxDispatcher {
  readonly owner = `dispatcher-${randomUUID()}`;
  readonly #handlers = new Map<string, { handler: OutboxHandler; policy: RetryPolicy | undefined }>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #options: Required<Omit<DispatcherOptions, 'store' | 'clock' | 'logger'>> & Pick<DispatcherOptions, 'store' | 'clock' | 'logger'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  #pollFailures = 0;

  constructor(options: DispatcherOptions) {
    this.#options = {
      pollMs: 1000,
      batchSize: 20,
      leaseMs: 60_000,
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
      baseDelayMs: 1000,
      maxDelayMs: 10 * 60_000,
      maxPollBackoffMs: 30_000,
      random: Math.random,
      maxInFlight: (options.batchSize ?? 20) * 2,
      ...options,
    };
  }

  /** Runs `handler` for messages of `kind`; without a policy, transient failures are given up after `maxAttempts`. */
  register(kind: string, handler: OutboxHandler, policy?: RetryPolicy): void {
    this.#handlers.set(kind, { handler, policy });
  }

  /** Whether a failure of this attempt would be the last one. */
  isFinalAttempt(message: OutboxMessage, now: Date): boolean {
    const policy = this.#handlers.get(message.kind)?.policy ?? { maxAttempts: this.#options.maxAttempts };
    if ('maxAttempts' in policy) return message.attempts >= policy.maxAttempts;
    return now.getTime() - Date.parse(message.createdAt) >= policy.keepTryingMs;
  }

  /** Exponential backoff with full jitter, never sooner than the other side asked. */
  retryDelayMs(attempts: number, retryAfterMs?: number): number {
    const ceiling = Math.min(this.#options.maxDelayMs, this.#options.baseDelayMs * 2 ** Math.max(0, attempts - 1));
    const jittered = Math.round(ceiling / 2 + this.#options.random() * (ceiling / 2));
    return Math.max(jittered, retryAfterMs ?? 0);
  }

  /** The wait before the next poll: pollMs, doubling (with jitter) after each failed poll up to maxPollBackoffMs. */
  #pollDelayMs(): number {
    const { pollMs, maxPollBackoffMs } = this.#options;
    if (this.#pollFailures === 0) return pollMs;
    const ceiling = Math.max(pollMs, Math.min(maxPollBackoffMs, pollMs * 2 ** this.#pollFailures));
    return Math.round(ceiling / 2 + this.#options.random() * (ceiling / 2));
  }

  /** Claims and runs one batch; returns how many messages were handled. */
  async runOnce(): Promise<number> {
    const messages = await this.#claim(this.#options.batchSize);
    await Promise.all(messages.map((message) => this.#handle(message)));
    return messages.length;
  }

  #claim(limit: number): Promise<OutboxMessage[]> {
    const { store, clock } = this.#options;
    return store.claim({ owner: this.owner, kinds: [...this.#handlers.keys()], limit, leaseMs: this.#options.leaseMs, now: clock.now() });
  }

  async #handle(message: OutboxMessage): Promise<void> {
    const { store, clock, logger } = this.#options;
    const { handler } = this.#handlers.get(message.kind)!;
    const now = clock.now();
    const final = this.isFinalAttempt(message, now);
    try {
      await handler(message, { final, now });
      await store.complete(message.id, this.owner, clock.now().toISOString());
    } catch (error) {
      if (error instanceof DeferDelivery) {
        try {
          await store.defer(message.id, this.owner, error.until.toISOString());
          logger.debug({ outboxId: message.id, kind: message.kind, until: error.until.toISOString() }, 'outbox message held');
        } catch (storeError) {
          // The lease runs out and the message is claimed again, and held again if it still must wait.
          logger.error({ outboxId: message.id, err: { message: (storeError as Error).message } }, 'outbox hold could not be recorded');
        }
        return;
      }
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
      const permanent = error instanceof PermanentDeliveryError || final;
      const retryAt = permanent ? null : new Date(clock.now().getTime() + this.retryDelayMs(message.attempts, error instanceof RetryableDeliveryError ? error.retryAfterMs : undefined)).toISOString();
      try {
        await store.fail(message.id, this.owner, reason, retryAt);
      } catch (storeError) {
        // The lease runs out and the message is claimed again: nothing is lost.
        logger.error({ outboxId: message.id, err: { message: (storeError as Error).message } }, 'outbox failure could not be recorded');
      }
      logger.warn({ outboxId: message.id, kind: message.kind, attempts: message.attempts, permanent, reason }, 'outbox message failed');
    }
  }

  /**
   * Runs continuously: keeps up to `maxInFlight` messages in hand and claims more as soon as there is room,
   * so a paced sender (Teams at 30 calls a second) never idles between batches waiting for the slowest
   * message of the last one. When the queue is empty it sleeps `pollMs`.
   */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const tick = async () => {
      if (this.#stopped) return;
      try {
        for (;;) {
          if (this.#stopped) break;
          const room = this.#options.maxInFlight - this.#inFlight.size;
          if (room <= 0) {
            await Promise.race(this.#inFlight);
            continue;
          }
          const limit = Math.min(this.#options.batchSize, room);
          const messages = await this.#claim(limit);
          for (const message of messages) {
            const running: Promise<void> = this.#handle(message).finally(() => this.#inFlight.delete(running));
            this.#inFlight.add(running);
          }
          // Fewer than asked for: the queue is empty for now.
          if (messages.length < limit) break;
        }
        if (this.#pollFailures > 0) this.#options.logger.info({ failedPolls: this.#pollFailures }, 'outbox poll recovered');
        this.#pollFailures = 0;
      } catch (error) {
        // The database being away fails every poll until it returns: log the first failure, not each one,
        // and poll less often meanwhile instead of spinning.
        this.#pollFailures += 1;
        const cause = (error as Error).cause as Error | undefined;
        const detail = { failedPolls: this.#pollFailures, err: { message: (error as Error).message, ...(cause?.message ? { cause: cause.message } : {}) } };
        if (this.#pollFailures === 1) this.#options.logger.error(detail, 'outbox poll failed; backing off until it succeeds');
        else this.#options.logger.debug(detail, 'outbox poll failed again');
      }
      if (!this.#stopped) this.#timer = setTimeout(() => (this.#running = tick()), this.#pollDelayMs());
    };
    this.#running = tick();
  }

  /** Claims nothing more and waits for the messages in hand to finish: a stop never leaves a card half-sent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    await Promise.all(this.#inFlight);
  }
}
