import { gzipSync } from 'node:zlib';
import { UNSTORABLE_TEXT_MESSAGE } from '../../src/domain/text.ts';
import { SIGN_IN_UNAVAILABLE } from '../../src/identity/verified-identity.ts';
import { enginesUnderTest } from '../support/test-storage.ts';
import { API_AUDIENCE, GOOGLE_AUDIENCE, startTestService, type TestService } from '../support/test-service.ts';

const report = (name = 'A Pupil') => ({ concern: { types: ['online_bullying'], description: 'Messages after school', involved: [{ group: 'child', name }] } });

describe.each(enginesUnderTest())('sign-in rules and unreadable input over HTTP on %s', (engine) => {
  let t: TestService;

  beforeEach(async () => {
    t = await startTestService(engine);
  }, 60_000);
  afterEach(async () => {
    await t.close();
  });

  test('an identity provider that cannot be reached is 503 "try again", not 401 "sign in again"', async () => {
    t.idp.setBehaviour('entraMetadata', 'fail');
    const down = await t.request('/api/v1/me', { token: await t.tokenFor(t.schoolA.staff, t.schoolA) });
    expect(down.status).toBe(503);
    expect(down.body.error).toMatchObject({ code: 'identity_unavailable', message: SIGN_IN_UNAVAILABLE });
    expect(down.headers.get('www-authenticate')).toBeNull();
    t.idp.setBehaviour('entraMetadata', 'ok');
  });

  test('an Entra token for another scope of our API is refused with 401 and says why', async () => {
    const token = await t.idp.mintEntraToken({ tid: t.schoolA.tenantId, oid: 'aaaaaaaa-0000-4000-8000-0000000000a1', aud: API_AUDIENCE, preferred_username: 'staff@oakfield.example.org', scp: 'Other.Scope' });
    const refused = await t.request('/api/v1/me', { token });
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toMatch(/not issued for DSL Desk.*access_as_user/);
  });

  test('a B2B guest of the school tenant is not made staff, nor linked to an imported person by email', async () => {
    const newGuest = await t.idp.mintEntraToken({ tid: t.schoolA.tenantId, oid: 'aaaaaaaa-0000-4000-8000-0000000000b1', aud: API_AUDIENCE, preferred_username: 'visitor_home.example#EXT#@oakfield.onmicrosoft.com', acct: 1 });
    const refused = await t.request('/api/v1/me', { token: newGuest });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/guest.*administrator to add you/);
    const guestWithStaffAddress = await t.idp.mintEntraToken({ tid: t.schoolA.tenantId, oid: 'aaaaaaaa-0000-4000-8000-0000000000b2', aud: API_AUDIENCE, preferred_username: 'staff@oakfield.example.org', idp: 'https://sts.windows.net/11111111-2222-4333-8444-555555555555/' });
    expect((await t.request('/api/v1/me', { token: guestWithStaffAddress })).status).toBe(403);
    // The real member still links on first sign-in: nothing was taken over.
    const member = await t.request('/api/v1/me', { token: await t.tokenFor(t.schoolA.staff, t.schoolA) });
    expect(member.status).toBe(200);
    expect(member.body.personId).toBe(t.schoolA.staff.personId);
  });

  test('a Google account becomes staff only with a verified address in the school’s domain', async () => {
    const mint = (sub: string, email: string, verified: boolean) => t.idp.mintGoogleToken({ sub, aud: GOOGLE_AUDIENCE, email, hd: 'oakfield.example.org', email_verified: verified });
    const unverified = await t.request('/api/v1/me', { token: await mint('2001', 'new.teacher@oakfield.example.org', false) });
    expect(unverified.status).toBe(403);
    const elsewhere = await t.request('/api/v1/me', { token: await mint('2002', 'someone@gmail.example', true) });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.message).toMatch(/verified and in the school’s own domain/);
    // An unverified address does not link an imported person either.
    expect((await t.request('/api/v1/me', { token: await mint('2003', 'staff@oakfield.example.org', false) })).status).toBe(403);
    const created = await t.request('/api/v1/me', { token: await mint('2004', 'new.teacher@oakfield.example.org', true) });
    expect(created.status).toBe(200);
    expect(created.body.roles).toEqual(['staff']);
  });

  test('every signed-in API answer is Cache-Control: no-store, errors included, on every route of the OpenAPI document', async () => {
    const token = await t.tokenFor(t.schoolA.dsl, t.schoolA);
    const document = await t.request('/api/v1/openapi.json');
    const operations = Object.entries(document.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => ['get', 'post', 'put', 'delete'].includes(method))
        .map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000') })),
    );
    expect(operations.length).toBeGreaterThan(25);
    for (const { method, path } of operations) {
      for (const who of [token, undefined]) {
        const response = await t.request(path, { method, ...(who ? { token: who } : {}), ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) });
        expect({ method, path, signedIn: Boolean(who), cacheControl: response.headers.get('cache-control') }).toEqual({ method, path, signedIn: Boolean(who), cacheControl: 'no-store' });
      }
    }
  }, 60_000);

  test('bodies labelled gzip, Brotli or deflate that are not, and unknown encodings, are 400 and 415 with a clear message on every parser', async () => {
    const token = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const garbage = new TextEncoder().encode('{"not":"compressed"}');
    for (const encoding of ['gzip', 'br', 'deflate']) {
      const json = await t.request('/api/v1/reports', { token, rawBody: garbage, headers: { 'content-type': 'application/json', 'content-encoding': encoding } });
      expect(json.status).toBe(400);
      expect(json.body.error).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/could not be decoded.*Content-Encoding/) });
      const eml = await t.request('/api/v1/email-reports', { token, rawBody: garbage, headers: { 'content-type': 'message/rfc822', 'content-encoding': encoding } });
      expect(eml.status).toBe(400);
      const form = await t.request('/aup/sign/abc', { rawBody: garbage, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': encoding } });
      expect(form.status).toBe(400);
      expect(form.headers.get('content-type')).toMatch(/text\/html/);
    }
    const unknown = await t.request('/api/v1/reports', { token, rawBody: garbage, headers: { 'content-type': 'application/json', 'content-encoding': 'x-made-up' } });
    expect(unknown.status).toBe(415);
    expect(unknown.body.error.code).toBe('unsupported_media_type');
    // Compressed correctly, it is read as usual.
    const compressed = await t.request('/api/v1/reports', { token, rawBody: gzipSync(JSON.stringify(report())), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(compressed.status).toBe(201);
  });

  test('NUL in a name is refused with 400 naming the field, the same on both engines', async () => {
    const token = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const refused = await t.request('/api/v1/reports', { token, body: report('Pupil\u0000Name') });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('concern.involved.0.name');
    expect(refused.body.error.fields).toEqual([{ path: 'concern.involved.0.name', message: UNSTORABLE_TEXT_MESSAGE }]);
    const admin = await t.tokenFor(t.schoolA.admin, t.schoolA);
    const person = await t.request('/api/v1/people', { token: admin, body: { displayName: 'Kim\u0000Lee', email: 'kim@oakfield.example.org' } });
    expect(person.status).toBe(400);
    expect(person.body.error.fields).toEqual([{ path: 'displayName', message: UNSTORABLE_TEXT_MESSAGE }]);
    const byId = await t.request(`/api/v1/aup/policies/${encodeURIComponent('abc\u0000')}`, { token: admin });
    expect(byId.status).toBe(400);
  });

  test('many first requests of one person at once all get in, and link one person (an imported one, and a new one)', async () => {
    const imported = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const newcomer = await t.idp.mintEntraToken({ tid: t.schoolA.tenantId, oid: '00000000-0000-4000-8000-0000000c0ffe', aud: API_AUDIENCE, preferred_username: 'new.teacher@oakfield.example.org', name: 'New Teacher' });
    for (const token of [imported, newcomer]) {
      const answers = await Promise.all(Array.from({ length: 8 }, () => t.request('/api/v1/me', { token })));
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
      expect(new Set(answers.map((a) => a.body.personId)).size).toBe(1);
    }
  });

  test('a reported message holding NUL is still filed on both engines, its text kept exactly as sent', async () => {
    const token = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const source = { kind: 'teams_message', ref: '19:chat/1700000000000', author: 'Un\u0000known', text: 'Meet me\u0000 after school\u0001' };
    const filed = await t.request('/api/v1/reports', { token, body: { ...report(), source } });
    expect(filed.status).toBe(201);
    const dsl = await t.tokenFor(t.schoolA.dsl, t.schoolA);
    const view = await t.request(`/api/v1/cases/${filed.body.caseId}`, { token: dsl });
    expect(view.status).toBe(200);
    expect(view.body.case.source).toMatchObject({ author: source.author, text: source.text });
  });
});
