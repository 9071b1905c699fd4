import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { startFakeBotFrameworkIdp, type FakeBotFrameworkIdp } from '../../fakes/fake-bot-framework-idp.ts';

const APP_ID = '5f1c3a9e-0000-4000-8000-00000000b07a';
const SERVICE_URL = 'https://smba.trafficmanager.net/emea/';

describe('fake Bot Framework identity provider', () => {
  let idp: FakeBotFrameworkIdp;

  beforeAll(async () => {
    idp = await startFakeBotFrameworkIdp();
  });
  afterAll(() => idp.close());

  const keys = () => createRemoteJWKSet(new URL(idp.jwksUrl));

  test('serves the metadata document in the shape of login.botframework.com', async () => {
    const metadata = (await (await fetch(idp.metadataUrl)).json()) as Record<string, unknown>;
    expect(metadata).toEqual({
      issuer: 'https://api.botframework.com',
      authorization_endpoint: 'https://invalid.botframework.com',
      jwks_uri: idp.jwksUrl,
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    });
    expect(idp.metadataUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/idp-[0-9a-f]{8}\/v1\/\.well-known\/openidconfiguration$/);
  });

  test('two fakes never share a metadata URL, even on a reused port (botbuilder caches keys per URL for the process)', async () => {
    const other = await startFakeBotFrameworkIdp();
    try {
      expect(new URL(other.metadataUrl).pathname).not.toBe(new URL(idp.metadataUrl).pathname);
    } finally {
      await other.close();
    }
  });

  test('publishes a key endorsed for msteams and one that is not', async () => {
    const { keys: published } = (await (await fetch(idp.jwksUrl)).json()) as { keys: Array<Record<string, unknown>> };
    expect(published).toEqual([
      expect.objectContaining({ kty: 'RSA', use: 'sig', kid: idp.trustedKid, x5t: idp.trustedKid, n: expect.any(String), e: 'AQAB', endorsements: expect.arrayContaining(['msteams']) }),
      expect.objectContaining({ kid: idp.unendorsedKid, endorsements: ['webchat', 'directline'] }),
    ]);
  });

  test('mints a channel token: iss, aud, serviceurl, nbf/iat/exp, and no ver or appid', async () => {
    const token = await idp.mintChannelToken({ aud: APP_ID, serviceurl: SERVICE_URL });
    const { payload, protectedHeader } = await jwtVerify(token, keys(), { issuer: 'https://api.botframework.com', audience: APP_ID });
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: idp.trustedKid, x5t: idp.trustedKid, typ: 'JWT' });
    expect(payload).toEqual({ iss: 'https://api.botframework.com', aud: APP_ID, serviceurl: SERVICE_URL, nbf: expect.any(Number), iat: expect.any(Number), exp: expect.any(Number) });
    expect(payload.exp! - Math.floor(Date.now() / 1000)).toBeGreaterThan(3500);
  });

  test('the issuer is configurable, per fake and per token', async () => {
    const gov = await startFakeBotFrameworkIdp({ issuer: 'https://api.botframework.us' });
    try {
      expect(decodeJwt(await gov.mintChannelToken({ aud: APP_ID, serviceurl: SERVICE_URL })).iss).toBe('https://api.botframework.us');
      expect(((await (await fetch(gov.metadataUrl)).json()) as { issuer: string }).issuer).toBe('https://api.botframework.us');
    } finally {
      await gov.close();
    }
    expect(decodeJwt(await idp.mintChannelToken({ aud: APP_ID, serviceurl: SERVICE_URL }, { issuer: 'https://evil.example' })).iss).toBe('https://evil.example');
  });

  test('a forged token reuses the trusted kid but fails verification', async () => {
    const token = await idp.mintChannelToken({ aud: APP_ID, serviceurl: SERVICE_URL }, { signWith: 'untrusted' });
    expect(decodeProtectedHeader(token).kid).toBe(idp.trustedKid);
    await expect(jwtVerify(token, keys())).rejects.toThrow(/signature/);
  });

  test('an unendorsed token verifies against the published unendorsed key', async () => {
    const token = await idp.mintChannelToken({ aud: APP_ID, serviceurl: SERVICE_URL }, { signWith: 'unendorsed' });
    const { protectedHeader } = await jwtVerify(token, keys());
    expect(protectedHeader.kid).toBe(idp.unendorsedKid);
  });

  test('expiry, missing exp, not-before and a chosen kid', async () => {
    const claims = { aud: APP_ID, serviceurl: SERVICE_URL };
    const now = Math.floor(Date.now() / 1000);
    expect(decodeJwt(await idp.mintChannelToken(claims, { expiresInSeconds: -600 })).exp).toBeLessThanOrEqual(now - 600);
    expect(decodeJwt(await idp.mintChannelToken(claims, { omitExp: true }))).not.toHaveProperty('exp');
    expect(decodeJwt(await idp.mintChannelToken(claims, { notBeforeInSeconds: 900 })).nbf).toBeGreaterThanOrEqual(now + 900);
    expect(decodeJwt(await idp.mintChannelToken(claims, { omitClaims: ['serviceurl'] }))).not.toHaveProperty('serviceurl');
    expect(decodeProtectedHeader(await idp.mintChannelToken(claims, { kid: 'unknown' })).kid).toBe('unknown');
  });

  test('alg none and HS256 tokens', async () => {
    const claims = { aud: APP_ID, serviceurl: SERVICE_URL };
    const none = await idp.mintChannelToken(claims, { alg: 'none' });
    expect(decodeProtectedHeader(none)).toMatchObject({ alg: 'none' });
    expect(none.endsWith('.')).toBe(true);
    const hs = await idp.mintChannelToken(claims, { alg: 'HS256' });
    expect(decodeProtectedHeader(hs)).toMatchObject({ alg: 'HS256', kid: idp.trustedKid });
    await expect(jwtVerify(hs, keys())).rejects.toThrow();
  });

  test('endpoints can be made to fail, and requests are recorded', async () => {
    const flaky = await startFakeBotFrameworkIdp();
    try {
      flaky.setBehaviour('jwks', 'fail');
      expect((await fetch(flaky.jwksUrl)).status).toBe(500);
      flaky.setBehaviour('jwks', 'ok');
      expect((await fetch(flaky.jwksUrl)).status).toBe(200);
      expect(flaky.requests).toEqual(['/v1/.well-known/keys', '/v1/.well-known/keys']);
    } finally {
      await flaky.close();
    }
  });
});
