import { AppError } from './errors.ts';

/**
 * Roles a person can hold in one school. A person can hold several; roles always come from
 * DSL Desk's own records, never from a token or a card.
 */
export const ROLES = ['staff', 'dsl', 'deputy_dsl', 'head', 'it', 'governor', 'chair_of_governors', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  staff: 'Member of staff (reporter)',
  dsl: 'Designated Safeguarding Lead',
  deputy_dsl: 'Deputy DSL',
  head: 'Headteacher',
  it: 'IT / network manager',
  governor: 'Governor',
  chair_of_governors: 'Chair of governors (receives allegations about the headteacher)',
  admin: 'DSL Desk administrator',
};

/** The people who may triage and act on cases. */
export const CASE_HANDLER_ROLES: readonly Role[] = ['dsl', 'deputy_dsl', 'head'];

/** Who sees a restricted case (an allegation about a member of staff). */
export const RESTRICTED_CASE_ROLES: readonly Role[] = ['dsl', 'head'];

/**
 * Who sees an allegation about the headteacher: the DSLs and the chair of governors, never a head (the
 * subject, or a co-head who works beside them). The chair also acts on it, as the head would otherwise.
 */
export const HEAD_ALLEGATION_ROLES: readonly Role[] = ['dsl', 'chair_of_governors'];

/** Who may list who opened what (the access log). */
export const ACCESS_LOG_ROLES: readonly Role[] = ['dsl', 'head'];

/** The signed-in person, as DSL Desk knows them in one school. */
export interface Actor {
  schoolId: string;
  personId: string;
  displayName: string;
  roles: readonly Role[];
  /**
   * Set only when the person belongs to more than one school of a trust (peripatetic staff, a trust DSL):
   * each of them, this one included. A report must then say which school it is for.
   */
  memberships?: readonly SchoolMembership[];
}

/** The same person in one of their schools. */
export interface SchoolMembership {
  schoolId: string;
  schoolSlug: string;
  schoolName: string;
  personId: string;
  displayName: string;
  roles: readonly Role[];
}

/**
 * The actor in the school a report is for. One school: that one (a named school must be it). Several: the
 * named one (by id or slug), and without a name the report is refused with the choice to make.
 */
export function actorForSchool(actor: Actor, school: string | undefined): Actor {
  const memberships = actor.memberships ?? [];
  if (memberships.length < 2) {
    if (school !== undefined && school !== actor.schoolId) {
      throw new AppError('invalid_input', 'You are not a member of that school in DSL Desk. Leave the school out, or ask the school office to add you.', { fields: [{ path: 'schoolId', message: 'Not one of your schools.' }] });
    }
    return actor;
  }
  const names = memberships.map((m) => `${m.schoolName} (${m.schoolSlug})`).join(', ');
  if (school === undefined) {
    throw new AppError('invalid_input', `You belong to more than one school: ${names}. Say which school this report is for.`, { fields: [{ path: 'schoolId', message: `One of: ${memberships.map((m) => m.schoolSlug).join(', ')}.` }] });
  }
  const chosen = memberships.find((m) => m.schoolId === school || m.schoolSlug === school);
  if (!chosen) throw new AppError('invalid_input', `That is not one of your schools. Choose one of: ${names}.`, { fields: [{ path: 'schoolId', message: 'Not one of your schools.' }] });
  return { schoolId: chosen.schoolId, personId: chosen.personId, displayName: chosen.displayName, roles: chosen.roles, memberships };
}

export function hasAnyRole(actor: Pick<Actor, 'roles'>, roles: readonly Role[]): boolean {
  return actor.roles.some((role) => roles.includes(role));
}

export function isCaseHandler(actor: Pick<Actor, 'roles'>): boolean {
  return hasAnyRole(actor, CASE_HANDLER_ROLES);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
