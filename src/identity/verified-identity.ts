import type { SignedInIdentity } from '../domain/identity.ts';

/** Who a bearer token proves the caller to be, after its signature and claims have been checked. */
export type VerifiedIdentity = SignedInIdentity;

/**
 * Turns a bearer token into a VerifiedIdentity, or throws AppError('unauthenticated') for a token that is
 * not good enough, or AppError('identity_unavailable') when the provider's keys cannot be fetched.
 */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedIdentity>;
}

/** The one thing a caller is told whenever a token is refused, whatever the reason. */
export const SIGN_IN_NOT_VERIFIED = 'Your sign-in could not be verified. Sign in again.';

/** What a caller is told when the identity provider cannot be reached: not their fault, and worth retrying. */
export const SIGN_IN_UNAVAILABLE = 'Sign-in is unavailable just now; please try again in a minute.';
