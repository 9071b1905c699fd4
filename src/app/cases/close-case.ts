import * as rules from '../../domain/case.ts';
import type { Actor } from '../../domain/roles.ts';
import { changeCase } from './change-case.ts';
import type { AppDeps } from '../deps.ts';

/** Closes the case with its outcome summary; the reporter is told it was closed, not how. */
export function closeCase(deps: AppDeps, options: { actor: Actor; caseId: string; outcome: string }): Promise<rules.Case> {
  return changeCase(deps, options, (current, now) => rules.closeCase(current, options.actor, { summary: options.outcome }, now));
}
