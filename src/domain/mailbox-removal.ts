/**
 * "Remove from every mailbox" as a record that outlives a restart. A Google school's mailboxes are searched a
 * batch at a time (each mailbox impersonated by domain-wide delegation), so the run keeps where it got to (the
 * Directory page it was reading and the place in it) and what it has counted after every batch; a Microsoft 365
 * school's search is one Graph run and is recorded when it ends. Counts only: never an address or a subject.
 */

export const MAILBOX_PROVIDERS = ['gmail', 'graph'] as const;
export type MailboxProvider = (typeof MAILBOX_PROVIDERS)[number];

/** `refused`: Google refused DSL Desk's delegation for the whole domain; IT must act before it can run. */
export const MAILBOX_REMOVAL_STATES = ['running', 'finished', 'refused'] as const;
export type MailboxRemovalState = (typeof MAILBOX_REMOVAL_STATES)[number];

/** Where a Google run got to: the Directory page being read (null: the first) and the next user on it. */
export interface RemovalCursor {
  pageToken: string | null;
  index: number;
}

export interface RemovalCounts {
  /** Mailboxes searched to the end (each once, whatever restarts happened). */
  mailboxesSearched: number;
  /** Mailboxes Google would not let DSL Desk open (suspended, no Gmail, refused): counted, not retried. */
  mailboxesFailed: number;
  /** Copies found, moved to the Bin (Deleted Items), and found but not moved. */
  found: number;
  moved: number;
  failed: number;
}

export interface MailboxRemoval extends RemovalCounts {
  schoolId: string;
  caseId: string;
  emailId: string;
  provider: MailboxProvider;
  state: MailboxRemovalState;
  cursor: RemovalCursor;
  /** The mailboxes in scope, counted before the first batch; null until then. */
  mailboxesTotal: number | null;
  requestedBy: string;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/**
 * The internal marker (AppError message) of Google refusing DSL Desk's domain-wide delegation itself, as opposed
 * to one mailbox: no mailbox can be opened until IT authorises the scopes.
 */
export const DELEGATION_REFUSED = 'delegation_refused';

export const NO_COUNTS: RemovalCounts = { mailboxesSearched: 0, mailboxesFailed: 0, found: 0, moved: 0, failed: 0 };

/** A new run (or a new run over a finished one: copies can arrive after a search, and a DSL may ask again). */
export function startRemoval(options: { schoolId: string; caseId: string; emailId: string; provider: MailboxProvider; requestedBy: string; now: string }): MailboxRemoval {
  const { now, ...identity } = options;
  return { ...identity, ...NO_COUNTS, state: 'running', cursor: { pageToken: null, index: 0 }, mailboxesTotal: null, startedAt: now, updatedAt: now, finishedAt: null };
}

export function addCounts(a: RemovalCounts, b: Partial<RemovalCounts>): RemovalCounts {
  return {
    mailboxesSearched: a.mailboxesSearched + (b.mailboxesSearched ?? 0),
    mailboxesFailed: a.mailboxesFailed + (b.mailboxesFailed ?? 0),
    found: a.found + (b.found ?? 0),
    moved: a.moved + (b.moved ?? 0),
    failed: a.failed + (b.failed ?? 0),
  };
}

/** What a case card shows of a removal: counts and state only. */
export interface EmailRemovalProgress extends RemovalCounts {
  state: MailboxRemovalState;
  provider: MailboxProvider;
  mailboxesTotal: number | null;
}

export function removalProgressOf(removal: MailboxRemoval): EmailRemovalProgress {
  const { state, provider, mailboxesTotal, mailboxesSearched, mailboxesFailed, found, moved, failed } = removal;
  return { state, provider, mailboxesTotal, mailboxesSearched, mailboxesFailed, found, moved, failed };
}

const plural = (count: number, one: string, many: string) => `${count.toLocaleString('en-GB')} ${count === 1 ? one : many}`;

/**
 * The card's line for a removal, e.g. "Removing from every mailbox: 120 of 300 searched, 3 moved to the Bin" and
 * "Removed from every mailbox: 3 copies moved to the Bin (300 searched)". Gmail calls it the Bin; Outlook Deleted Items.
 */
export function emailRemovalLabel(progress: EmailRemovalProgress): string {
  const bin = progress.provider === 'gmail' ? 'the Bin' : 'Deleted Items';
  const searchedCount = progress.mailboxesSearched + progress.mailboxesFailed;
  const notOpened = progress.mailboxesFailed > 0 ? `; ${plural(progress.mailboxesFailed, 'mailbox', 'mailboxes')} could not be opened` : '';
  const notMoved = progress.failed > 0 ? `; ${plural(progress.failed, 'copy', 'copies')} could not be moved` : '';
  if (progress.state === 'refused') {
    return 'Not removed from every mailbox: Google refused DSL Desk’s access to the mailboxes. IT must authorise it (domain-wide delegation) and ask again.';
  }
  if (progress.state === 'running') {
    const of = progress.mailboxesTotal !== null ? ` of ${Math.max(progress.mailboxesTotal, searchedCount).toLocaleString('en-GB')}` : '';
    return `Removing from every mailbox: ${searchedCount.toLocaleString('en-GB')}${of} searched, ${progress.moved.toLocaleString('en-GB')} moved to ${bin}${notOpened}${notMoved}`;
  }
  return `Removed from every mailbox: ${plural(progress.moved, 'copy', 'copies')} moved to ${bin} (${searchedCount.toLocaleString('en-GB')} searched)${notOpened}${notMoved}`;
}
