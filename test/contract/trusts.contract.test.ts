import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { addSchool } from '../../src/app/organisations/add-school.ts';
import { addTrust } from '../../src/app/organisations/add-trust.ts';
import { chooseReportSchool } from '../../src/app/cases/choose-report-school.ts';
import { OPERATOR, type AppDeps } from '../../src/app/deps.ts';
import { getTrustFigures } from '../../src/app/organisations/get-trust-figures.ts';
import { grantTrustRole } from '../../src/app/organisations/grant-trust-role.ts';
import { addMembershipRule, listMembershipRules, removeMembershipRule, setMembershipOverride } from '../../src/app/organisations/manage-membership-rules.ts';
import { previewTrustMembership } from '../../src/app/organisations/preview-trust-membership.ts';
import { reportConcern } from '../../src/app/cases/report-concern.ts';
import { resolveActor } from '../../src/app/people/resolve-actor.ts';
import { verifyAuditChain } from '../../src/app/audit/verify-audit-chain.ts';
import { concernSchema } from '../../src/domain/concern.ts';
import { AppError } from '../../src/domain/errors.ts';
import type { Actor } from '../../src/domain/roles.ts';
import { FieldCipher } from '../../src/storage/field-cipher.ts';
import { KyselyStorage } from '../../src/storage/kysely-storage.ts';
import { migrationProvider } from '../../src/storage/migrations.ts';
import { openPostgres } from '../../src/storage/postgres/open-postgres.ts';
import type { Database } from '../../src/storage/schema.ts';
import { openSqlite } from '../../src/storage/sqlite/open-sqlite.ts';
import { depsFor } from '../support/seed.ts';
import { createTestStorage, dropTestSchema, enginesUnderTest, testKeyRing, whileSchemasStay, type Engine, type TestStorage } from '../support/test-storage.ts';
import { addPerson } from '../../src/app/people/add-person.ts';

const SECRET = 'Pupil Zebedee Quartermaine told me something';

function entra(tenantId: string, email: string, subject = randomUUID()) {
  return { provider: 'entra' as const, tenantId, subject, email, emailVerified: true, displayName: email.split('@')[0]! };
}

async function expectRefused(work: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  expect((error as AppError).userMessage).toMatch(message);
}

/** A database brought only to 0008, the last migration before trusts, on either engine. */
async function databaseAt0008(engine: Engine): Promise<{ db: Kysely<Database>; open(): KyselyStorage; cleanup(): Promise<void> }> {
  const keyRing = testKeyRing();
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'dsl-desk-0008-'));
    const file = join(dir, 'old.sqlite');
    const db = openSqlite(file);
    const migrator = new Migrator({ db, provider: migrationProvider });
    const result = await migrator.migrateTo('0008_case_card_worked');
    if (result.error) throw result.error;
    return {
      db,
      open: () => new KyselyStorage({ engine: 'sqlite', db: openSqlite(file), cipher: new FieldCipher(keyRing) }),
      cleanup: async () => {
        await db.destroy().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = process.env.TEST_DATABASE_URL!;
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const db = openPostgres(url, { schema, maxConnections: 2 });
  const result = await whileSchemasStay(admin, () => new Migrator({ db, provider: migrationProvider, migrationTableSchema: schema }).migrateTo('0008_case_card_worked'));
  if (result.error) throw result.error;
  return {
    db,
    open: () => new KyselyStorage({ engine: 'postgres', db: openPostgres(url, { schema, maxConnections: 4 }), cipher: new FieldCipher(keyRing), schema }),
    cleanup: async () => {
      await db.destroy().catch(() => undefined);
      await dropTestSchema(admin, schema);
      await admin.end();
    },
  };
}

describe.each(enginesUnderTest())('Trusts and local authorities on %s', (engine) => {
  test('Trusts and local authorities: a single-school deployment at 0008 migrates to an organisation of one school without manual steps, and its people keep signing in', async () => {
    const old = await databaseAt0008(engine);
    const tenant = randomUUID();
    const objectId = randomUUID();
    const now = new Date().toISOString();
    await old.db.insertInto('schools').values({ id: 's-1', name: 'Oakfield Primary', slug: 'oakfield', entra_tenant_id: tenant, google_domain: 'oakfield.example.org', time_zone: 'Europe/London', created_at: now } as never).execute();
    await old.db.insertInto('schools').values({ id: 's-2', name: 'Elmwood Primary', slug: 'elmwood', entra_tenant_id: null, google_domain: null, time_zone: 'Europe/London', created_at: now } as never).execute();
    await old.db
      .insertInto('people')
      .values({ id: 'p-1', school_id: 's-1', display_name: 'Dana Lead', email: 'dana@oakfield.example.org', entra_object_id: objectId, google_subject: null, active: 1, created_at: now, updated_at: now })
      .execute();
    await old.db.insertInto('person_roles').values({ school_id: 's-1', person_id: 'p-1', role: 'dsl', granted_at: now }).execute();
    await old.db.destroy();

    const storage = old.open();
    try {
      // 0009 moves the school into an organisation; every later migration runs after it.
      const later = Object.keys(await migrationProvider.getMigrations()).filter((name) => name > '0008_case_card_worked').sort();
      expect(later[0]).toBe('0009_trusts');
      expect(await storage.migrate()).toEqual(later);
      const deps: AppDeps = depsFor(storage);
      const school = await storage.read((r) => r.schools.getBySlug('oakfield'));
      expect(school).toMatchObject({ entraTenantId: tenant, googleDomain: 'oakfield.example.org' });
      const organisation = await storage.read((r) => r.organisations.get(school!.organisationId));
      expect(organisation).toMatchObject({ slug: 'oakfield', kind: 'school', name: 'Oakfield Primary' });
      expect((await storage.read((r) => r.schools.getBySlug('elmwood')))!.organisationId).not.toBe(school!.organisationId);

      // The linked DSL signs in as before; an unknown member of the tenant still becomes staff of the one school.
      const dsl = await resolveActor(deps, entra(tenant, 'dana@oakfield.example.org', objectId));
      expect(dsl).toEqual({ schoolId: 's-1', personId: 'p-1', displayName: 'Dana Lead', roles: ['dsl'] });
      const newcomer = await resolveActor(deps, entra(tenant, 'new@oakfield.example.org'));
      expect(newcomer).toMatchObject({ schoolId: 's-1', roles: ['staff'] });
      expect(newcomer.memberships).toBeUndefined();

      // The tenant is no longer one school's: the school's trust-to-be cannot take it, but a second school can be added to a trust.
      await expectRefused(addTrust(deps, { name: 'Oak Trust', slug: 'oak-trust', entraTenantIds: [tenant] }), 'conflict', /already belongs/);
      const sharedTenant = randomUUID();
      await addTrust(deps, { name: 'Shared Trust', slug: 'shared-trust', entraTenantIds: [sharedTenant] });
      const one = await addSchool(deps, { name: 'One', slug: 'one', organisationSlug: 'shared-trust' });
      const two = await addSchool(deps, { name: 'Two', slug: 'two', organisationSlug: 'shared-trust' });
      expect([one.entraTenantId, two.entraTenantId]).toEqual([sharedTenant, sharedTenant]);
      expect((await verifyAuditChain(deps)).firstBreak).toBeUndefined();
      expect(await storage.migrate()).toEqual([]);
    } finally {
      await storage.close().catch(() => undefined);
      await old.cleanup();
    }
  });

  describe('with a trust of two schools on one tenant', () => {
    let db: TestStorage;
    let deps: AppDeps;
    const tenant = randomUUID();
    let oak: string;
    let elm: string;

    beforeEach(async () => {
      db = await createTestStorage(engine);
      deps = depsFor(db.storage);
      await addTrust(deps, { name: 'Forest Learning Trust', slug: 'forest', entraTenantIds: [tenant] });
      oak = (await addSchool(deps, { name: 'Oakfield Primary', slug: 'oakfield', organisationSlug: 'forest' })).id;
      elm = (await addSchool(deps, { name: 'Elmwood Academy', slug: 'elmwood', organisationSlug: 'forest' })).id;
      await addMembershipRule(deps, { actor: OPERATOR, trust: 'forest', when: 'domain=oakfield.forest.example', school: 'oakfield' });
      await addMembershipRule(deps, { actor: OPERATOR, trust: 'forest', when: 'domain=elmwood.forest.example', school: 'elmwood' });
    });
    afterEach(async () => {
      await db.cleanup();
    });

    test('Trusts and local authorities: the membership rule puts a new person in their own school; someone in no school is refused naming who can fix it', async () => {
      expect(await resolveActor(deps, entra(tenant, 'sam@oakfield.forest.example'))).toMatchObject({ schoolId: oak, roles: ['staff'] });
      expect(await resolveActor(deps, entra(tenant, 'ola@elmwood.forest.example'))).toMatchObject({ schoolId: elm, roles: ['staff'] });
      await expectRefused(resolveActor(deps, entra(tenant, 'visitor@forest.example')), 'forbidden', /Forest Learning Trust’s DSL Desk administrator \(or your school office\)/);
      expect(await db.storage.read(async (r) => (await r.people.list(oak)).length + (await r.people.list(elm)).length)).toBe(2);
    });

    test('Trusts and local authorities: a person in two schools (an override) chooses the school of a report, and an ambiguous report is refused with a clear message', async () => {
      await setMembershipOverride(deps, { actor: OPERATOR, trust: 'forest', email: 'pip@forest.example', schools: ['oakfield', 'elmwood'] });
      const subject = randomUUID();
      const actor = await resolveActor(deps, entra(tenant, 'pip@forest.example', subject));
      expect(actor.memberships?.map((m) => m.schoolSlug)).toEqual(['elmwood', 'oakfield']);
      // The same person again (now linked in both) is found without creating anyone.
      expect((await resolveActor(deps, entra(tenant, 'pip@forest.example', subject))).memberships).toHaveLength(2);

      await expectRefused(chooseReportSchool(deps, actor, undefined), 'invalid_input', /more than one school: Elmwood Academy \(elmwood\), Oakfield Primary \(oakfield\)/);
      await expectRefused(chooseReportSchool(deps, actor, 'beech'), 'invalid_input', /not one of your schools/);
      const forOak = await chooseReportSchool(deps, actor, 'oakfield');
      expect(forOak.schoolId).toBe(oak);
      const receipt = await reportConcern(deps, { actor: forOak, concern: concernSchema.parse({ types: ['online_bullying'], description: SECRET }), channel: 'api' });
      expect(await db.storage.read((r) => r.cases.getHeader(oak, receipt.caseId))).toBeDefined();
      expect(await db.storage.read((r) => r.cases.getHeader(elm, receipt.caseId))).toBeUndefined();

      // Someone in one school may name it (by slug), and naming another school is refused rather than filed there.
      const single = await resolveActor(deps, entra(tenant, 'sam@oakfield.forest.example'));
      expect((await chooseReportSchool(deps, single, 'oakfield')).schoolId).toBe(oak);
      await expectRefused(chooseReportSchool(deps, single, 'elmwood'), 'invalid_input', /not a member of that school/);
    });

    test('Trusts and local authorities: rules are listed, removed and audited; the dry run shows where each directory person lands without changing anything', async () => {
      await addMembershipRule(deps, { actor: OPERATOR, trust: 'forest', when: 'department=Elmwood', school: 'elmwood' });
      await expectRefused(addMembershipRule(deps, { actor: OPERATOR, trust: 'forest', when: 'shoe=9', school: 'elmwood' }), 'invalid_input', /fact=value/);
      await expectRefused(addMembershipRule(deps, { actor: OPERATOR, trust: 'forest', when: 'department=X', school: 'nowhere' }), 'not_found', /not a school of this trust/);
      const listed = await listMembershipRules(deps, { actor: OPERATOR, trust: 'forest' });
      expect(listed.rules.map((r) => `${r.when}→${r.school}`)).toEqual(['domain=oakfield.forest.example→oakfield', 'domain=elmwood.forest.example→elmwood', 'department=Elmwood→elmwood']);
      const preview = await previewTrustMembership(deps, {
        actor: OPERATOR,
        trust: 'forest',
        people: [
          { email: 'a@oakfield.forest.example' },
          { email: 'b@forest.example', department: 'elmwood' },
          { email: 'c@oakfield.forest.example', department: 'Elmwood' },
          { email: 'd@forest.example' },
        ],
      });
      expect(preview.rows.map((r) => [r.email, r.schools.join('+')])).toEqual([
        ['a@oakfield.forest.example', 'oakfield'],
        ['b@forest.example', 'elmwood'],
        ['c@oakfield.forest.example', 'oakfield+elmwood'],
        ['d@forest.example', ''],
      ]);
      expect(preview).toMatchObject({ bySchool: { oakfield: 2, elmwood: 2 }, inNoSchool: 1 });
      expect(await db.storage.read(async (r) => (await r.people.list(oak)).length)).toBe(0);
      await removeMembershipRule(deps, { actor: OPERATOR, trust: 'forest', ruleId: listed.rules[2]!.id });
      expect((await listMembershipRules(deps, { actor: OPERATOR, trust: 'forest' })).rules).toHaveLength(2);
      const events = await db.raw('select action from audit_events where school_id = ? and action = ?', [elm, 'trust.membership_changed']);
      expect(events).toHaveLength(3);
    });

    test('Trusts and local authorities: the trust safeguarding lead sees each school’s figures without case content, every school viewed is audited, and others are refused', async () => {
      const reporter = await resolveActor(deps, entra(tenant, 'sam@oakfield.forest.example'));
      await reportConcern(deps, { actor: reporter, concern: concernSchema.parse({ types: ['online_bullying'], description: SECRET }), channel: 'api' });
      await reportConcern(deps, { actor: reporter, concern: concernSchema.parse({ types: ['online_bullying'], description: SECRET, childAtImmediateRisk: true }), channel: 'api' });
      const elmReporter = await resolveActor(deps, entra(tenant, 'ola@elmwood.forest.example'));
      await reportConcern(deps, { actor: elmReporter, concern: concernSchema.parse({ types: ['online_bullying'], description: SECRET }), channel: 'api' });

      await setMembershipOverride(deps, { actor: OPERATOR, trust: 'forest', email: 'lead@forest.example', schools: ['oakfield'] });
      const lead: Actor = await resolveActor(deps, entra(tenant, 'lead@forest.example'));
      await expectRefused(getTrustFigures(deps, { actor: lead, trust: 'forest' }), 'not_found', /no trust or local authority/);
      await grantTrustRole(deps, { actor: OPERATOR, trust: 'forest', email: 'lead@forest.example', role: 'trust_safeguarding_lead' });

      const figures = await getTrustFigures(deps, { actor: lead, trust: 'forest' });
      const bySlug = Object.fromEntries(figures.schools.map((s) => [s.school.slug, s]));
      expect(bySlug.oakfield).toMatchObject({ openCases: 2, urgentOpen: 1, escalatedOpen: 0, byStatus: { new: 2 }, ages: { underSevenDays: 2, oldestOpenDays: 0 }, viewerIsSchoolDsl: false });
      expect(bySlug.elmwood).toMatchObject({ openCases: 1, urgentOpen: 0 });
      const text = JSON.stringify(figures);
      expect(text).not.toContain('Zebedee');
      expect(text).not.toMatch(/CASE-\d{4}/);
      for (const schoolId of [oak, elm]) {
        const viewed = await db.raw('select actor_id from audit_events where school_id = ? and action = ?', [schoolId, 'trust.figures_viewed']);
        expect(viewed).toEqual([{ actor_id: lead.personId }]);
      }
      // A staff member of the trust without the role is refused; the trust lead's figures never open a case.
      await expectRefused(getTrustFigures(deps, { actor: reporter, trust: 'forest' }), 'not_found', /no trust/);
      expect(await db.raw('select count(*) as n from audit_events where action = ?', ['case.viewed'])).toEqual([{ n: engine === 'postgres' ? '0' : 0 }]);
      expect((await verifyAuditChain(deps)).firstBreak).toBeUndefined();
    });

    test('Trusts and local authorities: a school of a trust shares its tenant, and a tenant cannot be claimed twice', async () => {
      await expectRefused(addSchool(deps, { name: 'Beech', slug: 'beech', entraTenantId: tenant }), 'conflict', /already belongs/);
      await expectRefused(addSchool(deps, { name: 'Beech', slug: 'beech', organisationSlug: 'forest', entraTenantId: randomUUID() }), 'invalid_input', /does not belong to Forest Learning Trust/);
      await expectRefused(addSchool(deps, { name: 'Beech', slug: 'beech', organisationSlug: 'nope' }), 'not_found', /trust add/);
      const added = await addPerson(deps, { actor: OPERATOR, schoolId: oak, person: { displayName: 'Imported', email: 'imported@forest.example', roles: ['staff'] } });
      // An imported person is linked by email in their school even though the rules place no one with that domain.
      expect(await resolveActor(deps, entra(tenant, 'imported@forest.example'))).toMatchObject({ schoolId: oak, personId: added.person.id });
    });
  });
});
