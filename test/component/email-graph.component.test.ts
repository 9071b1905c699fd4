import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { startService, type RunningService } from '../../src/wiring.ts';
import { plainHttpNetworkClient, startFakeGraph, type FakeGraph } from '../fakes/fake-graph.ts';
import { startFakeIdentityProvider, type FakeIdentityProvider } from '../fakes/fake-identity-provider.ts';
import { seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

const SAMPLE = readFileSync(join(__dirname, '../../samples/emails/headteacher-gift-cards.eml'));
const API_AUDIENCE = 'api://dsl-desk-graph-test';
const CLIENT_ID = '9c1b2a3d-0000-4000-8000-00000000c1c1';
const CLIENT_SECRET = 'test-secret-not-real';

describe.each(enginesUnderTest())('reporting an email from its mailbox through Graph on %s', (engine) => {
  let idp: FakeIdentityProvider;
  let graph: FakeGraph;
  let db: TestStorage;
  let service: RunningService;
  let school: SeededSchool;
  const tenantId = randomUUID();
  const objectIds = { staff: randomUUID(), staff2: randomUUID() };

  beforeEach(async () => {
    idp = await startFakeIdentityProvider();
    idp.registerClient({ id: CLIENT_ID, secret: CLIENT_SECRET, audience: API_AUDIENCE });
    graph = await startFakeGraph(idp);
    db = await createTestStorage(engine);
    const config = loadConfig({
      DSL_DESK_MODE: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_KEYS: 'unused:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      DATA_KEY_ID: 'unused',
      LOG_LEVEL: 'silent',
      ENTRA_AUDIENCES: API_AUDIENCE,
      ENTRA_OPENID_METADATA_URL: idp.entraMetadataUrl,
      ENTRA_CLIENT_ID: CLIENT_ID,
      ENTRA_CLIENT_SECRET: CLIENT_SECRET,
      // MSAL only accepts an https authority; the test network client carries it to the local provider.
      MICROSOFT_LOGIN_URL: idp.baseUrl.replace('http://', 'https://'),
      MICROSOFT_GRAPH_URL: graph.url,
      OUTBOX_POLL_MS: '60000',
    });
    service = await startService(config, createLogger('silent'), { storage: db.storage, msalNetworkClient: plainHttpNetworkClient() });
    school = await seedSchool(service.deps, 'oakfield', { entraTenantId: tenantId });
    graph.setOwner('staff@oakfield.example.org', objectIds.staff);
    graph.setOwner('staff2@oakfield.example.org', objectIds.staff2);
    // The school office's shared mailbox: the first teacher has access to it, the second does not.
    graph.grantAccess('office@oakfield.example.org', objectIds.staff);
    graph.addMessage({ mailbox: 'office@oakfield.example.org', id: 'AAMkAGI2-office-1', mime: SAMPLE });
    graph.addMessage({ mailbox: 'staff2@oakfield.example.org', id: 'AAMkAGI2-own-1', mime: SAMPLE });
  });
  afterEach(async () => {
    await service.close();
    await db.cleanup();
    await graph.close();
    await idp.close();
  });

  const tokenFor = (who: 'staff' | 'staff2') =>
    idp.mintEntraToken({ tid: tenantId, oid: objectIds[who], aud: API_AUDIENCE, preferred_username: `${who}@oakfield.example.org`, name: who });

  const report = async (who: 'staff' | 'staff2', body: Record<string, unknown>) => {
    const response = await fetch(`${service.url}/api/v1/email-reports/graph`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenFor(who)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  test('a shared-mailbox message is fetched as the reporter (on-behalf-of), analysed and filed', async () => {
    const filed = await report('staff', { itemId: 'AAMkAGI2-office-1', mailbox: 'office@oakfield.example.org', choice: 'phishing', note: 'Came into the office inbox' });
    expect(filed.status).toBe(201);
    expect(filed.body.reference).toMatch(/^CASE-/);
    // The token exchange carried the reporter's identity, and Graph was called as them.
    expect(idp.oboExchanges).toEqual([expect.objectContaining({ tenant: tenantId, oid: objectIds.staff })]);
    expect(graph.calls.at(-1)).toMatchObject({ status: 200, oid: objectIds.staff });
    const stored = await service.deps.storage.read((r) => r.emails.listForCase(school.school.id, filed.body.caseId));
    expect(stored[0]).toMatchObject({ contentKept: true, analysis: { verdict: 'likely_phishing' } });
    // Reporting the same message from another mailbox joins the case.
    const again = await report('staff2', { itemId: 'AAMkAGI2-own-1', choice: 'phishing' });
    expect(again.body).toMatchObject({ caseId: filed.body.caseId, joinedExisting: true });
  });

  test('Microsoft enforces mailbox access: a shared mailbox the reporter cannot open is refused with a clear message', async () => {
    const refused = await report('staff2', { itemId: 'AAMkAGI2-office-1', mailbox: 'office@oakfield.example.org', choice: 'phishing' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('cannot read that mailbox');
    expect(graph.calls.at(-1)).toMatchObject({ status: 403, oid: objectIds.staff2 });
    const rows = await db.raw('select count(*) as n from cases');
    expect(Number(rows[0]!.n)).toBe(0);
  });

  test('without admin consent the exchange is refused and the reporter is told what to ask IT', async () => {
    idp.registerClient({ id: CLIENT_ID, secret: CLIENT_SECRET, audience: API_AUDIENCE, consented: false });
    const refused = await report('staff', { itemId: 'AAMkAGI2-office-1', mailbox: 'office@oakfield.example.org' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('admin consent');
  });

  test('a missing message id, or a mailbox that is not an address, is a 400 saying what to send', async () => {
    const missing = await report('staff', { choice: 'phishing' });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain('itemId');
    const badMailbox = await report('staff', { itemId: 'x', mailbox: 'the office' });
    expect(badMailbox.status).toBe(400);
  });
});
