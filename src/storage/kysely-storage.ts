import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { DEFAULT_REGION, isUkRegion } from '../domain/bank-holidays.ts';
import { findSealProblem, type AuditSeal, type AuditSealKeys, type AuditSealProblem } from '../domain/audit-seal.ts';
import { auditHash, findFirstBreak, GENESIS_HASH, type AuditDetail, type AuditEvent, type AuditEventInput, type AuditBreak } from '../domain/audit.ts';
import type { Case, CaseStatus } from '../domain/case.ts';
import type { IncidentTypeCode, Urgency } from '../domain/incident-types.ts';
import type { CaseCardRecord, CaseChannel, ChatPlatform, ChatUser, ConversationAddress, DeliveryState } from '../domain/chat.ts';
import type { DeliveryFallbackRecord } from '../domain/delivery-fallback.ts';
import type { LegalHold, StoredEmail, VerdictDecision } from '../domain/email-report.ts';
import type { AupAudience, AupPolicyVersion } from '../domain/aup.ts';
import type {
  AuditActionFilter,
  AuditLog,
  ChatRepository,
  EmailRepository,
  AupPolicyRepository,
  AuditVerification,
  CaseFilter,
  CaseHeader,
  CaseRepository,
  CaseSourceRepository,
  DeliveryFallbackRepository,
  IdempotencyRepository,
  MyReport,
  OrganisationRepository,
  Outbox,
  OutboxClaimOptions,
  OutboxMessage,
  OutboxStore,
  PacedCall,
  PacingLedger,
  Person,
  PersonRepository,
  PersonWithRoles,
  School,
  SchoolRepository,
  Storage,
  StorageTx,
} from '../domain/ports.ts';
import type { Role } from '../domain/roles.ts';
import { isOrganisationRole, type DirectoryProvider, type MembershipFact, type MembershipOverride, type MembershipRule, type Organisation, type OrganisationDirectory, type OrganisationKind, type OrganisationRole } from '../domain/organisation.ts';
import { AppError } from '../domain/errors.ts';
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE } from './database-faults.ts';
import type { FieldCipher } from './field-cipher.ts';
import { aupRepositories } from './kysely-aup-storage.ts';
import { KyselyGoogleAlertImports, KyselyGoogleDirectory } from './kysely-google-directory.ts';
import { caseChildRepositories } from './kysely-case-children.ts';
import { KyselyMailboxRemovals } from './kysely-mailbox-removals.ts';
import { KyselyPupils, PupilSearchCache } from './kysely-pupils.ts';
import { migrationProvider } from './migrations.ts';
import type { AupPoliciesTable, CasesTable, ChatCaseCardsTable, Database, Db, DeliveryFallbacksTable, EmailMessagesTable, OrganisationsTable, PeopleTable, SchoolsTable } from './schema.ts';
import { RefuseUnstorableText } from './refuse-unstorable-text.ts';



/** The parts of a case that are sealed together in `cases.details`. */
type CaseDetails = Pick<
  Case,
  'concern' | 'source' | 'notes' | 'protocolTicks' | 'escalations' | 'actionsTaken' | 'urgencyChanges' | 'reopenings' | 'furtherReports' | 'outcome' | 'urgencyReason' | 'acknowledgedAt' | 'acknowledgedById'
>;

export interface KyselyStorageOptions {
  engine: 'sqlite' | 'postgres';
  db: Kysely<Database>;
  cipher: FieldCipher;
  /**
   * PostgreSQL: the schema the tables live in, when it is not the default. Kysely's migrator looks for its
   * own tables in every schema it can see unless told which one, and would take another schema's for ours.
   */
  schema?: string;
}

/**
 * The one storage implementation: the same queries on both engines. The only engine-specific parts are
 * row locks (PostgreSQL has them; SQLite serialises every write transaction anyway).
 */
export class KyselyStorage implements Storage {
  readonly engine: 'sqlite' | 'postgres';
  readonly outbox: OutboxStore;
  readonly pacing: PacingLedger;
  readonly #db: Kysely<Database>;
  readonly #cipher: FieldCipher;
  readonly #schema: string | undefined;
  /** Each school's pupil search index (decrypted names, in memory only), valid while its register version stands. */
  readonly #pupilSearch = new PupilSearchCache();

  constructor(options: KyselyStorageOptions) {
    this.engine = options.engine;
    // NUL is refused the same way on both engines, whatever a caller forgot to validate.
    this.#db = options.db.withPlugin(new RefuseUnstorableText());
    this.#cipher = options.cipher;
    this.#schema = options.schema;
    this.outbox = new KyselyOutboxStore(this.#db, this.engine);
    this.pacing = new KyselyPacingLedger(this.#db);
  }

  /** Brings the schema up to date; safe to call from several instances at once. */
  async migrate(): Promise<string[]> {
    // Kysely looks for its migration tables in every schema it can see unless told which one: on a
    // PostgreSQL database shared by several schemas it would find another's and never create its own.
    const schema = this.#schema ?? (this.engine === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(this.#db)).rows[0]?.schema : undefined);
    const migrator = new Migrator({ db: this.#db, provider: migrationProvider, ...(schema ? { migrationTableSchema: schema } : {}) });
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  async transaction<T>(work: (tx: StorageTx) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute((trx) => work(this.#repositories(trx, true)));
  }

  async read<T>(work: (reader: StorageTx) => Promise<T>): Promise<T> {
    return work(this.#repositories(this.#db, false));
  }

  #repositories(db: Db, inTransaction: boolean): StorageTx {
    const locks = this.engine === 'postgres';
    return {
      schools: new KyselySchools(db),
      organisations: new KyselyOrganisations(db),
      people: new KyselyPeople(db),
      cases: new KyselyCases(db, this.#cipher, locks),
      ...caseChildRepositories(db, this.#cipher, locks),
      idempotency: new KyselyIdempotency(db),
      caseSources: new KyselyCaseSources(db),
      audit: new KyselyAuditLog(db, locks),
      outbox: new KyselyOutbox(db),
      chat: new KyselyChat(db),
      deliveryFallbacks: new KyselyDeliveryFallbacks(db),
      emails: new KyselyEmails(db, this.#cipher),
      aupPolicies: new KyselyAupPolicies(db),
      ...aupRepositories(db, this.#cipher, locks),
      googleDirectory: new KyselyGoogleDirectory(db),
      mailboxRemovals: new KyselyMailboxRemovals(db),
      googleAlertImports: new KyselyGoogleAlertImports(db),
      pupils: new KyselyPupils(db, this.#cipher, this.#pupilSearch, { inTransaction }),
    };
  }

  async verifyAudit(options: { sealKeys?: AuditSealKeys } = {}): Promise<AuditVerification> {
    const heads = await this.#db.selectFrom('audit_heads').selectAll().execute();
    const headBySchool = new Map(heads.map((h) => [h.school_id, { seq: Number(h.seq), hash: h.hash }]));
    const schoolRows = await this.#db.selectFrom('audit_events').select('school_id').distinct().execute();
    const schools = new Set([...schoolRows.map((r) => r.school_id), ...headBySchool.keys()]);
    const sealRows = options.sealKeys ? await this.#db.selectFrom('audit_seals').selectAll().orderBy('school_id').orderBy('seal_seq').execute() : [];
    const sealsBySchool = new Map<string, AuditSeal[]>();
    for (const row of sealRows) {
      const list = sealsBySchool.get(row.school_id) ?? [];
      list.push(toAuditSeal(row));
      sealsBySchool.set(row.school_id, list);
      // Seals of a school whose every event and head were deleted still count: the chain they vouch for is gone.
      schools.add(row.school_id);
    }
    let events = 0;
    let firstBreak: AuditBreak | undefined;
    let sealProblem: AuditSealProblem | undefined;
    const unsealedSchools: string[] = [];
    for (const schoolId of [...schools].sort()) {
      const rows = await this.#db.selectFrom('audit_events').selectAll().where('school_id', '=', schoolId).orderBy('seq').execute();
      events += rows.length;
      const chain = rows.map(toAuditEvent);
      const broken = findFirstBreak(schoolId, chain, headBySchool.get(schoolId));
      if (broken && !firstBreak) firstBreak = broken;
      if (options.sealKeys) {
        const seals = sealsBySchool.get(schoolId) ?? [];
        if (!seals.length && chain.length) unsealedSchools.push(schoolId);
        const problem = findSealProblem(schoolId, seals, chain, options.sealKeys);
        if (problem && !sealProblem) sealProblem = problem;
      }
    }
    return {
      schools: schools.size,
      events,
      ...(firstBreak ? { firstBreak } : {}),
      ...(options.sealKeys ? { seals: sealRows.length, unsealedSchools, ...(sealProblem ? { sealProblem } : {}) } : {}),
    };
  }

  /**
   * A cheap query under a short deadline, for readiness probes: a stalled database must make the probe
   * fail quickly rather than hang it. The query itself is bounded by the pool's own timeouts.
   */
  async ping(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new AppError('unavailable', DATABASE_UNAVAILABLE_MESSAGE, { internal: `database did not answer within ${timeoutMs} ms`, retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS })), timeoutMs);
    });
    const query = sql`select 1`.execute(this.#db);
    // The query may still fail after the deadline has answered; that failure has been reported already.
    query.catch(() => undefined);
    try {
      await Promise.race([query, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }
}

// ---- schools and people --------------------------------------------------------------------------

function toSchool(row: SchoolsTable): School {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    organisationId: row.organisation_id ?? `org-${row.id}`,
    entraTenantId: row.ms_tenant_id,
    googleDomain: row.workspace_domain,
    timeZone: row.time_zone,
    region: isUkRegion(row.region) ? row.region : DEFAULT_REGION,
    createdAt: row.created_at,
  };
}

class KyselySchools implements SchoolRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }
  async #one(column: 'id' | 'slug', value: string): Promise<School | undefined> {
    const row = await this.#db.selectFrom('schools').selectAll().where(column, '=', value).executeTakeFirst();
    return row ? toSchool(row) : undefined;
  }
  get(id: string) {
    return this.#one('id', id);
  }
  getBySlug(slug: string) {
    return this.#one('slug', slug);
  }
  async list(): Promise<School[]> {
    return (await this.#db.selectFrom('schools').selectAll().orderBy('name').execute()).map(toSchool);
  }
  async listByOrganisation(organisationId: string): Promise<School[]> {
    return (await this.#db.selectFrom('schools').selectAll().where('organisation_id', '=', organisationId).orderBy('name').orderBy('id').execute()).map(toSchool);
  }
  async insert(school: School): Promise<void> {
    await this.#db
      .insertInto('schools')
      .values({
        id: school.id,
        name: school.name,
        slug: school.slug,
        entra_tenant_id: null,
        google_domain: null,
        organisation_id: school.organisationId,
        ms_tenant_id: school.entraTenantId?.toLowerCase() ?? null,
        workspace_domain: school.googleDomain?.toLowerCase() ?? null,
        time_zone: school.timeZone,
        region: school.region ?? DEFAULT_REGION,
        created_at: school.createdAt,
      })
      .execute();
  }
}

function toOrganisation(row: OrganisationsTable): Organisation {
  return { id: row.id, name: row.name, slug: row.slug, kind: row.kind as OrganisationKind, createdAt: row.created_at };
}

class KyselyOrganisations implements OrganisationRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }
  async get(id: string) {
    const row = await this.#db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toOrganisation(row) : undefined;
  }
  async getBySlug(slug: string) {
    const row = await this.#db.selectFrom('organisations').selectAll().where('slug', '=', slug).executeTakeFirst();
    return row ? toOrganisation(row) : undefined;
  }
  async findByDirectory(provider: DirectoryProvider, key: string) {
    const row = await this.#db
      .selectFrom('organisation_directories')
      .innerJoin('organisations', 'organisations.id', 'organisation_directories.organisation_id')
      .selectAll('organisations')
      .where('organisation_directories.provider', '=', provider)
      .where('organisation_directories.directory_key', '=', key.toLowerCase())
      .executeTakeFirst();
    return row ? toOrganisation(row) : undefined;
  }
  async list() {
    return (await this.#db.selectFrom('organisations').selectAll().orderBy('name').execute()).map(toOrganisation);
  }
  async insert(organisation: Organisation) {
    await this.#db
      .insertInto('organisations')
      .values({ id: organisation.id, name: organisation.name, slug: organisation.slug, kind: organisation.kind, created_at: organisation.createdAt })
      .execute();
  }
  async addDirectory(organisationId: string, provider: DirectoryProvider, key: string) {
    await this.#db.insertInto('organisation_directories').values({ provider, directory_key: key.toLowerCase(), organisation_id: organisationId }).execute();
  }
  async listDirectories(organisationId: string): Promise<OrganisationDirectory[]> {
    const rows = await this.#db.selectFrom('organisation_directories').selectAll().where('organisation_id', '=', organisationId).orderBy('provider').orderBy('directory_key').execute();
    return rows.map((row) => ({ provider: row.provider as DirectoryProvider, key: row.directory_key }));
  }
  async listRules(organisationId: string): Promise<MembershipRule[]> {
    const rows = await this.#db.selectFrom('membership_rules').selectAll().where('organisation_id', '=', organisationId).orderBy('position').orderBy('id').execute();
    return rows.map((row) => ({
      id: row.id,
      organisationId: row.organisation_id,
      position: Number(row.position),
      fact: row.fact as MembershipFact,
      value: row.value,
      schoolId: row.school_id,
      createdAt: row.created_at,
    }));
  }
  async insertRule(rule: MembershipRule) {
    await this.#db
      .insertInto('membership_rules')
      .values({ id: rule.id, organisation_id: rule.organisationId, position: rule.position, fact: rule.fact, value: rule.value, school_id: rule.schoolId, created_at: rule.createdAt })
      .execute();
  }
  async deleteRule(organisationId: string, ruleId: string) {
    const result = await this.#db.deleteFrom('membership_rules').where('organisation_id', '=', organisationId).where('id', '=', ruleId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
  async listOverrides(organisationId: string): Promise<MembershipOverride[]> {
    const rows = await this.#db.selectFrom('membership_overrides').selectAll().where('organisation_id', '=', organisationId).orderBy('email').orderBy('school_id').execute();
    return rows.map((row) => ({ organisationId: row.organisation_id, email: row.email, schoolId: row.school_id, createdAt: row.created_at }));
  }
  async addOverride(override: MembershipOverride) {
    await this.#db
      .insertInto('membership_overrides')
      .values({ organisation_id: override.organisationId, email: override.email.toLowerCase(), school_id: override.schoolId, created_at: override.createdAt })
      .onConflict((oc) => oc.columns(['organisation_id', 'email', 'school_id']).doNothing())
      .execute();
  }
  async removeOverrides(organisationId: string, email: string) {
    const result = await this.#db.deleteFrom('membership_overrides').where('organisation_id', '=', organisationId).where('email', '=', email.toLowerCase()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
  async grantRole(organisationId: string, email: string, role: OrganisationRole, at: string) {
    await this.#db
      .insertInto('organisation_roles')
      .values({ organisation_id: organisationId, email: email.toLowerCase(), role, granted_at: at })
      .onConflict((oc) => oc.columns(['organisation_id', 'email', 'role']).doNothing())
      .execute();
  }
  async rolesOf(organisationId: string, email: string): Promise<OrganisationRole[]> {
    const rows = await this.#db.selectFrom('organisation_roles').select('role').where('organisation_id', '=', organisationId).where('email', '=', email.toLowerCase()).orderBy('role').execute();
    return rows.map((row) => row.role).filter(isOrganisationRole);
  }
}

class KyselyPeople implements PersonRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async #withRoles(rows: PeopleTable[]): Promise<PersonWithRoles[]> {
    if (rows.length === 0) return [];
    const schoolId = rows[0]!.school_id;
    const roleRows = await this.#db
      .selectFrom('person_roles')
      .select(['person_id', 'role'])
      .where('school_id', '=', schoolId)
      .where(
        'person_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    const byPerson = new Map<string, Role[]>();
    for (const r of roleRows) byPerson.set(r.person_id, [...(byPerson.get(r.person_id) ?? []), r.role as Role]);
    return rows.map((row) => ({
      id: row.id,
      schoolId: row.school_id,
      displayName: row.display_name,
      email: row.email,
      entraObjectId: row.entra_object_id,
      googleSubject: row.google_subject,
      active: Number(row.active) === 1,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      roles: (byPerson.get(row.id) ?? []).sort(),
    }));
  }

  async #one(schoolId: string, column: 'id' | 'email' | 'entra_object_id' | 'google_subject', value: string) {
    const row = await this.#db.selectFrom('people').selectAll().where('school_id', '=', schoolId).where(column, '=', value).executeTakeFirst();
    return row ? (await this.#withRoles([row]))[0] : undefined;
  }

  get(schoolId: string, personId: string) {
    return this.#one(schoolId, 'id', personId);
  }
  findByEmail(schoolId: string, email: string) {
    return this.#one(schoolId, 'email', email.toLowerCase());
  }
  findByEntraObjectId(schoolId: string, objectId: string) {
    return this.#one(schoolId, 'entra_object_id', objectId.toLowerCase());
  }
  findByGoogleSubject(schoolId: string, subject: string) {
    return this.#one(schoolId, 'google_subject', subject);
  }
  async list(schoolId: string) {
    return this.#withRoles(await this.#db.selectFrom('people').selectAll().where('school_id', '=', schoolId).orderBy('display_name').execute());
  }
  async listWithRole(schoolId: string, role: Role) {
    const rows = await this.#db
      .selectFrom('people')
      .innerJoin('person_roles', (join) => join.onRef('person_roles.person_id', '=', 'people.id').onRef('person_roles.school_id', '=', 'people.school_id'))
      .selectAll('people')
      .where('people.school_id', '=', schoolId)
      .where('person_roles.role', '=', role)
      .where('people.active', '=', 1)
      .orderBy('people.display_name')
      .execute();
    return this.#withRoles(rows);
  }
  #row(person: Person): PeopleTable {
    return {
      id: person.id,
      school_id: person.schoolId,
      display_name: person.displayName,
      email: person.email.toLowerCase(),
      entra_object_id: person.entraObjectId?.toLowerCase() ?? null,
      google_subject: person.googleSubject,
      active: person.active ? 1 : 0,
      created_at: person.createdAt,
      updated_at: person.updatedAt,
    };
  }
  async insert(person: Person): Promise<void> {
    await this.#db.insertInto('people').values(this.#row(person)).execute();
  }
  async update(person: Person): Promise<void> {
    const { id, school_id, created_at: _created, ...changes } = this.#row(person);
    await this.#db.updateTable('people').set(changes).where('id', '=', id).where('school_id', '=', school_id).execute();
  }
  async grantRole(schoolId: string, personId: string, role: Role, at: string): Promise<boolean> {
    const result = await this.#db
      .insertInto('person_roles')
      .values({ school_id: schoolId, person_id: personId, role, granted_at: at })
      .onConflict((oc) => oc.columns(['school_id', 'person_id', 'role']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }
  async revokeRole(schoolId: string, personId: string, role: Role): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('person_roles')
      .where('school_id', '=', schoolId)
      .where('person_id', '=', personId)
      .where('role', '=', role)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

// ---- cases -----------------------------------------------------------------------------------------

function toHeader(row: CasesTable): CaseHeader {
  return {
    id: row.id,
    schoolId: row.school_id,
    reference: row.reference,
    status: row.status as CaseStatus,
    urgency: row.urgency as Urgency,
    types: JSON.parse(row.types) as IncidentTypeCode[],
    restricted: Number(row.restricted) === 1,
    ...(row.subject_person_id ? { subjectPersonId: row.subject_person_id } : {}),
    ...(Number(row.about_head) === 1 ? { aboutHeadteacher: true } : {}),
    ...(row.assignee_id ? { assigneeId: row.assignee_id } : {}),
    reporterCount: Number(row.reporter_count),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: Number(row.version),
  };
}

class KyselyCases implements CaseRepository {
  readonly #db: Db;
  readonly #cipher: FieldCipher;
  readonly #locks: boolean;
  constructor(db: Db, cipher: FieldCipher, locks: boolean) {
    this.#db = db;
    this.#cipher = cipher;
    this.#locks = locks;
  }

  #context(schoolId: string, caseId: string): string {
    return `cases.details:${schoolId}:${caseId}`;
  }

  #seal(value: Case): string {
    const details: CaseDetails = {
      concern: value.concern,
      source: value.source,
      notes: value.notes,
      protocolTicks: value.protocolTicks,
      escalations: value.escalations,
      actionsTaken: value.actionsTaken,
      urgencyChanges: value.urgencyChanges,
      reopenings: value.reopenings,
      furtherReports: value.furtherReports,
      outcome: value.outcome,
      urgencyReason: value.urgencyReason,
      acknowledgedAt: value.acknowledgedAt,
      acknowledgedById: value.acknowledgedById,
    };
    return this.#cipher.encrypt(JSON.stringify(details), this.#context(value.schoolId, value.id));
  }

  #row(value: Case): CasesTable {
    return {
      id: value.id,
      school_id: value.schoolId,
      reference: value.reference,
      status: value.status,
      urgency: value.urgency,
      types: JSON.stringify(value.types),
      restricted: value.restricted ? 1 : 0,
      subject_person_id: value.subjectPersonId ?? null,
      about_head: value.aboutHeadteacher ? 1 : 0,
      assignee_id: value.assigneeId ?? null,
      reporter_count: value.reporters.length,
      details: this.#seal(value),
      created_at: value.createdAt,
      updated_at: value.updatedAt,
      closed_at: value.closedAt ?? null,
      version: value.version,
    };
  }

  async get(schoolId: string, caseId: string, options: { lock?: boolean } = {}): Promise<Case | undefined> {
    let query = this.#db.selectFrom('cases').selectAll().where('school_id', '=', schoolId).where('id', '=', caseId);
    if (options.lock && this.#locks) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) return undefined;
    const reporters = await this.#db
      .selectFrom('case_reporters')
      .select(['person_id', 'reported_at', 'channel'])
      .where('school_id', '=', schoolId)
      .where('case_id', '=', caseId)
      .orderBy('reported_at')
      .orderBy('person_id')
      .execute();
    const details = JSON.parse(this.#cipher.decrypt(row.details, this.#context(schoolId, caseId))) as CaseDetails;
    const header = toHeader(row);
    const { reporterCount: _count, ...rest } = header;
    const value: Case = {
      ...rest,
      ...stripUndefined(details),
      // Cases stored before further reports were kept have none.
      furtherReports: details.furtherReports ?? [],
      reporters: reporters.map((r) => ({ personId: r.person_id, reportedAt: r.reported_at, channel: r.channel as Case['reporters'][number]['channel'] })),
      ...(row.closed_at ? { closedAt: row.closed_at } : {}),
    };
    return value;
  }

  async getHeader(schoolId: string, caseId: string): Promise<CaseHeader | undefined> {
    const row = await this.#db.selectFrom('cases').selectAll().where('school_id', '=', schoolId).where('id', '=', caseId).executeTakeFirst();
    return row ? toHeader(row) : undefined;
  }

  async findIdByReference(schoolId: string, reference: string): Promise<string | undefined> {
    const row = await this.#db.selectFrom('cases').select('id').where('school_id', '=', schoolId).where('reference', '=', reference.toUpperCase()).executeTakeFirst();
    return row?.id;
  }

  async find(schoolId: string, filter: CaseFilter): Promise<CaseHeader[]> {
    let query = this.#db.selectFrom('cases').selectAll().where('school_id', '=', schoolId);
    if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses);
    if (filter.urgencies?.length) query = query.where('urgency', 'in', filter.urgencies);
    if (filter.assigneeId) query = query.where('assignee_id', '=', filter.assigneeId);
    // Types are a small JSON array of known codes; the quoted code cannot occur inside another code.
    if (filter.type) query = query.where('types', 'like', `%"${filter.type}"%`);
    if (filter.before) {
      const { createdAt, id } = filter.before;
      query = query.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map(toHeader);
  }

  async findForReporter(schoolId: string, personId: string, limit: number): Promise<MyReport[]> {
    const rows = await this.#db
      .selectFrom('case_reporters')
      .innerJoin('cases', 'cases.id', 'case_reporters.case_id')
      .select(['cases.id', 'cases.reference', 'cases.status', 'cases.updated_at', 'case_reporters.reported_at'])
      .where('case_reporters.school_id', '=', schoolId)
      .where('cases.school_id', '=', schoolId)
      .where('case_reporters.person_id', '=', personId)
      .orderBy('case_reporters.reported_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ caseId: r.id, reference: r.reference, status: r.status as CaseStatus, reportedAt: r.reported_at, updatedAt: r.updated_at }));
  }

  async nextSequence(schoolId: string, year: number): Promise<number> {
    const row = await this.#db
      .insertInto('case_counters')
      .values({ school_id: schoolId, year, last: 1 })
      .onConflict((oc) => oc.columns(['school_id', 'year']).doUpdateSet({ last: sql<number>`case_counters.last + 1` }))
      .returning('last')
      .executeTakeFirstOrThrow();
    return Number(row.last);
  }

  async insert(created: Case): Promise<void> {
    await this.#db.insertInto('cases').values(this.#row(created)).execute();
    for (const reporter of created.reporters) {
      await this.addReporter(created.schoolId, created.id, reporter.personId, reporter.reportedAt, reporter.channel);
    }
  }

  async update(changed: Case, expectedVersion: number): Promise<boolean> {
    const { id, school_id, created_at: _created, reference: _reference, ...changes } = this.#row(changed);
    const result = await this.#db
      .updateTable('cases')
      .set(changes)
      .where('id', '=', id)
      .where('school_id', '=', school_id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async addReporter(schoolId: string, caseId: string, personId: string, reportedAt: string, channel: string): Promise<void> {
    await this.#db
      .insertInto('case_reporters')
      .values({ school_id: schoolId, case_id: caseId, person_id: personId, reported_at: reportedAt, channel })
      .onConflict((oc) => oc.columns(['case_id', 'person_id']).doNothing())
      .execute();
  }

  async reportedAt(schoolId: string, caseId: string, personId: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('case_reporters')
      .select('reported_at')
      .where('school_id', '=', schoolId)
      .where('case_id', '=', caseId)
      .where('person_id', '=', personId)
      .executeTakeFirst();
    return row?.reported_at;
  }
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as T;
}

class KyselyIdempotency implements IdempotencyRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }
  async claim(schoolId: string, personId: string, key: string, caseId: string, at: string): Promise<string | undefined> {
    // ON CONFLICT DO NOTHING waits for a concurrent claim of the same key to commit or roll back, so two
    // simultaneous retries of one report cannot both win.
    const inserted = await this.#db
      .insertInto('idempotency_keys')
      .values({ school_id: schoolId, person_id: personId, key, case_id: caseId, created_at: at })
      .onConflict((oc) => oc.columns(['school_id', 'person_id', 'key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return undefined;
    const row = await this.#db
      .selectFrom('idempotency_keys')
      .select('case_id')
      .where('school_id', '=', schoolId)
      .where('person_id', '=', personId)
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    return row.case_id;
  }
  async reassign(schoolId: string, fingerprint: string, caseId: string): Promise<void> {
    await this.#db.updateTable('case_sources').set({ case_id: caseId }).where('school_id', '=', schoolId).where('fingerprint', '=', fingerprint).execute();
  }
}

class KyselyCaseSources implements CaseSourceRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }
  async claim(schoolId: string, fingerprint: string, caseId: string, at: string): Promise<string | undefined> {
    const inserted = await this.#db
      .insertInto('case_sources')
      .values({ school_id: schoolId, fingerprint, case_id: caseId, created_at: at })
      .onConflict((oc) => oc.columns(['school_id', 'fingerprint']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return undefined;
    const row = await this.#db
      .selectFrom('case_sources')
      .select('case_id')
      .where('school_id', '=', schoolId)
      .where('fingerprint', '=', fingerprint)
      .executeTakeFirstOrThrow();
    return row.case_id;
  }
  async reassign(schoolId: string, fingerprint: string, caseId: string): Promise<void> {
    await this.#db.updateTable('case_sources').set({ case_id: caseId }).where('school_id', '=', schoolId).where('fingerprint', '=', fingerprint).execute();
  }
}

// ---- audit ------------------------------------------------------------------------------------------

function toAuditEvent(row: Database['audit_events']): AuditEvent {
  return {
    id: row.id,
    schoolId: row.school_id,
    seq: Number(row.seq),
    at: row.at,
    actorId: row.actor_id,
    action: row.action as AuditEvent['action'],
    caseId: row.case_id,
    policyId: row.policy_id,
    detail: JSON.parse(row.detail) as AuditDetail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

class KyselyAuditLog implements AuditLog {
  readonly #db: Db;
  readonly #locks: boolean;
  constructor(db: Db, locks: boolean) {
    this.#db = db;
    this.#locks = locks;
  }

  async append(input: AuditEventInput, at: string): Promise<AuditEvent> {
    await this.#db
      .insertInto('audit_heads')
      .values({ school_id: input.schoolId, seq: 0, hash: GENESIS_HASH })
      .onConflict((oc) => oc.column('school_id').doNothing())
      .execute();
    // The head row is locked for the rest of the transaction, so each school's chain grows one link at a time.
    let headQuery = this.#db.selectFrom('audit_heads').select(['seq', 'hash']).where('school_id', '=', input.schoolId);
    if (this.#locks) headQuery = headQuery.forUpdate();
    const head = await headQuery.executeTakeFirstOrThrow();
    const unsigned: Omit<AuditEvent, 'hash'> = {
      id: randomUUID(),
      schoolId: input.schoolId,
      seq: Number(head.seq) + 1,
      at,
      actorId: input.actorId,
      action: input.action,
      caseId: input.caseId ?? null,
      policyId: input.policyId ?? null,
      detail: input.detail ?? {},
      prevHash: head.hash,
    };
    const event: AuditEvent = { ...unsigned, hash: auditHash(unsigned) };
    await this.#db
      .insertInto('audit_events')
      .values({
        id: event.id,
        school_id: event.schoolId,
        seq: event.seq,
        at: event.at,
        actor_id: event.actorId,
        action: event.action,
        case_id: event.caseId,
        policy_id: event.policyId,
        detail: JSON.stringify(event.detail),
        prev_hash: event.prevHash,
        hash: event.hash,
      })
      .execute();
    await this.#db.updateTable('audit_heads').set({ seq: event.seq, hash: event.hash }).where('school_id', '=', input.schoolId).execute();
    return event;
  }

  async listForCase(schoolId: string, caseId: string): Promise<AuditEvent[]> {
    const rows = await this.#db.selectFrom('audit_events').selectAll().where('school_id', '=', schoolId).where('case_id', '=', caseId).orderBy('seq').execute();
    return rows.map(toAuditEvent);
  }

  async schoolsWithChains(): Promise<string[]> {
    const rows = await this.#db.selectFrom('audit_heads').select('school_id').where('seq', '>', 0).orderBy('school_id').execute();
    return rows.map((r) => r.school_id);
  }

  async lockHead(schoolId: string): Promise<{ seq: number; hash: string } | undefined> {
    let query = this.#db.selectFrom('audit_heads').select(['seq', 'hash']).where('school_id', '=', schoolId);
    if (this.#locks) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row ? { seq: Number(row.seq), hash: row.hash } : undefined;
  }

  async latestSeal(schoolId: string): Promise<AuditSeal | undefined> {
    const row = await this.#db.selectFrom('audit_seals').selectAll().where('school_id', '=', schoolId).orderBy('seal_seq', 'desc').limit(1).executeTakeFirst();
    return row ? toAuditSeal(row) : undefined;
  }

  async addSeal(seal: AuditSeal): Promise<void> {
    await this.#db
      .insertInto('audit_seals')
      .values({ school_id: seal.schoolId, seal_seq: seal.sealSeq, head_seq: seal.headSeq, head_hash: seal.headHash, key_id: seal.keyId, sealed_at: seal.sealedAt, mac: seal.mac })
      .execute();
  }

  async listByAction(schoolId: string, filter: AuditActionFilter): Promise<AuditEvent[]> {
    if (filter.actions.length === 0) return [];
    let query = this.#db.selectFrom('audit_events').selectAll().where('school_id', '=', schoolId).where('action', 'in', [...filter.actions]);
    if (filter.caseId) query = query.where('case_id', '=', filter.caseId);
    if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
    if (filter.since) query = query.where('at', '>=', filter.since);
    if (filter.until) query = query.where('at', '<=', filter.until);
    const rows = await query.orderBy('seq').limit(filter.limit).execute();
    return rows.map(toAuditEvent);
  }
}

function toAuditSeal(row: Database['audit_seals']): AuditSeal {
  return { schoolId: row.school_id, sealSeq: Number(row.seal_seq), headSeq: Number(row.head_seq), headHash: row.head_hash, keyId: row.key_id, sealedAt: row.sealed_at, mac: row.mac };
}

// ---- chat addresses -------------------------------------------------------------------------------

class KyselyChat implements ChatRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }
  async getCaseChannel(schoolId: string, platform: ChatPlatform): Promise<CaseChannel | undefined> {
    const row = await this.#db.selectFrom('chat_case_channels').selectAll().where('school_id', '=', schoolId).where('platform', '=', platform).executeTakeFirst();
    return row ? { schoolId: row.school_id, address: JSON.parse(row.address) as ConversationAddress, setById: row.set_by_id, setAt: row.set_at } : undefined;
  }
  async setCaseChannel(channel: CaseChannel): Promise<void> {
    const values = { school_id: channel.schoolId, platform: channel.address.platform, address: JSON.stringify(channel.address), set_by_id: channel.setById, set_at: channel.setAt };
    await this.#db
      .insertInto('chat_case_channels')
      .values(values)
      .onConflict((oc) => oc.columns(['school_id', 'platform']).doUpdateSet({ address: values.address, set_by_id: values.set_by_id, set_at: values.set_at }))
      .execute();
  }
  async getUser(schoolId: string, personId: string, platform: ChatPlatform): Promise<ChatUser | undefined> {
    return (await this.listUsers(schoolId, [personId], platform))[0];
  }
  async listUsers(schoolId: string, personIds: string[], platform: ChatPlatform): Promise<ChatUser[]> {
    if (personIds.length === 0) return [];
    const rows = await this.#db.selectFrom('chat_users').selectAll().where('school_id', '=', schoolId).where('platform', '=', platform).where('person_id', 'in', personIds).execute();
    return rows.map((row) => ({
      schoolId: row.school_id,
      personId: row.person_id,
      platform: row.platform as ChatPlatform,
      userId: row.user_id,
      ...(row.personal_conversation ? { personalConversation: JSON.parse(row.personal_conversation) as ConversationAddress } : {}),
      updatedAt: row.updated_at,
    }));
  }
  async saveUser(user: ChatUser): Promise<void> {
    const conversation = user.personalConversation ? JSON.stringify(user.personalConversation) : null;
    await this.#db
      .insertInto('chat_users')
      .values({ school_id: user.schoolId, person_id: user.personId, platform: user.platform, user_id: user.userId, personal_conversation: conversation, updated_at: user.updatedAt })
      .onConflict((oc) =>
        oc.columns(['school_id', 'person_id', 'platform']).doUpdateSet((eb) => ({
          user_id: user.userId,
          // A message from a channel tells us who the person is but not their personal chat: keep the one we know.
          personal_conversation: conversation ?? eb.ref('chat_users.personal_conversation'),
          updated_at: user.updatedAt,
        })),
      )
      .execute();
  }
  async getCaseCard(schoolId: string, caseId: string, target: string): Promise<CaseCardRecord | undefined> {
    const row = await this.#db.selectFrom('chat_case_cards').selectAll().where('school_id', '=', schoolId).where('case_id', '=', caseId).where('target', '=', target).executeTakeFirst();
    return row ? toCaseCard(row) : undefined;
  }
  async listCaseCards(schoolId: string, caseId: string): Promise<CaseCardRecord[]> {
    const rows = await this.#db.selectFrom('chat_case_cards').selectAll().where('school_id', '=', schoolId).where('case_id', '=', caseId).orderBy('target').execute();
    return rows.map(toCaseCard);
  }
  async saveCaseCard(card: CaseCardRecord): Promise<void> {
    const values = {
      school_id: card.schoolId,
      case_id: card.caseId,
      target: card.target,
      platform: card.platform,
      conversation_id: card.conversationId,
      activity_id: card.activityId ?? null,
      state: card.state,
      rendered_version: card.renderedVersion,
      failure: card.failure ?? null,
      updated_at: card.updatedAt,
      worked_at: card.workedAt ?? null,
    };
    await this.#db
      .insertInto('chat_case_cards')
      .values(values)
      .onConflict((oc) =>
        oc.columns(['school_id', 'case_id', 'target']).doUpdateSet({
          platform: values.platform,
          conversation_id: values.conversation_id,
          activity_id: values.activity_id,
          state: values.state,
          rendered_version: values.rendered_version,
          failure: values.failure,
          updated_at: values.updated_at,
        }),
      )
      .execute();
  }
  async markCaseCardWorked(schoolId: string, caseId: string, target: string, at: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('chat_case_cards')
      .set({ worked_at: at })
      .where('school_id', '=', schoolId)
      .where('case_id', '=', caseId)
      .where('target', '=', target)
      // Never moved back: two instances answering at once keep the later time.
      .where((eb) => eb.or([eb('worked_at', 'is', null), eb('worked_at', '<', at)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows ?? 0) > 0;
  }
}

function toCaseCard(row: ChatCaseCardsTable): CaseCardRecord {
  return {
    schoolId: row.school_id,
    caseId: row.case_id,
    target: row.target,
    platform: row.platform as ChatPlatform,
    conversationId: row.conversation_id,
    ...(row.activity_id ? { activityId: row.activity_id } : {}),
    state: row.state as DeliveryState,
    renderedVersion: Number(row.rendered_version),
    ...(row.failure ? { failure: row.failure } : {}),
    updatedAt: row.updated_at,
    ...(row.worked_at ? { workedAt: row.worked_at } : {}),
  };
}

// ---- acceptable use policies ----------------------------------------------------------------------

function toPolicy(row: AupPoliciesTable): AupPolicyVersion {
  return {
    id: row.id,
    schoolId: row.school_id,
    audience: row.audience as AupAudience,
    version: Number(row.version),
    title: row.title,
    markdown: row.markdown,
    acknowledgementWording: row.acknowledgement_wording,
    effectiveDate: row.effective_date,
    reviewDate: row.review_date,
    sha256: row.sha256,
    publishedAt: row.published_at,
    publishedById: row.published_by_id,
  };
}

class KyselyAupPolicies implements AupPolicyRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }
  async current(schoolId: string, audience: AupAudience): Promise<AupPolicyVersion | undefined> {
    const row = await this.#db.selectFrom('aup_policies').selectAll().where('school_id', '=', schoolId).where('audience', '=', audience).orderBy('version', 'desc').limit(1).executeTakeFirst();
    return row ? toPolicy(row) : undefined;
  }
  async get(schoolId: string, policyId: string): Promise<AupPolicyVersion | undefined> {
    const row = await this.#db.selectFrom('aup_policies').selectAll().where('school_id', '=', schoolId).where('id', '=', policyId).executeTakeFirst();
    return row ? toPolicy(row) : undefined;
  }
  async list(schoolId: string): Promise<AupPolicyVersion[]> {
    const rows = await this.#db.selectFrom('aup_policies').selectAll().where('school_id', '=', schoolId).orderBy('audience').orderBy('version').execute();
    return rows.map(toPolicy);
  }
  async insert(policy: AupPolicyVersion): Promise<void> {
    await this.#db
      .insertInto('aup_policies')
      .values({
        id: policy.id,
        school_id: policy.schoolId,
        audience: policy.audience,
        version: policy.version,
        title: policy.title,
        markdown: policy.markdown,
        acknowledgement_wording: policy.acknowledgementWording,
        effective_date: policy.effectiveDate,
        review_date: policy.reviewDate,
        sha256: policy.sha256,
        published_at: policy.publishedAt,
        published_by_id: policy.publishedById,
      })
      .execute();
  }
}

// ---- reported emails ----------------------------------------------------------------------------

class KyselyEmails implements EmailRepository {
  readonly #db: Db;
  readonly #cipher: FieldCipher;
  constructor(db: Db, cipher: FieldCipher) {
    this.#db = db;
    this.#cipher = cipher;
  }
  #context(schoolId: string, emailId: string, part: 'analysis' | 'content' | 'decision'): string {
    return `email_messages.${part}:${schoolId}:${emailId}`;
  }
  #holdContext(schoolId: string, caseId: string): string {
    return `case_legal_holds.reason:${schoolId}:${caseId}`;
  }
  async insert(email: StoredEmail, content?: Uint8Array): Promise<void> {
    await this.#db
      .insertInto('email_messages')
      .values({
        id: email.id,
        school_id: email.schoolId,
        case_id: email.caseId,
        reporter_id: email.reporterId,
        sha256: email.sha256,
        size: email.size,
        analysis: this.#cipher.encrypt(JSON.stringify(email.analysis), this.#context(email.schoolId, email.id, 'analysis')),
        content: content ? this.#cipher.encryptBytes(content, this.#context(email.schoolId, email.id, 'content')) : null,
        attachments_withheld: email.attachmentsWithheld ? 1 : 0,
        decision: email.decision ? this.#cipher.encrypt(JSON.stringify(email.decision), this.#context(email.schoolId, email.id, 'decision')) : null,
        created_at: email.createdAt,
      })
      .execute();
  }
  #selectEmails() {
    return this.#db
      .selectFrom('email_messages')
      .select([
        'email_messages.id',
        'email_messages.school_id',
        'email_messages.case_id',
        'email_messages.reporter_id',
        'email_messages.sha256',
        'email_messages.size',
        'email_messages.analysis',
        'email_messages.attachments_withheld',
        'email_messages.decision',
        'email_messages.created_at',
        sql<number>`case when email_messages.content is null then 0 else 1 end`.as('kept'),
      ]);
  }
  #toEmail(row: Pick<EmailMessagesTable, 'id' | 'school_id' | 'case_id' | 'reporter_id' | 'sha256' | 'size' | 'analysis' | 'attachments_withheld' | 'decision' | 'created_at'> & { kept: number }): StoredEmail {
    return {
      id: row.id,
      schoolId: row.school_id,
      caseId: row.case_id,
      reporterId: row.reporter_id,
      sha256: row.sha256,
      size: Number(row.size),
      contentKept: Number(row.kept) === 1,
      attachmentsWithheld: Number(row.attachments_withheld) === 1,
      analysis: JSON.parse(this.#cipher.decrypt(row.analysis, this.#context(row.school_id, row.id, 'analysis'))) as StoredEmail['analysis'],
      ...(row.decision ? { decision: JSON.parse(this.#cipher.decrypt(row.decision, this.#context(row.school_id, row.id, 'decision'))) as VerdictDecision } : {}),
      createdAt: row.created_at,
    };
  }
  async listForCase(schoolId: string, caseId: string): Promise<StoredEmail[]> {
    const rows = await this.#selectEmails().where('email_messages.school_id', '=', schoolId).where('email_messages.case_id', '=', caseId).orderBy('email_messages.created_at').execute();
    return rows.map((row) => this.#toEmail(row));
  }
  async findBySha256(schoolId: string, sha256: string): Promise<StoredEmail | undefined> {
    const row = await this.#selectEmails().where('email_messages.school_id', '=', schoolId).where('email_messages.sha256', '=', sha256).orderBy('email_messages.created_at').limit(1).executeTakeFirst();
    return row ? this.#toEmail(row) : undefined;
  }
  async getContent(schoolId: string, emailId: string): Promise<Buffer | undefined> {
    const row = await this.#db.selectFrom('email_messages').select(['content']).where('school_id', '=', schoolId).where('id', '=', emailId).executeTakeFirst();
    return row?.content ? this.#cipher.decryptBytes(row.content, this.#context(schoolId, emailId, 'content')) : undefined;
  }
  async decideVerdict(schoolId: string, emailId: string, decision: VerdictDecision): Promise<void> {
    await this.#db
      .updateTable('email_messages')
      .set({ decision: this.#cipher.encrypt(JSON.stringify(decision), this.#context(schoolId, emailId, 'decision')) })
      .where('school_id', '=', schoolId)
      .where('id', '=', emailId)
      .execute();
  }
  async purgeContent(schoolId: string, emailId: string, options: { withhold: boolean }): Promise<boolean> {
    const result = await this.#db
      .updateTable('email_messages')
      .set({ content: null, ...(options.withhold ? { attachments_withheld: 1 } : {}) })
      .where('school_id', '=', schoolId)
      .where('id', '=', emailId)
      .where('content', 'is not', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows ?? 0) > 0;
  }
  async listDroppable(closedBefore: string, limit: number): Promise<StoredEmail[]> {
    const rows = await this.#selectEmails()
      .innerJoin('cases', (join) => join.onRef('cases.id', '=', 'email_messages.case_id').onRef('cases.school_id', '=', 'email_messages.school_id'))
      .where('email_messages.content', 'is not', null)
      .where('cases.status', '=', 'closed')
      .where('cases.closed_at', '<=', closedBefore)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('case_legal_holds').select('case_legal_holds.case_id').whereRef('case_legal_holds.school_id', '=', 'email_messages.school_id').whereRef('case_legal_holds.case_id', '=', 'email_messages.case_id'))),
      )
      .orderBy('cases.closed_at')
      .limit(limit)
      .execute();
    return rows.map((row) => this.#toEmail(row));
  }
  async getLegalHold(schoolId: string, caseId: string): Promise<LegalHold | undefined> {
    const row = await this.#db.selectFrom('case_legal_holds').selectAll().where('school_id', '=', schoolId).where('case_id', '=', caseId).executeTakeFirst();
    return row ? { caseId: row.case_id, reason: this.#cipher.decrypt(row.reason, this.#holdContext(schoolId, caseId)), byId: row.by_id, at: row.at } : undefined;
  }
  async placeLegalHold(schoolId: string, hold: LegalHold): Promise<boolean> {
    const result = await this.#db
      .insertInto('case_legal_holds')
      .values({ school_id: schoolId, case_id: hold.caseId, reason: this.#cipher.encrypt(hold.reason, this.#holdContext(schoolId, hold.caseId)), by_id: hold.byId, at: hold.at })
      .onConflict((oc) => oc.columns(['school_id', 'case_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }
  async liftLegalHold(schoolId: string, caseId: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('case_legal_holds').where('school_id', '=', schoolId).where('case_id', '=', caseId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

// ---- outbox -----------------------------------------------------------------------------------------

class KyselyOutbox implements Outbox {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }
  async enqueue(message: Parameters<Outbox['enqueue']>[0], at: string): Promise<void> {
    await this.#db
      .insertInto('outbox')
      .values({
        id: randomUUID(),
        school_id: message.schoolId,
        kind: message.kind,
        payload: JSON.stringify(message.payload),
        dedupe_key: message.dedupeKey ?? null,
        status: 'pending',
        attempts: 0,
        run_after: message.runAfter ?? at,
        lease_owner: null,
        lease_until: null,
        last_error: null,
        created_at: at,
        done_at: null,
      })
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .execute();
  }
}

class KyselyOutboxStore implements OutboxStore {
  readonly #db: Kysely<Database>;
  readonly #engine: 'sqlite' | 'postgres';
  constructor(db: Kysely<Database>, engine: 'sqlite' | 'postgres') {
    this.#db = db;
    this.#engine = engine;
  }

  async claim(options: OutboxClaimOptions): Promise<OutboxMessage[]> {
    if (options.kinds.length === 0) return [];
    const now = options.now.toISOString();
    const leaseUntil = new Date(options.now.getTime() + options.leaseMs).toISOString();
    return this.#db.transaction().execute(async (trx) => {
      let ready = trx
        .selectFrom('outbox')
        .select('id')
        .where('status', '=', 'pending')
        .where('run_after', '<=', now)
        .where('kind', 'in', options.kinds)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .orderBy('run_after')
        .limit(options.limit);
      // Several instances share the outbox: each skips rows another has locked instead of waiting.
      if (this.#engine === 'postgres') ready = ready.forUpdate().skipLocked();
      const ids = (await ready.execute()).map((r) => r.id);
      if (ids.length === 0) return [];
      const rows = await trx
        .updateTable('outbox')
        .set((eb) => ({ lease_owner: options.owner, lease_until: leaseUntil, attempts: eb('attempts', '+', 1) }))
        .where('id', 'in', ids)
        .returning(['id', 'school_id', 'kind', 'payload', 'attempts', 'created_at'])
        .execute();
      return rows.map((r) => ({
        id: r.id,
        schoolId: r.school_id,
        kind: r.kind,
        payload: JSON.parse(r.payload) as Record<string, unknown>,
        attempts: Number(r.attempts),
        createdAt: r.created_at,
      }));
    });
  }

  async complete(id: string, owner: string, at: string): Promise<void> {
    await this.#db
      .updateTable('outbox')
      .set({ status: 'done', done_at: at, lease_owner: null, lease_until: null })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute();
  }

  async defer(id: string, owner: string, runAfter: string): Promise<void> {
    // Held, not failed: the claim's attempt is given back and no error is recorded.
    await this.#db
      .updateTable('outbox')
      .set((eb) => ({ run_after: runAfter, lease_owner: null, lease_until: null, attempts: eb('attempts', '-', 1) }))
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute();
  }

  async fail(id: string, owner: string, error: string, retryAt: string | null): Promise<void> {
    await this.#db
      .updateTable('outbox')
      .set(
        retryAt
          ? { run_after: retryAt, last_error: error.slice(0, 500), lease_owner: null, lease_until: null }
          : { status: 'failed', last_error: error.slice(0, 500), lease_owner: null, lease_until: null },
      )
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute();
  }

  async counts(): Promise<Record<'pending' | 'done' | 'failed', number>> {
    const rows = await this.#db.selectFrom('outbox').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    const result = { pending: 0, done: 0, failed: 0 };
    for (const row of rows) if (row.status in result) result[row.status as keyof typeof result] = Number(row.n);
    return result;
  }
}

// ---- delivery resilience: the pacer's ledger and the school's fallback -----------------------------

class KyselyPacingLedger implements PacingLedger {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async recent(key: string, since: number): Promise<number[]> {
    const rows = await this.#db.selectFrom('pacing_calls').select('at').where('key', '=', key).where('at', '>=', new Date(since).toISOString()).orderBy('at').execute();
    return rows.map((row) => Date.parse(row.at));
  }
  async record(calls: readonly PacedCall[]): Promise<void> {
    if (calls.length === 0) return;
    await this.#db
      .insertInto('pacing_calls')
      .values(calls.map((call) => ({ key: call.key, at: new Date(call.at).toISOString(), keep_until: new Date(call.keepUntil).toISOString() })))
      .execute();
  }
  async forget(before: number): Promise<number> {
    const result = await this.#db.deleteFrom('pacing_calls').where('keep_until', '<', new Date(before).toISOString()).executeTakeFirst();
    return Number(result.numDeletedRows ?? 0);
  }
}

class KyselyDeliveryFallbacks implements DeliveryFallbackRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }
  async get(schoolId: string, dedupeKey: string): Promise<DeliveryFallbackRecord | undefined> {
    const row = await this.#db.selectFrom('delivery_fallbacks').selectAll().where('school_id', '=', schoolId).where('dedupe_key', '=', dedupeKey).executeTakeFirst();
    return row ? toDeliveryFallback(row) : undefined;
  }
  async insert(record: DeliveryFallbackRecord): Promise<boolean> {
    const result = await this.#db
      .insertInto('delivery_fallbacks')
      .values({
        school_id: record.schoolId,
        dedupe_key: record.dedupeKey,
        case_id: record.caseId,
        target: record.target,
        state: record.state,
        recipients: record.recipients,
        reason: record.reason ?? null,
        at: record.at,
      })
      .onConflict((oc) => oc.columns(['school_id', 'dedupe_key']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }
  async listForCase(schoolId: string, caseId: string): Promise<DeliveryFallbackRecord[]> {
    const rows = await this.#db.selectFrom('delivery_fallbacks').selectAll().where('school_id', '=', schoolId).where('case_id', '=', caseId).orderBy('at').execute();
    return rows.map(toDeliveryFallback);
  }
}

function toDeliveryFallback(row: DeliveryFallbacksTable): DeliveryFallbackRecord {
  return {
    schoolId: row.school_id,
    dedupeKey: row.dedupe_key,
    caseId: row.case_id,
    target: row.target,
    state: row.state as DeliveryFallbackRecord['state'],
    recipients: Number(row.recipients),
    ...(row.reason ? { reason: row.reason } : {}),
    at: row.at,
  };
}
