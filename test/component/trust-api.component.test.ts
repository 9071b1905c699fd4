import { randomUUID } from 'node:crypto';
import { addSchool } from '../../src/app/organisations/add-school.ts';
import { addTrust } from '../../src/app/organisations/add-trust.ts';
import { OPERATOR } from '../../src/app/deps.ts';
import { grantTrustRole } from '../../src/app/organisations/grant-trust-role.ts';
import { setMembershipOverride } from '../../src/app/organisations/manage-membership-rules.ts';
import { API_AUDIENCE, startTestService, type TestService } from '../support/test-service.ts';
import { enginesUnderTest } from '../support/test-storage.ts';

const SECRET = 'Pupil Zebedee Quartermaine told me something';
const concern = { types: ['online_bullying'], description: SECRET };

describe.each(enginesUnderTest())('trusts over the API on %s', (engine) => {
  let t: TestService;
  const tenant = randomUUID();

  beforeAll(async () => {
    t = await startTestService(engine);
    const deps = t.service.deps;
    await addTrust(deps, { name: 'Forest Learning Trust', slug: 'forest', entraTenantIds: [tenant] });
    await addSchool(deps, { name: 'Oakfield Primary', slug: 'forest-oak', organisationSlug: 'forest' });
    await addSchool(deps, { name: 'Elmwood Academy', slug: 'forest-elm', organisationSlug: 'forest' });
    await setMembershipOverride(deps, { actor: OPERATOR, trust: 'forest', email: 'pip@forest.example.org', schools: ['forest-oak', 'forest-elm'] });
    await setMembershipOverride(deps, { actor: OPERATOR, trust: 'forest', email: 'lead@forest.example.org', schools: ['forest-oak'] });
    await grantTrustRole(deps, { actor: OPERATOR, trust: 'forest', email: 'lead@forest.example.org', role: 'trust_safeguarding_lead' });
  });
  afterAll(async () => {
    await t.close();
  });

  const tokenOf = (email: string, oid: string) => t.idp.mintEntraToken({ tid: tenant, oid, aud: API_AUDIENCE, preferred_username: email, name: email.split('@')[0] });
  const pip = randomUUID();
  const lead = randomUUID();

  test('Trusts and local authorities: a report from someone in two schools needs schoolId, refused with a clear message when it is missing', async () => {
    const token = await tokenOf('pip@forest.example.org', pip);
    const ambiguous = await t.request('/api/v1/reports', { token, body: { concern } });
    expect(ambiguous.status).toBe(400);
    expect(JSON.stringify(ambiguous.body)).toContain('You belong to more than one school: Elmwood Academy (forest-elm), Oakfield Primary (forest-oak)');
    expect(JSON.stringify(ambiguous.body)).toContain('schoolId');
    const wrong = await t.request('/api/v1/reports', { token, body: { concern, schoolId: 'oakfield' } });
    expect(wrong.status).toBe(400);
    const filed = await t.request('/api/v1/reports', { token, body: { concern, schoolId: 'forest-elm' } });
    expect(filed.status).toBe(201);
    const elm = await t.service.deps.storage.read((r) => r.schools.getBySlug('forest-elm'));
    expect(await t.service.deps.storage.read((r) => r.cases.getHeader(elm!.id, filed.body.caseId))).toBeDefined();
  });

  test('Trusts and local authorities: GET /trusts/{trust}/figures answers the trust lead with counts only, and anyone else 404', async () => {
    const figures = await t.request('/api/v1/trusts/forest/figures', { token: await tokenOf('lead@forest.example.org', lead) });
    expect(figures.status).toBe(200);
    expect(figures.body.schools.map((s: { school: { slug: string } }) => s.school.slug)).toEqual(['forest-elm', 'forest-oak']);
    expect(JSON.stringify(figures.body)).not.toContain('Zebedee');
    expect(figures.headers.get('cache-control')).toContain('no-store');
    const refused = await t.request('/api/v1/trusts/forest/figures', { token: await tokenOf('pip@forest.example.org', pip) });
    expect(refused.status).toBe(404);
    const schoolStaff = await t.request('/api/v1/trusts/forest/figures', { token: await t.tokenFor(t.schoolA.dsl, t.schoolA) });
    expect(schoolStaff.status).toBe(404);
    const openapi = await t.request('/api/v1/openapi.json');
    expect(Object.keys(openapi.body.paths)).toContain('/api/v1/trusts/{trust}/figures');
  });
});
