import { AppError } from '../../../src/domain/errors.ts';
import { createGoogleTokenVerifier } from '../../../src/identity/google-token-verifier.ts';
import { SIGN_IN_NOT_VERIFIED, SIGN_IN_UNAVAILABLE } from '../../../src/identity/verified-identity.ts';
import type { TokenVerifier } from '../../../src/identity/verified-identity.ts';
import { startFakeIdentityProvider } from '../../fakes/fake-identity-provider.ts';
import type { FakeIdentityProvider, GoogleClaims } from '../../fakes/fake-identity-provider.ts';

const CLIENT_ID = '1234567890-abcdef.apps.googleusercontent.com';
const SUB = '109876543210987654321';

let fake: FakeIdentityProvider;
let verifier: TokenVerifier;

beforeAll(async () => {
  fake = await startFakeIdentityProvider();
  verifier = createGoogleTokenVerifier({ certsUrl: fake.googleCertsUrl, audiences: [CLIENT_ID] });
});

afterEach(() => {
  fake.setBehaviour('googleCerts', 'ok');
});

afterAll(async () => {
  await fake.close();
});

function claims(extra: Partial<GoogleClaims> = {}): GoogleClaims {
  return { sub: SUB, aud: CLIENT_ID, email: 'Alex.Head@School.example', hd: 'school.example', name: 'Alex Head', ...extra };
}

/** Asserts the rejection is ours, names the expected reason, and leaks neither the token nor the claims. */
async function expectUnauthenticated(promise: Promise<unknown>, reason: RegExp, token?: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.code).toBe('unauthenticated');
  expect(appError.userMessage).toBe(SIGN_IN_NOT_VERIFIED);
  expect(appError.message).toMatch(reason);
  expect(appError.message.toLowerCase()).not.toContain('alex.head');
  if (token) expect(appError.message).not.toContain(token.split('.')[1]);
}

describe('createGoogleTokenVerifier', () => {
  test('a valid Workspace token yields hd, sub, lower-cased email and name', async () => {
    const token = await fake.mintGoogleToken(claims());
    await expect(verifier.verify(token)).resolves.toEqual({
      provider: 'google',
      tenantId: 'school.example',
      subject: SUB,
      email: 'alex.head@school.example',
      emailVerified: true,
      displayName: 'Alex Head',
    });
  });

  test('accepts the issuer without a scheme, which Google also uses', async () => {
    const token = await fake.mintGoogleToken(claims(), { issuer: 'accounts.google.com' });
    expect((await verifier.verify(token)).subject).toBe(SUB);
  });

  // Decision: an unverified address is dropped, not the sign-in. sub and hd are still Google's word,
  // so the identity stands, but nothing downstream may match a user on an address nobody proved.
  test.each([false, undefined, 'true'])('drops the email when email_verified is %p', async (emailVerified) => {
    const token = await fake.mintGoogleToken(claims({ email_verified: emailVerified as boolean | undefined }), {
      omitClaims: emailVerified === undefined ? ['email_verified'] : [],
    });
    const identity = await verifier.verify(token);
    expect(identity).toEqual({ provider: 'google', tenantId: 'school.example', subject: SUB, displayName: 'Alex Head' });
    expect(identity).not.toHaveProperty('email');
  });

  test('rejects a consumer account (no hd claim)', async () => {
    const token = await fake.mintGoogleToken(claims(), { omitClaims: ['hd'] });
    await expectUnauthenticated(verifier.verify(token), /no hd claim.*consumer account/, token);
  });

  test('rejects a token for another client', async () => {
    const token = await fake.mintGoogleToken(claims({ aud: 'someone-else.apps.googleusercontent.com' }));
    await expectUnauthenticated(verifier.verify(token), /Wrong recipient/, token);
  });

  test('rejects an expired token without echoing its claims', async () => {
    const token = await fake.mintGoogleToken(claims(), { expiresInSeconds: -3600 });
    await expectUnauthenticated(verifier.verify(token), /Token used too late/, token);
  });

  test('rejects a token with no exp', async () => {
    const token = await fake.mintGoogleToken(claims(), { omitExp: true });
    await expectUnauthenticated(verifier.verify(token), /No expiration time/, token);
  });

  test('rejects a token signed with an unpublished key under the trusted kid, without echoing it', async () => {
    const token = await fake.mintGoogleToken(claims(), { signWith: 'untrusted' });
    await expectUnauthenticated(verifier.verify(token), /Invalid token signature$/, token);
  });

  test('rejects a made-up issuer', async () => {
    const token = await fake.mintGoogleToken(claims(), { issuer: 'https://accounts.evil.example' });
    await expectUnauthenticated(verifier.verify(token), /Invalid issuer/, token);
  });

  test('allowedIssuers replaces the default list', async () => {
    const custom = createGoogleTokenVerifier({ certsUrl: fake.googleCertsUrl, audiences: [CLIENT_ID], allowedIssuers: ['https://issuer.test'] });
    await expect(custom.verify(await fake.mintGoogleToken(claims(), { issuer: 'https://issuer.test' }))).resolves.toMatchObject({ subject: SUB });
    await expectUnauthenticated(custom.verify(await fake.mintGoogleToken(claims())), /Invalid issuer/);
  });

  test('rejects alg none', async () => {
    const token = await fake.mintGoogleToken(claims(), { alg: 'none' });
    await expectUnauthenticated(verifier.verify(token), /alg "none" is not RS256/, token);
  });

  test('rejects something that is not a JWT at all', async () => {
    await expectUnauthenticated(verifier.verify('not-a-jwt'), /not a decodable JWS header/);
  });

  test('caches the certificates as long as Google says', async () => {
    const fresh = createGoogleTokenVerifier({ certsUrl: fake.googleCertsUrl, audiences: [CLIENT_ID] });
    const path = new URL(fake.googleCertsUrl).pathname;
    const before = fake.requests.filter((requested) => requested === path).length;
    const token = await fake.mintGoogleToken(claims());
    await fresh.verify(token);
    await fresh.verify(token);
    expect(fake.requests.filter((requested) => requested === path).length - before).toBe(1);
  });

  test('while the certificates cannot be fetched, sign-in is unavailable (503), not refused', async () => {
    const fresh = createGoogleTokenVerifier({ certsUrl: fake.googleCertsUrl, audiences: [CLIENT_ID], fetchTimeoutMs: 200 });
    fake.setBehaviour('googleCerts', 'hang');
    const error = await fresh.verify(await fake.mintGoogleToken(claims())).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'identity_unavailable', httpStatus: 503, userMessage: SIGN_IN_UNAVAILABLE, message: expect.stringMatching(/Failed to retrieve verification certificates/) });
  });

  test('refuses to be configured without an audience', () => {
    expect(() => createGoogleTokenVerifier({ certsUrl: fake.googleCertsUrl, audiences: [] })).toThrow(/audience/);
  });
});
