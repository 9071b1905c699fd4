import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../../src/app/deps.ts';
import { OPERATOR } from '../../src/app/deps.ts';
import { AUP_OUTBOX_KINDS } from '../../src/app/aup/aup-messages.ts';
import { publishAup } from '../../src/app/aup/publish-aup.ts';
import { setAupProfile } from '../../src/app/aup/manage-aup-settings.ts';
import { syncDirectory } from '../../src/app/people/sync-directory.ts';
import { importPupils } from '../../src/app/pupils/import-pupils.ts';
import { setPupilAccountRule } from '../../src/app/pupils/set-pupil-account-rule.ts';
import { readPupilFile } from '../../src/integrations/pupil-files/read-pupil-file.ts';
import { getAupStatus } from '../../src/app/aup/get-aup-status.ts';
import type { DirectoryReader } from '../../src/domain/directory.ts';
import { createGraphDirectory } from '../../src/integrations/microsoft/graph-directory.ts';
import { plainHttpNetworkClient } from '../fakes/fake-graph.ts';
import { startFakeGraphDirectory, type FakeGraphDirectory } from '../fakes/fake-graph-directory.ts';
import { startFakeIdentityProvider, type FakeIdentityProvider } from '../fakes/fake-identity-provider.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

const CLIENT_ID = '9c1b2a3d-0000-4000-8000-00000000d2d2';
const CLIENT_SECRET = 'test-secret-not-real';

describe.each(enginesUnderTest())('new starters from the Microsoft 365 directory on %s', (engine) => {
  let db: TestStorage;
  let deps: AppDeps;
  let idp: FakeIdentityProvider;
  let graph: FakeGraphDirectory;
  let reader: DirectoryReader;
  let school: SeededSchool;
  const tenantId = randomUUID();

  beforeEach(async () => {
    db = await createTestStorage(engine);
    deps = { ...depsFor(db.storage), clock: { now: () => new Date('2026-10-06T08:00:00Z') } };
    school = await seedSchool(deps, 'oakfield', { entraTenantId: tenantId });
    idp = await startFakeIdentityProvider();
    idp.registerClient({ id: CLIENT_ID, secret: CLIENT_SECRET, audience: 'api://dsl-desk-directory-sync-test' });
    graph = await startFakeGraphDirectory(idp, { pageSize: 3 });
    reader = createGraphDirectory({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, loginUrl: idp.baseUrl.replace('http://', 'https://'), graphUrl: graph.url, networkClient: plainHttpNetworkClient(), sleep: async () => undefined });
    await publishAup(deps, {
      actor: OPERATOR,
      schoolId: school.school.id,
      startCampaign: false,
      policy: { audience: 'staff', title: 'Staff AUP', markdown: '# Staff AUP\n\nKeep passwords private.\n', acknowledgementWording: 'I agree', effectiveDate: '2026-09-01', reviewDate: '2027-09-01' },
    });
  });
  afterEach(async () => {
    await graph.close();
    await idp.close();
    await db.cleanup();
  });

  const delivered = async () => (await db.raw(`select payload from outbox where kind = '${AUP_OUTBOX_KINDS.deliver}'`)).map((row) => JSON.parse(String(row.payload)).personId as string);
  const member = (name: string, extra: Record<string, unknown> = {}) => {
    const upn = `${name.toLowerCase().replace(/[^a-z]/g, '.')}@oakfield.example.org`;
    return graph.addUser({ displayName: name, userPrincipalName: upn, mail: upn, accountEnabled: true, userType: 'Member', ...extra });
  };

  test('a pupil account named by the school’s rule is linked to its pupil and never becomes a member of staff', async () => {
    await importPupils(deps, { actor: OPERATOR, schoolId: school.school.id, file: readPupilFile('upn,legal_forename,legal_surname,date_of_birth\nF938200119001,Samantha,Green,2016-03-14\n') });
    await setPupilAccountRule(deps, { actor: school.admin, schoolId: school.school.id, rule: { emailTemplate: '{upn}@pupils.oakfield.example.org' } });
    const samAccount = graph.addUser({ displayName: 'Sam Green', userPrincipalName: 'f938200119001@pupils.oakfield.example.org', mail: 'f938200119001@pupils.oakfield.example.org', accountEnabled: true, userType: 'Member' });
    // A pupil account of a UPN not imported yet is still a pupil's, not a new member of staff.
    graph.addUser({ displayName: 'New Pupil', userPrincipalName: 'v938200119002@pupils.oakfield.example.org', accountEnabled: true, userType: 'Member' });
    member('Dee Staff');
    const read = await syncDirectory(deps, { schoolId: school.school.id, reader });
    expect(read).toMatchObject({ pupilAccounts: 2 });
    const sam = await db.storage.read((r) => r.pupils.findByUpn(school.school.id, 'F938200119001'));
    expect(sam?.directoryAccount).toBe(samAccount.id.toLowerCase());
    const people = await db.storage.read((r) => r.people.list(school.school.id));
    expect(people.map((p) => p.displayName)).toContain('Dee Staff');
    expect(people.map((p) => p.displayName)).not.toContain('Sam Green');
    expect(people.map((p) => p.displayName)).not.toContain('New Pupil');
    expect((await db.storage.read((r) => r.audit.listByAction(school.school.id, { actions: ['pupil.directory_linked', 'pupil.account_rule_set'], limit: 10 }))).map((e) => e.action).sort()).toEqual(['pupil.account_rule_set', 'pupil.directory_linked']);
  });

  test('the first read is a baseline; later new members are new starters, once; guests, disabled and service accounts are not', async () => {
    const existing = [member('Amy Adams'), member('Ben Brown'), member('Cara Cole', { jobTitle: 'Teacher' })];
    // Someone the office imported already, matched by email and linked rather than created twice.
    graph.addUser({ displayName: 'Sam Teacher', userPrincipalName: 'staff@oakfield.example.org', mail: 'staff@oakfield.example.org', accountEnabled: true, userType: 'Member' });
    const first = await syncDirectory(deps, { schoolId: school.school.id, reader });
    expect(first).toMatchObject({ baseline: true, seen: 4, newStarters: 0 });
    expect(first.pages).toBeGreaterThan(1);
    expect(await delivered()).toEqual([]);
    const linked = await db.storage.read((r) => r.people.findByEmail(school.school.id, 'staff@oakfield.example.org'));
    expect(linked!.id).toBe(school.staff.personId);
    expect(linked!.entraObjectId).toBeTruthy();
    const state = await db.storage.read((r) => r.directorySync.get(school.school.id, 'entra'));
    expect(state).toMatchObject({ baselineDone: true, lastError: null, deltaLink: expect.stringContaining('/users/delta') });

    const starter = member('Nia Newstart', { department: 'Year 3', employeeHireDate: '2026-10-19T00:00:00Z' });
    member('Guest Person', { userType: 'Guest', userPrincipalName: 'guest_gmail.com#EXT#@oakfield.onmicrosoft.com' });
    member('Svc Backup', { userPrincipalName: 'svc-backup@oakfield.example.org', mail: null });
    member('Dee Disabled', { accountEnabled: false });
    graph.updateUser(existing[2]!.id, { jobTitle: 'Head of Year 4' });
    const second = await syncDirectory(deps, { schoolId: school.school.id, reader });
    expect(second).toMatchObject({ baseline: false, newStarters: 1, ignored: 3, updated: 1 });
    const starterPerson = await db.storage.read((r) => r.people.findByEntraObjectId(school.school.id, starter.id.toLowerCase()));
    expect(starterPerson).toMatchObject({ displayName: 'Nia Newstart', roles: ['staff'], active: true });
    expect(await delivered()).toEqual([starterPerson!.id]);
    const profile = await db.storage.read((r) => r.aupProfiles.get(school.school.id, starterPerson!.id));
    expect(profile).toMatchObject({ source: 'directory', startDate: '2026-10-19', directory: { department: 'Year 3' } });
    // Her start date is set from the directory's hire date: the head hears two working days before, if unsigned.
    expect((await db.raw(`select run_after from outbox where kind = '${AUP_OUTBOX_KINDS.escalate}'`)).map((row) => String(row.run_after))).toEqual(['2026-10-15T07:00:00.000Z']);
    const cara = await db.storage.read(async (r) => r.aupProfiles.get(school.school.id, (await r.people.findByEntraObjectId(school.school.id, existing[2]!.id.toLowerCase()))!.id));
    expect(cara!.directory.jobTitle).toBe('Head of Year 4');
    expect(await db.storage.read((r) => r.people.findByEmail(school.school.id, 'guest.person@oakfield.example.org'))).toBeUndefined();

    // Reading again with nothing changed sends nobody anything new; a restart resumes from the saved link.
    const third = await syncDirectory(deps, { schoolId: school.school.id, reader });
    expect(third).toMatchObject({ seen: 0, newStarters: 0 });
    expect(await delivered()).toHaveLength(1);
    expect((await getAupStatus(deps, { actor: school.head, schoolId: school.school.id })).rows.find((row) => row.personId === starterPerson!.id)).toMatchObject({ status: 'unsigned', startDate: '2026-10-19' });
  });

  test('leavers become inactive; an expired delta link is a full re-read that welcomes nobody already known', async () => {
    const amy = member('Amy Adams');
    await syncDirectory(deps, { schoolId: school.school.id, reader });
    graph.removeUser(amy.id, 'deleted');
    expect(await syncDirectory(deps, { schoolId: school.school.id, reader })).toMatchObject({ left: 1 });
    expect(await db.storage.read((r) => r.people.findByEntraObjectId(school.school.id, amy.id.toLowerCase()))).toMatchObject({ active: false });

    member('Ben Brown');
    graph.expireDeltaLinks();
    const resync = await syncDirectory(deps, { schoolId: school.school.id, reader });
    expect(resync).toMatchObject({ resynced: true, newStarters: 1 });
    expect(await delivered()).toHaveLength(1);
  });

  test('the office’s audience override is kept when the directory changes the person', async () => {
    const val = member('Val Volunteer');
    await syncDirectory(deps, { schoolId: school.school.id, reader });
    const person = await db.storage.read((r) => r.people.findByEntraObjectId(school.school.id, val.id.toLowerCase()));
    await setAupProfile(deps, { actor: school.admin, schoolId: school.school.id, personId: person!.id, changes: { audienceOverride: 'volunteer' } });
    graph.updateUser(val.id, { department: 'Library' });
    await syncDirectory(deps, { schoolId: school.school.id, reader });
    expect(await db.storage.read((r) => r.aupProfiles.get(school.school.id, person!.id))).toMatchObject({ audienceOverride: 'volunteer', directory: { department: 'Library' } });
  });

  test('a refused read is recorded for the office and keeps the last good link', async () => {
    member('Amy Adams');
    await syncDirectory(deps, { schoolId: school.school.id, reader });
    const before = await db.storage.read((r) => r.directorySync.get(school.school.id, 'entra'));
    graph.failNext(403, 1);
    await expect(syncDirectory(deps, { schoolId: school.school.id, reader })).rejects.toMatchObject({ code: 'forbidden' });
    const after = await db.storage.read((r) => r.directorySync.get(school.school.id, 'entra'));
    expect(after).toMatchObject({ deltaLink: before!.deltaLink, lastError: expect.stringContaining('User.Read.All') });
  });
});
