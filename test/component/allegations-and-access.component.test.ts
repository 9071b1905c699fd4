import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listAccessEvents } from '../../src/app/cases/list-access-events.ts';
import { STAFF_SEARCHES_PER_MINUTE } from '../../src/server/routes/people-routes.ts';
import { enginesUnderTest } from '../support/test-storage.ts';
import { startTestService, type TestService } from '../support/test-service.ts';

const EML = readFileSync(join(__dirname, '..', '..', 'samples', 'emails', 'headteacher-gift-cards.eml'));
const DESCRIPTION = 'Pupil Peregrine Ollerenshaw was sent messages at night';

describe.each(enginesUnderTest())('allegations and the access log over HTTP on %s', (engine) => {
  let t: TestService;
  beforeEach(async () => {
    t = await startTestService(engine);
  });
  afterEach(async () => {
    await t.close();
  });

  const as = async (who: keyof Omit<TestService['schoolA'], 'school' | 'tenantId'>) => t.tokenFor(t.schoolA[who], t.schoolA);
  const report = async (token: string, overrides: Record<string, unknown> = {}) => {
    const answer = await t.request('/api/v1/reports', { method: 'POST', token, body: { concern: { types: ['online_bullying'], description: DESCRIPTION, ...overrides } } });
    expect(answer.status).toBe(201);
    return answer.body as { caseId: string; reference: string };
  };

  test('allegations about staff from every surface: the Outlook people search answers names and ids of the reporter’s school only, and is rate-limited', async () => {
    const token = await as('staff');
    const found = await t.request('/api/v1/people/search?q=Teach', { token });
    expect(found.status).toBe(200);
    // Alex Teacher of the same school; never Sam Teacher (the reporter), never the other school's teachers.
    expect(found.body).toEqual({ people: [{ id: t.schoolA.staff2.personId, name: 'Alex Teacher' }] });
    expect((await t.request('/api/v1/people/search?q=h', { token })).body).toEqual({ people: [] });
    expect((await t.request('/api/v1/people/search', { token })).status).toBe(400);
    let last = found;
    for (let i = 0; i < STAFF_SEARCHES_PER_MINUTE; i++) last = await t.request('/api/v1/people/search?q=Hana', { token });
    expect(last.status).toBe(429);
    expect(last.body.error.message).toMatch(/Too many searches/);
  });

  test('allegations about staff from every surface: an email reported from Outlook about a member of staff is restricted and its subject never sees it', async () => {
    const token = await as('staff');
    const filed = await t.request(`/api/v1/email-reports?choice=inappropriate&subject=${t.schoolA.dsl.personId}`, { method: 'POST', token, rawBody: EML, headers: { 'Content-Type': 'message/rfc822' } });
    expect(filed.status).toBe(201);
    const asSubject = await t.request(`/api/v1/cases/${filed.body.reference}`, { token: await as('dsl') });
    expect(asSubject.status).toBe(404);
    const asHead = await t.request(`/api/v1/cases/${filed.body.reference}`, { token: await as('head') });
    expect(asHead.status).toBe(200);
    expect(asHead.body.case).toMatchObject({ restricted: true, subjectPersonId: t.schoolA.dsl.personId });
    expect(asHead.body.case.types).toContain('staff_allegation');
    const list = await t.request('/api/v1/cases', { token: await as('dsl') });
    expect(list.body.cases.map((c: { reference: string }) => c.reference)).not.toContain(filed.body.reference);
    // Someone of another school cannot be named.
    const elsewhere = await t.request(`/api/v1/email-reports?choice=inappropriate&subject=${t.schoolB.staff.personId}`, { method: 'POST', token, rawBody: EML, headers: { 'Content-Type': 'message/rfc822' } });
    expect(elsewhere.status).toBe(400);
  });

  test('every access is logged: case lists and AUP status exports are access events; the DSL lists who opened what by case, by person and by date', async () => {
    const dsl = await as('dsl');
    const head = await as('head');
    const filed = await report(await as('staff'));
    expect((await t.request('/api/v1/cases', { token: dsl })).status).toBe(200);
    expect((await t.request(`/api/v1/cases/${filed.reference}`, { token: head })).status).toBe(200);
    expect((await t.request('/api/v1/aup/status?format=csv', { token: await as('admin') })).status).toBe(200);

    const all = await t.request('/api/v1/audit/access', { token: dsl });
    expect(all.status).toBe(200);
    const actions = all.body.entries.map((e: { action: string; personEmail: string }) => `${e.action} ${e.personEmail}`);
    expect(actions).toEqual(['case.list_viewed dsl@oakfield.example.org', 'case.viewed head@oakfield.example.org', 'aup.status_exported admin@oakfield.example.org']);
    expect(all.body.entries[0].detail).toMatchObject({ cases: 1, references: filed.reference });
    expect(all.body.entries[2].detail).toMatchObject({ via: 'api_csv' });

    const byCase = await t.request(`/api/v1/audit/access?case=${filed.reference}`, { token: head });
    expect(byCase.body.entries.map((e: { action: string }) => e.action)).toEqual(['case.viewed']);
    const byPerson = await t.request('/api/v1/audit/access?person=head@oakfield.example.org', { token: dsl });
    expect(byPerson.body.entries.map((e: { action: string; caseReference: string }) => [e.action, e.caseReference])).toEqual([
      ['case.viewed', filed.reference],
      // The head's own look at the log for this case, just before.
      ['audit.access_listed', filed.reference],
    ]);
    // By date: nothing before today; everything when the range covers it. Listing the log is itself recorded.
    const today = new Date().toISOString().slice(0, 10);
    expect((await t.request('/api/v1/audit/access?until=2020-01-01', { token: dsl })).body.entries).toEqual([]);
    const ranged = await t.request(`/api/v1/audit/access?since=2020-01-01&until=${today}T23:59:59Z`, { token: dsl });
    expect(ranged.body.entries.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['case.list_viewed', 'case.viewed', 'aup.status_exported', 'audit.access_listed']));
    expect((await t.request('/api/v1/audit/access?since=yesterday', { token: dsl })).status).toBe(400);

    // Only the DSL and the head; and only their own school's log.
    expect((await t.request('/api/v1/audit/access', { token: await as('staff') })).status).toBe(403);
    expect((await t.request('/api/v1/audit/access', { token: await as('deputy') })).status).toBe(403);
    const otherSchool = await listAccessEvents(t.service.deps, { actor: t.schoolB.dsl, schoolId: t.schoolB.school.id, filter: {} });
    expect(otherSchool.entries.filter((e) => e.action !== 'audit.access_listed')).toEqual([]);
  });

  test('every access is logged: the head never learns of an allegation about them from the access log', async () => {
    const dsl = await as('dsl');
    const head = await as('head');
    const filed = await report(await as('staff'), { subjectPersonId: t.schoolA.head.personId });
    expect((await t.request(`/api/v1/cases/${filed.reference}`, { token: dsl })).status).toBe(200);
    expect((await t.request('/api/v1/cases', { token: dsl })).status).toBe(200);
    const asDsl = await t.request('/api/v1/audit/access', { token: dsl });
    expect(asDsl.body.entries.map((e: { action: string }) => e.action)).toEqual(['case.viewed', 'case.list_viewed']);
    expect(asDsl.body.entries[1].detail.references).toBe(filed.reference);

    const asHead = await t.request('/api/v1/audit/access', { token: head });
    expect(asHead.status).toBe(200);
    expect(JSON.stringify(asHead.body)).not.toContain(filed.reference);
    expect(JSON.stringify(asHead.body)).not.toContain(filed.caseId);
    expect(asHead.body.entries.find((e: { action: string }) => e.action === 'case.list_viewed').detail.references).toBe('');
    expect((await t.request(`/api/v1/audit/access?case=${filed.reference}`, { token: head })).status).toBe(404);
  });

  test('every access is logged: a certificate download is an access event, listed by person', async () => {
    const admin = await as('admin');
    const staff = await as('staff');
    const published = await t.request('/api/v1/aup/policies', { token: admin, body: { audience: 'staff', title: 'Staff AUP', markdown: '# Staff AUP\n\nI will keep my passwords private.\n', acknowledgementWording: 'I have read and agree to follow this policy', effectiveDate: '2026-09-01', reviewDate: '2027-09-01' } });
    expect(published.status).toBe(201);
    const signed = await t.request(`/api/v1/aup/policies/${published.body.id}/acknowledgements`, { token: staff, body: { agreed: true, typedName: 'Sam Teacher' } });
    expect(signed.status).toBe(201);
    const url = `/api/v1/aup/policies/${published.body.id}/acknowledgements/${signed.body.acknowledgement.id}/certificate.pdf`;
    expect((await fetch(`${t.url}${url}`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
    expect((await fetch(`${t.url}${url}`, { headers: { authorization: `Bearer ${await as('staff2')}` } })).status).toBe(403);
    const log = await t.request('/api/v1/audit/access?person=admin@oakfield.example.org', { token: await as('head') });
    expect(log.body.entries).toEqual([
      expect.objectContaining({ action: 'aup.certificate_downloaded', policyId: published.body.id, detail: { acknowledgementId: signed.body.acknowledgement.id, ownSignature: false } }),
    ]);
  });
});
