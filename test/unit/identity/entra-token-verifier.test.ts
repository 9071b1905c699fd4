import { AppError } from '../../../src/domain/errors.ts';
import { createEntraTokenVerifier } from '../../../src/identity/entra-token-verifier.ts';
import { SIGN_IN_NOT_VERIFIED, SIGN_IN_UNAVAILABLE } from '../../../src/identity/verified-identity.ts';
import type { TokenVerifier } from '../../../src/identity/verified-identity.ts';
import { startFakeIdentityProvider } from '../../fakes/fake-identity-provider.ts';
import type { EntraClaims, FakeIdentityProvider } from '../../fakes/fake-identity-provider.ts';

const AUDIENCE = '11111111-2222-3333-4444-555555555555';
const TENANT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const OTHER_TENANT = 'ffffffff-0000-1111-2222-333333333333';
const OID = '99999999-8888-7777-6666-555555555555';

let fake: FakeIdentityProvider;
let verifier: TokenVerifier;

beforeAll(async () => {
  fake = await startFakeIdentityProvider();
  verifier = createEntraTokenVerifier({ openIdMetadataUrl: fake.entraMetadataUrl, audiences: [AUDIENCE] });
});

afterEach(() => {
  fake.setBehaviour('entraMetadata', 'ok');
  fake.setBehaviour('entraJwks', 'ok');
});

afterAll(async () => {
  await fake.close();
});

function claims(extra: Partial<EntraClaims> = {}): EntraClaims {
  return { tid: TENANT, oid: OID, aud: AUDIENCE, name: 'Sam Teacher', preferred_username: 'Sam.Teacher@School.example', ...extra };
}

/** Asserts the rejection is ours, says nothing useful to the caller, names the expected reason and never echoes the token. */
async function expectUnauthenticated(promise: Promise<unknown>, reason: RegExp, token?: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.code).toBe('unauthenticated');
  expect(appError.httpStatus).toBe(401);
  expect(appError.userMessage).toBe(SIGN_IN_NOT_VERIFIED);
  expect(appError.message).toMatch(reason);
  if (token) expect(appError.message).not.toContain(token.split('.')[2] || token);
}

/** Asserts the provider being unreachable is a 503 the caller may retry, not "sign in again". */
async function expectUnavailable(promise: Promise<unknown>, reason: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ code: 'identity_unavailable', httpStatus: 503, userMessage: SIGN_IN_UNAVAILABLE });
  expect((error as AppError).message).toMatch(reason);
}

function countRequests(path: string): number {
  return fake.requests.filter((requested) => requested === new URL(path).pathname).length;
}

describe('createEntraTokenVerifier', () => {
  test('a valid token yields the tenant, oid, lower-cased preferred_username and name', async () => {
    const token = await fake.mintEntraToken(claims());
    await expect(verifier.verify(token)).resolves.toEqual({
      provider: 'entra',
      tenantId: TENANT,
      subject: OID,
      email: 'sam.teacher@school.example',
      emailVerified: true,
      displayName: 'Sam Teacher',
    });
  });

  test('falls back to upn, then email, for the address; only a sign-in name is a verified address', async () => {
    const withUpn = await fake.mintEntraToken(claims({ upn: 'UPN@School.example' }), { omitClaims: ['preferred_username'] });
    expect(await verifier.verify(withUpn)).toMatchObject({ email: 'upn@school.example', emailVerified: true });
    const withEmail = await fake.mintEntraToken(claims({ email: 'Mail@School.example' }), { omitClaims: ['preferred_username'] });
    expect(await verifier.verify(withEmail)).toMatchObject({ email: 'mail@school.example', emailVerified: false });
    const withNone = await fake.mintEntraToken(claims(), { omitClaims: ['preferred_username', 'name'] });
    expect(await verifier.verify(withNone)).toEqual({ provider: 'entra', tenantId: TENANT, subject: OID });
  });

  test('accepts any of the configured audiences', async () => {
    const multi = createEntraTokenVerifier({ openIdMetadataUrl: fake.entraMetadataUrl, audiences: [AUDIENCE, 'api://dsl-desk'] });
    const token = await fake.mintEntraToken(claims({ aud: 'api://dsl-desk' }));
    expect((await multi.verify(token)).subject).toBe(OID);
  });

  test('rejects a token signed with an unpublished key under the trusted kid', async () => {
    const token = await fake.mintEntraToken(claims(), { signWith: 'untrusted' });
    await expectUnauthenticated(verifier.verify(token), /signature verification failed/, token);
  });

  test('rejects an expired token', async () => {
    const token = await fake.mintEntraToken(claims(), { expiresInSeconds: -3600 });
    await expectUnauthenticated(verifier.verify(token), /"exp" claim timestamp check failed/, token);
  });

  test('rejects a token with no exp', async () => {
    const token = await fake.mintEntraToken(claims(), { omitExp: true });
    await expectUnauthenticated(verifier.verify(token), /missing required "exp" claim/, token);
  });

  test('rejects a token that is not valid yet (nbf)', async () => {
    const token = await fake.mintEntraToken(claims(), { notBeforeInSeconds: 3600 });
    await expectUnauthenticated(verifier.verify(token), /"nbf" claim timestamp check failed/, token);
  });

  test('rejects a token for another audience', async () => {
    const token = await fake.mintEntraToken(claims({ aud: 'api://someone-else' }));
    await expectUnauthenticated(verifier.verify(token), /unexpected "aud" claim value/, token);
  });

  test('rejects a token whose issuer names a different tenant from its tid', async () => {
    const token = await fake.mintEntraToken(claims(), { issuer: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0` });
    await expectUnauthenticated(verifier.verify(token), new RegExp(`issuer .*${OTHER_TENANT}.* is not .*${TENANT}`), token);
  });

  test('rejects a made-up issuer and the unsubstituted template', async () => {
    const madeUp = await fake.mintEntraToken(claims(), { issuer: 'https://evil.example/v2.0' });
    await expectUnauthenticated(verifier.verify(madeUp), /issuer/, madeUp);
    const template = await fake.mintEntraToken(claims(), { issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' });
    await expectUnauthenticated(verifier.verify(template), /issuer/, template);
  });

  test('requires exact issuer equality when the metadata has no tenant placeholder', async () => {
    const pinned = createEntraTokenVerifier({ openIdMetadataUrl: fake.entraTenantMetadataUrl(TENANT), audiences: [AUDIENCE] });
    await expect(pinned.verify(await fake.mintEntraToken(claims()))).resolves.toMatchObject({ tenantId: TENANT });
    // Self-consistent (iss matches tid) but for another tenant: only the pinned issuer may pass.
    const otherTenant = await fake.mintEntraToken(claims({ tid: OTHER_TENANT }));
    await expectUnauthenticated(pinned.verify(otherTenant), new RegExp(`is not "https://login.microsoftonline.com/${TENANT}/v2.0"`), otherTenant);
  });

  test('rejects alg none', async () => {
    const token = await fake.mintEntraToken(claims(), { alg: 'none' });
    await expectUnauthenticated(verifier.verify(token), /alg/i, token);
  });

  test.each(['tid', 'oid'])('rejects a token with no %s', async (claim) => {
    const token = await fake.mintEntraToken(claims(), { omitClaims: [claim] });
    await expectUnauthenticated(verifier.verify(token), new RegExp(`missing required "${claim}" claim`), token);
  });

  test('rejects a non-string oid', async () => {
    const token = await fake.mintEntraToken(claims({ oid: 12345 as unknown as string }));
    await expectUnauthenticated(verifier.verify(token), /tid and oid must be non-empty strings/, token);
  });

  test('rejects something that is not a JWT at all', async () => {
    await expectUnauthenticated(verifier.verify('not-a-jwt'), /Entra token rejected/);
  });

  test('fetches metadata and keys once, not per token', async () => {
    const fresh = createEntraTokenVerifier({ openIdMetadataUrl: fake.entraMetadataUrl, audiences: [AUDIENCE] });
    const metadataBefore = countRequests(fake.entraMetadataUrl);
    const keysBefore = countRequests(fake.entraJwksUrl);
    const token = await fake.mintEntraToken(claims());
    await Promise.all([fresh.verify(token), fresh.verify(token)]);
    await fresh.verify(token);
    expect(countRequests(fake.entraMetadataUrl) - metadataBefore).toBe(1);
    expect(countRequests(fake.entraJwksUrl) - keysBefore).toBe(1);
  });

  test('after a metadata failure, waits out the retry delay before fetching again', async () => {
    const fresh = createEntraTokenVerifier({ openIdMetadataUrl: fake.entraMetadataUrl, audiences: [AUDIENCE], metadataRetryAfterSeconds: 60 });
    const token = await fake.mintEntraToken(claims());
    fake.setBehaviour('entraMetadata', 'fail');
    await expectUnavailable(fresh.verify(token), /metadata unavailable: .*HTTP 500/);
    const afterFailure = countRequests(fake.entraMetadataUrl);
    fake.setBehaviour('entraMetadata', 'ok');
    await expectUnavailable(fresh.verify(token), /metadata unavailable/);
    expect(countRequests(fake.entraMetadataUrl)).toBe(afterFailure);
  });

  test('recovers once the retry delay has passed', async () => {
    const fresh = createEntraTokenVerifier({ openIdMetadataUrl: fake.entraMetadataUrl, audiences: [AUDIENCE], metadataRetryAfterSeconds: 0 });
    const token = await fake.mintEntraToken(claims());
    fake.setBehaviour('entraMetadata', 'fail');
    await expectUnavailable(fresh.verify(token), /metadata unavailable/);
    fake.setBehaviour('entraMetadata', 'ok');
    await expect(fresh.verify(token)).resolves.toMatchObject({ subject: OID });
  });

  test('keeps using the last good metadata when a refresh fails', async () => {
    const fresh = createEntraTokenVerifier({ openIdMetadataUrl: fake.entraMetadataUrl, audiences: [AUDIENCE], metadataMaxAgeSeconds: 0 });
    const token = await fake.mintEntraToken(claims());
    await fresh.verify(token);
    const before = countRequests(fake.entraMetadataUrl);
    fake.setBehaviour('entraMetadata', 'fail');
    await expect(fresh.verify(token)).resolves.toMatchObject({ subject: OID });
    expect(countRequests(fake.entraMetadataUrl)).toBe(before + 1);
  });

  test('gives up on a metadata endpoint that does not answer', async () => {
    const fresh = createEntraTokenVerifier({ openIdMetadataUrl: fake.entraMetadataUrl, audiences: [AUDIENCE], fetchTimeoutMs: 200 });
    fake.setBehaviour('entraMetadata', 'hang');
    const started = Date.now();
    await expectUnavailable(fresh.verify(await fake.mintEntraToken(claims())), /metadata unavailable: .*(timeout|abort)/i);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('while the key set cannot be fetched, sign-in is unavailable (503), not refused', async () => {
    const fresh = createEntraTokenVerifier({ openIdMetadataUrl: fake.entraMetadataUrl, audiences: [AUDIENCE] });
    fake.setBehaviour('entraJwks', 'fail');
    await expectUnavailable(fresh.verify(await fake.mintEntraToken(claims())), /signing keys unavailable/);
    const timingOut = createEntraTokenVerifier({ openIdMetadataUrl: fake.entraMetadataUrl, audiences: [AUDIENCE], fetchTimeoutMs: 200 });
    fake.setBehaviour('entraJwks', 'hang');
    await expectUnavailable(timingOut.verify(await fake.mintEntraToken(claims())), /signing keys unavailable/);
  });

  test('a metadata endpoint nobody listens on is unavailable (503), not "sign in again"', async () => {
    const nowhere = createEntraTokenVerifier({ openIdMetadataUrl: 'http://127.0.0.1:9/common/v2.0/.well-known/openid-configuration', audiences: [AUDIENCE] });
    await expectUnavailable(nowhere.verify(await fake.mintEntraToken(claims())), /metadata unavailable/);
  });

  test("a token for another of our API's scopes, or with none, is refused with a clear message", async () => {
    for (const token of [await fake.mintEntraToken(claims({ scp: 'Files.Read another_scope' })), await fake.mintEntraToken(claims(), { omitClaims: ['scp'] })]) {
      const error = await verifier.verify(token).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'unauthenticated', httpStatus: 401, userMessage: expect.stringMatching(/not issued for DSL Desk .*access_as_user/) });
    }
    await expect(verifier.verify(await fake.mintEntraToken(claims({ scp: 'openid access_as_user profile' })))).resolves.toMatchObject({ subject: OID });
  });

  test('the scope is configurable, and an app role we define is accepted instead of it', async () => {
    const custom = createEntraTokenVerifier({ openIdMetadataUrl: fake.entraMetadataUrl, audiences: [AUDIENCE], requiredScope: 'Reports.Write', appRoles: ['DslDesk.Report'] });
    await expect(custom.verify(await fake.mintEntraToken(claims({ scp: 'Reports.Write' })))).resolves.toMatchObject({ subject: OID });
    await expect(custom.verify(await fake.mintEntraToken(claims()))).rejects.toMatchObject({ code: 'unauthenticated' });
    await expect(custom.verify(await fake.mintEntraToken(claims({ roles: ['DslDesk.Report'] }), { omitClaims: ['scp'] }))).resolves.toMatchObject({ subject: OID });
    await expect(custom.verify(await fake.mintEntraToken(claims({ roles: ['Other.Role'] }), { omitClaims: ['scp'] }))).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  test.each<[string, Partial<EntraClaims>]>([
    ['acct 1', { acct: 1 }],
    ['an idp of another tenant', { idp: `https://sts.windows.net/${OTHER_TENANT}/` }],
    ['a personal account as idp', { idp: 'live.com' }],
    ['#EXT# in the sign-in name', { preferred_username: 'sam_home.example#EXT#@school.onmicrosoft.com' }],
  ])('a B2B guest (%s) is marked as a guest, and its address is not a verified one', async (_name, extra) => {
    const identity = await verifier.verify(await fake.mintEntraToken(claims(extra)));
    expect(identity).toMatchObject({ guest: true, emailVerified: false });
  });

  test('a member whose idp is its own tenant is not a guest', async () => {
    const identity = await verifier.verify(await fake.mintEntraToken(claims({ idp: `https://sts.windows.net/${TENANT}/`, acct: 0 })));
    expect(identity.guest).toBeUndefined();
    expect(identity.emailVerified).toBe(true);
  });

  test('refuses to be configured without an audience', () => {
    expect(() => createEntraTokenVerifier({ openIdMetadataUrl: fake.entraMetadataUrl, audiences: [] })).toThrow(/audience/);
  });
});
