import { sql, type Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

/**
 * Versioned migrations, written once with Kysely's schema builder so both engines get the same tables.
 * Never edit a migration that has shipped: add the next one. Kysely's migrator takes a lock on
 * PostgreSQL, so several instances starting together migrate once.
 */
const migrations: Record<string, Migration> = {
  '0001_core': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('schools')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('entra_tenant_id', 'text', (c) => c.unique())
        .addColumn('google_domain', 'text', (c) => c.unique())
        .addColumn('time_zone', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('people')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('school_id', 'text', (c) => c.notNull().references('schools.id'))
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('entra_object_id', 'text')
        .addColumn('google_subject', 'text')
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('people_school_email', ['school_id', 'email'])
        .addUniqueConstraint('people_school_entra', ['school_id', 'entra_object_id'])
        .addUniqueConstraint('people_school_google', ['school_id', 'google_subject'])
        .execute();

      await db.schema
        .createTable('person_roles')
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text', (c) => c.notNull().references('people.id'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('granted_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('person_roles_pk', ['school_id', 'person_id', 'role'])
        .execute();

      await db.schema
        .createTable('cases')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('school_id', 'text', (c) => c.notNull().references('schools.id'))
        .addColumn('reference', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('urgency', 'text', (c) => c.notNull())
        .addColumn('types', 'text', (c) => c.notNull())
        .addColumn('restricted', 'integer', (c) => c.notNull())
        .addColumn('subject_person_id', 'text')
        .addColumn('assignee_id', 'text')
        .addColumn('reporter_count', 'integer', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('closed_at', 'text')
        .addColumn('version', 'integer', (c) => c.notNull())
        .addUniqueConstraint('cases_school_reference', ['school_id', 'reference'])
        .execute();
      await db.schema.createIndex('cases_school_created').on('cases').columns(['school_id', 'created_at', 'id']).execute();

      await db.schema
        .createTable('case_reporters')
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('reported_at', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('case_reporters_pk', ['case_id', 'person_id'])
        .execute();
      await db.schema.createIndex('case_reporters_person').on('case_reporters').columns(['school_id', 'person_id', 'reported_at']).execute();

      await db.schema
        .createTable('case_counters')
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('year', 'integer', (c) => c.notNull())
        .addColumn('last', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('case_counters_pk', ['school_id', 'year'])
        .execute();

      await db.schema
        .createTable('idempotency_keys')
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('case_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['school_id', 'person_id', 'key'])
        .execute();

      await db.schema
        .createTable('case_sources')
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('case_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('case_sources_pk', ['school_id', 'fingerprint'])
        .execute();

      await db.schema
        .createTable('audit_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('case_id', 'text')
        .addColumn('policy_id', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addUniqueConstraint('audit_events_school_seq', ['school_id', 'seq'])
        .execute();
      await db.schema.createIndex('audit_events_case').on('audit_events').columns(['school_id', 'case_id']).execute();

      await db.schema
        .createTable('audit_heads')
        .addColumn('school_id', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('outbox')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('dedupe_key', 'text', (c) => c.unique())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('run_after', 'text', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('done_at', 'text')
        .execute();
      await db.schema.createIndex('outbox_ready').on('outbox').columns(['status', 'run_after']).execute();
    },
  },
  '0002_chat': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('chat_case_channels')
        .addColumn('school_id', 'text', (c) => c.notNull().references('schools.id'))
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('set_by_id', 'text', (c) => c.notNull())
        .addColumn('set_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('chat_case_channels_pk', ['school_id', 'platform'])
        .execute();

      await db.schema
        .createTable('chat_users')
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text', (c) => c.notNull().references('people.id'))
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('personal_conversation', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('chat_users_pk', ['school_id', 'person_id', 'platform'])
        .execute();

      await db.schema
        .createTable('chat_case_cards')
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('activity_id', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('rendered_version', 'integer', (c) => c.notNull())
        .addColumn('failure', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('chat_case_cards_pk', ['school_id', 'case_id', 'target'])
        .execute();
    },
  },
  '0003_email': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('email_messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
        .addColumn('reporter_id', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('analysis', 'text', (c) => c.notNull())
        // bytea on PostgreSQL; SQLite keeps any blob as it is.
        .addColumn('content', 'bytea')
        .addColumn('attachments_withheld', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('email_messages_case').on('email_messages').columns(['school_id', 'case_id']).execute();
    },
  },
  '0004_aup_policies': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('aup_policies')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('school_id', 'text', (c) => c.notNull().references('schools.id'))
        .addColumn('audience', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('markdown', 'text', (c) => c.notNull())
        .addColumn('acknowledgement_wording', 'text', (c) => c.notNull())
        .addColumn('effective_date', 'text', (c) => c.notNull())
        .addColumn('review_date', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('published_at', 'text', (c) => c.notNull())
        .addColumn('published_by_id', 'text')
        .addUniqueConstraint('aup_policies_version', ['school_id', 'audience', 'version'])
        .execute();
    },
  },
  '0005_aup_acknowledgements': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('aup_acknowledgements')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text')
        .addColumn('policy_id', 'text', (c) => c.notNull().references('aup_policies.id'))
        .addColumn('record', 'text', (c) => c.notNull())
        .addColumn('signed_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('aup_acknowledgements_once', ['school_id', 'person_id', 'policy_id'])
        .execute();
      await db.schema.createIndex('aup_acknowledgements_policy').on('aup_acknowledgements').columns(['school_id', 'policy_id']).execute();
    },
  },
  '0006_aup_delivery': {
    async up(db: Kysely<any>) {
      // Signatures now count per yearly cycle (everyone signs again each year): rebuild the table with the
      // cycle in its uniqueness. Rows signed before carry the empty cycle. Ids and sealed records are copied
      // unchanged, so every certificate still opens.
      await db.schema
        .createTable('aup_signatures')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text')
        .addColumn('policy_id', 'text', (c) => c.notNull().references('aup_policies.id'))
        .addColumn('cycle', 'text', (c) => c.notNull())
        .addColumn('record', 'text', (c) => c.notNull())
        .addColumn('signed_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('aup_signatures_once_per_cycle', ['school_id', 'person_id', 'policy_id', 'cycle'])
        .execute();
      await sql`insert into aup_signatures (id, school_id, person_id, policy_id, cycle, record, signed_at)
                select id, school_id, person_id, policy_id, '', record, signed_at from aup_acknowledgements`.execute(db);
      await db.schema.dropTable('aup_acknowledgements').execute();
      await db.schema.createIndex('aup_signatures_policy').on('aup_signatures').columns(['school_id', 'policy_id']).execute();
      await db.schema.createIndex('aup_signatures_person').on('aup_signatures').columns(['school_id', 'person_id']).execute();

      await db.schema
        .createTable('aup_settings')
        .addColumn('school_id', 'text', (c) => c.primaryKey().references('schools.id'))
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('aup_profiles')
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text', (c) => c.notNull().references('people.id'))
        .addColumn('directory', 'text', (c) => c.notNull())
        .addColumn('audience_override', 'text')
        .addColumn('start_date', 'text')
        .addColumn('line_manager_id', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('aup_profiles_pk', ['school_id', 'person_id'])
        .execute();

      await db.schema
        .createTable('directory_sync')
        .addColumn('school_id', 'text', (c) => c.notNull().references('schools.id'))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('delta_link', 'text')
        .addColumn('baseline_done', 'integer', (c) => c.notNull())
        .addColumn('last_run_at', 'text')
        .addColumn('last_error', 'text')
        .addPrimaryKeyConstraint('directory_sync_pk', ['school_id', 'provider'])
        .execute();

      await db.schema
        .createTable('aup_campaigns')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('policy_id', 'text', (c) => c.notNull().references('aup_policies.id'))
        .addColumn('cycle', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('recipients', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by_id', 'text')
        .addUniqueConstraint('aup_campaigns_once', ['school_id', 'policy_id', 'cycle', 'reason'])
        .execute();

      await db.schema
        .createTable('aup_deliveries')
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text', (c) => c.notNull().references('people.id'))
        .addColumn('policy_id', 'text', (c) => c.notNull().references('aup_policies.id'))
        .addColumn('cycle', 'text', (c) => c.notNull())
        .addColumn('campaign_id', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('channel', 'text')
        .addColumn('failure_code', 'text')
        .addColumn('failure_reason', 'text')
        .addColumn('conversation_id', 'text')
        .addColumn('activity_id', 'text')
        .addColumn('sent_at', 'text')
        .addColumn('signed_at', 'text')
        .addColumn('reminders_sent', 'integer', (c) => c.notNull())
        .addColumn('escalated_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('aup_deliveries_pk', ['school_id', 'person_id', 'policy_id', 'cycle'])
        .execute();
      await db.schema.createIndex('aup_deliveries_policy').on('aup_deliveries').columns(['school_id', 'policy_id', 'cycle']).execute();
      await db.schema.createIndex('aup_deliveries_campaign').on('aup_deliveries').columns(['school_id', 'campaign_id']).execute();

      await db.schema
        .createTable('aup_signing_links')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('school_id', 'text', (c) => c.notNull().references('schools.id'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('audience', 'text', (c) => c.notNull())
        .addColumn('intended_for', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('person_id', 'text')
        .addColumn('created_by_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .addColumn('acknowledgement_id', 'text')
        .execute();
      await db.schema.createIndex('aup_signing_links_school').on('aup_signing_links').columns(['school_id', 'created_at']).execute();
    },
  },
  '0007_delivery_resilience': {
    async up(db: Kysely<any>) {
      // The pacer's recent calls per key, so Teams' windows still hold after a restart.
      await db.schema
        .createTable('pacing_calls')
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('keep_until', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('pacing_calls_key').on('pacing_calls').columns(['key', 'at']).execute();
      await db.schema.createIndex('pacing_calls_expiry').on('pacing_calls').columns(['keep_until']).execute();

      // The school's fallback (an email with the reference) for a card or notice Teams has not taken for too long: once per message.
      await db.schema
        .createTable('delivery_fallbacks')
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('dedupe_key', 'text', (c) => c.notNull())
        .addColumn('case_id', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('recipients', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('delivery_fallbacks_pk', ['school_id', 'dedupe_key'])
        .execute();
      await db.schema.createIndex('delivery_fallbacks_case').on('delivery_fallbacks').columns(['school_id', 'case_id']).execute();
    },
  },
  '0008_case_card_worked': {
    async up(db: Kysely<any>) {
      // When someone last acted on a case's card: edits of the shared message wait until it has been quiet.
      await db.schema.alterTable('chat_case_cards').addColumn('worked_at', 'text').execute();
    },
  },
  '0009_trusts': {
    async up(db: Kysely<any>) {
      // A trust (or a local authority's service) owns tenants/domains and several schools. A school's own
      // tenant and domain move to columns that are not unique: a trust's schools share them. The old unique
      // columns are emptied and no longer used (SQLite cannot drop a UNIQUE column without rebuilding a table
      // that others reference, and both engines keep the same tables).
      await db.schema
        .createTable('organisations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('organisation_directories')
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('directory_key', 'text', (c) => c.notNull())
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addPrimaryKeyConstraint('organisation_directories_pk', ['provider', 'directory_key'])
        .execute();
      await db.schema
        .createTable('membership_rules')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('fact', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('school_id', 'text', (c) => c.notNull().references('schools.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('membership_rules_organisation').on('membership_rules').columns(['organisation_id', 'position']).execute();
      await db.schema
        .createTable('membership_overrides')
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('school_id', 'text', (c) => c.notNull().references('schools.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('membership_overrides_pk', ['organisation_id', 'email', 'school_id'])
        .execute();
      await db.schema
        .createTable('organisation_roles')
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('granted_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('organisation_roles_pk', ['organisation_id', 'email', 'role'])
        .execute();

      await db.schema.alterTable('schools').addColumn('organisation_id', 'text').execute();
      await db.schema.alterTable('schools').addColumn('ms_tenant_id', 'text').execute();
      await db.schema.alterTable('schools').addColumn('workspace_domain', 'text').execute();
      await db.schema.createIndex('schools_organisation').on('schools').column('organisation_id').execute();

      // Every existing school becomes an organisation of one school with the same slug, owning its tenant and domain.
      const schools = await db.selectFrom('schools').select(['id', 'name', 'slug', 'entra_tenant_id', 'google_domain', 'created_at']).execute();
      for (const school of schools) {
        const organisationId = `org-${school.id}`;
        await db.insertInto('organisations').values({ id: organisationId, name: school.name, slug: school.slug, kind: 'school', created_at: school.created_at }).execute();
        if (school.entra_tenant_id) {
          await db.insertInto('organisation_directories').values({ provider: 'entra', directory_key: school.entra_tenant_id, organisation_id: organisationId }).execute();
        }
        if (school.google_domain) {
          await db.insertInto('organisation_directories').values({ provider: 'google', directory_key: school.google_domain, organisation_id: organisationId }).execute();
        }
        await db
          .updateTable('schools')
          .set({ organisation_id: organisationId, ms_tenant_id: school.entra_tenant_id, workspace_domain: school.google_domain, entra_tenant_id: null, google_domain: null })
          .where('id', '=', school.id)
          .execute();
      }
    },
  },
  '0010_email_evidence': {
    async up(db: Kysely<any>) {
      // The verdict a DSL or IT decided (sealed); reporters are told only once there is one.
      await db.schema.alterTable('email_messages').addColumn('decision', 'text').execute();
      // Retention now runs from the case's closure (cases.closed_at), so a date fixed at the report is no
      // longer read. Messages already past it stay until their case has been closed for the period.
      await db.schema.alterTable('email_messages').dropColumn('expires_at').execute();
      await db.schema
        .createTable('case_legal_holds')
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('case_id', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('by_id', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('case_legal_holds_pk', ['school_id', 'case_id'])
        .execute();
    },
  },
  '0011_allegations_and_access': {
    async up(db: Kysely<any>) {
      // An allegation about the headteacher goes to the chair of governors: authorised on this plain column, like
      // `restricted`, so such a case is never decrypted for a head. Existing cases were not about a head.
      await db.schema.alterTable('cases').addColumn('about_head', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      // "Who opened what": access events by action and time, for the DSL's and head's access log.
      await db.schema.createIndex('audit_events_action_at').on('audit_events').columns(['school_id', 'action', 'at']).execute();
    },
  },
  '0012_audit_seals': {
    async up(db: Kysely<any>) {
      // Seals of each school's audit chain head (an HMAC with a key outside the database), numbered per school.
      // An existing chain is sealed by the first sealing run after the upgrade; nothing to copy.
      await db.schema
        .createTable('audit_seals')
        .addColumn('school_id', 'text', (c) => c.notNull())
        .addColumn('seal_seq', 'integer', (c) => c.notNull())
        .addColumn('head_seq', 'integer', (c) => c.notNull())
        .addColumn('head_hash', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('sealed_at', 'text', (c) => c.notNull())
        .addColumn('mac', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_seals_pk', ['school_id', 'seal_seq'])
        .execute();

      // Whose bank holidays close each school. Existing schools are English (the default) until changed.
      await db.schema.alterTable('schools').addColumn('region', 'text', (c) => c.notNull().defaultTo('england')).execute();
    },
  },
  '0013_google_directory': {
    async up(db: Kysely<any>) {
      // A Google Workspace school's admin identity (domain-wide delegation impersonates it to read the Reports
      // and Directory APIs), its staff org units, and where reading new starters got to: the Reports cursor (the
      // latest CREATE_USER time handled and the events handled in the overlap window, as JSON) and the backoff.
      await db.schema
        .createTable('google_directories')
        .addColumn('school_id', 'text', (c) => c.primaryKey().references('schools.id'))
        .addColumn('admin_email', 'text', (c) => c.notNull())
        .addColumn('staff_org_units', 'text', (c) => c.notNull())
        .addColumn('baseline_at', 'text')
        .addColumn('reports_cursor_time', 'text')
        .addColumn('reports_seen', 'text')
        .addColumn('reconciled_at', 'text')
        .addColumn('last_run_at', 'text')
        .addColumn('last_error', 'text')
        .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('not_before', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0014_mailbox_removals': {
    async up(db: Kysely<any>) {
      // "Remove from every mailbox" runs, one per reported email: where a Google school's run got to (the Directory
      // page token and the place in it) and its counts, saved after every batch so a restart resumes without
      // searching a mailbox twice or counting a copy twice. Counts only: no address or subject is kept here.
      await db.schema
        .createTable('mailbox_removals')
        .addColumn('school_id', 'text', (c) => c.notNull().references('schools.id'))
        .addColumn('email_id', 'text', (c) => c.notNull())
        .addColumn('case_id', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('cursor_page_token', 'text')
        .addColumn('cursor_index', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('mailboxes_total', 'integer')
        .addColumn('mailboxes_searched', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('mailboxes_failed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('found', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('moved', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addPrimaryKeyConstraint('mailbox_removals_pk', ['school_id', 'email_id'])
        .execute();
      await db.schema.createIndex('mailbox_removals_case').on('mailbox_removals').columns(['school_id', 'case_id']).execute();
    },
  },
  '0015_email_fingerprints': {
    async up(db: Kysely<any>) {
      // A message reported again (the same bytes, by another member of staff) is found by its fingerprint, so its
      // stored analysis is used rather than analysing it again: a phishing wave to the whole staff is one analysis.
      await db.schema.createIndex('email_messages_sha256').on('email_messages').columns(['school_id', 'sha256']).execute();
    },
  },
  '0016_google_alert_imports': {
    async up(db: Kysely<any>) {
      // Where importing a Google school's "User reported phishing" alerts got to: the latest alert handled and the
      // alert ids handled in the hour before it (JSON), so a restart resumes and no alert is filed twice; and why the
      // last poll filed nothing, if it did not (counts and codes only: no address or subject is kept here).
      await db.schema
        .createTable('google_alert_imports')
        .addColumn('school_id', 'text', (c) => c.primaryKey().references('schools.id'))
        .addColumn('cursor_time', 'text', (c) => c.notNull())
        .addColumn('cursor_seen', 'text', (c) => c.notNull())
        .addColumn('last_polled_at', 'text', (c) => c.notNull())
        .addColumn('last_problem', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0017_pupils': {
    async up(db: Kysely<any>) {
      // The pupil register. Names, date of birth, UPN, year, registration group and leaving date are sealed in
      // `record` (bound to school and pupil); the UPN is found by a keyed hash, unique per school. In the clear only
      // what lists need: on roll or left, a merge, the directory account matched, and timestamps.
      await db.schema
        .createTable('pupils')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('school_id', 'text', (c) => c.notNull().references('schools.id'))
        .addColumn('upn_hash', 'text', (c) => c.notNull())
        .addColumn('record', 'text', (c) => c.notNull())
        .addColumn('on_roll', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('merged_into', 'text')
        .addColumn('directory_account', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('pupils_pk', ['school_id', 'id'])
        .execute();
      await db.schema.createIndex('pupils_id').on('pupils').column('id').unique().execute();
      await db.schema.createIndex('pupils_upn_hash').on('pupils').columns(['school_id', 'upn_hash']).unique().execute();
      await db.schema.createIndex('pupils_directory_account').on('pupils').columns(['school_id', 'directory_account']).execute();
      // A version per school's register, changed with every write: each instance's in-memory search index of
      // decrypted names is rebuilt when it no longer matches.
      await db.schema
        .createTable('pupil_registers')
        .addColumn('school_id', 'text', (c) => c.primaryKey().references('schools.id'))
        .addColumn('version', 'text', (c) => c.notNull())
        // The school's rule for matching pupils to their directory accounts (JSON), if it has one.
        .addColumn('account_rule', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0018_case_children': {
    async up(db: Kysely<any>) {
      // Children on cases: a pupil of the register, or a name typed that matched nobody (sealed, flagged for a DSL to
      // link). Rows are never deleted: an unlinked child keeps who took them off and why (sealed), and a merge
      // records which record a link came from. No foreign key to pupils: the register keeps its own table.
      await db.schema
        .createTable('case_children')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('school_id', 'text', (c) => c.notNull().references('schools.id'))
        .addColumn('case_id', 'text', (c) => c.notNull())
        .addColumn('pupil_id', 'text')
        .addColumn('typed_name', 'text')
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('added_by', 'text')
        .addColumn('added_at', 'text', (c) => c.notNull())
        .addColumn('linked_by', 'text')
        .addColumn('linked_at', 'text')
        .addColumn('link_reason', 'text')
        .addColumn('unlinked_at', 'text')
        .addColumn('unlinked_by', 'text')
        .addColumn('unlink_reason', 'text')
        .addColumn('merged_from_pupil_id', 'text')
        .execute();
      await db.schema.createIndex('case_children_case').on('case_children').columns(['school_id', 'case_id']).execute();
      await db.schema.createIndex('case_children_pupil').on('case_children').columns(['school_id', 'pupil_id']).execute();
      // Child-protection statuses with their dates (the detail of "other" sealed).
      await db.schema
        .createTable('protection_statuses')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('school_id', 'text', (c) => c.notNull().references('schools.id'))
        .addColumn('pupil_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('from_date', 'text', (c) => c.notNull())
        .addColumn('to_date', 'text')
        .addColumn('recorded_by', 'text', (c) => c.notNull())
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .addColumn('ended_by', 'text')
        .addColumn('ended_at', 'text')
        .execute();
      await db.schema.createIndex('protection_statuses_pupil').on('protection_statuses').columns(['school_id', 'pupil_id']).execute();
      // "A pattern for a pupil": the cases that made it (ids only) and who acknowledged it.
      await db.schema
        .createTable('pupil_pattern_alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('school_id', 'text', (c) => c.notNull().references('schools.id'))
        .addColumn('pupil_id', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('case_ids', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('acknowledged_by', 'text')
        .addColumn('acknowledged_at', 'text')
        // Where its card went (the case channel or space), so acknowledging it edits the same card.
        .addColumn('card_platform', 'text')
        .addColumn('card_conversation_id', 'text')
        .addColumn('card_activity_id', 'text')
        .addColumn('card_state', 'text')
        .addColumn('card_failure', 'text')
        .addColumn('card_updated_at', 'text')
        .execute();
      await db.schema.createIndex('pupil_pattern_alerts_pupil').on('pupil_pattern_alerts').columns(['school_id', 'pupil_id']).execute();
      // Two records for one child merged: which went into which, by whom, and why (sealed).
      await db.schema
        .createTable('pupil_merges')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('school_id', 'text', (c) => c.notNull().references('schools.id'))
        .addColumn('from_pupil_id', 'text', (c) => c.notNull())
        .addColumn('into_pupil_id', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('merged_by', 'text', (c) => c.notNull())
        .addColumn('merged_at', 'text', (c) => c.notNull())
        .execute();
      // The school's rule; a school without a row has the default (3 concerns in 60 days, no marked types).
      await db.schema
        .createTable('pupil_pattern_rules')
        .addColumn('school_id', 'text', (c) => c.primaryKey().references('schools.id'))
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('days', 'integer', (c) => c.notNull())
        .addColumn('always_types', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
