import * as rules from '../../domain/case.ts';
import type { Actor } from '../../domain/roles.ts';
import { changeCase } from './change-case.ts';
import type { AppDeps } from '../deps.ts';

/** Reopens a closed case, with the reason recorded in its chronology. */
export function reopenCase(deps: AppDeps, options: { actor: Actor; caseId: string; reason: string }): Promise<rules.Case> {
  return changeCase(deps, options, (current, now) => rules.reopenCase(current, options.actor, { reason: options.reason }, now));
}
