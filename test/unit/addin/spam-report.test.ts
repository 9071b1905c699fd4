import type { FetchLike } from '../../../addon/outlook/src/api.ts';
import { createAuth, isSandboxHost } from '../../../addon/outlook/src/auth.ts';
import { resolveConfig } from '../../../addon/outlook/src/config.ts';
import type { StorageLike } from '../../../addon/outlook/src/drafts.ts';
import type { OfficeLike, SpamReportingCompletedOptions } from '../../../addon/outlook/src/office.ts';
import { createSpamReportHandler, registerSpamReporting, SPAM_REPORT_FUNCTION } from '../../../addon/outlook/src/spam-report.ts';

const EML = 'From: "Head" <head@free-mail.example>\r\nSubject: Gift cards\r\nMessage-ID: <x1@free-mail.example>\r\n\r\nBuy gift cards.';

class MemoryStorage implements StorageLike {
  readonly map = new Map<string, string>();
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
}

function fakeOffice(options: { file?: { status: 'succeeded' | 'failed'; value: string; error?: { message: string } } } = {}): OfficeLike & { associated: Record<string, (event: any) => void> } {
  const associated: Record<string, (event: any) => void> = {};
  return {
    associated,
    onReady: () => Promise.resolve({}),
    actions: { associate: (name, handler) => (associated[name] = handler) },
    context: {
      mailbox: {
        item: {
          itemId: 'AAMk1',
          internetMessageId: '<x1@free-mail.example>',
          getAsFileAsync: (opts, callback) => setTimeout(() => callback({ ...(options.file ?? { status: 'succeeded', value: Buffer.from(EML).toString('base64') }), asyncContext: opts.asyncContext })),
        },
      },
    },
  };
}

type Call = { url: string; headers: Record<string, string>; body: Uint8Array };

function fetchAnswering(...answers: (number | 'network')[]): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, headers: init.headers, body: init.body as Uint8Array });
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    if (answer === 'network') throw new TypeError('Failed to fetch');
    const body = answer < 300 ? { caseId: 'c1', reference: 'CASE-2026-0007', receivedAt: '2026-11-09T08:00:00Z', joinedExisting: false } : { error: { code: 'payload_too_large', message: 'This email is larger than the 35 MB DSL Desk accepts.' } };
    return { status: answer, ok: answer < 300, headers: { get: () => null }, text: async () => JSON.stringify(body) };
  };
  return { fetch, calls };
}

function event(options: boolean[], freeText: string) {
  const completed: SpamReportingCompletedOptions[] = [];
  return { completed, event: { type: 'SpamReporting', options, freeText, completed: (o: SpamReportingCompletedOptions) => completed.push(o) } };
}

const config = resolveConfig({ phishingMoveTo: 'junk' });
const auth = createAuth(config, '127.0.0.1', () => Promise.reject(new Error('MSAL is not used in the sandbox')));
const noWait = () => Promise.resolve();

describe('the spam-reporting handler', () => {
  it('sends the decoded .eml with choice and note, then completes with the reference and the school\'s move', async () => {
    const { fetch, calls } = fetchAnswering(201);
    const storage = new MemoryStorage();
    const handler = createSpamReportHandler({ office: fakeOffice(), config, auth, apiBase: 'http://127.0.0.1:9', storage, fetch, newKey: () => 'k-1', sleep: noWait });
    const { event: e, completed } = event([true, false, false], '  Looks like the head but is not  ');
    await handler(e);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('http://127.0.0.1:9/api/v1/email-reports?choice=phishing');
    expect(Buffer.from(calls[0]!.body).toString()).toBe(EML);
    expect(calls[0]!.headers).toMatchObject({ 'Content-Type': 'message/rfc822', 'X-DSL-Desk-Sandbox-User': 'teacher@demo-school.test', 'Idempotency-Key': 'k-1', 'X-Report-Note': encodeURIComponent('Looks like the head but is not') });
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ onErrorDeleteItem: false, moveItemTo: 'junkFolder', postProcessingAction: 'moveToSpamFolder' });
    expect(completed[0]!.showPostProcessingDialog!.description).toContain('CASE-2026-0007');
    // Received: nothing is left behind in the session.
    expect([...storage.map.keys()]).toEqual([]);
  });

  it('leaves a safeguarding concern where it is', async () => {
    const { fetch } = fetchAnswering(201);
    const handler = createSpamReportHandler({ office: fakeOffice(), config, auth, apiBase: 'http://h', fetch, sleep: noWait });
    const { event: e, completed } = event([true, true, false], '');
    await handler(e);
    expect(completed[0]).toMatchObject({ moveItemTo: 'noMove', postProcessingAction: 'noMove' });
  });

  it('on a failure: says why, keeps the email in place and keeps the note for the task pane', async () => {
    const { fetch } = fetchAnswering(413);
    const storage = new MemoryStorage();
    const handler = createSpamReportHandler({ office: fakeOffice(), config, auth, apiBase: 'http://h', storage, fetch, sleep: noWait });
    const { event: e, completed } = event([true, false, false], 'please look');
    await handler(e);
    expect(completed[0]).toMatchObject({ onErrorDeleteItem: false, moveItemTo: 'noMove' });
    expect(completed[0]!.showPostProcessingDialog!.title).toMatch(/not been sent/);
    expect(completed[0]!.showPostProcessingDialog!.description).toContain('This email is larger than the 35 MB DSL Desk accepts.');
    expect(storage.getItem('dsl-desk.outlook.<x1@free-mail.example>.note')).toBe('please look');
    expect(completed[0]!.showPostProcessingDialog!.description).toMatch(/your note has been kept/);
  });

  it('does not promise to keep the note where there is no storage (classic Outlook\'s JavaScript-only runtime)', async () => {
    const { fetch } = fetchAnswering(413);
    const handler = createSpamReportHandler({ office: fakeOffice(), config, auth, apiBase: 'http://h', storage: undefined, fetch, sleep: noWait });
    const { event: e, completed } = event([true, false, false], 'please look');
    await handler(e);
    expect(completed[0]!.showPostProcessingDialog!.description).toMatch(/type your note again/);
  });

  it('retries once after a network failure with the same Idempotency-Key', async () => {
    const { fetch, calls } = fetchAnswering('network', 201);
    let keys = 0;
    const handler = createSpamReportHandler({ office: fakeOffice(), config, auth, apiBase: 'http://h', fetch, newKey: () => `k-${(keys += 1)}`, sleep: noWait });
    const { event: e, completed } = event([], '');
    await handler(e);
    expect(calls.map((call) => call.headers['Idempotency-Key'])).toEqual(['k-1', 'k-1']);
    expect(completed[0]!.showPostProcessingDialog!.description).toContain('CASE-2026-0007');
  });

  it('completes the event even when Outlook cannot hand over the message', async () => {
    const { fetch, calls } = fetchAnswering(201);
    const handler = createSpamReportHandler({ office: fakeOffice({ file: { status: 'failed', value: '', error: { message: 'Internal error' } } }), config, auth, apiBase: 'http://h', fetch, sleep: noWait });
    const { event: e, completed } = event([false, false, true], '');
    await handler(e);
    expect(calls).toHaveLength(0);
    expect(completed[0]).toMatchObject({ moveItemTo: 'noMove' });
    expect(completed[0]!.showPostProcessingDialog!.description).toMatch(/Outlook could not read this email/);
  });

  it('registers under the manifest\'s FunctionName', () => {
    const office = fakeOffice();
    registerSpamReporting(office, { config, auth, apiBase: 'http://h' });
    expect(Object.keys(office.associated)).toEqual([SPAM_REPORT_FUNCTION]);
  });
});

describe('who is reporting', () => {
  it('uses the sandbox header only on the loopback address', async () => {
    expect(isSandboxHost('127.0.0.1')).toBe(true);
    expect(isSandboxHost('localhost')).toBe(true);
    expect(isSandboxHost('dsl-desk.oakfield.sch.uk')).toBe(false);
    expect(isSandboxHost(undefined)).toBe(false);
    expect(await createAuth(config, '127.0.0.1', () => Promise.reject(new Error('unused'))).headers()).toEqual({ 'X-DSL-Desk-Sandbox-User': 'teacher@demo-school.test' });
  });

  it('asks MSAL (nested app authentication) for the API scope elsewhere, and never sends the sandbox header', async () => {
    const requests: unknown[] = [];
    const configured = resolveConfig({ clientId: 'c1d2', apiScope: 'api://dsl-desk.example/c1d2/access_as_user' });
    const fakeMsal = async () => ({
      createNestablePublicClientApplication: (async (configuration: unknown) => {
        requests.push(configuration);
        return {
          getActiveAccount: () => null,
          getAllAccounts: () => [],
          acquireTokenSilent: async (request: { scopes: string[] }) => {
            requests.push(request);
            return { accessToken: 'token-123' };
          },
        };
      }) as any,
    });
    const entra = createAuth(configured, 'dsl-desk.example', fakeMsal);
    expect(entra.mode).toBe('entra');
    expect(await entra.headers()).toEqual({ Authorization: 'Bearer token-123' });
    expect(requests[0]).toMatchObject({ auth: { clientId: 'c1d2', authority: 'https://login.microsoftonline.com/organizations' } });
    expect(requests[1]).toMatchObject({ scopes: ['api://dsl-desk.example/c1d2/access_as_user'] });
  });

  it('turns "interaction required" into a sign-in problem outside the task pane', async () => {
    const configured = resolveConfig({ clientId: 'c1d2', apiScope: 'api://h/c1d2/access_as_user' });
    const fakeMsal = async () => ({
      createNestablePublicClientApplication: (async () => ({
        getActiveAccount: () => null,
        getAllAccounts: () => [],
        acquireTokenSilent: async () => {
          throw Object.assign(new Error('interaction_required'), { name: 'InteractionRequiredAuthError', errorCode: 'interaction_required' });
        },
        acquireTokenPopup: async () => ({ accessToken: 'from-popup' }),
      })) as any,
    });
    await expect(createAuth(configured, 'h', fakeMsal).headers({ interactive: false })).rejects.toThrow(/sign in once/);
    expect(await createAuth(configured, 'h', fakeMsal).headers({ interactive: true })).toEqual({ Authorization: 'Bearer from-popup' });
  });
});
