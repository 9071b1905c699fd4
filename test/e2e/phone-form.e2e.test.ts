import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLAYGROUND_CONVERSATIONS, PLAYGROUND_PEOPLE } from '../../scripts/playground/identities.ts';
import { startDslDeskSandbox, type RunningDslDesk } from '../../scripts/playground/start-dsl-desk.ts';
import { artifactsDir, launchBrowser, type E2EBrowser } from './support/browser.ts';
import { ConversationStream, PlaygroundApi, PlaygroundUi, cardActions, cardInputs, startTestPlayground, type RunningPlayground, type StreamMessage } from './support/playground.ts';

// The teacher's concern form at phone width (390 × 844, an iPhone 12–15) in the Agents Playground: the most
// urgent choice must be the first thing they reach. Then, as the DSL over the Playground's HTTP API, "Open
// case" in the DSL Cases channel: the record goes to the DSL's own chat and the channel card, as every
// other member sees it, stays as it was. Screenshots go to test/e2e/artifacts/phone-form-*.png.

const { dsl } = PLAYGROUND_PEOPLE;
const CONCERN_TEXT = 'E2E phone check: an adult messaging a pupil privately.';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1400, height: 1000 };

let dslDesk: RunningDslDesk;
let playground: RunningPlayground;
let stream: ConversationStream;
let browser: E2EBrowser;
let ui: PlaygroundUi;
let api: PlaygroundApi;
let reference: string | undefined;

beforeAll(async () => {
  dslDesk = await startDslDeskSandbox({ port: 0, logLevel: 'info', env: { OUTBOX_POLL_MS: '100' } });
  playground = await startTestPlayground(dslDesk.botEndpoint);
  api = new PlaygroundApi(playground.url);
  stream = await ConversationStream.connect(playground.url);
  browser = await launchBrowser({ prefix: 'phone-form' });
  ui = new PlaygroundUi(browser.page, playground.url);
  await browser.step('page-open', () => ui.open());
});

afterAll(async () => {
  const dir = artifactsDir();
  if (dslDesk) writeFileSync(join(dir, 'phone-form-dsl-desk.log'), dslDesk.output());
  if (playground && existsSync(playground.logFile)) copyFileSync(playground.logFile, join(dir, 'phone-form-playground.log'));
  stream?.close();
  await browser?.close();
  await playground?.close();
  await dslDesk?.close();
});

test('the most urgent choice comes first: at phone width the 999 line and the "child at immediate risk" toggle are above the incident types', async () => {
  // The DSL chooses the case channel first, so the report below reaches it.
  const setUp = stream.events.length;
  await api.sendMessageAs(dsl, PLAYGROUND_CONVERSATIONS.casesChannel, 'use this channel for cases', { mentionBot: true });
  await stream.waitFor((e) => e.action === 'createMessage' && e.conversationId.startsWith(PLAYGROUND_CONVERSATIONS.casesChannel), 'DSL Desk to answer in DSL Cases', { after: setUp });

  // The Playground's conversation list is off screen at phone width: choose the chat first, then narrow the window.
  await ui.openPersonalChat();
  await browser.page.setViewportSize(PHONE);
  const after = stream.events.length;
  await ui.sendInChat('report');
  const formMessage = await stream.waitFor(
    (e) => e.conversationId === PLAYGROUND_CONVERSATIONS.personalChat && cardActions(ConversationStream.cardOf(e)).some((a) => a.verb === 'report.submit'),
    'the concern form in the personal chat',
    { after },
  );
  const form = ConversationStream.cardOf(formMessage);
  const card = ui.latestCard();
  await browser.step('form-at-phone-width', () => card.waitFor());

  const inputs = cardInputs(form);
  const toggle = inputs.find((input) => input.id === 'childAtImmediateRisk');
  const types = inputs.find((input) => input.id === 'types');
  expect(toggle?.title).toBeTruthy();
  expect(types?.label).toBeTruthy();
  const toggleBox = await card.getByRole('checkbox', { name: toggle!.title! }).first().boundingBox();
  const typesBox = await card.getByRole('combobox', { name: types!.label! }).or(card.getByText(types!.label!, { exact: false })).first().boundingBox();
  const nineNineNine = await card.getByText(/call 999 first/).first().boundingBox();
  expect(toggleBox && typesBox && nineNineNine).toBeTruthy();
  // Top to bottom: the 999 line, the toggle, then the incident types.
  expect(nineNineNine!.y).toBeLessThan(toggleBox!.y);
  expect(toggleBox!.y + toggleBox!.height).toBeLessThanOrEqual(typesBox!.y);
  // The toggle is on the first screen of a phone, without scrolling the card. (The Playground itself keeps its
  // chat pane a little wider than a phone: it is not built for phones, so only the card's own order is checked.)
  const cardBox = await card.boundingBox();
  expect(toggleBox!.y - cardBox!.y).toBeLessThan(PHONE.height);

  await browser.step('form-filled-urgent-staff-allegation', () =>
    ui.fillCard(card, form, { childAtImmediateRisk: true, types: ['staff_allegation', 'grooming'], description: CONCERN_TEXT, location: 'inside_school' }),
  );
  const submit = cardActions(form).find((a) => a.verb === 'report.submit')!;
  const receipt = await browser.step('receipt', async () => {
    await ui.clickCardButton(card, submit.title as string);
    const shown = ui.card(/CASE-\d{4}-\d{4,}/);
    await shown.waitFor({ timeout: 15000 });
    return shown.innerText();
  });
  reference = /CASE-\d{4}-\d{4,}/.exec(receipt)?.[0];
  expect(reference).toBeTruthy();
});

test('Open case must be private: pressed in the channel, the record goes to the DSL\'s own chat and the channel card is not changed', async () => {
  const ref = reference;
  if (!ref) throw new Error('This step needs the report of the test before it.');
  // Restricted (an allegation about staff): the channel shows only that it exists; the head and DSLs act from 1:1.
  // So this step reports an ordinary case over the API, whose card carries "Open case" in the DSL's view.
  const filed = stream.events.length;
  await browser.page.setViewportSize(DESKTOP);
  await ui.openPersonalChat();
  await ui.sendInChat('report');
  const formMessage = await stream.waitFor(
    (e) => e.conversationId === PLAYGROUND_CONVERSATIONS.personalChat && cardActions(ConversationStream.cardOf(e)).some((a) => a.verb === 'report.submit'),
    'a second concern form',
    { after: filed },
  );
  const card = ui.latestCard();
  await card.waitFor();
  await ui.fillCard(card, ConversationStream.cardOf(formMessage), { types: ['online_bullying'], description: CONCERN_TEXT, location: 'inside_school' });
  await ui.clickCardButton(card, cardActions(ConversationStream.cardOf(formMessage)).find((a) => a.verb === 'report.submit')!.title as string);
  const posted: StreamMessage = await stream.waitFor(
    (e) => e.action === 'createMessage' && e.conversationId.startsWith(PLAYGROUND_CONVERSATIONS.casesChannel) && /CASE-/.test(ConversationStream.textOf(e)) && !ConversationStream.textOf(e).includes(ref) && !/restricted/i.test(ConversationStream.textOf(e)),
    'the second case card in DSL Cases',
    { timeoutMs: 20000, after: filed },
  );
  const refresh = ConversationStream.cardOf(posted)?.refresh?.action as { verb: string; data?: Record<string, unknown> };
  const view = await api.invokeCardAction({ as: dsl, conversationId: posted.threadId, replyToId: posted.messageId, verb: refresh.verb, data: refresh.data ?? {} });
  const open = cardActions(view.value).find((a) => a.verb === 'case.open');
  expect(open).toBeTruthy();

  const before = stream.events.length;
  const answer = await api.invokeCardAction({ as: dsl, conversationId: posted.threadId, replyToId: posted.messageId, verb: 'case.open', data: open!.data ?? {}, title: 'Open case' });
  expect(answer.type).toBe('application/vnd.microsoft.activity.message');
  expect(String(answer.value)).toMatch(/in your chat with DSL Desk/);
  // The record went to the DSL's own 1:1 chat before the button was answered (the Playground's stream does not
  // carry that chat: its current user is the teacher), so whatever "Open case" did is done by now.
  // Nothing in the channel changed: no edit of the case card, no post with the record.
  const inChannel = stream.events.slice(before).filter((e) => e.conversationId.startsWith(PLAYGROUND_CONVERSATIONS.casesChannel));
  expect(inChannel.filter((e) => e.action === 'updateMessage' && e.messageId === posted.messageId)).toEqual([]);
  expect(inChannel.some((e) => ConversationStream.textOf(e).includes(CONCERN_TEXT))).toBe(false);
  // And the teacher's page, looking at the channel, still sees the card without the record.
  await browser.step('channel-card-unchanged-for-the-teacher', async () => {
    await ui.openChannel();
    const shown = ui.cards().filter({ hasText: /CASE-/ }).first();
    await shown.waitFor();
    expect(await ui.cards().filter({ hasText: CONCERN_TEXT }).count()).toBe(0);
  });
});
