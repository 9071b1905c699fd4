import { pino } from 'pino';
import { createLogger } from '../../../src/logger.ts';
import { DeferDelivery, OutboxDispatcher, PermanentDeliveryError, RetryableDeliveryError, SAFEGUARDING_RETRY, type OutboxAttempt } from '../../../src/jobs/outbox-dispatcher.ts';
import type { OutboxClaimOptions, OutboxMessage, OutboxStore } from '../../../src/domain/ports.ts';

/** An in-memory store that records what the dispatcher did, to check its decisions. */
function memoryStore(messages: OutboxMessage[]) {
  const completed: string[] = [];
  const failed: { id: string; error: string; retryAt: string | null }[] = [];
  const deferred: { id: string; runAfter: string }[] = [];
  const store: OutboxStore = {
    async claim(options: OutboxClaimOptions) {
      return messages.splice(0, options.limit).filter((m) => options.kinds.includes(m.kind));
    },
    async complete(id) {
      completed.push(id);
    },
    async fail(id, _owner, error, retryAt) {
      failed.push({ id, error, retryAt });
    },
    async defer(id, _owner, runAfter) {
      deferred.push({ id, runAfter });
    },
    async counts() {
      return { pending: messages.length, done: completed.length, failed: failed.length };
    },
  };
  return { store, completed, failed, deferred };
}

const message = (id: string, attempts = 1): OutboxMessage => ({ id, schoolId: 's', kind: 'card.post', payload: {}, attempts, createdAt: '2026-11-23T08:00:00.000Z' });
const clock = { now: () => new Date('2026-11-23T08:00:00.000Z') };

describe('outbox dispatcher', () => {
  test('a held message goes back to the queue until its time, neither failed nor completed', async () => {
    const { store, completed, failed, deferred } = memoryStore([message('held')]);
    const dispatcher = new OutboxDispatcher({ store, clock, logger: createLogger('silent') });
    dispatcher.register('card.post', async () => {
      throw new DeferDelivery('someone is working on the card', new Date('2026-11-23T08:05:00.000Z'));
    });
    expect(await dispatcher.runOnce()).toBe(1);
    expect(deferred).toEqual([{ id: 'held', runAfter: '2026-11-23T08:05:00.000Z' }]);
    expect(failed).toEqual([]);
    expect(completed).toEqual([]);
  });

  test('completes handled messages, retries transient failures with backoff, records permanent ones', async () => {
    const { store, completed, failed } = memoryStore([message('ok'), message('busy', 2), message('gone'), message('tired', 10)]);
    const dispatcher = new OutboxDispatcher({ store, clock, logger: createLogger('silent'), random: () => 0.5, baseDelayMs: 1000 });
    dispatcher.register('card.post', async (m) => {
      if (m.id === 'busy') throw new RetryableDeliveryError('HTTP 429', 30_000);
      if (m.id === 'gone') throw new PermanentDeliveryError('HTTP 403 BotNotInConversationRoster');
      if (m.id === 'tired') throw new Error('HTTP 502');
    });
    expect(await dispatcher.runOnce()).toBe(4);
    expect(completed).toEqual(['ok']);
    const byId = Object.fromEntries(failed.map((f) => [f.id, f]));
    // Retry-After (30 s) is honoured over the shorter computed backoff.
    expect(byId.busy!.retryAt).toBe('2026-11-23T08:00:30.000Z');
    expect(byId.gone!.retryAt).toBeNull();
    expect(byId.gone!.error).toMatch(/403/);
    // The tenth failure is the last.
    expect(byId.tired!.retryAt).toBeNull();
  });

  test('backoff grows exponentially, with jitter, up to a ceiling', () => {
    const { store } = memoryStore([]);
    const low = new OutboxDispatcher({ store, clock, logger: createLogger('silent'), random: () => 0, baseDelayMs: 1000, maxDelayMs: 60_000 });
    const high = new OutboxDispatcher({ store, clock, logger: createLogger('silent'), random: () => 1, baseDelayMs: 1000, maxDelayMs: 60_000 });
    expect([1, 2, 3, 4].map((n) => high.retryDelayMs(n))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3, 4].map((n) => low.retryDelayMs(n))).toEqual([500, 1000, 2000, 4000]);
    expect(high.retryDelayMs(20)).toBe(60_000);
  });

  test('only claims kinds it has handlers for', async () => {
    const claimed: string[][] = [];
    const { store } = memoryStore([]);
    const dispatcher = new OutboxDispatcher({ store: { ...store, claim: async (o) => (claimed.push(o.kinds), []) }, clock, logger: createLogger('silent') });
    expect(await dispatcher.runOnce()).toBe(0);
    dispatcher.register('reporter.notify', async () => undefined);
    await dispatcher.runOnce();
    expect(claimed).toEqual([[], ['reporter.notify']]);
  });

  test('running continuously, it claims more as soon as there is room, and a stop waits for the messages in hand', async () => {
    const all = Array.from({ length: 25 }, (_, n) => message(`m${n}`));
    const { store, completed } = memoryStore([...all]);
    const claims: number[] = [];
    const claim = store.claim.bind(store);
    store.claim = async (options) => {
      claims.push(options.limit);
      return claim(options);
    };
    let running = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const dispatcher = new OutboxDispatcher({ store, clock, logger: createLogger('silent'), batchSize: 4, maxInFlight: 6, pollMs: 10_000 });
    dispatcher.register('card.post', async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => release.push(resolve));
      running -= 1;
    });
    dispatcher.start();
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    await settle();
    // Four, then the two that still fit: never more than six in hand, and no waiting for the first batch to end.
    expect(claims).toEqual([4, 2]);
    expect(running).toBe(6);
    release.shift()!();
    await settle();
    expect(claims.at(-1)).toBe(1);
    expect(running).toBe(6);
    const stopping = dispatcher.stop();
    let stopped = false;
    void stopping.then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    while (release.length) {
      release.shift()!();
      await settle();
    }
    await stopping;
    expect(stopped).toBe(true);
    expect(most).toBe(6);
    // Seven were handled: nothing new was claimed once the stop began.
    expect(completed).toHaveLength(7);
  });

  test('while the database is away polls back off, the failure is logged once, and the recovery once', async () => {
    const claimedAt: number[] = [];
    let failuresLeft = 5;
    const store: OutboxStore = {
      ...memoryStore([]).store,
      async claim() {
        claimedAt.push(performance.now());
        if (failuresLeft-- > 0) throw new Error('database unavailable: ECONNREFUSED');
        return [];
      },
    };
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const dispatcher = new OutboxDispatcher({ store, clock, logger, pollMs: 10, maxPollBackoffMs: 200, random: () => 1 });
    dispatcher.register('card.post', async () => undefined);
    dispatcher.start();
    const deadline = Date.now() + 10_000;
    while (claimedAt.length < 7 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await dispatcher.stop();
    expect(claimedAt.length).toBeGreaterThanOrEqual(7);
    // After failure n the next poll waits 10·2ⁿ ms (capped at 200), never less; after success, pollMs again.
    const gaps = claimedAt.slice(1, 6).map((at, i) => at - claimedAt[i]!);
    [20, 40, 80, 160, 200].forEach((least, i) => expect(gaps[i]).toBeGreaterThanOrEqual(least - 2));
    expect(lines.filter((line) => line.level >= 40).map((line) => line.msg)).toEqual(['outbox poll failed; backing off until it succeeds']);
    expect(lines.filter((line) => line.msg === 'outbox poll recovered')).toHaveLength(1);
  });

  test('a safeguarding kind is not given up after 10 attempts but keeps trying, at most 10 minutes apart, until 72 hours have passed', async () => {
    const createdAt = Date.parse('2026-11-23T08:00:00.000Z');
    let now = createdAt;
    const moving = { now: () => new Date(now) };
    const queue: OutboxMessage[] = [];
    const { store, failed } = memoryStore(queue);
    const seen: OutboxAttempt[] = [];
    const dispatcher = new OutboxDispatcher({ store, clock: moving, logger: createLogger('silent'), random: () => 1 });
    dispatcher.register('case.created', async (_m, attempt) => {
      seen.push(attempt);
      throw new RetryableDeliveryError('teams answered http_503');
    }, SAFEGUARDING_RETRY);
    // Fail attempt after attempt, each time at the moment the dispatcher asked to be called back.
    for (let attempts = 1; attempts <= 1000; attempts += 1) {
      queue.push({ id: 'card', schoolId: 's', kind: 'case.created', payload: {}, attempts, createdAt: new Date(createdAt).toISOString() });
      await dispatcher.runOnce();
      const last = failed.at(-1)!;
      if (last.retryAt === null) break;
      const delay = Date.parse(last.retryAt) - now;
      expect(delay).toBeLessThanOrEqual(10 * 60_000);
      now = Date.parse(last.retryAt);
    }
    expect(failed.length).toBeGreaterThan(10);
    expect(failed.slice(0, 10).every((f) => f.retryAt !== null)).toBe(true);
    // Given up only at the first attempt at or after the deadline, and that attempt knew it was the last.
    const givenUpAt = now;
    expect(givenUpAt - createdAt).toBeGreaterThanOrEqual(72 * 60 * 60_000);
    expect(givenUpAt - createdAt).toBeLessThan(72 * 60 * 60_000 + 10 * 60_000);
    expect(seen.at(-1)!.final).toBe(true);
    expect(seen.slice(0, -1).every((a) => !a.final)).toBe(true);
    // Other kinds keep the smaller budget.
    const other = new OutboxDispatcher({ store, clock: moving, logger: createLogger('silent') });
    other.register('aup.deliver', async () => undefined);
    expect(other.isFinalAttempt({ id: 'x', schoolId: 's', kind: 'aup.deliver', payload: {}, attempts: 10, createdAt: new Date(now).toISOString() }, new Date(now))).toBe(true);
    expect(dispatcher.isFinalAttempt({ id: 'y', schoolId: 's', kind: 'case.created', payload: {}, attempts: 10, createdAt: new Date(now).toISOString() }, new Date(now))).toBe(false);
  });
});
