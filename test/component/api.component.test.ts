import net from 'node:net';
import { enginesUnderTest } from '../support/test-storage.ts';
import { startTestService, type TestService } from '../support/test-service.ts';

const DESCRIPTION = 'Pupil Wilhelmina Fotheringay received threats on a gaming app';

const report = (overrides: Record<string, unknown> = {}) => ({
  concern: { types: ['online_bullying'], location: 'outside_school', description: DESCRIPTION, involved: [{ group: 'child', name: 'Wilhelmina Fotheringay' }], ...overrides },
});

describe.each(enginesUnderTest())('REST API over HTTP on %s', (engine) => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService(engine);
  });
  afterAll(async () => {
    await t.close();
  });

  test('outbound network is blocked in tests', () => {
    expect(() => net.connect(443, 'example.org')).toThrow(/Outbound network blocked/);
  });

  test('the privacy and terms pages the Teams app links to answer without a token', async () => {
    for (const [path, heading] of [['/privacy', 'Privacy notice'], ['/terms', 'Terms of use']] as const) {
      const page = await t.request(path);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(String(page.body)).toContain(`<h1>${heading}</h1>`);
      expect(String(page.body)).toContain('lang="en-GB"');
    }
  });

  test('health and readiness answer without a token; the API does not', async () => {
    expect((await t.request('/healthz')).body).toEqual({ status: 'ok' });
    expect((await t.request('/readyz')).body).toMatchObject({ status: 'ready', database: engine });
    const anonymous = await t.request('/api/v1/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
  });

  test('a valid Entra token maps to the school by tenant and to the person by directory email', async () => {
    const me = await t.request('/api/v1/me', { token: await t.tokenFor(t.schoolA.dsl, t.schoolA) });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ personId: t.schoolA.dsl.personId, schoolId: t.schoolA.school.id, roles: ['dsl', 'staff'] });
  });

  test('an unknown member of a known tenant is added as staff and can report', async () => {
    const token = await t.idp.mintEntraToken({ tid: t.schoolA.tenantId, oid: 'aaaaaaaa-0000-4000-8000-000000000001', aud: 'api://dsl-desk-test', preferred_username: 'new.starter@oakfield.example.org', name: 'New Starter' });
    const me = await t.request('/api/v1/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.roles).toEqual(['staff']);
    expect((await t.request('/api/v1/cases', { token })).status).toBe(403);
  });

  test('a token from a tenant that is not a school is refused with 403', async () => {
    const token = await t.idp.mintEntraToken({ tid: 'bbbbbbbb-0000-4000-8000-000000000009', oid: 'aaaaaaaa-0000-4000-8000-000000000002', aud: 'api://dsl-desk-test', preferred_username: 'x@elsewhere.org' });
    expect((await t.request('/api/v1/me', { token })).status).toBe(403);
  });

  test.each([
    ['forged', { signWith: 'untrusted' as const }, {}],
    ['expired', { expiresInSeconds: -3600 }, {}],
    ['wrong-audience', {}, { aud: 'api://someone-else' }],
    ['wrong-issuer', { issuer: 'https://login.microsoftonline.com/11111111-1111-4111-8111-111111111111/v2.0' }, {}],
    ['without exp', { omitExp: true }, {}],
    ['alg none', { alg: 'none' as const }, {}],
  ])('a %s token is rejected with 401', async (_name, options, claims) => {
    const token = await t.idp.mintEntraToken({ tid: t.schoolA.tenantId, oid: 'cccccccc-0000-4000-8000-000000000003', aud: 'api://dsl-desk-test', preferred_username: 'dsl@oakfield.example.org', ...claims }, options);
    const response = await t.request('/api/v1/me', { token });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('unauthenticated');
    expect(JSON.stringify(response.body)).not.toContain(token);
  });

  test('a Google ID token maps to the school by its Workspace domain', async () => {
    const token = await t.idp.mintGoogleToken({ sub: '1098765', aud: 'dsl-desk-test.apps.googleusercontent.com', email: 'staff@oakfield.example.org', hd: 'oakfield.example.org', iss: 'https://accounts.google.com' });
    const me = await t.request('/api/v1/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.personId).toBe(t.schoolA.staff.personId);
  });

  test('the sandbox header is refused outside the sandbox', async () => {
    const response = await t.request('/api/v1/me', { headers: { 'X-DSL-Desk-Sandbox-User': 'dsl@oakfield.example.org' } });
    expect(response.status).toBe(401);
  });

  test('a report is filed once, whatever the retries, and the DSL reads it back', async () => {
    const token = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const headers = { 'Idempotency-Key': 'retry-test-0001' };
    const first = await t.request('/api/v1/reports', { token, body: report(), headers });
    const again = await t.request('/api/v1/reports', { token, body: report(), headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ caseId: first.body.caseId, reference: first.body.reference, duplicate: true });
    const mine = await t.request('/api/v1/reports/mine', { token });
    expect(mine.body.reports.filter((r: { caseId: string }) => r.caseId === first.body.caseId)).toHaveLength(1);
    expect(Object.keys(mine.body.reports[0]).sort()).toEqual(['caseId', 'reference', 'reportedAt', 'status', 'updatedAt']);

    const dsl = await t.tokenFor(t.schoolA.dsl, t.schoolA);
    const byReference = await t.request(`/api/v1/cases/${first.body.reference}`, { token: dsl });
    expect(byReference.status).toBe(200);
    expect(byReference.body.case.concern.description).toBe(DESCRIPTION);
    expect(byReference.headers.get('cache-control')).toBe('no-store');
    const list = await t.request('/api/v1/cases?status=new&limit=5', { token: dsl });
    expect(list.body.cases.map((c: { id: string }) => c.id)).toContain(first.body.caseId);
    expect(JSON.stringify(list.body)).not.toContain('Wilhelmina');
  });

  test('DSLs act on a case; invalid transitions are refused with a clear message', async () => {
    const staff = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const dsl = await t.tokenFor(t.schoolA.dsl, t.schoolA);
    const { body: receipt } = await t.request('/api/v1/reports', { token: staff, body: report({ types: ['grooming'] }) });
    const act = (body: unknown, token = dsl) => t.request(`/api/v1/cases/${receipt.caseId}/actions`, { token, body });
    expect((await act({ action: 'acknowledge' })).body.case.status).toBe('acknowledged');
    expect((await act({ action: 'assign', assigneeId: t.schoolA.dsl.personId })).body.case.assigneeId).toBe(t.schoolA.dsl.personId);
    expect((await act({ action: 'tick_step', step: 'online_sexual_abuse.devices_secured' })).body.case.protocolTicks).toHaveLength(1);
    expect((await act({ action: 'escalate', agency: 'police_ceop', reference: 'CEOP-123' })).body.case.status).toBe('escalated');
    const closeWithout = await act({ action: 'close', outcome: ' ' });
    expect(closeWithout.status).toBe(400);
    expect(closeWithout.body.error.fields[0]).toMatchObject({ path: 'outcome' });
    expect((await act({ action: 'close', outcome: 'Police investigating; child supported.' })).body.case.status).toBe('closed');
    const closedAgain = await act({ action: 'close', outcome: 'again' });
    expect(closedAgain.status).toBe(409);
    expect(closedAgain.body.error.code).toBe('invalid_transition');
    expect((await act({ action: 'reopen', reason: 'New information from parent' })).body.case.status).toBe('in_progress');
    // A reporter cannot act on a case, and sees it as not found.
    expect((await act({ action: 'acknowledge' }, staff)).status).toBe(404);
    const chronology = (await t.request(`/api/v1/cases/${receipt.caseId}`, { token: dsl })).body.chronology.map((e: { action: string }) => e.action);
    expect(chronology).toEqual(expect.arrayContaining(['case.created', 'case.acknowledged', 'case.assigned', 'case.escalated', 'case.closed', 'case.reopened', 'case.viewed']));
  });

  test("a reporter reading another person's case gets 404; a DSL of another school gets 404", async () => {
    const { body: receipt } = await t.request('/api/v1/reports', { token: await t.tokenFor(t.schoolA.staff, t.schoolA), body: report() });
    const otherStaff = await t.request(`/api/v1/cases/${receipt.caseId}`, { token: await t.tokenFor(t.schoolA.staff2, t.schoolA) });
    expect(otherStaff.status).toBe(404);
    const reporterSelf = await t.request(`/api/v1/cases/${receipt.caseId}`, { token: await t.tokenFor(t.schoolA.staff, t.schoolA) });
    expect(reporterSelf.status).toBe(404);
    const otherSchool = await t.request(`/api/v1/cases/${receipt.caseId}`, { token: await t.tokenFor(t.schoolB.dsl, t.schoolB) });
    expect(otherSchool.status).toBe(404);
    const byReference = await t.request(`/api/v1/cases/${receipt.reference}`, { token: await t.tokenFor(t.schoolB.dsl, t.schoolB) });
    expect(byReference.status).toBe(404);
    expect(JSON.stringify([otherStaff.body, otherSchool.body])).not.toContain('Wilhelmina');
  });

  test('malformed bodies get 400 with a message per field, and the service stays up', async () => {
    const token = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const broken = await t.request('/api/v1/reports', { token, rawBody: '{"concern": {"types": [', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('invalid_input');
    const invalid = await t.request('/api/v1/reports', { token, body: { concern: { types: ['other', 'not_a_type'], description: '', surprise: true } } });
    expect(invalid.status).toBe(400);
    const paths = invalid.body.error.fields.map((f: { path: string }) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['concern.types.1', 'concern.description', 'concern']));
    expect(invalid.body.error.fields.find((f: { path: string }) => f.path === 'concern').message).toMatch(/unknown field.*surprise/);
    const noBody = await t.request('/api/v1/reports', { token, method: 'POST' });
    expect(noBody.status).toBe(400);
    expect(noBody.body.error.message).toMatch(/JSON body/);
    const huge = await t.request('/api/v1/reports', { token, body: report({ description: 'x'.repeat(400_000) }) });
    expect(huge.status).toBe(413);
    const badAction = await t.request('/api/v1/cases/00000000-0000-4000-8000-000000000000/actions', { token: await t.tokenFor(t.schoolA.dsl, t.schoolA), body: { action: 'explode' } });
    expect([400, 404]).toContain(badAction.status);
    expect((await t.request('/healthz')).status).toBe(200);
  });

  test('errors never echo concern text', async () => {
    const token = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const response = await t.request('/api/v1/reports', { token, body: report({ types: ['filtering_failure'] }) });
    expect(response.status).toBe(400);
    expect(response.body.error.fields).toEqual([{ path: 'concern.url', message: expect.stringMatching(/web address/) }]);
    expect(JSON.stringify(response.body)).not.toContain('Wilhelmina');
  });

  test('people and roles are managed by admins only', async () => {
    const admin = await t.tokenFor(t.schoolA.admin, t.schoolA);
    const added = await t.request('/api/v1/people', { token: admin, body: { displayName: 'Nia New', email: 'nia@oakfield.example.org', roles: ['staff'] } });
    expect(added.status).toBe(201);
    const granted = await t.request(`/api/v1/people/${added.body.id}/roles/deputy_dsl`, { token: admin, method: 'PUT' });
    expect(granted.body.roles).toEqual(['deputy_dsl', 'staff']);
    const list = await t.request('/api/v1/people', { token: admin });
    expect(list.body.people.map((p: { email: string }) => p.email)).toContain('nia@oakfield.example.org');
    const staff = await t.tokenFor(t.schoolA.staff, t.schoolA);
    expect((await t.request('/api/v1/people', { token: staff })).status).toBe(403);
    expect((await t.request(`/api/v1/people/${added.body.id}/roles/head`, { token: staff, method: 'PUT' })).status).toBe(403);
    // An admin of another school cannot touch this school's people.
    const otherAdmin = await t.tokenFor(t.schoolB.admin, t.schoolB);
    expect((await t.request(`/api/v1/people/${added.body.id}/roles/head`, { token: otherAdmin, method: 'PUT' })).status).toBe(404);
  });

  test('the OpenAPI 3.1 document is generated from the request schemas', async () => {
    const doc = (await t.request('/api/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/reports', '/api/v1/cases', '/api/v1/cases/{caseId}/actions', '/api/v1/people']));
    const reportRequest = doc.components.schemas.ReportRequest;
    expect(reportRequest.properties.concern.properties.types.items.enum).toContain('grooming');
    expect(reportRequest.properties.concern.additionalProperties).toBe(false);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/email-reports', '/api/v1/email-reports/graph', '/api/v1/aup/policies', '/api/v1/aup/policies/{policyId}/acknowledgements']));
    expect(doc.paths['/api/v1/email-reports'].post.requestBody.content).toHaveProperty(['message/rfc822']);
    expect(doc.paths['/api/v1/aup/policies'].post.requestBody.content['application/json'].schema.properties.audience.enum).toContain('supply');
  });

  test('security headers are set', async () => {
    const response = await t.request('/healthz');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });
});

describe('per-identity rate limit', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService('sqlite', { RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await t.close();
  });

  test('a person over the limit gets 429 and another person is unaffected', async () => {
    const token = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await t.request('/api/v1/me', { token })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await t.request('/api/v1/me', { token: await t.tokenFor(t.schoolA.staff2, t.schoolA) })).status).toBe(200);
  });
});
