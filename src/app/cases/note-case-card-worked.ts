import { canActOnCase } from '../../domain/case.ts';
import { CHANNEL_TARGET } from '../../domain/chat.ts';
import type { Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/**
 * Someone who may act on the case pressed a button or sent a form on its channel card: edits of the shared
 * message wait until the card has been quiet (see cardEditDueAt), so the forms in their own view are not
 * re-rendered under them. Nothing is recorded for anyone else, nor when the card has not been posted.
 */
export async function noteCaseCardWorked(deps: AppDeps, options: { actor: Actor; caseId: string }): Promise<boolean> {
  const { actor, caseId } = options;
  return deps.storage.transaction(async (tx) => {
    const found = await tx.cases.get(actor.schoolId, caseId);
    if (!found || !canActOnCase(actor, found)) return false;
    return tx.chat.markCaseCardWorked(actor.schoolId, caseId, CHANNEL_TARGET, nowIso(deps));
  });
}
