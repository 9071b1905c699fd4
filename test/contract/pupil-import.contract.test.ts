import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importPupils } from '../../src/app/pupils/import-pupils.ts';
import { OPERATOR } from '../../src/app/deps.ts';
import { readPupilFile } from '../../src/integrations/pupil-files/read-pupil-file.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

const fixture = (name: string) => readPupilFile(readFileSync(join(__dirname, '../fixtures/ctf', name), 'utf8'));

describe.each(enginesUnderTest())('importing pupils on %s', (engine) => {
  let db: TestStorage;
  let seeded: SeededSchool;
  beforeEach(async () => {
    db = await createTestStorage(engine);
    seeded = await seedSchool(depsFor(db.storage), 'oakfield');
  });
  afterEach(async () => {
    await db.cleanup();
  });
  const pupils = () => db.storage.read((r) => r.pupils.list(seeded.school.id, { includeLeavers: true }));
  const imported = () => db.storage.read((r) => r.audit.listByAction(seeded.school.id, { actions: ['pupil.imported'], limit: 10 }));

  test('a full CTF, again unchanged, then a partial one: added, leavers marked, updated, nothing duplicated', async () => {
    const deps = depsFor(db.storage);
    const first = await importPupils(deps, { actor: seeded.dsl, schoolId: seeded.school.id, file: fixture('sims-full.xml') });
    expect(first).toEqual({ format: 'ctf', full: true, added: 3, updated: 0, markedLeft: 0, unchanged: 0, rejected: [], notInFile: 0 });
    const byUpn = new Map((await pupils()).map((p) => [p.upn, p]));
    expect(byUpn.get('V938200119002')?.leftOn).toBe('2026-07-22');
    expect(byUpn.get('J938200119003')?.leftOn).toBeUndefined();

    const again = await importPupils(deps, { actor: OPERATOR, schoolId: seeded.school.id, file: fixture('sims-full.xml') });
    expect(again).toMatchObject({ added: 0, updated: 0, markedLeft: 0, unchanged: 3, notInFile: 0 });

    // Sam moves up a year; Cormac is new. A partial file says nothing about who is missing from it.
    const partial = await importPupils(deps, { actor: seeded.admin, schoolId: seeded.school.id, file: fixture('arbor-partial.xml') });
    expect(partial).toMatchObject({ full: false, added: 1, updated: 1, unchanged: 0, notInFile: 0 });
    const sam = (await pupils()).find((p) => p.upn === 'F938200119001')!;
    expect(sam).toMatchObject({ id: byUpn.get('F938200119001')!.id, yearGroup: '6', registrationGroup: '6G', createdAt: byUpn.get('F938200119001')!.createdAt });
    expect((await pupils()).length).toBe(4);

    // The full file again: Cormac is not in it; he is counted, not deleted or marked left.
    const full = await importPupils(deps, { actor: seeded.dsl, schoolId: seeded.school.id, file: fixture('sims-full.xml') });
    expect(full).toMatchObject({ updated: 1, notInFile: 1 });
    expect((await pupils()).find((p) => p.upn === 'Y938200119004')?.leftOn).toBeUndefined();

    expect((await imported()).map((e) => e.detail)).toContainEqual({ format: 'ctf', full: true, added: 3, updated: 0, markedLeft: 0, unchanged: 0, rejected: 0, notInFile: 0 });
  });

  test('a pupil given a leaving date is marked left and leaves the picker; a returning one comes back', async () => {
    const deps = depsFor(db.storage);
    await importPupils(deps, { actor: seeded.dsl, schoolId: seeded.school.id, file: fixture('pupils.csv') });
    const leaver = readPupilFile('upn,legal_forename,legal_surname,date_of_birth,leaving_date\nE938200119008,Amélie,Duchêne,2016-07-07,2026-12-18\n');
    expect(await importPupils(deps, { actor: seeded.dsl, schoolId: seeded.school.id, file: leaver })).toMatchObject({ markedLeft: 1, updated: 0 });
    expect((await db.storage.read((r) => r.pupils.list(seeded.school.id))).map((p) => p.upn)).not.toContain('E938200119008');
  });

  test('every good record is kept and every bad one reported with its place and what to fix, never a name', async () => {
    const report = await importPupils(depsFor(db.storage), { actor: seeded.dsl, schoolId: seeded.school.id, file: fixture('problems.xml') });
    expect(report.added).toBe(1);
    expect(report.rejected.map((r) => r.position)).toEqual(['pupil 2 (line 16)', 'pupil 3 (line 22)', 'pupil 4 (line 28)', 'pupil 5 (line 33)']);
    expect(report.rejected[0]!.message).toMatch(/^UPN: the check letter/);
    expect(report.rejected[1]!.message).toBe('UPN: the same UPN is also on pupil 5 (line 33): one record per pupil; correct the UPN in the MIS and export again');
    expect(report.rejected[2]!.message).toBe('DOB: missing; give the pupil’s date of birth (YYYY-MM-DD)');
    expect(report.rejected[3]!.message).toBe('UPN: the same UPN is also on pupil 3 (line 22): one record per pupil; correct the UPN in the MIS and export again');
    const text = JSON.stringify(report);
    for (const name of ['Quennell', 'Bartholomew', 'Vasquez', 'Lila', 'Thornbury', 'Oscar', 'Hallam', 'Priya']) expect(text).not.toContain(name);

    const csv = await importPupils(depsFor(db.storage), { actor: seeded.dsl, schoolId: seeded.school.id, file: fixture('pupils.csv') });
    expect(csv).toMatchObject({ format: 'csv', added: 2 });
    expect(csv.rejected).toEqual([
      { position: 'line 4', message: 'legal_surname: missing; give the pupil’s legal surname' },
      { position: 'line 5', message: expect.stringMatching(/never closed/) },
    ]);
    expect((await imported()).at(-1)?.detail).toMatchObject({ format: 'csv', added: 2, rejected: 2 });
  });

  test('only the DSLs, deputies, head and admin of the school import; a file that cannot be read imports nothing', async () => {
    for (const actor of [seeded.staff, seeded.it, seeded.governor]) {
      await expect(importPupils(depsFor(db.storage), { actor, schoolId: seeded.school.id, file: fixture('sims-full.xml') })).rejects.toMatchObject({ code: 'forbidden' });
    }
    const other = await seedSchool(depsFor(db.storage), 'elmwood');
    await expect(importPupils(depsFor(db.storage), { actor: other.dsl, schoolId: seeded.school.id, file: fixture('sims-full.xml') })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(importPupils(depsFor(db.storage), { actor: seeded.dsl, schoolId: seeded.school.id, file: readPupilFile('<CTfile>') })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await pupils()).toEqual([]);
  });
});
