import { createAupChat, requestIdOf, type AupChat } from '../../bot/google-chat/aup-chat.ts';
import { ChatCallError, type ChatApi, type ChatMessageBody, type GoogleCard } from '../../bot/google-chat/chat-api.ts';
import { chatEventSchema, type ChatActionContext, type ChatResponse } from '../../bot/google-chat/chat-events.ts';
import { addPerson } from '../../src/app/people/add-person.ts';
import type { ChatDelivery } from '../../src/app/chat-delivery.ts';
import { prepareAupDelivery } from '../../src/app/aup/deliver-aup.ts';
import { OPERATOR, type AppDeps } from '../../src/app/deps.ts';
import { publishAup } from '../../src/app/aup/publish-aup.ts';
import { addNewStarter } from '../../src/app/aup/welcome-new-starter.ts';
import type { AupPolicyVersion } from '../../src/domain/aup.ts';
import type { OutboxMessage } from '../../src/domain/ports.ts';
import type { Actor } from '../../src/domain/roles.ts';
import { OutboxDispatcher, RetryableDeliveryError } from '../../src/jobs/outbox-dispatcher.ts';
import { chatDeliveryHandlers } from '../../src/jobs/typed-outbox.ts';
import { createLogger } from '../../src/logger.ts';
import { randomIds } from '../../src/system.ts';
import { InMemoryChatApi } from '../fakes/in-memory-chat-api.ts';
import { validateChatMessage, validateChatResponse } from '../support/card-v1-schema.ts';
import { seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

// Policies to sign in Google Chat: the card in each person's DM with the app (found through Chat, posted
// with a request id so a repeat is the same card), signing from it, the fallbacks (a signing link by email)
// and the headteacher's warning. The Chat API is the in-memory one; storage and the use cases are real, and
// the outbox runs on a clock the test moves, choosing the platform per school as the service does.

const ENDPOINT = 'https://dsl-desk.example-school.org.uk/api/google/chat';
const DOMAIN = 'maple.example.org';
const POLICY = {
  audience: 'staff',
  title: 'Staff Acceptable Use Policy',
  markdown: '# Staff Acceptable Use Policy\n\nThis policy is for everyone who works at the school.\n\n- I will keep my password private.\n',
  acknowledgementWording: 'I have read and agree to follow this policy',
  effectiveDate: '2026-09-01',
  reviewDate: '2027-09-01',
};
const policyPageUrl = (_schoolId: string, policyId: string) => `https://dsl-desk.example-school.org.uk/aup/policies/${policyId}/page?k=test`;

type PersonKey = Exclude<keyof SeededSchool, 'school'>;
/** Everyone's Google account id; the DM space is named after it when they have one. */
const SUBJECTS: Record<PersonKey, string> = { staff: '1001', staff2: '1002', dsl: '1003', deputy: '1004', head: '1005', it: '1006', governor: '1007', admin: '1008' };
const dmOf = (person: PersonKey) => `spaces/dm-${SUBJECTS[person]}`;

interface Widget {
  [key: string]: any;
}
const widgetsOf = (card: GoogleCard): Widget[] => ((card.sections as { widgets: Widget[] }[] | undefined) ?? []).flatMap((section) => section.widgets);
const buttonsOf = (card: GoogleCard) => widgetsOf(card).flatMap((widget) => (widget.buttonList?.buttons ?? []) as Widget[]);
const signButtonOf = (card: GoogleCard) => buttonsOf(card).find((button) => button.onClick?.action);
const parametersOf = (card: GoogleCard) => Object.fromEntries((signButtonOf(card)?.onClick.action.parameters as { key: string; value: string }[]).map((p) => [p.key, p.value]));
const textOf = (card: GoogleCard) => JSON.stringify(card);
const cardOfBody = (body: ChatMessageBody) => body.cardsV2![0]!.card;
/** The card an add-on response puts in place of the clicked one. */
const updatedCard = (response: ChatResponse) => {
  expect(validateChatResponse(response)).toEqual([]);
  const message = (response as { hostAppDataAction?: { chatDataAction?: { updateMessageAction?: { message?: ChatMessageBody } } } }).hostAppDataAction?.chatDataAction?.updateMessageAction?.message;
  expect(message?.cardsV2).toHaveLength(1);
  return cardOfBody(message!);
};

describe.each(enginesUnderTest())('policies to sign in Google Chat on %s', (engine) => {
  let db: TestStorage;
  let deps: AppDeps;
  let clockOffsetMs: number;
  let school: SeededSchool;
  let chat: InMemoryChatApi;
  /** Between the app and Chat: set to lose Chat's answer after the message was created (a timeout). */
  let loseNextAnswer: boolean;
  let aup: AupChat;
  let dispatcher: OutboxDispatcher;
  let teamsCalls: string[];
  let linksEmailed: { personId: string; policyId: string; reminder?: number }[];
  let emailsSent: { to: string; subject: string; body: string }[];
  let emailConnected: boolean;

  beforeEach(async () => {
    db = await createTestStorage(engine);
    clockOffsetMs = 0;
    deps = { storage: db.storage, clock: { now: () => new Date(Date.now() + clockOffsetMs) }, ids: randomIds };
    school = await seedSchool(deps, 'maple', { googleDomain: DOMAIN });
    // Everyone's Google account is known except the governor's; the admin install opened a DM for everyone but IT.
    for (const person of Object.keys(SUBJECTS) as PersonKey[]) {
      if (person === 'governor') continue;
      const actor = school[person];
      await addPerson(deps, { actor: OPERATOR, schoolId: actor.schoolId, person: { displayName: actor.displayName, email: `${person}@maple.example.org`, roles: [...actor.roles], googleSubject: SUBJECTS[person] } });
    }
    chat = new InMemoryChatApi();
    for (const person of Object.keys(SUBJECTS) as PersonKey[]) if (person !== 'it' && person !== 'governor') chat.directMessages.set(`users/${SUBJECTS[person]}`, dmOf(person));
    loseNextAnswer = false;
    const api: ChatApi = {
      createMessage: async (input) => {
        const created = await chat.createMessage(input);
        if (loseNextAnswer) {
          loseNextAnswer = false;
          throw new ChatCallError({ status: undefined, retryable: true, reason: 'Google Chat could not be reached' }, undefined);
        }
        return created;
      },
      updateMessage: (input) => chat.updateMessage(input),
      findDirectMessage: (user) => chat.findDirectMessage(user),
    };
    linksEmailed = [];
    emailsSent = [];
    emailConnected = true;
    const logger = createLogger('silent');
    aup = createAupChat({
      deps,
      logger,
      chat: api,
      chatEndpointUrl: ENDPOINT,
      policyPageUrl,
      sendSigningLinkByEmail: async (input) => {
        linksEmailed.push(input);
        return emailConnected;
      },
      sendEmail: async (to, subject, body) => {
        emailsSent.push({ to, subject, body });
        return emailConnected;
      },
    });
    // The service's routing: Teams is configured too, and a Google school's messages must never reach it.
    teamsCalls = [];
    const teams = new Proxy({ platform: 'teams' } as ChatDelivery, {
      get: (target, property) => (property === 'platform' ? target.platform : async () => void teamsCalls.push(String(property))),
    });
    const notCases = () => Promise.reject(new Error('case cards are not part of these tests'));
    const google: ChatDelivery = { platform: 'google_chat', postCaseCard: notCases, refreshCaseCard: notCases, notifyPerson: notCases, deliverPolicy: aup.deliverPolicy, remindPolicy: aup.remindPolicy, escalatePolicy: aup.escalatePolicy };
    dispatcher = new OutboxDispatcher({ store: db.storage.outbox, clock: deps.clock, logger, random: () => 0 });
    for (const [kind, handler] of Object.entries(chatDeliveryHandlers({ deliveries: { teams, google_chat: google }, deps }))) dispatcher.register(kind, handler);
  });

  afterEach(async () => {
    await db.cleanup();
  });

  const schoolId = () => school.school.id;
  const runOutbox = async () => {
    for (let pass = 0; pass < 10 && (await dispatcher.runOnce()) > 0; pass++);
  };
  const publish = (overrides: Partial<typeof POLICY> = {}, startCampaign = true): Promise<AupPolicyVersion> =>
    publishAup(deps, { actor: OPERATOR, schoolId: schoolId(), policy: { ...POLICY, ...overrides }, startCampaign });
  const deliveryOf = (personId: string, policy: AupPolicyVersion) =>
    deps.storage.read(async (reader) => (await reader.aupDeliveries.listForPerson(schoolId(), personId)).find((d) => d.policyId === policy.id));
  const acknowledgements = (policyId: string) => deps.storage.read((reader) => reader.aupAcknowledgements.forPolicy(schoolId(), policyId));
  const pending = async (kind: string): Promise<OutboxMessage[]> =>
    (await db.raw(`select id, school_id, kind, payload, attempts, created_at from outbox where kind = '${kind}' and status = 'pending' order by created_at`)).map((row) => ({
      id: String(row.id),
      schoolId: String(row.school_id),
      kind: String(row.kind),
      payload: JSON.parse(String(row.payload)) as Record<string, unknown>,
      attempts: Number(row.attempts),
      createdAt: String(row.created_at),
    }));
  const attempt = (final = false) => ({ final, now: deps.clock.now() });
  const policyCardsIn = (space: string) => chat.inSpace(space).map((message) => cardOfBody(message.body)).filter((card) => signButtonOf(card));

  /** "Sign" pressed on a policy card by `person`, with what they ticked and typed. */
  const press = (person: PersonKey, card: GoogleCard, inputs: { agreed?: boolean; typedName?: string }): Promise<ChatResponse> => {
    const parameters = parametersOf(card);
    const formInputs: Record<string, { stringInputs: { value: string[] } }> = {};
    if (inputs.agreed) formInputs.agreed = { stringInputs: { value: ['true'] } };
    if (inputs.typedName !== undefined) formInputs.typedName = { stringInputs: { value: [inputs.typedName] } };
    const user = { name: `users/${SUBJECTS[person]}`, displayName: school[person].displayName, email: `${person}@${DOMAIN}`, type: 'HUMAN' };
    const space = { name: dmOf(person), spaceType: 'DIRECT_MESSAGE', singleUserBotDm: true };
    const event = chatEventSchema.parse({
      commonEventObject: { hostApp: 'CHAT', parameters, formInputs },
      chat: { user, eventTime: new Date().toISOString(), buttonClickedPayload: { message: { name: `${dmOf(person)}/messages/x`, space }, space, isDialogEvent: false } },
    });
    const actor: Actor = school[person];
    const context: ChatActionContext = { event, actor, user: event.chat.user, space, messageName: `${dmOf(person)}/messages/x`, parameters, isDialogEvent: false, now: new Date() };
    const handler = aup.actions[parameters.action!];
    expect(handler).toBeDefined();
    return handler!(context);
  };

  test('a campaign posts one card in each DM, records it, and a send whose answer was lost is not posted twice', async () => {
    const policy = await publish();
    // Chat creates Sam's card but the answer never arrives: the outbox retries, with the same request id.
    const staffDelivery = (await pending('aup.deliver')).find((m) => m.payload.personId === school.staff.personId)!;
    expect(await pending('aup.deliver')).toHaveLength(8);
    // Sam's message first, losing Chat's answer to it.
    loseNextAnswer = true;
    await expect(aup.deliverPolicy({ ...staffDelivery, kind: 'aup.deliver', payload: staffDelivery.payload as never }, attempt())).rejects.toBeInstanceOf(RetryableDeliveryError);
    expect(policyCardsIn(dmOf('staff'))).toHaveLength(1);
    expect(await deliveryOf(school.staff.personId, policy)).toMatchObject({ state: 'sending' });
    await runOutbox();
    await runOutbox();

    for (const person of ['staff', 'staff2', 'dsl', 'deputy', 'head', 'admin'] as const) {
      const cards = policyCardsIn(dmOf(person));
      expect(cards).toHaveLength(1);
      const record = await deliveryOf(school[person].personId, policy);
      expect(record).toMatchObject({ state: 'sent', channel: 'google_chat', conversationId: dmOf(person), activityId: expect.stringMatching(new RegExp(`^${dmOf(person)}/messages/`)) });
    }
    expect(chat.messages.size).toBe(6);
    for (const message of chat.messages.values()) expect(validateChatMessage(message.body)).toEqual([]);
    // Each post carried its outbox message's request id.
    expect(chat.inSpace(dmOf('staff'))[0]!.requestId).toBe(requestIdOf(staffDelivery.id));
    expect(teamsCalls).toEqual([]);

    const card = policyCardsIn(dmOf('staff'))[0]!;
    expect(card.header).toMatchObject({ title: POLICY.title });
    expect(textOf(card)).toContain('This policy is for everyone who works at the school.');
    expect(buttonsOf(card).find((button) => button.text === 'Read the full policy')?.onClick).toEqual({ openLink: { url: policyPageUrl(schoolId(), policy.id) } });
    expect(widgetsOf(card).find((w) => w.selectionInput)?.selectionInput).toMatchObject({ name: 'agreed', type: 'CHECK_BOX', items: [{ text: POLICY.acknowledgementWording, value: 'true', selected: false }] });
    expect(widgetsOf(card).find((w) => w.textInput)?.textInput).toMatchObject({ name: 'typedName', value: '' });
    expect(signButtonOf(card)?.onClick.action.function).toBe(ENDPOINT);
    expect(parametersOf(card)).toEqual({ action: 'aup.sign', policyId: policy.id, version: '1' });

    // IT has a Google account but no DM with the app; the governor no Google account at all: both by email.
    expect(linksEmailed.map((link) => link.personId).sort()).toEqual([school.it.personId, school.governor.personId].sort());
    expect(await deliveryOf(school.it.personId, policy)).toMatchObject({ state: 'sent', channel: 'email_link', failureCode: 'no_chat' });
    expect(await deliveryOf(school.governor.personId, policy)).toMatchObject({ state: 'sent', channel: 'email_link', failureCode: 'no_chat' });
  });

  test('a campaign stopped half way, with one delivery claimed as the process died, finishes with one card each', async () => {
    const policy = await publish();
    const logger = createLogger('silent');
    const processOne = (batchSize: number) => {
      const one = new OutboxDispatcher({ store: db.storage.outbox, clock: deps.clock, logger, batchSize, random: () => 0 });
      for (const [kind, handler] of Object.entries(chatDeliveryHandlers({ deliveries: { google_chat: { platform: 'google_chat', postCaseCard: async () => undefined, refreshCaseCard: async () => undefined, notifyPerson: async () => undefined, ...aup } }, deps }))) one.register(kind, handler);
      return one;
    };
    expect(await processOne(3).runOnce()).toBe(3);
    // The next delivery was claimed (state "sending") when the process died, before Chat saw anything.
    const [claimed] = await pending('aup.deliver');
    expect(await prepareAupDelivery(deps, { schoolId: schoolId(), personId: String(claimed!.payload.personId), policyId: policy.id, cycle: String(claimed!.payload.cycle) }, 'google_chat')).toMatchObject({ resumed: false });
    const second = processOne(20);
    for (let pass = 0; pass < 5 && (await second.runOnce()) > 0; pass++);
    expect(await processOne(20).runOnce()).toBe(0);
    for (const person of ['staff', 'staff2', 'dsl', 'deputy', 'head', 'admin'] as const) expect(policyCardsIn(dmOf(person))).toHaveLength(1);
    const deliveries = await deps.storage.read((reader) => reader.aupDeliveries.listForPolicy(schoolId(), policy.id, String(claimed!.payload.cycle)));
    expect(deliveries.map((d) => d.state)).toEqual(Array(8).fill('sent'));
  });

  test('signing with the tick and the name records the Google evidence and the card shows it signed; twice is the same signature', async () => {
    const policy = await publish();
    await runOutbox();
    const card = policyCardsIn(dmOf('staff'))[0]!;
    const signedAt = Date.now();
    const response = await press('staff', card, { agreed: true, typedName: 'Sam Teacher' });
    const signed = updatedCard(response);
    expect(textOf(signed)).toMatch(/Signed on \w{3}, \d{1,2} \w{3} \d{4}, \d{2}:\d{2} — version 1/);
    expect(signButtonOf(signed)).toBeUndefined();
    expect(widgetsOf(signed).some((w) => w.textInput || w.selectionInput)).toBe(false);

    const [acknowledgement, ...others] = await acknowledgements(policy.id);
    expect(others).toEqual([]);
    expect(acknowledgement).toMatchObject({
      personId: school.staff.personId,
      policyVersion: 1,
      sha256: policy.sha256,
      wording: POLICY.acknowledgementWording,
      typedName: 'Sam Teacher',
      surface: 'google_chat',
      directoryIdentity: { provider: 'google', tenantId: DOMAIN, objectId: SUBJECTS.staff, userPrincipalName: `staff@${DOMAIN}` },
    });
    expect(Date.parse(acknowledgement!.signedAt)).toBeGreaterThanOrEqual(signedAt - 1000);
    expect(await deliveryOf(school.staff.personId, policy)).toMatchObject({ state: 'signed' });

    // Pressed again (a second device, a double click): the first signature, nothing new.
    const again = updatedCard(await press('staff', card, { agreed: true, typedName: 'Sam T' }));
    expect(textOf(again)).toContain('Sam Teacher');
    expect(textOf(again)).not.toContain('Sam T"');
    expect(await acknowledgements(policy.id)).toHaveLength(1);
  });

  test('a missing tick or name brings the card back with a message by each field and what was typed', async () => {
    const policy = await publish();
    await runOutbox();
    const card = policyCardsIn(dmOf('staff2'))[0]!;

    const noTick = updatedCard(await press('staff2', card, { typedName: 'Alex Teacher' }));
    expect(textOf(noTick)).toContain('To sign, tick the box and type your full name.');
    expect(textOf(noTick)).toContain('Tick \\"I have read and agree to follow this policy\\" to sign.');
    expect(textOf(noTick)).not.toContain('Type your full name to sign.');
    expect(widgetsOf(noTick).find((w) => w.textInput)?.textInput.value).toBe('Alex Teacher');
    expect(parametersOf(noTick)).toEqual({ action: 'aup.sign', policyId: policy.id, version: '1' });

    const noName = updatedCard(await press('staff2', card, { agreed: true, typedName: ' ' }));
    expect(textOf(noName)).toContain('Type your full name to sign.');
    expect(textOf(noName)).not.toContain('Tick \\"I have read');
    expect(widgetsOf(noName).find((w) => w.selectionInput)?.selectionInput.items[0].selected).toBe(true);

    const neither = updatedCard(await press('staff2', card, {}));
    expect(textOf(neither)).toContain('Type your full name to sign.');
    expect(textOf(neither)).toContain('Tick \\"I have read');

    expect(await acknowledgements(policy.id)).toEqual([]);
    expect(await deliveryOf(school.staff2.personId, policy)).toMatchObject({ state: 'sent' });
  });

  test('a card for a version that has been replaced is refused with the new version to sign', async () => {
    const first = await publish();
    await runOutbox();
    const oldCard = policyCardsIn(dmOf('staff'))[0]!;
    const second = await publish({ markdown: '# Staff Acceptable Use Policy\n\nI will lock my screen when I leave it.\n' }, false);

    const answer = updatedCard(await press('staff', oldCard, { agreed: true, typedName: 'Sam Teacher' }));
    expect(textOf(answer)).toContain('(version 2) has replaced version 1');
    expect(textOf(answer)).toContain('I will lock my screen when I leave it.');
    expect(parametersOf(answer)).toEqual({ action: 'aup.sign', policyId: second.id, version: '2' });
    expect(await acknowledgements(first.id)).toEqual([]);

    // The new card signs the new version.
    expect(textOf(updatedCard(await press('staff', answer, { agreed: true, typedName: 'Sam Teacher' })))).toContain('— version 2');
    expect(await acknowledgements(second.id)).toMatchObject([{ policyVersion: 2, surface: 'google_chat' }]);
  });

  test('Chat asking to slow down is retried by the outbox; a refusal or no DM falls back to the link, or records why not', async () => {
    const policy = await publish();
    const messages = await pending('aup.deliver');
    const of = (person: PersonKey) => {
      const message = messages.find((m) => m.payload.personId === school[person].personId)!;
      return { ...message, kind: 'aup.deliver' as const, payload: message.payload as { personId: string; policyId: string; cycle: string } };
    };

    chat.failNext(429);
    const slowDown = aup.deliverPolicy(of('staff'), attempt());
    await expect(slowDown).rejects.toBeInstanceOf(RetryableDeliveryError);
    expect(chat.messages.size).toBe(0);
    expect(await deliveryOf(school.staff.personId, policy)).toMatchObject({ state: 'sending' });
    // Its retry posts the card.
    await aup.deliverPolicy(of('staff'), attempt());
    expect(policyCardsIn(dmOf('staff'))).toHaveLength(1);

    // A 503 finding the DM is retried too.
    chat.failNext(503);
    await expect(aup.deliverPolicy(of('staff2'), attempt())).rejects.toBeInstanceOf(RetryableDeliveryError);
    // ...until the last attempt, which sends the link instead.
    chat.failNext(503);
    await aup.deliverPolicy(of('staff2'), attempt(true));
    expect(await deliveryOf(school.staff2.personId, policy)).toMatchObject({ state: 'sent', channel: 'email_link', failureCode: 'chat_busy' });

    // Chat refusing the app in that DM (uninstalled): the link, with why.
    chat.failNext(403);
    await aup.deliverPolicy(of('dsl'), attempt());
    expect(await deliveryOf(school.dsl.personId, policy)).toMatchObject({ state: 'sent', channel: 'email_link', failureCode: 'app_blocked' });

    // No DM and no mailbox: not delivered, and the office is told why.
    emailConnected = false;
    await aup.deliverPolicy(of('it'), attempt());
    const failed = await deliveryOf(school.it.personId, policy);
    expect(failed).toMatchObject({ state: 'failed', failureCode: 'no_chat' });
    expect(failed?.failureReason).toContain('No mailbox is connected');
    expect(linksEmailed.map((link) => link.personId)).toEqual([school.staff2.personId, school.dsl.personId, school.it.personId]);
  });

  test('a reminder goes to the same DM, and stops once signed', async () => {
    const policy = await publish();
    await runOutbox();
    const reminders = await pending('aup.remind');
    const forStaff = reminders.filter((m) => m.payload.personId === school.staff.personId && m.payload.n === 1);
    expect(forStaff).toHaveLength(1);
    const reminder = { ...forStaff[0]!, kind: 'aup.remind' as const, payload: forStaff[0]!.payload as { personId: string; policyId: string; cycle: string; n: number } };
    await aup.remindPolicy(reminder, attempt());
    await aup.remindPolicy(reminder, attempt());
    const cards = policyCardsIn(dmOf('staff'));
    expect(cards).toHaveLength(2);
    expect(textOf(cards[1]!)).toContain('Reminder: please sign');
    expect(await deliveryOf(school.staff.personId, policy)).toMatchObject({ remindersSent: 1 });

    await press('staff', cards[1]!, { agreed: true, typedName: 'Sam Teacher' });
    const second = reminders.find((m) => m.payload.personId === school.staff.personId && m.payload.n === 2)!;
    await aup.remindPolicy({ ...second, kind: 'aup.remind', payload: second.payload as { personId: string; policyId: string; cycle: string; n: number } }, attempt());
    expect(policyCardsIn(dmOf('staff'))).toHaveLength(2);
  });

  test('a starter who has not signed by their start date: the head hears in Chat, a manager without a DM by email', async () => {
    await publish();
    await runOutbox();
    const start = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    // The line manager is IT, who has no DM with the app.
    const starter = await addNewStarter(deps, { actor: OPERATOR, schoolId: schoolId(), input: { displayName: 'Nia Newcomer', email: `nia@${DOMAIN}`, startDate: start, lineManagerEmail: `it@${DOMAIN}` } });
    const escalation = (await pending('aup.escalate')).find((m) => m.payload.personId === starter.personId)!;
    expect(escalation).toBeDefined();
    const message = { ...escalation, kind: 'aup.escalate' as const, payload: escalation.payload as { personId: string; policyId: string; cycle: string; startDate: string } };

    // Chat busy before anyone is told: the whole warning waits.
    chat.failNext(429);
    await expect(aup.escalatePolicy(message, attempt())).rejects.toBeInstanceOf(RetryableDeliveryError);
    await aup.escalatePolicy(message, attempt());
    await aup.escalatePolicy(message, attempt());

    const warnings = chat.inSpace(dmOf('head')).filter((message) => !signButtonOf(cardOfBody(message.body)));
    expect(warnings).toHaveLength(1);
    expect(validateChatMessage(warnings[0]!.body)).toEqual([]);
    expect(textOf(cardOfBody(warnings[0]!.body))).toContain(`Nia Newcomer starts on ${start} and has not yet signed`);
    expect(emailsSent).toEqual([expect.objectContaining({ to: `it@${DOMAIN}`, subject: 'Nia Newcomer has not signed the acceptable use policy' })]);
    const delivery = await deps.storage.read(async (reader) => (await reader.aupDeliveries.listForPerson(schoolId(), starter.personId))[0]);
    expect(delivery?.escalatedAt).toEqual(expect.any(String));
    const audit = await db.raw(`select detail from audit_events where action = 'aup.escalated'`);
    expect(audit).toHaveLength(1);
    expect(String(audit[0]!.detail)).toContain(`${school.head.personId}:google_chat`);
    expect(String(audit[0]!.detail)).toContain(`${school.it.personId}:email`);
  });
});
