import { canViewCase, type Case, type CaseChange, type Result } from '../../domain/case.ts';
import type { NotificationEvent } from '../../domain/case-summary.ts';
import { notFound } from '../../domain/errors.ts';
import type { StorageTx } from '../../domain/ports.ts';
import type { Actor } from '../../domain/roles.ts';
import { enqueueCardRefresh, enqueueNotification } from './case-messages.ts';
import { concurrentChange, nowIso, retryOnConcurrentChange, type AppDeps } from '../deps.ts';

/**
 * The shared path of every action on a case: reload it from our store, check the actor may see it
 * (a case they may not see is "not found"), apply the pure transition, save it only if nobody changed
 * it meanwhile, and write the audit event and outbox messages in the same transaction.
 */
export async function changeCase(
  deps: AppDeps,
  options: { actor: Actor; caseId: string },
  transition: (current: Case, now: string, tx: StorageTx) => Promise<Result<CaseChange>> | Result<CaseChange>,
  /** Work that follows from the change, in the same transaction, after its audit event. */
  afterChange?: (tx: StorageTx, next: Case, now: string) => Promise<void>,
): Promise<Case> {
  const { actor, caseId } = options;
  return retryOnConcurrentChange(() =>
    deps.storage.transaction(async (tx) => {
      const current = await tx.cases.get(actor.schoolId, caseId, { lock: true });
      if (!current || !canViewCase(actor, current)) throw notFound('That case');
      const now = nowIso(deps);
      const result = await transition(current, now, tx);
      if (!result.ok) throw result.error;
      const { next, action, detail } = result.value;
      if (!(await tx.cases.update(next, current.version))) throw concurrentChange();
      await tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action, caseId, detail }, now);
      if (afterChange) await afterChange(tx, next, now);
      await enqueueCardRefresh(tx, next, now);
      // The reporters hear that their report was picked up and that it was closed, never the detail.
      const events: NotificationEvent[] = [];
      if (!current.acknowledgedAt && next.acknowledgedAt) events.push('acknowledged');
      if (current.status !== 'closed' && next.status === 'closed') events.push('closed');
      for (const event of events) {
        for (const reporter of next.reporters) {
          await enqueueNotification(tx, { schoolId: actor.schoolId, caseId, personId: reporter.personId, event, occasion: `v${next.version}` }, now);
        }
      }
      return next;
    }),
  );
}
