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

describe.each(enginesUnderTest())('running policy sign-off over the API on %s', (engine) => {
  let t: TestService;
  beforeEach(async () => {
    t = await startTestService(engine);
  });
  afterEach(async () => {
    await t.close();
  });

  test('the office adds a new starter, sees who has signed, exports CSV and follows the campaign', async () => {
    const admin = await t.tokenFor(t.schoolA.admin, t.schoolA);
    const staff = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const published = await t.request('/api/v1/aup/policies', { token: admin, body: POLICY });
    expect(published.status).toBe(201);

    const bad = await t.request('/api/v1/aup/new-starters', { token: admin, body: { displayName: 'N', email: 'nope' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { path: string }) => f.path).sort()).toEqual(['displayName', 'email']);
    expect((await t.request('/api/v1/aup/new-starters', { token: staff, body: { displayName: 'Nia Newstart', email: 'nia@oakfield.example.org' } })).status).toBe(403);
    const added = await t.request('/api/v1/aup/new-starters', { token: admin, body: { displayName: 'Nia Newstart', email: 'nia@oakfield.example.org', startDate: '2031-09-01' } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ personId: expect.any(String), delivery: { reason: 'new_starter', state: 'queued' } });

    const signed = await t.request(`/api/v1/aup/policies/${published.body.id}/acknowledgements`, { token: staff, body: { agreed: true, typedName: 'Sam Teacher' } });
    expect(signed.status).toBe(201);

    expect((await t.request('/api/v1/aup/status', { token: staff })).status).toBe(403);
    const status = await t.request('/api/v1/aup/status', { token: admin });
    expect(status.status).toBe(200);
    expect(status.body.totals).toEqual({ people: 9, signed: 1, unsigned: 8, noPolicy: 0, throughLink: 0 });
    expect(status.body.rows.find((r: { displayName: string }) => r.displayName === 'Nia Newstart')).toMatchObject({ status: 'unsigned', startDate: '2031-09-01', delivery: { state: 'queued' } });
    const unsigned = await t.request('/api/v1/aup/status?unsigned=true', { token: admin });
    expect(unsigned.body.rows).toHaveLength(8);
    expect((await t.request('/api/v1/aup/status?audience=pupils', { token: admin })).status).toBe(400);

    const csv = await t.request('/api/v1/aup/status?format=csv', { token: admin });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="aup-status-\d{4}\.csv"/);
    const lines = String(csv.body).replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    expect(lines).toHaveLength(10);
    expect(lines.find((line) => line.startsWith('Sam Teacher,'))).toMatch(/,signed,\d{4}-/);

    const campaigns = await t.request('/api/v1/aup/campaigns', { token: admin });
    expect(campaigns.body.campaigns).toHaveLength(1);
    expect(campaigns.body.campaigns[0]).toMatchObject({ policyVersion: 1, campaign: { reason: 'published', recipients: 8 }, signed: 1 });
    const one = await t.request(`/api/v1/aup/campaigns/${campaigns.body.campaigns[0].campaign.id}`, { token: admin });
    expect(one.body.campaign.id).toBe(campaigns.body.campaigns[0].campaign.id);
    expect((await t.request('/api/v1/aup/campaigns/nope', { token: admin })).status).toBe(404);
    const again = await t.request('/api/v1/aup/campaigns', { token: admin, body: { policyId: published.body.id } });
    expect(again.status).toBe(200);
    // Starting it again adds nobody: the new starter already has her own request for this version.
    expect(again.body).toMatchObject({ created: false, added: 0 });

    // Another school's admin sees none of it.
    const otherAdmin = await t.tokenFor(t.schoolB.admin, t.schoolB);
    expect((await t.request('/api/v1/aup/status', { token: otherAdmin })).body.totals).toEqual({ people: 8, signed: 0, unsigned: 0, noPolicy: 8, throughLink: 0 });
  });

  test('settings and per-person overrides are validated and saved', async () => {
    const admin = await t.tokenFor(t.schoolA.admin, t.schoolA);
    const settings = await t.request('/api/v1/aup/settings', { token: admin });
    expect(settings.body).toMatchObject({ reminderDays: [1, 3, 7], reacknowledgeOn: '09-01', audienceRules: { defaultAudience: 'staff' } });
    const wrong = await t.request('/api/v1/aup/settings', { method: 'PUT', token: admin, body: { ...settings.body, schoolDay: { ...settings.body.schoolDay, start: '8am' } } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.fields).toEqual([{ path: 'schoolDay.start', message: 'Give the time as HH:MM, such as 08:00.' }]);
    const saved = await t.request('/api/v1/aup/settings', { method: 'PUT', token: admin, body: { ...settings.body, reminderDays: [2, 5], audienceRules: { rules: [{ field: 'department', equals: 'Governors', audience: 'governor' }], defaultAudience: 'staff' } } });
    expect(saved.status).toBe(200);
    expect((await t.request('/api/v1/aup/settings', { token: admin })).body.reminderDays).toEqual([2, 5]);

    const override = await t.request(`/api/v1/aup/people/${t.schoolA.governor.personId}/profile`, { method: 'PUT', token: admin, body: { audienceOverride: 'governor', startDate: null } });
    expect(override.status).toBe(200);
    expect(override.body).toMatchObject({ audienceOverride: 'governor', source: 'office' });
    const status = await t.request('/api/v1/aup/status?audience=governor', { token: admin });
    expect(status.body.rows.map((r: { personId: string }) => r.personId)).toEqual([t.schoolA.governor.personId]);
    expect((await t.request(`/api/v1/aup/people/${t.schoolB.staff.personId}/profile`, { method: 'PUT', token: admin, body: { audienceOverride: 'visitor' } })).status).toBe(404);
  });
});
