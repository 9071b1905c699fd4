import { removedEvidenceDetail, retentionCutoff } from '../../domain/email-report.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/** Each run drops at most this many messages per transaction, so a backlog never holds one long transaction. */
const BATCH = 100;

/**
 * Retention: a reported email is evidence while its case is open, so its message is kept until the case has
 * been closed for `retentionDays`, and not at all dropped while the case is under a legal hold. Each drop is
 * an audit event naming what went (the fingerprints of the .eml and its attachments, never content); the
 * analysis stays with the case. Returns how many messages were dropped.
 */
export async function dropExpiredEmails(deps: AppDeps, options: { retentionDays: number }): Promise<number> {
  let dropped = 0;
  for (;;) {
    const batch = await deps.storage.transaction(async (tx) => {
      const now = nowIso(deps);
      let count = 0;
      const due = await tx.emails.listDroppable(retentionCutoff(now, options.retentionDays), BATCH);
      for (const email of due) {
        // Another instance may have dropped it since the list was read: only the one that removed it records it.
        if (!(await tx.emails.purgeContent(email.schoolId, email.id, { withhold: false }))) continue;
        await tx.audit.append(
          { schoolId: email.schoolId, actorId: null, action: 'case.email_dropped', caseId: email.caseId, detail: { ...removedEvidenceDetail(email), reason: 'retention', retentionDays: options.retentionDays } },
          now,
        );
        count += 1;
      }
      return { count, full: due.length === BATCH };
    });
    dropped += batch.count;
    if (!batch.full) return dropped;
  }
}
