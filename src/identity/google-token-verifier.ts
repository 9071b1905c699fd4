import { OAuth2Client } from 'google-auth-library';
import { decodeProtectedHeader } from 'jose';
import { AppError } from '../domain/errors.ts';
import { SIGN_IN_NOT_VERIFIED, SIGN_IN_UNAVAILABLE } from './verified-identity.ts';
import type { TokenVerifier, VerifiedIdentity } from './verified-identity.ts';

/** Settings for createGoogleTokenVerifier. */
export interface GoogleTokenVerifierOptions {
  /** Google's PEM certificates endpoint, normally https://www.googleapis.com/oauth2/v1/certs */
  certsUrl: string;
  /** Accepted `aud` values: our OAuth client id(s). */
  audiences: string[];
  allowedIssuers?: string[];
  fetchTimeoutMs?: number;
}

const DEFAULT_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];

/**
 * Verifies Google ID tokens from Workspace accounts. An unverified email address is dropped rather than
 * the whole token refused: `sub` and `hd` are still vouched for by Google, but the address must not be trusted.
 */
export function createGoogleTokenVerifier(options: GoogleTokenVerifierOptions): TokenVerifier {
  // google-auth-library skips the audience check when given none, so refuse to start instead.
  if (options.audiences.length === 0) throw new Error('createGoogleTokenVerifier needs at least one audience');
  const client = new OAuth2Client({
    endpoints: { oauth2FederatedSignonPemCertsUrl: options.certsUrl },
    issuers: options.allowedIssuers ?? DEFAULT_ISSUERS,
    // Native fetch, not gaxios's lazily imported node-fetch: one HTTP stack, and it loads under jest's CommonJS too.
    // The library adds its own retries (up to 3) on top of this per-attempt timeout.
    transporterOptions: { timeout: options.fetchTimeoutMs ?? 5_000, fetchImplementation: (input, init) => fetch(input, init) },
  });

  return {
    async verify(token: string): Promise<VerifiedIdentity> {
      // The library verifies RSA-SHA256 whatever the header says; pinning alg here makes that explicit.
      let alg: unknown;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw unauthenticated('Google token rejected: header is not a decodable JWS header');
      }
      if (alg !== 'RS256') throw unauthenticated(`Google token rejected: alg ${JSON.stringify(alg)} is not RS256`);

      let payload: Record<string, unknown> | undefined;
      try {
        const ticket = await client.verifyIdToken({ idToken: token, audience: options.audiences });
        payload = ticket.getPayload() as Record<string, unknown> | undefined;
      } catch (error) {
        // google-auth-library says so in its message when the certificates could not be fetched at all.
        if (error instanceof Error && error.message.startsWith('Failed to retrieve verification certificates')) {
          throw new AppError('identity_unavailable', SIGN_IN_UNAVAILABLE, { internal: `Google certificates unavailable: ${redact(error, token)}` });
        }
        throw unauthenticated(`Google token rejected: ${redact(error, token)}`);
      }
      if (!payload) throw unauthenticated('Google token rejected: no payload');

      const subject = nonEmptyString(payload.sub);
      if (!subject) throw unauthenticated('Google token rejected: sub must be a non-empty string');
      const tenantId = nonEmptyString(payload.hd);
      if (!tenantId) throw unauthenticated('Google token rejected: no hd claim, so this is a consumer account, not Google Workspace');

      const email = payload.email_verified === true ? nonEmptyString(payload.email) : undefined;
      const displayName = nonEmptyString(payload.name);
      return {
        provider: 'google',
        tenantId: tenantId.toLowerCase(),
        subject,
        ...(email ? { email: email.toLowerCase(), emailVerified: true } : {}),
        ...(displayName ? { displayName } : {}),
      };
    },
  };
}

/**
 * google-auth-library puts the whole token, or its decoded claims (names, emails), into its error messages;
 * keep only the part that says which check failed.
 */
function redact(error: unknown, token: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const withoutToken = token.length > 0 ? message.replaceAll(token, '[token]') : message;
  const claimsAt = withoutToken.search(/:\s*[{[]/);
  return (claimsAt === -1 ? withoutToken : withoutToken.slice(0, claimsAt)).slice(0, 300);
}

function unauthenticated(reason: string): AppError {
  return new AppError('unauthenticated', SIGN_IN_NOT_VERIFIED, { internal: reason });
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
