import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';
import { google } from 'googleapis';
import { addonServiceAccountEmail, GOOGLE_CHAT_PATH, GOOGLE_GMAIL_PATH, SANDBOX_ADDON_OAUTH_CLIENT_ID } from '../../src/domain/google-workspace.ts';
import { withTypedValues } from '../../scripts/workspace-client/gmail-pages.ts';
import { startWorkspaceClient, type WorkspaceClient } from '../../scripts/workspace-client/workspace-client.ts';

/**
 * The Workspace client's Gmail pages with the fake Gmail API and a tiny stand-in add-on (not DSL Desk): the
 * inbox lists the person's messages, the homepage card shows with no message open, opening a message fires the
 * contextual trigger, and a button POSTs its function with its parameters, the card's inputs and the open
 * message's tokens. The stand-in verifies both ID tokens as DSL Desk does and reads the open message from the
 * fake with the pair of tokens, so the tokens the client hands out are the ones the fake accepts.
 */

const PROJECT = '123456789012';
const GIFT_CARDS = [
  'From: "Harriet Head" <harriet.head@example.com>',
  'To: "Tess Teacher" <tess@oakfield.example.org>',
  'Subject: Quick favour <b>now</b>',
  'Date: Mon, 23 Nov 2026 07:42:00 +0000',
  'Message-ID: <gift@example.com>',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Buy gift cards <script>alert(1)</script> and send me the codes.',
  '',
].join('\r\n');
const ROTA = [
  'From: "Hana Head" <hana@oakfield.example.org>',
  'To: staff@oakfield.example.org',
  'Subject: Parents evening rota',
  'Date: Mon, 23 Nov 2026 08:15:00 +0000',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'The rota is in the staff room.',
  '',
].join('\r\n');

const people = [
  { id: 'teacher', name: 'users/1001', displayName: 'Tess Teacher', email: 'tess@oakfield.example.org' },
  { id: 'dsl', name: 'users/1002', displayName: 'Dee Lead', email: 'dee@oakfield.example.org' },
];

type Json = Record<string, unknown>;
interface Received { body: Json; systemEmail?: string; userSub?: string; userEmail?: string; fetchedSubject?: string }

function card(title: string, widgets: Json[]): Json {
  return { header: { title }, sections: [{ widgets }] };
}

/** A stand-in Gmail add-on: verifies the tokens, reads the open message from the fake Gmail API, answers RenderActions. */
async function startStubAddOn(getClient: () => WorkspaceClient): Promise<{ url: string; received: Received[]; refused: number; failNext: number; close(): Promise<void> }> {
  const received: Received[] = [];
  const state = { refused: 0, failNext: 0 };
  let verifier: OAuth2Client | undefined;
  let url = '';
  const button = (text: string, action: string) => ({ text, onClick: { action: { function: url, parameters: [{ key: 'action', value: action }] } } });
  const reportCard = (error?: string, note = '') => card('Report this message', [
    { selectionInput: { name: 'kind', label: 'What is it?', type: 'RADIO_BUTTON', items: [{ text: 'Phishing or suspicious', value: 'phishing' }, { text: 'Upsetting content', value: 'upsetting' }] } },
    ...(error ? [{ textParagraph: { text: `<font color="#b3261e">${error}</font>` } }] : []),
    { textInput: { name: 'note', label: 'A note for the DSL', type: 'MULTIPLE_LINE', value: note } },
    { buttonList: { buttons: [button('Report', 'report'), button('More', 'more')] } },
  ]);

  async function answer(event: Json, record: Received): Promise<Json> {
    const client = getClient();
    const common = event.commonEventObject as { parameters?: Record<string, string>; formInputs?: Record<string, { stringInputs: { value: string[] } }> };
    const gmail = event.gmail as { messageId: string; accessToken: string } | undefined;
    const auth = event.authorizationEventObject as { userOAuthToken: string };
    if (gmail) {
      const oauth = new OAuth2Client({ transporterOptions: { fetchImplementation: (input, init) => fetch(input, init) } });
      oauth.setCredentials({ access_token: auth.userOAuthToken });
      const api = google.gmail({ version: 'v1', auth: oauth, rootUrl: client.gmail.rootUrl });
      const message = await api.users.messages.get({ userId: 'me', id: gmail.messageId, format: 'raw' }, { headers: { 'X-Goog-Gmail-Access-Token': gmail.accessToken } });
      record.fetchedSubject = /^Subject: (.*)$/m.exec(Buffer.from(message.data.raw ?? '', 'base64url').toString('utf8'))?.[1];
    }
    const action = common.parameters?.action;
    if (!gmail) return { action: { navigations: [{ pushCard: card('DSL Desk', [{ textParagraph: { text: 'Open a message to report it.' } }]) }] } };
    if (!action) return { action: { navigations: [{ pushCard: reportCard() }] } };
    const note = common.formInputs?.note?.stringInputs.value[0] ?? '';
    const kind = common.formInputs?.kind?.stringInputs.value[0];
    if (action === 'more') return { action: { navigations: [{ pushCard: card('More about reporting', [{ textParagraph: { text: 'Your DSL sees every report.' } }]) }] } };
    if (!kind) return { action: { navigations: [{ updateCard: reportCard('Choose what it is.', note) }] } };
    return { action: { navigations: [{ updateCard: card('Reported', [{ textParagraph: { text: `Reference CASE-1 (${kind})` } }]) }], notification: { text: 'Sent to your DSL: CASE-1' } } };
  }

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const client = getClient();
        verifier ??= new OAuth2Client({ endpoints: { oauth2FederatedSignonPemCertsUrl: client.env.GOOGLE_CERTS_URL! }, transporterOptions: { fetchImplementation: (input, init) => fetch(input, init) } });
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
        const record: Received = { body };
        try {
          const system = (await verifier.verifyIdToken({ idToken: (request.headers.authorization ?? '').replace(/^Bearer /, ''), audience: url })).getPayload();
          if (system?.email !== addonServiceAccountEmail(PROJECT) || system.email_verified !== true) throw new Error('not our add-on');
          const userIdToken = (body.authorizationEventObject as { userIdToken: string }).userIdToken;
          const user = (await verifier.verifyIdToken({ idToken: userIdToken, audience: client.env.GOOGLE_ADDON_OAUTH_CLIENT_ID! })).getPayload();
          if (user?.email_verified !== true) throw new Error('unverified');
          Object.assign(record, { systemEmail: system.email, userSub: user.sub, userEmail: user.email });
        } catch {
          state.refused += 1;
          response.writeHead(401).end();
          return;
        }
        received.push(record);
        if (state.failNext > 0) {
          state.failNext -= 1;
          response.writeHead(500).end('failed');
          return;
        }
        const answered = await answer(body, record);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answered));
      })().catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${GOOGLE_GMAIL_PATH}`;
  return {
    url,
    received,
    get refused() {
      return state.refused;
    },
    get failNext() {
      return state.failNext;
    },
    set failNext(value: number) {
      state.failNext = value;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// ---- a browser, as far as links and forms go -----------------------------------------------------------

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

/** Follows the link whose text contains `text`. */
async function follow(pageUrl: string, html: string, text: string): Promise<{ url: string; html: string }> {
  const at = html.indexOf(text);
  expect(at).toBeGreaterThan(-1);
  const tag = html.slice(html.lastIndexOf('<a ', at), at);
  const url = new URL(attribute(tag, 'href')!, pageUrl).href;
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return { url: response.url, html: await response.text() };
}

/** Posts the form holding the submit button labelled `label`, with its hidden fields, the button and `fields`. */
async function press(pageUrl: string, html: string, label: string, fields: [string, string][] = []): Promise<string> {
  const labelAt = html.indexOf(`>${label}</button>`);
  expect(labelAt).toBeGreaterThan(-1);
  const form = html.slice(html.lastIndexOf('<form ', labelAt), html.indexOf('</form>', labelAt));
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

describe('Workspace client: Gmail pages with the fake Gmail API and a stand-in add-on', () => {
  let client: WorkspaceClient;
  let addOn: Awaited<ReturnType<typeof startStubAddOn>>;

  beforeAll(async () => {
    addOn = await startStubAddOn(() => client);
    client = await startWorkspaceClient({
      appUrl: addOn.url.replace(GOOGLE_GMAIL_PATH, GOOGLE_CHAT_PATH),
      projectNumber: PROJECT,
      people,
      mailboxes: { teacher: [ROTA, GIFT_CARDS] },
    });
  });
  afterAll(async () => {
    await client?.close();
    await addOn?.close();
  });

  it('gives the app the Gmail settings and links each person\'s Gmail from the index', async () => {
    expect(client.gmailUrl).toBe(addOn.url);
    expect(client.env.GOOGLE_GMAIL_API_ROOT_URL).toBe(client.gmail.rootUrl);
    expect(client.env.GOOGLE_ADDON_OAUTH_CLIENT_ID).toBe(SANDBOX_ADDON_OAUTH_CLIENT_ID);
    const index = await getPage(client.url);
    expect(index).toContain(`<a href="/people/teacher/gmail">Gmail (inbox and the DSL Desk add-on)</a>`);
    expect(client.pages.dsl!.gmail).toBe(`${client.client.url}/people/dsl/gmail`);
  });

  it('shows the inbox, newest first and escaped, beside the homepage card (an event with no message and no gmail object)', async () => {
    const html = await getPage(client.pages.teacher!.gmail!);
    expect(html.indexOf('Quick favour &lt;b&gt;now&lt;/b&gt;')).toBeGreaterThan(-1);
    expect(html.indexOf('Quick favour')).toBeLessThan(html.indexOf('Parents evening rota'));
    expect(html).not.toContain('<b>now</b>');
    expect(html).toContain('Open a message to report it.');
    const homepage = addOn.received.at(-1)!;
    expect(homepage.body.gmail).toBeUndefined();
    expect(homepage.body.commonEventObject).toMatchObject({ hostApp: 'GMAIL', platform: 'WEB', userLocale: 'en-GB', timeZone: { id: 'Europe/London' } });
    expect(homepage).toMatchObject({ systemEmail: addonServiceAccountEmail(PROJECT), userSub: '1001', userEmail: 'tess@oakfield.example.org' });
    expect(await getPage(client.pages.dsl!.gmail!)).toContain('No messages.');
  });

  it('opens a message: its headers and text, escaped, beside the contextual card, read from the fake with the tokens the event carried', async () => {
    const inbox = await getPage(client.pages.teacher!.gmail!);
    const opened = await follow(client.pages.teacher!.gmail!, inbox, 'Quick favour &lt;b&gt;');
    expect(opened.url).toMatch(/\/people\/teacher\/gmail\/messages\/[^/]+$/);
    expect(opened.html).toContain('<dt>From</dt><dd>Harriet Head &lt;harriet.head@example.com&gt;</dd>');
    expect(opened.html).toContain('Buy gift cards &lt;script&gt;alert(1)&lt;/script&gt; and send me the codes.');
    expect(opened.html).not.toContain('<script>alert');
    expect(opened.html).toContain('Report this message');
    const trigger = addOn.received.at(-1)!;
    const messageId = client.gmail.messages('tess@oakfield.example.org').find((message) => message.raw.toString('utf8').includes('gift@example.com'))!.id;
    expect(trigger.body.gmail).toEqual({ messageId, threadId: messageId, accessToken: expect.any(String) });
    expect((trigger.body.commonEventObject as Json).parameters).toBeUndefined();
    expect(trigger.fetchedSubject).toBe('Quick favour <b>now</b>');
  });

  it('posts a button with its parameters, the inputs and fresh tokens; runs updateCard, pushCard and Back; shows the notification as a toast', async () => {
    const inbox = await getPage(client.pages.teacher!.gmail!);
    const { url, html } = await follow(client.pages.teacher!.gmail!, inbox, 'Quick favour &lt;b&gt;');
    const before = addOn.received.at(-1)!;

    // No choice: the add-on's error card comes back with the note it was sent.
    let page = await press(url, html, 'Report', [['note', 'Asked for <codes>']]);
    expect(page).toContain('Choose what it is.');
    expect(page).toContain('>Asked for &lt;codes&gt;</textarea>');
    const click = addOn.received.at(-1)!;
    expect((click.body.commonEventObject as Json).parameters).toEqual({ action: 'report' });
    expect((click.body.commonEventObject as Json).formInputs).toEqual({ note: { stringInputs: { value: ['Asked for <codes>'] } } });
    expect((click.body.gmail as Json).accessToken).not.toBe((before.body.gmail as Json).accessToken);
    expect((click.body.authorizationEventObject as Json).userOAuthToken).not.toBe((before.body.authorizationEventObject as Json).userOAuthToken);
    expect(click.fetchedSubject).toBe('Quick favour <b>now</b>');

    // A pushed card has a Back button to the one under it.
    page = await press(url, page, 'More');
    expect(page).toContain('More about reporting');
    page = await press(url, page, 'Back');
    expect(page).toContain('Report this message');
    expect(page).not.toContain('>Back</button>');

    // The add-on fails: the card stays, with what was typed and chosen put back, and the person is told.
    addOn.failNext = 1;
    page = await press(url, page, 'Report', [['kind', 'phishing'], ['note', 'Second try']]);
    expect(page).toContain('DSL Desk is not responding (it answered 500). What you typed is still here.');
    expect(page).toContain('>Second try</textarea>');
    expect(page).toMatch(/value="phishing" checked/);

    page = await press(url, page, 'Report', [['kind', 'phishing'], ['note', 'Second try']]);
    expect(page).toContain('Reference CASE-1 (phishing)');
    expect(page).toContain('<div class="toast" role="status"><p>Sent to your DSL: CASE-1</p></div>');
    // A toast shows once.
    expect(await getPage(url)).not.toContain('class="toast"');
    expect(addOn.refused).toBe(0);
  });

  it('sends nothing to a button whose function is not the add-on\'s address', async () => {
    const count = addOn.received.length;
    const home = client.pages.teacher!.gmail!;
    const body = new URLSearchParams({ __message: '', __action: Buffer.from(JSON.stringify({ function: 'http://127.0.0.2:9/elsewhere' })).toString('base64url') });
    const response = await fetch(`${home}/act`, { method: 'POST', body, redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(await getPage(home)).toContain('That button calls http://127.0.0.2:9, not DSL Desk&#39;s address: the client does not send there.');
    expect(addOn.received).toHaveLength(count);
  });

  it('puts typed values back into a card: text inputs and choices, nothing else', () => {
    const typed = withTypedValues(card('x', [
      { textInput: { name: 'note', value: 'old' } },
      { selectionInput: { name: 'kind', items: [{ value: 'a', selected: true }, { value: 'b' }] } },
      { textInput: { name: 'other', value: 'kept' } },
    ]), new URLSearchParams([['note', 'new'], ['kind', 'b'], ['__message', 'm']]));
    expect((typed.sections as { widgets: Json[] }[])[0]!.widgets).toEqual([
      { textInput: { name: 'note', value: 'new' } },
      { selectionInput: { name: 'kind', items: [{ value: 'a', selected: false }, { value: 'b', selected: true }] } },
      { textInput: { name: 'other', value: 'kept' } },
    ]);
  });
});
