import type { AppDeps } from '../../src/app/deps.ts';
import { OPERATOR } from '../../src/app/deps.ts';
import { importPeople, type PersonRow } from '../../src/app/people/import-people.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

const row = (line: number, display_name: string, email: string, roles = 'staff', extra: Record<string, string> = {}): PersonRow => ({ line, values: { display_name, email, roles, ...extra } });

describe.each(enginesUnderTest())('people import on %s', (engine) => {
  let db: TestStorage;
  let deps: AppDeps;
  let a: SeededSchool;
  beforeEach(async () => {
    db = await createTestStorage(engine);
    deps = depsFor(db.storage);
    a = await seedSchool(deps, 'oakfield');
  });
  afterEach(async () => {
    await db.cleanup();
  });

  const person = (email: string) => db.storage.transaction((tx) => tx.people.findByEmail(a.school.id, email));
  const auditCount = async () => Number((await db.raw('select count(*) as n from audit_events'))[0]!.n);

  test('the CSV import keeps every good row, reports each bad one with its line, lists changes to people already known until update, and refuses both rows of a duplicate email', async () => {
    const sam = await db.storage.transaction((tx) => tx.people.get(a.school.id, a.staff.personId));
    const rows: PersonRow[] = [
      row(2, 'Kim Lee', 'kim@oakfield.example.org'),
      { line: 3, values: {}, problem: 'a stray double quote (") in cell 1 (display_name): remove it' },
      row(4, 'Sam Teacher', sam!.email, 'staff;dsl'),
      row(5, 'Dan Dup', 'dan@oakfield.example.org'),
      row(6, 'Lee Later', 'lee@oakfield.example.org', 'wizard'),
      row(7, 'Daniel Dup', 'DAN@oakfield.example.org', 'staff;it'),
      row(8, 'Alex Teacher', 'staff2@oakfield.example.org'),
      row(9, 'Mo Last', 'mo@oakfield.example.org'),
    ];
    const before = await auditCount();
    const dryish = await importPeople(deps, { actor: a.admin, schoolId: a.school.id, rows });
    expect(dryish).toMatchObject({ created: 2, updated: 0, heldBack: 1, unchanged: 1 });
    expect(dryish.notes).toEqual([
      { line: 3, kind: 'rejected', message: expect.stringContaining('stray double quote') },
      { line: 4, kind: 'needs_update', message: `${sam!.displayName}: roles staff → staff, dsl` },
      { line: 5, kind: 'rejected', message: 'dan@oakfield.example.org is also on line 7: keep one row per person (none of them was imported)' },
      { line: 6, kind: 'rejected', message: expect.stringMatching(/^roles must be some of: staff, dsl/) },
      { line: 7, kind: 'rejected', message: 'dan@oakfield.example.org is also on line 5: keep one row per person (none of them was imported)' },
    ]);
    expect(dryish.errors.map((e) => e.line)).toEqual([3, 5, 6, 7]);
    // The good rows before and after the bad ones are kept; Sam and the duplicates are left as they were.
    expect(await person('kim@oakfield.example.org')).toMatchObject({ displayName: 'Kim Lee', roles: ['staff'] });
    expect(await person('mo@oakfield.example.org')).toMatchObject({ displayName: 'Mo Last' });
    expect(await person('dan@oakfield.example.org')).toBeUndefined();
    expect((await person(sam!.email))!.roles).toEqual(['staff']);
    // Each added person has their audit events, written with them; nothing for Sam.
    expect(await auditCount()).toBe(before + 4);
    const granted = await db.raw(`select detail from audit_events where action = 'role.granted'`);
    expect(granted.map((r) => String(r.detail)).filter((d) => d.includes(a.staff.personId) && d.includes('"dsl"'))).toEqual([]);

    // With update, the same file changes Sam (audited in the same transaction) and says so; a rerun changes nothing.
    const applied = await importPeople(deps, { actor: OPERATOR, schoolId: a.school.id, rows, update: true });
    expect(applied).toMatchObject({ created: 0, updated: 1, heldBack: 0 });
    expect(applied.notes.find((n) => n.line === 4)).toEqual({ line: 4, kind: 'updated', message: `${sam!.displayName}: roles staff → staff, dsl` });
    expect((await person(sam!.email))!.roles).toEqual(['dsl', 'staff']);
    const dsl = await db.raw(`select detail from audit_events where action = 'role.granted'`);
    expect(dsl.map((r) => String(r.detail)).filter((d) => d.includes(a.staff.personId) && d.includes('dsl'))).toHaveLength(1);
    expect(await person('dan@oakfield.example.org')).toBeUndefined();
    const again = await importPeople(deps, { actor: OPERATOR, schoolId: a.school.id, rows, update: true });
    expect(again).toMatchObject({ created: 0, updated: 0, heldBack: 0 });
  });

  test('the CSV import says what would change a name or link an account, and never takes a role away', async () => {
    const dsl = await db.storage.transaction((tx) => tx.people.get(a.school.id, a.dsl.personId));
    const objectId = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
    const rows = [row(2, 'Dana M. Lead', dsl!.email, 'staff', { entra_object_id: objectId.toUpperCase() })];
    const held = await importPeople(deps, { actor: OPERATOR, schoolId: a.school.id, rows });
    expect(held.notes).toEqual([{ line: 2, kind: 'needs_update', message: `${dsl!.displayName}: name ${dsl!.displayName} → Dana M. Lead; Microsoft 365 account (none) → ${objectId}` }]);
    expect(await person(dsl!.email)).toMatchObject({ displayName: dsl!.displayName, entraObjectId: dsl!.entraObjectId });
    await importPeople(deps, { actor: OPERATOR, schoolId: a.school.id, rows, update: true });
    // The row lists only staff: Dana keeps the DSL role.
    expect(await person(dsl!.email)).toMatchObject({ displayName: 'Dana M. Lead', entraObjectId: objectId, roles: ['dsl', 'staff'] });
    await expect(importPeople(deps, { actor: a.staff, schoolId: a.school.id, rows })).rejects.toMatchObject({ code: 'forbidden' });
  });
});
