import { DateTime } from 'luxon';
import { ACCESS_ACTIONS, type AccessAction, type AuditDetail } from '../../domain/audit.ts';
import { canViewCase } from '../../domain/case.ts';
import { forbidden, invalidInput, notFound } from '../../domain/errors.ts';
import type { CaseHeader, StorageTx } from '../../domain/ports.ts';
import { ACCESS_LOG_ROLES, hasAnyRole, type Actor } from '../../domain/roles.ts';
import { actorIdOf, nowIso, OPERATOR, type AppDeps, type Operator } from '../deps.ts';

/** One access: who opened what, and when. Ids, codes and references only: never anything of a concern. */
export interface AccessEntry {
  at: string;
  action: AccessAction;
  personId: string | null;
  personName: string | null;
  personEmail: string | null;
  caseId: string | null;
  caseReference: string | null;
  policyId: string | null;
  detail: AuditDetail;
}

export interface AccessFilter {
  /** A case reference (CASE-2026-0042). */
  caseReference?: string;
  /** The email of the person whose accesses to list. */
  personEmail?: string;
  /** A date (YYYY-MM-DD, from the start of that day in the school's time zone) or an ISO instant. */
  since?: string;
  /** A date (to the end of that day in the school's time zone) or an ISO instant. */
  until?: string;
  limit?: number;
}

export const ACCESS_LIST_MAX = 5000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function instantOf(value: string, edge: 'since' | 'until', timeZone: string): string {
  const trimmed = value.trim();
  const parsed = DATE_ONLY.test(trimmed) ? DateTime.fromISO(trimmed, { zone: timeZone }) : DateTime.fromISO(trimmed, { setZone: true });
  if (!parsed.isValid) throw invalidInput(`Give ${edge} as a date such as 2026-11-23, or a date and time such as 2026-11-23T08:15:00Z.`, [{ path: edge, message: 'Give a date such as 2026-11-23.' }]);
  const bounded = DATE_ONLY.test(trimmed) ? (edge === 'since' ? parsed.startOf('day') : parsed.endOf('day')) : parsed;
  return bounded.toUTC().toISO() ?? '';
}

/**
 * Who opened what, for the DSL and the headteacher (and the operator's CLI): access events by case, by
 * person and by date. A person sees only the accesses to cases they may see themselves, so the subject of an
 * allegation (a head, say) never learns of it from the log; case lists show only the references they may see.
 * Reading the log is itself an access, recorded in the same transaction.
 */
export async function listAccessEvents(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string; filter: AccessFilter }): Promise<{ entries: AccessEntry[]; truncated: boolean }> {
  const { actor, schoolId, filter } = options;
  if (actor !== OPERATOR && (actor.schoolId !== schoolId || !hasAnyRole(actor, ACCESS_LOG_ROLES))) throw forbidden('Only the DSL and the headteacher can see who opened what.');
  const limit = Math.max(1, Math.min(filter.limit ?? 1000, ACCESS_LIST_MAX));
  return deps.storage.transaction(async (tx) => {
    const school = await tx.schools.get(schoolId);
    if (!school) throw notFound('That school');
    const headers = new Map<string, CaseHeader | undefined>();
    const header = async (caseId: string) => {
      if (!headers.has(caseId)) headers.set(caseId, await tx.cases.getHeader(schoolId, caseId));
      return headers.get(caseId);
    };
    const maySee = async (caseId: string) => {
      const found = await header(caseId);
      return Boolean(found && (actor === OPERATOR || canViewCase(actor, found)));
    };

    let caseId: string | undefined;
    if (filter.caseReference) {
      caseId = await tx.cases.findIdByReference(schoolId, filter.caseReference.trim().toUpperCase());
      if (!caseId || !(await maySee(caseId))) throw notFound('That case');
    }
    let personId: string | undefined;
    if (filter.personEmail) {
      personId = (await tx.people.findByEmail(schoolId, filter.personEmail.trim().toLowerCase()))?.id;
      if (!personId) throw notFound('That person');
    }
    const since = filter.since ? instantOf(filter.since, 'since', school.timeZone) : undefined;
    const until = filter.until ? instantOf(filter.until, 'until', school.timeZone) : undefined;
    if (since && until && until < since) throw invalidInput('The end of the period is before its start.', [{ path: 'until', message: 'Give an end after the start.' }]);

    // One more than asked, to say whether the list was cut short.
    const events = await tx.audit.listByAction(schoolId, {
      actions: ACCESS_ACTIONS,
      ...(caseId ? { caseId } : {}),
      ...(personId ? { actorId: personId } : {}),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
      limit: limit + 1,
    });
    const people = new Map<string, { name: string; email: string } | null>();
    const entries: AccessEntry[] = [];
    for (const event of events.slice(0, limit)) {
      if (event.caseId && !(await maySee(event.caseId))) continue;
      let detail = event.detail;
      if (event.action === 'case.list_viewed' && typeof detail.references === 'string' && actor !== OPERATOR) {
        detail = { ...detail, references: (await visibleReferences(tx, schoolId, detail.references, maySee)).join(',') };
      }
      if (event.actorId && !people.has(event.actorId)) {
        const person = await tx.people.get(schoolId, event.actorId);
        people.set(event.actorId, person ? { name: person.displayName, email: person.email } : null);
      }
      const who = event.actorId ? people.get(event.actorId) : null;
      entries.push({
        at: event.at,
        action: event.action as AccessAction,
        personId: event.actorId,
        personName: who?.name ?? null,
        personEmail: who?.email ?? null,
        caseId: event.caseId,
        caseReference: event.caseId ? ((await header(event.caseId))?.reference ?? null) : null,
        policyId: event.policyId,
        detail,
      });
    }
    await tx.audit.append(
      {
        schoolId,
        actorId: actorIdOf(actor),
        action: 'audit.access_listed',
        ...(caseId ? { caseId } : {}),
        detail: { entries: entries.length, byCase: Boolean(caseId), byPerson: personId ?? null, since: since ?? null, until: until ?? null },
      },
      nowIso(deps),
    );
    return { entries, truncated: events.length > limit };
  });
}

async function visibleReferences(tx: StorageTx, schoolId: string, references: string, maySee: (caseId: string) => Promise<boolean>): Promise<string[]> {
  const visible: string[] = [];
  for (const reference of references.split(',').filter(Boolean)) {
    const id = await tx.cases.findIdByReference(schoolId, reference);
    if (id && (await maySee(id))) visible.push(reference);
  }
  return visible;
}
