import * as rules from '../../domain/case.ts';
import type { EscalationAgency } from '../../domain/incident-types.ts';
import type { Actor } from '../../domain/roles.ts';
import { changeCase } from './change-case.ts';
import type { AppDeps } from '../deps.ts';

/** Records a referral to an outside agency, with the reference that agency gave. */
export function escalateCase(deps: AppDeps, options: { actor: Actor; caseId: string; agency: EscalationAgency; reference?: string }): Promise<rules.Case> {
  return changeCase(deps, options, (current, now) =>
    rules.escalateCase(current, options.actor, { agency: options.agency, ...(options.reference ? { reference: options.reference } : {}) }, now),
  );
}
