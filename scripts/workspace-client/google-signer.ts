import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { addonServiceAccountEmail } from '../../src/domain/google-workspace.ts';

/**
 * A local stand-in for Google as the signer of Workspace add-on requests: an RSA key pair, its public key
 * served the way https://www.googleapis.com/oauth2/v1/certs serves Google's (`{kid: PEM}` with a
 * Cache-Control max-age, which google-auth-library's OAuth2Client reads when its
 * `oauth2FederatedSignonPemCertsUrl` points here), and ID tokens shaped like the ones Google sends in
 * `Authorization` and `authorizationEventObject.systemIdToken`. Point the app's GOOGLE_CERTS_URL at
 * `certsUrl`. Sandbox and tests only.
 */
export interface GoogleSigner {
  /** The PEM certificates endpoint (`{kid: pem}`). */
  certsUrl: string;
  kid: string;
  /** A token as Google signs it for an add-on's HTTP endpoint: aud = that endpoint URL, email = the project's add-on service agent. */
  mintAddonToken(input: AddonTokenInput): Promise<string>;
  /** A token with any claims, for tests of what must be refused (other projects, legacy Chat tokens, …). */
  mintToken(claims: Record<string, unknown>, options?: { expiresInSeconds?: number; issuedAt?: number; kid?: string }): Promise<string>;
  /** How many times the certificates were fetched (google-auth-library should cache them). */
  readonly certsRequests: number;
  close(): Promise<void>;
}

export interface AddonTokenInput {
  /** The app's endpoint URL exactly as configured (e.g. https://…/api/google/chat). */
  audience: string;
  /** The Cloud project number of the add-on deployment. */
  projectNumber: string;
  /** Default 3600; negative gives an expired token. */
  expiresInSeconds?: number;
  /** Seconds since the epoch; default now. */
  issuedAt?: number;
}

export interface GoogleSignerOptions {
  /** Port on 127.0.0.1; default any free one. */
  port?: number;
  /** Seconds Cache-Control allows the certificates to be kept. Default 3600, as Google sends about that. */
  certsMaxAgeSeconds?: number;
}

const CERTS_PATH = '/oauth2/v1/certs';
const GOOGLE_ISSUER = 'https://accounts.google.com';

export async function startGoogleSigner(options: GoogleSignerOptions = {}): Promise<GoogleSigner> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  // Google's key ids are opaque hex strings.
  const kid = randomBytes(20).toString('hex');
  const pem = await exportSPKI(publicKey);
  // The add-on service agent's numeric id: stable for one signer.
  const serviceAgentId = String(100_000_000_000_000_000_000n + BigInt(`0x${randomBytes(6).toString('hex')}`));
  let certsRequests = 0;

  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === CERTS_PATH) {
      certsRequests += 1;
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': `public, max-age=${options.certsMaxAgeSeconds ?? 3600}, must-revalidate, no-transform`,
      });
      response.end(JSON.stringify({ [kid]: pem }));
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify({ error: 'not_found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const certsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${CERTS_PATH}`;

  const sign = (key: CryptoKey, claims: Record<string, unknown>, signOptions: { expiresInSeconds?: number; issuedAt?: number; kid?: string }) => {
    const iat = signOptions.issuedAt ?? Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: signOptions.kid ?? kid, typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + (signOptions.expiresInSeconds ?? 3600))
      .sign(key);
  };

  return {
    certsUrl,
    kid,
    mintAddonToken(input) {
      return sign(privateKey, {
        iss: GOOGLE_ISSUER,
        aud: input.audience,
        azp: serviceAgentId,
        sub: serviceAgentId,
        email: addonServiceAccountEmail(input.projectNumber),
        email_verified: true,
      }, { ...(input.expiresInSeconds !== undefined ? { expiresInSeconds: input.expiresInSeconds } : {}), ...(input.issuedAt !== undefined ? { issuedAt: input.issuedAt } : {}) });
    },
    mintToken(claims, signOptions = {}) {
      return sign(privateKey, { iss: GOOGLE_ISSUER, ...claims }, signOptions);
    },
    get certsRequests() {
      return certsRequests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
