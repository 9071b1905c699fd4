import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { fillSqliteDisk } from '../support/test-storage.ts';
import { startTestService, type TestService } from '../support/test-service.ts';

const SAMPLE_EMAIL = readFileSync(join(__dirname, '../../samples/emails/headteacher-gift-cards.eml'));
// Longer than a page once sealed, so storing it needs new pages: exactly what a full disk refuses.
const LONG_DESCRIPTION = 'A pupil showed me messages from an older student asking to meet after school. '.repeat(80);

/**
 * A real SQLite disk-full path (see fillSqliteDisk): writes fail with SQLITE_FULL and SQLite rolls the
 * transaction back by itself, so the ROLLBACK that follows would fail too.
 */
describe('SQLite with a full disk', () => {
  let t: TestService;
  const logLines: Record<string, any>[] = [];
  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
    t = await startTestService('sqlite', {}, { logger });
  });
  afterAll(async () => {
    await t.close();
  });

  test('a report answers 503 with Retry-After, the original error is logged, and a retry once space returns files exactly one case', async () => {
    const staff = await t.tokenFor(t.schoolA.staff, t.schoolA);
    // Signed in once before the disk fills, so the failure below is the report's own.
    expect((await t.request('/api/v1/me', { token: staff })).status).toBe(200);
    const report = { concern: { types: ['online_bullying'], location: 'outside_school', description: LONG_DESCRIPTION } };
    const send = () => t.request('/api/v1/reports', { token: staff, body: report, headers: { 'idempotency-key': 'disk-full-report-0001' } });
    const sendEmail = () =>
      t.request('/api/v1/email-reports?choice=phishing', { method: 'POST', token: staff, rawBody: SAMPLE_EMAIL, headers: { 'content-type': 'message/rfc822', 'idempotency-key': 'disk-full-email-0001' } });

    const freeSpace = await fillSqliteDisk(t.db);
    logLines.length = 0;
    const refused = await send();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(refused.body.error).toMatchObject({ code: 'unavailable', message: expect.stringContaining('Nothing was saved') });
    // The add-in's endpoint answers the same way.
    const refusedEmail = await sendEmail();
    expect(refusedEmail.status).toBe(503);
    expect(refusedEmail.body.error.code).toBe('unavailable');

    const failures = logLines.filter((line) => line.msg === 'request failed');
    expect(failures).toHaveLength(2);
    for (const failure of failures) expect(failure.cause).toMatchObject({ code: 'ERR_SQLITE_ERROR', message: 'database or disk is full' });
    // The secondary error of a ROLLBACK after SQLite had already rolled back is nowhere.
    expect(JSON.stringify(logLines)).not.toContain('cannot rollback');
    // Nothing half-written: the failed transactions left no case behind.
    expect(await t.db.raw('select count(*) as n from cases')).toEqual([{ n: 0 }]);

    // Space returns: the service answers again without a restart, and retries with the same keys file once.
    await freeSpace();
    const filed = await send();
    expect(filed.status).toBe(201);
    const repeated = await send();
    expect(repeated.status).toBe(200);
    expect(repeated.body.caseId).toBe(filed.body.caseId);
    expect((await sendEmail()).status).toBe(201);
    expect((await sendEmail()).status).toBe(200);
    expect(await t.db.raw('select count(*) as n from cases')).toEqual([{ n: 2 }]);
    expect((await t.request('/readyz')).status).toBe(200);
  }, 60_000);
});
