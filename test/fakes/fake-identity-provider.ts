import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import type { CryptoKey, JWTPayload } from 'jose';

/** How a minted token should be built; the defaults give a valid, trusted token. */
export interface MintOptions {
  /** Lifetime from now; negative means already expired. Default 3600. */
  expiresInSeconds?: number;
  omitExp?: boolean;
  /** Seconds from now before which the token is not yet valid (Entra only). */
  notBeforeInSeconds?: number;
  /** 'untrusted' signs with a key that is not published but reuses the trusted kid: a forgery. */
  signWith?: 'trusted' | 'untrusted';
  issuer?: string;
  alg?: 'RS256' | 'none';
  /** Claims to leave out entirely, to test tokens missing something required. */
  omitClaims?: string[];
}

/** Claims of an Entra token; tid, oid and aud are required so tests state them. */
export type EntraClaims = JWTPayload & { tid: string; oid: string; aud: string; [claim: string]: unknown };

/** Claims of a Google ID token; email_verified defaults to true. */
export type GoogleClaims = JWTPayload & { sub: string; aud: string; email: string; hd?: string; email_verified?: boolean; [claim: string]: unknown };

/** The endpoints the fake serves. */
export type FakeEndpoint = 'entraMetadata' | 'entraJwks' | 'googleCerts' | 'legacyChatCerts';

/** What a fake endpoint should do on its next requests. */
export type EndpointBehaviour = 'ok' | 'fail' | 'hang';

/** A running fake of the Entra and Google endpoints that our verifiers call. */
export interface FakeIdentityProvider {
  baseUrl: string;
  entraMetadataUrl: string;
  entraJwksUrl: string;
  /** Metadata for a single tenant, whose issuer has no {tenantid} placeholder. */
  entraTenantMetadataUrl(tenantId: string): string;
  googleCertsUrl: string;
  /** Paths requested so far, in order, so tests can check caching. */
  readonly requests: readonly string[];
  /** Makes an endpoint answer 500 ('fail') or never answer ('hang') until set back to 'ok'. */
  setBehaviour(endpoint: FakeEndpoint, behaviour: EndpointBehaviour): void;
  mintEntraToken(claims: EntraClaims, options?: MintOptions): Promise<string>;
  /** A confidential client (our API) allowed to exchange users' tokens on their behalf; `audience` is its API's aud. */
  registerClient(client: { id: string; secret: string; audience: string; consented?: boolean }): void;
  /** Every on-behalf-of exchange answered, in order. */
  readonly oboExchanges: readonly { tenant: string; oid: string; scope: string }[];
  /** Checks a token this fake issued (e.g. the Graph token a fake API receives) and returns its claims. */
  verifyIssuedToken(token: string): Promise<JWTPayload>;
  mintGoogleToken(claims: GoogleClaims, options?: MintOptions): Promise<string>;
  /** Google Chat's legacy x509 certificates (kid → PEM), as at www.googleapis.com/service_accounts/v1/metadata/x509/chat@… */
  legacyChatCertsUrl: string;
  /** A token as a legacy Chat app receives it: self-signed by chat@system.gserviceaccount.com, `aud` the project number. */
  mintLegacyChatToken(claims: JWTPayload & { aud: string }, options?: MintOptions): Promise<string>;
  close(): Promise<void>;
}

const METADATA_PATH = '/common/v2.0/.well-known/openid-configuration';
const JWKS_PATH = '/common/discovery/v2.0/keys';
const GOOGLE_CERTS_PATH = '/oauth2/v1/certs';
const LEGACY_CHAT_CERTS_PATH = '/service_accounts/v1/metadata/x509/chat@system.gserviceaccount.com';
const TENANT_METADATA_PATH = /^\/([\w-]+)\/v2\.0\/\.well-known\/openid-configuration$/;
const TOKEN_PATH = /^\/([\w-]+)\/oauth2\/v2\.0\/token$/;
const ENDPOINT_PATHS: Record<FakeEndpoint, string> = { entraMetadata: METADATA_PATH, entraJwks: JWKS_PATH, googleCerts: GOOGLE_CERTS_PATH, legacyChatCerts: LEGACY_CHAT_CERTS_PATH };

/** Starts the fake on 127.0.0.1 with fresh RSA keys; call close() when done. */
export async function startFakeIdentityProvider(): Promise<FakeIdentityProvider> {
  const trusted = await generateKeyPair('RS256', { extractable: true });
  const untrusted = await generateKeyPair('RS256', { extractable: true });
  // Entra uses the same value for kid and x5t; Google's kids are opaque hex strings.
  const entraKid = randomUUID().replaceAll('-', '');
  const googleKid = randomUUID().replaceAll('-', '');
  const legacyChatKid = randomUUID().replaceAll('-', '');
  const publicJwk = await exportJWK(trusted.publicKey);
  // google-auth-library hands the PEM straight to crypto.verify, which takes a public key as well as a certificate.
  const publicPem = await exportSPKI(trusted.publicKey);

  const requests: string[] = [];
  const clients = new Map<string, { id: string; secret: string; audience: string; consented: boolean }>();
  const oboExchanges: { tenant: string; oid: string; scope: string }[] = [];
  const behaviours = new Map<string, EndpointBehaviour>();
  let baseUrl = '';

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    requests.push(path);
    const behaviour = behaviours.get(path) ?? 'ok';
    if (behaviour === 'hang') return;
    const sendJson = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      response.end(JSON.stringify(body));
    };
    const tokenTenant = TOKEN_PATH.exec(path)?.[1];
    if (request.method === 'POST' && tokenTenant) {
      if (behaviour === 'fail') return sendJson(500, { error: 'server_error' });
      void answerTokenRequest(request, tokenTenant).then(({ status, body }) => sendJson(status, body));
      return;
    }
    if (request.method !== 'GET') return sendJson(405, { error: 'method_not_allowed' });
    if (behaviour === 'fail') return sendJson(500, { error: 'server_error' });

    switch (path) {
      case METADATA_PATH:
        return sendJson(200, entraMetadata('common', 'https://login.microsoftonline.com/{tenantid}/v2.0'));
      case JWKS_PATH:
        return sendJson(200, {
          keys: [{ kty: 'RSA', use: 'sig', kid: entraKid, x5t: entraKid, n: publicJwk.n, e: publicJwk.e }],
        });
      case GOOGLE_CERTS_PATH:
        // Google sends max-age; without it google-auth-library would refetch on every verification.
        return sendJson(200, { [googleKid]: publicPem }, { 'cache-control': 'public, max-age=3600, must-revalidate, no-transform' });
      case LEGACY_CHAT_CERTS_PATH:
        // Google serves X.509 certificates here; crypto.verify takes the public key PEM just as well.
        return sendJson(200, { [legacyChatKid]: publicPem }, { 'cache-control': 'public, max-age=3600' });
      default: {
        // Tenant-specific metadata: same keys as `common`, but a fixed issuer.
        const tenant = TENANT_METADATA_PATH.exec(path)?.[1];
        if (tenant) return sendJson(200, entraMetadata(tenant, `https://login.microsoftonline.com/${tenant}/v2.0`));
        return sendJson(404, { error: 'not_found' });
      }
    }
  });

  /**
   * The on-behalf-of grant as Entra answers it: the confidential client proves itself with its secret and
   * hands in the user's token; the answer is a token for the downstream API carrying the same user.
   */
  async function answerTokenRequest(request: IncomingMessage, tenant: string): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const client = clients.get(form.get('client_id') ?? '');
    if (!client || client.secret !== form.get('client_secret')) return { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } };
    if (form.get('grant_type') === 'client_credentials') {
      if (!client.consented) return { status: 400, body: { error: 'invalid_grant', error_description: 'AADSTS65001: The administrator has not consented to the application permissions.' } };
      const issuedAt = Math.floor(Date.now() / 1000);
      const appToken = await new SignJWT({ aud: 'https://graph.microsoft.com', tid: tenant, roles: ['Mail.ReadWrite', 'Mail.Send', 'User.Read.All'], azp: client.id, idtyp: 'app', iat: issuedAt, exp: issuedAt + 3600 })
        .setProtectedHeader({ alg: 'RS256', kid: entraKid, typ: 'JWT' })
        .sign(trusted.privateKey);
      return { status: 200, body: { token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: appToken } };
    }
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || form.get('requested_token_use') !== 'on_behalf_of') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'AADSTS70003: only on-behalf-of is served here.' } };
    }
    let user: JWTPayload;
    try {
      ({ payload: user } = await jwtVerify(form.get('assertion') ?? '', trusted.publicKey, { algorithms: ['RS256'] }));
    } catch {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'AADSTS50013: Assertion failed signature validation.' } };
    }
    if (user.tid !== tenant || user.aud !== client.audience) return { status: 400, body: { error: 'invalid_grant', error_description: 'AADSTS50013: Assertion audience or tenant does not match.' } };
    if (!client.consented) return { status: 400, body: { error: 'invalid_grant', error_description: 'AADSTS65001: The user or administrator has not consented to use the application.', suberror: 'consent_required' } };
    const scope = form.get('scope') ?? '';
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({ aud: 'https://graph.microsoft.com', tid: tenant, oid: user.oid, scp: 'Mail.Read.Shared', azp: client.id, iat: now, exp: now + 3600 })
      .setProtectedHeader({ alg: 'RS256', kid: entraKid, typ: 'JWT' })
      .sign(trusted.privateKey);
    oboExchanges.push({ tenant, oid: String(user.oid), scope });
    const clientInfo = Buffer.from(JSON.stringify({ uid: String(user.oid), utid: tenant })).toString('base64url');
    return { status: 200, body: { token_type: 'Bearer', scope, expires_in: 3600, ext_expires_in: 3600, access_token: accessToken, client_info: clientInfo } };
  }

  function entraMetadata(tenantSegment: string, issuer: string) {
    return {
      token_endpoint: `${baseUrl}/${tenantSegment}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${baseUrl}${JWKS_PATH}`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer,
      request_uri_parameter_supported: false,
      userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
      authorization_endpoint: `${baseUrl}/${tenantSegment}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${baseUrl}/${tenantSegment}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${baseUrl}/${tenantSegment}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'name', 'tid', 'oid', 'preferred_username', 'email'],
      tenant_region_scope: null,
    };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function mint(kid: string, defaults: JWTPayload, claims: JWTPayload, options: MintOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      ...defaults,
      iat: now,
      exp: now + (options.expiresInSeconds ?? 3600),
      ...claims,
      ...(options.issuer !== undefined ? { iss: options.issuer } : {}),
      ...(options.notBeforeInSeconds !== undefined ? { nbf: now + options.notBeforeInSeconds } : {}),
    };
    if (options.omitExp) delete payload.exp;
    for (const claim of options.omitClaims ?? []) delete payload[claim];

    if (options.alg === 'none') {
      const encode = (part: unknown) => Buffer.from(JSON.stringify(part)).toString('base64url');
      return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`;
    }
    const key: CryptoKey = options.signWith === 'untrusted' ? untrusted.privateKey : trusted.privateKey;
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(key);
  }

  return {
    baseUrl,
    entraMetadataUrl: `${baseUrl}${METADATA_PATH}`,
    entraJwksUrl: `${baseUrl}${JWKS_PATH}`,
    entraTenantMetadataUrl: (tenantId) => `${baseUrl}/${encodeURIComponent(tenantId)}/v2.0/.well-known/openid-configuration`,
    googleCertsUrl: `${baseUrl}${GOOGLE_CERTS_PATH}`,
    legacyChatCertsUrl: `${baseUrl}${LEGACY_CHAT_CERTS_PATH}`,
    requests,
    setBehaviour(endpoint, behaviour) {
      behaviours.set(ENDPOINT_PATHS[endpoint], behaviour);
    },
    registerClient(client) {
      clients.set(client.id, { consented: true, ...client });
    },
    oboExchanges,
    async verifyIssuedToken(token) {
      const { payload } = await jwtVerify(token, trusted.publicKey, { algorithms: ['RS256'] });
      return payload;
    },
    mintEntraToken(claims, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      // Like a delegated access token for our API: it carries the scope the client asked for.
      return mint(entraKid, { ver: '2.0', iss: `https://login.microsoftonline.com/${claims.tid}/v2.0`, nbf: now, scp: 'access_as_user' }, claims, options);
    },
    mintGoogleToken(claims, options = {}) {
      return mint(googleKid, { iss: 'https://accounts.google.com', azp: claims.aud, email_verified: true }, claims, options);
    },
    mintLegacyChatToken(claims, options = {}) {
      return mint(legacyChatKid, { iss: 'chat@system.gserviceaccount.com' }, claims, options);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
