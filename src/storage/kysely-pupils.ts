import { randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors.ts';
import type { Pupil, PupilRecord } from '../domain/pupil.ts';
import { PupilSearchIndex } from '../domain/pupil-search.ts';
import type { PupilRepository } from '../domain/ports.ts';
import type { PupilAccountRule } from '../domain/pupil-accounts.ts';
import type { FieldCipher } from './field-cipher.ts';
import type { Db, PupilsTable } from './schema.ts';

/**
 * Each school's search index, built from decrypted names and kept in this process's memory only (never written
 * anywhere), with the register version it was built at. Shared by every repository of one storage, so one
 * instance builds it once per change of the register; another instance sees the new version in the database.
 */
export class PupilSearchCache {
  readonly #bySchool = new Map<string, { version: string; index: PupilSearchIndex }>();

  get(schoolId: string, version: string): PupilSearchIndex | undefined {
    const held = this.#bySchool.get(schoolId);
    return held?.version === version ? held.index : undefined;
  }

  set(schoolId: string, version: string, index: PupilSearchIndex): void {
    this.#bySchool.set(schoolId, { version, index });
  }
}

const UPN_CONTEXT = 'pupil-upn';

/** The pupil register (migration 0017_pupils). */
export class KyselyPupils implements PupilRepository {
  readonly #db: Db;
  readonly #cipher: FieldCipher;
  readonly #cache: PupilSearchCache;
  /**
   * Inside a transaction an index is built but not kept: its rows (and the version) may yet be rolled back, and a
   * version that never committed must not vouch for names.
   */
  readonly #mayCache: boolean;

  constructor(db: Db, cipher: FieldCipher, cache: PupilSearchCache, options: { inTransaction: boolean }) {
    this.#db = db;
    this.#cipher = cipher;
    this.#cache = cache;
    this.#mayCache = !options.inTransaction;
  }

  async get(schoolId: string, pupilId: string): Promise<Pupil | undefined> {
    const row = await this.#db.selectFrom('pupils').selectAll().where('school_id', '=', schoolId).where('id', '=', pupilId).executeTakeFirst();
    return row ? this.#fromRow(row) : undefined;
  }

  async getMany(schoolId: string, ids: readonly string[]): Promise<Pupil[]> {
    if (!ids.length) return [];
    const rows = await this.#db
      .selectFrom('pupils')
      .selectAll()
      .where('school_id', '=', schoolId)
      .where('id', 'in', [...new Set(ids)])
      .execute();
    return rows.map((row) => this.#fromRow(row));
  }

  async list(schoolId: string, options: { includeLeavers?: boolean; includeMerged?: boolean } = {}): Promise<Pupil[]> {
    let query = this.#db.selectFrom('pupils').selectAll().where('school_id', '=', schoolId);
    if (!options.includeLeavers) query = query.where('on_roll', '=', 1);
    if (!options.includeMerged) query = query.where('merged_into', 'is', null);
    const rows = await query.orderBy('created_at').orderBy('id').execute();
    return rows.map((row) => this.#fromRow(row));
  }

  async findByUpn(schoolId: string, upn: string): Promise<Pupil | undefined> {
    const row = await this.#db
      .selectFrom('pupils')
      .selectAll()
      .where('school_id', '=', schoolId)
      .where('upn_hash', 'in', this.#upnHashes(schoolId, upn))
      .executeTakeFirst();
    return row ? this.#fromRow(row) : undefined;
  }

  async findByDirectoryAccount(schoolId: string, account: string): Promise<Pupil | undefined> {
    const row = await this.#db.selectFrom('pupils').selectAll().where('school_id', '=', schoolId).where('directory_account', '=', account).executeTakeFirst();
    return row ? this.#fromRow(row) : undefined;
  }

  async insert(pupil: Pupil): Promise<void> {
    if (await this.findByUpn(pupil.schoolId, pupil.upn)) throw new AppError('conflict', 'The school already has a pupil with that UPN.', { internal: 'pupil_upn_taken' });
    await this.#db.insertInto('pupils').values(this.#toRow(pupil)).execute();
    await this.touch(pupil.schoolId);
  }

  async update(pupil: Pupil): Promise<void> {
    const { id: _id, school_id: _school, created_at: _created, ...changes } = this.#toRow(pupil);
    await this.#db.updateTable('pupils').set(changes).where('school_id', '=', pupil.schoolId).where('id', '=', pupil.id).execute();
    await this.touch(pupil.schoolId);
  }

  async setMergedInto(schoolId: string, fromId: string, intoId: string, at: string): Promise<void> {
    await this.#db.updateTable('pupils').set({ merged_into: intoId, updated_at: at }).where('school_id', '=', schoolId).where('id', '=', fromId).execute();
    await this.touch(schoolId);
  }

  async setDirectoryAccount(schoolId: string, pupilId: string, account: string | null, at: string): Promise<void> {
    await this.#db.updateTable('pupils').set({ directory_account: account, updated_at: at }).where('school_id', '=', schoolId).where('id', '=', pupilId).execute();
    await this.touch(schoolId);
  }

  async getAccountRule(schoolId: string): Promise<PupilAccountRule | undefined> {
    const row = await this.#db.selectFrom('pupil_registers').select('account_rule').where('school_id', '=', schoolId).executeTakeFirst();
    return row?.account_rule ? (JSON.parse(row.account_rule) as PupilAccountRule) : undefined;
  }

  async setAccountRule(schoolId: string, rule: PupilAccountRule | null, at: string): Promise<void> {
    const accountRule = rule ? JSON.stringify(rule) : null;
    await this.#db
      .insertInto('pupil_registers')
      .values({ school_id: schoolId, version: randomUUID(), account_rule: accountRule, updated_at: at })
      .onConflict((oc) => oc.column('school_id').doUpdateSet({ account_rule: accountRule, updated_at: at }))
      .execute();
  }

  async touch(schoolId: string): Promise<void> {
    // A random version rather than a counter: a version of a transaction that rolled back is never reused.
    const version = randomUUID();
    const at = new Date().toISOString();
    await this.#db
      .insertInto('pupil_registers')
      .values({ school_id: schoolId, version, account_rule: null, updated_at: at })
      .onConflict((oc) => oc.column('school_id').doUpdateSet({ version, updated_at: at }))
      .execute();
  }

  async searchIndex(schoolId: string): Promise<PupilSearchIndex> {
    // The version is read before the rows: a write that lands in between makes the index look older than it is
    // (rebuilt next time), never newer.
    const register = await this.#db.selectFrom('pupil_registers').select('version').where('school_id', '=', schoolId).executeTakeFirst();
    const version = register?.version ?? '';
    const held = this.#cache.get(schoolId, version);
    if (held) return held;
    const index = new PupilSearchIndex(await this.list(schoolId));
    if (this.#mayCache) this.#cache.set(schoolId, version, index);
    return index;
  }

  #upnHashes(schoolId: string, upn: string): string[] {
    return this.#cipher.lookupHashes(upn.trim().toUpperCase(), `${UPN_CONTEXT}:${schoolId}`);
  }

  #context(schoolId: string, pupilId: string): string {
    return `pupil:${schoolId}:${pupilId}`;
  }

  #toRow(pupil: Pupil): PupilsTable {
    const record: PupilRecord = {
      upn: pupil.upn,
      legalForename: pupil.legalForename,
      legalSurname: pupil.legalSurname,
      ...(pupil.preferredForename ? { preferredForename: pupil.preferredForename } : {}),
      ...(pupil.preferredSurname ? { preferredSurname: pupil.preferredSurname } : {}),
      dateOfBirth: pupil.dateOfBirth,
      ...(pupil.yearGroup ? { yearGroup: pupil.yearGroup } : {}),
      ...(pupil.registrationGroup ? { registrationGroup: pupil.registrationGroup } : {}),
      ...(pupil.leftOn ? { leftOn: pupil.leftOn } : {}),
    };
    return {
      id: pupil.id,
      school_id: pupil.schoolId,
      upn_hash: this.#upnHashes(pupil.schoolId, pupil.upn)[0]!,
      record: this.#cipher.encrypt(JSON.stringify(record), this.#context(pupil.schoolId, pupil.id)),
      on_roll: pupil.leftOn ? 0 : 1,
      merged_into: pupil.mergedInto ?? null,
      directory_account: pupil.directoryAccount ?? null,
      created_at: pupil.createdAt,
      updated_at: pupil.updatedAt,
    };
  }

  #fromRow(row: PupilsTable): Pupil {
    const record = JSON.parse(this.#cipher.decrypt(row.record, this.#context(row.school_id, row.id))) as PupilRecord;
    return {
      id: row.id,
      schoolId: row.school_id,
      ...record,
      ...(row.directory_account ? { directoryAccount: row.directory_account } : {}),
      ...(row.merged_into ? { mergedInto: row.merged_into } : {}),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}
