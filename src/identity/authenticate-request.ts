import { decodeJwt } from 'jose';
import type { SignedInIdentity } from '../domain/identity.ts';
import { AppError } from '../domain/errors.ts';
import { SIGN_IN_NOT_VERIFIED, type TokenVerifier } from './verified-identity.ts';

export const SANDBOX_USER_HEADER = 'x-dsl-desk-sandbox-user';
export const SANDBOX_SCHOOL_HEADER = 'x-dsl-desk-sandbox-school';
/** The sandbox header as people type it (curl, the README, the start-up message). */
export const SANDBOX_USER_HEADER_NAME = 'X-DSL-Desk-Sandbox-User';

/** The sandbox's 401 when a request carries no credentials: it names the header a local client must send. */
export const SANDBOX_SIGN_IN_MESSAGE = `Sign in first. In the local sandbox, name a demo person in the ${SANDBOX_USER_HEADER_NAME} header, for example "${SANDBOX_USER_HEADER_NAME}: teacher@demo-school.test" (the start-up message lists them all), or send an Authorization: Bearer token.`;

export interface RequestCredentials {
  authorization?: string;
  sandboxUser?: string;
  sandboxSchool?: string;
  remoteAddress?: string;
}

export interface AuthenticatorOptions {
  entra?: TokenVerifier;
  google?: TokenVerifier;
  /** Only in the local sandbox: a header naming a demo person, from loopback only. */
  sandbox?: { defaultSchoolSlug: string };
}

const GOOGLE_ISSUERS = new Set(['accounts.google.com', 'https://accounts.google.com']);

function isLoopbackAddress(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/**
 * Turns a request's credentials into a verified identity. A bearer token is routed to the verifier of
 * the platform that issued it (the unverified `iss` only picks the verifier; that verifier then checks
 * everything). The sandbox header is refused everywhere except the sandbox, and there only from loopback.
 */
export function createAuthenticator(options: AuthenticatorOptions) {
  return async function authenticate(credentials: RequestCredentials): Promise<SignedInIdentity> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(credentials.authorization ?? '')?.[1];
    if (bearer) {
      let issuer: string | undefined;
      try {
        issuer = decodeJwt(bearer).iss;
      } catch {
        throw new AppError('unauthenticated', SIGN_IN_NOT_VERIFIED, { internal: 'bearer token is not a JWT' });
      }
      const verifier = issuer && GOOGLE_ISSUERS.has(issuer) ? options.google : options.entra;
      if (!verifier) throw new AppError('unauthenticated', SIGN_IN_NOT_VERIFIED, { internal: 'no verifier configured for this issuer' });
      return verifier.verify(bearer);
    }
    if (credentials.sandboxUser !== undefined) {
      if (!options.sandbox) throw new AppError('unauthenticated', 'Sign in with your school account.', { internal: 'sandbox header outside the sandbox' });
      if (!isLoopbackAddress(credentials.remoteAddress)) throw new AppError('unauthenticated', 'The sandbox only accepts requests from this machine.');
      const email = credentials.sandboxUser.trim().toLowerCase();
      if (!email) throw new AppError('unauthenticated', `The ${SANDBOX_USER_HEADER_NAME} header is empty: name a demo person in it, for example teacher@demo-school.test.`);
      return { provider: 'sandbox', tenantId: credentials.sandboxSchool?.trim() || options.sandbox.defaultSchoolSlug, subject: email, email };
    }
    // Only the sandbox mentions its header: elsewhere it does not exist, and naming it would only mislead.
    throw new AppError('unauthenticated', options.sandbox ? SANDBOX_SIGN_IN_MESSAGE : 'Sign in first: send an Authorization: Bearer token.', { internal: 'no credentials' });
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
