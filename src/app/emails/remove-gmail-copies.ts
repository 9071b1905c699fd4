import { schoolDomainsOf } from '../../analysis/index.ts';
import { AppError } from '../../domain/errors.ts';
import type { WorkspaceAdmin, WorkspaceUser } from '../../domain/google-directory.ts';
import { addCounts, DELEGATION_REFUSED, NO_COUNTS, type MailboxRemoval, type RemovalCounts, type RemovalCursor } from '../../domain/mailbox-removal.ts';
import { enqueueCardRefresh } from '../cases/case-messages.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/** Mailboxes searched per outbox run unless the deployment says otherwise: a run stays well inside its lease. */
export const DEFAULT_MAILBOXES_PER_BATCH = 25;

/**
 * What one run did: the search is finished (or cannot go on until IT acts), or it should run again after
 * `retryAfterSeconds` (0: straight away, the next batch; more: Gmail asked for a pause).
 */
export type GmailRemovalStep = ({ done: true } | { done: false; retryAfterSeconds: number }) & RemovalCounts;

interface Plan {
  removal: MailboxRemoval;
  admin: WorkspaceAdmin;
  messageId: string;
  inScope: (user: WorkspaceUser) => boolean;
}

/**
 * One batch of a Google school's "remove from every mailbox": from where the last batch stopped, read the
 * Directory page, open each of the next mailboxes in scope as its owner (domain-wide delegation), search for the
 * message by `rfc822msgid:` and move each copy to the Bin. Progress and counts are saved after the batch, so a
 * restart resumes at the next mailbox and never counts a mailbox twice. A passing Gmail or Directory fault (429,
 * 5xx, the pacer) stops the batch where it is, keeps what was done, and asks to run again after Google's wait; a
 * mailbox Gmail will not open is counted as failed and the search goes on; a refused delegation ends the search
 * with a note of what IT must do. At the end, the counts go into the chronology (`case.email_removed`).
 */
export async function removeGmailCopiesBatch(deps: AppDeps, options: { schoolId: string; caseId: string; emailId: string }): Promise<GmailRemovalStep> {
  if (!deps.gmailMailboxes || !deps.workspaceDirectory) {
    throw new AppError('unavailable', 'This DSL Desk is no longer connected to Google Workspace (GOOGLE_SERVICE_ACCOUNT_KEY_FILE); the search carries on once it is.');
  }
  const plan = await planBatch(deps, options);
  if (!plan) return { done: true, ...NO_COUNTS };
  if (plan.removal.mailboxesTotal === null) {
    const counted = await countMailboxes(deps, plan);
    if ('retryAfterSeconds' in counted) return { done: false, retryAfterSeconds: counted.retryAfterSeconds, ...countsOf(plan.removal) };
    if ('refused' in counted) return finish(deps, plan.removal, plan.removal, 'refused');
    plan.removal = { ...plan.removal, mailboxesTotal: counted.total };
  }
  return runBatch(deps, plan);
}

async function planBatch(deps: AppDeps, options: { schoolId: string; caseId: string; emailId: string }): Promise<Plan | undefined> {
  const { schoolId, caseId, emailId } = options;
  const found = await deps.storage.read(async (reader) => {
    const removal = await reader.mailboxRemovals.get(schoolId, emailId);
    if (!removal || removal.state !== 'running' || removal.caseId !== caseId) return undefined;
    const school = await reader.schools.get(schoolId);
    const email = (await reader.emails.listForCase(schoolId, caseId)).find((e) => e.id === emailId);
    const directory = await reader.googleDirectory.get(schoolId);
    if (!school?.googleDomain || !email?.analysis.messageId || !directory) return { removal, missing: true as const };
    const people = await reader.people.list(schoolId);
    // As for Microsoft 365: the school's own mail domains; when another school of the trust shares the Google
    // domain, only this school's people's mailboxes (the membership rules decided who they are).
    const sharing = (await reader.schools.listByOrganisation(school.organisationId)).filter((other) => other.id !== school.id && other.googleDomain === school.googleDomain);
    return {
      removal,
      missing: false as const,
      admin: { domain: school.googleDomain, adminEmail: directory.adminEmail },
      messageId: email.analysis.messageId,
      domains: new Set([school.googleDomain.toLowerCase(), ...schoolDomainsOf(people.map((person) => person.email)).map((domain) => domain.toLowerCase())]),
      mailboxes: sharing.length > 0 ? new Set(people.filter((person) => person.active).map((person) => person.email.toLowerCase())) : undefined,
    };
  });
  if (!found) return undefined;
  if (found.missing) {
    // The email, its Message-ID or the school's Google admin has gone since the request: nothing more to search.
    await finish(deps, found.removal, found.removal, 'finished');
    return undefined;
  }
  const { domains, mailboxes } = found;
  return {
    removal: found.removal,
    admin: found.admin,
    messageId: found.messageId,
    // Suspended and archived accounts are left out: nobody reads them, and Google will not let DSL Desk act as them.
    inScope: (user) => !user.suspended && !user.archived && domains.has(user.primaryEmail.split('@')[1] ?? '') && (!mailboxes || mailboxes.has(user.primaryEmail)),
  };
}

/** How many mailboxes the search will open, for "120 of 300 searched": a light pass over the Directory first. */
async function countMailboxes(deps: AppDeps, plan: Plan): Promise<{ total: number } | { retryAfterSeconds: number } | { refused: true }> {
  let total = 0;
  let pageToken: string | null = null;
  try {
    do {
      const page: { users: WorkspaceUser[]; nextPageToken: string | null } = await deps.workspaceDirectory!.listUsersPage(plan.admin, pageToken);
      total += page.users.filter(plan.inScope).length;
      pageToken = page.nextPageToken;
    } while (pageToken);
  } catch (error) {
    if (error instanceof AppError && error.code === 'unavailable') return { retryAfterSeconds: error.retryAfterSeconds ?? 30 };
    if (error instanceof AppError && error.code === 'forbidden') return { refused: true };
    throw error;
  }
  const now = nowIso(deps);
  await deps.storage.transaction(async (tx) => {
    await tx.mailboxRemovals.save({ ...plan.removal, mailboxesTotal: total, updatedAt: now });
    await enqueueCardRefresh(tx, { schoolId: plan.removal.schoolId, id: plan.removal.caseId }, now);
  });
  return { total };
}

async function runBatch(deps: AppDeps, plan: Plan): Promise<GmailRemovalStep> {
  const gmail = deps.gmailMailboxes!;
  const batchSize = deps.settings?.googleMailboxRemoval?.mailboxesPerBatch ?? DEFAULT_MAILBOXES_PER_BATCH;
  let cursor: RemovalCursor = plan.removal.cursor;
  let counts: RemovalCounts = plan.removal;
  let opened = 0;
  let finished = false;
  let pause: number | undefined;
  let refused = false;

  batch: while (opened < batchSize) {
    let page: { users: WorkspaceUser[]; nextPageToken: string | null };
    try {
      page = await deps.workspaceDirectory!.listUsersPage(plan.admin, cursor.pageToken);
    } catch (error) {
      if (error instanceof AppError && error.code === 'unavailable') {
        pause = error.retryAfterSeconds ?? 30;
        break;
      }
      if (error instanceof AppError && error.code === 'forbidden') {
        refused = true;
        break;
      }
      throw error;
    }
    while (cursor.index < page.users.length && opened < batchSize) {
      const user = page.users[cursor.index]!;
      if (!plan.inScope(user)) {
        cursor = { ...cursor, index: cursor.index + 1 };
        continue;
      }
      const outcome = await searchMailbox(gmail, user.primaryEmail, plan.messageId);
      counts = addCounts(counts, outcome.counts);
      if (outcome.kind === 'paused') {
        // This mailbox is searched again after the pause; what was moved already is counted, and is in the Bin
        // (which the search leaves out), so it is not found twice.
        pause = outcome.retryAfterSeconds;
        break batch;
      }
      if (outcome.kind === 'refused') {
        refused = true;
        break batch;
      }
      opened += 1;
      cursor = { ...cursor, index: cursor.index + 1 };
    }
    if (cursor.index >= page.users.length) {
      if (!page.nextPageToken) {
        finished = true;
        break;
      }
      cursor = { pageToken: page.nextPageToken, index: 0 };
    }
  }

  const next: MailboxRemoval = { ...plan.removal, ...counts, cursor };
  if (refused) return finish(deps, next, plan.removal, 'refused');
  if (finished) return finish(deps, next, plan.removal, 'finished');
  const now = nowIso(deps);
  await deps.storage.transaction(async (tx) => {
    await tx.mailboxRemovals.save({ ...next, updatedAt: now });
    await enqueueCardRefresh(tx, { schoolId: next.schoolId, id: next.caseId }, now);
  });
  return { done: false, retryAfterSeconds: pause ?? 0, ...countsOf(next) };
}

type MailboxOutcome = { kind: 'searched' | 'refused'; counts: Partial<RemovalCounts> } | { kind: 'paused'; retryAfterSeconds: number; counts: Partial<RemovalCounts> };

/** One mailbox: its copies found and moved to the Bin, or why not. */
async function searchMailbox(gmail: NonNullable<AppDeps['gmailMailboxes']>, mailbox: string, messageId: string): Promise<MailboxOutcome> {
  let copies: string[];
  try {
    copies = await gmail.findCopies(mailbox, messageId);
  } catch (error) {
    return failedMailbox(error);
  }
  let moved = 0;
  let failed = 0;
  for (const copy of copies) {
    try {
      await gmail.trash(mailbox, copy);
      moved += 1;
    } catch (error) {
      const outcome = failedMailbox(error);
      // Copies moved before the pause stay counted; the rest are found again when the mailbox is searched again.
      if (outcome.kind !== 'searched') return { ...outcome, counts: { found: moved, moved } };
      failed += 1;
    }
  }
  return { kind: 'searched', counts: { mailboxesSearched: 1, found: copies.length, moved, failed } };
}

function failedMailbox(error: unknown): MailboxOutcome {
  if (error instanceof AppError && error.code === 'unavailable') return { kind: 'paused', retryAfterSeconds: error.retryAfterSeconds ?? 30, counts: {} };
  if (error instanceof AppError && error.code === 'forbidden' && error.message.startsWith(DELEGATION_REFUSED)) return { kind: 'refused', counts: {} };
  if (error instanceof AppError && error.code === 'forbidden') return { kind: 'searched', counts: { mailboxesFailed: 1 } };
  throw error;
}

/** Ends the search: the counts in the chronology, the card refreshed. */
async function finish(deps: AppDeps, next: MailboxRemoval, before: MailboxRemoval, state: 'finished' | 'refused'): Promise<GmailRemovalStep> {
  const now = nowIso(deps);
  const ended: MailboxRemoval = { ...next, state, updatedAt: now, finishedAt: now };
  await deps.storage.transaction(async (tx) => {
    // Another instance that ended the same search at the same moment has written it already: once only.
    const current = await tx.mailboxRemovals.get(before.schoolId, before.emailId);
    if (!current || current.state !== 'running' || current.startedAt !== before.startedAt) return;
    await tx.mailboxRemovals.save(ended);
    await tx.audit.append(
      { schoolId: ended.schoolId, actorId: ended.requestedBy, action: 'case.email_removed', caseId: ended.caseId, detail: { emailId: ended.emailId, provider: 'gmail', outcome: state, ...countsOf(ended) } },
      now,
    );
    await enqueueCardRefresh(tx, { schoolId: ended.schoolId, id: ended.caseId }, now);
  });
  return { done: true, ...countsOf(ended) };
}

function countsOf(removal: RemovalCounts): RemovalCounts {
  const { mailboxesSearched, mailboxesFailed, found, moved, failed } = removal;
  return { mailboxesSearched, mailboxesFailed, found, moved, failed };
}
