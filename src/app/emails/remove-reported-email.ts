import { schoolDomainsOf } from '../../analysis/index.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { emailForAction, requireMailboxAdmin } from './email-actions.ts';
import { AppError } from '../../domain/errors.ts';
import { startRemoval, type MailboxProvider } from '../../domain/mailbox-removal.ts';
import type { School } from '../../domain/ports.ts';
import type { Actor } from '../../domain/roles.ts';
import { enqueueOutbox, REMOVE_EMAIL_KIND } from '../outbox-catalogue.ts';
import { enqueueCardRefresh } from '../cases/case-messages.ts';
import { removeGmailCopiesBatch, type GmailRemovalStep } from './remove-gmail-copies.ts';

export { REMOVE_EMAIL_KIND };

/** A Google Workspace school (and not a Microsoft 365 one): its mailboxes are Gmail's. */
export function isGoogleSchool(school: Pick<School, 'entraTenantId' | 'googleDomain'> | undefined): boolean {
  return Boolean(school?.googleDomain && !school.entraTenantId);
}

export const GOOGLE_REMOVAL_OFF =
  'Removing an email from every mailbox is off for Google Workspace schools. To turn it on, IT authorises DSL Desk’s service account client ID for the gmail.modify scope (Google Admin console → Security → Access and data control → API controls → Domain-wide delegation) and sets GOOGLE_MAILBOX_REMOVAL=true. Until then, ask IT to delete it with the Admin console’s investigation tool.';

/**
 * "Remove it from every mailbox": queued, because a school has hundreds of mailboxes to search. The request and
 * the result (how many copies were found and moved to Deleted Items, or to Gmail's Bin) are in the chronology, and
 * the case card shows how far a Google school's search has got. Microsoft 365 schools go through Graph (their
 * tenant), Google Workspace schools through Gmail by domain-wide delegation, a batch of mailboxes at a time.
 */
export async function requestEmailRemoval(deps: AppDeps, options: { actor: Actor; caseId: string; emailId: string }): Promise<{ queued: boolean; provider: MailboxProvider }> {
  const { actor, caseId, emailId } = options;
  const school = await deps.storage.read((reader) => reader.schools.get(actor.schoolId));
  if (isGoogleSchool(school)) return requestGmailRemoval(deps, options);
  requireMailboxAdmin(deps);
  return deps.storage.transaction(async (tx) => {
    const { email } = await emailForAction(tx, actor, caseId, emailId);
    if (!email.analysis.messageId) throw noMessageId();
    const school = await tx.schools.get(actor.schoolId);
    if (!school?.entraTenantId) throw new AppError('invalid_input', 'This school is not linked to a Microsoft 365 tenant or a Google Workspace domain, so its mailboxes cannot be searched.');
    const now = nowIso(deps);
    // A double click (or a second DSL within the hour) queues one search, not two.
    await tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'case.email_removal_requested', caseId, detail: { emailId } }, now);
    await enqueueOutbox(tx, { schoolId: actor.schoolId, kind: REMOVE_EMAIL_KIND, payload: { caseId, emailId, requestedBy: actor.personId }, dedupeKey: `${REMOVE_EMAIL_KIND}:${emailId}:${now.slice(0, 13)}` }, now);
    return { queued: true, provider: 'graph' as const };
  });
}

async function requestGmailRemoval(deps: AppDeps, options: { actor: Actor; caseId: string; emailId: string }): Promise<{ queued: boolean; provider: MailboxProvider }> {
  const { actor, caseId, emailId } = options;
  if (!deps.settings?.googleMailboxRemoval?.enabled) throw new AppError('unavailable', GOOGLE_REMOVAL_OFF);
  if (!deps.gmailMailboxes || !deps.workspaceDirectory) {
    throw new AppError('unavailable', 'This DSL Desk is not connected to Google Workspace: IT sets GOOGLE_SERVICE_ACCOUNT_KEY_FILE (the service account authorised by domain-wide delegation).');
  }
  return deps.storage.transaction(async (tx) => {
    const { email } = await emailForAction(tx, actor, caseId, emailId);
    if (!email.analysis.messageId) throw noMessageId();
    if (!(await tx.googleDirectory.get(actor.schoolId))) {
      throw new AppError('unavailable', 'DSL Desk does not know the school’s Google Workspace admin yet, so it cannot list the mailboxes. IT sets it (dsl-desk school google --school <slug> --admin-email …), then ask again.');
    }
    const current = await tx.mailboxRemovals.get(actor.schoolId, emailId);
    // A search already under way is not started twice (a double click, a second DSL): the card shows its progress.
    if (current?.state === 'running') return { queued: true, provider: 'gmail' as const };
    const now = nowIso(deps);
    await tx.mailboxRemovals.save(startRemoval({ schoolId: actor.schoolId, caseId, emailId, provider: 'gmail', requestedBy: actor.personId, now }));
    await tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'case.email_removal_requested', caseId, detail: { emailId } }, now);
    await enqueueOutbox(tx, { schoolId: actor.schoolId, kind: REMOVE_EMAIL_KIND, payload: { caseId, emailId, requestedBy: actor.personId }, dedupeKey: `${REMOVE_EMAIL_KIND}:${emailId}:${now}` }, now);
    await enqueueCardRefresh(tx, { schoolId: actor.schoolId, id: caseId }, now);
    return { queued: true, provider: 'gmail' as const };
  });
}

function noMessageId(): AppError {
  return new AppError('invalid_input', 'This email has no Message-ID, so its copies cannot be found in other mailboxes. Ask IT to search for it by sender and subject.');
}

/**
 * The queued work. A Microsoft 365 school: find every copy by its Message-ID and move each to Deleted Items, in
 * one run. A Google Workspace school: one batch of mailboxes (`done: false` asks to be run again, after
 * `retryAfterSeconds`). Safe to run again either way.
 */
export async function removeEmailCopies(
  deps: AppDeps,
  options: { schoolId: string; caseId: string; emailId: string; requestedBy: string },
): Promise<{ found: number; moved: number; failed: number } | GmailRemovalStep> {
  const school = await deps.storage.read((reader) => reader.schools.get(options.schoolId));
  if (isGoogleSchool(school)) return removeGmailCopiesBatch(deps, options);
  return removeGraphCopies(deps, options);
}

async function removeGraphCopies(deps: AppDeps, options: { schoolId: string; caseId: string; emailId: string; requestedBy: string }): Promise<{ found: number; moved: number; failed: number; done: true }> {
  const admin = requireMailboxAdmin(deps);
  const { schoolId, caseId, emailId } = options;
  const { tenantId, messageId, domains, mailboxes } = await deps.storage.read(async (reader) => {
    const school = await reader.schools.get(schoolId);
    const email = (await reader.emails.listForCase(schoolId, caseId)).find((e) => e.id === emailId);
    const people = await reader.people.list(schoolId);
    // The school's own mail domains, from its people: a trust's other schools in the same tenant are left alone.
    // When another school of the trust shares the tenant (often one domain for all), only this school's
    // people's mailboxes are searched: the membership rules decided who they are.
    const sharing = school ? (await reader.schools.listByOrganisation(school.organisationId)).filter((other) => other.id !== school.id && other.entraTenantId === school.entraTenantId) : [];
    return {
      tenantId: school?.entraTenantId ?? undefined,
      messageId: email?.analysis.messageId,
      domains: schoolDomainsOf(people.map((person) => person.email)),
      mailboxes: sharing.length > 0 ? people.filter((person) => person.active).map((person) => person.email) : undefined,
    };
  });
  if (!tenantId || !messageId) return { found: 0, moved: 0, failed: 0, done: true };
  const startedAt = nowIso(deps);
  const { copies, mailboxesSearched, mailboxesFailed } = await admin.findCopies(tenantId, messageId, { domains, ...(mailboxes ? { mailboxes } : {}) });
  let moved = 0;
  let failed = 0;
  for (const copy of copies) {
    try {
      await admin.moveToDeletedItems(tenantId, copy);
      moved += 1;
    } catch {
      failed += 1;
    }
  }
  const counts = { mailboxesSearched, mailboxesFailed, found: copies.length, moved, failed };
  await deps.storage.transaction(async (tx) => {
    const now = nowIso(deps);
    // Recorded for the case card too ("Removed from every mailbox: …"), as a finished run.
    await tx.mailboxRemovals.save({
      ...startRemoval({ schoolId, caseId, emailId, provider: 'graph', requestedBy: options.requestedBy, now: startedAt }),
      ...counts,
      mailboxesTotal: mailboxesSearched + mailboxesFailed,
      state: 'finished',
      updatedAt: now,
      finishedAt: now,
    });
    await tx.audit.append({ schoolId, actorId: options.requestedBy, action: 'case.email_removed', caseId, detail: { emailId, ...counts } }, now);
    await enqueueCardRefresh(tx, { schoolId, id: caseId }, now);
  });
  return { found: copies.length, moved, failed, done: true };
}
