import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLAYGROUND_CONVERSATIONS, PLAYGROUND_PEOPLE } from '../../scripts/playground/identities.ts';
import { startDslDeskSandbox, type RunningDslDesk } from '../../scripts/playground/start-dsl-desk.ts';
import { artifactsDir, launchBrowser, type E2EBrowser } from './support/browser.ts';
import { ConversationStream, PlaygroundApi, PlaygroundUi, cardActions, cardInputs, cardText, startTestPlayground, type CardAction, type RunningPlayground, type StreamMessage } from './support/playground.ts';

// Small worries adding up, end to end through the Agents Playground and DSL Desk's sandbox: the teacher picks
// Sam Green in the concern form, three concerns about Sam reach the DSL, the DSL Cases channel gets one "A pattern
// for a pupil" card with the references and no name, the DSL acknowledges it, and reads Sam's chronology through
// the API. Each test is one step and needs the ones before it. Artefacts go to test/e2e/artifacts/.

const { teacher, dsl } = PLAYGROUND_PEOPLE;
const SAM = 'Sam Green (Year 5, 5G)';
const CONCERN_TEXT = 'E2E pupils: Sam was left out of the class group chat again.';

let dslDesk: RunningDslDesk;
let playground: RunningPlayground;
let stream: ConversationStream;
let browser: E2EBrowser;
let ui: PlaygroundUi;
let api: PlaygroundApi;

let samId: string | undefined;
let formMessage: StreamMessage | undefined;
const references: string[] = [];
let patternCard: StreamMessage | undefined;

function need<T>(value: T | undefined, step: string): T {
  if (value === undefined) throw new Error(`This step needs step ${step} to have passed.`);
  return value;
}

beforeAll(async () => {
  dslDesk = await startDslDeskSandbox({ port: 0, logLevel: 'info', env: { OUTBOX_POLL_MS: '100', CASE_CARD_QUIET_SECONDS: '2' } });
  playground = await startTestPlayground(dslDesk.botEndpoint);
  api = new PlaygroundApi(playground.url);
  stream = await ConversationStream.connect(playground.url);
  browser = await launchBrowser({ prefix: 'pupil-pattern' });
  ui = new PlaygroundUi(browser.page, playground.url);
  await browser.step('page-open', () => ui.open());
});

afterAll(async () => {
  const dir = artifactsDir();
  if (dslDesk) writeFileSync(join(dir, 'pupil-pattern-dsl-desk.log'), dslDesk.output());
  if (playground && existsSync(playground.logFile)) copyFileSync(playground.logFile, join(dir, 'pupil-pattern-playground.log'));
  if (stream) writeFileSync(join(dir, 'pupil-pattern-stream.json'), JSON.stringify(stream.events.map((e) => e.raw), null, 2));
  stream?.close();
  await browser?.close();
  await playground?.close();
  await dslDesk?.close();
});

test('(a) the DSL sets up DSL Cases for cases', async () => {
  const after = stream.events.length;
  await api.sendMessageAs(dsl, PLAYGROUND_CONVERSATIONS.casesChannel, 'use this channel for cases', { mentionBot: true });
  const answer = await stream.waitFor((e) => e.action === 'createMessage' && e.conversationId.startsWith(PLAYGROUND_CONVERSATIONS.casesChannel), 'DSL Desk to answer in DSL Cases', { after });
  expect(ConversationStream.textOf(answer)).not.toMatch(/went wrong|only (a )?DSL|could not/i);
});

test('(b) the teacher picks Sam Green in the form and sends it: a receipt with the reference', async () => {
  await ui.openPersonalChat();
  const after = stream.events.length;
  await ui.sendInChat('report');
  formMessage = await stream.waitFor(
    (e) => e.conversationId === PLAYGROUND_CONVERSATIONS.personalChat && cardActions(ConversationStream.cardOf(e)).some((a) => a.verb === 'report.submit'),
    'the concern form in the personal chat',
    { after },
  );
  const form = ConversationStream.cardOf(formMessage);
  const picker = cardInputs(form).find((input) => input.id === 'childIds');
  samId = picker?.choices?.find((choice) => choice.title === SAM)?.value;
  expect(samId).toBeDefined();
  const card = ui.latestCard();
  await browser.step('b-form-shown', () => card.waitFor());
  await browser.step('b-form-filled', () =>
    ui.fillCard(card, form, { types: ['online_bullying'], description: CONCERN_TEXT, location: 'inside_school', childIds: [samId!], childAtImmediateRisk: false }),
  );
  const submit = cardActions(form).find((a) => a.verb === 'report.submit') as CardAction;
  const receipt = await browser.step('b-receipt', async () => {
    await ui.clickCardButton(card, submit.title as string);
    const shown = ui.card(/CASE-\d{4}-\d{4,}/);
    await shown.waitFor({ timeout: 15000 });
    return shown.innerText();
  });
  references.push(/CASE-\d{4}-\d{4,}/.exec(receipt)![0]);
});

test('(c) two more concerns about Sam (sent from the form as the teacher): the third makes one pattern card in DSL Cases, with the references and no name', async () => {
  const form = need(formMessage, '(b)');
  const pupilId = need(samId, '(b)');
  for (const n of [2, 3]) {
    const answer = await api.invokeCardAction({
      as: teacher,
      conversationId: form.threadId,
      replyToId: form.messageId,
      verb: 'report.submit',
      data: { formId: `e2e-pupils-${n}`, types: 'online_bullying', location: 'inside_school', description: `${CONCERN_TEXT} (${n})`, childIds: pupilId, childAtImmediateRisk: 'false' },
    });
    references.push(/CASE-\d{4}-\d{4,}/.exec(cardText(answer.value))![0]);
  }
  patternCard = await stream.waitFor(
    (e) => e.action === 'createMessage' && e.conversationId.startsWith(PLAYGROUND_CONVERSATIONS.casesChannel) && /A pattern for a pupil/.test(ConversationStream.textOf(e)),
    'the pattern card in DSL Cases',
    { timeoutMs: 30000 },
  );
  const text = ConversationStream.textOf(patternCard);
  for (const reference of references) expect(text).toContain(reference);
  expect(text).toContain('3 concerns in 60 days');
  expect(JSON.stringify(patternCard.raw)).not.toMatch(/Sam|Green|Year 5|group chat/);
  await browser.step('c-pattern-card-in-channel', async () => {
    await ui.openChannel();
    await ui.card(/A pattern for a pupil/).waitFor();
  });
});

test('(d) the DSL acknowledges the pattern; the card says who', async () => {
  const message = need(patternCard, '(c)');
  const acknowledge = cardActions(ConversationStream.cardOf(message)).find((a) => a.verb === 'pupil_pattern.acknowledge') as CardAction;
  const answer = await api.invokeCardAction({ as: dsl, conversationId: message.threadId, replyToId: message.messageId, verb: acknowledge.verb!, data: acknowledge.data ?? {}, title: 'Acknowledge' });
  expect(cardText(answer.value)).toMatch(/Acknowledged by Dina Safeguarding/);
  await stream.waitFor((e) => e.action === 'updateMessage' && e.messageId === message.messageId && /Acknowledged by/.test(ConversationStream.textOf(e)), 'the pattern card edited to acknowledged', { timeoutMs: 20000 });
});

test('(e) the DSL reads Sam’s chronology through the API: the three cases, oldest first', async () => {
  const pupilId = need(samId, '(b)');
  const response = await fetch(`${dslDesk.url}/api/v1/pupils/${pupilId}/chronology`, { headers: { 'X-DSL-Desk-Sandbox-User': dsl.email } });
  expect(response.status).toBe(200);
  const chronology = (await response.json()) as { pupil: { name: string }; cases: { reference: string }[] };
  expect(chronology.pupil.name).toBe('Sam Green');
  expect(chronology.cases.map((entry) => entry.reference)).toEqual(references);
});
