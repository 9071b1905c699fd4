/** A rate limit: at most `limit` calls in any `perMs` milliseconds. */
export interface RateWindow {
  limit: number;
  perMs: number;
}

export interface PacedKey {
  key: string;
  windows: readonly RateWindow[];
}

/**
 * Spaces out calls so that every key stays under all of its sliding-window limits (Teams counts sends
 * per conversation over 1 s, 2 s, 30 s and an hour, and requests per tenant over 1 s). Each call reserves
 * the earliest moment that keeps every window it touches under its limit, then waits until that moment,
 * so concurrent callers queue fairly instead of all retrying at once. Limits hold per process: several
 * instances should each be given their share.
 */
export class SlidingWindowPacer {
  readonly #reservations = new Map<string, number[]>();
  readonly #blockedUntil = new Map<string, number>();
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {}) {
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Reserves a slot for one call touching all these keys and waits for it; returns the wait in ms. */
  async acquire(keys: readonly PacedKey[]): Promise<number> {
    const now = this.#now();
    const at = this.reserve(keys, now);
    const wait = at - now;
    if (wait > 0) await this.#sleep(wait);
    return wait;
  }

  /**
   * Like acquire, but refuses to wait longer than `maxWaitMs` (a queue's lease would run out meanwhile):
   * then nothing is reserved and the caller is told how long to come back after.
   */
  async tryAcquire(keys: readonly PacedKey[], maxWaitMs: number): Promise<{ ok: true; waitedMs: number } | { ok: false; retryInMs: number }> {
    const now = this.#now();
    const at = this.#earliestSlot(keys, now);
    if (at - now > maxWaitMs) return { ok: false, retryInMs: at - now };
    this.#take(keys, at);
    const wait = at - now;
    if (wait > 0) await this.#sleep(wait);
    return { ok: true, waitedMs: wait };
  }

  /** The slot a call would get, recorded as taken. Exposed for tests that check the arithmetic. */
  reserve(keys: readonly PacedKey[], now: number): number {
    const at = this.#earliestSlot(keys, now);
    this.#take(keys, at);
    return at;
  }

  #earliestSlot(keys: readonly PacedKey[], now: number): number {
    let at = now;
    for (const { key } of keys) {
      this.#prune(key, now, keys);
      const history = this.#reservations.get(key) ?? [];
      // Reservations for one key are kept in time order, so a new one never goes before the last.
      at = Math.max(at, history.at(-1) ?? at, this.#blockedUntil.get(key) ?? at);
    }
    for (let settled = false; !settled; ) {
      settled = true;
      for (const { key, windows } of keys) {
        const history = this.#reservations.get(key) ?? [];
        for (const window of windows) {
          const inWindow = countAfter(history, at - window.perMs);
          if (inWindow >= window.limit) {
            // Wait until the oldest reservation that keeps this window full has slid out of it.
            const oldestBlocking = history[history.length - window.limit]!;
            at = Math.max(at, oldestBlocking + window.perMs);
            settled = false;
          }
        }
      }
    }
    return at;
  }

  #take(keys: readonly PacedKey[], at: number): void {
    for (const { key } of keys) {
      const history = this.#reservations.get(key) ?? [];
      history.push(at);
      this.#reservations.set(key, history);
    }
  }

  /** Holds every call on this key until the given time (the other side answered 429 with Retry-After). */
  blockUntil(key: string, until: number): void {
    this.#blockedUntil.set(key, Math.max(until, this.#blockedUntil.get(key) ?? 0));
  }

  #prune(key: string, now: number, keys: readonly PacedKey[]): void {
    const history = this.#reservations.get(key);
    if (!history) return;
    const longest = Math.max(...(keys.find((k) => k.key === key)?.windows.map((w) => w.perMs) ?? [0]));
    const keepAfter = now - longest;
    let drop = 0;
    while (drop < history.length && history[drop]! <= keepAfter) drop += 1;
    if (drop > 0) history.splice(0, drop);
    if (history.length === 0) this.#reservations.delete(key);
  }
}

/** How many sorted timestamps are strictly after `after`. */
function countAfter(sorted: readonly number[], after: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! <= after) low = mid + 1;
    else high = mid;
  }
  return sorted.length - low;
}
