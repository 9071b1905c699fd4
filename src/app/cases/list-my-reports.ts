import type { MyReport } from '../../domain/ports.ts';
import type { Actor } from '../../domain/roles.ts';
import type { AppDeps } from '../deps.ts';

/** A reporter's own reports with their status only: the DSLs' work on a case stays with the DSLs. */
export async function listMyReports(deps: AppDeps, options: { actor: Actor; limit?: number }): Promise<MyReport[]> {
  return deps.storage.transaction((tx) => tx.cases.findForReporter(options.actor.schoolId, options.actor.personId, options.limit ?? 50));
}
