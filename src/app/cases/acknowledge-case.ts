import * as rules from '../../domain/case.ts';
import type { Actor } from '../../domain/roles.ts';
import { changeCase } from './change-case.ts';
import type { AppDeps } from '../deps.ts';

/** A DSL role says "I have seen this"; the reporter is told. */
export function acknowledgeCase(deps: AppDeps, options: { actor: Actor; caseId: string }): Promise<rules.Case> {
  return changeCase(deps, options, (current, now) => rules.acknowledgeCase(current, options.actor, now));
}
