import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUPIL_SEARCHES_PER_MINUTE } from '../../src/server/routes/pupil-routes.ts';
import { enginesUnderTest } from '../support/test-storage.ts';
import { startTestService, type TestService } from '../support/test-service.ts';

const CTF = readFileSync(join(__dirname, '../fixtures/ctf/sims-full.xml'), 'utf8');

describe.each(enginesUnderTest())('the pupil register over HTTP on %s', (engine) => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService(engine);
  });
  afterAll(async () => {
    await t.close();
  });
  const as = async (who: keyof Omit<TestService['schoolA'], 'school' | 'tenantId'>) => t.tokenFor(t.schoolA[who], t.schoolA);

  test('a DSL uploads the CTF; staff pick a child by name; the DSL opens the record; others cannot', async () => {
    const refused = await t.request('/api/v1/pupils/import', { method: 'POST', token: await as('staff'), rawBody: CTF, headers: { 'Content-Type': 'text/xml' } });
    expect(refused.status).toBe(403);
    const imported = await t.request('/api/v1/pupils/import', { method: 'POST', token: await as('dsl'), rawBody: CTF, headers: { 'Content-Type': 'text/xml; charset=utf-8' } });
    expect(imported.status).toBe(200);
    expect(imported.body).toEqual({ format: 'ctf', full: true, added: 3, updated: 0, markedLeft: 0, unchanged: 0, rejected: [], notInFile: 0 });
    const csv = await t.request('/api/v1/pupils/import', { method: 'POST', token: await as('admin'), rawBody: 'upn,legal_forename,legal_surname,date_of_birth\nF938200119001,Samantha,Green,\n', headers: { 'Content-Type': 'text/csv' } });
    expect(csv.body.rejected).toEqual([{ position: 'line 2', message: 'date_of_birth: missing; give the pupil’s date of birth (YYYY-MM-DD)' }]);
    expect((await t.request('/api/v1/pupils/import', { method: 'POST', token: await as('dsl'), rawBody: '<CTfile>', headers: { 'Content-Type': 'text/xml' } })).status).toBe(400);
    expect((await t.request('/api/v1/pupils/import', { method: 'POST', token: await as('dsl'), body: { pupils: [] } })).status).toBe(415);

    const token = await as('staff');
    const found = await t.request('/api/v1/pupils/search?q=sam%20gr', { token });
    expect(found.status).toBe(200);
    expect(found.body.pupils).toEqual([{ id: expect.any(String), name: 'Sam Green', yearGroup: '5', registrationGroup: '5G' }]);
    const samId = found.body.pupils[0].id as string;
    // The leaver (Toby) is not offered.
    expect((await t.request('/api/v1/pupils/search?q=toby', { token })).body).toEqual({ pupils: [] });
    expect((await t.request('/api/v1/pupils/search', { token })).status).toBe(400);

    expect((await t.request(`/api/v1/pupils/${samId}`, { token })).status).toBe(404);
    const record = await t.request(`/api/v1/pupils/${samId}`, { token: await as('dsl') });
    expect(record.status).toBe(200);
    expect(record.body).toMatchObject({ id: samId, upn: 'F938200119001', legalForename: 'Samantha', preferredForename: 'Sam', dateOfBirth: '2016-03-14' });
    expect((await t.request('/api/v1/pupils/not-an-id', { token: await as('dsl') })).status).toBe(400);
  });

  test('the search is rate-limited per person', async () => {
    const token = await as('staff2');
    let last = await t.request('/api/v1/pupils/search?q=iris', { token });
    for (let i = 0; i < PUPIL_SEARCHES_PER_MINUTE; i++) last = await t.request('/api/v1/pupils/search?q=iris', { token });
    expect(last.status).toBe(429);
    expect(last.body.error.message).toMatch(/Too many searches/);
  });
});
