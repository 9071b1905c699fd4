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
