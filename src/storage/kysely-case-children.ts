import { CHAT_PLATFORMS, DELIVERY_STATES, type ChatPlatform, type DeliveryState } from '../domain/chat.ts';
import { INCIDENT_TYPE_CODES, type IncidentTypeCode } from '../domain/incident-types.ts';
import type { PupilMerge, PupilPatternAlert, PupilPatternCardRecord, StoredCaseChild, StoredPatternRule, StoredProtectionStatus } from '../domain/case-children.ts';
import { CASE_CHILD_ROLES, PROTECTION_STATUSES, type CaseChildRole, type PatternRule, type ProtectionStatusKind } from '../domain/pupil.ts';
import type { CaseChildRepository, ProtectionStatusRepository, PupilPatternRepository } from '../domain/ports.ts';
import type { FieldCipher } from './field-cipher.ts';
import type { CaseChildrenTable, Db, ProtectionStatusesTable, PupilPatternAlertsTable } from './schema.ts';

/**
 * Children on cases, protection statuses and pattern alerts (migration 0018_case_children). What could name or
 * describe a child (a typed name, a reason, the detail of an "other" status) is sealed, bound to its school and row.
 */
export function caseChildRepositories(db: Db, cipher: FieldCipher, locks: boolean): { caseChildren: CaseChildRepository; protectionStatuses: ProtectionStatusRepository; pupilPatterns: PupilPatternRepository } {
  return { caseChildren: new KyselyCaseChildren(db, cipher), protectionStatuses: new KyselyProtectionStatuses(db, cipher), pupilPatterns: new KyselyPupilPatterns(db, locks) };
}

class KyselyCaseChildren implements CaseChildRepository {
  readonly #db: Db;
  readonly #cipher: FieldCipher;
  constructor(db: Db, cipher: FieldCipher) {
    this.#db = db;
    this.#cipher = cipher;
  }

  #seal(schoolId: string, id: string, field: string, value: string | undefined): string | null {
    return value === undefined ? null : this.#cipher.encrypt(value, `case_children:${schoolId}:${id}:${field}`);
  }

  #open(schoolId: string, id: string, field: string, value: string | null): string | undefined {
    return value === null ? undefined : this.#cipher.decrypt(value, `case_children:${schoolId}:${id}:${field}`);
  }

  async insert(child: StoredCaseChild): Promise<void> {
    await this.#db
      .insertInto('case_children')
      .values({
        id: child.id,
        school_id: child.schoolId,
        case_id: child.caseId,
        pupil_id: child.pupilId ?? null,
        typed_name: this.#seal(child.schoolId, child.id, 'typed_name', child.typedName),
        role: child.role,
        added_by: child.addedBy,
        added_at: child.addedAt,
        linked_by: child.pupilId ? (child.linkedBy ?? null) : null,
        linked_at: child.pupilId ? child.linkedAt : null,
        link_reason: this.#seal(child.schoolId, child.id, 'link_reason', child.linkReason),
        unlinked_at: child.unlinkedAt ?? null,
        unlinked_by: child.unlinkedBy ?? null,
        unlink_reason: this.#seal(child.schoolId, child.id, 'unlink_reason', child.unlinkReason),
        merged_from_pupil_id: child.mergedFromPupilId ?? null,
      })
      .execute();
  }

  async get(schoolId: string, childId: string): Promise<StoredCaseChild | undefined> {
    const row = await this.#db.selectFrom('case_children').selectAll().where('school_id', '=', schoolId).where('id', '=', childId).executeTakeFirst();
    return row ? this.#fromRow(row) : undefined;
  }

  async listForCase(schoolId: string, caseId: string, options: { includeUnlinked?: boolean } = {}): Promise<StoredCaseChild[]> {
    let query = this.#db.selectFrom('case_children').selectAll().where('school_id', '=', schoolId).where('case_id', '=', caseId);
    if (!options.includeUnlinked) query = query.where('unlinked_at', 'is', null);
    return (await query.orderBy('added_at').orderBy('id').execute()).map((row) => this.#fromRow(row));
  }

  async listForPupils(schoolId: string, pupilIds: readonly string[]): Promise<StoredCaseChild[]> {
    if (!pupilIds.length) return [];
    const rows = await this.#db
      .selectFrom('case_children')
      .selectAll()
      .where('school_id', '=', schoolId)
      .where('pupil_id', 'in', [...pupilIds])
      .where('unlinked_at', 'is', null)
      .orderBy('added_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => this.#fromRow(row));
  }

  async linkPupil(schoolId: string, childId: string, link: { pupilId: string; by: string; at: string; reason: string }): Promise<boolean> {
    const result = await this.#db
      .updateTable('case_children')
      .set({ pupil_id: link.pupilId, linked_by: link.by, linked_at: link.at, link_reason: this.#seal(schoolId, childId, 'link_reason', link.reason) })
      .where('school_id', '=', schoolId)
      .where('id', '=', childId)
      .where('unlinked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async unlink(schoolId: string, childId: string, unlink: { by: string; at: string; reason: string }): Promise<boolean> {
    const result = await this.#db
      .updateTable('case_children')
      .set({ unlinked_at: unlink.at, unlinked_by: unlink.by, unlink_reason: this.#seal(schoolId, childId, 'unlink_reason', unlink.reason) })
      .where('school_id', '=', schoolId)
      .where('id', '=', childId)
      .where('unlinked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async movePupil(schoolId: string, fromPupilId: string, intoPupilId: string): Promise<number> {
    const result = await this.#db
      .updateTable('case_children')
      .set({ pupil_id: intoPupilId, merged_from_pupil_id: fromPupilId })
      .where('school_id', '=', schoolId)
      .where('pupil_id', '=', fromPupilId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async recordMerge(merge: PupilMerge): Promise<void> {
    await this.#db
      .insertInto('pupil_merges')
      .values({
        id: merge.id,
        school_id: merge.schoolId,
        from_pupil_id: merge.fromPupilId,
        into_pupil_id: merge.intoPupilId,
        reason: this.#cipher.encrypt(merge.reason, `pupil_merges:${merge.schoolId}:${merge.id}:reason`),
        merged_by: merge.mergedBy,
        merged_at: merge.mergedAt,
      })
      .execute();
  }

  async listMergesInto(schoolId: string, intoPupilId: string): Promise<PupilMerge[]> {
    const rows = await this.#db.selectFrom('pupil_merges').selectAll().where('school_id', '=', schoolId).where('into_pupil_id', '=', intoPupilId).orderBy('merged_at').orderBy('id').execute();
    return rows.map((row) => ({
      id: row.id,
      schoolId: row.school_id,
      fromPupilId: row.from_pupil_id,
      intoPupilId: row.into_pupil_id,
      reason: this.#cipher.decrypt(row.reason, `pupil_merges:${row.school_id}:${row.id}:reason`),
      mergedBy: row.merged_by,
      mergedAt: row.merged_at,
    }));
  }

  #fromRow(row: CaseChildrenTable): StoredCaseChild {
    const typedName = this.#open(row.school_id, row.id, 'typed_name', row.typed_name);
    const linkReason = this.#open(row.school_id, row.id, 'link_reason', row.link_reason);
    const unlinkReason = this.#open(row.school_id, row.id, 'unlink_reason', row.unlink_reason);
    return {
      id: row.id,
      schoolId: row.school_id,
      caseId: row.case_id,
      role: (CASE_CHILD_ROLES as readonly string[]).includes(row.role) ? (row.role as CaseChildRole) : 'subject',
      ...(row.pupil_id ? { pupilId: row.pupil_id } : {}),
      ...(typedName !== undefined ? { typedName } : {}),
      addedBy: row.added_by,
      addedAt: row.added_at,
      ...(row.linked_by ? { linkedBy: row.linked_by } : {}),
      linkedAt: row.linked_at ?? row.added_at,
      ...(linkReason !== undefined ? { linkReason } : {}),
      ...(row.unlinked_at ? { unlinkedAt: row.unlinked_at } : {}),
      ...(row.unlinked_by ? { unlinkedBy: row.unlinked_by } : {}),
      ...(unlinkReason !== undefined ? { unlinkReason } : {}),
      ...(row.merged_from_pupil_id ? { mergedFromPupilId: row.merged_from_pupil_id } : {}),
    };
  }
}

class KyselyProtectionStatuses implements ProtectionStatusRepository {
  readonly #db: Db;
  readonly #cipher: FieldCipher;
  constructor(db: Db, cipher: FieldCipher) {
    this.#db = db;
    this.#cipher = cipher;
  }

  #context(schoolId: string, id: string): string {
    return `protection_statuses:${schoolId}:${id}:detail`;
  }

  async insert(status: StoredProtectionStatus): Promise<void> {
    await this.#db
      .insertInto('protection_statuses')
      .values({
        id: status.id,
        school_id: status.schoolId,
        pupil_id: status.pupilId,
        kind: status.kind,
        detail: status.detail === undefined ? null : this.#cipher.encrypt(status.detail, this.#context(status.schoolId, status.id)),
        from_date: status.from,
        to_date: status.to ?? null,
        recorded_by: status.recordedBy,
        recorded_at: status.recordedAt,
        ended_by: status.endedBy ?? null,
        ended_at: status.endedAt ?? null,
      })
      .execute();
  }

  async get(schoolId: string, statusId: string): Promise<StoredProtectionStatus | undefined> {
    const row = await this.#db.selectFrom('protection_statuses').selectAll().where('school_id', '=', schoolId).where('id', '=', statusId).executeTakeFirst();
    return row ? this.#fromRow(row) : undefined;
  }

  async listForPupils(schoolId: string, pupilIds: readonly string[]): Promise<StoredProtectionStatus[]> {
    if (!pupilIds.length) return [];
    const rows = await this.#db.selectFrom('protection_statuses').selectAll().where('school_id', '=', schoolId).where('pupil_id', 'in', [...pupilIds]).orderBy('from_date').orderBy('recorded_at').orderBy('id').execute();
    return rows.map((row) => this.#fromRow(row));
  }

  async end(schoolId: string, statusId: string, end: { to: string; by: string; at: string }): Promise<boolean> {
    const result = await this.#db.updateTable('protection_statuses').set({ to_date: end.to, ended_by: end.by, ended_at: end.at }).where('school_id', '=', schoolId).where('id', '=', statusId).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async movePupil(schoolId: string, fromPupilId: string, intoPupilId: string): Promise<number> {
    const result = await this.#db.updateTable('protection_statuses').set({ pupil_id: intoPupilId }).where('school_id', '=', schoolId).where('pupil_id', '=', fromPupilId).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  #fromRow(row: ProtectionStatusesTable): StoredProtectionStatus {
    return {
      id: row.id,
      schoolId: row.school_id,
      pupilId: row.pupil_id,
      kind: (PROTECTION_STATUSES as readonly string[]).includes(row.kind) ? (row.kind as ProtectionStatusKind) : 'other',
      ...(row.detail !== null ? { detail: this.#cipher.decrypt(row.detail, this.#context(row.school_id, row.id)) } : {}),
      from: row.from_date,
      ...(row.to_date ? { to: row.to_date } : {}),
      recordedBy: row.recorded_by,
      recordedAt: row.recorded_at,
      ...(row.ended_by ? { endedBy: row.ended_by } : {}),
      ...(row.ended_at ? { endedAt: row.ended_at } : {}),
    };
  }
}

class KyselyPupilPatterns implements PupilPatternRepository {
  readonly #db: Db;
  readonly #locks: boolean;
  constructor(db: Db, locks: boolean) {
    this.#db = db;
    this.#locks = locks;
  }

  async lockPupil(schoolId: string, pupilId: string): Promise<void> {
    // SQLite serialises write transactions already.
    if (!this.#locks) return;
    await this.#db.selectFrom('pupils').select('id').where('school_id', '=', schoolId).where('id', '=', pupilId).forUpdate().execute();
  }

  async insert(alert: PupilPatternAlert): Promise<void> {
    await this.#db
      .insertInto('pupil_pattern_alerts')
      .values({
        id: alert.id,
        school_id: alert.schoolId,
        pupil_id: alert.pupilId,
        reason: alert.reason,
        case_ids: JSON.stringify(alert.caseIds),
        created_at: alert.createdAt,
        acknowledged_by: alert.acknowledgedBy ?? null,
        acknowledged_at: alert.acknowledgedAt ?? null,
        card_platform: alert.card?.platform ?? null,
        card_conversation_id: alert.card?.conversationId ?? null,
        card_activity_id: alert.card?.activityId ?? null,
        card_state: alert.card?.state ?? null,
        card_failure: alert.card?.failure ?? null,
        card_updated_at: alert.card?.updatedAt ?? null,
      })
      .execute();
  }

  async get(schoolId: string, alertId: string): Promise<PupilPatternAlert | undefined> {
    const row = await this.#db.selectFrom('pupil_pattern_alerts').selectAll().where('school_id', '=', schoolId).where('id', '=', alertId).executeTakeFirst();
    return row ? alertFromRow(row) : undefined;
  }

  async listForPupil(schoolId: string, pupilId: string): Promise<PupilPatternAlert[]> {
    const rows = await this.#db.selectFrom('pupil_pattern_alerts').selectAll().where('school_id', '=', schoolId).where('pupil_id', '=', pupilId).orderBy('created_at').orderBy('id').execute();
    return rows.map(alertFromRow);
  }

  async listOpen(schoolId: string, pupilIds: readonly string[]): Promise<PupilPatternAlert[]> {
    if (!pupilIds.length) return [];
    const rows = await this.#db
      .selectFrom('pupil_pattern_alerts')
      .selectAll()
      .where('school_id', '=', schoolId)
      .where('pupil_id', 'in', [...pupilIds])
      .where('acknowledged_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(alertFromRow);
  }

  async saveCard(schoolId: string, alertId: string, card: PupilPatternCardRecord): Promise<boolean> {
    const result = await this.#db
      .updateTable('pupil_pattern_alerts')
      .set({
        card_platform: card.platform,
        card_conversation_id: card.conversationId,
        card_activity_id: card.activityId ?? null,
        card_state: card.state,
        card_failure: card.failure ?? null,
        card_updated_at: card.updatedAt,
      })
      .where('school_id', '=', schoolId)
      .where('id', '=', alertId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async acknowledge(schoolId: string, alertId: string, by: string, at: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('pupil_pattern_alerts')
      .set({ acknowledged_by: by, acknowledged_at: at })
      .where('school_id', '=', schoolId)
      .where('id', '=', alertId)
      .where('acknowledged_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async movePupil(schoolId: string, fromPupilId: string, intoPupilId: string): Promise<number> {
    const result = await this.#db.updateTable('pupil_pattern_alerts').set({ pupil_id: intoPupilId }).where('school_id', '=', schoolId).where('pupil_id', '=', fromPupilId).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async getRule(schoolId: string): Promise<StoredPatternRule | undefined> {
    const row = await this.#db.selectFrom('pupil_pattern_rules').selectAll().where('school_id', '=', schoolId).executeTakeFirst();
    if (!row) return undefined;
    const alwaysTypes = (JSON.parse(row.always_types) as string[]).filter((code): code is IncidentTypeCode => (INCIDENT_TYPE_CODES as readonly string[]).includes(code));
    return { count: Number(row.count), days: Number(row.days), alwaysTypes, ...(row.updated_by ? { updatedBy: row.updated_by } : {}), updatedAt: row.updated_at };
  }

  async setRule(schoolId: string, rule: PatternRule, by: string | null, at: string): Promise<void> {
    const values = { school_id: schoolId, count: rule.count, days: rule.days, always_types: JSON.stringify(rule.alwaysTypes), updated_by: by, updated_at: at };
    const { school_id: _school, ...changes } = values;
    await this.#db
      .insertInto('pupil_pattern_rules')
      .values(values)
      .onConflict((oc) => oc.column('school_id').doUpdateSet(changes))
      .execute();
  }
}

function alertFromRow(row: PupilPatternAlertsTable): PupilPatternAlert {
  return {
    id: row.id,
    schoolId: row.school_id,
    pupilId: row.pupil_id,
    reason: row.reason === 'type' ? 'type' : 'count',
    caseIds: JSON.parse(row.case_ids) as string[],
    createdAt: row.created_at,
    ...(row.acknowledged_by ? { acknowledgedBy: row.acknowledged_by } : {}),
    ...(row.acknowledged_at ? { acknowledgedAt: row.acknowledged_at } : {}),
    ...(row.card_platform && row.card_conversation_id && row.card_state && row.card_updated_at
      ? {
          card: {
            platform: (CHAT_PLATFORMS as readonly string[]).includes(row.card_platform) ? (row.card_platform as ChatPlatform) : 'teams',
            conversationId: row.card_conversation_id,
            ...(row.card_activity_id ? { activityId: row.card_activity_id } : {}),
            state: (DELIVERY_STATES as readonly string[]).includes(row.card_state) ? (row.card_state as DeliveryState) : 'failed',
            ...(row.card_failure ? { failure: row.card_failure } : {}),
            updatedAt: row.card_updated_at,
          },
        }
      : {}),
  };
}
