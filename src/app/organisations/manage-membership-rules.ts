import { AppError } from '../../domain/errors.ts';
import { parseRuleCondition, type MembershipOverride, type MembershipRule } from '../../domain/organisation.ts';
import type { School, StorageTx } from '../../domain/ports.ts';
import type { Actor } from '../../domain/roles.ts';
import { nowIso, OPERATOR, type AppDeps } from '../deps.ts';
import { trustFor } from './trust-access.ts';

/**
 * The trust admin's membership rules (`department=Oakfield` → oakfield) and per-person overrides. Each change
 * is audited in the chain of the school it names, in the same transaction.
 */
type Caller = Actor | typeof OPERATOR;

export interface MembershipRuleView {
  id: string;
  position: number;
  when: string;
  school: string;
}

export async function addMembershipRule(deps: AppDeps, options: { actor: Caller; trust: string; when: string; school: string }): Promise<MembershipRuleView> {
  const { fact, value } = parseRuleCondition(options.when);
  return deps.storage.transaction(async (tx) => {
    const { organisation } = await trustFor(tx, options.actor, options.trust, 'trust_admin');
    const school = await schoolOf(tx, organisation.id, options.school);
    const rules = await tx.organisations.listRules(organisation.id);
    const now = nowIso(deps);
    const rule: MembershipRule = { id: deps.ids.newId(), organisationId: organisation.id, position: Math.max(0, ...rules.map((r) => r.position)) + 1, fact, value, schoolId: school.id, createdAt: now };
    await tx.organisations.insertRule(rule);
    await tx.audit.append({ schoolId: school.id, actorId: actorId(options.actor), action: 'trust.membership_changed', detail: { organisationId: organisation.id, ruleId: rule.id, fact, change: 'rule_added' } }, now);
    return { id: rule.id, position: rule.position, when: `${fact}=${value}`, school: school.slug };
  });
}

export async function listMembershipRules(deps: AppDeps, options: { actor: Caller; trust: string }): Promise<{ rules: MembershipRuleView[]; overrides: { email: string; school: string }[] }> {
  return deps.storage.read(async (reader) => {
    const { organisation } = await trustFor(reader, options.actor, options.trust, 'trust_admin');
    const schools = new Map((await reader.schools.listByOrganisation(organisation.id)).map((s) => [s.id, s.slug]));
    const rules = await reader.organisations.listRules(organisation.id);
    const overrides = await reader.organisations.listOverrides(organisation.id);
    return {
      rules: rules.map((r) => ({ id: r.id, position: r.position, when: `${r.fact}=${r.value}`, school: schools.get(r.schoolId) ?? r.schoolId })),
      overrides: overrides.map((o) => ({ email: o.email, school: schools.get(o.schoolId) ?? o.schoolId })),
    };
  });
}

export async function removeMembershipRule(deps: AppDeps, options: { actor: Caller; trust: string; ruleId: string }): Promise<void> {
  await deps.storage.transaction(async (tx) => {
    const { organisation } = await trustFor(tx, options.actor, options.trust, 'trust_admin');
    const rule = (await tx.organisations.listRules(organisation.id)).find((r) => r.id === options.ruleId);
    if (!rule || !(await tx.organisations.deleteRule(organisation.id, rule.id))) throw new AppError('not_found', 'That rule was not found. List the rules with "dsl-desk trust rule list".');
    await tx.audit.append({ schoolId: rule.schoolId, actorId: actorId(options.actor), action: 'trust.membership_changed', detail: { organisationId: organisation.id, ruleId: rule.id, fact: rule.fact, change: 'rule_removed' } }, nowIso(deps));
  });
}

/** The person belongs to exactly these schools, whatever the rules say; an empty list clears the override. */
export async function setMembershipOverride(deps: AppDeps, options: { actor: Caller; trust: string; email: string; schools: string[] }): Promise<{ email: string; schools: string[] }> {
  const email = options.email.trim().toLowerCase();
  if (!email.includes('@')) throw new AppError('invalid_input', 'Give the person’s directory email address.', { fields: [{ path: 'email', message: 'An email address.' }] });
  return deps.storage.transaction(async (tx) => {
    const { organisation } = await trustFor(tx, options.actor, options.trust, 'trust_admin');
    const schools: School[] = [];
    for (const slug of options.schools) schools.push(await schoolOf(tx, organisation.id, slug));
    const before = (await tx.organisations.listOverrides(organisation.id)).filter((o) => o.email === email);
    await tx.organisations.removeOverrides(organisation.id, email);
    const now = nowIso(deps);
    for (const school of schools) {
      const override: MembershipOverride = { organisationId: organisation.id, email, schoolId: school.id, createdAt: now };
      await tx.organisations.addOverride(override);
    }
    const touched = new Set([...before.map((o) => o.schoolId), ...schools.map((s) => s.id)]);
    for (const schoolId of touched) {
      await tx.audit.append({ schoolId, actorId: actorId(options.actor), action: 'trust.membership_changed', detail: { organisationId: organisation.id, change: schools.length ? 'override_set' : 'override_cleared' } }, now);
    }
    return { email, schools: schools.map((s) => s.slug) };
  });
}

async function schoolOf(tx: StorageTx, organisationId: string, slug: string): Promise<School> {
  const school = await tx.schools.getBySlug(slug);
  if (!school || school.organisationId !== organisationId) throw new AppError('not_found', `"${slug}" is not a school of this trust.`, { fields: [{ path: 'school', message: 'A school slug of this trust.' }] });
  return school;
}

function actorId(actor: Caller): string | null {
  return actor === OPERATOR ? null : actor.personId;
}
