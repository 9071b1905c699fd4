import { addSchool } from '../../src/app/organisations/add-school.ts';
import { depsFor } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

describe.each(enginesUnderTest())('Google alert import progress on %s', (engine) => {
  let db: TestStorage;
  beforeEach(async () => {
    db = await createTestStorage(engine);
  });
  afterEach(async () => {
    await db.cleanup();
  });

  test('each school keeps its own cursor and last problem; saving again replaces them', async () => {
    const deps = depsFor(db.storage);
    const oakfield = await addSchool(deps, { name: 'Oakfield Primary', slug: 'oakfield', googleDomain: 'oakfield.example.org' });
    const elm = await addSchool(deps, { name: 'Elm Primary', slug: 'elm', googleDomain: 'elm.example.org' });
    const get = (schoolId: string) => db.storage.read((r) => r.googleAlertImports.get(schoolId));
    expect(await get(oakfield.id)).toBeUndefined();

    const first = {
      schoolId: oakfield.id,
      cursor: { time: '2026-12-07T08:40:00.000Z', seen: [{ key: 'alert-1', time: '2026-12-07T08:30:00.000Z' }, { key: 'alert-2', time: '2026-12-07T08:40:00.000Z' }] },
      lastPolledAt: '2026-12-07T09:00:00.000Z',
      lastProblem: 'Google Workspace refused DSL Desk’s access to the Alert Center.',
      updatedAt: '2026-12-07T09:00:00.000Z',
    };
    await db.storage.transaction((tx) => tx.googleAlertImports.save(first));
    expect(await get(oakfield.id)).toEqual(first);
    expect(await get(elm.id)).toBeUndefined();

    const second = { ...first, cursor: { time: '2026-12-07T09:10:00.000Z', seen: [{ key: 'alert-3', time: '2026-12-07T09:10:00.000Z' }] }, lastProblem: null, lastPolledAt: '2026-12-07T09:15:00.000Z', updatedAt: '2026-12-07T09:15:00.000Z' };
    await db.storage.transaction((tx) => tx.googleAlertImports.save(second));
    expect(await get(oakfield.id)).toEqual(second);

    // A transaction that fails keeps the cursor where it was.
    await expect(
      db.storage.transaction(async (tx) => {
        await tx.googleAlertImports.save({ ...second, cursor: { time: '2026-12-07T10:00:00.000Z', seen: [] } });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect((await get(oakfield.id))!.cursor.time).toBe('2026-12-07T09:10:00.000Z');
  });
});
