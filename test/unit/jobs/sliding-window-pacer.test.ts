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
});
