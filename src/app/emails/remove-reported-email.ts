import { schoolDomainsOf } from '../../analysis/index.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { emailForAction, requireMailboxAdmin } from './email-actions.ts';
import { AppError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { enqueueOutbox, REMOVE_EMAIL_KIND } from '../outbox-catalogue.ts';

export { REMOVE_EMAIL_KIND };

/**
 * "Remove it from every mailbox": queued, because a school has hundreds of mailboxes to search. The
 * request and the result (how many copies were found and moved to Deleted Items) are in the chronology.
 */
export async function requestEmailRemoval(deps: AppDeps, options: { actor: Actor; caseId: string; emailId: string }): Promise<{ queued: boolean }> {
  requireMailboxAdmin(deps);
  const { actor, caseId, emailId } = options;
  return deps.storage.transaction(async (tx) => {
    const { email } = await emailForAction(tx, actor, caseId, emailId);
    if (!email.analysis.messageId) throw new AppError('invalid_input', 'This email has no Message-ID, so its copies cannot be found in other mailboxes. Ask IT to search for it by sender and subject.');
    const school = await tx.schools.get(actor.schoolId);
    if (!school?.entraTenantId) throw new AppError('invalid_input', 'This school is not linked to a Microsoft 365 tenant, so its mailboxes cannot be searched.');
    const now = nowIso(deps);
    // A double click (or a second DSL within the hour) queues one search, not two.
    await tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'case.email_removal_requested', caseId, detail: { emailId } }, now);
    await enqueueOutbox(tx, { schoolId: actor.schoolId, kind: REMOVE_EMAIL_KIND, payload: { caseId, emailId, requestedBy: actor.personId }, dedupeKey: `${REMOVE_EMAIL_KIND}:${emailId}:${now.slice(0, 13)}` }, now);
    return { queued: true };
  });
}

/** The queued work: find every copy by its Message-ID and move each to Deleted Items. Safe to run again. */
export async function removeEmailCopies(deps: AppDeps, options: { schoolId: string; caseId: string; emailId: string; requestedBy: string }): Promise<{ found: number; moved: number; failed: number }> {
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
  if (!tenantId || !messageId) return { found: 0, moved: 0, failed: 0 };
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
  await deps.storage.transaction((tx) =>
    tx.audit.append({ schoolId, actorId: options.requestedBy, action: 'case.email_removed', caseId, detail: { emailId, mailboxesSearched, mailboxesFailed, found: copies.length, moved, failed } }, nowIso(deps)),
  );
  return { found: copies.length, moved, failed };
}
