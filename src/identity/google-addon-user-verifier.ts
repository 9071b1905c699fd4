import { OAuth2Client } from 'google-auth-library';
import { decodeProtectedHeader } from 'jose';
import type { SignedInIdentity } from '../domain/identity.ts';
import { WorkspaceRequestRefused } from './google-workspace-request-verifier.ts';

/**
 * Verifies who is using the Gmail add-on. Gmail's events carry no user object: the only account DSL Desk may
 * trust is the one in `authorizationEventObject.userIdToken`, an ID token Google signs for the add-on's own
 * OAuth client (the deployment's `oauthClientId`), present because the add-on asks for userinfo.email:
 *  - signature against Google's published keys, RS256 only, issuer Google, not expired;
 *  - `aud` is exactly this deployment's OAuth client id (another add-on's user token is refused);
 *  - `email_verified` is true and `sub` is present.
 * The request itself is verified separately (the system token in Authorization; see
 * google-workspace-request-verifier.ts): both must hold.
 */
export interface GoogleAddonUserVerifierOptions {
  certsUrl: string;
  /** The add-on deployment's OAuth client id (GOOGLE_ADDON_OAUTH_CLIENT_ID). */
  oauthClientId: string;
  fetchTimeoutMs?: number;
}

export interface GoogleAddonUserVerifier {
  /** The user as DSL Desk resolves people; throws WorkspaceRequestRefused when the token is not good. */
  verify(userIdToken: string | undefined): Promise<SignedInIdentity & { provider: 'google'; email: string }>;
}

const GOOGLE_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];

export function createGoogleAddonUserVerifier(options: GoogleAddonUserVerifierOptions): GoogleAddonUserVerifier {
  // google-auth-library skips the audience check when given none.
  if (!options.oauthClientId) throw new Error('the Gmail add-on user verifier needs the add-on OAuth client id');
  const client = new OAuth2Client({
    endpoints: { oauth2FederatedSignonPemCertsUrl: options.certsUrl },
    issuers: GOOGLE_ISSUERS,
    transporterOptions: { timeout: options.fetchTimeoutMs ?? 5_000, fetchImplementation: (input, init) => fetch(input, init) },
  });

  return {
    async verify(token) {
      if (!token) throw new WorkspaceRequestRefused('no user ID token: the add-on must ask for the userinfo.email scope');
      let alg: unknown;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw new WorkspaceRequestRefused('the user ID token is not a JWT');
      }
      if (alg !== 'RS256') throw new WorkspaceRequestRefused('the user ID token is not signed with RS256');
      let payload: Record<string, unknown> | undefined;
      try {
        const ticket = await client.verifyIdToken({ idToken: token, audience: options.oauthClientId });
        payload = ticket.getPayload() as Record<string, unknown> | undefined;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (message.startsWith('Failed to retrieve verification certificates')) throw new WorkspaceRequestRefused('Google’s signing keys could not be fetched', { unavailable: true });
        if (message.startsWith('Wrong recipient')) throw new WorkspaceRequestRefused('the user ID token is for another OAuth client (not this add-on)');
        if (message.includes('Token used too late')) throw new WorkspaceRequestRefused('the user ID token has expired');
        // The library's other messages may quote the token or its claims: keep none of it.
        throw new WorkspaceRequestRefused('the user ID token is not a valid Google ID token');
      }
      const subject = typeof payload?.sub === 'string' ? payload.sub : '';
      const email = typeof payload?.email === 'string' ? payload.email.trim().toLowerCase() : '';
      const at = email.lastIndexOf('@');
      if (!subject) throw new WorkspaceRequestRefused('the user ID token names no account');
      if (at < 1) throw new WorkspaceRequestRefused('the user ID token carries no email address (the add-on needs the userinfo.email scope)');
      if (payload?.email_verified !== true) throw new WorkspaceRequestRefused('the user’s email address is not verified by Google');
      const displayName = typeof payload?.name === 'string' && payload.name.trim() ? payload.name.trim() : undefined;
      // The Workspace domain is the address's own, as for Chat users: that is how schools are found.
      return { provider: 'google', tenantId: email.slice(at + 1), subject, email, emailVerified: true, ...(displayName ? { displayName } : {}) };
    },
  };
}
