import * as rules from '../../domain/case.ts';
import type { Actor } from '../../domain/roles.ts';
import { changeCase } from './change-case.ts';
import type { AppDeps } from '../deps.ts';

/** Adds a note to the case chronology; the text is stored encrypted and never leaves the case. */
export function addCaseNote(deps: AppDeps, options: { actor: Actor; caseId: string; text: string }): Promise<rules.Case> {
  return changeCase(deps, options, (current, now) => rules.addCaseNote(current, options.actor, { id: deps.ids.newId(), text: options.text }, now));
}
