import { randomUUID } from 'node:crypto';
import { DirectoryRefusal, mergeDirectoryUser, type DirectoryReader, type DirectoryUser, type DirectoryUserChange, type TeamsAppInstaller } from '../../src/domain/directory.ts';
import { AppError } from '../../src/domain/errors.ts';
import { createGraphDirectory, parseDirectoryChange, type GraphDirectoryOptions } from '../../src/integrations/microsoft/graph-directory.ts';
import { plainHttpNetworkClient } from '../fakes/fake-graph.ts';
import { startFakeGraphDirectory, type FakeGraphDirectory } from '../fakes/fake-graph-directory.ts';
import { startFakeIdentityProvider, type FakeIdentityProvider } from '../fakes/fake-identity-provider.ts';

const CLIENT_ID = '9c1b2a3d-0000-4000-8000-00000000d1d1';
const CLIENT_SECRET = 'test-secret-not-real';
const INSTALL_ROLE = 'TeamsAppInstallation.ReadWriteSelfForUser.All';

describe('the school directory and the Teams app through Microsoft Graph', () => {
  let idp: FakeIdentityProvider;
  let graph: FakeGraphDirectory;
  let directory: DirectoryReader & TeamsAppInstaller;
  let waits: number[];
  const tenantId = randomUUID();

  const connect = (overrides: Partial<GraphDirectoryOptions> = {}) =>
    createGraphDirectory({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      // MSAL only accepts an https authority; the test network client carries it to the local provider.
      loginUrl: idp.baseUrl.replace('http://', 'https://'),
      graphUrl: graph.url,
      networkClient: plainHttpNetworkClient(),
      sleep: async (ms) => {
        waits.push(ms);
      },
      ...overrides,
    });

  beforeEach(async () => {
    idp = await startFakeIdentityProvider();
    idp.registerClient({ id: CLIENT_ID, secret: CLIENT_SECRET, audience: 'api://dsl-desk-directory-test' });
    graph = await startFakeGraphDirectory(idp, { pageSize: 2 });
    waits = [];
    directory = connect();
  });
  afterEach(async () => {
    await graph.close();
    await idp.close();
  });

  /** Reads one round, page by page, as the sync job does. */
  const read = async (deltaLink?: string, reader: DirectoryReader = directory) => {
    const pages: DirectoryUserChange[][] = [];
    const result = await reader.readChanges(tenantId, deltaLink, async (page) => {
      pages.push(page.users);
    });
    return { ...result, pages, users: pages.flat() };
  };
  const deltaCalls = () => graph.calls.filter((call) => call.path === '/v1.0/users/delta');

  const addStaff = () => {
    const head = graph.addUser({ displayName: 'Helen Hart', userPrincipalName: 'h.hart@oakfield.example.org', mail: 'h.hart@oakfield.example.org', jobTitle: 'Headteacher', assignedLicenses: [{ skuId: randomUUID(), disabledPlans: [] }] });
    const teacher = graph.addUser({
      displayName: 'Amy Adams',
      userPrincipalName: 'a.adams@oakfield.example.org',
      department: 'Science',
      jobTitle: 'Teacher of Chemistry',
      managerId: head.id,
      // Local midnight on 1 September, as a UK HR system writes it: 23:00 UTC the day before.
      employeeHireDate: '2026-08-31T23:00:00Z',
      assignedLicenses: [{ skuId: randomUUID(), disabledPlans: [] }, { skuId: randomUUID(), disabledPlans: [] }],
    });
    const guest = graph.addUser({ displayName: 'Sam (Trust IT)', userPrincipalName: 'sam_trust-it.example.org#EXT#@oakfield.onmicrosoft.com', userType: 'Guest' });
    const leaver = graph.addUser({ displayName: 'Lee Leaver', userPrincipalName: 'l.leaver@oakfield.example.org', accountEnabled: false });
    const scanner = graph.addUser({ displayName: 'Office scanner', userPrincipalName: 'scanner1@oakfield.example.org', employeeHireDate: '2026-01-05T00:00:00Z' });
    return { head, teacher, guest, leaver, scanner };
  };

  test('the first read pages through everyone, tracking the manager without $expand, and returns a delta link', async () => {
    const staff = addStaff();
    const first = await read();
    expect(first.pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(first.users.map((user) => user.objectId)).toEqual([staff.head.id, staff.teacher.id, staff.guest.id, staff.leaver.id, staff.scanner.id]);
    expect(first.resynced).toBe(false);
    expect(first.deltaLink.startsWith(`${graph.url}/v1.0/users/delta?$deltatoken=`)).toBe(true);

    const teacher = first.users.find((user) => user.objectId === staff.teacher.id);
    expect(teacher).toEqual({
      objectId: staff.teacher.id,
      removed: false,
      userPrincipalName: 'a.adams@oakfield.example.org',
      displayName: 'Amy Adams',
      mail: null,
      department: 'Science',
      jobTitle: 'Teacher of Chemistry',
      accountEnabled: true,
      userType: 'Member',
      employeeHireDate: '2026-09-01',
      managerObjectId: staff.head.id,
      licenceCount: 2,
    });
    const head = first.users.find((user) => user.objectId === staff.head.id);
    // No manager: Graph sends no manager@delta, and the change leaves the manager unstated.
    expect(head).toMatchObject({ licenceCount: 1, jobTitle: 'Headteacher' });
    expect(head).not.toHaveProperty('managerObjectId');
    expect(first.users.find((user) => user.objectId === staff.guest.id)).toMatchObject({ userType: 'Guest', licenceCount: 0 });
    expect(first.users.find((user) => user.objectId === staff.leaver.id)).toMatchObject({ accountEnabled: false });
    expect(first.users.find((user) => user.objectId === staff.scanner.id)).toMatchObject({ employeeHireDate: '2026-01-05' });

    // One initial request with every tracked property selected, then Graph's own links; minimal answers asked for throughout.
    const calls = deltaCalls();
    expect(calls).toHaveLength(3);
    expect(decodeURIComponent(calls[0]!.query)).toBe('?$select=id,displayName,userPrincipalName,mail,department,jobTitle,accountEnabled,userType,employeeHireDate,assignedLicenses,manager,companyName,officeLocation,onPremisesExtensionAttributes');
    expect(calls[1]!.query).toMatch(/^\?\$skiptoken=/);
    expect(calls.every((call) => call.status === 200 && call.prefer === 'return=minimal')).toBe(true);
  });

  test('a read with the delta link returns only what changed: new starters in full, updates as just the changes, removals', async () => {
    const staff = addStaff();
    const first = await read();
    const known = new Map<string, DirectoryUser>(first.users.map((change) => [change.objectId, mergeDirectoryUser(undefined, change)]));

    const starter = graph.addUser({ displayName: 'Nina New', userPrincipalName: 'n.new@oakfield.example.org', employeeHireDate: '2026-09-01T00:00:00Z', assignedLicenses: [{ skuId: randomUUID(), disabledPlans: [] }] });
    graph.updateUser(staff.teacher.id, { jobTitle: 'Head of Science', managerId: null });
    graph.updateUser(staff.leaver.id, { accountEnabled: true });
    graph.removeUser(staff.guest.id);
    graph.removeUser(staff.scanner.id, 'deleted');

    const second = await read(first.deltaLink);
    expect(second.resynced).toBe(false);
    expect(second.deltaLink).not.toBe(first.deltaLink);
    const byId = new Map(second.users.map((user) => [user.objectId, user]));
    expect([...byId.keys()].sort()).toEqual([starter.id, staff.teacher.id, staff.leaver.id, staff.guest.id, staff.scanner.id].sort());
    expect(byId.get(starter.id)).toMatchObject({ displayName: 'Nina New', employeeHireDate: '2026-09-01', licenceCount: 1, accountEnabled: true, removed: false });
    // Only what changed: the manager was taken away and the title changed; nothing else was sent.
    expect(byId.get(staff.teacher.id)).toEqual({ objectId: staff.teacher.id, removed: false, jobTitle: 'Head of Science', managerObjectId: null });
    expect(byId.get(staff.leaver.id)).toEqual({ objectId: staff.leaver.id, removed: false, accountEnabled: true });
    expect(byId.get(staff.guest.id)).toEqual({ objectId: staff.guest.id, removed: true });
    expect(byId.get(staff.scanner.id)).toEqual({ objectId: staff.scanner.id, removed: true });

    // Merged with what was known, the partial update keeps everything it did not mention.
    const teacher = mergeDirectoryUser(known.get(staff.teacher.id), byId.get(staff.teacher.id)!);
    expect(teacher).toMatchObject({ displayName: 'Amy Adams', department: 'Science', jobTitle: 'Head of Science', managerObjectId: null, licenceCount: 2, employeeHireDate: '2026-09-01' });
    expect(mergeDirectoryUser(known.get(staff.scanner.id), byId.get(staff.scanner.id)!)).toMatchObject({ displayName: 'Office scanner', removed: true });

    const third = await read(second.deltaLink);
    expect(third.users).toEqual([]);
    expect(third.pages).toHaveLength(1);
  });

  test('an expired delta link (410 Gone) restarts with a full read, flagged as a resync', async () => {
    const staff = addStaff();
    const first = await read();
    graph.removeUser(staff.leaver.id);
    graph.expireDeltaLinks();

    const again = await read(first.deltaLink);
    expect(again.resynced).toBe(true);
    // Everyone present, nobody removed: the caller learns who left by who is missing from a resync.
    expect(again.users.map((user) => user.objectId).sort()).toEqual([staff.head.id, staff.teacher.id, staff.guest.id, staff.scanner.id].sort());
    expect(again.users.every((user) => !user.removed)).toBe(true);
    const calls = deltaCalls();
    const gone = calls.findIndex((call) => call.status === 410);
    expect(calls.filter((call) => call.status === 410)).toHaveLength(1);
    expect(calls[gone]!.query).toMatch(/^\?\$deltatoken=/);
    // The restart is the initial query again, with its $select, not Graph's Location or the old link.
    expect(decodeURIComponent(calls[gone + 1]!.query)).toContain('$select=id,displayName');

    const after = await read(again.deltaLink);
    expect(after).toMatchObject({ resynced: false, users: [] });
  });

  test('a stored link for another host is never followed: a full read is done instead', async () => {
    graph.addUser({ displayName: 'Amy Adams', userPrincipalName: 'a.adams@oakfield.example.org' });
    const result = await read('https://graph.example.net/v1.0/users/delta?$deltatoken=abc');
    expect(result.resynced).toBe(true);
    expect(result.users).toHaveLength(1);
    expect(deltaCalls()).toHaveLength(1);
  });

  test('throttling (429) waits as long as Retry-After says and retries the same page; outages back off', async () => {
    addStaff();
    const first = await read();
    graph.addUser({ displayName: 'Nina New', userPrincipalName: 'n.new@oakfield.example.org' });
    graph.failNext(429, 2, 7);
    const second = await read(first.deltaLink);
    expect(waits).toEqual([7000, 7000]);
    expect(second.users).toHaveLength(1);
    const statuses = deltaCalls().slice(-3).map((call) => call.status);
    expect(statuses).toEqual([429, 429, 200]);
    // The same request each time: the delta link itself, not a fresh start.
    expect(new Set(deltaCalls().slice(-3).map((call) => call.query)).size).toBe(1);

    waits = [];
    graph.failNext(503, 1);
    graph.failNext(504, 1);
    await read(second.deltaLink);
    expect(waits).toEqual([1000, 2000]);
  });

  test('Graph failing beyond the retries is "unavailable"; missing consent for User.Read.All is "forbidden" and says what to ask IT', async () => {
    addStaff();
    graph.failNext(503, 10);
    const unavailable = await read().catch((error: unknown) => error);
    expect(unavailable).toBeInstanceOf(AppError);
    expect(unavailable).toMatchObject({ code: 'unavailable' });
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(deltaCalls()).toHaveLength(6);

    graph.revokeRole('User.Read.All');
    const forbidden = await read().catch((error: unknown) => error);
    expect(forbidden).toBeInstanceOf(AppError);
    expect(forbidden).toMatchObject({ code: 'forbidden', userMessage: 'DSL Desk cannot read the school’s directory yet. Ask IT to grant admin consent for User.Read.All.' });
  });

  test('a Retry-After longer than DSL Desk will wait gives up at once and says when to come back', async () => {
    const person = graph.addUser({ displayName: 'Amy Adams', userPrincipalName: 'a.adams@oakfield.example.org' });
    graph.failNext(429, 1, 600);
    const refusal = await directory.installForUser(tenantId, person.id, graph.catalogAppId).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DirectoryRefusal);
    expect(refusal).toMatchObject({ code: 'unavailable', retryable: true, retryAfterMs: 600_000 });
    expect(waits).toEqual([]);
  });

  test('without admin consent Entra issues no token: reading is forbidden and installing is refused as permission_missing', async () => {
    idp.registerClient({ id: CLIENT_ID, secret: CLIENT_SECRET, audience: 'api://dsl-desk-directory-test', consented: false });
    const person = graph.addUser({ displayName: 'Amy Adams', userPrincipalName: 'a.adams@oakfield.example.org' });
    await expect(read()).rejects.toMatchObject({ code: 'forbidden' });
    const refusal = await directory.installForUser(tenantId, person.id, graph.catalogAppId).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ code: 'permission_missing', retryable: false });
    // Entra said no: nothing was retried and Graph was never called.
    expect(waits).toEqual([]);
    expect(graph.calls).toHaveLength(0);
  });

  describe('installing the Teams app', () => {
    const refusalOf = async (userId: string, catalogAppId = graph.catalogAppId) => {
      const error = await directory.installForUser(tenantId, userId, catalogAppId).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DirectoryRefusal);
      return error as DirectoryRefusal;
    };

    test('201 is installed, 409 is already installed', async () => {
      const person = graph.addUser({ displayName: 'Amy Adams', userPrincipalName: 'a.adams@oakfield.example.org' });
      const pinned = graph.addUser({ displayName: 'Ben Brown', userPrincipalName: 'b.brown@oakfield.example.org' });
      graph.setInstallBehaviour(pinned.id, 'conflict');
      expect(graph.isInstalled(person.id)).toBe(false);
      await expect(directory.installForUser(tenantId, person.id, graph.catalogAppId)).resolves.toBe('installed');
      expect(graph.isInstalled(person.id)).toBe(true);
      await expect(directory.installForUser(tenantId, person.id, graph.catalogAppId)).resolves.toBe('already_installed');
      await expect(directory.installForUser(tenantId, pinned.id, graph.catalogAppId)).resolves.toBe('already_installed');
      expect(graph.calls.filter((call) => call.method === 'POST').map((call) => call.status)).toEqual([201, 409, 409]);
    });

    test('a 403 is told apart by its reason: blocked by Teams policy, no Teams licence, or no consent', async () => {
      const blocked = graph.addUser({ userPrincipalName: 'c.cole@oakfield.example.org' });
      const unlicensed = graph.addUser({ userPrincipalName: 'd.dean@oakfield.example.org' });
      graph.setInstallBehaviour(blocked.id, 'blocked');
      graph.setInstallBehaviour(unlicensed.id, 'no_licence');

      const policy = await refusalOf(blocked.id);
      expect(policy).toMatchObject({ code: 'app_blocked', retryable: false, detail: 'graph 403 Forbidden' });
      expect(policy.message).toContain('Teams admin centre');
      const licence = await refusalOf(unlicensed.id);
      expect(licence).toMatchObject({ code: 'no_teams_licence', retryable: false, message: 'Microsoft 365 says this person has no Teams licence. Ask IT to assign one; DSL Desk will try again once it appears.' });
      // What the office sees names nobody.
      for (const refusal of [policy, licence]) expect(`${refusal.message} ${refusal.detail}`).not.toMatch(/c\.cole|d\.dean|[0-9a-f]{8}-[0-9a-f]{4}/);

      graph.revokeRole(INSTALL_ROLE);
      const consent = await refusalOf(blocked.id);
      expect(consent).toMatchObject({ code: 'permission_missing', retryable: false });
      expect(consent.message).toContain('TeamsAppInstallation.ReadWriteSelfForUser.All');
      expect(graph.calls.filter((call) => call.method === 'POST').every((call) => call.status === 403)).toBe(true);
    });

    test('Teams refuses an Entra app installing a Teams app that does not name it: permission_missing', async () => {
      const strict = await startFakeGraphDirectory(idp, { teamsAppEntraId: randomUUID() });
      try {
        const person = strict.addUser({ userPrincipalName: 'a.adams@oakfield.example.org' });
        const error = await connect({ graphUrl: strict.url })
          .installForUser(tenantId, person.id, strict.catalogAppId)
          .catch((caught: unknown) => caught);
        expect(error).toMatchObject({ code: 'permission_missing' });
        expect(strict.calls.at(-1)).toMatchObject({ method: 'POST', status: 403 });
      } finally {
        await strict.close();
      }
    });

    test('404 is a person Teams does not know (yet), worth retrying; an app missing from the catalogue is app_blocked', async () => {
      const fresh = graph.addUser({ userPrincipalName: 'e.earl@oakfield.example.org' });
      graph.setInstallBehaviour(fresh.id, 'not_found');
      await expect(refusalOf(fresh.id)).resolves.toMatchObject({ code: 'user_not_found', retryable: true, detail: 'graph 404 NotFound' });
      await expect(refusalOf(randomUUID())).resolves.toMatchObject({ code: 'user_not_found' });

      const person = graph.addUser({ userPrincipalName: 'f.ford@oakfield.example.org' });
      const missingApp = await refusalOf(person.id, randomUUID());
      expect(missingApp).toMatchObject({ code: 'app_blocked', retryable: false });
      expect(missingApp.message).toContain('app catalogue');
      expect(graph.isInstalled(person.id)).toBe(false);
    });

    test('throttling is waited out and the install retried; an outage that outlasts the retries is retryable "unavailable"', async () => {
      const person = graph.addUser({ userPrincipalName: 'a.adams@oakfield.example.org' });
      graph.failNext(429, 1, 3);
      await expect(directory.installForUser(tenantId, person.id, graph.catalogAppId)).resolves.toBe('installed');
      expect(waits).toEqual([3000]);

      const other = graph.addUser({ userPrincipalName: 'b.brown@oakfield.example.org' });
      waits = [];
      const impatient = connect({ maxRetries: 2 });
      graph.failNext(502, 3);
      const error = await impatient.installForUser(tenantId, other.id, graph.catalogAppId).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DirectoryRefusal);
      expect(error).toMatchObject({ code: 'unavailable', retryable: true, detail: 'graph 502 after retries' });
      expect(waits).toEqual([1000, 2000]);
      expect(graph.isInstalled(other.id)).toBe(false);
    });
  });

  describe('finding the chat with the app', () => {
    test('returns the 1:1 chat id, which is the bot conversation id', async () => {
      const person = graph.addUser({ userPrincipalName: 'a.adams@oakfield.example.org' });
      await directory.installForUser(tenantId, person.id, graph.catalogAppId);
      const chatId = await directory.findChatWithApp(tenantId, person.id, graph.catalogAppId);
      expect(chatId).toBe(`19:${person.id}_${graph.botAppId}@unq.gbl.spaces`);
      const [list, chat] = graph.calls.filter((call) => call.method === 'GET');
      expect(decodeURIComponent(list!.query)).toBe(`?$expand=teamsApp&$filter=teamsApp/id eq '${graph.catalogAppId}'`);
      expect(chat!.path).toMatch(new RegExp(`^/v1.0/users/${person.id}/teamwork/installedApps/[^/]+/chat$`));
    });

    test('without an installation there is no chat: a retryable refusal; a person Teams does not know is user_not_found', async () => {
      const person = graph.addUser({ userPrincipalName: 'a.adams@oakfield.example.org' });
      const notInstalled = await directory.findChatWithApp(tenantId, person.id, graph.catalogAppId).catch((error: unknown) => error);
      expect(notInstalled).toBeInstanceOf(DirectoryRefusal);
      expect(notInstalled).toMatchObject({ code: 'user_not_found', retryable: true, message: 'DSL Desk’s Teams app is not installed for this person yet.' });

      await expect(directory.findChatWithApp(tenantId, randomUUID(), graph.catalogAppId)).rejects.toMatchObject({ code: 'user_not_found', detail: 'graph 404 NotFound' });
    });
  });

  test('a users/delta entry is read as Graph writes it: left out is unchanged, null is empty, manager links add and remove', () => {
    expect(parseDirectoryChange({ id: 'u1', displayName: null, jobTitle: '', userType: 'guest', accountEnabled: 'yes' })).toEqual({
      objectId: 'u1',
      removed: false,
      displayName: null,
      jobTitle: null,
      userType: 'Guest',
      accountEnabled: null,
    });
    expect(parseDirectoryChange({ id: 'u2', '@removed': { reason: 'deleted' } })).toEqual({ objectId: 'u2', removed: true });
    expect(parseDirectoryChange({ '@removed': { reason: 'changed' } })).toBeUndefined();
    expect(parseDirectoryChange(null)).toBeUndefined();
    // Hire dates are the calendar date in London: midnight UTC in winter, local midnight (23:00 UTC) in summer.
    expect(parseDirectoryChange({ id: 'u3', employeeHireDate: '2027-01-04T00:00:00Z' })?.employeeHireDate).toBe('2027-01-04');
    expect(parseDirectoryChange({ id: 'u3', employeeHireDate: '2026-08-31T23:00:00Z' })?.employeeHireDate).toBe('2026-09-01');
    expect(parseDirectoryChange({ id: 'u3', employeeHireDate: 'soon' })?.employeeHireDate).toBeNull();
    const link = (id: string, removed = false) => ({ '@odata.type': '#microsoft.graph.user', id, ...(removed ? { '@removed': { reason: 'deleted' } } : {}) });
    expect(parseDirectoryChange({ id: 'u4', 'manager@delta': [link('new'), link('old', true)] })?.managerObjectId).toBe('new');
    expect(parseDirectoryChange({ id: 'u4', 'manager@delta': [link('old', true), link('new')] })?.managerObjectId).toBe('new');
    expect(parseDirectoryChange({ id: 'u4', 'manager@delta': [link('old'), link('old', true)] })?.managerObjectId).toBeNull();
    expect(parseDirectoryChange({ id: 'u4', 'manager@delta': [link('old', true)] })?.managerObjectId).toBeNull();
    expect(parseDirectoryChange({ id: 'u4', assignedLicenses: [] })).toEqual({ objectId: 'u4', removed: false, licenceCount: 0 });
  });

  test('the fake Graph accepts only app tokens the identity provider issued for Graph', async () => {
    const get = (token: string) => fetch(`${graph.url}/v1.0/users/delta`, { headers: { authorization: `Bearer ${token}` } });
    const forAnotherApi = await get(await idp.mintEntraToken({ tid: tenantId, oid: randomUUID(), aud: 'api://dsl-desk-directory-test', roles: ['User.Read.All'] }));
    expect(forAnotherApi.status).toBe(401);
    expect(((await forAnotherApi.json()) as any).error.code).toBe('InvalidAuthenticationToken');
    const delegated = await get(await idp.mintEntraToken({ tid: tenantId, oid: randomUUID(), aud: 'https://graph.microsoft.com' }));
    expect(delegated.status).toBe(401);
    const forged = await get(await idp.mintEntraToken({ tid: tenantId, oid: randomUUID(), aud: 'https://graph.microsoft.com', roles: ['User.Read.All'] }, { signWith: 'untrusted' }));
    expect(forged.status).toBe(401);
    const app = await get(await idp.mintEntraToken({ tid: tenantId, oid: randomUUID(), aud: 'https://graph.microsoft.com', roles: ['User.Read.All'] }));
    expect(app.status).toBe(200);
    expect(graph.calls.map((call) => call.status)).toEqual([401, 401, 401, 200]);
  });
});
