import { importPupils } from '../../src/app/pupils/import-pupils.ts';
import { setPupilAccountRule } from '../../src/app/pupils/set-pupil-account-rule.ts';
import { readPupilFile } from '../../src/integrations/pupil-files/read-pupil-file.ts';
import { pino } from 'pino';
import type { AppDeps } from '../../src/app/deps.ts';
import { OPERATOR } from '../../src/app/deps.ts';
import { AUP_OUTBOX_KINDS } from '../../src/app/aup/aup-messages.ts';
import { publishAup } from '../../src/app/aup/publish-aup.ts';
import { setGoogleAdmin } from '../../src/app/organisations/set-google-admin.ts';
import { syncGoogleDirectory } from '../../src/app/people/sync-google-directory.ts';
import type { WorkspaceDirectory } from '../../src/domain/google-directory.ts';
import { ADMIN_DIRECTORY_USER_SCOPE, ADMIN_REPORTS_SCOPE } from '../../src/domain/google-workspace.ts';
import { createGoogleWorkspaceDirectory } from '../../src/integrations/google/google-directory.ts';
import { startAupSchedules } from '../../src/jobs/aup-schedules.ts';
import { fakeAdminAuth, startFakeGoogleAdmin, type FakeGoogleAdmin } from '../fakes/fake-google-admin.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

const DOMAIN = 'oakfield.example.org';
const ADMIN = 'it.admin@oakfield.example.org';
const START = Date.parse('2026-10-06T08:00:00Z');

describe.each(enginesUnderTest())('new starters from Google Workspace on %s', (engine) => {
  let db: TestStorage;
  let deps: AppDeps;
  let google: FakeGoogleAdmin;
  let directory: WorkspaceDirectory;
  let school: SeededSchool;
  let clock: number;

  const at = (minutesFromStart: number) => new Date(START + minutesFromStart * 60_000).toISOString();
  const advance = (minutes: number) => {
    clock += minutes * 60_000;
  };
  const connect = (options: { pageSize?: number; quota?: { requests: number; perMs: number } } = {}) =>
    startFakeGoogleAdmin({ adminEmail: ADMIN, now: () => clock, ...options }).then((fake) => {
      google = fake;
      directory = createGoogleWorkspaceDirectory({ authFor: fakeAdminAuth, rootUrl: fake.rootUrl });
    });
  const poll = (source: 'events' | 'reconcile' = 'events', reader: WorkspaceDirectory = directory) => syncGoogleDirectory(deps, { schoolId: school.school.id, directory: reader, source });
  const delivered = async () => (await db.raw(`select payload from outbox where kind = '${AUP_OUTBOX_KINDS.deliver}'`)).map((row) => JSON.parse(String(row.payload)).personId as string);
  const personOf = (googleId: string) => db.storage.read((r) => r.people.findByGoogleSubject(school.school.id, googleId));
  const state = () => db.storage.read((r) => r.googleDirectory.get(school.school.id));
  const userGets = () => google.calls.filter((call) => call.path.startsWith('/admin/directory/v1/users/')).length;

  beforeEach(async () => {
    clock = START;
    db = await createTestStorage(engine);
    deps = { ...depsFor(db.storage), clock: { now: () => new Date(clock) } };
    school = await seedSchool(deps, 'oakfield', { googleDomain: DOMAIN });
    await publishAup(deps, {
      actor: OPERATOR,
      schoolId: school.school.id,
      startCampaign: false,
      policy: { audience: 'staff', title: 'Staff AUP', markdown: '# Staff AUP\n\nKeep passwords private.\n', acknowledgementWording: 'I agree', effectiveDate: '2026-09-01', reviewDate: '2027-09-01' },
    });
    await setGoogleAdmin(deps, { actor: OPERATOR, schoolId: school.school.id, input: { adminEmail: ADMIN } });
  });
  afterEach(async () => {
    await google?.close();
    await db.cleanup();
  });

  test('a CREATE_USER event makes a new member of staff who is sent the policy; accounts already there are the baseline', async () => {
    await connect();
    const existing = google.addUser({ email: `amy.adams@${DOMAIN}`, fullName: 'Amy Adams', creationTime: '2025-01-10T09:00:00Z' });
    google.addUser({ email: `staff@${DOMAIN}`, fullName: 'Sam Teacher', creationTime: '2024-09-01T09:00:00Z' });

    expect(await poll('events')).toMatchObject({ baseline: true, newStarters: 0 });
    const baseline = await poll('reconcile');
    expect(baseline).toMatchObject({ baseline: false, newStarters: 0, updated: 2 });
    expect(await personOf(existing.id)).toMatchObject({ displayName: 'Amy Adams', roles: ['staff'] });
    // The office's own record is linked to the account, not duplicated.
    expect((await personOf((await db.storage.read((r) => r.people.findByEmail(school.school.id, `staff@${DOMAIN}`)))!.googleSubject!))!.id).toBe(school.staff.personId);
    expect(await delivered()).toEqual([]);

    advance(5);
    const nia = google.addUser({ email: `nia.newstart@${DOMAIN}`, fullName: 'Nia Newstart', creationTime: at(4), title: 'Teacher', department: 'Year 3' });
    expect(await poll('events')).toMatchObject({ baseline: false, events: 1, newStarters: 1 });
    const person = await personOf(nia.id);
    expect(person).toMatchObject({ displayName: 'Nia Newstart', email: `nia.newstart@${DOMAIN}`, roles: ['staff'], active: true });
    expect(await delivered()).toEqual([person!.id]);
    const profile = await db.storage.read((r) => r.aupProfiles.get(school.school.id, person!.id));
    expect(profile).toMatchObject({ source: 'directory', directory: { jobTitle: 'Teacher', department: 'Year 3', identity: { provider: 'google', tenantId: DOMAIN, objectId: nia.id }, orgUnitPath: '/Staff' } });

    // googleapis called the Admin SDK's own paths, as the school's admin.
    const reports = google.calls.filter((call) => call.path === '/admin/reports/v1/activity/users/all/applications/admin');
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.at(-1)!.query).toMatchObject({ eventName: 'CREATE_USER', startTime: expect.any(String) });
    expect(google.calls.some((call) => call.path === '/admin/directory/v1/users' && call.query.customer === 'my_customer' && call.status === 200)).toBe(true);
    expect(google.calls.some((call) => call.path === `/admin/directory/v1/users/nia.newstart@${DOMAIN}`)).toBe(true);
    expect(google.calls.every((call) => call.status === 200)).toBe(true);
  });

  test('the cursor survives a restart: events in the same second and a late-logged event are each handled once', async () => {
    await connect({ pageSize: 2 });
    await poll('events');
    advance(10);
    const sameSecond = '2026-10-06T08:09:30.000Z';
    const a = google.addUser({ email: `a.one@${DOMAIN}`, creationTime: sameSecond });
    const b = google.addUser({ email: `b.two@${DOMAIN}`, creationTime: sameSecond });
    expect(await poll('events')).toMatchObject({ events: 2, newStarters: 2 });
    expect((await state())!.reportsCursor).toMatchObject({ time: sameSecond, seen: [expect.anything(), expect.anything()] });

    // A new process: a fresh client, the same database.
    const restarted = createGoogleWorkspaceDirectory({ authFor: fakeAdminAuth, rootUrl: google.rootUrl });
    advance(5);
    const c = google.addUser({ email: `c.three@${DOMAIN}`, creationTime: sameSecond });
    // Google logged this one late: its time is before the cursor.
    const late = google.addUser({ email: `d.late@${DOMAIN}`, creationTime: at(2) });
    const getsBefore = userGets();
    expect(await poll('events', restarted)).toMatchObject({ events: 2, newStarters: 2 });
    expect(userGets() - getsBefore).toBe(2);
    expect(await poll('events', restarted)).toMatchObject({ events: 0, newStarters: 0 });
    expect(userGets() - getsBefore).toBe(2);

    const ids = await Promise.all([a, b, c, late].map(async (user) => (await personOf(user.id))!.id));
    expect((await delivered()).sort()).toEqual(ids.sort());
  });

  test('a pupil account named by the school’s rule is linked to its pupil, from either source, and never becomes a member of staff', async () => {
    await importPupils(deps, { actor: OPERATOR, schoolId: school.school.id, file: readPupilFile('upn,legal_forename,legal_surname,date_of_birth\nF938200119001,Samantha,Green,2016-03-14\n') });
    await setPupilAccountRule(deps, { actor: school.admin, schoolId: school.school.id, rule: { emailTemplate: `{upn}@${DOMAIN}` } });
    await connect();
    await poll('events');
    advance(5);
    const sam = google.addUser({ email: `f938200119001@${DOMAIN}`, fullName: 'Sam Green', creationTime: at(1) });
    // A UPN not imported yet is still a pupil's account: not a new member of staff.
    const notYet = google.addUser({ email: `v938200119002@${DOMAIN}`, fullName: 'New Pupil', creationTime: at(2) }, { event: false });
    const teacher = google.addUser({ email: `dee.staff@${DOMAIN}`, fullName: 'Dee Staff', creationTime: at(3) });
    expect(await poll('events')).toMatchObject({ newStarters: 1 });
    expect(await poll('reconcile')).toMatchObject({ newStarters: 0 });
    expect((await db.storage.read((r) => r.pupils.findByUpn(school.school.id, 'F938200119001')))?.directoryAccount).toBe(sam.id);
    for (const user of [sam, notYet]) expect(await personOf(user.id)).toBeUndefined();
    expect(await personOf(teacher.id)).toMatchObject({ displayName: 'Dee Staff' });
    const linked = await db.storage.read((r) => r.audit.listByAction(school.school.id, { actions: ['pupil.directory_linked'], limit: 10 }));
    expect(linked).toHaveLength(1);
  });

  test('the nightly users.list catches an account the Reports log missed; pupils, suspended and service accounts are not staff', async () => {
    await connect({ pageSize: 3 });
    await poll('events');
    await poll('reconcile');
    advance(30);
    const missed = google.addUser({ email: `mo.missed@${DOMAIN}`, fullName: 'Mo Missed', creationTime: at(20) }, { event: false });
    const pupil = google.addUser({ email: `p.pupil@${DOMAIN}`, fullName: 'Pat Pupil', orgUnitPath: '/Pupils/Year 7', creationTime: at(21) });
    const suspended = google.addUser({ email: `s.gone@${DOMAIN}`, fullName: 'Sue Gone', suspended: true, creationTime: at(22) });
    const scanner = google.addUser({ email: `scanner1@${DOMAIN}`, fullName: 'Scanner', creationTime: at(23) });

    expect(await poll('events')).toMatchObject({ events: 3, newStarters: 0, ignored: 3 });
    expect(await poll('reconcile')).toMatchObject({ newStarters: 1 });
    const person = await personOf(missed.id);
    expect(person).toMatchObject({ displayName: 'Mo Missed', roles: ['staff'] });
    expect(await delivered()).toEqual([person!.id]);
    for (const user of [pupil, suspended, scanner]) expect(await personOf(user.id)).toBeUndefined();
    expect((await state())!.reconciledAt).toBe(new Date(clock).toISOString());

    // A school that lists its staff org units gets exactly those.
    await setGoogleAdmin(deps, { actor: OPERATOR, schoolId: school.school.id, input: { adminEmail: ADMIN, staffOrgUnits: ['/Teachers/'] } });
    advance(5);
    const teacher = google.addUser({ email: `t.teach@${DOMAIN}`, orgUnitPath: '/Teachers/Science', creationTime: at(34) });
    const office = google.addUser({ email: `o.office@${DOMAIN}`, orgUnitPath: '/Staff', creationTime: at(34) });
    expect(await poll('events')).toMatchObject({ events: 2, newStarters: 1 });
    expect(await personOf(teacher.id)).toBeDefined();
    expect(await personOf(office.id)).toBeUndefined();
  });

  test('the same account from both sources is one new starter, whichever comes first', async () => {
    await connect();
    await poll('events');
    await poll('reconcile');
    advance(10);
    const first = google.addUser({ email: `e.events@${DOMAIN}`, creationTime: at(8) });
    expect(await poll('events')).toMatchObject({ newStarters: 1 });
    expect(await poll('reconcile')).toMatchObject({ newStarters: 0 });

    advance(10);
    const second = google.addUser({ email: `r.reconcile@${DOMAIN}`, creationTime: at(19) });
    expect(await poll('reconcile')).toMatchObject({ newStarters: 1 });
    expect(await poll('events')).toMatchObject({ events: 1, newStarters: 0, updated: 1 });

    const ids = [(await personOf(first.id))!.id, (await personOf(second.id))!.id];
    expect((await delivered()).sort()).toEqual(ids.sort());
    const [count] = await db.raw(`select count(*) as n from people where email in ('e.events@${DOMAIN}', 'r.reconcile@${DOMAIN}')`);
    expect(Number(count!.n)).toBe(2);
  });

  test('throttled (429 with Retry-After): progress so far is kept, the school backs off, and the next poll after it finishes the rest once', async () => {
    await connect({ pageSize: 2, quota: { requests: 4, perMs: 60_000 } });
    await poll('events');
    advance(2);
    const users = [1, 2, 3].map((n) => google.addUser({ email: `q.user${n}@${DOMAIN}`, creationTime: at(1) }));
    // Two pages of events and two users.get fill the quota: the third account's read is refused.
    await expect(poll('events')).rejects.toMatchObject({ code: 'unavailable' });
    expect(google.calls.filter((call) => call.status === 429)).toHaveLength(1);
    expect(await delivered()).toHaveLength(2);
    const backingOff = (await state())!;
    expect(backingOff).toMatchObject({ failures: 1, lastError: expect.stringContaining('tried again') });
    expect(Date.parse(backingOff.notBefore!)).toBeGreaterThanOrEqual(clock + 60_000);

    const callsBefore = google.calls.length;
    expect(await poll('events')).toMatchObject({ skipped: 'backing_off' });
    expect(google.calls.length).toBe(callsBefore);

    advance(2);
    expect(await poll('events')).toMatchObject({ events: 1, newStarters: 1 });
    expect(await state()).toMatchObject({ failures: 0, lastError: null, notBefore: null });
    const ids = await Promise.all(users.map(async (user) => (await personOf(user.id))!.id));
    expect((await delivered()).sort()).toEqual(ids.sort());
  });

  test('a 5xx is tried again after a backoff, with nothing lost', async () => {
    await connect();
    await poll('events');
    advance(1);
    const user = google.addUser({ email: `f.fault@${DOMAIN}`, creationTime: at(1) });
    google.failNext(503, 1, { api: 'directory' });
    await expect(poll('events')).rejects.toMatchObject({ code: 'unavailable' });
    expect(await delivered()).toEqual([]);
    advance(2);
    expect(await poll('events')).toMatchObject({ newStarters: 1 });
    expect(await delivered()).toEqual([(await personOf(user.id))!.id]);
  });

  test('a refused delegation (403) gives the operator a clear message naming the scope and the setting, logged without personal data', async () => {
    await connect();
    await poll('events');
    google.refuse('reports');
    advance(1);
    google.addUser({ email: `x.secret@${DOMAIN}`, fullName: 'Xena Secret', creationTime: at(1) });
    await expect(poll('events')).rejects.toMatchObject({ code: 'forbidden', userMessage: expect.stringContaining(ADMIN_REPORTS_SCOPE) });
    const refused = (await state())!;
    expect(refused.lastError).toContain('Domain-wide delegation');
    expect(refused.lastError).toContain(ADMIN_DIRECTORY_USER_SCOPE);
    expect(refused.lastError).not.toContain(ADMIN);

    // The scheduler logs it for the operator, naming the school only.
    google.refuse('reports', false);
    google.refuse('directory');
    await setGoogleAdmin(deps, { actor: OPERATOR, schoolId: school.school.id, input: { adminEmail: ADMIN } });
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const schedules = startAupSchedules({ deps, logger, directoryPollMinutes: 0, googleDirectory: directory, googleAdminPollMinutes: 5, yearlyCheckMinutes: 1440 });
    try {
      await waitFor(() => lines.some((line) => line.code === 'forbidden'));
    } finally {
      await schedules.stop();
    }
    const warning = lines.find((line) => line.code === 'forbidden')!;
    expect(warning).toMatchObject({ schoolId: school.school.id, msg: expect.stringContaining('administrator must act'), err: { message: expect.stringContaining(ADMIN_DIRECTORY_USER_SCOPE) } });
    const logged = JSON.stringify(lines);
    for (const personal of [ADMIN, 'x.secret', 'Xena']) expect(logged).not.toContain(personal);
    expect(await delivered()).toEqual([]);
  });

  test('the scheduler reads events every poll and runs the baseline reconcile straight away', async () => {
    await connect();
    const existing = google.addUser({ email: `amy.adams@${DOMAIN}`, fullName: 'Amy Adams', creationTime: '2025-01-10T09:00:00Z' });
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const schedules = startAupSchedules({ deps, logger, directoryPollMinutes: 0, googleDirectory: directory, googleAdminPollMinutes: 5, yearlyCheckMinutes: 1440 });
    try {
      await waitFor(async () => (await state())?.reconciledAt !== null);
    } finally {
      await schedules.stop();
    }
    expect(await personOf(existing.id)).toMatchObject({ roles: ['staff'] });
    expect(await delivered()).toEqual([]);
    expect(lines.filter((line) => line.msg === 'google directory read').map((line) => line.source)).toEqual(['events', 'reconcile']);
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
