import { OAuth2Client } from 'google-auth-library';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { LEGACY_CHAT_ISSUER } from '../domain/google-workspace.ts';

/**
 * Verifies that a request to a Workspace add-on endpoint (the Chat app) was sent by Google for DSL Desk's own
 * add-on deployment. Google signs every call with an ID token of the project's add-on service agent:
 *  - the signature against Google's published keys, RS256 only;
 *  - `aud` is the endpoint URL DSL Desk was configured with, never one read from the request (behind a proxy the
 *    request's own URL is not what Google called);
 *  - `email` is exactly our project's service agent: the shape `service-<n>@gcp-sa-gsuiteaddons…` fits every
 *    add-on project in the world, so a pattern would let any of them in;
 *  - `email_verified` is true.
 * Chat apps set up the older way sign with `chat@system.gserviceaccount.com` and the project number as audience;
 * those are accepted only when the deployment says so (GOOGLE_LEGACY_CHAT_TOKENS), and refused otherwise.
 */
export interface GoogleWorkspaceRequestVerifierOptions {
  /** Google's PEM certificates for ID tokens (GOOGLE_CERTS_URL). */
  certsUrl: string;
  /** The endpoint URL Google was told to call: the only accepted audience. */
  audience: string;
  /** The add-on service agent of DSL Desk's Cloud project: the only accepted signer. */
  serviceAccountEmail: string;
  /** Accept tokens of legacy Chat apps (issuer chat@system.gserviceaccount.com, audience = project number). */
  legacy?: { projectNumber: string; certsUrl: string };
  fetchTimeoutMs?: number;
  /** The clock for the legacy certificates' cache (tests). */
  now?: () => number;
}

/** What a verified request is: from Google, for DSL Desk's deployment. Nothing about the user is taken from the token. */
export interface VerifiedWorkspaceRequest {
  kind: 'addon' | 'legacy_chat';
}

/** A request that is not Google calling DSL Desk's deployment; `reason` says which check failed, with no token content. */
export class WorkspaceRequestRefused extends Error {
  override name = 'WorkspaceRequestRefused';
  readonly reason: string;
  /** Google's keys could not be fetched: a passing fault on our side, not a forgery (answered 503). */
  readonly unavailable: boolean;
  constructor(reason: string, options: { unavailable?: boolean } = {}) {
    super(reason);
    this.reason = reason;
    this.unavailable = options.unavailable ?? false;
  }
}

export interface GoogleWorkspaceRequestVerifier {
  /** Verifies the Authorization header's bearer token; throws WorkspaceRequestRefused when it is not good. */
  verify(authorization: string | undefined): Promise<VerifiedWorkspaceRequest>;
}

const GOOGLE_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];

export function createGoogleWorkspaceRequestVerifier(options: GoogleWorkspaceRequestVerifierOptions): GoogleWorkspaceRequestVerifier {
  if (!options.audience) throw new Error('the Workspace request verifier needs the endpoint URL as its audience');
  if (!options.serviceAccountEmail) throw new Error('the Workspace request verifier needs the add-on service account');
  const transporterOptions = { timeout: options.fetchTimeoutMs ?? 5_000, fetchImplementation: (input: Parameters<typeof fetch>[0], init?: RequestInit) => fetch(input, init) };
  const client = new OAuth2Client({ endpoints: { oauth2FederatedSignonPemCertsUrl: options.certsUrl }, issuers: GOOGLE_ISSUERS, transporterOptions });
  const legacyCerts = options.legacy ? new CertificateCache(options.legacy.certsUrl, options.fetchTimeoutMs ?? 5_000, options.now ?? Date.now) : undefined;
  const expectedEmail = options.serviceAccountEmail.toLowerCase();

  async function verifyAddonToken(token: string): Promise<VerifiedWorkspaceRequest> {
    let payload: Record<string, unknown> | undefined;
    try {
      const ticket = await client.verifyIdToken({ idToken: token, audience: options.audience });
      payload = ticket.getPayload() as Record<string, unknown> | undefined;
    } catch (error) {
      const message = redact(error, token);
      if (message.startsWith('Failed to retrieve verification certificates')) throw new WorkspaceRequestRefused('Google’s signing keys could not be fetched', { unavailable: true });
      if (message.startsWith('Wrong recipient')) throw new WorkspaceRequestRefused('the token is for another endpoint (its audience is not this endpoint’s URL)');
      if (message.includes('Token used too late')) throw new WorkspaceRequestRefused('the token has expired');
      throw new WorkspaceRequestRefused(`the token is not a valid Google ID token (${message})`);
    }
    if (!payload) throw new WorkspaceRequestRefused('the token has no claims');
    const email = typeof payload.email === 'string' ? payload.email.toLowerCase() : '';
    if (email === LEGACY_CHAT_ISSUER) throw new WorkspaceRequestRefused('the token is a legacy Chat app token; this endpoint takes Workspace add-on requests');
    if (email !== expectedEmail) throw new WorkspaceRequestRefused('the token was not issued to this DSL Desk’s Workspace add-on (another project’s service account)');
    if (payload.email_verified !== true) throw new WorkspaceRequestRefused('the service account email in the token is not verified');
    return { kind: 'addon' };
  }

  async function verifyLegacyToken(token: string): Promise<VerifiedWorkspaceRequest> {
    if (!options.legacy || !legacyCerts) throw new WorkspaceRequestRefused('legacy Chat app tokens are not accepted here (GOOGLE_LEGACY_CHAT_TOKENS is off)');
    let certs: Record<string, string>;
    try {
      certs = await legacyCerts.get();
    } catch {
      throw new WorkspaceRequestRefused('Google Chat’s signing certificates could not be fetched', { unavailable: true });
    }
    try {
      await client.verifySignedJwtWithCertsAsync(token, certs, options.legacy.projectNumber, [LEGACY_CHAT_ISSUER]);
    } catch (error) {
      const message = redact(error, token);
      if (message.startsWith('Wrong recipient')) throw new WorkspaceRequestRefused('the legacy Chat token is for another project (its audience is not this project number)');
      if (message.includes('Token used too late')) throw new WorkspaceRequestRefused('the token has expired');
      throw new WorkspaceRequestRefused(`the legacy Chat token is not valid (${message})`);
    }
    return { kind: 'legacy_chat' };
  }

  return {
    async verify(authorization) {
      const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      if (!token) throw new WorkspaceRequestRefused('no bearer token: Google signs every request to this endpoint');
      // The library verifies RSA-SHA256 whatever the header says; pinning alg here refuses "none" and HMAC outright.
      let alg: unknown;
      let issuer: unknown;
      try {
        alg = decodeProtectedHeader(token).alg;
        issuer = decodeJwt(token).iss;
      } catch {
        throw new WorkspaceRequestRefused('the bearer token is not a JWT');
      }
      if (alg !== 'RS256') throw new WorkspaceRequestRefused('the token is not signed with RS256');
      // The unverified issuer only picks the check; each check verifies everything itself.
      return issuer === LEGACY_CHAT_ISSUER ? verifyLegacyToken(token) : verifyAddonToken(token);
    },
  };
}

/** Google Chat's x509 certificates (kid → PEM), kept for as long as Google's Cache-Control allows (an hour at most). */
class CertificateCache {
  #certs: Record<string, string> | undefined;
  #expiresAt = 0;
  #pending: Promise<Record<string, string>> | undefined;
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(url: string, timeoutMs: number, now: () => number) {
    this.#url = url;
    this.#timeoutMs = timeoutMs;
    this.#now = now;
  }

  get(): Promise<Record<string, string>> {
    if (this.#certs && this.#now() < this.#expiresAt) return Promise.resolve(this.#certs);
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #fetch(): Promise<Record<string, string>> {
    const response = await fetch(this.#url, { signal: AbortSignal.timeout(this.#timeoutMs) });
    if (!response.ok) throw new Error(`certificates answered ${response.status}`);
    const body = (await response.json()) as unknown;
    if (!body || typeof body !== 'object') throw new Error('certificates are not a JSON object');
    const certs = Object.fromEntries(Object.entries(body as Record<string, unknown>).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    const maxAge = Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1] ?? 0);
    this.#certs = certs;
    this.#expiresAt = this.#now() + Math.min(maxAge, 3600) * 1000;
    return certs;
  }
}

/**
 * google-auth-library puts the whole token, or its decoded claims, into its error messages; keep only the part
 * that says which check failed.
 */
function redact(error: unknown, token: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const withoutToken = token.length > 0 ? message.replaceAll(token, '[token]') : message;
  const claimsAt = withoutToken.search(/:\s*[{[]/);
  return (claimsAt === -1 ? withoutToken : withoutToken.slice(0, claimsAt)).slice(0, 200);
}
