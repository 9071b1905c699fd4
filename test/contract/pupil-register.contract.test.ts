import { randomUUID } from 'node:crypto';
import { getPupil } from '../../src/app/pupils/get-pupil.ts';
import { searchPupils } from '../../src/app/pupils/search-pupils.ts';
import { seedSandboxSchool, SANDBOX_GOOGLE_PUPILS, SANDBOX_GOOGLE_SCHOOL_SLUG, SANDBOX_PUPILS } from '../../src/app/organisations/seed-sandbox-school.ts';
import { upnCheckLetter, type Pupil } from '../../src/domain/pupil.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

function upnFor(n: number): string {
  const rest = `20120${String(n).padStart(7, '0')}`;
  return `${upnCheckLetter(rest)}${rest}`;
}

describe.each(enginesUnderTest())('searching and opening pupils on %s', (engine) => {
  let db: TestStorage;
  let seeded: SeededSchool;
  let sam: Pupil;
  beforeEach(async () => {
    db = await createTestStorage(engine);
    seeded = await seedSchool(depsFor(db.storage), 'oakfield');
    const at = '2026-09-01T08:00:00.000Z';
    sam = { id: randomUUID(), schoolId: seeded.school.id, upn: upnFor(1), legalForename: 'Samantha', legalSurname: 'Green', preferredForename: 'Sam', dateOfBirth: '2016-03-14', yearGroup: '5', registrationGroup: '5G', createdAt: at, updatedAt: at };
    const leaver: Pupil = { ...sam, id: randomUUID(), upn: upnFor(2), preferredForename: 'Sami', leftOn: '2026-07-20' };
    await db.storage.transaction(async (tx) => {
      await tx.pupils.insert(sam);
      await tx.pupils.insert(leaver);
    });
  });
  afterEach(async () => {
    await db.cleanup();
  });

  test('any member of staff finds an on-roll pupil by name and sees only the picker’s fields; no access event', async () => {
    const before = await db.storage.read((r) => r.audit.listByAction(seeded.school.id, { actions: ['pupil.viewed'], limit: 10 }));
    expect(await searchPupils(depsFor(db.storage), { actor: seeded.staff, query: 'sam gr' })).toEqual([{ id: sam.id, name: 'Sam Green', yearGroup: '5', registrationGroup: '5G' }]);
    // The leaver (Sami) is not offered.
    expect((await searchPupils(depsFor(db.storage), { actor: seeded.staff, query: 'sami' })).length).toBe(0);
    expect(await db.storage.read((r) => r.audit.listByAction(seeded.school.id, { actions: ['pupil.viewed'], limit: 10 }))).toEqual(before);
  });

  test('the DSLs, deputies and head open the full record, each view an access event; anyone else is told it does not exist', async () => {
    for (const actor of [seeded.dsl, seeded.deputy, seeded.head]) expect(await getPupil(depsFor(db.storage), { actor, pupilId: sam.id })).toEqual(sam);
    const views = await db.storage.read((r) => r.audit.listByAction(seeded.school.id, { actions: ['pupil.viewed'], limit: 10 }));
    expect(views.map((e) => [e.actorId, e.detail.pupilId]).sort()).toEqual([seeded.dsl, seeded.deputy, seeded.head].map((a) => [a.personId, sam.id]).sort());
    for (const actor of [seeded.staff, seeded.it, seeded.governor, seeded.admin]) {
      await expect(getPupil(depsFor(db.storage), { actor, pupilId: sam.id })).rejects.toMatchObject({ code: 'not_found' });
    }
    await expect(getPupil(depsFor(db.storage), { actor: seeded.dsl, pupilId: randomUUID() })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('the sandbox schools’ pupils', () => {
  test('each demo school has its invented pupils once, with valid UPNs, and a teacher finds Sam Green', async () => {
    const db = await createTestStorage('sqlite');
    try {
      const deps = depsFor(db.storage);
      const school = await seedSandboxSchool(deps);
      await seedSandboxSchool(deps);
      const google = (await db.storage.read((r) => r.schools.getBySlug(SANDBOX_GOOGLE_SCHOOL_SLUG)))!;
      const teams = await db.storage.read((r) => r.pupils.list(school.id));
      expect(teams.length).toBe(SANDBOX_PUPILS.length);
      expect((await db.storage.read((r) => r.pupils.list(google.id))).length).toBe(SANDBOX_GOOGLE_PUPILS.length);
      const teacher = (await db.storage.read((r) => r.people.findByEmail(school.id, 'teacher@demo-school.test')))!;
      const actor = { schoolId: school.id, personId: teacher.id, displayName: teacher.displayName, roles: ['staff' as const] };
      expect(await searchPupils(deps, { actor, query: 'sam gr' })).toEqual([
        { id: expect.any(String), name: 'Sam Green', yearGroup: '5', registrationGroup: '5G' },
        { id: expect.any(String), name: 'Sammy Greenwood', yearGroup: '4', registrationGroup: '4W' },
      ]);
    } finally {
      await db.cleanup();
    }
  });
});
