import type { PacedCall, PacingLedger } from '../domain/ports.ts';

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
 *
 * With a ledger, the reservations also outlive the process: a key's recent calls are read from it the first
 * time the key is used after a start, and every reservation is written to it before its call is made
 * (reservations made while a write is under way go together in the next one, so a burst costs a write or
 * two, not one per call). A restart therefore never forgets the calls of the last hour and bursts into a
 * conversation that Teams still counts as busy.
 */
export class SlidingWindowPacer {
  readonly #reservations = new Map<string, number[]>();
  readonly #blockedUntil = new Map<string, number>();
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #ledger: PacingLedger | undefined;
  readonly #onLedgerError: (error: unknown) => void;
  readonly #loaded = new Map<string, Promise<void>>();
  #unwritten: PacedCall[] = [];
  #writing: Promise<void> | undefined;
  #nextWrite: Promise<void> | undefined;
  #forgottenAt = 0;

  constructor(
    options: {
      now?: () => number;
      sleep?: (ms: number) => Promise<void>;
      /** Where recent calls are kept across restarts; without one the pacer remembers only this process's calls. */
      ledger?: PacingLedger;
      /** A ledger that cannot be read or written is reported here; pacing goes on from memory. */
      onLedgerError?: (error: unknown) => void;
    } = {},
  ) {
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#ledger = options.ledger;
    this.#onLedgerError = options.onLedgerError ?? (() => undefined);
  }

  /** Reserves a slot for one call touching all these keys and waits for it; returns the wait in ms. */
  async acquire(keys: readonly PacedKey[]): Promise<number> {
    await this.#load(keys);
    const now = this.#now();
    const at = this.reserve(keys, now);
    await this.#write(keys, at);
    const wait = at - now;
    if (wait > 0) await this.#sleep(Math.max(0, at - this.#now()));
    return wait;
  }

  /** How long from now a call touching these keys would have to wait; nothing is reserved. */
  async waitFor(keys: readonly PacedKey[]): Promise<number> {
    await this.#load(keys);
    const now = this.#now();
    return Math.max(0, this.#earliestSlot(keys, now) - now);
  }

  /**
   * Like acquire, but refuses to wait longer than `maxWaitMs` (a queue's lease would run out meanwhile):
   * then nothing is reserved and the caller is told how long to come back after.
   */
  async tryAcquire(keys: readonly PacedKey[], maxWaitMs: number): Promise<{ ok: true; waitedMs: number } | { ok: false; retryInMs: number }> {
    await this.#load(keys);
    const now = this.#now();
    const at = this.#earliestSlot(keys, now);
    if (at - now > maxWaitMs) return { ok: false, retryInMs: at - now };
    this.#take(keys, at);
    await this.#write(keys, at);
    const wait = at - now;
    if (wait > 0) await this.#sleep(Math.max(0, at - this.#now()));
    return { ok: true, waitedMs: wait };
  }

  /**
   * Reads a key's calls from the ledger the first time it is used in this process (once, however many callers
   * arrive together). A key whose history cannot be read is treated as busy for its shorter windows: one
   * conversation's card waits a few seconds rather than risk a burst Teams would refuse.
   */
  #load(keys: readonly PacedKey[]): Promise<unknown> {
    const ledger = this.#ledger;
    if (!ledger) return Promise.resolve();
    return Promise.all(
      keys.map(({ key, windows }) => {
        let loading = this.#loaded.get(key);
        if (!loading) {
          const now = this.#now();
          const longest = longestWindow(windows);
          loading = ledger.recent(key, now - longest).then(
            (times) => this.#merge(key, times),
            (error: unknown) => {
              this.#onLedgerError(error);
              const short = windows.filter((w) => w.perMs <= 2000).map((w) => w.perMs);
              if (short.length) this.blockUntil(key, now + Math.max(...short));
            },
          );
          this.#loaded.set(key, loading);
        }
        return loading;
      }),
    );
  }

  #merge(key: string, stored: readonly number[]): void {
    if (stored.length === 0) return;
    const merged = [...stored, ...(this.#reservations.get(key) ?? [])].sort((a, b) => a - b);
    this.#reservations.set(key, merged);
  }

  /**
   * Writes a reservation to the ledger before its call is made. Reservations that arrive while a write is
   * running wait for the next one, which carries them all: a group commit.
   */
  #write(keys: readonly PacedKey[], at: number): Promise<void> {
    if (!this.#ledger) return Promise.resolve();
    for (const { key, windows } of keys) this.#unwritten.push({ key, at, keepUntil: at + longestWindow(windows) });
    if (!this.#writing) return this.#flush();
    this.#nextWrite ??= this.#writing.then(() => {
      this.#nextWrite = undefined;
      return this.#flush();
    });
    return this.#nextWrite;
  }

  #flush(): Promise<void> {
    const ledger = this.#ledger!;
    const batch = this.#unwritten;
    this.#unwritten = [];
    const now = this.#now();
    // Now and then, drop what no longer counts anywhere, so the table holds at most an hour of calls.
    const forget = now - this.#forgottenAt > 60_000 ? ((this.#forgottenAt = now), ledger.forget(now)) : undefined;
    // A ledger that fails is reported and the call goes ahead, paced from memory: a card matters more than the record.
    const writing: Promise<void> = Promise.all([ledger.record(batch), forget])
      .then(
        () => undefined,
        (error: unknown) => this.#onLedgerError(error),
      )
      .finally(() => {
        if (this.#writing === writing) this.#writing = undefined;
      });
    this.#writing = writing;
    return writing;
  }

  /** Waits for reservations still being written (a clean stop). */
  async flush(): Promise<void> {
    while (this.#writing || this.#nextWrite) await (this.#nextWrite ?? this.#writing);
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
    const longest = longestWindow(keys.find((k) => k.key === key)?.windows ?? []);
    const keepAfter = now - longest;
    let drop = 0;
    while (drop < history.length && history[drop]! <= keepAfter) drop += 1;
    if (drop > 0) history.splice(0, drop);
    if (history.length === 0) this.#reservations.delete(key);
  }
}

function longestWindow(windows: readonly RateWindow[]): number {
  return Math.max(0, ...windows.map((w) => w.perMs));
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
