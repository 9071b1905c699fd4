import { invalidInput, notFound } from '../../domain/errors.ts';
import { patternRuleSchema, type PatternRule } from '../../domain/pupil.ts';
import { hasAnyRole, type Actor } from '../../domain/roles.ts';
import { actorIdOf, nowIso, OPERATOR, type AppDeps, type Operator } from '../deps.ts';

/** Who sets the school's rule for "small worries add up": the DSL and the head (and operators, from the CLI). */
export const RULE_ROLES = ['dsl', 'head'] as const;

/**
 * Sets how many concerns within how many days make a pattern for a pupil, and which types always do. Audited
 * with the rule's numbers. An operator sets it from the CLI for a school by id.
 */
export async function setPupilPatternRule(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string; rule: unknown }): Promise<PatternRule> {
  const { actor, schoolId } = options;
  if (actor !== OPERATOR && (actor.schoolId !== schoolId || !hasAnyRole(actor, RULE_ROLES))) throw notFound('That school');
  const parsed = patternRuleSchema.safeParse(options.rule);
  if (!parsed.success) throw invalidInput('The pattern rule has problems.', parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || 'rule', message: issue.message })));
  const rule = parsed.data as PatternRule;
  return deps.storage.transaction(async (tx) => {
    const now = nowIso(deps);
    if (!(await tx.schools.get(schoolId))) throw notFound('That school');
    await tx.pupilPatterns.setRule(schoolId, rule, actorIdOf(actor), now);
    await tx.audit.append({ schoolId, actorId: actorIdOf(actor), action: 'school.pupil_pattern_rule_set', detail: { count: rule.count, days: rule.days, alwaysTypes: rule.alwaysTypes.join(',') } }, now);
    return rule;
  });
}

