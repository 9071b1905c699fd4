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

/** After this many failed attempts a message is given up; handlers use it to record "not delivered" in time. */
export const DEFAULT_MAX_ATTEMPTS = 10;

export type OutboxHandler = (message: OutboxMessage) => Promise<void>;

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
  random?: () => number;
}

/**
 * Runs the work that must happen after a commit (posting cards, sending reminders). Several instances
 * can run one each: claims are leased, so a crashed instance's messages are picked up after the lease.
 * Surfaces register a handler per message kind; kinds nobody handles stay queued until someone does.
 */
export class OutboxDispatcher {
  readonly owner = `dispatcher-${randomUUID()}`;
  readonly #handlers = new Map<string, OutboxHandler>();
  readonly #options: Required<Omit<DispatcherOptions, 'store' | 'clock' | 'logger'>> & Pick<DispatcherOptions, 'store' | 'clock' | 'logger'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;

  constructor(options: DispatcherOptions) {
    this.#options = {
      pollMs: 1000,
      batchSize: 20,
      leaseMs: 60_000,
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
      baseDelayMs: 1000,
      maxDelayMs: 10 * 60_000,
      random: Math.random,
      ...options,
    };
  }

  register(kind: string, handler: OutboxHandler): void {
    this.#handlers.set(kind, handler);
  }

  /** Exponential backoff with full jitter, never sooner than the other side asked. */
  retryDelayMs(attempts: number, retryAfterMs?: number): number {
    const ceiling = Math.min(this.#options.maxDelayMs, this.#options.baseDelayMs * 2 ** Math.max(0, attempts - 1));
    const jittered = Math.round(ceiling / 2 + this.#options.random() * (ceiling / 2));
    return Math.max(jittered, retryAfterMs ?? 0);
  }

  /** Claims and runs one batch; returns how many messages were handled. */
  async runOnce(): Promise<number> {
    const { store, clock, logger } = this.#options;
    const messages = await store.claim({ owner: this.owner, kinds: [...this.#handlers.keys()], limit: this.#options.batchSize, leaseMs: this.#options.leaseMs, now: clock.now() });
    await Promise.all(
      messages.map(async (message) => {
        const handler = this.#handlers.get(message.kind)!;
        try {
          await handler(message);
          await store.complete(message.id, this.owner, clock.now().toISOString());
        } catch (error) {
          const reason = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
          const permanent = error instanceof PermanentDeliveryError || message.attempts >= this.#options.maxAttempts;
          const retryAt = permanent ? null : new Date(clock.now().getTime() + this.retryDelayMs(message.attempts, error instanceof RetryableDeliveryError ? error.retryAfterMs : undefined)).toISOString();
          await store.fail(message.id, this.owner, reason, retryAt);
          logger.warn({ outboxId: message.id, kind: message.kind, attempts: message.attempts, permanent, reason }, 'outbox message failed');
        }
      }),
    );
    return messages.length;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const tick = async () => {
      if (this.#stopped) return;
      try {
        // A full batch means more may be waiting: go again at once instead of sleeping.
        while (!this.#stopped && (await this.runOnce()) === this.#options.batchSize);
      } catch (error) {
        this.#options.logger.error({ err: { message: (error as Error).message } }, 'outbox poll failed');
      }
      if (!this.#stopped) this.#timer = setTimeout(() => (this.#running = tick()), this.#options.pollMs);
    };
    this.#running = tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }
}
