import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWTPayload } from 'jose';
import type { EndpointBehaviour, MintOptions } from './fake-identity-provider.ts';

/**
 * Claims of a channel → bot token as the Bot Connector sends them. `aud` is the bot's app id and
 * `serviceurl` the activity's serviceUrl. Real channel tokens carry no `ver` or `appid`: botbuilder
 * takes those as the marks of a skill or Emulator token and validates them another way.
 */
export type ChannelTokenClaims = JWTPayload & { aud: string; serviceurl: string; [claim: string]: unknown };

/** How a channel token should be built; the defaults give a valid token signed by a key endorsed for msteams. */
export interface BotMintOptions extends Omit<MintOptions, 'alg' | 'signWith'> {
  /**
   * 'untrusted': a key that is not published, under the trusted kid (a forgery).
   * 'unendorsed': a published key whose endorsements do not include msteams.
   */
  signWith?: 'trusted' | 'untrusted' | 'unendorsed';
  /** 'HS256' signs with the trusted public key's PEM as the HMAC secret: the algorithm-confusion attack. */
  alg?: 'RS256' | 'none' | 'HS256';
  /** Overrides the header's kid, e.g. with one the key set does not list. */
  kid?: string;
}

/** The endpoints the fake serves. */
export type BotIdpEndpoint = 'metadata' | 'jwks';

export interface FakeBotFrameworkIdpOptions {
  /** The `issuer` of the metadata and the default `iss` of tokens. */
  issuer?: string;
  /** Channels the trusted key is endorsed for. */
  endorsements?: string[];
}

/** A running fake of login.botframework.com's OpenID metadata and key set, and a minter of channel tokens. */
export interface FakeBotFrameworkIdp {
  baseUrl: string;
  issuer: string;
  /** For ToBotFromChannelOpenIdMetadataUrl. */
  metadataUrl: string;
  jwksUrl: string;
  /** Key ids as published, to check rotation or caching. */
  trustedKid: string;
  unendorsedKid: string;
  /** Paths requested so far, in order. */
  readonly requests: readonly string[];
  setBehaviour(endpoint: BotIdpEndpoint, behaviour: EndpointBehaviour): void;
  mintChannelToken(claims: ChannelTokenClaims, options?: BotMintOptions): Promise<string>;
  close(): Promise<void>;
}

// The real paths, so a URL copied from the fake's log reads like the production one.
const METADATA_PATH = '/v1/.well-known/openidconfiguration';
const JWKS_PATH = '/v1/.well-known/keys';
const ENDPOINT_PATHS: Record<BotIdpEndpoint, string> = { metadata: METADATA_PATH, jwks: JWKS_PATH };
const DEFAULT_ENDORSEMENTS = ['msteams', 'skype', 'webchat', 'directline', 'emulator', 'slack', 'email', 'telegram', 'sms', 'line'];

/** Starts the fake on 127.0.0.1 with fresh RSA keys; call close() when done. */
export async function startFakeBotFrameworkIdp(options: FakeBotFrameworkIdpOptions = {}): Promise<FakeBotFrameworkIdp> {
  const issuer = options.issuer ?? 'https://api.botframework.com';
  const endorsements = options.endorsements ?? DEFAULT_ENDORSEMENTS;
  const trusted = await generateKeyPair('RS256', { extractable: true });
  const untrusted = await generateKeyPair('RS256', { extractable: true });
  const unendorsed = await generateKeyPair('RS256', { extractable: true });
  // Bot Framework kids are base64url strings that equal x5t.
  const trustedKid = randomUUID().replaceAll('-', '');
  const unendorsedKid = randomUUID().replaceAll('-', '');
  const trustedJwk = await exportJWK(trusted.publicKey);
  const unendorsedJwk = await exportJWK(unendorsed.publicKey);
  const trustedPem = await exportSPKI(trusted.publicKey);

  const requests: string[] = [];
  const behaviours = new Map<string, EndpointBehaviour>();
  let baseUrl = '';

  // botframework-connector caches signing keys per metadata URL for the whole process and re-reads them at
  // most once an hour; a later fake given the same port would be answered with this one's keys. A prefix of
  // its own makes every fake's URLs unique.
  const instancePrefix = `/idp-${randomUUID().slice(0, 8)}`;
  const server = createServer((request, response) => {
    const requested = new URL(request.url ?? '/', 'http://localhost').pathname;
    const path = requested.startsWith(`${instancePrefix}/`) ? requested.slice(instancePrefix.length) : `(outside the fake's prefix) ${requested}`;
    requests.push(path);
    const behaviour = behaviours.get(path) ?? 'ok';
    if (behaviour === 'hang') return;
    const sendJson = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'GET') return sendJson(405, { error: 'method_not_allowed' });
    if (behaviour === 'fail') return sendJson(500, { error: 'server_error' });
    switch (path) {
      case METADATA_PATH:
        // The whole of login.botframework.com's document: it names no token endpoint of its own.
        return sendJson(200, {
          issuer,
          authorization_endpoint: 'https://invalid.botframework.com',
          jwks_uri: `${baseUrl}${JWKS_PATH}`,
          id_token_signing_alg_values_supported: ['RS256'],
          token_endpoint_auth_methods_supported: ['private_key_jwt'],
        });
      case JWKS_PATH:
        return sendJson(200, {
          keys: [
            { kty: 'RSA', use: 'sig', kid: trustedKid, x5t: trustedKid, n: trustedJwk.n, e: trustedJwk.e, endorsements },
            { kty: 'RSA', use: 'sig', kid: unendorsedKid, x5t: unendorsedKid, n: unendorsedJwk.n, e: unendorsedJwk.e, endorsements: ['webchat', 'directline'] },
          ],
        });
      default:
        return sendJson(404, { error: 'not_found' });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${instancePrefix}`;

  async function mintChannelToken(claims: ChannelTokenClaims, mintOptions: BotMintOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: issuer,
      nbf: now - 5,
      iat: now - 5,
      exp: now + (mintOptions.expiresInSeconds ?? 3600),
      ...claims,
      ...(mintOptions.issuer !== undefined ? { iss: mintOptions.issuer } : {}),
      ...(mintOptions.notBeforeInSeconds !== undefined ? { nbf: now + mintOptions.notBeforeInSeconds } : {}),
    };
    if (mintOptions.omitExp) delete payload.exp;
    for (const claim of mintOptions.omitClaims ?? []) delete payload[claim];

    const signWith = mintOptions.signWith ?? 'trusted';
    const kid = mintOptions.kid ?? (signWith === 'unendorsed' ? unendorsedKid : trustedKid);
    if (mintOptions.alg === 'none') {
      const encode = (part: unknown) => Buffer.from(JSON.stringify(part)).toString('base64url');
      return `${encode({ alg: 'none', typ: 'JWT', kid })}.${encode(payload)}.`;
    }
    if (mintOptions.alg === 'HS256') {
      return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid, typ: 'JWT' }).sign(new TextEncoder().encode(trustedPem));
    }
    const key: CryptoKey = signWith === 'untrusted' ? untrusted.privateKey : signWith === 'unendorsed' ? unendorsed.privateKey : trusted.privateKey;
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, x5t: kid, typ: 'JWT' }).sign(key);
  }

  return {
    baseUrl,
    issuer,
    metadataUrl: `${baseUrl}${METADATA_PATH}`,
    jwksUrl: `${baseUrl}${JWKS_PATH}`,
    trustedKid,
    unendorsedKid,
    requests,
    setBehaviour(endpoint, behaviour) {
      behaviours.set(ENDPOINT_PATHS[endpoint], behaviour);
    },
    mintChannelToken,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
