/**
 * A signed-in identity after its token was verified by the platform's own mechanism. Which school
 * and person it is, and what they may do, is decided from DSL Desk's records, never from the token.
 */
export interface SignedInIdentity {
  provider: 'entra' | 'google' | 'sandbox';
  /** Entra tenant id, Google Workspace domain, or the sandbox school's slug. */
  tenantId: string;
  /** Entra object id, Google subject, or the sandbox person's email. */
  subject: string;
  email?: string;
  /**
   * The provider vouches that `email` belongs to this account in the school's own directory: a Google
   * address with `email_verified`, an Entra member's sign-in name. Only then may it link an imported person.
   */
  emailVerified?: boolean;
  /** A B2B guest in the school's Entra tenant: signed in there, but belonging to another organisation. */
  guest?: boolean;
  displayName?: string;
}
