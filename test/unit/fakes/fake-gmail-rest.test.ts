import { OAuth2Client } from 'google-auth-library';
import { gmail, type gmail_v1 } from 'googleapis/build/src/apis/gmail/index.js';
import { startFakeGmailRest, type FakeGmailRest } from '../../../scripts/workspace-client/fake-gmail-rest.ts';
import { sandboxDelegatedToken } from '../../../src/domain/google-workspace.ts';

const TEACHER = 'teacher@school.example';
const OTHER = 'other@school.example';
const MODIFY = 'https://www.googleapis.com/auth/gmail.modify';
const SEND = 'https://www.googleapis.com/auth/gmail.send';

const MESSAGE = [
  'From: "Head Teacher" <head@school.example>',
  'To: teacher@school.example',
  'Subject: Gift cards',
  'Message-ID: <Gift-123@mail.example>',
  'Date: Mon, 7 Dec 2026 09:00:00 +0000',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="outer"',
  '',
  'preamble',
  '--outer',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Please buy gift cards =E2=80=94 urgently.',
  '--outer',
  'Content-Type: application/pdf; name="invoice.pdf"',
  'Content-Disposition: attachment; filename="invoice.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('%PDF-1.4 fake').toString('base64'),
  '--outer--',
  '',
].join('\r\n');

function client(fake: FakeGmailRest, token: string): gmail_v1.Gmail {
  const auth = new OAuth2Client({ transporterOptions: { fetchImplementation: (input, init) => fetch(input, init) } });
  auth.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return gmail({ version: 'v1', auth, rootUrl: fake.rootUrl, retry: false, fetchImplementation: fetch });
}

describe('fake Gmail REST API, called through googleapis with rootUrl', () => {
  let clock = 1_000_000;
  let fake: FakeGmailRest;

  beforeEach(async () => {
    clock = 1_000_000;
    fake = await startFakeGmailRest({ now: () => clock });
  });
  afterEach(() => fake.close());

  it('gives the open message raw to the add-on tokens, and only that message', async () => {
    const open = fake.addMessage(TEACHER, MESSAGE);
    const other = fake.addMessage(TEACHER, MESSAGE);
    const tokens = fake.addonTokens(TEACHER, open.id);
    const api = client(fake, tokens.userOAuthToken);
    const headers = { 'X-Goog-Gmail-Access-Token': tokens.gmailAccessToken };

    const raw = await api.users.messages.get({ userId: 'me', id: open.id, format: 'raw' }, { headers });
    expect(Buffer.from(raw.data.raw!, 'base64url').toString('utf8')).toBe(MESSAGE);
    expect(raw.data.sizeEstimate).toBe(Buffer.byteLength(MESSAGE));
    expect(fake.calls.at(-1)).toMatchObject({ method: 'GET', status: 200, mailbox: TEACHER, query: { format: 'raw' } });

    await expect(api.users.messages.get({ userId: 'me', id: other.id, format: 'raw' }, { headers })).rejects.toMatchObject({ status: 403 });
    await expect(api.users.messages.get({ userId: 'me', id: open.id, format: 'raw' })).rejects.toMatchObject({ status: 403 });
    await expect(api.users.messages.trash({ userId: 'me', id: open.id }, { headers })).rejects.toMatchObject({ status: 403 });
    await expect(api.users.messages.get({ userId: OTHER, id: open.id }, { headers })).rejects.toMatchObject({ status: 403 });

    fake.expireAddonTokens(TEACHER);
    const expired = await api.users.messages.get({ userId: 'me', id: open.id, format: 'raw' }, { headers }).catch((error: unknown) => error);
    expect(expired).toMatchObject({ status: 401 });
    expect((expired as { response: { data: unknown } }).response.data).toMatchObject({
      error: { code: 401, status: 'UNAUTHENTICATED', errors: [{ reason: 'authError', domain: 'global' }] },
    });
  });

  it('walks the MIME parts for format=full, with attachments fetched by attachmentId, and refuses raw when told', async () => {
    const open = fake.addMessage(TEACHER, MESSAGE);
    const tokens = fake.addonTokens(TEACHER, open.id);
    const api = client(fake, tokens.userOAuthToken);
    const headers = { 'X-Goog-Gmail-Access-Token': tokens.gmailAccessToken };
    fake.refuseRawFormat(true);
    await expect(api.users.messages.get({ userId: TEACHER, id: open.id, format: 'raw' }, { headers })).rejects.toMatchObject({ status: 403 });

    const full = await api.users.messages.get({ userId: TEACHER, id: open.id, format: 'full' }, { headers });
    const payload = full.data.payload!;
    expect(payload).toMatchObject({ partId: '', mimeType: 'multipart/mixed', filename: '', body: { size: 0 } });
    expect(payload.headers).toContainEqual({ name: 'Subject', value: 'Gift cards' });
    const [text, pdf] = payload.parts!;
    expect(text).toMatchObject({ partId: '0', mimeType: 'text/plain' });
    expect(Buffer.from(text!.body!.data!, 'base64url').toString('utf8')).toBe('Please buy gift cards — urgently.');
    expect(pdf).toMatchObject({ partId: '1', mimeType: 'application/pdf', filename: 'invoice.pdf', body: { size: 13 } });
    expect(pdf!.body!.data).toBeUndefined();

    const attachment = await api.users.messages.attachments.get({ userId: 'me', messageId: open.id, id: pdf!.body!.attachmentId! }, { headers });
    expect(Buffer.from(attachment.data.data!, 'base64url').toString('latin1')).toBe('%PDF-1.4 fake');

    const metadata = await api.users.messages.get({ userId: 'me', id: open.id, format: 'metadata', metadataHeaders: ['Message-ID'] }, { headers });
    expect(metadata.data.payload?.headers).toEqual([{ name: 'Message-ID', value: '<Gift-123@mail.example>' }]);
    const minimal = await api.users.messages.get({ userId: 'me', id: open.id, format: 'minimal' }, { headers });
    expect(minimal.data.payload).toBeUndefined();
    expect(minimal.data.labelIds).toEqual(['INBOX', 'UNREAD']);
  });

  it('lists by rfc822msgid in pages, trashes with gmail.modify, and sends only with gmail.send', async () => {
    for (let index = 0; index < 3; index += 1) fake.addMessage(TEACHER, MESSAGE);
    fake.addMessage(TEACHER, MESSAGE.replace('Gift-123', 'Other-1'));
    const modify = client(fake, fake.delegatedToken(TEACHER, [MODIFY]));

    const first = await modify.users.messages.list({ userId: TEACHER, q: 'rfc822msgid:gift-123@MAIL.example', maxResults: 2 });
    expect(first.data.messages).toHaveLength(2);
    expect(first.data.nextPageToken).toBeDefined();
    const second = await modify.users.messages.list({ userId: TEACHER, q: 'rfc822msgid:<Gift-123@mail.example>', maxResults: 2, pageToken: first.data.nextPageToken! });
    expect(second.data.messages).toHaveLength(1);
    expect(second.data.nextPageToken).toBeUndefined();

    const trashed = await modify.users.messages.trash({ userId: 'me', id: second.data.messages![0]!.id! });
    expect(trashed.data.labelIds).toContain('TRASH');
    const after = await modify.users.messages.list({ userId: 'me', q: 'rfc822msgid:Gift-123@mail.example' });
    expect(after.data.messages).toHaveLength(2);
    const withTrash = await modify.users.messages.list({ userId: 'me', q: 'rfc822msgid:Gift-123@mail.example', includeSpamTrash: true });
    expect(withTrash.data.messages).toHaveLength(3);
    expect(fake.messages(TEACHER).filter((message) => message.labelIds.includes('TRASH'))).toHaveLength(1);

    const raw = Buffer.from('From: teacher@school.example\r\nTo: dsl@school.example\r\nSubject: Fwd\r\n\r\nHello\r\n').toString('base64url');
    await expect(modify.users.messages.send({ userId: 'me', requestBody: { raw } })).resolves.toMatchObject({ status: 200 });
    const sendOnly = client(fake, fake.delegatedToken(TEACHER, [SEND]));
    await expect(sendOnly.users.messages.list({ userId: 'me' })).rejects.toMatchObject({ status: 403 });
    const sent = await sendOnly.users.messages.send({ userId: 'me', requestBody: { raw } });
    expect(sent.data.labelIds).toEqual(['SENT']);
    // googleapis builds the upload URL from the per-call rootUrl only (the client's rootUrl is not applied to it).
    const media = await sendOnly.users.messages.send(
      { userId: 'me', media: { mimeType: 'message/rfc822', body: Buffer.from(raw, 'base64url').toString('utf8') } },
      { rootUrl: fake.rootUrl },
    );
    expect(media.status).toBe(200);
    expect(fake.sent(TEACHER).map((message) => message.toString('utf8'))).toEqual(Array(3).fill(Buffer.from(raw, 'base64url').toString('utf8')));
  });

  it('holds each mailbox to its quota units per minute, and injects failures in Google\'s error shape', async () => {
    await fake.close();
    fake = await startFakeGmailRest({ now: () => clock, unitsPerUserPerMinute: 20 });
    const api = client(fake, fake.delegatedToken(TEACHER, [MODIFY]));
    for (let index = 0; index < 4; index += 1) await api.users.messages.list({ userId: 'me' });
    const throttled = await api.users.messages.list({ userId: 'me' }).catch((error: unknown) => error) as { status: number; response: { headers: Headers; data: unknown } };
    expect(throttled.status).toBe(429);
    expect(throttled.response.data).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', errors: [{ reason: 'userRateLimitExceeded', domain: 'usageLimits' }] } });
    expect(Number(throttled.response.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another mailbox has its own quota.
    await expect(client(fake, fake.delegatedToken(OTHER, [MODIFY])).users.messages.list({ userId: 'me' })).resolves.toMatchObject({ status: 200 });
    clock += 60_001;
    await expect(api.users.messages.list({ userId: 'me' })).resolves.toMatchObject({ status: 200 });

    fake.failNext({ method: 'GET', path: /\/messages$/ }, 503, 2);
    await expect(api.users.messages.list({ userId: 'me' })).rejects.toMatchObject({ status: 503 });
    await expect(api.users.messages.list({ userId: 'me' })).rejects.toMatchObject({ status: 503 });
    await expect(api.users.messages.list({ userId: 'me' })).resolves.toMatchObject({ status: 200 });
  });

  it('knows the project-wide quota apart from the user one', async () => {
    const project = await startFakeGmailRest({ now: () => clock, unitsPerProjectPerMinute: 10 });
    try {
      await client(project, project.delegatedToken(TEACHER, [MODIFY])).users.messages.list({ userId: 'me' });
      await client(project, project.delegatedToken(OTHER, [MODIFY])).users.messages.list({ userId: 'me' });
      const error = await client(project, project.delegatedToken('third@school.example', [MODIFY])).users.messages.list({ userId: 'me' })
        .catch((failure: unknown) => failure) as { status: number; response: { data: unknown } };
      expect(error.status).toBe(429);
      expect(error.response.data).toMatchObject({ error: { errors: [{ reason: 'rateLimitExceeded' }] } });
    } finally {
      await project.close();
    }
  });
});

describe('fake Gmail REST API and the sandbox\'s delegated token', () => {
  const statusOf = (fake: FakeGmailRest, subject: string, scopes: string[]) =>
    client(fake, sandboxDelegatedToken(subject, scopes)).users.messages.list({ userId: 'me' }).then((answer) => answer.status, (error: { status?: number }) => error.status);

  test('refused unless the fake was started to accept it, and then only for its domain and with the scope it names', async () => {
    const plain = await startFakeGmailRest();
    const demo = await startFakeGmailRest({ acceptSandboxDelegation: { domain: 'school.example' } });
    try {
      expect(await statusOf(plain, TEACHER, [MODIFY])).toBe(401);
      expect(await statusOf(demo, TEACHER, [MODIFY])).toBe(200);
      expect(await statusOf(demo, TEACHER, [SEND])).toBe(403);
      expect(await statusOf(demo, 'teacher@elsewhere.example', [MODIFY])).toBe(401);
    } finally {
      await plain.close();
      await demo.close();
    }
  });

  test('with delivery on, a message sent to the domain lands in each recipient\'s inbox, once, and nowhere outside it', async () => {
    const fake = await startFakeGmailRest({ acceptSandboxDelegation: { domain: 'school.example' }, deliverSentMail: { domain: 'school.example' } });
    try {
      const raw = `From: ${OTHER}\r\nTo: "Teacher" <${TEACHER}>, outside@elsewhere.example\r\nCc: ${TEACHER}\r\nSubject: Hello\r\n\r\nHi.\r\n`;
      await client(fake, sandboxDelegatedToken(OTHER, [SEND])).users.messages.send({ userId: 'me', requestBody: { raw: Buffer.from(raw).toString('base64url') } });
      expect(fake.sent(OTHER)).toHaveLength(1);
      expect(fake.messages(TEACHER).map((message) => message.labelIds)).toEqual([['INBOX', 'UNREAD']]);
      expect(fake.messages('outside@elsewhere.example')).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});
