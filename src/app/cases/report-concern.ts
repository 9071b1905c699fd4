import { createHash } from 'node:crypto';
import { formatCaseReference, openCase, addReporter, type CaseStatus } from '../../domain/case.ts';
import type { CaseSource, Concern, ReportChannel } from '../../domain/concern.ts';
import { invalidInput } from '../../domain/errors.ts';
import type { StorageTx } from '../../domain/ports.ts';
import type { Actor } from '../../domain/roles.ts';
import type { ReportedChild } from '../../domain/pupil.ts';
import { addReportedChildren, childrenOfReport, raisePupilPatterns } from '../pupils/children-on-cases.ts';
import { enqueueCardRefresh, enqueueNewCaseMessages, enqueueUrgentCheck } from './case-messages.ts';
import { concurrentChange, nowIso, retryOnConcurrentChange, type AppDeps } from '../deps.ts';

export interface ReportConcernOptions {
  actor: Actor;
  concern: Concern;
  source?: CaseSource;
  channel: ReportChannel;
  /** Sent by the client so that a retry or a double click never files a second case. */
  idempotencyKey?: string;
  /**
   * The children the concern is about or involves: picked from the register (pupils of the school on roll), or
   * typed when the search found nobody (kept sealed and flagged for a DSL to link). Stored with the case.
   */
  children?: ReportedChild[];
  /**
   * More to store with the report in the same transaction (a reported email), so the reporter is never
   * told "received" for a report that was only half saved. Not called for a repeated request.
   */
  alsoStore?: (tx: StorageTx, report: { caseId: string; joinedExisting: boolean; now: string }) => Promise<void>;
}

/** What the reporter is told: enough to follow their report, nothing more. */
export interface ReportReceipt {
  caseId: string;
  reference: string;
  status: CaseStatus;
  receivedAt: string;
  /** True when this request repeated an earlier one and no new report was filed. */
  duplicate: boolean;
  /** True when the same message had already been reported and this report joined that case. */
  joinedExisting: boolean;
}

/** The fingerprint of a reported message; the message id itself stays inside the encrypted case. */
export function sourceFingerprint(source: CaseSource): string {
  return createHash('sha256').update(`${source.kind}\n${source.ref}`).digest('hex');
}

/**
 * Files a concern as a case, with its audit event and the outbox message that tells the DSLs, in one
 * transaction. Repeats of the same request return the first receipt; reports of the same message join
 * the case that message already has.
 */
export async function reportConcern(deps: AppDeps, options: ReportConcernOptions): Promise<ReportReceipt> {
  const { actor, concern } = options;
  return retryOnConcurrentChange(() => deps.storage.transaction(async (tx) => {
    const now = nowIso(deps);
    let subjectIsHeadteacher = false;
    if (concern.subjectPersonId) {
      const subject = await tx.people.get(actor.schoolId, concern.subjectPersonId);
      if (!subject) throw invalidInput('The member of staff the allegation is about was not found.', [{ path: 'subjectPersonId', message: 'Choose a member of staff of your school.' }]);
      // Decided from our records when the report is filed: an allegation about a head goes to the chair of governors.
      subjectIsHeadteacher = subject.roles.includes('head');
    }

    // Checked before anything is claimed: a child who is not on the roll is the reporter's to fix, and says so.
    const children = options.children?.length ? await childrenOfReport(tx, actor.schoolId, options.children, now.slice(0, 10)) : [];

    let caseId = deps.ids.newId();
    let joinedCaseId: string | undefined;
    if (options.source) {
      const fingerprint = sourceFingerprint(options.source);
      joinedCaseId = await tx.caseSources.claim(actor.schoolId, fingerprint, caseId, now);
      const joined = joinedCaseId ? await tx.cases.getHeader(actor.schoolId, joinedCaseId) : undefined;
      if (joined?.subjectPersonId === actor.personId) {
        // The person an allegation is about must not learn of it by reporting the same message: theirs is a case of its own.
        joinedCaseId = undefined;
      } else if (joined?.status === 'closed') {
        // A closed case is not watched: a new report of the same message opens a new case, which later reports join.
        await tx.caseSources.reassign(actor.schoolId, fingerprint, caseId);
        joinedCaseId = undefined;
      }
      if (joinedCaseId) caseId = joinedCaseId;
    }
    if (options.idempotencyKey) {
      const earlier = await tx.idempotency.claim(actor.schoolId, actor.personId, options.idempotencyKey, caseId, now);
      if (earlier) return receiptFor(tx, actor, earlier, { duplicate: true, joinedExisting: false });
    }
    if (joinedCaseId) return joinCase(deps, tx, options, joinedCaseId, now, children);

    const year = Number(now.slice(0, 4));
    const reference = formatCaseReference(year, await tx.cases.nextSequence(actor.schoolId, year));
    const created = openCase({
      id: caseId,
      schoolId: actor.schoolId,
      reference,
      concern,
      ...(options.source ? { source: options.source } : {}),
      reporter: { personId: actor.personId, reportedAt: now, channel: options.channel },
      now,
      subjectIsHeadteacher,
    });
    await tx.cases.insert(created);
    const stored = await addReportedChildren(deps, tx, { schoolId: actor.schoolId, caseId, reporterId: actor.personId, children, now });
    await tx.audit.append(
      {
        schoolId: actor.schoolId,
        actorId: actor.personId,
        action: 'case.created',
        caseId,
        detail: { reference, types: created.types.join(','), urgency: created.urgency, restricted: created.restricted, channel: options.channel, aboutStaff: Boolean(created.subjectPersonId), aboutHeadteacher: created.aboutHeadteacher === true, ...childCounts(stored) },
      },
      now,
    );
    await enqueueNewCaseMessages(deps, tx, created, now);
    await raisePupilPatterns(deps, tx, { schoolId: actor.schoolId, caseId, pupilIds: pupilIdsOf(stored), now });
    await options.alsoStore?.(tx, { caseId, joinedExisting: false, now });
    return { caseId, reference, status: created.status, receivedAt: now, duplicate: false, joinedExisting: false };
  }));
}

/** How many children a report named, picked and typed (counts only: the audit log never names a child). */
function childCounts(stored: readonly { pupilId?: string }[]): { children: number; childrenToLink: number } {
  return { children: stored.length, childrenToLink: stored.filter((child) => !child.pupilId).length };
}

function pupilIdsOf(stored: readonly { pupilId?: string }[]): string[] {
  return stored.flatMap((child) => (child.pupilId ? [child.pupilId] : []));
}

async function joinCase(deps: AppDeps, tx: StorageTx, options: ReportConcernOptions, caseId: string, now: string, children: Awaited<ReturnType<typeof childrenOfReport>>): Promise<ReportReceipt> {
  const { actor } = options;
  const existing = await tx.cases.get(actor.schoolId, caseId, { lock: true });
  if (!existing) throw new Error('A case source points at a missing case.');
  const { next, added, changed, urgencyRaised } = addReporter(existing, { personId: actor.personId, reportedAt: now, channel: options.channel }, options.concern);
  // A later reporter of the same message may name children the first did not: they join the case too.
  const stored = await addReportedChildren(deps, tx, { schoolId: actor.schoolId, caseId, reporterId: actor.personId, children, now });
  if (!changed) {
    if (!stored.length) return receiptFor(tx, actor, caseId, { duplicate: true, joinedExisting: true });
    // The same reporter again, saying nothing new but naming a child they had not: the child is kept, audited.
    await tx.audit.append(
      {
        schoolId: actor.schoolId,
        actorId: actor.personId,
        action: 'case.reporter_added',
        caseId,
        detail: { reporters: existing.reporters.length, channel: options.channel, furtherReport: false, againBySameReporter: true, urgency: existing.urgency, ...childCounts(stored) },
      },
      now,
    );
    await enqueueCardRefresh(tx, existing, now);
    await raisePupilPatterns(deps, tx, { schoolId: actor.schoolId, caseId, pupilIds: pupilIdsOf(stored), now });
    await options.alsoStore?.(tx, { caseId, joinedExisting: true, now });
    return receiptFor(tx, actor, caseId, { duplicate: false, joinedExisting: true });
  }
  if (added) await tx.cases.addReporter(actor.schoolId, caseId, actor.personId, now, options.channel);
  if (!(await tx.cases.update(next, existing.version))) throw concurrentChange();
  await tx.audit.append(
    {
      schoolId: actor.schoolId,
      actorId: actor.personId,
      action: 'case.reporter_added',
      caseId,
      detail: { reporters: next.reporters.length, channel: options.channel, furtherReport: next.furtherReports.length > existing.furtherReports.length, againBySameReporter: !added, urgency: next.urgency, ...childCounts(stored) },
    },
    now,
  );
  await enqueueCardRefresh(tx, next, now);
  if (urgencyRaised && next.urgency === 'urgent') await enqueueUrgentCheck(deps, tx, next, now);
  await raisePupilPatterns(deps, tx, { schoolId: actor.schoolId, caseId, pupilIds: pupilIdsOf(stored), now });
  await options.alsoStore?.(tx, { caseId, joinedExisting: true, now });
  return { caseId, reference: existing.reference, status: next.status, receivedAt: now, duplicate: false, joinedExisting: true };
}

async function receiptFor(tx: StorageTx, actor: Actor, caseId: string, flags: Pick<ReportReceipt, 'duplicate' | 'joinedExisting'>): Promise<ReportReceipt> {
  const header = await tx.cases.getHeader(actor.schoolId, caseId);
  const reportedAt = await tx.cases.reportedAt(actor.schoolId, caseId, actor.personId);
  if (!header || !reportedAt) throw new Error('An idempotency key points at a case this reporter is not on.');
  return { caseId, reference: header.reference, status: header.status, receivedAt: reportedAt, ...flags };
}
