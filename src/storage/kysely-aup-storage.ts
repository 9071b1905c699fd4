import type { AupAcknowledgement, AupAudience } from '../domain/aup.ts';
import type { AupCampaign, AupCampaignReason, AupDelivery, AupDeliveryChannel, AupDeliveryReason, AupDeliveryState, AupProfile, AupSettings, AupSigningLink } from '../domain/aup-delivery.ts';
import type {
  AupAcknowledgementRepository,
  AupCampaignRepository,
  AupDeliveryRepository,
  AupProfileRepository,
  AupSettingsRepository,
  AupSigningLinkRepository,
  DirectorySyncRepository,
  DirectorySyncState,
  StorageTx,
} from '../domain/ports.ts';
import type { FieldCipher } from './field-cipher.ts';
import type { AupCampaignsTable, AupDeliveriesTable, AupProfilesTable, AupSigningLinksTable, Db } from './schema.ts';

type AupRepositories = Pick<StorageTx, 'aupAcknowledgements' | 'aupSettings' | 'aupProfiles' | 'aupDeliveries' | 'aupCampaigns' | 'aupSigningLinks' | 'directorySync'>;

export function aupRepositories(db: Db, cipher: FieldCipher, locks = false): AupRepositories {
  return {
    aupAcknowledgements: new KyselyAupAcknowledgements(db, cipher),
    aupSettings: new KyselyAupSettings(db),
    aupProfiles: new KyselyAupProfiles(db),
    aupDeliveries: new KyselyAupDeliveries(db, locks),
    aupCampaigns: new KyselyAupCampaigns(db),
    aupSigningLinks: new KyselyAupSigningLinks(db),
    directorySync: new KyselyDirectorySync(db),
  };
}

/** Bulk writes go in chunks small enough for both engines' limits on bound parameters. */
const CHUNK = 500;

class KyselyAupAcknowledgements implements AupAcknowledgementRepository {
  readonly #db: Db;
  readonly #cipher: FieldCipher;
  constructor(db: Db, cipher: FieldCipher) {
    this.#db = db;
    this.#cipher = cipher;
  }
  /** The sealing context keeps the table's original name, so signatures sealed before the cycle was added still open. */
  #context(schoolId: string, id: string): string {
    return `aup_acknowledgements.record:${schoolId}:${id}`;
  }
  #open(row: { id: string; school_id: string; cycle: string; record: string }): AupAcknowledgement {
    const record = JSON.parse(this.#cipher.decrypt(row.record, this.#context(row.school_id, row.id))) as AupAcknowledgement;
    return { ...record, cycle: record.cycle ?? row.cycle };
  }
  async insert(acknowledgement: AupAcknowledgement): Promise<AupAcknowledgement> {
    const result = await this.#db
      .insertInto('aup_signatures')
      .values({
        id: acknowledgement.id,
        school_id: acknowledgement.schoolId,
        person_id: acknowledgement.personId,
        policy_id: acknowledgement.policyId,
        cycle: acknowledgement.cycle,
        record: this.#cipher.encrypt(JSON.stringify(acknowledgement), this.#context(acknowledgement.schoolId, acknowledgement.id)),
        signed_at: acknowledgement.signedAt,
      })
      .onConflict((oc) => oc.columns(['school_id', 'person_id', 'policy_id', 'cycle']).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0 || acknowledgement.personId === null) return acknowledgement;
    const earlier = await this.#db
      .selectFrom('aup_signatures')
      .select(['id', 'school_id', 'cycle', 'record'])
      .where('school_id', '=', acknowledgement.schoolId)
      .where('person_id', '=', acknowledgement.personId)
      .where('policy_id', '=', acknowledgement.policyId)
      .where('cycle', '=', acknowledgement.cycle)
      .executeTakeFirstOrThrow();
    return this.#open(earlier);
  }
  async get(schoolId: string, acknowledgementId: string): Promise<AupAcknowledgement | undefined> {
    const row = await this.#db.selectFrom('aup_signatures').select(['id', 'school_id', 'cycle', 'record']).where('school_id', '=', schoolId).where('id', '=', acknowledgementId).executeTakeFirst();
    return row ? this.#open(row) : undefined;
  }
  async forPerson(schoolId: string, personId: string): Promise<AupAcknowledgement[]> {
    const rows = await this.#db.selectFrom('aup_signatures').select(['id', 'school_id', 'cycle', 'record']).where('school_id', '=', schoolId).where('person_id', '=', personId).orderBy('signed_at').execute();
    return rows.map((row) => this.#open(row));
  }
  async forPolicy(schoolId: string, policyId: string): Promise<AupAcknowledgement[]> {
    const rows = await this.#db.selectFrom('aup_signatures').select(['id', 'school_id', 'cycle', 'record']).where('school_id', '=', schoolId).where('policy_id', '=', policyId).orderBy('signed_at').execute();
    return rows.map((row) => this.#open(row));
  }
}

class KyselyAupSettings implements AupSettingsRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }
  async get(schoolId: string): Promise<AupSettings | undefined> {
    const row = await this.#db.selectFrom('aup_settings').select('settings').where('school_id', '=', schoolId).executeTakeFirst();
    return row ? (JSON.parse(row.settings) as AupSettings) : undefined;
  }
  async save(schoolId: string, settings: AupSettings, at: string): Promise<void> {
    const values = { school_id: schoolId, settings: JSON.stringify(settings), updated_at: at };
    await this.#db
      .insertInto('aup_settings')
      .values(values)
      .onConflict((oc) => oc.column('school_id').doUpdateSet({ settings: values.settings, updated_at: at }))
      .execute();
  }
}

function toProfile(row: AupProfilesTable): AupProfile {
  return {
    schoolId: row.school_id,
    personId: row.person_id,
    directory: JSON.parse(row.directory) as AupProfile['directory'],
    audienceOverride: row.audience_override as AupAudience | null,
    startDate: row.start_date,
    lineManagerId: row.line_manager_id,
    source: row.source as AupProfile['source'],
    updatedAt: row.updated_at,
  };
}

class KyselyAupProfiles implements AupProfileRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }
  async get(schoolId: string, personId: string): Promise<AupProfile | undefined> {
    const row = await this.#db.selectFrom('aup_profiles').selectAll().where('school_id', '=', schoolId).where('person_id', '=', personId).executeTakeFirst();
    return row ? toProfile(row) : undefined;
  }
  async list(schoolId: string): Promise<AupProfile[]> {
    const rows = await this.#db.selectFrom('aup_profiles').selectAll().where('school_id', '=', schoolId).execute();
    return rows.map(toProfile);
  }
  async save(profile: AupProfile): Promise<void> {
    const values: AupProfilesTable = {
      school_id: profile.schoolId,
      person_id: profile.personId,
      directory: JSON.stringify(profile.directory),
      audience_override: profile.audienceOverride,
      start_date: profile.startDate,
      line_manager_id: profile.lineManagerId,
      source: profile.source,
      updated_at: profile.updatedAt,
    };
    const { school_id: _school, person_id: _person, ...changes } = values;
    await this.#db
      .insertInto('aup_profiles')
      .values(values)
      .onConflict((oc) => oc.columns(['school_id', 'person_id']).doUpdateSet(changes))
      .execute();
  }
}

class KyselyDirectorySync implements DirectorySyncRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }
  async get(schoolId: string, provider: DirectorySyncState['provider']): Promise<DirectorySyncState | undefined> {
    const row = await this.#db.selectFrom('directory_sync').selectAll().where('school_id', '=', schoolId).where('provider', '=', provider).executeTakeFirst();
    if (!row) return undefined;
    return { schoolId: row.school_id, provider: row.provider as DirectorySyncState['provider'], deltaLink: row.delta_link, baselineDone: row.baseline_done === 1, lastRunAt: row.last_run_at, lastError: row.last_error };
  }
  async save(state: DirectorySyncState): Promise<void> {
    const changes = { delta_link: state.deltaLink, baseline_done: state.baselineDone ? 1 : 0, last_run_at: state.lastRunAt, last_error: state.lastError };
    await this.#db
      .insertInto('directory_sync')
      .values({ school_id: state.schoolId, provider: state.provider, ...changes })
      .onConflict((oc) => oc.columns(['school_id', 'provider']).doUpdateSet(changes))
      .execute();
  }
}

function toDeliveryRow(delivery: AupDelivery): AupDeliveriesTable {
  return {
    school_id: delivery.schoolId,
    person_id: delivery.personId,
    policy_id: delivery.policyId,
    cycle: delivery.cycle,
    campaign_id: delivery.campaignId,
    reason: delivery.reason,
    state: delivery.state,
    channel: delivery.channel,
    failure_code: delivery.failureCode,
    failure_reason: delivery.failureReason,
    conversation_id: delivery.conversationId,
    activity_id: delivery.activityId,
    sent_at: delivery.sentAt,
    signed_at: delivery.signedAt,
    reminders_sent: delivery.remindersSent,
    escalated_at: delivery.escalatedAt,
    created_at: delivery.createdAt,
    updated_at: delivery.updatedAt,
  };
}

function toDelivery(row: AupDeliveriesTable): AupDelivery {
  return {
    schoolId: row.school_id,
    personId: row.person_id,
    policyId: row.policy_id,
    cycle: row.cycle,
    campaignId: row.campaign_id,
    reason: row.reason as AupDeliveryReason,
    state: row.state as AupDeliveryState,
    channel: row.channel as AupDeliveryChannel | null,
    failureCode: row.failure_code,
    failureReason: row.failure_reason,
    conversationId: row.conversation_id,
    activityId: row.activity_id,
    sentAt: row.sent_at,
    signedAt: row.signed_at,
    remindersSent: Number(row.reminders_sent),
    escalatedAt: row.escalated_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

class KyselyAupDeliveries implements AupDeliveryRepository {
  readonly #db: Db;
  readonly #locks: boolean;
  constructor(db: Db, locks: boolean) {
    this.#db = db;
    this.#locks = locks;
  }
  async get(schoolId: string, personId: string, policyId: string, cycle: string, options: { lock?: boolean } = {}): Promise<AupDelivery | undefined> {
    let query = this.#db
      .selectFrom('aup_deliveries')
      .selectAll()
      .where('school_id', '=', schoolId)
      .where('person_id', '=', personId)
      .where('policy_id', '=', policyId)
      .where('cycle', '=', cycle);
    // PostgreSQL: a delivery read to be changed is locked, so a reminder, a signature and an escalation of the
    // same person at once each see the others' change instead of overwriting it or missing their own.
    if (options.lock && this.#locks) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row ? toDelivery(row) : undefined;
  }
  async insertMissing(deliveries: AupDelivery[]): Promise<AupDelivery[]> {
    const added: AupDelivery[] = [];
    for (let i = 0; i < deliveries.length; i += CHUNK) {
      const chunk = deliveries.slice(i, i + CHUNK);
      const rows = await this.#db
        .insertInto('aup_deliveries')
        .values(chunk.map(toDeliveryRow))
        .onConflict((oc) => oc.columns(['school_id', 'person_id', 'policy_id', 'cycle']).doNothing())
        .returning(['person_id'])
        .execute();
      const inserted = new Set(rows.map((row) => row.person_id));
      added.push(...chunk.filter((delivery) => inserted.has(delivery.personId)));
    }
    return added;
  }
  async update(delivery: AupDelivery, expectedState: AupDeliveryState): Promise<boolean> {
    const { school_id, person_id, policy_id, cycle, created_at: _created, ...changes } = toDeliveryRow(delivery);
    const result = await this.#db
      .updateTable('aup_deliveries')
      .set(changes)
      .where('school_id', '=', school_id)
      .where('person_id', '=', person_id)
      .where('policy_id', '=', policy_id)
      .where('cycle', '=', cycle)
      .where('state', '=', expectedState)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
  async listForPolicy(schoolId: string, policyId: string, cycle: string): Promise<AupDelivery[]> {
    const rows = await this.#db.selectFrom('aup_deliveries').selectAll().where('school_id', '=', schoolId).where('policy_id', '=', policyId).where('cycle', '=', cycle).execute();
    return rows.map(toDelivery);
  }
  async listForCampaign(schoolId: string, campaignId: string): Promise<AupDelivery[]> {
    const rows = await this.#db.selectFrom('aup_deliveries').selectAll().where('school_id', '=', schoolId).where('campaign_id', '=', campaignId).execute();
    return rows.map(toDelivery);
  }
  async listForPerson(schoolId: string, personId: string): Promise<AupDelivery[]> {
    const rows = await this.#db.selectFrom('aup_deliveries').selectAll().where('school_id', '=', schoolId).where('person_id', '=', personId).orderBy('created_at').execute();
    return rows.map(toDelivery);
  }
}

function toCampaign(row: AupCampaignsTable): AupCampaign {
  return {
    id: row.id,
    schoolId: row.school_id,
    policyId: row.policy_id,
    cycle: row.cycle,
    reason: row.reason as AupCampaignReason,
    recipients: Number(row.recipients),
    createdAt: row.created_at,
    createdById: row.created_by_id,
  };
}

class KyselyAupCampaigns implements AupCampaignRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }
  async insertIfAbsent(campaign: AupCampaign): Promise<{ campaign: AupCampaign; created: boolean }> {
    const result = await this.#db
      .insertInto('aup_campaigns')
      .values({
        id: campaign.id,
        school_id: campaign.schoolId,
        policy_id: campaign.policyId,
        cycle: campaign.cycle,
        reason: campaign.reason,
        recipients: campaign.recipients,
        created_at: campaign.createdAt,
        created_by_id: campaign.createdById,
      })
      .onConflict((oc) => oc.columns(['school_id', 'policy_id', 'cycle', 'reason']).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0) return { campaign, created: true };
    const existing = await this.#db
      .selectFrom('aup_campaigns')
      .selectAll()
      .where('school_id', '=', campaign.schoolId)
      .where('policy_id', '=', campaign.policyId)
      .where('cycle', '=', campaign.cycle)
      .where('reason', '=', campaign.reason)
      .executeTakeFirstOrThrow();
    return { campaign: toCampaign(existing), created: false };
  }
  async get(schoolId: string, campaignId: string): Promise<AupCampaign | undefined> {
    const row = await this.#db.selectFrom('aup_campaigns').selectAll().where('school_id', '=', schoolId).where('id', '=', campaignId).executeTakeFirst();
    return row ? toCampaign(row) : undefined;
  }
  async list(schoolId: string): Promise<AupCampaign[]> {
    const rows = await this.#db.selectFrom('aup_campaigns').selectAll().where('school_id', '=', schoolId).orderBy('created_at', 'desc').execute();
    return rows.map(toCampaign);
  }
  async setRecipients(schoolId: string, campaignId: string, recipients: number): Promise<void> {
    await this.#db.updateTable('aup_campaigns').set({ recipients }).where('school_id', '=', schoolId).where('id', '=', campaignId).execute();
  }
}

function toLink(row: AupSigningLinksTable): AupSigningLink {
  return {
    id: row.id,
    schoolId: row.school_id,
    audience: row.audience as AupAudience,
    intendedFor: row.intended_for,
    email: row.email,
    personId: row.person_id,
    createdById: row.created_by_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    acknowledgementId: row.acknowledgement_id,
  };
}

class KyselyAupSigningLinks implements AupSigningLinkRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }
  async insert(link: AupSigningLink, tokenHash: string): Promise<void> {
    await this.#db
      .insertInto('aup_signing_links')
      .values({
        id: link.id,
        school_id: link.schoolId,
        token_hash: tokenHash,
        audience: link.audience,
        intended_for: link.intendedFor,
        email: link.email,
        person_id: link.personId,
        created_by_id: link.createdById,
        created_at: link.createdAt,
        expires_at: link.expiresAt,
        used_at: link.usedAt,
        acknowledgement_id: link.acknowledgementId,
      })
      .execute();
  }
  async findByTokenHash(tokenHash: string): Promise<AupSigningLink | undefined> {
    const row = await this.#db.selectFrom('aup_signing_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row ? toLink(row) : undefined;
  }
  async markUsed(schoolId: string, linkId: string, at: string, acknowledgementId: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('aup_signing_links')
      .set({ used_at: at, acknowledgement_id: acknowledgementId })
      .where('school_id', '=', schoolId)
      .where('id', '=', linkId)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
  async list(schoolId: string): Promise<AupSigningLink[]> {
    const rows = await this.#db.selectFrom('aup_signing_links').selectAll().where('school_id', '=', schoolId).orderBy('created_at', 'desc').execute();
    return rows.map(toLink);
  }
}
