import { pino } from 'pino';
import { enginesUnderTest, testDatabaseAddress } from '../support/test-storage.ts';
import { startTestService, type TestService } from '../support/test-service.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

/** Short timeouts so a stalled database is given up on well inside the 5 s every request must answer in. */
const TIMEOUTS = { connectTimeoutMs: 1000, statementTimeoutMs: 1500, queryTimeoutMs: 2000, idleInTransactionTimeoutMs: 10_000 };
const ANSWER_WITHIN_MS = 5000;
const RECOVER_WITHIN_MS = 5000;

interface Outcome {
  key: string;
  /** Which reporter sent it: a key belongs to one person, so a retry comes from the same one. */
  reporter: number;
  status: number;
  ms: number;
  caseId?: string;
  code?: string;
  retryAfter?: string | null;
}

const describeOnPostgres = enginesUnderTest().includes('postgres') ? describe : describe.skip;

/**
 * The service on PostgreSQL through a TCP proxy the test controls: connections cut under load (a restart,
 * failover, pg_terminate_backend), stalled (a hung server or network) and refused (the database down).
 * The process must survive, answer every request (503 within 5 s while the database is away), serve
 * again within 5 s of its return, and — once the 503s are retried with the same idempotency keys — hold
 * exactly one case per key: nothing lost, nothing filed twice.
 */
describeOnPostgres('PostgreSQL outages through a TCP proxy', () => {
  let proxy: TcpProxy;
  let t: TestService;
  let tokens: string[];
  const logLines: Record<string, any>[] = [];
  const outcomes: Outcome[] = [];
  /** The last answer for each idempotency key. */
  const lastByKey = new Map<string, Outcome>();
  let nextKey = 0;

  beforeAll(async () => {
    proxy = await startTcpProxy(testDatabaseAddress());
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
    t = await startTestService(
      'postgres',
      { RATE_LIMIT_PER_MINUTE: '100000' },
      { logger, storage: { connectVia: { host: '127.0.0.1', port: proxy.port }, postgresTimeouts: TIMEOUTS, onConnectionError: () => undefined } },
    );
    tokens = await Promise.all([t.schoolA.staff, t.schoolA.staff2, t.schoolA.deputy].map((person) => t.tokenFor(person, t.schoolA)));
    // Each reporter has signed in once, so later requests only read.
    for (const token of tokens) expect((await t.request('/api/v1/me', { token })).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await proxy?.restore();
    await t?.close();
    await proxy?.close();
  });

  async function report(key: string, reporter: number): Promise<Outcome> {
    const token = tokens[reporter]!;
    const started = Date.now();
    let outcome: Outcome;
    try {
      const response = await fetch(`${t.url}/api/v1/reports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ concern: { types: ['online_bullying'], location: 'outside_school', description: `Messages in a class group chat (${key}).` } }),
        // Far beyond the bound: a request that hangs is recorded as such, not left to the test's timeout.
        signal: AbortSignal.timeout(20_000),
      });
      const body = (await response.json()) as { caseId?: string; error?: { code?: string } };
      outcome = { key, reporter, status: response.status, ms: Date.now() - started, ...(body.caseId ? { caseId: body.caseId } : {}), ...(body.error?.code ? { code: body.error.code } : {}), retryAfter: response.headers.get('retry-after') };
    } catch {
      outcome = { key, reporter, status: 0, ms: Date.now() - started };
    }
    outcomes.push(outcome);
    lastByKey.set(key, outcome);
    return outcome;
  }

  /** Reporters filing new reports back to back until stopped. */
  function startLoad(workers = 6): { stop(): Promise<void> } {
    let running = true;
    const loops = Array.from({ length: workers }, async (_unused, worker) => {
      while (running) await report(`outage-${String(nextKey++).padStart(5, '0')}`, worker % tokens.length);
    });
    return {
      async stop() {
        running = false;
        await Promise.all(loops);
      },
    };
  }

  async function waitFor(what: string, condition: () => Promise<boolean> | boolean, withinMs: number): Promise<number> {
    const started = Date.now();
    while (!(await condition())) {
      if (Date.now() - started > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return Date.now() - started;
  }

  const readyStatus = async () => (await fetch(`${t.url}/readyz`, { signal: AbortSignal.timeout(20_000) })).status;
  const successesSince = (index: number) => outcomes.slice(index).filter((o) => o.status === 201).length;

  /** Every answer so far: a receipt or a 503 that says to retry, each within the bound. */
  function expectEveryRequestAnswered(): void {
    const wrong = outcomes.filter((o) => ![200, 201, 503].includes(o.status) || o.ms >= ANSWER_WITHIN_MS || (o.status === 503 && (o.code !== 'unavailable' || o.retryAfter !== '30')));
    expect(wrong).toEqual([]);
  }

  async function expectServingAgain(): Promise<void> {
    const restored = Date.now();
    await waitFor('/readyz 200 after the database returned', async () => (await readyStatus()) === 200, RECOVER_WITHIN_MS);
    const from = outcomes.length;
    await waitFor('a new report filed after the database returned', () => successesSince(from) > 0, RECOVER_WITHIN_MS - (Date.now() - restored));
  }

  test('connections cut under load: no crash, in-flight requests answer 503 or succeed, and new ones succeed at once', async () => {
    const load = startLoad();
    await waitFor('reports filed before the fault', () => successesSince(0) >= 10, 20_000);
    for (let round = 0; round < 3; round++) {
      const before = outcomes.length;
      proxy.cut();
      // The pool replaces the dead connections; reports go on being filed.
      await waitFor('reports filed after the cut', () => successesSince(before) >= 5, RECOVER_WITHIN_MS);
    }
    await load.stop();
    expectEveryRequestAnswered();
    expect(await readyStatus()).toBe(200);
  }, 60_000);

  test('a database restart (connections cut, then refused): 503 within 5 s, /readyz 503, serving again within 5 s of its return', async () => {
    const load = startLoad();
    await waitFor('reports filed before the fault', () => successesSince(0) >= 10, 20_000);
    const faultFrom = outcomes.length;
    await proxy.refuse();
    await waitFor('a 503 while the database is down', () => outcomes.slice(faultFrom).some((o) => o.status === 503), ANSWER_WITHIN_MS);
    expect(await readyStatus()).toBe(503);
    // Down for a while, under load.
    const downFrom = outcomes.length;
    await waitFor('several refusals while down', () => outcomes.length - downFrom >= 20, 10_000);
    expect(outcomes.slice(downFrom).every((o) => o.status === 503)).toBe(true);
    await proxy.restore();
    await expectServingAgain();
    await load.stop();
    expectEveryRequestAnswered();
  }, 60_000);

  test('a stalled database: 503 within 5 s, /readyz 503, serving again within 5 s once it answers', async () => {
    const load = startLoad();
    await waitFor('reports filed before the fault', () => successesSince(0) >= 10, 20_000);
    const faultFrom = outcomes.length;
    proxy.stall();
    await waitFor('a 503 while the database is stalled', () => outcomes.slice(faultFrom).some((o) => o.status === 503), ANSWER_WITHIN_MS + 1000);
    expect(await readyStatus()).toBe(503);
    const stalledFrom = outcomes.length;
    await waitFor('several answers while stalled', () => outcomes.length - stalledFrom >= 10, 15_000);
    await proxy.restore();
    await expectServingAgain();
    await load.stop();
    expectEveryRequestAnswered();
  }, 60_000);

  test('after every fault: the 503s retried with their keys, exactly one case per key, the audit chain intact, the process never crashed', async () => {
    const retried = [...lastByKey.values()].filter((o) => o.status !== 201 && o.status !== 200);
    expect(retried.length).toBeGreaterThan(0);
    // A 200 means the first attempt had committed before its answer was lost: the receipt, not a new case.
    // As a client does: retry on 503 with the same key until it is answered (a busy machine can still be slow
    // for a moment after the database is back, and a slow query is given up on with a 503 again).
    const retryUntilAnswered = async (outcome: Outcome): Promise<Outcome> => {
      const deadline = Date.now() + 60_000;
      let answer = await report(outcome.key, outcome.reporter);
      while (answer.status === 503 && Date.now() < deadline) answer = await report(outcome.key, outcome.reporter);
      return answer;
    };
    const answers = await Promise.all(retried.map(retryUntilAnswered));
    expect(answers.filter((o) => o.status !== 200 && o.status !== 201)).toEqual([]);
    const keys = [...lastByKey.keys()];
    expect([...lastByKey.values()].every((o) => o.status === 200 || o.status === 201)).toBe(true);
    const caseIds = new Set([...lastByKey.values()].map((o) => o.caseId));
    expect(caseIds.size).toBe(keys.length);
    const [{ n: cases }] = (await t.db.raw('select count(*)::int as n from cases where school_id = ?', [t.schoolA.school.id])) as [{ n: number }];
    expect(cases).toBe(keys.length);
    const [{ n: claimed }] = (await t.db.raw("select count(*)::int as n from idempotency_keys where key like 'outage-%'")) as [{ n: number }];
    expect(claimed).toBe(keys.length);
    expect((await t.service.storage.verifyAudit()).firstBreak).toBeUndefined();
    // The faults were logged as what they were: the driver's own errors, never a secondary rollback failure.
    const failures = logLines.filter((line) => line.msg === 'request failed');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((line) => /^database unavailable: /.test(line.err.message))).toBe(true);
    expect(failures.some((line) => line.err.message.includes('ECONNREFUSED'))).toBe(true);
    expect(JSON.stringify(logLines)).not.toMatch(/cannot rollback|has been discarded|uncaught/i);
  }, 60_000);
});
