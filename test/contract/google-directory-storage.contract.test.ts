import { addSchool } from '../../src/app/organisations/add-school.ts';
import { depsFor } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

describe.each(enginesUnderTest())('Google directory settings and progress on %s', (engine) => {
  let db: TestStorage;
  beforeEach(async () => {
    db = await createTestStorage(engine);
  });
  afterEach(async () => {
    await db.cleanup();
  });

  test('settings and progress are saved apart: changing the admin keeps the cursor, and progress never changes the admin', async () => {
    const school = await addSchool(depsFor(db.storage), { name: 'Oakfield Primary', slug: 'oakfield', googleDomain: 'oakfield.example.org' });
    const get = () => db.storage.read((r) => r.googleDirectory.get(school.id));
    expect(await get()).toBeUndefined();
    // Progress for a school without settings is not recorded: there is no admin to have read anything as.
    await db.storage.transaction((tx) => tx.googleDirectory.saveProgress(school.id, { baselineAt: 'x', reportsCursor: null, reconciledAt: null, lastRunAt: null, lastError: null, failures: 0, notBefore: null }, '2026-10-06T08:00:00.000Z'));
    expect(await get()).toBeUndefined();

    await db.storage.transaction((tx) => tx.googleDirectory.saveSettings(school.id, { adminEmail: 'admin@oakfield.example.org', staffOrgUnits: ['/Staff'] }, '2026-10-06T08:00:00.000Z'));
    expect(await get()).toEqual({
      schoolId: school.id,
      adminEmail: 'admin@oakfield.example.org',
      staffOrgUnits: ['/Staff'],
      baselineAt: null,
      reportsCursor: null,
      reconciledAt: null,
      lastRunAt: null,
      lastError: null,
      failures: 0,
      notBefore: null,
      updatedAt: '2026-10-06T08:00:00.000Z',
    });
    const cursor = { time: '2026-10-06T08:04:59.000Z', seen: [{ key: '2026-10-06T08:04:59.000Z/1/0', time: '2026-10-06T08:04:59.000Z' }, { key: '2026-10-06T08:04:59.000Z/2/0', time: '2026-10-06T08:04:59.000Z' }] };
    await db.storage.transaction((tx) =>
      tx.googleDirectory.saveProgress(school.id, { baselineAt: '2026-10-06T08:00:00.000Z', reportsCursor: cursor, reconciledAt: '2026-10-06T08:01:00.000Z', lastRunAt: '2026-10-06T08:05:00.000Z', lastError: 'Google said no', failures: 2, notBefore: '2026-10-06T08:07:00.000Z' }, '2026-10-06T08:05:00.000Z'),
    );
    await db.storage.transaction((tx) => tx.googleDirectory.saveSettings(school.id, { adminEmail: 'it@oakfield.example.org', staffOrgUnits: [] }, '2026-10-06T09:00:00.000Z'));
    expect(await get()).toMatchObject({ adminEmail: 'it@oakfield.example.org', staffOrgUnits: [], reportsCursor: cursor, baselineAt: '2026-10-06T08:00:00.000Z', failures: 2, lastError: 'Google said no', notBefore: '2026-10-06T08:07:00.000Z', updatedAt: '2026-10-06T09:00:00.000Z' });
  });
});
