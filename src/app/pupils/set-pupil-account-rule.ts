import { AppError, forbidden } from '../../domain/errors.ts';
import { pupilAccountRuleSchema, type PupilAccountRule } from '../../domain/pupil-accounts.ts';
import type { Actor } from '../../domain/roles.ts';
import { actorIdOf, nowIso, OPERATOR, type AppDeps, type Operator } from '../deps.ts';
import { PUPIL_IMPORT_ROLES } from './import-pupils.ts';

/** Sets (or with null, clears) how the school's pupil accounts are named, for the directory sync to link them. */
export async function setPupilAccountRule(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string; rule: unknown }): Promise<PupilAccountRule | undefined> {
  const { actor, schoolId } = options;
  if (actor !== OPERATOR && (actor.schoolId !== schoolId || !actor.roles.some((role) => (PUPIL_IMPORT_ROLES as readonly string[]).includes(role)))) {
    throw forbidden('Only the DSLs, deputies, the headteacher and the school’s DSL Desk administrator can set how pupil accounts are matched.');
  }
  let rule: PupilAccountRule | undefined;
  if (options.rule !== null) {
    const parsed = pupilAccountRuleSchema.safeParse(options.rule);
    if (!parsed.success) throw new AppError('invalid_input', 'The pupil account rule needs a fix.', { fields: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) });
    rule = parsed.data;
  }
  await deps.storage.transaction(async (tx) => {
    const now = nowIso(deps);
    await tx.pupils.setAccountRule(schoolId, rule ?? null, now);
    await tx.audit.append({ schoolId, actorId: actorIdOf(actor), action: 'pupil.account_rule_set', detail: { emailTemplate: rule?.emailTemplate ?? null } }, now);
  });
  return rule;
}
