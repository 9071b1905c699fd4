import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { startService, type RunningService } from '../../src/wiring.ts';
import {
  SANDBOX_GOOGLE_ADMIN_EMAIL,
  SANDBOX_GOOGLE_PEOPLE,
  SANDBOX_GOOGLE_SECURITY_MAILBOX,
  SANDBOX_GOOGLE_SENDER_MAILBOX,
} from '../../src/app/organisations/seed-sandbox-school.ts';
import { OAuth2Client } from 'google-auth-library';
import { gmail } from 'googleapis/build/src/apis/gmail/index.js';
import { GMAIL_MODIFY_SCOPE, GMAIL_SEND_SCOPE, GOOGLE_CHAT_PATH, parseSandboxDelegatedToken, sandboxDelegatedToken } from '../../src/domain/google-workspace.ts';
import { ACTION_FIELD, encodeAction } from '../../scripts/workspace-client/card-html.ts';
import { DEMO_GOOGLE_DSL_SPACE, DEMO_SECURITY_MAILBOX, GIFT_CARDS_SUBJECT, startDemoGoogleSchoolClient } from '../../scripts/workspace-client/demo-google-school.ts';
import type { FakeChatMessage } from '../../scripts/workspace-client/fake-chat-rest.ts';
import type { WorkspaceClient } from '../../scripts/workspace-client/workspace-client.ts';
import { freePort } from '../../scripts/playground/start-playground.ts';

/**
 * The demo's whole Gmail story, as `npm run demo` wires it: DSL Desk's sandbox with the local Workspace client of
 * the Google school (its Admin SDK, Gmail and Chat fakes), and the client's pages driven over HTTP as a browser
 * would. Tom reports the gift-card email from his Gmail; in the DSL space, Dana presses "Remove from all mailboxes"
 * and every staff mailbox's copy goes to the Bin, with the count on the case card; "Forward to IT security" sends one
 * message with the .eml attached from the sender mailbox, and it arrives in the security team's Gmail.
 */

const WAIT_MS = 30_000;
jest.setTimeout(120_000);

let dataDir: string;
let google: WorkspaceClient;
let service: RunningService;

/** Polls until `check` gives a value (not undefined or false), or fails after WAIT_MS naming what it waited for. */
async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const until = Date.now() + WAIT_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** POSTs a form to one of the client's pages, as a browser's form submission (the client answers 303). */
async function submit(url: string, fields: Record<string, string>): Promise<void> {
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
  expect(response.status).toBe(303);
}

function page(url: string | undefined, what: string): string {
  if (!url) throw new Error(`The Workspace client has no ${what} page.`);
  return url;
}

const spacePage = () => page(google.pages.dsl?.spaces[DEMO_GOOGLE_DSL_SPACE.id], 'DSL space');
const mailOf = (key: string) => SANDBOX_GOOGLE_PEOPLE.find((person) => person.key === key)!.email;
const spaceMessages = () => google.chat.messages(DEMO_GOOGLE_DSL_SPACE.name);
const inboxCopies = (mailbox: string) => google.gmail.messages(mailbox).filter((message) => message.labelIds.includes('INBOX') && /Quick favour before assembly/.test(message.raw.toString('utf8')));

/** The app's case card in the space (there is one case in this test). */
function caseCardMessage(): FakeChatMessage | undefined {
  return spaceMessages().find((message) => message.sender.type === 'BOT' && JSON.stringify(message.cardsV2 ?? []).includes('Remove from all mailboxes'));
}

/** The action of the button with this text on a card, as Chat would send its click. */
function buttonAction(message: FakeChatMessage, text: string): Record<string, unknown> {
  let found: Record<string, unknown> | undefined;
  const visit = (value: unknown): void => {
    if (found || value === null || typeof value !== 'object') return;
    const object = value as Record<string, unknown>;
    if (object.text === text && typeof object.onClick === 'object') {
      found = (object.onClick as { action: Record<string, unknown> }).action;
      return;
    }
    for (const child of Object.values(object)) visit(child);
  };
  visit(message.cardsV2);
  if (!found) throw new Error(`No "${text}" button on the card.`);
  return found;
}

/** Dana presses a button on the case card in the DSL space page. */
async function pressOnCaseCard(text: string): Promise<void> {
  const card = caseCardMessage()!;
  await submit(`${spacePage()}/act`, { [ACTION_FIELD]: encodeAction(buttonAction(card, text)), __message: card.name });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'dsl-desk-demo-google-mail-'));
  const port = await freePort();
  google = await startDemoGoogleSchoolClient({ appUrl: `http://127.0.0.1:${port}${GOOGLE_CHAT_PATH}`, projectNumber: '123456789012' });
  const config = loadConfig({
    ...google.env,
    DSL_DESK_MODE: 'sandbox',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    OUTBOX_POLL_MS: '100',
    // The shared card catches up straight away, so the removal's line shows within the test's patience.
    CASE_CARD_QUIET_SECONDS: '0',
  });
  expect(config.google.sandboxDelegation).toBe(true);
  service = await startService(config, createLogger('silent'));
});

afterAll(async () => {
  await service?.close();
  await google?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the sandbox with the demo client is set up for the school-wide Gmail actions: its Google admin, removal on, the sender and security mailboxes', async () => {
  const school = await service.storage.read((reader) => reader.schools.getBySlug('demo-google-school'));
  const directory = await service.storage.read((reader) => reader.googleDirectory.get(school!.id));
  expect(directory?.adminEmail).toBe(SANDBOX_GOOGLE_ADMIN_EMAIL);
  expect(service.deps.settings?.googleMailboxRemoval?.enabled).toBe(true);
  expect(service.deps.settings?.emailForwarding).toMatchObject({ from: SANDBOX_GOOGLE_SENDER_MAILBOX, securityMailbox: SANDBOX_GOOGLE_SECURITY_MAILBOX });
  // Every member of staff has the gift-card email in their inbox.
  for (const person of SANDBOX_GOOGLE_PEOPLE) expect(inboxCopies(person.email)).toHaveLength(1);
});

test('a sandbox without the local Admin SDK and Gmail (Google\'s own addresses) never acts by the sandbox token', () => {
  const config = loadConfig({ DSL_DESK_MODE: 'sandbox', HOST: '127.0.0.1', DATA_DIR: dataDir, GOOGLE_GMAIL_API_ROOT_URL: google.env.GOOGLE_GMAIL_API_ROOT_URL });
  expect(config.google.sandboxDelegation).toBe(false);
});

test('Tom reports the gift-card email from Gmail; Dana removes it from every mailbox in the DSL space; each copy goes to the Bin and the card says so', async () => {
  // Dana sets the DSL space up for cases.
  await submit(`${spacePage()}/add-app`, {});
  await submit(`${spacePage()}/send`, { text: 'use this space for cases' });
  await waitFor('the space to be set up', () => spaceMessages().some((message) => /New cases will be posted in this space/.test(message.text ?? '')));

  // Tom opens the email in his Gmail and reports it as phishing.
  const gmailPage = page(google.pages.teacher?.gmail, 'Gmail');
  const inbox = await (await fetch(gmailPage)).text();
  expect(inbox).toContain(GIFT_CARDS_SUBJECT);
  const [copy] = inboxCopies(mailOf('teacher'));
  const opened = await (await fetch(`${gmailPage}/open/${encodeURIComponent(copy!.id)}`)).text();
  const report = /<button[^>]*name="__action" value="([^"]+)"[^>]*>Report<\/button>/.exec(opened)?.[1];
  expect(report).toBeDefined();
  await submit(`${gmailPage}/act`, { [ACTION_FIELD]: report!, __message: copy!.id, choice: 'phishing', note: 'It asks me to buy gift cards.' });
  const reported = await (await fetch(`${gmailPage}/messages/${encodeURIComponent(copy!.id)}`)).text();
  expect(reported).toMatch(/CASE-\d{4}-\d{4,}/);

  // The case card arrives in the space; Dana presses "Remove from all mailboxes".
  await waitFor('the case card in the DSL space', caseCardMessage);
  await pressOnCaseCard('Remove from all mailboxes');

  // Every staff mailbox is searched as its owner, and each copy leaves the inbox for the Bin.
  for (const person of SANDBOX_GOOGLE_PEOPLE) {
    await waitFor(`${person.key}'s copy to be moved to the Bin`, () => inboxCopies(person.email).length === 0);
    const copies = google.gmail.messages(person.email).filter((message) => /Quick favour before assembly/.test(message.raw.toString('utf8')));
    expect(copies.map((message) => message.labelIds)).toEqual([['UNREAD', 'TRASH']]);
  }
  // Only the reported email moved: Tom's other message is still in his inbox.
  expect(google.gmail.messages(mailOf('teacher')).filter((message) => message.labelIds.includes('INBOX'))).toHaveLength(1);
  // The searches went as each mailbox by the sandbox's delegated token (gmail.modify), and the Directory was read as the admin.
  const searched = new Set(google.gmail.calls.filter((call) => call.method === 'GET' && /\/messages$/.test(call.path) && call.status === 200).map((call) => call.mailbox));
  expect([...searched].sort()).toEqual(SANDBOX_GOOGLE_PEOPLE.map((person) => person.email).sort());
  expect(google.admin!.calls.some((call) => call.path === '/admin/directory/v1/users' && call.status === 200)).toBe(true);

  // The shared card shows the result line; the Gmail page no longer lists the email, and the open message's page says where it went.
  const line = `Removed from every mailbox: ${SANDBOX_GOOGLE_PEOPLE.length} copies moved to the Bin (${SANDBOX_GOOGLE_PEOPLE.length} searched)`;
  await waitFor('the removal line on the case card', () => JSON.stringify(caseCardMessage()?.cardsV2 ?? []).includes(line));
  expect(await (await fetch(gmailPage)).text()).not.toContain(GIFT_CARDS_SUBJECT);
  const gone = await fetch(`${gmailPage}/messages/${encodeURIComponent(copy!.id)}`, { redirect: 'manual' });
  expect(gone.status).toBe(303);
  expect(await (await fetch(gmailPage)).text()).toContain('no longer in your inbox');
});

test('"Forward to IT security" sends one message with the .eml attached from the sender mailbox; it arrives in the security team\'s Gmail', async () => {
  expect(caseCardMessage()).toBeDefined();
  await pressOnCaseCard('Forward to IT security');
  const [sent] = await waitFor('the forwarded report', () => google.gmail.sent(SANDBOX_GOOGLE_SENDER_MAILBOX).length > 0 && google.gmail.sent(SANDBOX_GOOGLE_SENDER_MAILBOX));
  expect(google.gmail.sent(SANDBOX_GOOGLE_SENDER_MAILBOX)).toHaveLength(1);
  const forwarded = await PostalMime.parse(sent!);
  expect(forwarded.subject).toMatch(/^Phishing: /);
  expect(forwarded.to?.map((address) => address.address)).toEqual([SANDBOX_GOOGLE_SECURITY_MAILBOX]);
  expect(forwarded.attachments).toHaveLength(1);
  expect(forwarded.attachments[0]!.filename).toMatch(/\.eml$/);
  expect(Buffer.from(forwarded.attachments[0]!.content as ArrayBuffer).toString('utf8')).toContain(GIFT_CARDS_SUBJECT);
  // The send went as the sender mailbox with gmail.send only.
  const send = google.gmail.calls.find((call) => call.method === 'POST' && /messages\/send$/.test(call.path));
  expect(send).toMatchObject({ status: 200, mailbox: SANDBOX_GOOGLE_SENDER_MAILBOX });

  // Delivered within the domain: the security team's Gmail page lists it.
  expect(google.gmail.messages(SANDBOX_GOOGLE_SECURITY_MAILBOX).filter((message) => message.labelIds.includes('INBOX'))).toHaveLength(1);
  const securityInbox = await (await fetch(page(google.pages[DEMO_SECURITY_MAILBOX.id]?.gmail, 'security Gmail'))).text();
  expect(securityInbox).toContain(`Phishing: ${GIFT_CARDS_SUBJECT}`);
});

test('the fake Gmail takes the sandbox token only for a mailbox of the demo\'s domain, and only with the scope it names', async () => {
  const status = async (subject: string, scopes: string[]) => {
    const auth = new OAuth2Client({ transporterOptions: { fetchImplementation: (input: Parameters<typeof fetch>[0], init?: RequestInit) => fetch(input, init) } });
    auth.setCredentials({ access_token: sandboxDelegatedToken(subject, scopes) });
    expect(parseSandboxDelegatedToken(sandboxDelegatedToken(subject, scopes))).toEqual({ subject: subject.toLowerCase(), scopes: [...scopes].sort() });
    const api = gmail({ version: 'v1', auth, rootUrl: google.gmail.rootUrl, retry: false, fetchImplementation: fetch });
    return api.users.messages.list({ userId: 'me', q: 'in:anywhere' }).then((answer) => answer.status, (error: { status?: number }) => error.status);
  };
  expect(await status(mailOf('head'), [GMAIL_MODIFY_SCOPE])).toBe(200);
  expect(await status(mailOf('head'), [GMAIL_SEND_SCOPE])).toBe(403);
  expect(await status('someone@elsewhere.example.net', [GMAIL_MODIFY_SCOPE])).toBe(401);
});
