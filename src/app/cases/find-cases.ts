import { canViewCase } from '../../domain/case.ts';
import { forbidden } from '../../domain/errors.ts';
import type { CaseFilter, CaseHeader } from '../../domain/ports.ts';
import { hasAnyRole, isCaseHandler, type Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';

export interface CasePage {
  cases: CaseHeader[];
  /** Pass back as `before` for the next page; absent on the last page. */
  next?: { createdAt: string; id: string };
}

/**
 * Lists the cases the actor may see, newest first. Only headers: types, urgency and status, never the
 * concern itself. Restricted cases and cases about the actor are filtered out row by row.
 */
export async function findCases(deps: AppDeps, options: { actor: Actor; filter: CaseFilter }): Promise<CasePage> {
  const { actor, filter } = options;
  if (!isCaseHandler(actor) && !hasAnyRole(actor, ['it', 'chair_of_governors'])) throw forbidden('Only the DSL team and IT can list cases. Your own reports are under "My reports".');
  return deps.storage.transaction(async (tx) => {
    const visible: CaseHeader[] = [];
    let before = filter.before;
    let more = true;
    // Keep reading pages until the visible ones fill the request, so hidden rows never shorten a page.
    while (more && visible.length < filter.limit) {
      const batch = await tx.cases.find(actor.schoolId, { ...filter, ...(before ? { before } : {}), limit: filter.limit });
      more = batch.length === filter.limit;
      for (const [index, header] of batch.entries()) {
        before = { createdAt: header.createdAt, id: header.id };
        if (canViewCase(actor, header)) visible.push(header);
        if (visible.length === filter.limit) {
          more = more || index < batch.length - 1;
          break;
        }
      }
    }
    // Listing is an access too: who saw which references (never anything of a concern), in the same transaction.
    await tx.audit.append(
      { schoolId: actor.schoolId, actorId: actor.personId, action: 'case.list_viewed', detail: { cases: visible.length, references: visible.map((header) => header.reference).join(',') } },
      nowIso(deps),
    );
    const last = visible.at(-1);
    return { cases: visible, ...(more && last ? { next: { createdAt: last.createdAt, id: last.id } } : {}) };
  });
}
