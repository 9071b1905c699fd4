import * as rules from '../../domain/case.ts';
import type { Urgency } from '../../domain/incident-types.ts';
import type { Actor } from '../../domain/roles.ts';
import { changeCase } from './change-case.ts';
import type { AppDeps } from '../deps.ts';

/** A DSL overrides the derived urgency, always with a reason. */
export function changeCaseUrgency(deps: AppDeps, options: { actor: Actor; caseId: string; urgency: Urgency; reason: string }): Promise<rules.Case> {
  return changeCase(deps, options, (current, now) => rules.changeCaseUrgency(current, options.actor, { urgency: options.urgency, reason: options.reason }, now));
}
