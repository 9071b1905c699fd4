import { createServer } from 'node:http';
import PostalMime from 'postal-mime';
import { createGmailMessageReader, describeGmailError, rebuildMessage } from '../../../src/integrations/google/gmail-message-reader.ts';
import { startFakeGmailRest, type FakeGmailRest } from '../../../scripts/workspace-client/fake-gmail-rest.ts';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('rebuilding a message from Gmail\'s format=full', () => {
  it('keeps every header, nests parts under their boundaries, opens attached messages and fetches attachments', async () => {
    const fetched: string[] = [];
    const rebuilt = await rebuildMessage(
      {
        partId: '',
        mimeType: 'multipart/mixed',
        headers: [
          { name: 'From', value: 'Zoë Sender <zoe@example.net>' },
          { name: 'Subject', value: 'Café rota' },
          { name: 'Message-ID', value: '<nested-1@example.net>' },
          { name: 'Authentication-Results', value: 'mx.google.com; dkim=pass' },
          // Gmail gave no boundary: one is made.
          { name: 'Content-Type', value: 'multipart/mixed' },
        ],
        body: { size: 0 },
        parts: [
          {
            partId: '0',
            mimeType: 'multipart/alternative',
            headers: [{ name: 'Content-Type', value: 'multipart/alternative; boundary="alt"' }],
            body: { size: 0 },
            parts: [
              { partId: '0.0', mimeType: 'text/plain', headers: [{ name: 'Content-Type', value: 'text/plain; charset=utf-8' }, { name: 'Content-Transfer-Encoding', value: 'quoted-printable' }], body: { size: 5, data: b64('Hello — there') } },
              { partId: '0.1', mimeType: 'text/html', headers: [{ name: 'Content-Type', value: 'text/html; charset=utf-8' }], body: { size: 5, data: b64('<p>Hello</p>') } },
            ],
          },
          {
            partId: '1',
            mimeType: 'message/rfc822',
            headers: [{ name: 'Content-Type', value: 'message/rfc822' }],
            body: { size: 0 },
            parts: [{ partId: '1.0', mimeType: 'text/plain', headers: [{ name: 'Subject', value: 'Inner' }, { name: 'Content-Type', value: 'text/plain' }], body: { size: 5, data: b64('inner body') } }],
          },
          { partId: '2', mimeType: 'application/pdf', filename: 'a.pdf', headers: [{ name: 'Content-Type', value: 'application/pdf; name="a.pdf"' }, { name: 'Content-Disposition', value: 'attachment; filename="a.pdf"' }], body: { size: 8, attachmentId: 'att-1' } },
        ],
      },
      async (id) => {
        fetched.push(id);
        return Buffer.from('%PDF-1.4');
      },
    );
    expect(fetched).toEqual(['att-1']);
    const parsed = await PostalMime.parse(rebuilt);
    expect(parsed.from?.address).toBe('zoe@example.net');
    expect(parsed.subject).toBe('Café rota');
    expect(parsed.messageId).toBe('<nested-1@example.net>');
    expect(parsed.headers.find((header) => header.key === 'authentication-results')?.value).toBe('mx.google.com; dkim=pass');
    // postal-mime shows an attached message's text after the body's own.
    expect(parsed.text?.trim()).toMatch(/^Hello — there\s[\s\S]*Subject: Inner[\s\S]*inner body$/);
    expect(parsed.html).toContain('<p>Hello</p>');
    const pdf = parsed.attachments.find((attachment) => attachment.filename === 'a.pdf');
    expect(Buffer.from(pdf!.content as ArrayBuffer).toString('latin1')).toBe('%PDF-1.4');
    expect(rebuilt.toString('utf8')).toContain('Subject: Inner');
  });
});

describe('the Gmail message reader', () => {
  let gmail: FakeGmailRest;
  beforeEach(async () => {
    gmail = await startFakeGmailRest();
  });
  afterEach(() => gmail.close());

  it('refuses a message over the limit by Gmail\'s size estimate, before rebuilding anything', async () => {
    const message = gmail.addMessage('a@school.example', `From: a@b.example\r\nSubject: big\r\n\r\n${'x'.repeat(2048)}`);
    const tokens = gmail.addonTokens('a@school.example', message.id);
    const reader = createGmailMessageReader({ rootUrl: gmail.rootUrl });
    await expect(reader.fetchOpenMessage({ ...tokens, messageId: message.id, maxBytes: 1024 })).rejects.toMatchObject({ code: 'payload_too_large' });
    gmail.refuseRawFormat(true);
    await expect(reader.fetchOpenMessage({ ...tokens, messageId: message.id, maxBytes: 1024 })).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(gmail.calls.map((call) => call.query.format)).toEqual(['raw', 'raw', 'full']);
  });

  it('times out a Gmail that does not answer, as unavailable', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const reader = createGmailMessageReader({ rootUrl: `http://127.0.0.1:${port}/`, timeoutMs: 200 });
      await expect(reader.fetchOpenMessage({ userOAuthToken: 't', gmailAccessToken: 'g', messageId: 'm', maxBytes: 1024 })).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('says what to do for each status, with no Google text in the message', () => {
    const googleError = (status: number) => Object.assign(new Error('Request had invalid authentication credentials ya29.secret'), { status, response: { status, headers: new Headers({ 'retry-after': '7' }) } });
    const described = [401, 403, 404, 429, 500, 503].map((status) => describeGmailError('raw', googleError(status)));
    expect(described.map((error) => error.code)).toEqual(['unauthenticated', 'forbidden', 'not_found', 'rate_limited', 'unavailable', 'unavailable']);
    expect(described[3]!.retryAfterSeconds).toBe(7);
    for (const error of described) {
      expect(error.userMessage).not.toMatch(/ya29|credentials/);
      expect(error.message).not.toMatch(/ya29|credentials/);
    }
  });
});
