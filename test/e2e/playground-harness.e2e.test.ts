import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLAYGROUND_BOT, PLAYGROUND_CONVERSATIONS, PLAYGROUND_PEOPLE, PLAYGROUND_TENANT_ID, renderPlaygroundConfig } from '../../scripts/playground/identities.ts';
import { projectRoot } from '../../scripts/playground/start-playground.ts';
import { SANDBOX_PEOPLE, SANDBOX_TENANT_ID } from '../../src/app/organisations/seed-sandbox-school.ts';
import { launchBrowser, type E2EBrowser } from './support/browser.ts';
import { startEchoBot, type EchoBot } from './support/echo-bot.ts';
import { ConversationStream, PlaygroundApi, PlaygroundUi, cardActions, eventually, startTestPlayground, type RunningPlayground } from './support/playground.ts';

// Proves the end-to-end harness against a small echo bot: the real Agents Playground web client in
// Chromium, its HTTP API and its conversation stream, with DSL Desk's fixed tenant and people.

const { teacher, dsl } = PLAYGROUND_PEOPLE;

let bot: EchoBot;
let playground: RunningPlayground;
let stream: ConversationStream;
let browser: E2EBrowser;
let ui: PlaygroundUi;
let api: PlaygroundApi;

beforeAll(async () => {
  bot = await startEchoBot();
  playground = await startTestPlayground(bot.endpoint);
  api = new PlaygroundApi(playground.url);
  stream = await ConversationStream.connect(playground.url);
  browser = await launchBrowser({ prefix: 'harness' });
  ui = new PlaygroundUi(browser.page, playground.url);
  await browser.step('page-open', () => ui.open());
});

afterAll(async () => {
  stream?.close();
  await browser?.close();
  await playground?.close();
  await bot?.close();
});

test('the playground runs with the fixed tenant, people and conversations', async () => {
  const committed = readFileSync(join(projectRoot(), 'scripts', 'playground', '.m365agentsplayground.yml'), 'utf8');
  expect(committed).toBe(renderPlaygroundConfig());

  const { config } = await api.config();
  expect(config.tenantId).toBe(PLAYGROUND_TENANT_ID);
  expect(config.bot).toEqual({ id: PLAYGROUND_BOT.id, name: PLAYGROUND_BOT.name });
  expect(config.currentUser).toMatchObject({ id: teacher.id, name: teacher.name, aadObjectId: teacher.aadObjectId });
  expect(config.users.map((u: { aadObjectId: string }) => u.aadObjectId).sort()).toEqual(
    Object.values(PLAYGROUND_PEOPLE).filter((p) => p.id !== teacher.id).map((p) => p.aadObjectId).sort(),
  );
  expect(config.personalChat.id).toBe(PLAYGROUND_CONVERSATIONS.personalChat);
  expect(config.teams[0].channels.map((c: { id: string }) => c.id)).toEqual([PLAYGROUND_CONVERSATIONS.generalChannel, PLAYGROUND_CONVERSATIONS.casesChannel]);
});

test('the playground\'s tenant and people are the sandbox school\'s', () => {
  expect(PLAYGROUND_TENANT_ID).toBe(SANDBOX_TENANT_ID);
  for (const person of Object.values(PLAYGROUND_PEOPLE)) {
    const seeded = SANDBOX_PEOPLE.find((p) => p.email === person.email);
    expect(seeded).toMatchObject({ displayName: person.name, entraObjectId: person.aadObjectId, roles: [...person.roles] });
  }
});

test('opening the page installs the bot in the personal chat, with the fixed ids, from 127.0.0.1 only', async () => {
  const install = await eventually(() => bot.activities.find((a) => a.type === 'installationUpdate'), 'the install event');
  expect(install.from).toEqual({ id: teacher.id, aadObjectId: teacher.aadObjectId });
  expect(install.conversation).toMatchObject({ id: PLAYGROUND_CONVERSATIONS.personalChat, conversationType: 'personal', tenantId: PLAYGROUND_TENANT_ID });
  expect(install.channelData.tenant.id).toBe(PLAYGROUND_TENANT_ID);
  expect(install.serviceUrl).toBe(playground.serviceUrl);
  expect(bot.activities.some((a) => a.type === 'conversationUpdate' && a.conversation.id === PLAYGROUND_CONVERSATIONS.personalChat)).toBe(true);
  // Nothing the page asked for left the machine except what the route refused.
  expect(browser.blocked.every((url) => !/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url))).toBe(true);
});

test('personal chat: "hello" typed in the page gets the echo on screen', async () => {
  await browser.step('personal-chat-hello', async () => {
    await ui.openPersonalChat();
    await ui.sendInChat('hello');
    await ui.waitForBotText('Echo: hello');
  });
  const message = bot.activities.find((a) => a.type === 'message' && a.text === 'hello');
  expect(message?.from).toMatchObject({ id: teacher.id, name: teacher.name, aadObjectId: teacher.aadObjectId });
  expect(message?.channelData.tenant.id).toBe(PLAYGROUND_TENANT_ID);
});

test('personal chat: a card button clicked in the page brings back the updated card', async () => {
  const card = await browser.step('card-shown', async () => {
    await ui.sendInChat('card');
    const shown = ui.card('Echo card');
    await shown.waitFor();
    return shown;
  });
  await browser.step('card-pressed', async () => {
    await ui.typeIntoCardInput(card, 'Note', 'typed in the card');
    await ui.clickCardButton(card, 'Press me');
    await ui.card(`Pressed by ${teacher.name} (${teacher.aadObjectId}). Note: typed in the card`).waitFor();
    await ui.card('Pressed 1 times').waitFor();
  });
  const invoke = bot.activities.find((a) => a.type === 'invoke');
  expect(invoke?.name).toBe('adaptiveCard/action');
  expect(invoke?.value.action).toMatchObject({ type: 'Action.Execute', verb: 'echo.press', data: { count: 0, note: 'typed in the card' } });
});

test('personal chat: a form card is filled by input id and sent with its button', async () => {
  const before = stream.events.length;
  await ui.sendInChat('form');
  const sent = await stream.waitFor((e) => e.conversationId === PLAYGROUND_CONVERSATIONS.personalChat && ConversationStream.textOf(e).includes('Echo form'), 'the form on the stream', { after: before });
  const json = ConversationStream.cardOf(sent);
  const card = ui.card('Echo form');
  await browser.step('form-filled', async () => {
    await card.waitFor();
    await ui.fillCard(card, json, {
      types: ['online_bullying', 'other'],
      description: 'Messages mocking a pupil\nin the Year 5 group chat.',
      location: 'inside_school',
      childAtImmediateRisk: true,
    });
  });
  const submit = cardActions(json).find((a) => a.verb === 'echo.submit')!;
  await browser.step('form-sent', async () => {
    await ui.clickCardButton(card, submit.title!);
    await ui.card('Received:').waitFor();
  });
  const invoke = bot.activities.filter((a) => a.type === 'invoke').at(-1)!;
  expect(invoke.value.action.data).toEqual({
    formId: 'form-1',
    types: 'online_bullying,other',
    description: 'Messages mocking a pupil\nin the Year 5 group chat.',
    location: 'inside_school',
    childAtImmediateRisk: 'true',
  });
});

test('channel: a card the bot posts can be acted on by another member over HTTP; the edit reaches the page', async () => {
  const before = stream.events.length;
  await ui.sendInChat('post to channel');
  const posted = await stream.waitFor(
    (e) => e.action === 'createMessage' && e.conversationId === PLAYGROUND_CONVERSATIONS.casesChannel && ConversationStream.textOf(e).includes('ECHO-1'),
    'the channel card on the stream',
    { after: before },
  );
  expect(posted.threadId).toBe(`${PLAYGROUND_CONVERSATIONS.casesChannel};messageid=${posted.messageId}`);

  await browser.step('channel-card', async () => {
    await ui.openChannel();
    await ui.card('Waiting for someone to acknowledge.').waitFor();
  });

  const action = cardActions(ConversationStream.cardOf(posted)).find((a) => a.verb === 'echo.acknowledge');
  expect(action).toBeDefined();
  const result = await api.invokeCardAction({ as: dsl, conversationId: posted.threadId, replyToId: posted.messageId, verb: action!.verb!, data: action!.data ?? {} });
  expect(result.type).toBe('application/vnd.microsoft.card.adaptive');
  expect(JSON.stringify(result.value)).toContain(`Acknowledged by ${dsl.name}.`);

  const invoke = bot.activities.filter((a) => a.type === 'invoke').at(-1)!;
  expect(invoke.from).toMatchObject({ id: dsl.id, name: dsl.name, aadObjectId: dsl.aadObjectId });
  expect(invoke.conversation).toMatchObject({ id: posted.threadId, conversationType: 'channel', tenantId: PLAYGROUND_TENANT_ID });
  expect(invoke.channelData).toMatchObject({ team: { id: PLAYGROUND_CONVERSATIONS.team }, channel: { id: PLAYGROUND_CONVERSATIONS.casesChannel }, tenant: { id: PLAYGROUND_TENANT_ID } });

  await stream.waitFor((e) => e.action === 'updateMessage' && e.messageId === posted.messageId, 'the edit on the stream', { after: before });
  await browser.step('channel-card-acknowledged', () => ui.card(`Acknowledged by ${dsl.name}.`).waitFor());
  await browser.step('personal-chat-notice', async () => {
    await ui.openPersonalChat();
    await ui.waitForBotText(`ECHO-1 was acknowledged by ${dsl.name}.`);
  });
});

test('channel: another member @mentioning the bot over HTTP reaches it as that member', async () => {
  await api.sendMessageAs(dsl, PLAYGROUND_CONVERSATIONS.casesChannel, 'hello from the DSL', { mentionBot: true });
  const received = await eventually(() => bot.activities.find((a) => a.type === 'message' && a.text?.includes('hello from the DSL')), 'the message at the bot');
  expect(received.from).toEqual({ id: dsl.id, name: dsl.name, aadObjectId: dsl.aadObjectId });
  expect(received.entities?.[0]).toMatchObject({ type: 'mention', mentioned: { id: PLAYGROUND_BOT.id } });
  await browser.step('channel-reply-to-dsl', async () => {
    await ui.openChannel();
    await ui.waitForBotText('Echo: hello from the DSL');
  });
});

test('channel: the page\'s user can @mention the bot in a new post', async () => {
  await browser.step('channel-mention-from-page', async () => {
    await ui.openChannel();
    await ui.postInChannel('card', { mentionBot: true });
    await ui.card('Echo card').waitFor();
  });
  const received = bot.activities.filter((a) => a.type === 'message' && a.conversation.id.startsWith(`${PLAYGROUND_CONVERSATIONS.casesChannel};messageid=`)).at(-1);
  expect(received?.from.aadObjectId).toBe(teacher.aadObjectId);
  expect(received?.text).toBe(`<at>${PLAYGROUND_BOT.name}</at> card`);
});
