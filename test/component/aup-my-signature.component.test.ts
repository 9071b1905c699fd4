import { policyPageUrl } from '../../src/app/aup/policy-page-links.ts';
import { loadConfig } from '../../src/config.ts';
import { enginesUnderTest } from '../support/test-storage.ts';
import { startTestService, type TestService } from '../support/test-service.ts';

const POLICY = {
  audience: 'staff',
  title: 'Staff Acceptable Use Policy',
  markdown: '# Staff AUP\n\nI will keep my passwords private.\n',
  acknowledgementWording: 'I have read and agree to follow this policy',
  effectiveDate: '2026-09-01',
  reviewDate: '2027-09-01',
};

const TEAMS_TAB = { 'X-DSL-Desk-Surface': 'teams-tab' };
const DATA_KEYS = 'my-signature-1:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';
const DATA_KEY_ID = 'my-signature-1';
/** The key the service signs policy-page addresses with: derived from the data key, as the service derives it. */
const PAGE_LINK_KEY = loadConfig({ DSL_DESK_MODE: 'production', ENTRA_AUDIENCES: 'api://unused', DATA_KEYS, DATA_KEY_ID }).pageLinkKey;

describe.each(enginesUnderTest())('my signature of a policy, and signing from inside Teams, on %s', (engine) => {
  let t: TestService;
  let admin: string;
  let policy: { id: string; version: number };

  beforeEach(async () => {
    t = await startTestService(engine, { DATA_KEYS, DATA_KEY_ID });
    admin = await t.tokenFor(t.schoolA.admin, t.schoolA);
    const published = await t.request('/api/v1/aup/policies', { token: admin, body: POLICY });
    expect(published.status).toBe(201);
    policy = published.body;
  });
  afterEach(async () => {
    await t.close();
  });

  const mySignature = (token: string, policyId = policy.id) => t.request(`/api/v1/aup/policies/${policyId}/my-signature`, { token });
  const sign = (token: string, headers: Record<string, string> = {}) => t.request(`/api/v1/aup/policies/${policy.id}/acknowledgements`, { token, body: { agreed: true, typedName: 'Sam Teacher' }, headers });
  const storedSurfaces = async () =>
    Object.fromEntries((await t.service.deps.storage.read((reader) => reader.aupAcknowledgements.forPolicy(t.schoolA.school.id, policy.id))).map((ack) => [ack.personId, ack.surface]));

  test('says whether I have signed this version this cycle, before and after signing inside Teams', async () => {
    const staff = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const before = await mySignature(staff);
    expect(before.status).toBe(200);
    expect(before.headers.get('cache-control')).toBe('no-store');
    expect(before.body).toEqual({ policy: { id: policy.id, version: 1, title: POLICY.title, current: true }, signature: null });

    const signed = await sign(staff, TEAMS_TAB);
    expect(signed.status).toBe(201);
    expect(signed.body.acknowledgement).toMatchObject({ surface: 'teams', directoryIdentity: { provider: 'entra', tenantId: t.schoolA.tenantId } });

    const after = await mySignature(staff);
    expect(after.status).toBe(200);
    expect(after.body).toEqual({
      policy: { id: policy.id, version: 1, title: POLICY.title, current: true },
      signature: { id: signed.body.acknowledgement.id, signedAt: signed.body.acknowledgement.signedAt, policyVersion: 1, cycle: signed.body.acknowledgement.cycle },
    });
    expect(after.body.signature.cycle).toMatch(/^\d{4}/);

    // Someone else's answer is their own.
    expect((await mySignature(await t.tokenFor(t.schoolA.staff2, t.schoolA))).body.signature).toBeNull();

    // Once a newer version is published, this one can no longer be signed, and my signature of it still shows.
    const second = await t.request('/api/v1/aup/policies', { token: admin, body: { ...POLICY, markdown: '# Staff AUP\n\nI will lock my screen.\n' } });
    expect(second.status).toBe(201);
    const replaced = await mySignature(staff);
    expect(replaced.body.policy.current).toBe(false);
    expect(replaced.body.signature?.id).toBe(signed.body.acknowledgement.id);
    expect((await mySignature(staff, second.body.id)).body).toEqual({ policy: { id: second.body.id, version: 2, title: POLICY.title, current: true }, signature: null });
  });

  test('the teams-tab header records a signature given in Teams only with an Entra token', async () => {
    const inTeams = await sign(await t.tokenFor(t.schoolA.staff, t.schoolA), TEAMS_TAB);
    expect(inTeams.status).toBe(201);
    expect(inTeams.body.acknowledgement.surface).toBe('teams');

    const inBrowser = await sign(await t.tokenFor(t.schoolA.staff2, t.schoolA));
    expect(inBrowser.status).toBe(201);
    expect(inBrowser.body.acknowledgement.surface).toBe('web');

    // A Google token cannot come from Teams SSO, so the header alone does not make it a Teams signature.
    const google = await t.idp.mintGoogleToken({ sub: 'google-dsl-1', aud: 'dsl-desk-test.apps.googleusercontent.com', email: 'dsl@oakfield.example.org', hd: 'oakfield.example.org' });
    const withGoogle = await sign(google, TEAMS_TAB);
    expect(withGoogle.status).toBe(201);
    expect(withGoogle.body.acknowledgement).toMatchObject({ surface: 'web', directoryIdentity: { provider: 'google' } });

    // Any other value of the header changes nothing either.
    const other = await sign(await t.tokenFor(t.schoolA.head, t.schoolA), { 'X-DSL-Desk-Surface': 'teams' });
    expect(other.body.acknowledgement.surface).toBe('web');

    expect(await storedSurfaces()).toEqual({
      [t.schoolA.staff.personId]: 'teams',
      [t.schoolA.staff2.personId]: 'web',
      [t.schoolA.dsl.personId]: 'web',
      [t.schoolA.head.personId]: 'web',
    });
  });

  test("another school's policy is not found, and nothing is signed", async () => {
    const elsewhere = await t.tokenFor(t.schoolB.staff, t.schoolB);
    const read = await mySignature(elsewhere);
    expect(read.status).toBe(404);
    expect(read.body.error.code).toBe('not_found');
    const signed = await t.request(`/api/v1/aup/policies/${policy.id}/acknowledgements`, { token: elsewhere, body: { agreed: true, typedName: 'Sam Teacher' }, headers: TEAMS_TAB });
    expect(signed.status).toBe(404);
    expect(await storedSurfaces()).toEqual({});

    expect((await mySignature(await t.tokenFor(t.schoolA.staff, t.schoolA), 'no-such-policy')).status).toBe(404);
    // Without a token there is no answer at all.
    expect((await t.request(`/api/v1/aup/policies/${policy.id}/my-signature`)).status).toBe(401);
  });

  test('the policy page carries the Teams signing controls hidden, with no form, and may call the API from its own origin', async () => {
    const wording = 'I agree to the <b>rules</b> & will follow them';
    const published = await t.request('/api/v1/aup/policies', { token: admin, body: { ...POLICY, audience: 'visitor', acknowledgementWording: wording } });
    const url = new URL(policyPageUrl(t.url, PAGE_LINK_KEY, t.schoolA.school.id, published.body.id));
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const html = await response.text();
    // Without JavaScript (or outside Teams) nothing can be posted, so nothing to sign with is shown.
    expect(html).not.toContain('<form');
    expect(html).toMatch(new RegExp(`<div data-teams-sign data-policy-id="${published.body.id}" hidden>`));
    expect(html).toMatch(/<div class="panel" id="teams-signed" tabindex="-1" data-teams-signed hidden>/);
    expect(html).toMatch(/<p class="hint" data-teams-note hidden>Sign from the card in your chat with DSL Desk.<\/p>/);
    expect(html).toContain('<label class="checkbox-label" for="agreed">I agree to the &lt;b&gt;rules&lt;/b&gt; &amp; will follow them</label>');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/connect-src 'self'[ ;]/);
    expect(csp).toContain("frame-ancestors 'self' https://teams.microsoft.com");
    expect(csp).not.toContain('unsafe-inline');
  });
});
