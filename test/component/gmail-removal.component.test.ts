import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OAuth2Client } from 'google-auth-library';
import PostalMime from 'postal-mime';
import { ChatCardKit, caseCard } from '../../bot/google-chat/chat-cards.ts';
import { channelCardFor } from '../../bot/teams/case-cards.ts';
import { emailFromSchool } from '../../src/app/aup/email-signing-link.ts';
import { prepareCaseCard } from '../../src/app/cases/prepare-case-card.ts';
import { OPERATOR, type AppDeps } from '../../src/app/deps.ts';
import { forwardReportedEmail } from '../../src/app/emails/forward-reported-email.ts';
import { removeEmailCopies, requestEmailRemoval } from '../../src/app/emails/remove-reported-email.ts';
import { reportEmail } from '../../src/app/emails/report-email.ts';
import { setGoogleAdmin } from '../../src/app/organisations/set-google-admin.ts';
import { AppError } from '../../src/domain/errors.ts';
import { emailRemovalLabel } from '../../src/domain/mailbox-removal.ts';
import { createGmailMailboxes } from '../../src/integrations/google/gmail-mailboxes.ts';
import { createGoogleWorkspaceDirectory, type GoogleAdminAuthFactory } from '../../src/integrations/google/google-directory.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { startService, type RunningService } from '../../src/wiring.ts';
import { startFakeGmailRest, type FakeGmailRest } from '../../scripts/workspace-client/fake-gmail-rest.ts';
import { fakeAdminAuth, startFakeGoogleAdmin, type FakeGoogleAdmin } from '../fakes/fake-google-admin.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

const SAMPLE = readFileSync(join(__dirname, '../../samples/emails/headteacher-gift-cards.eml'));
const OTHER = Buffer.from('From: a@example.net\r\nTo: b@oakfield.example.org\r\nSubject: Lunch\r\nMessage-ID: <lunch-1@example.net>\r\n\r\nSoup today.\r\n');
const DOMAIN = 'oakfield.example.org';
const ADMIN = `it.admin@${DOMAIN}`;
const SENDER = `dsl-desk@${DOMAIN}`;
const SECURITY = 'phish-reports@trust-it.example.org';
const START = Date.parse('2026-11-23T09:00:00Z');

describe.each(enginesUnderTest())('removing a reported email from every Gmail mailbox on %s', (engine) => {
  let db: TestStorage;
  let gmail: FakeGmailRest;
  let admin: FakeGoogleAdmin;
  let school: SeededSchool;
  let clock: number;
  let deps: AppDeps;

  /** Delegated tokens as the fakes accept them: the Admin SDK as the admin, Gmail as each mailbox with its scopes. */
  const authFor: GoogleAdminAuthFactory = (subject, scopes) => {
    if (!scopes?.some((scope) => scope.includes('/gmail.'))) return fakeAdminAuth(subject);
    const client = new OAuth2Client();
    client.setCredentials({ access_token: gmail.delegatedToken(subject, [...scopes]), expiry_date: Date.now() + 3_600_000 });
    return client;
  };

  /** A new process: new adapters (nothing remembered in memory), the same database. */
  const makeDeps = (options: { enabled?: boolean; batch?: number; unitsPerMinute?: number } = {}): AppDeps => ({
    ...depsFor(db.storage),
    clock: { now: () => new Date(clock) },
    settings: {
      urgentAcknowledgeMinutes: 15,
      emailForwarding: { from: SENDER, securityMailbox: SECURITY, ncscAddress: 'report@phishing.gov.uk' },
      googleMailboxRemoval: { enabled: options.enabled ?? true, mailboxesPerBatch: options.batch ?? 4 },
    },
    gmailMailboxes: createGmailMailboxes({ authFor, rootUrl: gmail.rootUrl, unitsPerProjectPerMinute: options.unitsPerMinute ?? 1_200_000, now: () => clock, maxWaitMs: 0 }),
    workspaceDirectory: createGoogleWorkspaceDirectory({ authFor, rootUrl: admin.rootUrl }),
  });

  const start = async (options: { gmailUnitsPerProjectPerMinute?: number; pageSize?: number } = {}) => {
    gmail = await startFakeGmailRest({ now: () => clock, ...(options.gmailUnitsPerProjectPerMinute ? { unitsPerProjectPerMinute: options.gmailUnitsPerProjectPerMinute } : {}) });
    admin = await startFakeGoogleAdmin({ adminEmail: ADMIN, pageSize: options.pageSize ?? 3, now: () => clock });
    deps = makeDeps();
    school = await seedSchool(deps, 'oakfield', { googleDomain: DOMAIN });
    await setGoogleAdmin(deps, { actor: OPERATOR, schoolId: school.school.id, input: { adminEmail: ADMIN } });
  };

  /** Mailboxes in the Directory (in this order); those named in `withCopy` hold the reported message. */
  const mailboxes = (names: string[], withCopy: string[]) => {
    for (const name of names) {
      const email = `${name}@${DOMAIN}`;
      admin.addUser({ email, fullName: name, creationTime: '2025-01-10T09:00:00Z' }, { event: false });
      gmail.addMessage(email, OTHER);
      if (withCopy.includes(name)) gmail.addMessage(email, SAMPLE);
    }
  };

  const reported = async () => {
    const receipt = await reportEmail(deps, { actor: school.staff, raw: SAMPLE, choice: 'phishing', channel: 'gmail' });
    const [email] = await db.storage.read((r) => r.emails.listForCase(school.school.id, receipt.caseId));
    return { caseId: receipt.caseId, emailId: email!.id };
  };

  /** Runs the queued work as the outbox would: again after each batch, after Gmail's wait when it asks for one. */
  const runToEnd = async (target: { caseId: string; emailId: string }, using: AppDeps = deps, maxRuns = 100) => {
    const steps: { done: boolean; retryAfterSeconds?: number }[] = [];
    for (let run = 0; run < maxRuns; run += 1) {
      const step = await removeEmailCopies(using, { schoolId: school.school.id, ...target, requestedBy: school.dsl.personId });
      steps.push(step as { done: boolean; retryAfterSeconds?: number });
      if (!('done' in step) || step.done) return steps;
      clock += (step.retryAfterSeconds ?? 0) * 1000;
    }
    throw new Error('the removal did not finish');
  };

  const removal = (emailId: string) => db.storage.read((r) => r.mailboxRemovals.get(school.school.id, emailId));
  const removedEvents = async (caseId: string) => (await db.storage.read((r) => r.audit.listForCase(school.school.id, caseId))).filter((event) => event.action === 'case.email_removed');
  const trashed = (name: string) => gmail.messages(`${name}@${DOMAIN}`).filter((message) => message.labelIds.includes('TRASH'));
  const searchesOf = (name: string) => gmail.calls.filter((call) => call.mailbox === `${name}@${DOMAIN}` && call.method === 'GET' && /\/messages$/.test(call.path) && call.status === 200).length;

  beforeEach(async () => {
    clock = START;
    db = await createTestStorage(engine);
  });
  afterEach(async () => {
    await gmail?.close();
    await admin?.close();
    await db.cleanup();
  });

  test('every copy goes to the Bin; the counts are in the chronology and on both case cards', async () => {
    await start();
    mailboxes(['amy', 'ben', 'cat', 'dan', 'eve'], ['amy', 'cat', 'eve']);
    const target = await reported();
    await requestEmailRemoval(deps, { actor: school.dsl, ...target });
    expect(await removal(target.emailId)).toMatchObject({ state: 'running', provider: 'gmail', mailboxesSearched: 0 });

    await runToEnd(target);
    for (const name of ['amy', 'cat', 'eve']) expect(trashed(name)).toHaveLength(1);
    for (const name of ['ben', 'dan']) expect(trashed(name)).toHaveLength(0);
    // Only the reported message moved: the other message in each mailbox is where it was.
    expect(gmail.messages(`amy@${DOMAIN}`).filter((message) => !message.labelIds.includes('TRASH'))).toHaveLength(1);
    // The search went to Gmail's own paths, as each mailbox, with the Message-ID query and the Bin left out.
    const search = gmail.calls.find((call) => call.mailbox === `amy@${DOMAIN}` && /\/messages$/.test(call.path))!;
    expect(search.query).toMatchObject({ q: 'rfc822msgid:20261123074200.sample-gift-cards@quickpost-relay.example.net', includeSpamTrash: 'false' });

    // The seeded people's mailboxes (staff@, dsl@ …) are not in the Directory: the Directory is what is searched.
    const counts = { mailboxesSearched: 5, mailboxesFailed: 0, found: 3, moved: 3, failed: 0 };
    expect(await removal(target.emailId)).toMatchObject({ state: 'finished', mailboxesTotal: 5, ...counts, finishedAt: new Date(clock).toISOString() });
    const events = await removedEvents(target.caseId);
    expect(events).toHaveLength(1);
    expect(events[0]!.detail).toMatchObject({ emailId: target.emailId, provider: 'gmail', outcome: 'finished', ...counts });

    const context = await prepareCaseCard(deps, { schoolId: school.school.id, caseId: target.caseId, platform: 'google_chat' });
    expect(context!.emailRemoval).toEqual({ state: 'finished', provider: 'gmail', mailboxesTotal: 5, ...counts });
    const line = 'Removed from every mailbox: 3 copies moved to the Bin (5 searched)';
    expect(emailRemovalLabel(context!.emailRemoval!)).toBe(line);
    expect(JSON.stringify(caseCard(new ChatCardKit('https://dsl.example.org/api/google/chat'), context!))).toContain(line);
    expect(JSON.stringify(channelCardFor(context!, { forDsl: true, inChannel: true }))).toContain(line);
    // Each batch asked for the card to be refreshed.
    const refreshes = await db.raw(`select count(*) as n from outbox where kind = 'case.card_refresh'`);
    expect(Number(refreshes[0]!.n)).toBeGreaterThan(0);
  });

  test('many users are searched a batch at a time over the Directory pages, with progress on the card between batches', async () => {
    await start({ pageSize: 3 });
    const names = Array.from({ length: 23 }, (_, index) => `user${String(index).padStart(2, '0')}`);
    mailboxes(names, ['user01', 'user10', 'user22']);
    const target = await reported();
    await requestEmailRemoval(deps, { actor: school.dsl, ...target });

    const first = await removeEmailCopies(deps, { schoolId: school.school.id, ...target, requestedBy: school.dsl.personId });
    expect(first).toMatchObject({ done: false, retryAfterSeconds: 0, mailboxesSearched: 4 });
    const context = await prepareCaseCard(deps, { schoolId: school.school.id, caseId: target.caseId, platform: 'google_chat' });
    expect(emailRemovalLabel(context!.emailRemoval!)).toBe('Removing from every mailbox: 4 of 23 searched, 1 moved to the Bin');

    const steps = await runToEnd(target);
    // 23 mailboxes at 4 a batch: 6 batches in all.
    expect(steps).toHaveLength(5);
    expect(await removal(target.emailId)).toMatchObject({ state: 'finished', mailboxesTotal: 23, mailboxesSearched: 23, found: 3, moved: 3 });
    for (const name of names) expect(searchesOf(name)).toBe(1);
    // The Directory was read a page at a time (3 users a page), following its page tokens.
    expect(admin.calls.some((call) => call.path === '/admin/directory/v1/users' && call.query.pageToken)).toBe(true);
  });

  test('after a restart mid-run the search resumes at the next mailbox: none searched twice, nothing counted twice', async () => {
    await start({ pageSize: 3 });
    const names = Array.from({ length: 10 }, (_, index) => `user${index}`);
    mailboxes(names, ['user0', 'user3', 'user5', 'user9']);
    const target = await reported();
    await requestEmailRemoval(deps, { actor: school.dsl, ...target });
    await removeEmailCopies(deps, { schoolId: school.school.id, ...target, requestedBy: school.dsl.personId });
    await removeEmailCopies(deps, { schoolId: school.school.id, ...target, requestedBy: school.dsl.personId });
    expect(await removal(target.emailId)).toMatchObject({ state: 'running', mailboxesSearched: 8, moved: 3, cursor: { pageToken: expect.any(String), index: 2 } });

    // The process stops here; a new one, with nothing in memory, picks the queued work up.
    const restarted = makeDeps();
    await runToEnd(target, restarted);
    expect(await removal(target.emailId)).toMatchObject({ state: 'finished', mailboxesSearched: 10, found: 4, moved: 4, failed: 0 });
    for (const name of names) expect(searchesOf(name)).toBe(1);
    expect(await removedEvents(target.caseId)).toHaveLength(1);
    // The finished search is not run again by a late duplicate of the queued work.
    expect(await removeEmailCopies(restarted, { schoolId: school.school.id, ...target, requestedBy: school.dsl.personId })).toMatchObject({ done: true });
    expect(await removedEvents(target.caseId)).toHaveLength(1);
  });

  test('Gmail quota answers (429) and faults (503) pause the search and it finishes later; nothing is counted as failed', async () => {
    // Room for 8 calls a minute for the whole project: the search must wait for Gmail twice or more.
    await start({ gmailUnitsPerProjectPerMinute: 40 });
    mailboxes(['amy', 'ben', 'cat', 'dan', 'eve', 'fay'], ['amy', 'ben', 'dan', 'fay']);
    const target = await reported();
    await requestEmailRemoval(deps, { actor: school.dsl, ...target });
    gmail.failNext({ method: 'POST', path: /\/trash$/ }, 503);

    const steps = await runToEnd(target);
    const paused = steps.filter((step) => !step.done && (step.retryAfterSeconds ?? 0) > 0);
    expect(paused.length).toBeGreaterThanOrEqual(2);
    expect(gmail.calls.filter((call) => call.status === 429).length).toBeGreaterThan(0);
    expect(await removal(target.emailId)).toMatchObject({ state: 'finished', mailboxesSearched: 6, mailboxesFailed: 0, found: 4, moved: 4, failed: 0 });
    for (const name of ['amy', 'ben', 'dan', 'fay']) expect(trashed(name)).toHaveLength(1);
  });

  test('DSL Desk paces itself under its share of the project quota: it waits rather than being refused', async () => {
    await start();
    mailboxes(['amy', 'ben', 'cat', 'dan'], ['amy', 'dan']);
    const target = await reported();
    await requestEmailRemoval(deps, { actor: school.dsl, ...target });
    const paced = makeDeps({ unitsPerMinute: 15 });
    const steps = await runToEnd(target, paced);
    expect(steps.some((step) => !step.done && (step.retryAfterSeconds ?? 0) > 0)).toBe(true);
    expect(gmail.calls.filter((call) => call.status === 429)).toHaveLength(0);
    expect(await removal(target.emailId)).toMatchObject({ state: 'finished', mailboxesSearched: 4, found: 2, moved: 2 });
  });

  test('a mailbox Gmail refuses (403) is counted as failed and the search goes on', async () => {
    await start();
    mailboxes(['amy', 'ben', 'cat'], ['amy', 'ben', 'cat']);
    const target = await reported();
    await requestEmailRemoval(deps, { actor: school.dsl, ...target });
    gmail.failNext({ method: 'GET', path: /\/messages$/ }, 403);
    await runToEnd(target);
    expect(await removal(target.emailId)).toMatchObject({ state: 'finished', mailboxesSearched: 2, mailboxesFailed: 1, found: 2, moved: 2 });
    expect(trashed('amy')).toHaveLength(0);
    expect(trashed('ben')).toHaveLength(1);
    const context = await prepareCaseCard(deps, { schoolId: school.school.id, caseId: target.caseId, platform: 'google_chat' });
    expect(emailRemovalLabel(context!.emailRemoval!)).toBe('Removed from every mailbox: 2 copies moved to the Bin (3 searched); 1 mailbox could not be opened');
  });

  test('with removal off (the default), the DSL is told what IT must do and nothing is queued', async () => {
    await start();
    mailboxes(['amy'], ['amy']);
    const target = await reported();
    const off = makeDeps({ enabled: false });
    const refusal = await requestEmailRemoval(off, { actor: school.dsl, ...target }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal).toMatchObject({ code: 'unavailable' });
    expect((refusal as AppError).userMessage).toContain('GOOGLE_MAILBOX_REMOVAL=true');
    expect((refusal as AppError).userMessage).toContain('gmail.modify');
    expect(await removal(target.emailId)).toBeUndefined();
    expect(await db.raw(`select * from outbox where kind = 'email.remove'`)).toHaveLength(0);
    expect(gmail.calls).toHaveLength(0);
  });

  test('forwarding as phishing sends one message from the sender mailbox with the reported .eml as its only attachment', async () => {
    await start();
    const target = await reported();
    await expect(forwardReportedEmail(deps, { actor: school.dsl, ...target, to: ['security'] })).resolves.toEqual({ sentTo: ['security'] });
    const sent = gmail.sent(SENDER);
    expect(sent).toHaveLength(1);
    const parsed = await PostalMime.parse(sent[0]!);
    expect(parsed.subject).toBe('Phishing: Quick favour before assembly');
    expect(parsed.from?.address).toBe(SENDER);
    expect(parsed.to?.map((to) => to.address)).toEqual([SECURITY]);
    expect(parsed.text).toContain('DSL Desk case');
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]!.filename).toMatch(/-reported-email\.eml$/);
    expect(Buffer.from(parsed.attachments[0]!.content as ArrayBuffer).equals(SAMPLE)).toBe(true);
    expect(gmail.calls.filter((call) => call.mailbox === SENDER).every((call) => call.status === 200)).toBe(true);

    // Plain emails (a fallback notice, an escalation) go through Gmail for a Google school too.
    await expect(emailFromSchool(deps, { schoolId: school.school.id, to: `head@${DOMAIN}`, subject: 'Café notice ✓', body: 'Reference only.' })).resolves.toBe(true);
    const notice = await PostalMime.parse(gmail.sent(SENDER)[1]!);
    expect(notice).toMatchObject({ subject: 'Café notice ✓', text: expect.stringContaining('Reference only.') });
    expect(notice.attachments).toHaveLength(0);
  });
});

describe('the queued removal through the outbox', () => {
  let db: TestStorage;
  let gmail: FakeGmailRest;
  let admin: FakeGoogleAdmin;
  let service: RunningService;

  afterEach(async () => {
    await service?.close();
    await gmail?.close();
    await admin?.close();
    await db?.cleanup();
  });

  test('each batch is one run of the same message, held back between batches without counting as a failed attempt', async () => {
    db = await createTestStorage('sqlite');
    gmail = await startFakeGmailRest();
    admin = await startFakeGoogleAdmin({ adminEmail: ADMIN, pageSize: 2 });
    const authFor: GoogleAdminAuthFactory = (subject, scopes) => {
      if (!scopes?.some((scope) => scope.includes('/gmail.'))) return fakeAdminAuth(subject);
      const client = new OAuth2Client();
      client.setCredentials({ access_token: gmail.delegatedToken(subject, [...scopes]), expiry_date: Date.now() + 3_600_000 });
      return client;
    };
    const config = loadConfig({
      DSL_DESK_MODE: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_KEYS: 'unused:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      DATA_KEY_ID: 'unused',
      LOG_LEVEL: 'silent',
      GOOGLE_AUDIENCES: 'dsl-desk-test.apps.googleusercontent.com',
      GOOGLE_API_ROOT_URL: admin.rootUrl,
      GOOGLE_GMAIL_API_ROOT_URL: gmail.rootUrl,
      GOOGLE_MAILBOX_REMOVAL: 'true',
      REPORT_SENDER_MAILBOX: SENDER,
      OUTBOX_POLL_MS: '60000',
    });
    service = await startService(config, createLogger('silent'), { storage: db.storage, googleAdminAuth: authFor });
    const school = await seedSchool(service.deps, 'oakfield', { googleDomain: DOMAIN });
    await setGoogleAdmin(service.deps, { actor: OPERATOR, schoolId: school.school.id, input: { adminEmail: ADMIN } });
    service.deps.settings!.googleMailboxRemoval = { enabled: true, mailboxesPerBatch: 2 };
    for (const name of ['amy', 'ben', 'cat', 'dan', 'eve']) {
      admin.addUser({ email: `${name}@${DOMAIN}`, creationTime: '2025-01-10T09:00:00Z' }, { event: false });
      gmail.addMessage(`${name}@${DOMAIN}`, SAMPLE);
    }
    const receipt = await reportEmail(service.deps, { actor: school.staff, raw: SAMPLE, choice: 'phishing', channel: 'gmail' });
    const [email] = await db.storage.read((r) => r.emails.listForCase(school.school.id, receipt.caseId));
    await requestEmailRemoval(service.deps, { actor: school.dsl, caseId: receipt.caseId, emailId: email!.id });

    const state = async () => (await db.raw(`select status, attempts from outbox where kind = 'email.remove'`))[0]!;
    let runs = 0;
    while (runs < 20 && (await state()).status !== 'done') runs += await service.dispatcher.runOnce();
    expect(await state()).toMatchObject({ status: 'done' });
    // A count pass and 5 mailboxes at 2 a batch: the one message ran three times.
    expect(runs).toBe(3);
    expect(Number((await state()).attempts)).toBeLessThanOrEqual(1);
    expect(await db.storage.read((r) => r.mailboxRemovals.get(school.school.id, email!.id))).toMatchObject({ state: 'finished', mailboxesSearched: 5, moved: 5 });
  });
});
