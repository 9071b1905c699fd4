import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createTeamsSurface, type AupRecipientContext } from '../../bot/teams/teams-surface.ts';
import { OPERATOR } from '../../src/app/deps.ts';
import { publishAup } from '../../src/app/aup/publish-aup.ts';
import { prepareAupDelivery } from '../../src/app/aup/deliver-aup.ts';
import { addNewStarter } from '../../src/app/aup/welcome-new-starter.ts';
import type { AupPolicyVersion } from '../../src/domain/aup.ts';
import { createGraphDirectory } from '../../src/integrations/microsoft/graph-directory.ts';
import { OutboxDispatcher, type OutboxHandler } from '../../src/jobs/outbox-dispatcher.ts';
import { createLogger } from '../../src/logger.ts';
import { plainHttpNetworkClient } from '../fakes/fake-graph.ts';
import { startFakeGraphDirectory, type FakeGraphDirectory } from '../fakes/fake-graph-directory.ts';
import { startFakeIdentityProvider, type FakeIdentityProvider } from '../fakes/fake-identity-provider.ts';
import { BOT_APP_ID, FixedBearerCredentialsFactory, OUTBOUND_TOKEN, startTeamsTestService, type PersonKey, type TeamsTestService } from '../support/teams-test-service.ts';
import { enginesUnderTest } from '../support/test-storage.ts';
import { inputsOn, libraryProblems, schemaProblems, structuralProblems, verbsOn as verbsOf } from '../unit/bot/fixtures/card-checks.ts';

// Policies to sign, in Teams: the policy card reaching each person (in their chat with the bot, in a chat
// opened by installing DSL Desk's Teams app through Graph, or as an emailed link), signing it from the card,
// reminders and the headteacher's warning. The Teams surface runs against the fake Bot Connector and the
// fake Graph directory; the outbox is run by the test, one pass at a time, on a clock it moves.

const CARD = 'application/vnd.microsoft.card.adaptive';
const CLIENT_ID = '9c1b2a3d-0000-4000-8000-00000000a0a0';
const CLIENT_SECRET = 'test-secret-not-real';
const CATALOG_APP_ID = 'e7d6c5b4-0000-4000-8000-0000000ca7a1';
const POLICY = {
  audience: 'staff',
  title: 'Staff Acceptable Use Policy',
  markdown: '# Staff Acceptable Use Policy\n\nThis policy is for everyone who works at the school.\n\n- I will keep my password private.\n',
  acknowledgementWording: 'I have read and agree to follow this policy',
  effectiveDate: '2026-09-01',
  reviewDate: '2027-09-01',
};

const policyPageUrl = (_schoolId: string, policyId: string) => `https://dsl-desk.example-school.org.uk/aup/policies/${policyId}/page?k=test`;

/** A card's inputs, by id. */
const inputsOf = (card: unknown) => Object.fromEntries(inputsOn(card).map((input) => [String(input.id), input]));

const cardOfActivity = (activity: Record<string, unknown>) => (activity.attachments as { contentType: string; content: unknown }[] | undefined)?.[0]?.content;

describe.each(enginesUnderTest())('policies to sign in Teams on %s', (engine) => {
  let t: TeamsTestService;
  let idp: FakeIdentityProvider;
  let graph: FakeGraphDirectory;
  let bot: Server;
  let dispatcher: OutboxDispatcher;
  let linksEmailed: { personId: string; reminder?: number }[];
  let emailsSent: { to: string; subject: string; body: string }[];
  let emailConnected: boolean;
  let handlers: Record<string, OutboxHandler>;

  beforeEach(async () => {
    t = await startTeamsTestService(engine);
    // The test runs the outbox itself, pass by pass, with the surface built below.
    await t.service.dispatcher.stop();
    idp = await startFakeIdentityProvider();
    idp.registerClient({ id: CLIENT_ID, secret: CLIENT_SECRET, audience: 'api://dsl-desk-unused' });
    graph = await startFakeGraphDirectory(idp, { catalogAppId: CATALOG_APP_ID, botAppId: BOT_APP_ID });
    linksEmailed = [];
    emailsSent = [];
    emailConnected = true;
    const installer = createGraphDirectory({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      // MSAL only accepts an https authority; the test network client carries it to the local provider.
      loginUrl: idp.baseUrl.replace('http://', 'https://'),
      graphUrl: graph.url,
      networkClient: plainHttpNetworkClient(),
      maxRetries: 0,
    });
    const logger = createLogger('silent');
    const surface = createTeamsSurface({
      deps: t.service.deps,
      logger,
      settings: t.config.bot,
      sandbox: false,
      tenantRequestsPerSecond: 40,
      bodyLimit: '1mb',
      newFormId: () => randomUUID(),
      credentialsFactory: new FixedBearerCredentialsFactory(),
      policyPageUrl,
      installer,
      teamsAppCatalogId: CATALOG_APP_ID,
      teamsServiceUrl: t.connector.url,
      campaignRequestsPerSecond: 10,
      sendSigningLinkByEmail: async (context: AupRecipientContext, options) => {
        linksEmailed.push({ personId: context.person.id, ...(options?.reminder ? { reminder: options.reminder } : {}) });
        return emailConnected;
      },
      sendEmail: async (to, subject, body) => {
        emailsSent.push({ to, subject, body });
        return emailConnected;
      },
    });
    const app = express();
    surface.mount(app);
    bot = await new Promise<Server>((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    });
    t.routeActivitiesTo(`http://127.0.0.1:${(bot.address() as AddressInfo).port}/api/messages`);
    dispatcher = new OutboxDispatcher({ store: t.service.storage.outbox, clock: t.clock, logger, random: () => 0 });
    handlers = surface.outboxHandlers;
    for (const [kind, handler] of Object.entries(surface.outboxHandlers)) dispatcher.register(kind, handler);
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => bot.close(() => resolve()));
    bot.closeAllConnections();
    await t.close();
    await graph.close();
    await idp.close();
  });

  const deps = () => t.service.deps;
  const schoolId = () => t.school.school.id;
  const emailOf = (person: PersonKey) => `${person}@oakfield.example.org`;

  /** Runs the outbox until nothing more is due (on the test's clock). */
  const runOutbox = async () => {
    for (let pass = 0; pass < 10 && (await dispatcher.runOnce()) > 0; pass++);
  };
  const publish = (overrides: Partial<typeof POLICY> = {}): Promise<AupPolicyVersion> =>
    publishAup(deps(), { actor: OPERATOR, schoolId: schoolId(), policy: { ...POLICY, ...overrides }, startCampaign: false });
  const newStarter = (input: Record<string, unknown>) => addNewStarter(deps(), { actor: OPERATOR, schoolId: schoolId(), input });
  const sayHello = async (person: PersonKey) => expect((await t.send(person, { type: 'installationUpdate', action: 'add' })).status).toBe(200);
  const deliveryOf = (personId: string, policy: AupPolicyVersion) =>
    deps().storage.read(async (reader) => (await reader.aupDeliveries.listForPerson(schoolId(), personId)).find((d) => d.policyId === policy.id));
  /** Cards in a conversation that ask for a signature (or remind), oldest first. */
  const policyCards = (conversationId: string) => t.connector.activities(conversationId).map(cardOfActivity).filter((card) => verbsOf(card).includes('aup.sign'));
  const acknowledgements = (policyId: string) => deps().storage.read((reader) => reader.aupAcknowledgements.forPolicy(schoolId(), policyId));
  const outboxRunAfter = async (kind: string, personId: string, n?: number) => {
    const rows = await t.db.raw(`select payload, run_after from outbox where kind = '${kind}'`);
    const row = rows.find((r) => {
      const payload = JSON.parse(String(r.payload)) as Record<string, unknown>;
      return payload.personId === personId && (n === undefined || payload.n === n);
    });
    if (!row) throw new Error(`no ${kind} message for ${personId}`);
    return new Date(String(row.run_after));
  };
  /** Moves the test's clock to just after `at`. */
  const moveClockPast = (at: Date) => {
    t.clock.offsetMs = at.getTime() - Date.now() + 60_000;
  };
  const sign = (person: PersonKey, data: Record<string, unknown>) => t.press(person, 'personal', 'aup.sign', data);
  const cardAnswer = (answer: { status: number; body: any }) => {
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ statusCode: 200, type: CARD });
    return answer.body.value as Record<string, unknown>;
  };

  test('a person DSL Desk already chats with gets the card once, however often it is asked for', async () => {
    await sayHello('staff');
    const policy = await publish();
    const first = await newStarter({ displayName: 'Sam Teacher', email: emailOf('staff') });
    await newStarter({ displayName: 'Sam Teacher', email: emailOf('staff') });
    await runOutbox();
    await runOutbox();
    const cards = policyCards(t.personalConversationOf('staff'));
    expect(cards).toHaveLength(1);
    const card = cards[0];
    expect(libraryProblems(card)).toEqual([]);
    expect(schemaProblems(card)).toEqual([]);
    expect(structuralProblems(card)).toEqual([]);
    expect(JSON.stringify(card)).toContain(`"url":"${policyPageUrl(schoolId(), policy.id)}"`);
    expect(JSON.stringify(card)).toContain('This policy is for everyone who works at the school.');
    expect(Object.keys(inputsOf(card))).toEqual(['agreed', 'typedName']);
    const record = await deliveryOf(first.personId, policy);
    expect(record).toMatchObject({ state: 'sent', channel: 'teams', conversationId: t.personalConversationOf('staff'), activityId: expect.any(String) });
    expect(graph.calls).toHaveLength(0);
    // The card went out as the bot, under its own token.
    const sent = t.connector.calls.filter((c) => (c.route === 'send' || c.route === 'reply') && c.conversationId === t.personalConversationOf('staff')).at(-1);
    expect(sent?.authorization).toBe(`Bearer ${OUTBOUND_TOKEN}`);
  });

  test('a restart in the middle of a campaign sends nobody twice and loses nobody, even one claimed as the process died', async () => {
    const people: PersonKey[] = ['staff', 'staff2', 'dsl', 'deputy', 'head', 'it', 'governor', 'admin'];
    for (const person of people) await sayHello(person);
    const policy = await publishAup(deps(), { actor: OPERATOR, schoolId: schoolId(), policy: POLICY });
    const logger = createLogger('silent');
    const processOne = (batchSize: number) => {
      const one = new OutboxDispatcher({ store: t.service.storage.outbox, clock: t.clock, logger, batchSize, random: () => 0 });
      for (const [kind, handler] of Object.entries(handlers)) one.register(kind, handler);
      return one;
    };
    // The first process sends three cards, then is stopped between batches.
    expect(await processOne(3).runOnce()).toBe(3);
    // It had also claimed one more delivery (state "sending") when it died, before Teams saw anything.
    const claimed = (await t.db.raw(`select payload from outbox where kind = 'aup.deliver' and status = 'pending' order by created_at`)).map((row) => JSON.parse(String(row.payload)) as Record<string, string>)[0]!;
    expect(await prepareAupDelivery(deps(), { schoolId: schoolId(), personId: claimed.personId!, policyId: claimed.policyId!, cycle: claimed.cycle! }, 'teams')).toMatchObject({ resumed: false });
    // The next process finishes the campaign, the claimed delivery included, and a third finds nothing to do.
    const second = processOne(20);
    for (let pass = 0; pass < 5 && (await second.runOnce()) > 0; pass++);
    expect(await processOne(20).runOnce()).toBe(0);
    for (const person of people) expect(policyCards(t.personalConversationOf(person))).toHaveLength(1);
    const deliveries = await deps().storage.read((reader) => reader.aupDeliveries.listForPolicy(schoolId(), policy.id, claimed.cycle!));
    expect(deliveries).toHaveLength(people.length);
    expect(deliveries.every((d) => d.state === 'sent')).toBe(true);
  });

  test('a new starter without a chat: DSL Desk installs its app for them (201), finds the chat and sends the card there', async () => {
    const policy = await publish();
    const user = graph.addUser({ displayName: 'Nia New', userPrincipalName: 'nia@oakfield.example.org', mail: 'nia@oakfield.example.org' });
    const { personId } = await newStarter({ displayName: 'Nia New', email: 'nia@oakfield.example.org', entraObjectId: user.id });
    await runOutbox();
    const chatId = `19:${user.id}_${BOT_APP_ID}@unq.gbl.spaces`;
    expect(graph.isInstalled(user.id)).toBe(true);
    expect(graph.calls.filter((c) => c.method === 'POST').map((c) => c.status)).toEqual([201]);
    expect(policyCards(chatId)).toHaveLength(1);
    expect(await deliveryOf(personId, policy)).toMatchObject({ state: 'sent', channel: 'teams', conversationId: chatId });
    // The chat is remembered as theirs: reminders and later policies go straight there.
    const chatUser = await deps().storage.read((reader) => reader.chat.getUser(schoolId(), personId, 'teams'));
    expect(chatUser).toMatchObject({ userId: user.id, personalConversation: { conversationId: chatId, serviceUrl: t.connector.url, tenantId: t.tenantId } });
    await runOutbox();
    expect(policyCards(chatId)).toHaveLength(1);
    expect(graph.calls.filter((c) => c.method === 'POST')).toHaveLength(1);
  });

  test('the app already installed (409) is the same: the chat is found and the card sent', async () => {
    const policy = await publish();
    const user = graph.addUser({ displayName: 'Omar Old', userPrincipalName: 'omar@oakfield.example.org' });
    graph.setInstallBehaviour(user.id, 'conflict');
    const { personId } = await newStarter({ displayName: 'Omar Old', email: 'omar@oakfield.example.org', entraObjectId: user.id });
    await runOutbox();
    expect(graph.calls.filter((c) => c.method === 'POST').map((c) => c.status)).toEqual([409]);
    const chatId = `19:${user.id}_${BOT_APP_ID}@unq.gbl.spaces`;
    expect(policyCards(chatId)).toHaveLength(1);
    expect(await deliveryOf(personId, policy)).toMatchObject({ state: 'sent', channel: 'teams', conversationId: chatId });
  });

  test('Teams blocked for them (Graph 403, or the Bot Connector 403): a signing link by email instead, with the reason kept', async () => {
    const policy = await publish();
    const blocked = graph.addUser({ displayName: 'Bea Blocked', userPrincipalName: 'bea@oakfield.example.org' });
    graph.setInstallBehaviour(blocked.id, 'blocked');
    const bea = await newStarter({ displayName: 'Bea Blocked', email: 'bea@oakfield.example.org', entraObjectId: blocked.id });
    const refused = graph.addUser({ displayName: 'Rex Refused', userPrincipalName: 'rex@oakfield.example.org' });
    t.connector.failWith(`19:${refused.id}_${BOT_APP_ID}@unq.gbl.spaces`, 403, { error: { code: 'BotDisabledByAdmin', message: 'The bot is disabled.' } });
    const rex = await newStarter({ displayName: 'Rex Refused', email: 'rex@oakfield.example.org', entraObjectId: refused.id });
    await runOutbox();
    expect(linksEmailed.map((l) => l.personId).sort()).toEqual([bea.personId, rex.personId].sort());
    expect(t.connector.stats().posts).toBe(0);
    for (const personId of [bea.personId, rex.personId]) {
      expect(await deliveryOf(personId, policy)).toMatchObject({ state: 'sent', channel: 'email_link', failureReason: 'The school’s Teams admin has blocked DSL Desk.' });
    }
    expect((await deliveryOf(bea.personId, policy))?.failureCode).toBe('app_blocked');
    expect((await deliveryOf(rex.personId, policy))?.failureCode).toBe('BotDisabledByAdmin');
    await runOutbox();
    expect(linksEmailed).toHaveLength(2);
  });

  test('with no mailbox connected either, the delivery fails with a reason the office can act on', async () => {
    emailConnected = false;
    const policy = await publish();
    const unlicensed = graph.addUser({ displayName: 'Una Licence', userPrincipalName: 'una@oakfield.example.org' });
    graph.setInstallBehaviour(unlicensed.id, 'no_licence');
    const una = await newStarter({ displayName: 'Una Licence', email: 'una@oakfield.example.org', entraObjectId: unlicensed.id });
    // Typed in by the office before their Microsoft 365 account exists: nothing to install the app for.
    const paper = await newStarter({ displayName: 'Pat Paper', email: 'pat@oakfield.example.org' });
    await runOutbox();
    expect(await deliveryOf(una.personId, policy)).toMatchObject({
      state: 'failed',
      failureCode: 'no_teams_licence',
      failureReason: 'Microsoft 365 says this person has no Teams licence. No mailbox is connected to email them a signing link.',
    });
    expect(await deliveryOf(paper.personId, policy)).toMatchObject({
      state: 'failed',
      failureCode: 'no_chat',
      failureReason: 'DSL Desk could not reach them in Teams and no mailbox is connected to email a signing link.',
    });
    expect(linksEmailed).toHaveLength(2);
    expect(t.connector.stats().posts).toBe(0);
  });

  test('signing from the card records a Teams signature with the directory identity and answers with the signed card', async () => {
    await sayHello('staff');
    const policy = await publish();
    const { personId } = await newStarter({ displayName: 'Sam Teacher', email: emailOf('staff') });
    await runOutbox();
    expect(policyCards(t.personalConversationOf('staff'))).toHaveLength(1);

    const signed = cardAnswer(await sign('staff', { policyId: policy.id, agreed: 'true', typedName: 'Sam Teacher' }));
    const text = JSON.stringify(signed);
    expect(text).toMatch(/Signed on \w{3}, \d{1,2} \w{3} \d{4}, \d{2}:\d{2} — version 1/);
    expect(text).toContain(policy.sha256);
    expect(Object.keys(inputsOf(signed))).toEqual([]);
    expect(verbsOf(signed)).toEqual([]);
    expect(libraryProblems(signed)).toEqual([]);
    expect(schemaProblems(signed)).toEqual([]);
    const [acknowledgement, ...others] = await acknowledgements(policy.id);
    expect(others).toEqual([]);
    expect(acknowledgement).toMatchObject({
      personId,
      surface: 'teams',
      typedName: 'Sam Teacher',
      sha256: policy.sha256,
      wording: POLICY.acknowledgementWording,
      directoryIdentity: { provider: 'entra', tenantId: t.tenantId, objectId: t.objectIdOf('staff') },
    });
    expect(await deliveryOf(personId, policy)).toMatchObject({ state: 'signed' });

    // Pressing Sign again shows the same signature; nothing new is recorded.
    const again = cardAnswer(await sign('staff', { policyId: policy.id, agreed: 'true', typedName: 'Sam T.' }));
    expect(JSON.stringify(again)).toContain('Sam Teacher');
    expect(await acknowledgements(policy.id)).toHaveLength(1);

    // Whoever presses Sign is who signs: a colleague using the card signs as themselves.
    cardAnswer(await sign('staff2', { policyId: policy.id, agreed: 'true', typedName: 'Alex Teacher' }));
    const byPerson = (await acknowledgements(policy.id)).map((a) => [a.personId, a.typedName, a.directoryIdentity?.objectId]);
    expect(byPerson).toEqual(expect.arrayContaining([[t.school.staff2.personId, 'Alex Teacher', t.objectIdOf('staff2')]]));
    expect(byPerson).toHaveLength(2);
  });

  test('a signature without the tick or the name comes back with what was typed and what to fix', async () => {
    const policy = await publish();
    const unticked = cardAnswer(await sign('staff', { policyId: policy.id, agreed: 'false', typedName: 'Sam Teacher' }));
    expect(inputsOf(unticked).typedName?.value).toBe('Sam Teacher');
    expect(inputsOf(unticked).agreed?.value).toBe('false');
    expect(JSON.stringify(unticked)).toContain('To sign, tick the box and type your full name. What you typed is still here.');
    expect(JSON.stringify(unticked)).toContain('Tick \\"I have read and agree to follow this policy\\" to sign.');
    expect(verbsOf(unticked)).toEqual(['aup.sign']);

    const nameless = cardAnswer(await sign('staff', { policyId: policy.id, agreed: 'true', typedName: ' ' }));
    expect(inputsOf(nameless).agreed?.value).toBe('true');
    expect(JSON.stringify(nameless)).toContain('Type your full name to sign.');
    expect(libraryProblems(nameless)).toEqual([]);
    expect(await acknowledgements(policy.id)).toEqual([]);
  });

  test('a card for a version since replaced is refused with the new version’s card, which can then be signed', async () => {
    await sayHello('staff');
    const first = await publish();
    await newStarter({ displayName: 'Sam Teacher', email: emailOf('staff') });
    await runOutbox();
    const second = await publish({ markdown: '# Staff Acceptable Use Policy\n\nThis policy now also covers AI tools.\n' });
    const refused = cardAnswer(await sign('staff', { policyId: first.id, agreed: 'true', typedName: 'Sam Teacher' }));
    const text = JSON.stringify(refused);
    expect(text).toContain('(version 2) has replaced version 1');
    expect(text).toContain('This policy now also covers AI tools.');
    const button = JSON.stringify(refused).match(/"verb":"aup.sign","data":(\{[^}]*\})/)?.[1];
    expect(JSON.parse(button ?? '{}')).toEqual({ policyId: second.id });
    expect(await acknowledgements(first.id)).toEqual([]);
    const signed = cardAnswer(await sign('staff', { policyId: second.id, agreed: 'true', typedName: 'Sam Teacher' }));
    expect(JSON.stringify(signed)).toContain('— version 2');
    expect(await acknowledgements(second.id)).toHaveLength(1);
  });

  test('a reminder card once the first reminder is due, and none after they sign', async () => {
    await sayHello('staff');
    const policy = await publish();
    const { personId } = await newStarter({ displayName: 'Sam Teacher', email: emailOf('staff') });
    await runOutbox();
    const chat = t.personalConversationOf('staff');
    expect(policyCards(chat)).toHaveLength(1);
    const firstDue = await outboxRunAfter('aup.remind', personId, 1);
    const secondDue = await outboxRunAfter('aup.remind', personId, 2);
    expect(secondDue.getTime()).toBeGreaterThan(firstDue.getTime() + 60_000);

    await runOutbox();
    expect(policyCards(chat)).toHaveLength(1);
    moveClockPast(firstDue);
    await runOutbox();
    await runOutbox();
    const cards = policyCards(chat);
    expect(cards).toHaveLength(2);
    expect(JSON.stringify(cards[1])).toContain('Reminder: please sign this policy as soon as you can.');
    expect(JSON.stringify(cards[0])).not.toContain('Reminder');
    expect(await deliveryOf(personId, policy)).toMatchObject({ state: 'sent', remindersSent: 1 });

    cardAnswer(await sign('staff', { policyId: policy.id, agreed: 'true', typedName: 'Sam Teacher' }));
    moveClockPast(await outboxRunAfter('aup.remind', personId, 3));
    await runOutbox();
    expect(policyCards(chat)).toHaveLength(2);
    expect(await deliveryOf(personId, policy)).toMatchObject({ state: 'signed', remindersSent: 1 });
  });

  test('an unsigned starter: the head is told in Teams and the line manager by email before the start date; a signed one: nobody', async () => {
    await sayHello('head');
    await sayHello('staff');
    const policy = await publish();
    const today = new Date(t.clock.now().getTime());
    const startDate = new Date(today.getTime() + 21 * 86_400_000).toISOString().slice(0, 10);
    const unsigned = await newStarter({ displayName: 'Nia New', email: 'nia@oakfield.example.org', startDate, lineManagerEmail: emailOf('dsl') });
    const signer = await newStarter({ displayName: 'Sam Teacher', email: emailOf('staff'), startDate, lineManagerEmail: emailOf('dsl') });
    await runOutbox();
    cardAnswer(await sign('staff', { policyId: policy.id, agreed: 'true', typedName: 'Sam Teacher' }));
    emailsSent = [];
    const headChat = t.personalConversationOf('head');
    const headCards = () => t.connector.activities(headChat).map(cardOfActivity).filter((card) => JSON.stringify(card).includes('has not signed'));

    moveClockPast(await outboxRunAfter('aup.escalate', unsigned.personId));
    await runOutbox();
    await runOutbox();
    const warnings = headCards();
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0])).toContain('Nia New has not signed the acceptable use policy');
    expect(JSON.stringify(warnings[0])).toContain(`starts on ${startDate}`);
    expect(verbsOf(warnings[0])).toEqual([]);
    expect(libraryProblems(warnings[0])).toEqual([]);
    expect(emailsSent).toEqual([{ to: emailOf('dsl'), subject: 'Nia New has not signed the acceptable use policy', body: expect.stringContaining(`Nia New starts on ${startDate}`) }]);
    expect(JSON.stringify(headCards())).not.toContain('Sam Teacher');
    // The service's own outbox loop may be the one that handled the escalation: wait until it has recorded it.
    const escalated = await t.waitFor(async () => {
      const delivery = await deliveryOf(unsigned.personId, policy);
      return delivery?.escalatedAt ? delivery : undefined;
    });
    expect(escalated).toMatchObject({ escalatedAt: expect.any(String) });
    expect(await deliveryOf(signer.personId, policy)).toMatchObject({ state: 'signed', escalatedAt: null });
  });

  test('Teams busy (429): the card is retried after Retry-After and arrives exactly once', async () => {
    await sayHello('staff');
    const policy = await publish();
    const chat = t.personalConversationOf('staff');
    // The SDK does not retry by itself (that would resend outside the pacer): each 429 goes back to the outbox.
    t.connector.failWith(chat, 429, { error: { code: 'Throttled', message: 'Too many requests.' } }, { times: 2, retryAfterSeconds: 1 });
    const { personId } = await newStarter({ displayName: 'Sam Teacher', email: emailOf('staff') });
    await runOutbox();
    expect(policyCards(chat)).toHaveLength(0);
    expect(t.connector.calls.filter((c) => c.conversationId === chat && c.status === 429)).toHaveLength(1);
    expect(await deliveryOf(personId, policy)).toMatchObject({ state: 'sending' });
    const [pending] = await t.db.raw(`select attempts, run_after, last_error from outbox where kind = 'aup.deliver'`);
    expect(String(pending?.last_error)).toMatch(/429|Throttled/);
    expect(new Date(String(pending?.run_after)).getTime()).toBeGreaterThanOrEqual(t.clock.now().getTime() + 900);

    t.clock.offsetMs += 5_000;
    await runOutbox();
    expect(t.connector.calls.filter((c) => c.conversationId === chat && c.status === 429)).toHaveLength(2);
    expect(policyCards(chat)).toHaveLength(0);
    t.clock.offsetMs += 5_000;
    await runOutbox();
    await runOutbox();
    expect(policyCards(chat)).toHaveLength(1);
    expect(await deliveryOf(personId, policy)).toMatchObject({ state: 'sent', channel: 'teams' });
    expect(linksEmailed).toEqual([]);
  });
});
