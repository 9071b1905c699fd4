import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addSchool } from '../../src/app/organisations/add-school.ts';
import { upnCheckLetter, type Pupil } from '../../src/domain/pupil.ts';
import { FieldCipher, type KeyRing } from '../../src/storage/field-cipher.ts';
import { KyselyStorage } from '../../src/storage/kysely-storage.ts';
import { openSqlite } from '../../src/storage/sqlite/open-sqlite.ts';
import { depsFor } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

/** A valid permanent UPN from 12 digits' worth of a number (school-made-up LA/school digits). */
function upnFor(n: number): string {
  const rest = `20120${String(n).padStart(7, '0')}`;
  return `${upnCheckLetter(rest)}${rest}`;
}

function pupil(schoolId: string, n: number, overrides: Partial<Pupil> = {}): Pupil {
  return {
    id: randomUUID(),
    schoolId,
    upn: upnFor(n),
    legalForename: 'Samantha',
    legalSurname: 'Green',
    preferredForename: 'Sam',
    dateOfBirth: '2016-03-14',
    yearGroup: '5',
    registrationGroup: '5G',
    createdAt: '2026-09-01T08:00:00.000Z',
    updatedAt: '2026-09-01T08:00:00.000Z',
    ...overrides,
  };
}

describe.each(enginesUnderTest())('the pupil register on %s', (engine) => {
  let db: TestStorage;
  beforeEach(async () => {
    db = await createTestStorage(engine);
  });
  afterEach(async () => {
    await db.cleanup();
  });

  test('a pupil is stored sealed, read back exactly, found by UPN in their school only, and a UPN is unique per school', async () => {
    const school = await addSchool(depsFor(db.storage), { name: 'Oakfield Primary', slug: 'oakfield' });
    const other = await addSchool(depsFor(db.storage), { name: 'Elmwood Primary', slug: 'elmwood' });
    const sam = pupil(school.id, 1, { legalForename: 'Siân', legalSurname: 'Ŵyn-Jones', preferredForename: 'Sammie', preferredSurname: 'Wynne-Price', registrationGroup: 'Rowan Class' });
    await db.storage.transaction((tx) => tx.pupils.insert(sam));

    expect(await db.storage.read((r) => r.pupils.get(school.id, sam.id))).toEqual(sam);
    expect(await db.storage.read((r) => r.pupils.get(other.id, sam.id))).toBeUndefined();
    expect((await db.storage.read((r) => r.pupils.findByUpn(school.id, sam.upn.toLowerCase())))?.id).toBe(sam.id);
    expect(await db.storage.read((r) => r.pupils.findByUpn(other.id, sam.upn))).toBeUndefined();

    // Nothing that names the child, nor the UPN, is in the clear.
    const stored = await db.dump('pupils');
    for (const secret of [sam.upn, 'Siân', 'Ŵyn-Jones', 'Sammie', 'Wynne-Price', '2016-03-14', 'Rowan Class']) expect(stored).not.toContain(secret);

    await expect(db.storage.transaction((tx) => tx.pupils.insert(pupil(school.id, 1)))).rejects.toMatchObject({ code: 'conflict' });
    // The same UPN in another school is that school's own pupil.
    await db.storage.transaction((tx) => tx.pupils.insert(pupil(other.id, 1)));
  });

  test('lists on-roll pupils, leavers and merged records on request; updates, merges and directory accounts', async () => {
    const school = await addSchool(depsFor(db.storage), { name: 'Oakfield Primary', slug: 'oakfield' });
    const onRoll = pupil(school.id, 1);
    const leaver = pupil(school.id, 2, { legalForename: 'Leo', preferredForename: undefined, leftOn: '2026-07-20' });
    const duplicate = pupil(school.id, 3);
    await db.storage.transaction(async (tx) => {
      for (const p of [onRoll, leaver, duplicate]) await tx.pupils.insert(p);
      await tx.pupils.setMergedInto(school.id, duplicate.id, onRoll.id, '2026-09-02T08:00:00.000Z');
      await tx.pupils.setDirectoryAccount(school.id, onRoll.id, 'entra-object-1', '2026-09-02T08:00:00.000Z');
    });
    const ids = async (options?: { includeLeavers?: boolean; includeMerged?: boolean }) => (await db.storage.read((r) => r.pupils.list(school.id, options))).map((p) => p.id).sort();
    expect(await ids()).toEqual([onRoll.id]);
    expect(await ids({ includeLeavers: true })).toEqual([onRoll.id, leaver.id].sort());
    expect(await ids({ includeLeavers: true, includeMerged: true })).toEqual([onRoll.id, leaver.id, duplicate.id].sort());
    expect((await db.storage.read((r) => r.pupils.get(school.id, duplicate.id)))?.mergedInto).toBe(onRoll.id);
    expect((await db.storage.read((r) => r.pupils.findByDirectoryAccount(school.id, 'entra-object-1')))?.id).toBe(onRoll.id);
    expect((await db.storage.read((r) => r.pupils.getMany(school.id, [leaver.id, duplicate.id, randomUUID()]))).map((p) => p.id).sort()).toEqual([leaver.id, duplicate.id].sort());

    const changed: Pupil = { ...onRoll, directoryAccount: 'entra-object-1', yearGroup: '6', registrationGroup: '6B', leftOn: '2027-07-21', updatedAt: '2027-07-21T08:00:00.000Z' };
    await db.storage.transaction((tx) => tx.pupils.update(changed));
    expect(await db.storage.read((r) => r.pupils.get(school.id, onRoll.id))).toEqual(changed);
    expect(await ids()).toEqual([]);
  });

  test('the search index follows every write, and a write rolled back never reaches it', async () => {
    const school = await addSchool(depsFor(db.storage), { name: 'Oakfield Primary', slug: 'oakfield' });
    const names = async (query: string) => (await db.storage.read((r) => r.pupils.searchIndex(school.id))).search(query).map((c) => c.name);
    expect(await names('sam')).toEqual([]);
    const sam = pupil(school.id, 1);
    await db.storage.transaction((tx) => tx.pupils.insert(sam));
    expect(await names('sam')).toEqual(['Sam Green']);

    await expect(
      db.storage.transaction(async (tx) => {
        await tx.pupils.insert(pupil(school.id, 2, { preferredForename: 'Samir', legalForename: 'Samir', legalSurname: 'Patel' }));
        expect((await tx.pupils.searchIndex(school.id)).search('sam').map((c) => c.name)).toEqual(['Sam Green', 'Samir Patel']);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await names('sam')).toEqual(['Sam Green']);

    await db.storage.transaction((tx) => tx.pupils.update({ ...sam, leftOn: '2026-10-01' }));
    expect(await names('sam')).toEqual([]);
  });
});

describe('two instances of DSL Desk on one database', () => {
  let dir: string;
  const open = (ring: KeyRing) => new KyselyStorage({ engine: 'sqlite', db: openSqlite(join(dir, 'shared.sqlite')), cipher: new FieldCipher(ring) });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dsl-desk-pupils-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('an import through one instance is in the other’s next search; a UPN hashed before a key rotation is still found', async () => {
    const oldKey = randomBytes(32);
    const first = open({ currentKeyId: 'k1', keys: new Map([['k1', oldKey]]) });
    await first.migrate();
    const second = open({ currentKeyId: 'k2', keys: new Map([['k1', oldKey], ['k2', randomBytes(32)]]) });
    try {
      const school = await addSchool(depsFor(first), { name: 'Oakfield Primary', slug: 'oakfield' });
      const search = async (storage: KyselyStorage, query: string) => (await storage.read((r) => r.pupils.searchIndex(school.id))).search(query).map((c) => c.name);
      const sam = pupil(school.id, 1);
      await first.transaction((tx) => tx.pupils.insert(sam));
      expect(await search(second, 'gre')).toEqual(['Sam Green']);

      await first.transaction((tx) => tx.pupils.insert(pupil(school.id, 2, { preferredForename: 'Greta', legalForename: 'Greta', legalSurname: 'Hughes' })));
      expect(await search(second, 'gre')).toEqual(['Greta Hughes', 'Sam Green']);

      // The second instance's current key is new; the UPN's hash made under the old one still finds the pupil,
      // and a second pupil of that UPN is refused.
      expect((await second.read((r) => r.pupils.findByUpn(school.id, sam.upn)))?.id).toBe(sam.id);
      await expect(second.transaction((tx) => tx.pupils.insert(pupil(school.id, 1)))).rejects.toMatchObject({ code: 'conflict' });
    } finally {
      await first.close();
      await second.close();
    }
  });
});
