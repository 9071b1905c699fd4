import { reportConcern } from '../../src/app/cases/report-concern.ts';
import { depsFor, seedSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

describe.each(enginesUnderTest())('migration 0011 on %s', (engine) => {
  let db: TestStorage;
  beforeEach(async () => {
    db = await createTestStorage(engine);
  });
  afterEach(async () => {
    await db.cleanup();
  });

  test('allegations about staff from every surface: an existing deployment migrates to the chair-of-governors routing and the access log without manual steps', async () => {
    const deps = depsFor(db.storage);
    const school = await seedSchool(deps, 'upgrade');
    const before = await reportConcern(deps, { actor: school.staff, concern: { types: ['online_bullying'], location: 'unknown', involved: [], appsInvolved: [], description: 'Older case', childAtImmediateRisk: false }, channel: 'api' });
    // The database as the release before this one left it: no column, no index, 0011 not recorded (nor the
    // audit seals of 0012, which come after it).
    for (const table of ['case_children', 'protection_statuses', 'pupil_pattern_alerts', 'pupil_merges', 'pupil_pattern_rules']) await db.raw(`drop table ${table}`);
    await db.raw("delete from kysely_migration where name = '0018_case_children'");
    await db.raw('drop table pupil_registers');
    await db.raw('drop table pupils');
    await db.raw("delete from kysely_migration where name = '0017_pupils'");
    await db.raw('drop table google_alert_imports');
    await db.raw("delete from kysely_migration where name = '0016_google_alert_imports'");
    await db.raw('drop index email_messages_sha256');
    await db.raw("delete from kysely_migration where name = '0015_email_fingerprints'");
    await db.raw('drop table mailbox_removals');
    await db.raw("delete from kysely_migration where name = '0014_mailbox_removals'");
    await db.raw('drop table google_directories');
    await db.raw("delete from kysely_migration where name = '0013_google_directory'");
    await db.raw('drop table audit_seals');
    await db.raw('alter table schools drop column region');
    await db.raw("delete from kysely_migration where name = '0012_audit_seals'");
    await db.raw('drop index audit_events_action_at');
    await db.raw('alter table cases drop column about_head');
    await db.raw("delete from kysely_migration where name = '0011_allegations_and_access'");

    expect(await db.storage.migrate()).toEqual(['0011_allegations_and_access', '0012_audit_seals', '0013_google_directory', '0014_mailbox_removals', '0015_email_fingerprints', '0016_google_alert_imports', '0017_pupils', '0018_case_children']);
    const header = await db.storage.read((r) => r.cases.getHeader(school.school.id, before.caseId));
    expect(header).toMatchObject({ reference: before.reference, restricted: false });
    expect(header!.aboutHeadteacher).toBeUndefined();
    // New allegations about the head are recorded on the new column.
    const aboutHead = await reportConcern(deps, {
      actor: school.staff,
      concern: { types: ['staff_allegation'], location: 'unknown', involved: [], appsInvolved: [], description: 'About the head', childAtImmediateRisk: false, subjectPersonId: school.head.personId },
      channel: 'api',
    });
    expect(await db.storage.read((r) => r.cases.getHeader(school.school.id, aboutHead.caseId))).toMatchObject({ restricted: true, aboutHeadteacher: true });
    expect(await db.storage.migrate()).toEqual([]);
  });
});
