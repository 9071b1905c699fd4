import { PacedChatApi, type ChatApi } from '../../../bot/google-chat/chat-api.ts';
import { DeferDelivery } from '../../../src/jobs/outbox-dispatcher.ts';
import { SlidingWindowPacer } from '../../../src/jobs/sliding-window-pacer.ts';

/** A pacer on a hand-driven clock: sleeps wait for `settle`, which moves the clock from one wake-up to the next. */
function setUp() {
  let now = 1_000_000;
  const sleepers: { at: number; wake: () => void }[] = [];
  const sleep = (ms: number) => new Promise<void>((wake) => void sleepers.push({ at: now + ms, wake }));
  const pacer = new SlidingWindowPacer({ now: () => now, sleep });
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const settle = async () => {
    await turn();
    while (sleepers.length > 0) {
      sleepers.sort((a, b) => a.at - b.at);
      const next = sleepers.shift()!;
      now = Math.max(now, next.at);
      next.wake();
      await turn();
    }
  };
  const writes: { space: string; at: number }[] = [];
  const api: ChatApi = {
    createMessage: async ({ space }) => {
      writes.push({ space, at: now });
      return { name: `${space}/messages/${writes.length}` };
    },
    updateMessage: async () => undefined,
    findDirectMessage: async () => undefined,
  };
  const paced = new PacedChatApi({ api, pacer, limits: { projectWritesPerMinute: 2_700, spaceWritesPerSecond: 1, projectReadsPerMinute: 2_700 } });
  return { paced, writes, settle, clock: { get now() { return now; } } };
}

describe('PacedChatApi', () => {
  it('does not hold a write to an idle DM behind the project slot of a card queued in a busy space', async () => {
    const { paced, writes, settle, clock } = setUp();
    const start = clock.now;
    // Five cards for the DSL space: the fifth's slot is more than four seconds ahead.
    const cards = Array.from({ length: 5 }, (_, i) => paced.createMessage({ space: 'spaces/dsl', message: { text: `card ${i}` } }));
    const receipt = paced.createMessage({ space: 'spaces/dm-1', message: { text: 'receipt' } });
    await settle();
    await Promise.all([...cards, receipt]);
    const receiptAt = writes.find((w) => w.space === 'spaces/dm-1')!.at;
    const dslWrites = writes.filter((w) => w.space === 'spaces/dsl').map((w) => w.at);
    expect(receiptAt - start).toBeLessThan(1_050);
    expect(Math.max(...dslWrites) - start).toBeGreaterThanOrEqual(4 * 1_050);
  });

  it('defers a write with no slot within ten seconds instead of failing it, and spaces the space at about 1 a second', async () => {
    const { paced, writes, settle } = setUp();
    const sending = Promise.allSettled(Array.from({ length: 12 }, (_, i) => paced.createMessage({ space: 'spaces/dsl', message: { text: `card ${i}` } })));
    await settle();
    const results = await sending;
    const deferred = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as unknown);
    expect(deferred.length).toBeGreaterThan(0);
    for (const error of deferred) expect(error).toBeInstanceOf(DeferDelivery);
    const times = writes.map((w) => w.at).sort((a, b) => a - b);
    for (let i = 1; i < times.length; i += 1) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1_050);
  });

  it('says how long a space is busy without taking its slot, so a card can wait before anything is read for it', async () => {
    const { paced, writes, settle } = setUp();
    expect(await paced.spaceBusyFor('spaces/dsl')).toBe(0);
    const cards = Array.from({ length: 3 }, (_, i) => paced.createMessage({ space: 'spaces/dsl', message: { text: `card ${i}` } }));
    const busy = await paced.spaceBusyFor('spaces/dsl');
    // A write reserved in the space: the next would wait about a second there; in another space not at all.
    expect(busy).toBeGreaterThan(500);
    expect(await paced.spaceBusyFor('spaces/dm-teacher')).toBe(0);
    // Asking reserved nothing: the three cards go at their slots, and nothing else was written.
    await settle();
    await Promise.all(cards);
    expect(writes.map((w) => w.space)).toEqual(['spaces/dsl', 'spaces/dsl', 'spaces/dsl']);
  });
});
