import { MAILBOX_PROVIDERS, MAILBOX_REMOVAL_STATES, type MailboxProvider, type MailboxRemoval, type MailboxRemovalState } from '../domain/mailbox-removal.ts';
import type { MailboxRemovalRepository } from '../domain/ports.ts';
import type { Db, MailboxRemovalsTable } from './schema.ts';

/** "Remove from every mailbox" runs and their progress (migration 0014_mailbox_removals). */
export class KyselyMailboxRemovals implements MailboxRemovalRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async get(schoolId: string, emailId: string): Promise<MailboxRemoval | undefined> {
    const row = await this.#db.selectFrom('mailbox_removals').selectAll().where('school_id', '=', schoolId).where('email_id', '=', emailId).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async listForCase(schoolId: string, caseId: string): Promise<MailboxRemoval[]> {
    const rows = await this.#db.selectFrom('mailbox_removals').selectAll().where('school_id', '=', schoolId).where('case_id', '=', caseId).orderBy('started_at', 'desc').orderBy('email_id').execute();
    return rows.map(fromRow);
  }

  async save(removal: MailboxRemoval): Promise<void> {
    const row = toRow(removal);
    const { school_id: _school, email_id: _email, ...changes } = row;
    await this.#db
      .insertInto('mailbox_removals')
      .values(row)
      .onConflict((oc) => oc.columns(['school_id', 'email_id']).doUpdateSet(changes))
      .execute();
  }
}

function toRow(removal: MailboxRemoval): MailboxRemovalsTable {
  return {
    school_id: removal.schoolId,
    email_id: removal.emailId,
    case_id: removal.caseId,
    provider: removal.provider,
    state: removal.state,
    cursor_page_token: removal.cursor.pageToken,
    cursor_index: removal.cursor.index,
    mailboxes_total: removal.mailboxesTotal,
    mailboxes_searched: removal.mailboxesSearched,
    mailboxes_failed: removal.mailboxesFailed,
    found: removal.found,
    moved: removal.moved,
    failed: removal.failed,
    requested_by: removal.requestedBy,
    started_at: removal.startedAt,
    updated_at: removal.updatedAt,
    finished_at: removal.finishedAt,
  };
}

function fromRow(row: MailboxRemovalsTable): MailboxRemoval {
  return {
    schoolId: row.school_id,
    emailId: row.email_id,
    caseId: row.case_id,
    provider: (MAILBOX_PROVIDERS as readonly string[]).includes(row.provider) ? (row.provider as MailboxProvider) : 'gmail',
    state: (MAILBOX_REMOVAL_STATES as readonly string[]).includes(row.state) ? (row.state as MailboxRemovalState) : 'running',
    cursor: { pageToken: row.cursor_page_token, index: Number(row.cursor_index) },
    mailboxesTotal: row.mailboxes_total === null ? null : Number(row.mailboxes_total),
    mailboxesSearched: Number(row.mailboxes_searched),
    mailboxesFailed: Number(row.mailboxes_failed),
    found: Number(row.found),
    moved: Number(row.moved),
    failed: Number(row.failed),
    requestedBy: row.requested_by,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}
