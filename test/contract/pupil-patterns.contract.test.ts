import { randomUUID } from 'node:crypto';
import { prepareCaseCard } from '../../src/app/cases/prepare-case-card.ts';
import { reportConcern } from '../../src/app/cases/report-concern.ts';
import type { AppDeps } from '../../src/app/deps.ts';
import { acknowledgePupilPattern } from '../../src/app/pupils/acknowledge-pupil-pattern.ts';
import { linkCaseChild } from '../../src/app/pupils/link-case-child.ts';
import { preparePupilPatternCard } from '../../src/app/pupils/prepare-pupil-pattern-card.ts';
import { recordProtectionStatus } from '../../src/app/pupils/record-protection-status.ts';
import { concernSchema } from '../../src/domain/concern.ts';
import { upnCheckLetter, type Pupil, type ReportedChild } from '../../src/domain/pupil.ts';
import { randomIds } from '../../src/system.ts';
import { seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

const DAY = 86_400_000;

describe.each(enginesUnderTest())('a pattern for a pupil over time on %s', (engine) => {
  let db: TestStorage;
  let deps: AppDeps;
  let now: Date;
  let school: SeededSchool;
  let serial = 500;

  beforeEach(async () => {
    db = await createTestStorage(engine);
    now = new Date('2026-11-23T09:00:00.000Z');
    deps = { storage: db.storage, clock: { now: () => now }, ids: randomIds };
    school = await seedSchool(deps, 'oakfield');
  });
  afterEach(async () => {
    await db.cleanup();
  });

  async function addPupil(forename: string): Promise<Pupil> {
    serial += 1;
    const rest = `7733${String(serial).padStart(8, '0')}`;
    const at = now.toISOString();
    const pupil: Pupil = { id: randomUUID(), schoolId: school.school.id, upn: `${upnCheckLetter(rest)}${rest}`, legalForename: forename, legalSurname: 'Kitto', dateOfBirth: '2015-05-05', createdAt: at, updatedAt: at };
    await db.storage.transaction((tx) => tx.pupils.insert(pupil));
    return pupil;
  }

  const report = (children: ReportedChild[], types: string[] = ['online_bullying']) =>
    reportConcern(deps, { actor: school.staff, channel: 'api', concern: concernSchema.parse({ types, description: 'A worry about a pupil' }) as never, children });
  const alertsOf = (pupilId: string) => db.storage.read((r) => r.pupilPatterns.listForPupil(school.school.id, pupilId));

  test('concerns older than the window do not count; a typed name linked later completes the pattern; the card names references only', async () => {
    const jo = await addPupil('Jo');
    await report([{ pupilId: jo.id, role: 'subject' }]);
    await report([{ pupilId: jo.id, role: 'subject' }]);
    now = new Date(now.getTime() + 61 * DAY);
    const third = await report([{ pupilId: jo.id, role: 'subject' }]);
    expect(await alertsOf(jo.id)).toEqual([]);

    now = new Date(now.getTime() + DAY);
    await report([{ pupilId: jo.id, role: 'subject' }]);
    const typed = await report([{ name: 'Jojo K', role: 'subject' }]);
    expect(await alertsOf(jo.id)).toEqual([]);
    const [toLink] = await db.storage.read((r) => r.caseChildren.listForCase(school.school.id, typed.caseId));
    await linkCaseChild(deps, { actor: school.dsl, caseId: typed.caseId, childId: toLink!.id, pupilId: jo.id, reason: 'Jojo is Jo' });
    const [alert] = await alertsOf(jo.id);
    expect(alert).toMatchObject({ reason: 'count' });
    expect(alert!.caseIds).toHaveLength(3);
    expect(alert!.caseIds[0]).toBe(third.caseId);
    expect(alert!.caseIds).toContain(typed.caseId);

    const card = await preparePupilPatternCard(deps, { schoolId: school.school.id, pupilId: jo.id, alertId: alert!.id, platform: 'teams' });
    expect(card?.alert.references).toHaveLength(3);
    expect(card?.alert.references[0]).toBe(third.reference);
    expect(JSON.stringify(card)).not.toMatch(/Jo|worry/);
    await acknowledgePupilPattern(deps, { actor: school.dsl, alertId: alert!.id });
    expect((await preparePupilPatternCard(deps, { schoolId: school.school.id, pupilId: jo.id, alertId: alert!.id, platform: 'teams' }))?.alert).toMatchObject({ acknowledgedBy: 'Dana Lead', acknowledgedAt: now.toISOString() });
    await expect(acknowledgePupilPattern(deps, { actor: school.staff, alertId: alert!.id })).rejects.toMatchObject({ code: 'not_found' });
  });

  test('two concerns about one child filed at once raise one pattern, not two', async () => {
    const lee = await addPupil('Lee');
    await report([{ pupilId: lee.id, role: 'subject' }]);
    await report([{ pupilId: lee.id, role: 'subject' }]);
    await Promise.all([report([{ pupilId: lee.id, role: 'subject' }]), report([{ pupilId: lee.id, role: 'other_child' }])]);
    const alerts = await alertsOf(lee.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.caseIds).toHaveLength(3);
    const queued = await db.raw("select count(*) as n from outbox where kind = 'pupil.pattern'");
    expect(Number(queued[0]!.n)).toBe(1);
  });

  test('the DSL’s own card context carries the children and current statuses; the shared card and staff do not', async () => {
    const kit = await addPupil('Kit');
    const filed = await report([{ pupilId: kit.id, role: 'subject' }, { name: 'Someone from Year 6', role: 'witness' }]);
    await recordProtectionStatus(deps, { actor: school.dsl, pupilId: kit.id, status: { kind: 'looked_after', from: '2024-01-01' } });
    await recordProtectionStatus(deps, { actor: school.dsl, pupilId: kit.id, status: { kind: 'child_in_need', from: '2022-01-01', to: '2023-01-01' } });
    const forDsl = await prepareCaseCard(deps, { schoolId: school.school.id, caseId: filed.caseId, platform: 'teams', viewer: school.dsl });
    expect(forDsl?.pupils).toEqual({ children: 2, toLink: 1, protectionStatuses: ['Looked after'] });
    expect((await prepareCaseCard(deps, { schoolId: school.school.id, caseId: filed.caseId, platform: 'teams' }))?.pupils).toBeUndefined();
    expect((await prepareCaseCard(deps, { schoolId: school.school.id, caseId: filed.caseId, platform: 'teams', viewer: school.staff }))?.pupils).toBeUndefined();
    expect((await prepareCaseCard(deps, { schoolId: school.school.id, caseId: filed.caseId, platform: 'teams', viewer: school.it }))?.pupils).toBeUndefined();
  });
});
