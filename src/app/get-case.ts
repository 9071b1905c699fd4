import type { AuditEvent } from '../domain/audit.ts';
import { canActOnCase, canViewCase, caseDetailFor, type Case } from '../domain/case.ts';
import { notFound } from '../domain/errors.ts';
import { protocolsFor, type Protocol } from '../domain/incident-types.ts';
import type { Actor } from '../domain/roles.ts';
import { nowIso, type AppDeps } from './deps.ts';

export interface CaseDetailView {
  case: Case;
  protocols: Protocol[];
  /** Who did what and when, from the audit log (codes and ids only). */
  chronology: Pick<AuditEvent, 'seq' | 'at' | 'actorId' | 'action' | 'detail'>[];
  canAct: boolean;
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
    await tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'case.viewed', caseId, detail: {} }, nowIso(deps));
    const events = await tx.audit.listForCase(actor.schoolId, caseId);
    return {
      case: caseDetailFor(actor, found),
      protocols: protocolsFor(found.types),
      chronology: events.map((e) => ({ seq: e.seq, at: e.at, actorId: e.actorId, action: e.action, detail: e.detail })),
      canAct: canActOnCase(actor, found),
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
