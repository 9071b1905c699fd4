import { PDFDocument } from 'pdf-lib';
import { enginesUnderTest } from '../support/test-storage.ts';
import { startTestService, type TestService } from '../support/test-service.ts';

const POLICY = {
  audience: 'staff',
  title: 'Staff Acceptable Use Policy',
  markdown: '# Staff AUP\r\n\r\nI will keep my passwords private.  \r\n',
  acknowledgementWording: 'I have read and agree to follow this policy',
  effectiveDate: '2026-09-01',
  reviewDate: '2027-09-01',
};

describe.each(enginesUnderTest())('AUP over the API on %s', (engine) => {
  let t: TestService;
  beforeEach(async () => {
    t = await startTestService(engine);
  });
  afterEach(async () => {
    await t.close();
  });

  test('an admin publishes, staff read and sign the current version, and the signer downloads a certificate', async () => {
    const admin = await t.tokenFor(t.schoolA.admin, t.schoolA);
    const staff = await t.tokenFor(t.schoolA.staff, t.schoolA);
    expect((await t.request('/api/v1/aup/policies', { token: staff, body: POLICY })).status).toBe(403);
    const bad = await t.request('/api/v1/aup/policies', { token: admin, body: { ...POLICY, reviewDate: '2026-01-01' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual([{ path: 'reviewDate', message: 'The review date must be after the date the policy takes effect.' }]);

    const published = await t.request('/api/v1/aup/policies', { token: admin, body: POLICY });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ version: 1, markdown: '# Staff AUP\n\nI will keep my passwords private.\n', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const list = await t.request('/api/v1/aup/policies', { token: staff });
    expect(list.body.policies).toEqual([expect.not.objectContaining({ markdown: expect.anything() })]);
    expect((await t.request(`/api/v1/aup/policies/${published.body.id}`, { token: staff })).body.sha256).toBe(published.body.sha256);

    const unsigned = await t.request(`/api/v1/aup/policies/${published.body.id}/acknowledgements`, { token: staff, body: { agreed: false, typedName: 'S' } });
    expect(unsigned.status).toBe(400);
    const signed = await t.request(`/api/v1/aup/policies/${published.body.id}/acknowledgements`, { token: staff, body: { agreed: true, typedName: 'Sam Teacher' }, headers: { 'user-agent': 'Mozilla/5.0 (test)' } });
    expect(signed.status).toBe(201);
    expect(signed.body.acknowledgement).toMatchObject({ surface: 'web', policyVersion: 1, sha256: published.body.sha256, userAgent: 'Mozilla/5.0 (test)', directoryIdentity: { provider: 'entra', tenantId: t.schoolA.tenantId } });
    const again = await t.request(`/api/v1/aup/policies/${published.body.id}/acknowledgements`, { token: staff, body: { agreed: true, typedName: 'Sam Teacher' } });
    expect(again.status).toBe(200);
    expect(again.body.alreadySigned).toBe(true);

    const certificateUrl = `${t.url}/api/v1/aup/policies/${published.body.id}/acknowledgements/${signed.body.acknowledgement.id}/certificate.pdf`;
    const pdf = await fetch(certificateUrl, { headers: { authorization: `Bearer ${staff}` } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const loaded = await PDFDocument.load(new Uint8Array(await pdf.arrayBuffer()));
    expect(loaded.getSubject()).toContain(published.body.sha256);
    const other = await fetch(certificateUrl, { headers: { authorization: `Bearer ${await t.tokenFor(t.schoolA.staff2, t.schoolA)}` } });
    expect(other.status).toBe(403);

    // A new version: signing the old one is refused with the new version named.
    await t.request('/api/v1/aup/policies', { token: admin, body: { ...POLICY, markdown: '# Staff AUP\n\nI will lock my screen.\n' } });
    const stale = await t.request(`/api/v1/aup/policies/${published.body.id}/acknowledgements`, { token: await t.tokenFor(t.schoolA.staff2, t.schoolA), body: { agreed: true, typedName: 'Alex Teacher' } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toContain('version 2');
  });
});
