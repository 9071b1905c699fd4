import { AppError } from './errors.ts';

/**
 * Trusts and local authorities. An organisation owns one or more Microsoft 365 tenants and/or Google
 * Workspace domains and one or more schools; a single school is an organisation of one. Which school a
 * person of the organisation's directory belongs to is decided by the organisation's membership rules over
 * directory facts, with per-person overrides. Pure: no storage, no clock.
 */
export const ORGANISATION_KINDS = ['trust', 'local_authority', 'school'] as const;
export type OrganisationKind = (typeof ORGANISATION_KINDS)[number];

export interface Organisation {
  id: string;
  name: string;
  slug: string;
  /** `school` is the organisation of one school every single-school deployment has. */
  kind: OrganisationKind;
  createdAt: string;
}

export type DirectoryProvider = 'entra' | 'google';

export interface OrganisationDirectory {
  provider: DirectoryProvider;
  /** Entra tenant id or Google Workspace domain, lower case. */
  key: string;
}

/** Roles across the organisation's schools; a school role (DSL, head, admin) is still granted per school. */
export const ORGANISATION_ROLES = ['trust_safeguarding_lead', 'trust_admin'] as const;
export type OrganisationRole = (typeof ORGANISATION_ROLES)[number];

export const ORGANISATION_ROLE_LABELS: Record<OrganisationRole, string> = {
  trust_safeguarding_lead: 'Trust safeguarding lead (each school’s figures, no case content)',
  trust_admin: 'Trust DSL Desk administrator (schools, rules and people)',
};

export function isOrganisationRole(value: string): value is OrganisationRole {
  return (ORGANISATION_ROLES as readonly string[]).includes(value);
}

/** Directory facts a rule can test. `extensionAttribute1`…`15` are Entra's on-premises extension attributes. */
export const MEMBERSHIP_FACTS = ['company', 'department', 'office', 'group', 'domain', ...Array.from({ length: 15 }, (_, i) => `extensionAttribute${i + 1}`)] as const;
export type MembershipFact = (typeof MEMBERSHIP_FACTS)[number];

export function isMembershipFact(value: string): value is MembershipFact {
  return (MEMBERSHIP_FACTS as readonly string[]).includes(value);
}

export interface MembershipRule {
  id: string;
  organisationId: string;
  /** Rules are listed and tested in this order; every matching rule adds its school. */
  position: number;
  fact: MembershipFact;
  /** Compared without regard to case or surrounding spaces; a `domain` also matches its subdomains. */
  value: string;
  schoolId: string;
  createdAt: string;
}

export interface MembershipOverride {
  organisationId: string;
  email: string;
  schoolId: string;
  createdAt: string;
}

/** What the directory says about one account, as far as membership is concerned. */
export interface DirectoryFacts {
  email: string;
  company?: string | null;
  department?: string | null;
  office?: string | null;
  groups?: readonly string[];
  extensionAttributes?: Readonly<Record<string, string | null | undefined>>;
}

export type MembershipReason = 'override' | 'rule' | 'only_school' | 'none';

export interface Membership {
  schoolIds: string[];
  reason: MembershipReason;
  /** The rules that matched (ids), for a dry run to show why. */
  ruleIds: string[];
}

/**
 * Which of the organisation's schools an account belongs to. An override for the address wins outright
 * (it is how the trust admin settles a person the rules get wrong); otherwise every matching rule adds its
 * school, so one account can belong to two schools. An organisation of one school with no rules keeps
 * everyone of its directory in that school, as before trusts existed.
 */
export function membershipOf(facts: DirectoryFacts, context: { schoolIds: readonly string[]; rules: readonly MembershipRule[]; overrides: readonly MembershipOverride[] }): Membership {
  const email = facts.email.trim().toLowerCase();
  const known = new Set(context.schoolIds);
  const overridden = unique(context.overrides.filter((o) => o.email === email && known.has(o.schoolId)).map((o) => o.schoolId));
  if (overridden.length > 0) return { schoolIds: overridden, reason: 'override', ruleIds: [] };
  const matched = [...context.rules].sort((a, b) => a.position - b.position).filter((rule) => known.has(rule.schoolId) && ruleMatches(rule, facts));
  if (matched.length > 0) return { schoolIds: unique(matched.map((r) => r.schoolId)), reason: 'rule', ruleIds: matched.map((r) => r.id) };
  if (context.rules.length === 0 && context.schoolIds.length === 1) return { schoolIds: [...context.schoolIds], reason: 'only_school', ruleIds: [] };
  return { schoolIds: [], reason: 'none', ruleIds: [] };
}

export function ruleMatches(rule: Pick<MembershipRule, 'fact' | 'value'>, facts: DirectoryFacts): boolean {
  const wanted = normalise(rule.value);
  switch (rule.fact) {
    case 'company':
      return normalise(facts.company) === wanted;
    case 'department':
      return normalise(facts.department) === wanted;
    case 'office':
      return normalise(facts.office) === wanted;
    case 'group':
      return (facts.groups ?? []).some((group) => normalise(group) === wanted);
    case 'domain': {
      const domain = normalise(facts.email.slice(facts.email.lastIndexOf('@') + 1));
      return domain === wanted || domain.endsWith(`.${wanted}`);
    }
    default:
      return normalise(facts.extensionAttributes?.[rule.fact]) === wanted;
  }
}

/**
 * `department=Oakfield` (or `extensionAttribute3=OAK`, `domain=oakfield.org.uk`, `group=Oakfield staff`)
 * into a fact and a value, refusing anything else with what to write instead.
 */
export function parseRuleCondition(condition: string): { fact: MembershipFact; value: string } {
  const at = condition.indexOf('=');
  const fact = at > 0 ? condition.slice(0, at).trim() : '';
  const value = at > 0 ? condition.slice(at + 1).trim() : '';
  if (!isMembershipFact(fact) || value === '') {
    throw new AppError('invalid_input', `A rule is written fact=value, where fact is one of ${MEMBERSHIP_FACTS.slice(0, 5).join(', ')} or extensionAttribute1…15 (for example department=Oakfield).`, {
      fields: [{ path: 'when', message: 'Write fact=value.' }],
    });
  }
  return { fact, value };
}

function normalise(value: string | null | undefined): string {
  return (value ?? '').trim().toLowerCase();
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
