import type { SignedInIdentity } from '../domain/identity.ts';

/** Who a bearer token proves the caller to be, after its signature and claims have been checked. */
export type VerifiedIdentity = SignedInIdentity;

/** Turns a bearer token into a VerifiedIdentity, or throws AppError('unauthenticated'). */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedIdentity>;
}

/** The one thing a caller is told whenever a token is refused, whatever the reason. */
export const SIGN_IN_NOT_VERIFIED = 'Your sign-in could not be verified. Sign in again.';
