import * as rules from '../../domain/case.ts';
import type { ActionTaken } from '../../domain/incident-types.ts';
import type { Actor } from '../../domain/roles.ts';
import { changeCase } from './change-case.ts';
import type { AppDeps } from '../deps.ts';

/** Records one of the concern record's "actions taken" (parents informed, referral made, ...). */
export function recordActionTaken(deps: AppDeps, options: { actor: Actor; caseId: string; action: ActionTaken }): Promise<rules.Case> {
  return changeCase(deps, options, (current, now) => rules.recordActionTaken(current, options.actor, options.action, now));
}
