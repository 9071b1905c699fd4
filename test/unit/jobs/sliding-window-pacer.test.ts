import type { PacedCall, PacingLedger } from '../../../src/domain/ports.ts';
import { SlidingWindowPacer, type PacedKey } from '../../../src/jobs/sliding-window-pacer.ts';

const TEAMS_CONVERSATION: PacedKey['windows'] = [
  { limit: 7, perMs: 1000 },
  { limit: 8, perMs: 2000 },
  { limit: 60, perMs: 30_000 },
];

/** Checks a schedule against a window the way the other side counts: any span of perMs holds at most limit calls. */
function maxInAnyWindow(times: number[], perMs: number): number {
  let max = 0;
  for (let i = 0; i < times.length; i += 1) {
    let count = 0;
    for (let j = i; j < times.length && times[j]! < times[i]! + perMs; j += 1) count += 1;
    max = Math.max(max, count);
  }
  return max;
}

describe('sliding-window pacer', () => {
  test('a burst to one conversation is spread under every Teams window', () => {
    const pacer = new SlidingWindowPacer();
    const times = Array.from({ length: 100 }, () => pacer.reserve([{ key: 'c1', windows: TEAMS_CONVERSATION }], 0));
    expect(maxInAnyWindow(times, 1000)).toBeLessThanOrEqual(7);
    expect(maxInAnyWindow(times, 2000)).toBeLessThanOrEqual(8);
    expect(maxInAnyWindow(times, 30_000)).toBeLessThanOrEqual(60);
    // And no slower than the limits force: 60 in the first 30 s, the rest just after.
    expect(times.filter((t) => t < 30_000)).toHaveLength(60);
    expect(times[0]).toBe(0);
  });

  test('a shared tenant limit holds across conversations, while separate conversations do not wait for each other', () => {
    const pacer = new SlidingWindowPacer();
    const times = Array.from({ length: 120 }, (_, i) =>
      pacer.reserve([{ key: `conversation-${i}`, windows: TEAMS_CONVERSATION }, { key: 'tenant', windows: [{ limit: 50, perMs: 1000 }] }], 0),
    );
    expect(maxInAnyWindow(times, 1000)).toBeLessThanOrEqual(50);
    expect(times.filter((t) => t < 1000)).toHaveLength(50);
    expect(Math.max(...times)).toBeLessThan(3000);
  });

  test('a Retry-After blocks the key until then', () => {
    const pacer = new SlidingWindowPacer();
    pacer.blockUntil('c1', 5000);
    expect(pacer.reserve([{ key: 'c1', windows: TEAMS_CONVERSATION }], 100)).toBe(5000);
    expect(pacer.reserve([{ key: 'c2', windows: TEAMS_CONVERSATION }], 100)).toBe(100);
  });

  test('acquire waits for the reserved slot', async () => {
    let now = 0;
    const waits: number[] = [];
    const pacer = new SlidingWindowPacer({
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    for (let i = 0; i < 9; i += 1) await pacer.acquire([{ key: 'c', windows: [{ limit: 4, perMs: 1000 }] }]);
    expect(waits).toEqual([1000, 1000, 1000, 1000, 2000]);
    now = 10_000;
    expect(await pacer.acquire([{ key: 'c', windows: [{ limit: 4, perMs: 1000 }] }])).toBe(0);
  });

  test('tryAcquire refuses a slot further away than the caller can wait, and reserves nothing then', async () => {
    const pacer = new SlidingWindowPacer({ now: () => 0, sleep: async () => undefined });
    const keys = [{ key: 'c', windows: [{ limit: 2, perMs: 10_000 }] }];
    expect(await pacer.tryAcquire(keys, 1000)).toEqual({ ok: true, waitedMs: 0 });
    expect(await pacer.tryAcquire(keys, 1000)).toEqual({ ok: true, waitedMs: 0 });
    expect(await pacer.tryAcquire(keys, 1000)).toEqual({ ok: false, retryInMs: 10_000 });
    // The refusal took no slot: the next call with patience gets the same one.
    expect(pacer.reserve(keys, 0)).toBe(10_000);
  });

  describe('with a ledger (the database, here in memory)', () => {
    /** Records every write, and lets the test hold writes back to see reservations arrive meanwhile. */
    function memoryLedger() {
      const calls: PacedCall[] = [];
      const writes: PacedCall[][] = [];
      let gate: Promise<void> = Promise.resolve();
      const ledger: PacingLedger & { calls: PacedCall[]; writes: PacedCall[][]; hold(): () => void } = {
        calls,
        writes,
        async recent(key, since) {
          return calls.filter((c) => c.key === key && c.at >= since).map((c) => c.at).sort((a, b) => a - b);
        },
        async record(batch) {
          await gate;
          writes.push([...batch]);
          calls.push(...batch);
        },
        async forget(before) {
          const keep = calls.filter((c) => c.keepUntil >= before);
          const dropped = calls.length - keep.length;
          calls.splice(0, calls.length, ...keep);
          return dropped;
        },
        hold() {
          let release!: () => void;
          gate = new Promise((resolve) => (release = resolve));
          return release;
        },
      };
      return ledger;
    }
    const conversation = [{ key: 'teams:conversation:c1', windows: [...TEAMS_CONVERSATION, { limit: 1800, perMs: 3_600_000 }] }];

    test('a restarted pacer carries on from the calls the last one made, so a burst after a restart stays under every window', async () => {
      const ledger = memoryLedger();
      let now = 0;
      const made: number[] = [];
      const sleepUntil = async (ms: number) => {
        now += ms;
      };
      const before = new SlidingWindowPacer({ ledger, now: () => now, sleep: sleepUntil });
      for (let i = 0; i < 8; i += 1) {
        await before.acquire(conversation);
        made.push(now);
      }
      // The restart: a new process, nothing in memory, 49 ms later.
      now += 49;
      const after = new SlidingWindowPacer({ ledger, now: () => now, sleep: sleepUntil });
      for (let i = 0; i < 8; i += 1) {
        await after.acquire(conversation);
        made.push(now);
      }
      expect(maxInAnyWindow(made, 1000)).toBeLessThanOrEqual(7);
      expect(maxInAnyWindow(made, 2000)).toBeLessThanOrEqual(8);
      // Without the ledger the new pacer would have sent at once: it waited for the two-second window instead.
      expect(made[8]! - made[0]!).toBeGreaterThanOrEqual(2000);
      // The same check with no ledger shows what went wrong before.
      const forgetful = new SlidingWindowPacer({ now: () => 0, sleep: async () => undefined });
      expect(forgetful.reserve(conversation, 0)).toBe(0);
    });

    test('each reservation is written before its call goes ahead, and a burst shares a few writes (a group commit)', async () => {
      const ledger = memoryLedger();
      const release = ledger.hold();
      const pacer = new SlidingWindowPacer({ ledger, now: () => 0, sleep: async () => undefined });
      const keys = (i: number) => [{ key: `conversation-${i}`, windows: TEAMS_CONVERSATION }, { key: 'tenant', windows: [{ limit: 40, perMs: 1000 }] }];
      let done = 0;
      const all = Array.from({ length: 20 }, (_, i) => pacer.tryAcquire(keys(i), 10_000).then(() => (done += 1)));
      await new Promise((resolve) => setImmediate(resolve));
      // Nothing goes ahead while its reservation is not yet written.
      expect(done).toBe(0);
      release();
      await Promise.all(all);
      expect(done).toBe(20);
      expect(ledger.calls.filter((c) => c.key === 'tenant')).toHaveLength(20);
      expect(ledger.writes.length).toBeLessThanOrEqual(3);
      // Kept for as long as the key's longest window, no more.
      const tenantCall = ledger.calls.find((c) => c.key === 'tenant')!;
      expect(tenantCall.keepUntil - tenantCall.at).toBe(1000);
    });

    test('a ledger that cannot be read holds the key for its short windows instead of bursting, and calls still go ahead', async () => {
      const errors: unknown[] = [];
      const broken: PacingLedger = {
        recent: async () => Promise.reject(new Error('database unavailable')),
        record: async () => Promise.reject(new Error('database unavailable')),
        forget: async () => 0,
      };
      let now = 5000;
      const pacer = new SlidingWindowPacer({ ledger: broken, now: () => now, sleep: async (ms) => void (now += ms), onLedgerError: (e) => errors.push(e) });
      expect(await pacer.acquire(conversation)).toBe(2000);
      expect(errors.length).toBeGreaterThanOrEqual(2);
    });
  });
});
