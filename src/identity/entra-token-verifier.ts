import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { AppError } from '../domain/errors.ts';
import { SIGN_IN_NOT_VERIFIED, SIGN_IN_UNAVAILABLE } from './verified-identity.ts';
import type { TokenVerifier, VerifiedIdentity } from './verified-identity.ts';

/** Settings for createEntraTokenVerifier; only the metadata URL and audiences are required. */
export interface EntraTokenVerifierOptions {
  /** e.g. https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration */
  openIdMetadataUrl: string;
  /** Accepted `aud` values: our app's client id and/or Application ID URI. */
  audiences: string[];
  /**
   * The delegated scope our API exposes (`scp`), default `access_as_user`. A token for our audience but
   * another of its scopes, or none, is refused unless it carries one of `appRoles`.
   */
  requiredScope?: string;
  /** App roles (`roles`) defined on our app registration that are accepted instead of the scope. */
  appRoles?: string[];
  clockToleranceSeconds?: number;
  fetchTimeoutMs?: number;
  /** How long a fetched metadata document is trusted before it is fetched again. */
  metadataMaxAgeSeconds?: number;
  /** After a failed metadata fetch, wait this long before trying again, so an outage is not hammered. */
  metadataRetryAfterSeconds?: number;
}

interface OpenIdMetadata {
  issuer: string;
  jwksUri: string;
}

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;

// The `common` and `organizations` metadata documents publish this placeholder instead of a tenant.
const TENANT_PLACEHOLDER = '{tenantid}';

/** Verifies Microsoft Entra ID access/ID tokens (v2.0) against the issuer's published metadata and keys. */
export function createEntraTokenVerifier(options: EntraTokenVerifierOptions): TokenVerifier {
  // An empty list would make jose skip the audience check altogether, so refuse to start instead.
  if (options.audiences.length === 0) throw new Error('createEntraTokenVerifier needs at least one audience');
  const fetchTimeoutMs = options.fetchTimeoutMs ?? 5_000;
  const requiredScope = options.requiredScope ?? 'access_as_user';
  const appRoles = new Set(options.appRoles ?? []);
  const metadata = createMetadataCache({
    url: options.openIdMetadataUrl,
    fetchTimeoutMs,
    maxAgeMs: (options.metadataMaxAgeSeconds ?? 24 * 60 * 60) * 1000,
    retryAfterMs: (options.metadataRetryAfterSeconds ?? 30) * 1000,
  });
  let keySet: { uri: string; keys: RemoteKeySet } | undefined;

  return {
    async verify(token: string): Promise<VerifiedIdentity> {
      const { issuer, jwksUri } = await metadata.get();
      // jose caches keys per key set and refetches on an unknown kid, so keep one per jwks_uri.
      if (keySet?.uri !== jwksUri) {
        keySet = { uri: jwksUri, keys: createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: fetchTimeoutMs }) };
      }

      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keySet.keys, {
          algorithms: ['RS256'],
          audience: options.audiences,
          clockTolerance: options.clockToleranceSeconds ?? 60,
          // jose only checks exp when it is present; a token that never expires is not acceptable.
          requiredClaims: ['exp', 'tid', 'oid'],
        }));
      } catch (error) {
        if (isKeyFetchFailure(error)) throw identityUnavailable(`Entra signing keys unavailable: ${describeJoseError(error)}`);
        throw unauthenticated(`Entra token rejected: ${describeJoseError(error)}`);
      }

      const tenantId = nonEmptyString(payload.tid);
      const subject = nonEmptyString(payload.oid);
      if (!tenantId || !subject) throw unauthenticated('Entra token rejected: tid and oid must be non-empty strings');

      // The signing keys are shared by every tenant, so only the issuer ties the token to the tenant it claims.
      const expectedIssuer = issuer.includes(TENANT_PLACEHOLDER) ? issuer.replaceAll(TENANT_PLACEHOLDER, tenantId) : issuer;
      if (payload.iss !== expectedIssuer) {
        throw unauthenticated(`Entra token rejected: issuer ${JSON.stringify(payload.iss)} is not ${JSON.stringify(expectedIssuer)}`);
      }

      // Our audience is not enough: a token the client obtained for another of our API's scopes (or an ID
      // token, which carries none) does not grant what this API does.
      const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ') : [];
      const roles = Array.isArray(payload.roles) ? payload.roles : [];
      if (!scopes.includes(requiredScope) && !roles.some((role) => typeof role === 'string' && appRoles.has(role))) {
        throw new AppError('unauthenticated', `This sign-in was not issued for DSL Desk (it lacks the ${requiredScope} permission). Sign in to DSL Desk again.`, {
          internal: `Entra token rejected: scp ${JSON.stringify(payload.scp ?? null)} lacks ${requiredScope} and roles hold none accepted`,
        });
      }

      const signInName = nonEmptyString(payload.preferred_username) ?? nonEmptyString(payload.upn);
      // The `email` claim is an attribute anyone with rights over the account (or a guest's home tenant) can
      // set; the sign-in name of a member is in one of the tenant's verified domains.
      const email = signInName ?? nonEmptyString(payload.email);
      const guest = isGuest(payload, tenantId, signInName);
      const displayName = nonEmptyString(payload.name);
      return {
        provider: 'entra',
        tenantId,
        subject,
        ...(email ? { email: email.toLowerCase(), emailVerified: Boolean(signInName) && !guest } : {}),
        ...(guest ? { guest } : {}),
        ...(displayName ? { displayName } : {}),
      };
    },
  };
}

function createMetadataCache(settings: { url: string; fetchTimeoutMs: number; maxAgeMs: number; retryAfterMs: number }) {
  let cached: { value: OpenIdMetadata; fetchedAt: number } | undefined;
  let lastFailure: { at: number; reason: string } | undefined;
  let inFlight: Promise<OpenIdMetadata> | undefined;

  function refresh(): Promise<OpenIdMetadata> {
    return fetchMetadata(settings.url, settings.fetchTimeoutMs).then(
      (value) => {
        cached = { value, fetchedAt: Date.now() };
        lastFailure = undefined;
        return value;
      },
      (error: unknown) => {
        lastFailure = { at: Date.now(), reason: error instanceof Error ? error.message : String(error) };
        return staleOrThrow();
      },
    );
  }

  // Issuer and jwks_uri almost never change, so an old document beats refusing every sign-in during an outage.
  function staleOrThrow(): OpenIdMetadata {
    if (cached) return cached.value;
    throw identityUnavailable(`Entra OpenID metadata unavailable: ${lastFailure?.reason ?? 'unknown error'}`);
  }

  return {
    async get(): Promise<OpenIdMetadata> {
      const now = Date.now();
      if (cached && now - cached.fetchedAt < settings.maxAgeMs) return cached.value;
      if (lastFailure && now - lastFailure.at < settings.retryAfterMs) return staleOrThrow();
      // Concurrent requests share one fetch rather than stampeding the metadata endpoint.
      inFlight ??= refresh().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}

async function fetchMetadata(url: string, timeoutMs: number): Promise<OpenIdMetadata> {
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`GET ${url} answered HTTP ${response.status}`);
  const body: unknown = await response.json();
  const issuer = isRecord(body) ? nonEmptyString(body.issuer) : undefined;
  const jwksUri = isRecord(body) ? nonEmptyString(body.jwks_uri) : undefined;
  if (!issuer || !jwksUri || !URL.canParse(jwksUri)) throw new Error(`GET ${url} returned no usable issuer and jwks_uri`);
  return { issuer, jwksUri };
}

function describeJoseError(error: unknown): string {
  // jose messages name the failed check but never echo the token; its `payload` property is left out on purpose.
  if (error instanceof joseErrors.JOSEError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * A B2B guest: signed in to the school's tenant with an account of another organisation (or a personal one).
 * Entra says so in several ways, depending on the token version and optional claims: `acct` 1 (guest),
 * an `idp` (the home identity provider) other than this tenant, or `#EXT#` in the sign-in name.
 */
function isGuest(payload: JWTPayload, tenantId: string, signInName: string | undefined): boolean {
  if (payload.acct === 1) return true;
  const idp = nonEmptyString(payload.idp);
  if (idp && idp !== payload.iss && idp !== `https://sts.windows.net/${tenantId}/`) return true;
  return (signInName ?? nonEmptyString(payload.upn) ?? '').toUpperCase().includes('#EXT#');
}

/**
 * The signing keys could not be fetched: a timeout, a network error, or an answer that is not a key set.
 * jose raises its generic JOSEError (no subclass) only for the last of these.
 */
function isKeyFetchFailure(error: unknown): boolean {
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) return true;
  if (error instanceof joseErrors.JOSEError) return error.code === 'ERR_JOSE_GENERIC';
  return true;
}

function identityUnavailable(reason: string): AppError {
  return new AppError('identity_unavailable', SIGN_IN_UNAVAILABLE, { internal: reason });
}

function unauthenticated(reason: string): AppError {
  return new AppError('unauthenticated', SIGN_IN_NOT_VERIFIED, { internal: reason });
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
