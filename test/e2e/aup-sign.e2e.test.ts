import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLAYGROUND_CONVERSATIONS, PLAYGROUND_PEOPLE } from '../../scripts/playground/identities.ts';
import { startDslDeskSandbox, type RunningDslDesk } from '../../scripts/playground/start-dsl-desk.ts';
import { artifactsDir, launchBrowser, type E2EBrowser } from './support/browser.ts';
import { ConversationStream, PlaygroundUi, cardActions, cardInputs, cardText, startTestPlayground, type RunningPlayground, type StreamMessage } from './support/playground.ts';

// A new member of staff signs the acceptable use policy in Teams, end to end, through the real Agents
// Playground client and DSL Desk's sandbox: the teacher has said hello to DSL Desk, the office adds them as
// a new starter, the policy card arrives in their chat, they tick the box, type their name and press Sign,
// and the card becomes the signed record, which the office then sees through the API. Each test is one step
// and needs the ones before it. Screenshots and both logs go to test/e2e/artifacts/.

const { teacher } = PLAYGROUND_PEOPLE;
/** The sandbox school's office (an admin): not one of the playground's people, it acts through the API. */
const SANDBOX_ADMIN = 'admin@demo-school.test';
const POLICY_TITLE = 'Staff Acceptable Use Policy';

let dslDesk: RunningDslDesk;
let playground: RunningPlayground;
let stream: ConversationStream;
let browser: E2EBrowser;
let ui: PlaygroundUi;

// What the steps hand on to each other.
let personId: string | undefined;
let policyCard: StreamMessage | undefined;
let signedText: string | undefined;

function need<T>(value: T | undefined, step: string): T {
  if (value === undefined) throw new Error(`This step needs step ${step} to have passed.`);
  return value;
}

/** DSL Desk's API as the sandbox's office. */
async function asOffice(path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${dslDesk.url}/api/v1${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'x-dsl-desk-sandbox-user': SANDBOX_ADMIN, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the text for the failure message.
  }
  return { status: response.status, body };
}

const isPolicyCard = (event: StreamMessage) =>
  event.conversationId === PLAYGROUND_CONVERSATIONS.personalChat && cardActions(ConversationStream.cardOf(event)).some((action) => action.verb === 'aup.sign');

beforeAll(async () => {
  // A fast outbox, so the card follows the new starter within a test's patience.
  dslDesk = await startDslDeskSandbox({ port: 0, logLevel: 'info', env: { OUTBOX_POLL_MS: '100' } });
  playground = await startTestPlayground(dslDesk.botEndpoint);
  stream = await ConversationStream.connect(playground.url);
  browser = await launchBrowser({ prefix: 'aup-sign' });
  ui = new PlaygroundUi(browser.page, playground.url);
  await browser.step('page-open', () => ui.open());
});

afterAll(async () => {
  const dir = artifactsDir();
  if (dslDesk) writeFileSync(join(dir, 'aup-sign-dsl-desk.log'), dslDesk.output());
  if (playground && existsSync(playground.logFile)) copyFileSync(playground.logFile, join(dir, 'aup-sign-playground.log'));
  if (stream) writeFileSync(join(dir, 'aup-sign-stream.json'), JSON.stringify(stream.events.map((e) => e.raw), null, 2));
  stream?.close();
  await browser?.close();
  await playground?.close();
  await dslDesk?.close();
});

test('(a) the teacher says hello to DSL Desk in the personal chat, and DSL Desk answers there', async () => {
  await ui.openPersonalChat();
  const after = stream.events.length;
  await ui.sendInChat('hello');
  const answer = await stream.waitFor((e) => e.action === 'createMessage' && e.conversationId === PLAYGROUND_CONVERSATIONS.personalChat, 'DSL Desk to answer in the personal chat', { after });
  expect(ConversationStream.textOf(answer)).toMatch(/DSL Desk/);
  expect(stream.events.some(isPolicyCard)).toBe(false);
});

test('(b) the office adds the teacher as a new starter through the API', async () => {
  const added = await asOffice('/aup/new-starters', { body: { displayName: teacher.name, email: teacher.email, entraObjectId: teacher.aadObjectId } });
  expect(added.status).toBe(201);
  expect(added.body.personId).toEqual(expect.any(String));
  // No delivery means the teacher already had one for this version (for example from a campaign at start): nothing new to send.
  expect(added.body.delivery).toMatchObject({ personId: added.body.personId, reason: 'new_starter', state: 'queued' });
  personId = added.body.personId;
});

test('(c) the policy card arrives in the teacher’s chat with DSL Desk', async () => {
  need(personId, '(b)');
  policyCard = await stream.waitFor(isPolicyCard, 'the policy card in the personal chat', { timeoutMs: 20000 });
  const card = ConversationStream.cardOf(policyCard);
  const text = cardText(card);
  expect(text).toContain(POLICY_TITLE);
  expect(text).toMatch(/Version 1/);
  expect(cardInputs(card).map((input) => input.id)).toEqual(['agreed', 'typedName']);
  expect(JSON.stringify(card)).toMatch(/"type":"Action.OpenUrl","title":"Read the full policy","url":"[^"]*\/aup\/policies\/[^"]+\/page\?k=[^"]+"/);
  await browser.step('c-policy-card', () => ui.card(POLICY_TITLE).waitFor());
});

test('(d) the teacher ticks the box, types their name and presses Sign: the card shows "Signed on … — version 1"', async () => {
  const message = need(policyCard, '(c)');
  const json = ConversationStream.cardOf(message);
  const card = ui.cards().filter({ hasText: POLICY_TITLE }).filter({ has: browser.page.getByRole('button', { name: 'Sign', exact: true }) }).last();
  await browser.step('d-filled', () => ui.fillCard(card, json, { agreed: true, typedName: teacher.name }));
  signedText = await browser.step('d-signed', async () => {
    await ui.clickCardButton(card, 'Sign');
    const signed = ui.card(/Signed on .+ — version 1/);
    await signed.waitFor({ timeout: 15000 });
    return signed.innerText();
  });
  expect(signedText).toContain(POLICY_TITLE);
  expect(signedText).toContain(teacher.name);
  // The signed card has nothing left to fill in or press.
  await expect(ui.card(/Signed on .+ — version 1/).getByRole('button', { name: 'Sign', exact: true }).count()).resolves.toBe(0);
  await expect(ui.card(/Signed on .+ — version 1/).getByLabel('Type your full name').count()).resolves.toBe(0);
});

test('(e) the office sees the signature through the API, and its certificate', async () => {
  need(signedText, '(d)');
  const status = await asOffice('/aup/status?audience=staff');
  expect(status.status).toBe(200);
  const row = (status.body.rows as any[]).find((candidate) => candidate.personId === need(personId, '(b)'));
  expect(row).toMatchObject({ email: teacher.email, status: 'signed', policyTitle: POLICY_TITLE, policyVersion: 1, acknowledgementId: expect.any(String), signedAt: expect.any(String) });
  const certificate = await fetch(`${dslDesk.url}/api/v1/aup/policies/${row.policyId}/acknowledgements/${row.acknowledgementId}/certificate.pdf`, { headers: { 'x-dsl-desk-sandbox-user': SANDBOX_ADMIN } });
  expect(certificate.status).toBe(200);
  expect(certificate.headers.get('content-type')).toBe('application/pdf');
  expect(Buffer.from(await certificate.arrayBuffer()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
});
