import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';
import { createGoogleChatApi, type ChatApi } from '../../bot/google-chat/chat-api.ts';
import {
  chatEventSchema, closeDialog, formValue, openDialog, replyWithMessage, updateDialog, updateThisMessage, type ChatEvent, type ChatResponse,
} from '../../bot/google-chat/chat-events.ts';
import { addonServiceAccountEmail, GOOGLE_CHAT_PATH, SANDBOX_ADDON_OAUTH_CLIENT_ID, SANDBOX_CHAT_ACCESS_TOKEN } from '../../src/domain/google-workspace.ts';
import { startWorkspaceClient, type WorkspaceClient } from '../../scripts/workspace-client/workspace-client.ts';

/**
 * The Workspace client with the fake Chat REST API and a tiny stand-in app (not DSL Desk): a teacher
 * reports through a dialog, the case card reaches the DSL space through the REST API, the DSL
 * acknowledges it and the teacher is told in their DM. Every step goes through the client's pages as a
 * browser would (form posts), and every event the stand-in receives is verified as Google-signed.
 */

const PROJECT = '123456789012';
const ACTION_URL = 'https://dsl-desk.example/api/google/chat';
const people = [
  { id: 'teacher', name: 'users/1001', displayName: 'Tess Teacher', email: 'tess@oakfield.example.org' },
  { id: 'dsl', name: 'users/1002', displayName: 'Dee Lead', email: 'dee@oakfield.example.org' },
  { id: 'starter', name: 'users/1003', displayName: 'Nia New', email: 'nia@oakfield.example.org', hasDirectMessage: false },
];

function fetchAuth(token: string): OAuth2Client {
  const auth = new OAuth2Client({ transporterOptions: { fetchImplementation: (input, init) => fetch(input, init) } });
  auth.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return auth;
}

const button = (text: string, action: string, extra: Record<string, string> = {}) => ({
  text,
  onClick: { action: { function: ACTION_URL, parameters: [{ key: 'action', value: action }, ...Object.entries(extra).map(([key, value]) => ({ key, value }))] } },
});

function concernForm(error?: string, value = ''): Record<string, unknown> {
  return {
    header: { title: 'Report a concern' },
    sections: [{ widgets: [
      ...(error ? [{ textParagraph: { text: `<b>${error}</b>` } }] : []),
      { textInput: { name: 'what', label: 'What happened', type: 'MULTIPLE_LINE', value } },
      { selectionInput: { name: 'urgency', label: 'Urgency', type: 'RADIO_BUTTON', items: [{ text: 'Normal', value: 'normal', selected: true }, { text: 'Urgent', value: 'urgent' }] } },
      { buttonList: { buttons: [button('Send report', 'concern.submit')] } },
    ] }],
  };
}

/** A stand-in app: verifies every request like DSL Desk does, answers in the add-on format, posts through the REST API. */
async function startStubApp(getClient: () => WorkspaceClient): Promise<{ url: string; received: ChatEvent[]; refused: number; close(): Promise<void> }> {
  const received: ChatEvent[] = [];
  let refused = 0;
  let api: ChatApi | undefined;
  let verifier: OAuth2Client | undefined;
  let url = '';
  let caseNumber = 0;

  async function handleEvent(event: ChatEvent): Promise<ChatResponse> {
    const client = getClient();
    api ??= createGoogleChatApi({ auth: fetchAuth(client.chat.accessToken), rootUrl: client.env.GOOGLE_CHAT_API_ROOT_URL! });
    const parameters = event.commonEventObject.parameters ?? {};
    const text = event.chat.messagePayload?.message.argumentText?.trim();
    if (event.chat.appCommandPayload || text === 'report') return openDialog(concernForm());
    if (text === 'use this space for cases') return replyWithMessage({ text: 'This space now receives cases.' });
    if (event.chat.addedToSpacePayload) return replyWithMessage({ text: 'Thanks for adding me.' });
    if (parameters.action === 'concern.submit') {
      const what = formValue(event, 'what') ?? '';
      if (!what.trim()) return updateDialog(concernForm('Say what happened.', what));
      caseNumber += 1;
      // Asynchronously, as the outbox would: the DSL space card, no concern text.
      await api.createMessage({
        space: 'spaces/dsl',
        requestId: `case-${caseNumber}`,
        messageId: `client-case-${caseNumber}`,
        message: { cardsV2: [{ cardId: 'case', card: { header: { title: `Case ${caseNumber}`, subtitle: formValue(event, 'urgency') === 'urgent' ? 'Urgent' : 'Normal' }, sections: [{ widgets: [{ buttonList: { buttons: [button('Acknowledge', 'case.acknowledge', { caseId: String(caseNumber) })] } }] }] } }] },
      });
      return closeDialog(`Report sent: case ${caseNumber}`);
    }
    if (parameters.action === 'case.acknowledge') {
      const dm = await api.findDirectMessage('users/1001');
      if (dm) await api.createMessage({ space: dm.name, message: { text: `Your report (case ${parameters.caseId}) was acknowledged by ${event.chat.user.displayName}.` } });
      return updateThisMessage({ cardsV2: [{ cardId: 'case', card: { header: { title: `Case ${parameters.caseId}`, subtitle: `Acknowledged by ${event.chat.user.displayName}` } } }] });
    }
    return {};
  }

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const client = getClient();
        verifier ??= new OAuth2Client({ endpoints: { oauth2FederatedSignonPemCertsUrl: client.env.GOOGLE_CERTS_URL! }, transporterOptions: { fetchImplementation: (input, init) => fetch(input, init) } });
        const token = (request.headers.authorization ?? '').replace(/^Bearer /, '');
        try {
          const payload = (await verifier.verifyIdToken({ idToken: token, audience: url })).getPayload();
          if (payload?.email !== addonServiceAccountEmail(PROJECT) || payload.email_verified !== true) throw new Error('not our add-on');
        } catch {
          refused += 1;
          response.writeHead(401).end();
          return;
        }
        const event = chatEventSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        received.push(event);
        const answer = await handleEvent(event);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer));
      })().catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${GOOGLE_CHAT_PATH}`;
  return {
    url,
    received,
    get refused() {
      return refused;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// ---- a browser, as far as forms go -----------------------------------------------------------------

async function getPage(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.text();
}

function decode(value: string): string {
  return value.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

function attribute(tag: string, name: string): string | undefined {
  const start = tag.indexOf(` ${name}="`);
  if (start === -1) return undefined;
  const from = start + name.length + 3;
  return decode(tag.slice(from, tag.indexOf('"', from)));
}

/** Posts the form holding the submit button labelled `label`, with its hidden fields, the button and `fields`. */
async function press(pageUrl: string, html: string, label: string, fields: [string, string][] = []): Promise<string> {
  const labelAt = html.indexOf(`>${label}</button>`);
  expect(labelAt).toBeGreaterThan(-1);
  const formStart = html.lastIndexOf('<form ', labelAt);
  const formEnd = html.indexOf('</form>', labelAt);
  const form = html.slice(formStart, formEnd);
  const body = new URLSearchParams();
  for (const piece of form.split('<input ').slice(1)) {
    const tag = ` ${piece.slice(0, piece.indexOf('>'))}`;
    if (attribute(tag, 'type') === 'hidden') body.append(attribute(tag, 'name')!, attribute(tag, 'value') ?? '');
  }
  const buttonTag = html.slice(html.lastIndexOf('<button ', labelAt), labelAt);
  const buttonName = attribute(buttonTag, 'name');
  if (buttonName) body.append(buttonName, attribute(buttonTag, 'value') ?? '');
  for (const [name, value] of fields) body.append(name, value);
  const action = attribute(form.slice(0, form.indexOf('>')), 'action')!;
  const response = await fetch(new URL(action, pageUrl), { method: 'POST', body, redirect: 'manual' });
  expect(response.status).toBe(303);
  return getPage(new URL(response.headers.get('location')!, pageUrl).href);
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Workspace client with the fake Chat REST API and a stand-in app', () => {
  let client: WorkspaceClient;
  let app: Awaited<ReturnType<typeof startStubApp>>;

  beforeAll(async () => {
    app = await startStubApp(() => client);
    client = await startWorkspaceClient({
      appUrl: app.url,
      projectNumber: PROJECT,
      people,
      spaces: [{ id: 'dsl', name: 'spaces/dsl', displayName: 'Safeguarding cases', members: ['dsl'] }],
      // The stand-in paces nothing; the fake's quota must not refuse two writes a second apart in this test.
      chat: { spaceWritesPerSecond: 10 },
    });
  });
  afterAll(async () => {
    await client?.close();
    await app?.close();
  });

  it('gives each person their pages and the app the settings it needs', () => {
    expect(Object.keys(client.pages).sort()).toEqual(['dsl', 'starter', 'teacher']);
    expect(client.pages.starter).toEqual({ spaces: {}, gmail: expect.stringMatching(/\/people\/starter\/gmail$/) });
    expect(client.pages.teacher!.dm).toMatch(/\/people\/teacher\/dm$/);
    expect(client.pages.dsl!.spaces.dsl).toMatch(/\/people\/dsl\/spaces\/dsl$/);
    expect(client.env).toEqual({
      GOOGLE_PROJECT_NUMBER: PROJECT,
      GOOGLE_CERTS_URL: client.signer.certsUrl,
      GOOGLE_CHAT_API_ROOT_URL: client.chat.url,
      GOOGLE_GMAIL_API_ROOT_URL: client.gmail.rootUrl,
      GOOGLE_ADDON_OAUTH_CLIENT_ID: SANDBOX_ADDON_OAUTH_CLIENT_ID,
    });
    expect(client.chat.accessToken).toBe(SANDBOX_CHAT_ACCESS_TOKEN);
    expect(client.chat.directMessageOf('users/1003')).toBeUndefined();
  });

  it('runs a report from the teacher\'s DM to the DSL space and back', async () => {
    const teacherPage = client.pages.teacher!.dm!;
    const dslPage = client.pages.dsl!.spaces.dsl!;

    // The DSL adds the app and names the space.
    let dsl = await press(dslPage, await getPage(dslPage), 'Add DSL Desk to this space');
    expect(dsl).toContain('Thanks for adding me.');
    dsl = await press(dslPage, dsl, 'Send', [['text', 'use this space for cases']]);
    expect(dsl).toContain('This space now receives cases.');
    expect(app.received.at(-1)?.chat.messagePayload?.space?.spaceType).toBe('SPACE');

    // The teacher types "report": a dialog opens.
    let teacher = await press(teacherPage, await getPage(teacherPage), 'Send', [['text', 'report']]);
    expect(teacher).toContain('role="dialog" aria-label="Report a concern"');
    expect(teacher).toContain('<label for="dialog-input-2">What happened</label>');

    // Submitting it empty keeps the dialog open with the message.
    teacher = await press(teacherPage, teacher, 'Send report', [['what', ''], ['urgency', 'urgent']]);
    expect(teacher).toContain('<b>Say what happened.</b>');
    expect(app.received.at(-1)?.chat.buttonClickedPayload).toMatchObject({ isDialogEvent: true, dialogEventType: 'SUBMIT_DIALOG' });

    teacher = await press(teacherPage, teacher, 'Send report', [['what', 'A message <with> marks'], ['urgency', 'urgent']]);
    expect(teacher).not.toContain('role="dialog"');
    expect(teacher).toContain('Report sent: case 1');
    expect(app.received.at(-1)?.commonEventObject.formInputs).toEqual({ what: { stringInputs: { value: ['A message <with> marks'] } }, urgency: { stringInputs: { value: ['urgent'] } } });

    // The card came through the REST API; the DSL acknowledges it and the card updates in place.
    dsl = await getPage(dslPage);
    expect(dsl).toContain('<h3 id="m');
    expect(dsl).toContain('Case 1</h3><p class="subtitle">Urgent</p>');
    dsl = await press(dslPage, dsl, 'Acknowledge');
    expect(dsl).toContain('<p class="subtitle">Acknowledged by Dee Lead</p>');
    expect(dsl).not.toContain('>Acknowledge</button>');
    const click = app.received.at(-1)!;
    expect(click.commonEventObject.parameters).toEqual({ action: 'case.acknowledge', caseId: '1' });
    expect(click.chat.buttonClickedPayload?.message?.name).toBe('spaces/dsl/messages/client-case-1');

    // The teacher is told in their DM.
    teacher = await waitFor(async () => {
      const html = await getPage(teacherPage);
      return html.includes('was acknowledged by Dee Lead') ? html : undefined;
    });
    expect(teacher).toContain('Your report (case 1) was acknowledged by Dee Lead.');

    const stats = client.chat.stats();
    expect(stats.bySpace['spaces/dsl']).toMatchObject({ creates: 1, throttled: 0 });
    expect(stats.bySpace['spaces/dm-teacher']).toMatchObject({ creates: 1 });
    expect(app.refused).toBe(0);
  });

  it('opens the dialog from a slash command without posting it, and refuses unknown commands', async () => {
    const teacherPage = client.pages.teacher!.dm!;
    const before = client.chat.messages('spaces/dm-teacher').length;
    let teacher = await press(teacherPage, await getPage(teacherPage), 'Send', [['text', '/report']]);
    expect(teacher).toContain('role="dialog"');
    expect(app.received.at(-1)?.chat.appCommandPayload).toMatchObject({ isDialogEvent: true, dialogEventType: 'REQUEST_DIALOG' });
    expect(client.chat.messages('spaces/dm-teacher')).toHaveLength(before);
    teacher = await press(teacherPage, teacher, 'Close dialog');
    expect(teacher).not.toContain('role="dialog"');
    const count = app.received.length;
    teacher = await press(teacherPage, teacher, 'Send', [['text', '/nothing']]);
    expect(teacher).toContain('/nothing is not a command of DSL Desk.');
    expect(app.received).toHaveLength(count);
  });

  it('shows the app\'s refusal when an event is not signed for its endpoint', async () => {
    const teacherPage = client.pages.teacher!.dm!;
    const other = await startWorkspaceClient({ appUrl: app.url, audience: 'https://elsewhere.example/api/google/chat', projectNumber: PROJECT, people: [people[0]!] });
    try {
      const page = other.pages.teacher!.dm!;
      const html = await press(page, await getPage(page), 'Send', [['text', 'report']]);
      expect(html).toContain('DSL Desk is not responding (it answered 401).');
      expect(app.refused).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
    expect(teacherPage).toBeDefined();
  });

  it('serves pages that escape what people type and load nothing from elsewhere', async () => {
    const teacherPage = client.pages.teacher!.dm!;
    const html = await press(teacherPage, await getPage(teacherPage), 'Send', [['text', '<img src=x onerror=alert(1)>']]);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
    expect(html).not.toMatch(/(?:src|href)="https?:\/\/(?!127\.0\.0\.1)/);
    expect(html).toContain('<meta name="viewport" content="width=device-width,initial-scale=1">');
    expect(html).toContain('<html lang="en-GB">');
  });
});
