import { encodeNoteHeader, problemFromFailure, problemFromResponse, sendEmailReport, sendGraphReport, SignInProblem, timeoutFor, type FetchLike } from '../../../addon/outlook/src/api.ts';

type Sent = { url: string; method: string; headers: Record<string, string>; body: Uint8Array | string | undefined };

function fakeFetch(status: number, body: unknown, sent: Sent[] = []): FetchLike {
  return async (url, init) => {
    sent.push({ url, method: init.method, headers: init.headers, body: init.body });
    return { status, ok: status >= 200 && status < 300, headers: { get: () => 'application/json' }, text: async () => (typeof body === 'string' ? body : JSON.stringify(body)) };
  };
}

const RECEIPT = { caseId: 'c-1', reference: 'CASE-2026-0042', receivedAt: '2026-11-09T08:15:00.000Z', joinedExisting: false };
const sandboxAuth = async () => ({ 'X-DSL-Desk-Sandbox-User': 'teacher@demo-school.test' });

describe('error mapping', () => {
  it("shows the server's own message for 400, 401, 403 and 413", () => {
    const body = (message: string) => ({ error: { code: 'x', message } });
    expect(problemFromResponse(400, body('Send the email itself.'))).toMatchObject({ kind: 'invalid', message: 'Send the email itself.', retryable: false, status: 400 });
    expect(problemFromResponse(401, body('Sign in again.'))).toMatchObject({ kind: 'refused', message: 'Sign in again.', retryable: true });
    expect(problemFromResponse(403, body('Not for governors.'))).toMatchObject({ kind: 'forbidden', message: 'Not for governors.', retryable: false });
    expect(problemFromResponse(413, body('This email is larger than the 35 MB DSL Desk accepts.'))).toMatchObject({ kind: 'too_large', message: 'This email is larger than the 35 MB DSL Desk accepts.', retryable: false });
  });

  it('falls back to clear messages of its own when the body says nothing useful', () => {
    expect(problemFromResponse(413, '<html>Request Entity Too Large</html>').message).toMatch(/too large/);
    expect(problemFromResponse(401, undefined).message).toMatch(/sign-in/);
    expect(problemFromResponse(401, { error: { code: 'unauthenticated', message: '   ' } }).message).toMatch(/sign-in/);
  });

  it('never shows a 5xx or 404 body to the reporter', () => {
    const internal = { error: { code: 'internal', message: 'TypeError at line 12' } };
    expect(problemFromResponse(500, internal)).toMatchObject({ kind: 'server', retryable: true });
    expect(problemFromResponse(500, internal).message).not.toMatch(/TypeError/);
    expect(problemFromResponse(502, undefined).kind).toBe('server');
    expect(problemFromResponse(404, { error: { code: 'not_found', message: 'There is nothing at this address. The API is under /api/v1' } })).toMatchObject({ kind: 'unavailable', retryable: false });
    expect(problemFromResponse(404, undefined).message).not.toMatch(/api\/v1/);
    expect(problemFromResponse(504, undefined).kind).toBe('timeout');
    expect(problemFromResponse(429, { error: { code: 'rate_limited', message: 'Too many requests. Wait a minute.' } })).toMatchObject({ kind: 'rate_limited', message: 'Too many requests. Wait a minute.', retryable: true });
  });

  it('tells offline, unreachable, timed out and sign-in failures apart', () => {
    expect(problemFromFailure(new TypeError('Failed to fetch'), false)).toMatchObject({ kind: 'offline', retryable: true });
    expect(problemFromFailure(new TypeError('Failed to fetch'), false).message).toMatch(/You are offline/);
    expect(problemFromFailure(new TypeError('Failed to fetch'), true).message).toMatch(/could not be reached/);
    expect(problemFromFailure(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))).toMatchObject({ kind: 'timeout', retryable: true });
    expect(problemFromFailure(new SignInProblem('Sign in once from the ribbon.'))).toMatchObject({ kind: 'signin', message: 'Sign in once from the ribbon.' });
  });

  it('gives big uploads more time', () => {
    expect(timeoutFor(0)).toBe(30_000);
    expect(timeoutFor(35 * 1024 * 1024)).toBeGreaterThan(300_000);
  });
});

describe('sendEmailReport', () => {
  it('POSTs the .eml with the choice, the percent-encoded note, the identity and the Idempotency-Key', async () => {
    const sent: Sent[] = [];
    const eml = new Uint8Array(Buffer.from('From: a@b.test\r\nSubject: hi\r\n\r\nbody'));
    const outcome = await sendEmailReport(
      { baseUrl: 'http://127.0.0.1:4000/', authHeaders: sandboxAuth, idempotencyKey: 'key-1', fetch: fakeFetch(201, RECEIPT, sent) },
      { eml, choice: 'safeguarding', note: 'Sent to Year 6 – “urgent”\nsecond line' },
    );
    expect(outcome).toEqual({ ok: true, receipt: RECEIPT, repeat: false });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe('http://127.0.0.1:4000/api/v1/email-reports?choice=safeguarding');
    expect(sent[0]!.method).toBe('POST');
    expect(sent[0]!.body).toBe(eml);
    expect(sent[0]!.headers).toMatchObject({
      'Content-Type': 'message/rfc822',
      'X-DSL-Desk-Sandbox-User': 'teacher@demo-school.test',
      'Idempotency-Key': 'key-1',
      'X-Report-Note': encodeNoteHeader('Sent to Year 6 – “urgent”\nsecond line'),
    });
    // A header value must be plain ASCII without line breaks.
    expect(sent[0]!.headers['X-Report-Note']).toMatch(/^[\x21-\x7e]+$/);
    expect(decodeURIComponent(sent[0]!.headers['X-Report-Note']!)).toBe('Sent to Year 6 – “urgent”\nsecond line');
  });

  it('leaves the note header out when there is no note, and reads 200 as a repeat of an earlier report', async () => {
    const sent: Sent[] = [];
    const outcome = await sendEmailReport({ baseUrl: 'http://h', authHeaders: sandboxAuth, idempotencyKey: 'k', fetch: fakeFetch(200, { ...RECEIPT, joinedExisting: true }, sent) }, { eml: new Uint8Array([1]), choice: 'phishing', note: '' });
    expect(outcome).toMatchObject({ ok: true, repeat: true, receipt: { joinedExisting: true } });
    expect(sent[0]!.headers).not.toHaveProperty('X-Report-Note');
  });

  it('maps a network failure and a refused token', async () => {
    const offline: FetchLike = async () => {
      throw new TypeError('Failed to fetch');
    };
    expect(await sendEmailReport({ baseUrl: 'http://h', authHeaders: sandboxAuth, idempotencyKey: 'k', fetch: offline, online: () => false }, { eml: new Uint8Array([1]), choice: 'phishing', note: '' })).toMatchObject({ ok: false, problem: { kind: 'offline' } });
    const refused = fakeFetch(401, { error: { code: 'unauthenticated', message: 'Your sign-in has expired. Sign in again.' } });
    expect(await sendEmailReport({ baseUrl: 'http://h', authHeaders: sandboxAuth, idempotencyKey: 'k', fetch: refused }, { eml: new Uint8Array([1]), choice: 'phishing', note: '' })).toMatchObject({ ok: false, problem: { kind: 'refused', message: 'Your sign-in has expired. Sign in again.' } });
  });

  it('does not call the server when no token can be had', async () => {
    const sent: Sent[] = [];
    const outcome = await sendEmailReport(
      { baseUrl: 'http://h', authHeaders: async () => Promise.reject(new SignInProblem('DSL Desk needs you to sign in once.')), idempotencyKey: 'k', fetch: fakeFetch(201, RECEIPT, sent) },
      { eml: new Uint8Array([1]), choice: 'phishing', note: '' },
    );
    expect(outcome).toMatchObject({ ok: false, problem: { kind: 'signin', message: 'DSL Desk needs you to sign in once.' } });
    expect(sent).toHaveLength(0);
  });

  it('does not take a success without a receipt at its word', async () => {
    expect(await sendEmailReport({ baseUrl: 'http://h', authHeaders: sandboxAuth, idempotencyKey: 'k', fetch: fakeFetch(201, 'OK') }, { eml: new Uint8Array([1]), choice: 'phishing', note: '' })).toMatchObject({ ok: false, problem: { kind: 'server' } });
  });
});

describe('sendGraphReport (fallback without Mailbox 1.14)', () => {
  it('POSTs the ids as JSON, with the shared mailbox and note only when there are ones', async () => {
    const sent: Sent[] = [];
    await sendGraphReport(
      { baseUrl: 'https://dsl-desk.example', authHeaders: async () => ({ Authorization: 'Bearer t' }), idempotencyKey: 'k2', fetch: fakeFetch(201, RECEIPT, sent) },
      { itemId: 'AAMk-rest', internetMessageId: '<m@x>', mailbox: 'office@school.test', choice: 'inappropriate', note: 'upsetting image' },
    );
    await sendGraphReport({ baseUrl: 'https://dsl-desk.example', authHeaders: async () => ({ Authorization: 'Bearer t' }), idempotencyKey: 'k3', fetch: fakeFetch(201, RECEIPT, sent) }, { itemId: 'AAMk-rest', internetMessageId: '<m@x>', choice: 'phishing' });
    expect(sent[0]!.url).toBe('https://dsl-desk.example/api/v1/email-reports/graph');
    expect(sent[0]!.headers).toMatchObject({ 'Content-Type': 'application/json', Authorization: 'Bearer t', 'Idempotency-Key': 'k2' });
    expect(JSON.parse(sent[0]!.body as string)).toEqual({ itemId: 'AAMk-rest', internetMessageId: '<m@x>', mailbox: 'office@school.test', choice: 'inappropriate', note: 'upsetting image' });
    expect(JSON.parse(sent[1]!.body as string)).toEqual({ itemId: 'AAMk-rest', internetMessageId: '<m@x>', choice: 'phishing' });
  });
});
