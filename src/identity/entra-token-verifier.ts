import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { AppError } from '../domain/errors.ts';
import { SIGN_IN_NOT_VERIFIED } from './verified-identity.ts';
import type { TokenVerifier, VerifiedIdentity } from './verified-identity.ts';

/** Settings for createEntraTokenVerifier; only the metadata URL and audiences are required. */
export interface EntraTokenVerifierOptions {
  /** e.g. https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration */
  openIdMetadataUrl: string;
  /** Accepted `aud` values: our app's client id and/or Application ID URI. */
  audiences: string[];
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

      const email = nonEmptyString(payload.preferred_username) ?? nonEmptyString(payload.upn) ?? nonEmptyString(payload.email);
      const displayName = nonEmptyString(payload.name);
      return {
        provider: 'entra',
        tenantId,
        subject,
        ...(email ? { email: email.toLowerCase() } : {}),
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
    throw unauthenticated(`Entra OpenID metadata unavailable: ${lastFailure?.reason ?? 'unknown error'}`);
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

function unauthenticated(reason: string): AppError {
  return new AppError('unauthenticated', SIGN_IN_NOT_VERIFIED, { internal: reason });
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
