import * as rules from '../../domain/case.ts';
import { invalidInput } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { changeCase } from './change-case.ts';
import type { AppDeps } from '../deps.ts';

/** Gives the case to a DSL role (often "assign to me"); the assignee's roles come from our store. */
export function assignCase(deps: AppDeps, options: { actor: Actor; caseId: string; assigneeId: string }): Promise<rules.Case> {
  return changeCase(deps, options, async (current, now, tx) => {
    const person = await tx.people.get(options.actor.schoolId, options.assigneeId);
    if (!person || !person.active) {
      throw invalidInput('That person was not found in your school.', [{ path: 'assigneeId', message: 'Choose a DSL, deputy DSL or the headteacher.' }]);
    }
    const assignee: Actor = { schoolId: person.schoolId, personId: person.id, displayName: person.displayName, roles: person.roles };
    return rules.assignCase(current, options.actor, assignee, now);
  });
}
