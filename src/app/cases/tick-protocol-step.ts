import * as rules from '../../domain/case.ts';
import type { Actor } from '../../domain/roles.ts';
import { changeCase } from './change-case.ts';
import type { AppDeps } from '../deps.ts';

/** Records that a step of the case's protocol checklist was done, by whom and when. */
export function tickProtocolStep(deps: AppDeps, options: { actor: Actor; caseId: string; step: string }): Promise<rules.Case> {
  return changeCase(deps, options, (current, now) => rules.tickProtocolStep(current, options.actor, options.step, now));
}
