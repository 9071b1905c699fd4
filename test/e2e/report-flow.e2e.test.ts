import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLAYGROUND_CONVERSATIONS, PLAYGROUND_PEOPLE } from '../../scripts/playground/identities.ts';
import { startDslDeskSandbox, type RunningDslDesk } from '../../scripts/playground/start-dsl-desk.ts';
import { artifactsDir, launchBrowser, type E2EBrowser } from './support/browser.ts';
import {
  ConversationStream,
  PlaygroundApi,
  PlaygroundUi,
  cardActions,
  cardText,
  startTestPlayground,
  type CardAction,
  type RunningPlayground,
  type StreamMessage,
} from './support/playground.ts';

// A concern reported in Teams, end to end, through the real Agents Playground client and DSL Desk's
// sandbox: the DSL sets up the cases channel, a teacher reports in the personal chat's form, the case card
// reaches the channel, the DSL acknowledges it, and the teacher hears back. Each test is one step and
// needs the ones before it. Screenshots, DSL Desk's log and the playground's log go to test/e2e/artifacts/.

const { dsl } = PLAYGROUND_PEOPLE;
const CARD = 'application/vnd.microsoft.card.adaptive';
const CONCERN_TEXT = 'E2E check: messages mocking a pupil in the Year 5 group chat.';

let dslDesk: RunningDslDesk;
let playground: RunningPlayground;
let stream: ConversationStream;
let browser: E2EBrowser;
let ui: PlaygroundUi;
let api: PlaygroundApi;

// What the steps hand on to each other.
let reference: string | undefined;
let caseCard: StreamMessage | undefined;
let acknowledged: { type: string; value: any } | undefined;

function need<T>(value: T | undefined, step: string): T {
  if (value === undefined) throw new Error(`This step needs step ${step} to have passed.`);
  return value;
}

/** E2E_DSL_DESK_URL=http://127.0.0.1:3978 runs the flow against a DSL Desk sandbox that is already running. */
const EXTERNAL = process.env.E2E_DSL_DESK_URL?.replace(/\/$/, '');

beforeAll(async () => {
  // A fast outbox, so channel posts and notices follow within a test's patience.
  dslDesk = EXTERNAL
    ? { url: EXTERNAL, port: Number(new URL(EXTERNAL).port), botEndpoint: `${EXTERNAL}/api/messages`, dataDir: '', logFile: '', pid: 0, output: () => '', close: async () => undefined }
    : await startDslDeskSandbox({ port: 0, logLevel: 'info', env: { OUTBOX_POLL_MS: '100', CASE_CARD_QUIET_SECONDS: '2' } });
  playground = await startTestPlayground(dslDesk.botEndpoint);
  api = new PlaygroundApi(playground.url);
  stream = await ConversationStream.connect(playground.url);
  browser = await launchBrowser({ prefix: 'report-flow' });
  ui = new PlaygroundUi(browser.page, playground.url);
  await browser.step('page-open', () => ui.open());
});

afterAll(async () => {
  const dir = artifactsDir();
  if (dslDesk) writeFileSync(join(dir, 'report-flow-dsl-desk.log'), dslDesk.output());
  if (playground && existsSync(playground.logFile)) copyFileSync(playground.logFile, join(dir, 'report-flow-playground.log'));
  if (stream) writeFileSync(join(dir, 'report-flow-stream.json'), JSON.stringify(stream.events.map((e) => e.raw), null, 2));
  stream?.close();
  await browser?.close();
  await playground?.close();
  await dslDesk?.close();
});

test('(a) the DSL @mentions DSL Desk in DSL Cases: "use this channel for cases"', async () => {
  const after = stream.events.length;
  await api.sendMessageAs(dsl, PLAYGROUND_CONVERSATIONS.casesChannel, 'use this channel for cases', { mentionBot: true });
  const answer = await stream.waitFor((e) => e.action === 'createMessage' && e.conversationId.startsWith(PLAYGROUND_CONVERSATIONS.casesChannel), 'DSL Desk to answer in DSL Cases', { after });
  const text = ConversationStream.textOf(answer);
  expect(text).toMatch(/cases/i);
  expect(text).not.toMatch(/went wrong|not allowed|only (a )?DSL|could not/i);
  await browser.step('a-channel-set-up', async () => {
    await ui.openChannel();
    await ui.waitForBotText(/cases/i);
  });
});

test('(b) the teacher types "report", fills the concern form and sends it: a receipt with the case reference', async () => {
  await ui.openPersonalChat();
  const after = stream.events.length;
  await ui.sendInChat('report');
  const formMessage = await stream.waitFor(
    (e) => e.conversationId === PLAYGROUND_CONVERSATIONS.personalChat && cardActions(ConversationStream.cardOf(e)).some((a) => a.verb === 'report.submit'),
    'the concern form in the personal chat',
    { after },
  );
  const form = ConversationStream.cardOf(formMessage);
  const card = ui.latestCard();
  await browser.step('b-form-shown', () => card.waitFor());
  await browser.step('b-form-filled', () =>
    ui.fillCard(card, form, {
      types: ['online_bullying'],
      description: CONCERN_TEXT,
      location: 'inside_school',
      childAtImmediateRisk: false,
    }),
  );
  const submit = cardActions(form).find((a) => a.verb === 'report.submit') as CardAction;
  expect(submit.title).toBeTruthy();
  const receipt = await browser.step('b-receipt', async () => {
    await ui.clickCardButton(card, submit.title as string);
    const shown = ui.card(/CASE-\d{4}-\d{4,}/);
    await shown.waitFor({ timeout: 15000 });
    return shown.innerText();
  });
  reference = /CASE-\d{4}-\d{4,}/.exec(receipt)?.[0];
  // A fresh sandbox numbers its first case 0001; one that was already running may have more.
  expect(reference).toMatch(new RegExp(`^CASE-${new Date().getFullYear()}-${EXTERNAL ? '\\d{4,}' : '0001'}$`));
});

test('(c) the case card with that reference arrives in DSL Cases, without the concern text', async () => {
  const ref = need(reference, '(b)');
  caseCard = await stream.waitFor(
    (e) => e.action === 'createMessage' && e.conversationId.startsWith(PLAYGROUND_CONVERSATIONS.casesChannel) && ConversationStream.textOf(e).includes(ref),
    `the case card for ${ref} in DSL Cases`,
    { timeoutMs: 20000 },
  );
  expect(JSON.stringify(caseCard.raw)).not.toContain('Year 5 group chat');
  await browser.step('c-case-card-in-channel', async () => {
    await ui.openChannel();
    await ui.card(ref).waitFor();
  });
});

/** The data to send with "Acknowledge", as the DSL's Teams client would: from the card, or from the DSL's own view of it. */
async function acknowledgeData(message: StreamMessage): Promise<Record<string, unknown>> {
  const card = ConversationStream.cardOf(message);
  const onCard = cardActions(card).find((a) => a.verb === 'case.acknowledge');
  if (onCard) return onCard.data ?? {};
  // A card with per-person views (refresh.userIds) shows the buttons only in the DSL's own view, which
  // Teams fetches with the card's refresh action: do the same, as the DSL.
  const refresh = card?.refresh?.action as CardAction | undefined;
  if (!refresh?.verb) throw new Error('The case card has neither an Acknowledge button (verb case.acknowledge) nor a refresh action.');
  const view = await api.invokeCardAction({ as: dsl, conversationId: message.threadId, replyToId: message.messageId, verb: refresh.verb, data: refresh.data ?? {} });
  const inView = cardActions(view.value).find((a) => a.verb === 'case.acknowledge');
  if (!inView) throw new Error(`The DSL's view of the case card has no Acknowledge button (verb case.acknowledge): ${cardText(view.value)}`);
  return inView.data ?? {};
}

test('(d) the DSL acknowledges the case from the card (card action as the DSL over HTTP)', async () => {
  const message = need(caseCard, '(c)');
  const data = await acknowledgeData(message);
  expect(typeof data.caseId).toBe('string');
  acknowledged = await api.invokeCardAction({ as: dsl, conversationId: message.threadId, replyToId: message.messageId, verb: 'case.acknowledge', data, title: 'Acknowledge' });
  expect(acknowledged.type).toBe(CARD);
});

test('(e) the card shows the case as acknowledged — in the DSL\'s answer and in the channel for everyone', async () => {
  const result = need(acknowledged, '(d)');
  const ref = need(reference, '(b)');
  expect(cardText(result.value)).toMatch(/acknowledged/i);
  // The channel post itself must be edited, or everyone else keeps seeing the old card: once nobody has acted
  // on the card for the quiet period (2 s here, CASE_CARD_QUIET_SECONDS), the held edit is made.
  const message = need(caseCard, '(c)');
  await stream.waitFor((e) => e.action === 'updateMessage' && e.messageId === message.messageId && /acknowledged/i.test(ConversationStream.textOf(e)), 'the channel card edited to Acknowledged', { timeoutMs: 20000 });
  await browser.step('e-channel-card-acknowledged', () => ui.cards().filter({ hasText: ref }).filter({ hasText: /acknowledged/i }).last().waitFor());
});

test('(f) the teacher\'s personal chat says the case was acknowledged', async () => {
  const ref = need(reference, '(b)');
  const notice = await stream.waitFor(
    (e) => e.conversationId === PLAYGROUND_CONVERSATIONS.personalChat && ConversationStream.textOf(e).includes(ref) && /acknowledg|picked up/i.test(ConversationStream.textOf(e)),
    `a notice about ${ref} in the teacher's personal chat`,
    { timeoutMs: 20000 },
  );
  expect(ConversationStream.textOf(notice)).not.toContain('Year 5 group chat');
  await browser.step('f-teacher-notified', async () => {
    await ui.openPersonalChat();
    await ui.waitForBotText(/acknowledg|picked up/i);
  });
});
