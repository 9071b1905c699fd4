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
      REPORT_SENDER_MAILBOX: 'dsl-desk@oakfield.example.org',
      SECURITY_REPORT_MAILBOX: 'phish-reports@trust-it.example.org',
      OUTBOX_POLL_MS: '60000',
    });
    service = await startService(config, createLogger('silent'), { storage: db.storage, msalNetworkClient: plainHttpNetworkClient() });
    school = await seedSchool(service.deps, 'oakfield', { entraTenantId: tenantId });
    graph.setOwner('staff@oakfield.example.org', objectIds.staff);
    graph.setOwner('staff2@oakfield.example.org', objectIds.staff2);
    graph.setOwner('head@oakfield.example.org', randomUUID());
    graph.setOwner('office@oakfield.example.org', randomUUID());
    // Another school of the same trust, in the same tenant: its mailboxes are not this school's to clean.
    graph.setOwner('office@elmwood.example.org', randomUUID());
    // The school office's shared mailbox: the first teacher has access to it, the second does not.
    graph.grantAccess('office@oakfield.example.org', objectIds.staff);
    graph.addMessage({ mailbox: 'office@oakfield.example.org', id: 'AAMkAGI2-office-1', mime: SAMPLE });
    graph.addMessage({ mailbox: 'staff2@oakfield.example.org', id: 'AAMkAGI2-own-1', mime: SAMPLE });
    graph.addMessage({ mailbox: 'head@oakfield.example.org', id: 'AAMkAGI2-head-1', mime: SAMPLE });
    graph.addMessage({ mailbox: 'office@elmwood.example.org', id: 'AAMkAGI2-elmwood-1', mime: SAMPLE });
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

  test('the DSL removes every copy, forwards it to the security mailbox as phishing, and tells the reporters', async () => {
    const filed = await report('staff', { itemId: 'AAMkAGI2-office-1', mailbox: 'office@oakfield.example.org', choice: 'phishing' });
    await report('staff2', { itemId: 'AAMkAGI2-own-1', choice: 'phishing' });
    const [email] = await service.deps.storage.read((r) => r.emails.listForCase(school.school.id, filed.body.caseId));
    const dslToken = await idp.mintEntraToken({ tid: tenantId, oid: randomUUID(), aud: API_AUDIENCE, preferred_username: 'dsl@oakfield.example.org', name: 'dsl' });
    const act = async (path: string, body?: unknown, token = dslToken) => {
      const response = await fetch(`${service.url}/api/v1/cases/${filed.body.caseId}/emails/${email!.id}/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: (await response.json()) as any };
    };

    // A member of staff cannot.
    expect((await act('remove', undefined, await tokenFor('staff'))).status).toBe(403);

    const removal = await act('remove');
    expect(removal.status).toBe(202);
    await service.dispatcher.runOnce();
    // Three mailboxes held a copy (office@, staff2, head); each went to Deleted Items, found by Message-ID across pages of users.
    expect(graph.moved.map((m) => m.mailbox).sort()).toEqual(['head@oakfield.example.org', 'office@oakfield.example.org', 'staff2@oakfield.example.org']);
    expect(graph.moved.every((m) => m.destination === 'deleteditems')).toBe(true);

    const forwarded = await act('forward', { to: ['security'] });
    expect(forwarded).toMatchObject({ status: 200, body: { sentTo: ['security'] } });
    const sent = graph.sent[0]!.body as any;
    expect(graph.sent[0]!.from).toBe('dsl-desk@oakfield.example.org');
    expect(sent.message.subject).toBe('Phishing: Quick favour before assembly');
    expect(sent.message.toRecipients).toEqual([{ emailAddress: { address: 'phish-reports@trust-it.example.org' } }]);
    expect(sent.message.attachments).toHaveLength(1);
    // Unmodified: the attachment is byte for byte the message that was reported.
    expect(Buffer.from(sent.message.attachments[0].contentBytes, 'base64').equals(SAMPLE)).toBe(true);
    expect((await act('forward', { to: ['nowhere'] })).status).toBe(400);

    // The analysis only suggests: the reporters are told once the DSL has decided.
    const early = await act('tell-reporters');
    expect(early.status).toBe(409);
    expect(early.body.error.message).toContain('Confirm or change the verdict');
    expect((await act('verdict', { verdict: 'likely_phishing' })).status).toBe(400);
    expect((await act('verdict', { verdict: 'likely_phishing', reason: 'Not Harriet’s address' })).body).toEqual({ verdict: 'Likely phishing', changed: false });
    const told = await act('tell-reporters');
    expect(told.body).toMatchObject({ told: 2, verdict: 'Likely phishing' });
    const notices = await db.raw(`select payload from outbox where kind = 'person.notify'`);
    expect(notices.map((n) => JSON.parse(String(n.payload)).event)).toEqual(['email_verdict', 'email_verdict']);
    // This school has no Teams bot: the reporters are told by email, with the reference and no detail.
    await service.dispatcher.runOnce();
    const verdictMails = graph.sent.slice(1).map((mail) => mail.body as any);
    expect(verdictMails.map((mail) => mail.message.toRecipients[0].emailAddress.address).sort()).toEqual(['staff2@oakfield.example.org', 'staff@oakfield.example.org']);
    expect(verdictMails[0].message.subject).toBe(`The email you reported (${filed.body.reference}) was phishing`);
    expect(verdictMails[0].message.attachments).toBeUndefined();
    expect(JSON.stringify(verdictMails)).not.toContain('gift cards');

    const view = await fetch(`${service.url}/api/v1/cases/${filed.body.caseId}`, { headers: { authorization: `Bearer ${dslToken}` } }).then((r) => r.json() as Promise<any>);
    const removed = view.chronology.find((e: { action: string }) => e.action === 'case.email_removed');
    expect(removed.detail).toMatchObject({ found: 3, moved: 3, failed: 0, mailboxesSearched: 4, mailboxesFailed: 0 });
    expect(view.chronology.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['case.email_removal_requested', 'case.email_forwarded', 'case.email_verdict_decided', 'case.reporters_told_verdict']));
  });

  const dslObjectId = randomUUID();
  const dslAct = async (caseId: string, emailId: string, path: string, body?: unknown) => {
    const token = await idp.mintEntraToken({ tid: tenantId, oid: dslObjectId, aud: API_AUDIENCE, preferred_username: 'dsl@oakfield.example.org', name: 'dsl' });
    const response = await fetch(`${service.url}/api/v1/cases/${caseId}/emails/${emailId}/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  test('forward to the NCSC as well as the security mailbox: one message each, the .eml attached unmodified', async () => {
    const filed = await report('staff', { itemId: 'AAMkAGI2-office-1', mailbox: 'office@oakfield.example.org', choice: 'phishing' });
    const [email] = await service.deps.storage.read((r) => r.emails.listForCase(school.school.id, filed.body.caseId));
    const forwarded = await dslAct(filed.body.caseId, email!.id, 'forward', { to: ['ncsc', 'security', 'ncsc'] });
    expect(forwarded).toEqual({ status: 200, body: { sentTo: ['ncsc', 'security'] } });
    expect(graph.sent).toHaveLength(1);
    const sent = graph.sent[0]!.body as any;
    // NCSC_REPORT_ADDRESS is not set here: its default is the NCSC's Suspicious Email Reporting Service.
    expect(sent.message.toRecipients).toEqual([{ emailAddress: { address: 'report@phishing.gov.uk' } }, { emailAddress: { address: 'phish-reports@trust-it.example.org' } }]);
    expect(sent.message.subject).toBe('Phishing: Quick favour before assembly');
    expect(sent.message.attachments).toEqual([expect.objectContaining({ '@odata.type': '#microsoft.graph.fileAttachment', contentType: 'message/rfc822', name: `${filed.body.reference}-reported-email.eml` })]);
    expect(Buffer.from(sent.message.attachments[0].contentBytes, 'base64').equals(SAMPLE)).toBe(true);
    const view = await service.deps.storage.read((r) => r.audit.listForCase(school.school.id, filed.body.caseId));
    expect(view.find((e) => e.action === 'case.email_forwarded')!.detail).toMatchObject({ emailId: email!.id, to: 'ncsc,security', size: SAMPLE.byteLength });
  });

  test('forward to the NCSC of a message over 3 MB goes through a Graph upload session: a draft, ranges PUT without a token, then send', async () => {
    // A long phishing email (7 MB), well under the 35 MB report limit and over Graph's 3 MB for one request.
    const headers = SAMPLE.toString('latin1').split(/\r?\n\r?\n/)[0]!.replace(/^Content-Type:.*(?:\r?\n[ \t].*)*/im, 'Content-Type: text/plain; charset=us-ascii')
      .replace(/^Message-ID:.*$/im, 'Message-ID: <long-invoice-1@example.net>');
    const line = 'Please find the attached invoice and pay it before assembly today. '.repeat(1);
    const big = Buffer.from(`${headers}\r\n\r\n${`${line}\r\n`.repeat(110_000)}`, 'latin1');
    expect(big.byteLength).toBeGreaterThan(3 * 1024 * 1024 * 2);
    graph.addMessage({ mailbox: 'staff@oakfield.example.org', id: 'AAMkAGI2-big-1', mime: big });
    const filed = await report('staff', { itemId: 'AAMkAGI2-big-1', choice: 'phishing' });
    expect(filed.status).toBe(201);
    const [email] = await service.deps.storage.read((r) => r.emails.listForCase(school.school.id, filed.body.caseId));
    expect(email!.size).toBe(big.byteLength);

    const forwarded = await dslAct(filed.body.caseId, email!.id, 'forward', { to: ['ncsc'] });
    expect(forwarded).toEqual({ status: 200, body: { sentTo: ['ncsc'] } });
    // Several ranges, each at most 4 MB, in order, none carrying the bearer token, the last one answered 201.
    expect(graph.uploads.length).toBeGreaterThan(1);
    expect(graph.uploads.every((upload) => !upload.authorization && upload.bytes <= 4 * 1024 * 1024)).toBe(true);
    expect(graph.uploads.map((upload) => upload.status)).toEqual([...graph.uploads.slice(1).map(() => 200), 201]);
    expect(graph.uploads[0]!.range).toBe(`bytes 0-${graph.uploads[0]!.bytes - 1}/${big.byteLength}`);
    expect(graph.sent).toHaveLength(1);
    const sent = graph.sent[0]!.body as any;
    expect(sent.sentFrom).toBe('draft');
    expect(graph.sent[0]!.from).toBe('dsl-desk@oakfield.example.org');
    expect(sent.message.toRecipients).toEqual([{ emailAddress: { address: 'report@phishing.gov.uk' } }]);
    expect(sent.message.subject).toBe('Phishing: Quick favour before assembly');
    expect(sent.message.attachments).toHaveLength(1);
    expect(sent.message.attachments[0]).toMatchObject({ name: `${filed.body.reference}-reported-email.eml`, contentType: 'message/rfc822' });
    expect(Buffer.from(sent.message.attachments[0].contentBytes, 'base64').equals(big)).toBe(true);
    // Small messages still go in one sendMail request.
    const small = await report('staff2', { itemId: 'AAMkAGI2-own-1', choice: 'phishing' });
    const [smallEmail] = await service.deps.storage.read((r) => r.emails.listForCase(school.school.id, small.body.caseId));
    const uploadsBefore = graph.uploads.length;
    expect((await dslAct(small.body.caseId, smallEmail!.id, 'forward', { to: ['ncsc'] })).status).toBe(200);
    expect(graph.uploads).toHaveLength(uploadsBefore);
    expect((graph.sent[1]!.body as any).sentFrom).toBeUndefined();
  });

  test('forward to the NCSC is refused for an email that may carry images of a child, and nothing is sent', async () => {
    const filed = await report('staff', { itemId: 'AAMkAGI2-office-1', mailbox: 'office@oakfield.example.org', choice: 'inappropriate' });
    const [email] = await service.deps.storage.read((r) => r.emails.listForCase(school.school.id, filed.body.caseId));
    const refused = await dslAct(filed.body.caseId, email!.id, 'forward', { to: ['ncsc'] });
    expect(refused.status).toBe(400);
    expect(graph.sent).toHaveLength(0);
  });
});
