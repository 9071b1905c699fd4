import { addSchool } from '../../src/app/organisations/add-school.ts';
import type { StoredCaseChild } from '../../src/domain/case-children.ts';
import { DEFAULT_PATTERN_RULE } from '../../src/domain/pupil.ts';
import { depsFor } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

describe.each(enginesUnderTest())('children on cases, protection statuses and pattern alerts on %s', (engine) => {
  let db: TestStorage;
  beforeEach(async () => {
    db = await createTestStorage(engine);
  });
  afterEach(async () => {
    await db.cleanup();
  });

  const at = (minute: number) => `2026-11-23T09:${String(minute).padStart(2, '0')}:00.000Z`;

  test('a picked child and a typed name are stored per case; the name sealed; linking, unlinking and merging keep history', async () => {
    const school = await addSchool(depsFor(db.storage), { name: 'Oakfield Primary', slug: 'oakfield' });
    const other = await addSchool(depsFor(db.storage), { name: 'Elmwood Primary', slug: 'elmwood' });
    const picked: StoredCaseChild = { id: 'child-1', schoolId: school.id, caseId: 'case-1', pupilId: 'pupil-a', role: 'subject', addedBy: 'reporter', addedAt: at(0), linkedBy: 'reporter', linkedAt: at(0) };
    const typed: StoredCaseChild = { id: 'child-2', schoolId: school.id, caseId: 'case-1', typedName: 'Zebedee Quartermaine', role: 'witness', addedBy: 'reporter', addedAt: at(1), linkedAt: at(1) };
    await db.storage.transaction(async (tx) => {
      await tx.caseChildren.insert(picked);
      await tx.caseChildren.insert(typed);
    });
    expect(await db.storage.read((r) => r.caseChildren.listForCase(school.id, 'case-1'))).toEqual([picked, { ...typed }]);
    expect(await db.storage.read((r) => r.caseChildren.listForCase(other.id, 'case-1'))).toEqual([]);
    const raw = await db.raw('select typed_name from case_children where id = \'child-2\'');
    expect(String(raw[0]!.typed_name)).not.toContain('Zebedee');

    // The typed name is matched to a pupil: the name stays on record, the pupil is set.
    expect(await db.storage.transaction((tx) => tx.caseChildren.linkPupil(school.id, 'child-2', { pupilId: 'pupil-b', by: 'dsl', at: at(5), reason: 'Same child, nickname' }))).toBe(true);
    expect(await db.storage.read((r) => r.caseChildren.get(school.id, 'child-2'))).toEqual({ ...typed, pupilId: 'pupil-b', linkedBy: 'dsl', linkedAt: at(5), linkReason: 'Same child, nickname' });
    expect((await db.storage.read((r) => r.caseChildren.listForPupils(school.id, ['pupil-a', 'pupil-b']))).map((c) => c.id)).toEqual(['child-1', 'child-2']);

    // Unlinked: gone from the current lists, kept with the reason.
    expect(await db.storage.transaction((tx) => tx.caseChildren.unlink(school.id, 'child-1', { by: 'dsl', at: at(6), reason: 'Wrong child picked' }))).toBe(true);
    expect(await db.storage.transaction((tx) => tx.caseChildren.unlink(school.id, 'child-1', { by: 'dsl', at: at(7), reason: 'again' }))).toBe(false);
    expect(await db.storage.transaction((tx) => tx.caseChildren.linkPupil(school.id, 'child-1', { pupilId: 'pupil-c', by: 'dsl', at: at(7), reason: 'x' }))).toBe(false);
    expect((await db.storage.read((r) => r.caseChildren.listForCase(school.id, 'case-1'))).map((c) => c.id)).toEqual(['child-2']);
    expect(await db.storage.read((r) => r.caseChildren.get(school.id, 'child-1'))).toMatchObject({ unlinkedAt: at(6), unlinkedBy: 'dsl', unlinkReason: 'Wrong child picked' });
    expect(await db.storage.read((r) => r.caseChildren.listForCase(school.id, 'case-1', { includeUnlinked: true }))).toHaveLength(2);

    // A merge moves links, statuses and alerts to the record that stays, remembering where each link came from.
    await db.storage.transaction(async (tx) => {
      await tx.protectionStatuses.insert({ id: 'status-1', schoolId: school.id, pupilId: 'pupil-b', kind: 'other', detail: 'Private fostering', from: '2026-09-01', recordedBy: 'dsl', recordedAt: at(8) });
      await tx.pupilPatterns.insert({ id: 'alert-1', schoolId: school.id, pupilId: 'pupil-b', reason: 'count', caseIds: ['case-1'], createdAt: at(8) });
    });
    const moved = await db.storage.transaction(async (tx) => [await tx.caseChildren.movePupil(school.id, 'pupil-b', 'pupil-a'), await tx.protectionStatuses.movePupil(school.id, 'pupil-b', 'pupil-a'), await tx.pupilPatterns.movePupil(school.id, 'pupil-b', 'pupil-a')]);
    expect(moved).toEqual([1, 1, 1]);
    expect(await db.storage.read((r) => r.caseChildren.get(school.id, 'child-2'))).toMatchObject({ pupilId: 'pupil-a', mergedFromPupilId: 'pupil-b' });
    expect((await db.storage.read((r) => r.protectionStatuses.listForPupils(school.id, ['pupil-a']))).map((s) => s.id)).toEqual(['status-1']);
    expect((await db.storage.read((r) => r.pupilPatterns.listOpen(school.id, ['pupil-a']))).map((a) => a.id)).toEqual(['alert-1']);
  });

  test('protection statuses keep their dates and sealed detail; ending one sets its end', async () => {
    const school = await addSchool(depsFor(db.storage), { name: 'Oakfield Primary', slug: 'oakfield' });
    await db.storage.transaction(async (tx) => {
      await tx.protectionStatuses.insert({ id: 's2', schoolId: school.id, pupilId: 'p1', kind: 'child_protection_plan', from: '2026-10-01', recordedBy: 'dsl', recordedAt: at(1) });
      await tx.protectionStatuses.insert({ id: 's1', schoolId: school.id, pupilId: 'p1', kind: 'other', detail: 'Young carer', from: '2026-01-10', to: '2026-06-30', recordedBy: 'dsl', recordedAt: at(0) });
    });
    const raw = await db.raw('select detail from protection_statuses where id = \'s1\'');
    expect(String(raw[0]!.detail)).not.toContain('carer');
    expect(await db.storage.read((r) => r.protectionStatuses.listForPupils(school.id, ['p1']))).toEqual([
      { id: 's1', schoolId: school.id, pupilId: 'p1', kind: 'other', detail: 'Young carer', from: '2026-01-10', to: '2026-06-30', recordedBy: 'dsl', recordedAt: at(0) },
      { id: 's2', schoolId: school.id, pupilId: 'p1', kind: 'child_protection_plan', from: '2026-10-01', recordedBy: 'dsl', recordedAt: at(1) },
    ]);
    expect(await db.storage.transaction((tx) => tx.protectionStatuses.end(school.id, 's2', { to: '2026-11-20', by: 'deputy', at: at(2) }))).toBe(true);
    expect(await db.storage.read((r) => r.protectionStatuses.get(school.id, 's2'))).toMatchObject({ to: '2026-11-20', endedBy: 'deputy', endedAt: at(2) });
    expect(await db.storage.transaction((tx) => tx.protectionStatuses.end(school.id, 'missing', { to: '2026-11-20', by: 'deputy', at: at(2) }))).toBe(false);
  });

  test('an alert is acknowledged once; the school rule is stored and replaced', async () => {
    const school = await addSchool(depsFor(db.storage), { name: 'Oakfield Primary', slug: 'oakfield' });
    await db.storage.transaction((tx) => tx.pupilPatterns.insert({ id: 'a1', schoolId: school.id, pupilId: 'p1', reason: 'type', caseIds: ['c1', 'c2'], createdAt: at(0) }));
    expect(await db.storage.read((r) => r.pupilPatterns.get(school.id, 'a1'))).toEqual({ id: 'a1', schoolId: school.id, pupilId: 'p1', reason: 'type', caseIds: ['c1', 'c2'], createdAt: at(0) });
    expect(await db.storage.transaction((tx) => tx.pupilPatterns.acknowledge(school.id, 'a1', 'dsl', at(1)))).toBe(true);
    expect(await db.storage.transaction((tx) => tx.pupilPatterns.acknowledge(school.id, 'a1', 'deputy', at(2)))).toBe(false);
    expect(await db.storage.read((r) => r.pupilPatterns.get(school.id, 'a1'))).toMatchObject({ acknowledgedBy: 'dsl', acknowledgedAt: at(1) });
    expect(await db.storage.read((r) => r.pupilPatterns.listOpen(school.id, ['p1']))).toEqual([]);

    expect(await db.storage.read((r) => r.pupilPatterns.getRule(school.id))).toBeUndefined();
    await db.storage.transaction((tx) => tx.pupilPatterns.setRule(school.id, DEFAULT_PATTERN_RULE, null, at(3)));
    await db.storage.transaction((tx) => tx.pupilPatterns.setRule(school.id, { count: 4, days: 30, alwaysTypes: ['grooming'] }, 'dsl', at(4)));
    expect(await db.storage.read((r) => r.pupilPatterns.getRule(school.id))).toEqual({ count: 4, days: 30, alwaysTypes: ['grooming'], updatedBy: 'dsl', updatedAt: at(4) });
  });
});
