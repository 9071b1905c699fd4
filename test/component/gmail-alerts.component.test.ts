import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OAuth2Client } from 'google-auth-library';
import { OPERATOR, type AppDeps } from '../../src/app/deps.ts';
import { importReportedPhishingAlerts } from '../../src/app/emails/import-reported-phishing-alerts.ts';
import { reportEmail } from '../../src/app/emails/report-email.ts';
import { setGoogleAdmin } from '../../src/app/organisations/set-google-admin.ts';
import { AppError } from '../../src/domain/errors.ts';
import { DELEGATION_REFUSED } from '../../src/domain/mailbox-removal.ts';
import { startGoogleAlertSchedule } from '../../src/jobs/google-alert-schedule.ts';
import type { Logger } from '../../src/logger.ts';
import { createGoogleAlertCenter } from '../../src/integrations/google/alert-center.ts';
import { createGmailMailboxes, DELEGATION_MESSAGE } from '../../src/integrations/google/gmail-mailboxes.ts';
import type { GoogleAdminAuthFactory } from '../../src/integrations/google/google-directory.ts';
import { startFakeGmailRest, type FakeGmailRest } from '../../scripts/workspace-client/fake-gmail-rest.ts';
import { APPS_ALERTS_SCOPE, fakeAlertCenterAuth, startFakeAlertCenter, type FakeAlertCenter } from '../fakes/fake-alert-center.ts';
import { fakeAdminAuth } from '../fakes/fake-google-admin.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

const SAMPLE = readFileSync(join(__dirname, '../../samples/emails/headteacher-gift-cards.eml'));
const SAMPLE_ID = '20261123074200.sample-gift-cards@quickpost-relay.example.net';
const OTHER = (n: number) => Buffer.from(`From: a@example.net\r\nTo: b@oakfield.example.org\r\nSubject: Offer ${n}\r\nMessage-ID: <offer-${n}@example.net>\r\n\r\nClick here.\r\n`);
const DOMAIN = 'oakfield.example.org';
const ADMIN = `it.admin@${DOMAIN}`;
const STAFF = `staff@${DOMAIN}`;
const STAFF2 = `staff2@${DOMAIN}`;
const VISITOR = 'visitor@elsewhere.example.net';
const START = Date.parse('2026-12-07T09:00:00Z');
const minutesBefore = (minutes: number) => new Date(START - minutes * 60_000).toISOString();

describe.each(enginesUnderTest())('importing Gmail’s own “Report phishing” alerts on %s', (engine) => {
  let db: TestStorage;
  let gmail: FakeGmailRest;
  let alerts: FakeAlertCenter;
  let school: SeededSchool;
  let deps: AppDeps;

  /** Delegated tokens as the fakes accept them: the Alert Center as the admin with apps.alerts, Gmail as each mailbox. */
  const authFor: GoogleAdminAuthFactory = (subject, scopes) => {
    if (scopes?.includes(APPS_ALERTS_SCOPE)) return fakeAlertCenterAuth(subject, scopes);
    if (!scopes?.some((scope) => scope.includes('/gmail.'))) return fakeAdminAuth(subject);
    const client = new OAuth2Client();
    client.setCredentials({ access_token: gmail.delegatedToken(subject, [...scopes]), expiry_date: Date.now() + 3_600_000 });
    return client;
  };

  /** A new process: new adapters, nothing in memory, the same database. */
  const makeDeps = (options: { mailboxAccess?: boolean } = {}): AppDeps => ({
    ...depsFor(db.storage),
    clock: { now: () => new Date(START) },
    settings: { urgentAcknowledgeMinutes: 15, googleMailboxRemoval: { enabled: options.mailboxAccess ?? true } },
    gmailMailboxes: createGmailMailboxes({ authFor, rootUrl: gmail.rootUrl, unitsPerProjectPerMinute: 1_200_000, maxWaitMs: 0 }),
  });
  const alertCenter = () => createGoogleAlertCenter({ authFor, rootUrl: alerts.rootUrl });
  const poll = (using: AppDeps = deps) => importReportedPhishingAlerts(using, { schoolId: school.school.id, alertCenter: alertCenter(), maxBytes: 35 * 1024 * 1024 });

  const caseCount = async () => Number((await db.raw('select count(*) as n from cases'))[0]!.n);
  const polls = () => db.storage.read((r) => r.audit.listByAction(school.school.id, { actions: ['email.alerts_imported'], limit: 100 }));
  const progress = () => db.storage.read((r) => r.googleAlertImports.get(school.school.id));
  const gmailReads = (mailbox: string) => gmail.calls.filter((call) => call.mailbox === mailbox && call.method === 'GET' && /\/messages\/[^/]+$/.test(call.path) && call.status === 200).length;

  beforeEach(async () => {
    db = await createTestStorage(engine);
    gmail = await startFakeGmailRest();
    alerts = await startFakeAlertCenter({ adminEmail: ADMIN, pageSize: 1 });
    deps = makeDeps();
    school = await seedSchool(deps, 'oakfield', { googleDomain: DOMAIN });
    await setGoogleAdmin(deps, { actor: OPERATOR, schoolId: school.school.id, input: { adminEmail: ADMIN } });
    // Gmail's "Report phishing" moved each reporter's copy to Spam; the other messages are where they were.
    for (const mailbox of [STAFF, STAFF2]) {
      gmail.addMessage(mailbox, OTHER(1));
      gmail.addMessage(mailbox, SAMPLE);
    }
  });
  afterEach(async () => {
    await gmail?.close();
    await alerts?.close();
    await db.cleanup();
  });

  test('two staff report one message with Gmail’s button: one case, joining the add-on’s, with both as reporters; a recipient outside the school is skipped', async () => {
    // The DSL had already reported the same message from the add-on.
    const fromAddon = await reportEmail(deps, { actor: school.dsl, raw: SAMPLE, choice: 'phishing', channel: 'gmail' });
    alerts.addReportedPhishing({ createTime: minutesBefore(30), messages: [{ messageId: `<${SAMPLE_ID}>`, recipient: STAFF, subjectText: 'Gift cards' }] });
    alerts.addReportedPhishing({ createTime: minutesBefore(20), messages: [{ messageId: `<${SAMPLE_ID}>`, recipient: STAFF2 }, { messageId: `<${SAMPLE_ID}>`, recipient: VISITOR }] });
    // Other alert types and deleted alerts are not reports.
    alerts.addAlert({ createTime: minutesBefore(25), type: 'Suspicious login', source: 'Google identity' });

    const result = await poll();
    expect(result).toEqual({ alerts: 2, messages: 3, filed: 2, alreadyFiled: 0, notInSchool: 1, notFound: 0, failed: 0, notFiled: 0 });
    expect(await caseCount()).toBe(1);
    const filed = await db.storage.read((r) => r.cases.get(school.school.id, fromAddon.caseId));
    expect(filed!.reporters.map((reporter) => [reporter.personId, reporter.channel]).sort()).toEqual(
      [
        [school.dsl.personId, 'gmail'],
        [school.staff.personId, 'gmail'],
        [school.staff2.personId, 'gmail'],
      ].sort(),
    );
    // Each copy was found wherever Gmail put it (in:anywhere: Spam) and read raw, as that mailbox.
    const search = gmail.calls.find((call) => call.mailbox === STAFF && /\/messages$/.test(call.path))!;
    expect(search.query.q).toBe(`rfc822msgid:${SAMPLE_ID} in:anywhere`);
    expect(gmail.calls.find((call) => call.mailbox === STAFF && /\/messages\/[^/]+$/.test(call.path))!.query.format).toBe('raw');
    // The visitor's mailbox is not the school's: never opened.
    expect(gmail.calls.some((call) => call.mailbox === VISITOR)).toBe(false);
    // The Alert Center was asked for the type since a day (and the overlap) before, oldest first, a page at a time.
    const first = alerts.calls[0]!;
    expect(first.query.filter).toBe(`type="User reported phishing" AND createTime >= "${minutesBefore(25 * 60)}"`);
    expect(first.query.orderBy).toBe('create_time asc');
    expect(alerts.calls.some((call) => call.query.pageToken)).toBe(true);

    // The poll's audit event holds counts and codes only.
    const [event] = await polls();
    expect(event!.detail).toMatchObject({ alerts: 2, messages: 3, filed: 2, notInSchool: 1, problem: null });
    expect(JSON.stringify(event!.detail)).not.toMatch(/@|Gift/);

    // Polled again: nothing new is read or filed.
    expect(await poll()).toMatchObject({ alerts: 0, filed: 0, alreadyFiled: 0 });
    // Even with its place lost, the same alerts file nothing twice: each report was claimed under its alert.
    await db.raw('delete from google_alert_imports');
    expect(await poll()).toMatchObject({ alerts: 2, filed: 0, alreadyFiled: 2, notInSchool: 1 });
    expect(await caseCount()).toBe(1);
    expect((await db.storage.read((r) => r.cases.get(school.school.id, fromAddon.caseId)))!.reporters).toHaveLength(3);
    expect(await db.storage.read((r) => r.emails.listForCase(school.school.id, fromAddon.caseId))).toHaveLength(1);
  });

  test('with mailbox access off nothing is filed and the poll says why; once it is on, the same reports are filed', async () => {
    const off = makeDeps({ mailboxAccess: false });
    alerts.addReportedPhishing({ createTime: minutesBefore(10), messages: [{ messageId: SAMPLE_ID, recipient: STAFF }, { messageId: SAMPLE_ID, recipient: VISITOR }] });

    const result = await poll(off);
    expect(result).toMatchObject({ alerts: 1, messages: 2, filed: 0, notInSchool: 1, notFiled: 1, problem: { code: 'mailbox_access_off' } });
    expect(result.problem!.message).toContain('GOOGLE_MAILBOX_REMOVAL');
    expect(await caseCount()).toBe(0);
    expect(gmail.calls).toHaveLength(0);
    expect((await progress())!.lastProblem).toContain('GOOGLE_MAILBOX_REMOVAL');
    const [event] = await polls();
    expect(event!.detail).toMatchObject({ filed: 0, notFiled: 1, problem: 'mailbox_access_off' });

    // IT turns mailbox access on: the report waiting is filed, and the problem is cleared.
    expect(await poll(makeDeps())).toMatchObject({ alerts: 1, filed: 1, notInSchool: 1 });
    expect(await caseCount()).toBe(1);
    expect((await progress())!.lastProblem).toBeNull();
  });

  test('a restart resumes after the last alert handled: no mailbox is read twice', async () => {
    alerts.addReportedPhishing({ createTime: minutesBefore(50), messages: [{ messageId: SAMPLE_ID, recipient: STAFF }] });
    alerts.addReportedPhishing({ createTime: minutesBefore(40), messages: [{ messageId: 'offer-1@example.net', recipient: STAFF }] });
    alerts.addReportedPhishing({ createTime: minutesBefore(30), messages: [{ messageId: SAMPLE_ID, recipient: STAFF2 }] });
    // Gmail is busy when the third alert's copy is searched for: the poll stops there.
    const first = await pollWithGmailDownFor(STAFF2);
    expect(first).toMatchObject({ alerts: 3, filed: 2, notFiled: 1, problem: { code: 'gmail_unavailable' } });
    expect((await progress())!.cursor).toMatchObject({ time: minutesBefore(40), seen: [expect.anything(), expect.anything()] });

    // A new process, with nothing in memory, carries on after the second alert.
    const restarted = await poll(makeDeps());
    expect(restarted).toMatchObject({ alerts: 1, filed: 1, alreadyFiled: 0 });
    expect(gmailReads(STAFF)).toBe(2);
    expect(gmailReads(STAFF2)).toBe(1);
    expect(await caseCount()).toBe(2);
  });

  test('the Alert Center refusing DSL Desk (403) is a clear message in the poll result, naming the scope and the Admin console step', async () => {
    alerts.addReportedPhishing({ createTime: minutesBefore(10), messages: [{ messageId: SAMPLE_ID, recipient: STAFF }] });
    alerts.refuse();
    const result = await poll();
    expect(result).toMatchObject({ alerts: 0, filed: 0, problem: { code: 'alert_center_refused' } });
    expect(result.problem!.message).toContain('https://www.googleapis.com/auth/apps.alerts');
    expect(result.problem!.message).toContain('Domain-wide delegation');
    expect(result.problem!.message).not.toContain(ADMIN);
    expect(alerts.calls[0]!.status).toBe(403);
    expect((await progress())!.lastProblem).toBe(result.problem!.message);
    expect(await caseCount()).toBe(0);

    // Fixed by IT: the next poll files the report.
    alerts.refuse(false);
    expect(await poll()).toMatchObject({ alerts: 1, filed: 1 });
    expect((await progress())!.lastProblem).toBeNull();
  });

  test('Alert Center throttling (429) pauses the import with Google’s Retry-After; nothing is lost', async () => {
    alerts.addReportedPhishing({ createTime: minutesBefore(10), messages: [{ messageId: SAMPLE_ID, recipient: STAFF }] });
    alerts.failNext(429, 1, 30);
    expect(await poll()).toMatchObject({ filed: 0, problem: { code: 'alert_center_unavailable', retryAfterSeconds: 30 } });
    expect(await poll()).toMatchObject({ alerts: 1, filed: 1 });
  });

  test('Google refusing the mailbox delegation stops the poll with the reason, and keeps the reports; a copy deleted since is counted', async () => {
    alerts.addReportedPhishing({ createTime: minutesBefore(20), messages: [{ messageId: 'gone@example.net', recipient: STAFF }] });
    alerts.addReportedPhishing({ createTime: minutesBefore(10), messages: [{ messageId: SAMPLE_ID, recipient: STAFF }, { messageId: SAMPLE_ID, recipient: STAFF2 }] });
    const refusing = makeDeps();
    const mailboxes = refusing.gmailMailboxes!;
    refusing.gmailMailboxes = {
      ...mailboxes,
      readMessage: async (box, id, max) => {
        // As the token endpoint answers unauthorized_client when IT has not authorised gmail.modify.
        if (id === SAMPLE_ID) throw new AppError('forbidden', DELEGATION_MESSAGE, { internal: `${DELEGATION_REFUSED} gmail: google unreachable unauthorized_client` });
        return mailboxes.readMessage(box, id, max);
      },
    };
    const result = await poll(refusing);
    expect(result).toMatchObject({ alerts: 2, notFound: 1, filed: 0, notFiled: 2, problem: { code: 'mailbox_access_refused' } });
    expect(result.problem!.message).toContain('gmail.modify');
    expect(await caseCount()).toBe(0);
    // The first alert (its copy gone) is behind the cursor; the second waits for IT.
    expect((await progress())!.cursor).toMatchObject({ time: minutesBefore(20) });
    expect(await poll()).toMatchObject({ alerts: 1, filed: 2 });
    expect(await caseCount()).toBe(1);
  });

  test('a copy over EMAIL_REPORT_MAX_MB, or in a mailbox Gmail will not open, is counted as failed and not tried again', async () => {
    alerts.addReportedPhishing({ createTime: minutesBefore(10), messages: [{ messageId: SAMPLE_ID, recipient: STAFF }] });
    const small = await importReportedPhishingAlerts(deps, { schoolId: school.school.id, alertCenter: alertCenter(), maxBytes: 100 });
    expect(small).toMatchObject({ alerts: 1, filed: 0, failed: 1 });
    expect(small.problem).toBeUndefined();
    alerts.addReportedPhishing({ createTime: minutesBefore(5), messages: [{ messageId: SAMPLE_ID, recipient: STAFF2 }] });
    gmail.failNext({ method: 'GET', path: /\/messages$/ }, 404);
    expect(await poll()).toMatchObject({ alerts: 1, filed: 0, failed: 1 });
    expect(await poll()).toMatchObject({ alerts: 0, filed: 0 });
    expect(await caseCount()).toBe(0);
  });

  test('the schedule polls every Google school at once and then every GOOGLE_ALERT_POLL_MINUTES; 0 is off; problems are logged without addresses', async () => {
    alerts.addReportedPhishing({ createTime: minutesBefore(10), messages: [{ messageId: SAMPLE_ID, recipient: STAFF }] });
    const logged: { level: string; fields: unknown; message: string }[] = [];
    const logger = Object.fromEntries(['info', 'warn', 'error', 'debug'].map((level) => [level, (fields: unknown, message: string) => logged.push({ level, fields, message })])) as unknown as Logger;
    const off = startGoogleAlertSchedule({ deps, logger, alertCenter: alertCenter(), pollMinutes: 0, maxBytes: 1024 * 1024 });
    await off.stop();
    expect(alerts.calls).toHaveLength(0);

    const schedule = startGoogleAlertSchedule({ deps, logger, alertCenter: alertCenter(), pollMinutes: 5, maxBytes: 1024 * 1024 });
    await waitFor(() => logged.length > 0);
    await schedule.stop();
    expect(await caseCount()).toBe(1);
    expect(logged).toContainEqual(expect.objectContaining({ level: 'info', message: 'google reported phishing alerts imported', fields: expect.objectContaining({ filed: 1 }) }));

    alerts.refuse();
    const refused = startGoogleAlertSchedule({ deps, logger, alertCenter: alertCenter(), pollMinutes: 5, maxBytes: 1024 * 1024 });
    await waitFor(() => logged.some((entry) => entry.level === 'warn'));
    await refused.stop();
    const warning = logged.find((entry) => entry.level === 'warn')!;
    expect(warning.message).toBe('google alert import: an administrator must act');
    expect(warning.fields).toMatchObject({ problem: 'alert_center_refused' });
    expect(JSON.stringify(logged)).not.toContain(STAFF);
  });

  /** Polls with Gmail answering 503 for one mailbox's searches (the others answer). */
  async function pollWithGmailDownFor(mailbox: string) {
    const down = makeDeps();
    const mailboxes = down.gmailMailboxes!;
    down.gmailMailboxes = {
      ...mailboxes,
      readMessage: async (box, id, max) => {
        if (box === mailbox) gmail.failNext({ method: 'GET', path: /\/messages$/ }, 503, 1);
        return mailboxes.readMessage(box, id, max);
      },
    };
    return poll(down);
  }
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
