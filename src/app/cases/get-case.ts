import type { AuditEvent } from '../../domain/audit.ts';
import { canActOnCase, canViewCase, caseDetailFor, type Case } from '../../domain/case.ts';
import type { CaseCardRecord } from '../../domain/chat.ts';
import type { LegalHold, StoredEmail } from '../../domain/email-report.ts';
import type { StorageTx } from '../../domain/ports.ts';
import { notFound } from '../../domain/errors.ts';
import { protocolsFor, type Protocol } from '../../domain/incident-types.ts';
import type { Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { PUPIL_RECORD_ROLES } from '../../domain/pupil.ts';
import { hasAnyRole } from '../../domain/roles.ts';
import { casePupilsOf, type CasePupilsView } from '../pupils/children-on-cases.ts';

export interface CaseDetailView {
  case: Case;
  protocols: Protocol[];
  /** Who did what and when, from the audit log (codes and ids only). */
  chronology: Pick<AuditEvent, 'seq' | 'at' | 'actorId' | 'action' | 'detail'>[];
  canAct: boolean;
  /** Reported emails: the analysis (verdict, signals, attachments by name and hash), never the message itself. */
  emails: Omit<StoredEmail, 'schoolId' | 'caseId'>[];
  /** The legal hold on the case's reported emails, if any (retention drops nothing while it stands). */
  legalHold?: LegalHold;
  /** Display names of everyone the record mentions (reporters, DSLs who acted), by person id. */
  names: Record<string, string>;
  /** Where the case's cards went and whether they arrived, so "not delivered" is visible on the case. */
  /**
   * For the DSLs, deputies and the head: the children on the case (pupils, and typed names flagged to link) and the
   * current protection statuses of the linked pupils.
   */
  pupils?: CasePupilsView;
  deliveries: (Pick<CaseCardRecord, 'target' | 'state' | 'failure' | 'updatedAt'> & { platform: CaseCardRecord['platform'] | 'email' })[];
}

/**
 * Opens a case's full record. Reading is itself recorded: the access event is written in the same
 * transaction as the read, so nobody sees a case without leaving a trace.
 */
export async function getCase(deps: AppDeps, options: { actor: Actor; caseId: string }): Promise<CaseDetailView> {
  const { actor, caseId } = options;
  return deps.storage.transaction(async (tx) => {
    const header = await tx.cases.getHeader(actor.schoolId, caseId);
    // Authorise on the plain columns first, so a case the actor may not see is never even decrypted.
    if (!header || !canViewCase(actor, header)) throw notFound('That case');
    const found = await tx.cases.get(actor.schoolId, caseId);
    if (!found) throw notFound('That case');
    const now = nowIso(deps);
    await tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'case.viewed', caseId, detail: {} }, now);
    const pupils = hasAnyRole(actor, PUPIL_RECORD_ROLES) ? await casePupilsOf(tx, actor.schoolId, caseId, now.slice(0, 10)) : undefined;
    const events = await tx.audit.listForCase(actor.schoolId, caseId);
    return {
      case: caseDetailFor(actor, found),
      protocols: protocolsFor(found.types),
      chronology: events.map((e) => ({ seq: e.seq, at: e.at, actorId: e.actorId, action: e.action, detail: e.detail })),
      canAct: canActOnCase(actor, found),
      ...(pupils ? { pupils } : {}),
      emails: (await tx.emails.listForCase(actor.schoolId, caseId)).map(({ schoolId: _school, caseId: _case, ...email }) => email),
      ...(await tx.emails.getLegalHold(actor.schoolId, caseId).then((hold) => (hold ? { legalHold: hold } : {}))),
      names: await namesFor(tx, actor.schoolId, [
        ...found.reporters.map((r) => r.personId),
        ...events.map((e) => e.actorId),
        found.assigneeId,
        found.subjectPersonId,
      ]),
      deliveries: [
        ...(await tx.chat.listCaseCards(actor.schoolId, caseId)).map(({ target, platform, state, failure, updatedAt }) => ({
          target,
          platform,
          state,
          ...(failure ? { failure } : {}),
          updatedAt,
        })),
        // The school's fallback when Teams did not deliver in time, as 'email:<what Teams did not deliver>'.
        ...(await tx.deliveryFallbacks.listForCase(actor.schoolId, caseId)).map((fallback) => ({
          target: `email:${fallback.target}`,
          platform: 'email' as const,
          state: fallback.state === 'sent' ? ('posted' as const) : ('failed' as const),
          ...(fallback.reason ? { failure: fallback.reason } : {}),
          updatedAt: fallback.at,
        })),
      ],
    };
  });
}

/** Resolves a human reference (CASE-2026-0042) to an id, subject to the same visibility rule. */
export async function findCaseIdByReference(deps: AppDeps, options: { actor: Actor; reference: string }): Promise<string> {
  return deps.storage.transaction(async (tx) => {
    const id = await tx.cases.findIdByReference(options.actor.schoolId, options.reference);
    const header = id ? await tx.cases.getHeader(options.actor.schoolId, id) : undefined;
    if (!id || !header || !canViewCase(options.actor, header)) throw notFound('That case');
    return id;
  });
}

async function namesFor(tx: StorageTx, schoolId: string, ids: (string | null | undefined)[]): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const id of new Set(ids.filter((value): value is string => Boolean(value)))) {
    const person = await tx.people.get(schoolId, id);
    if (person) names[id] = person.displayName;
  }
  return names;
}
