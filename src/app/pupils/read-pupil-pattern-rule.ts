import { notFound } from '../../domain/errors.ts';
import type { PatternRule } from '../../domain/pupil.ts';
import { hasAnyRole, type Actor } from '../../domain/roles.ts';
import type { AppDeps } from '../deps.ts';
import { patternRuleOf } from './children-on-cases.ts';
import { RULE_ROLES } from './set-pupil-pattern-rule.ts';

/** The school's rule as it stands (the default when it never set one). */
export async function readPupilPatternRule(deps: AppDeps, options: { actor: Actor }): Promise<PatternRule> {
  if (!hasAnyRole(options.actor, [...RULE_ROLES, 'deputy_dsl'])) throw notFound('That school');
  return deps.storage.read((reader) => patternRuleOf(reader, options.actor.schoolId));
}
