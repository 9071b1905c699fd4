import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { acknowledgeCase } from '../../src/app/cases/acknowledge-case.ts';
import { addPerson } from '../../src/app/people/add-person.ts';
import { assignCase } from '../../src/app/cases/assign-case.ts';
import { reportEmail } from '../../src/app/emails/report-email.ts';
import { libraryProblems, schemaProblems, structuralProblems } from '../unit/bot/fixtures/card-checks.ts';
import { OUTBOX_KINDS } from '../../src/app/cases/case-messages.ts';
import { getCase } from '../../src/app/cases/get-case.ts';
import { enginesUnderTest } from '../support/test-storage.ts';
import { BOT_APP_ID, OUTBOUND_TOKEN, startTeamsTestService, type TeamsTestService } from '../support/teams-test-service.ts';

const CARD = 'application/vnd.microsoft.card.adaptive';
const SECRET = 'Ottoline Brackenridge was sent a threatening voice note';

/** Every Action.Execute verb on a card. */
function verbsOf(card: unknown): string[] {
  const verbs: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'Action.Execute' && typeof record.verb === 'string') verbs.push(record.verb);
    for (const [key, value] of Object.entries(record)) if (key !== 'refresh' && key !== 'fallback') walk(value);
  };
  walk(card);
  return verbs;
}

const cardOf = (answer: { body: any }) => {
  expect(answer.body?.type).toBe(CARD);
  return answer.body.value as Record<string, unknown>;
};

const validForm = (formId: string, overrides: Record<string, string> = {}) => ({
  formId,
  types: 'online_bullying',
  location: 'outside_school',
  description: SECRET,
  involved: 'child: Ottoline Brackenridge',
  appsInvolved: 'Snapchat',
  childAtImmediateRisk: 'false',
  ...overrides,
});

describe.each(enginesUnderTest())('Teams bot on %s', (engine) => {
  let t: TeamsTestService;

  beforeEach(async () => {
    t = await startTeamsTestService(engine);
  });
  afterEach(async () => {
    await t.close();
  });

  const setUpChannel = async () => {
    const answer = await t.send('dsl', {
      text: '<at>DSL Desk</at> use this channel for cases',
      entities: [{ type: 'mention', text: '<at>DSL Desk</at>', mentioned: { id: `28:${BOT_APP_ID}`, name: 'DSL Desk' } }],
      conversation: { id: `${t.channelConversation};messageid=100`, conversationType: 'channel', isGroup: true, tenantId: t.tenantId },
      channelData: { tenant: { id: t.tenantId }, team: { id: '19:team@thread.tacv2' }, channel: { id: t.channelConversation } },
    });
    expect(answer.status).toBe(200);
  };

  const channelCards = () => t.connector.stored(t.channelConversation);
  /** Card edits still waiting in the outbox: each pending edit and when it may run. */
  const pendingEdits = async () =>
    (await t.db.raw(`select run_after from outbox where kind = '${OUTBOX_KINDS.cardRefresh}' and status = 'pending'`)).map((row) => Date.parse(String(row.run_after)));
  /** The dispatcher has run every pending edit and held it (put it back for later than the next few seconds). */
  const heldEdit = async (until = t.clock.now().getTime() + 10_000) => {
    const pending = await pendingEdits();
    return pending.length > 0 && pending.every((runAfter) => runAfter >= until) && pending;
  };
  const outboxIdle = async () => (await pendingEdits()).length === 0;
  const personalMessages = (person: Parameters<TeamsTestService['personalConversationOf']>[0]) => t.connector.activities(t.personalConversationOf(person));

  test('the mounted endpoint refuses forged, expired, wrong-audience and wrong-serviceurl tokens with 401', async () => {
    const cases = [
      { options: { signWith: 'untrusted' as const } },
      { options: { expiresInSeconds: -600 } },
      { options: { omitExp: true } },
      { claims: { aud: 'some-other-bot' } },
      { claims: { serviceurl: 'http://127.0.0.1:1/elsewhere/' } },
      { none: true },
    ];
    // botbuilder's own validation prints rejected tokens' errors with console.error; keep the run readable.
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    for (const token of cases) {
      const answer = await t.send('staff', { text: 'report' }, token);
      expect(answer.status).toBe(401);
    }
    quiet.mockRestore();
    expect(t.connector.calls).toHaveLength(0);
    const rows = await t.db.raw('select count(*) as n from chat_users');
    expect(Number(rows[0]!.n)).toBe(0);
  });

  test('install says hello once, and "report" opens the concern form', async () => {
    const install = { type: 'installationUpdate', action: 'add' };
    expect((await t.send('staff', install)).status).toBe(200);
    expect((await t.send('staff', install)).status).toBe(200);
    const welcomes = personalMessages('staff');
    expect(welcomes).toHaveLength(1);
    expect(JSON.stringify(welcomes[0])).toContain('report.start');
    expect(JSON.stringify(welcomes[0])).toMatch(/DSL/);

    await t.send('staff', { text: 'Report' });
    const form = personalMessages('staff').at(-1) as any;
    expect(form.attachments[0].contentType).toBe(CARD);
    expect(verbsOf(form.attachments[0].content)).toContain('report.submit');
    // The replies carried the bot's own token.
    expect(t.connector.calls.filter((c) => c.route === 'send').every((c) => c.authorization === `Bearer ${OUTBOUND_TOKEN}`)).toBe(true);
  });

  test('a bad form comes back with what was typed and a message by the field; a double submit files one case', async () => {
    const missing = cardOf(await t.press('staff', 'personal', 'report.submit', validForm('form-1', { description: '', types: '' })));
    const text = JSON.stringify(missing);
    expect(text).toContain('Describe what happened');
    expect(text).toContain('Choose at least one incident type');
    expect(text).toContain('Snapchat');
    expect(verbsOf(missing)).toContain('report.submit');

    const [first, second] = await Promise.all([
      t.press('staff', 'personal', 'report.submit', validForm('form-1')),
      t.press('staff', 'personal', 'report.submit', validForm('form-1')),
    ]);
    const references = [first, second].map((answer) => /CASE-\d{4}-\d{4}/.exec(JSON.stringify(cardOf(answer)))?.[0]);
    expect(references[0]).toBeDefined();
    expect(references[1]).toBe(references[0]);
    const rows = await t.db.raw('select count(*) as n from cases');
    expect(Number(rows[0]!.n)).toBe(1);
  });

  test('only a DSL can choose the case channel', async () => {
    await t.send('staff', {
      text: '<at>DSL Desk</at> use this channel for cases',
      conversation: { id: `${t.channelConversation};messageid=5`, conversationType: 'channel', isGroup: true, tenantId: t.tenantId },
      channelData: { tenant: { id: t.tenantId }, team: { id: '19:team@thread.tacv2' }, channel: { id: t.channelConversation } },
    });
    const refusal = JSON.stringify(t.connector.activities(`${t.channelConversation};messageid=5`));
    expect(refusal).toContain('Only the DSL or a deputy DSL');
    expect(await t.service.deps.storage.read((r) => r.chat.getCaseChannel(t.school.school.id, 'teams'))).toBeUndefined();
    await setUpChannel();
    expect(await t.service.deps.storage.read((r) => r.chat.getCaseChannel(t.school.school.id, 'teams'))).toMatchObject({ address: { conversationId: t.channelConversation } });
  });

  test('a case posts a card with no concern text; a DSL acknowledges; the card is edited in place and the reporter told', async () => {
    await setUpChannel();
    await t.send('dsl', { type: 'installationUpdate', action: 'add' });
    await t.send('staff', { type: 'installationUpdate', action: 'add' });
    const receipt = cardOf(await t.press('staff', 'personal', 'report.submit', validForm('form-2', { childAtImmediateRisk: 'true' })));
    const reference = /CASE-\d{4}-\d{4}/.exec(JSON.stringify(receipt))![0];
    expect(JSON.stringify(receipt)).toContain('999');

    const [posted] = await t.waitFor(() => channelCards().length > 0 && channelCards());
    const postedText = JSON.stringify(posted!.activity);
    expect(postedText).toContain(reference);
    expect(postedText).not.toContain('Ottoline');
    expect(postedText).not.toContain('voice note');
    expect(postedText).not.toContain('Snapchat');
    // Urgent: the DSLs are mentioned, and the base card has no DSL buttons, only a refresh for them.
    expect((posted!.activity.entities as { mentioned: { id: string } }[]).map((e) => e.mentioned.id)).toContain(t.teamsIdOf('dsl'));
    expect(verbsOf((posted!.activity.attachments as any[])[0].content)).not.toContain('case.acknowledge');
    expect((posted!.activity.attachments as any[])[0].content.refresh.userIds).toContain(t.teamsIdOf('dsl'));

    const caseId = (await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 })))[0]!.id;
    // Everyone else, pressing refresh, sees no DSL buttons; a DSL sees them.
    expect(verbsOf(cardOf(await t.press('staff2', 'channel', 'case.refresh', { caseId })))).not.toContain('case.acknowledge');
    expect(verbsOf(cardOf(await t.press('dsl', 'channel', 'case.refresh', { caseId })))).toEqual(expect.arrayContaining(['case.acknowledge', 'case.assign_to_me', 'case.open']));

    // A member of staff cannot act, whatever the card data says.
    const refused = await t.press('staff2', 'channel', 'case.acknowledge', { caseId, roles: ['dsl'] });
    expect(refused.body.type).toBe('application/vnd.microsoft.activity.message');
    const acknowledged = cardOf(await t.press('dsl', 'channel', 'case.acknowledge', { caseId }));
    expect(JSON.stringify(acknowledged)).toContain('Dana Lead');
    expect(verbsOf(acknowledged)).not.toContain('case.acknowledge');

    // The DSL acted on the card: the edit for everyone waits until the card has been quiet.
    await t.waitFor(heldEdit);
    expect(channelCards()[0]!.edits).toBe(0);
    t.clock.offsetMs = t.config.caseCardHold.quietMs + 1000;
    const edited = await t.waitFor(() => channelCards()[0]!.edits > 0 && channelCards()[0]);
    expect(edited.id).toBe(posted!.id);
    expect(JSON.stringify(edited.activity)).toContain('Dana Lead');
    const told = await t.waitFor(() => personalMessages('staff').find((a) => JSON.stringify(a).includes('picked up')));
    expect(JSON.stringify(told)).toContain(reference);
    expect(JSON.stringify(told)).not.toContain('Ottoline');
  });

  test('a half-typed note is not wiped: no edit of the channel message while the card is being worked, one collapsed edit after the quiet period, and the note saved later is on the case', async () => {
    await setUpChannel();
    await t.send('dsl', { type: 'installationUpdate', action: 'add' });
    cardOf(await t.press('staff', 'personal', 'report.submit', validForm('form-held')));
    await t.waitFor(() => channelCards().length > 0);
    const caseId = (await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 })))[0]!.id;
    const quietMs = t.config.caseCardHold.quietMs;
    const startedAt = t.clock.now().getTime();

    // "Assign to me": the DSL's own view comes back at once, with their buttons and the note form.
    const assigned = cardOf(await t.press('dsl', 'channel', 'case.assign_to_me', { caseId }));
    expect(JSON.stringify(assigned)).toContain('Dana Lead');
    expect(verbsOf(assigned)).toContain('case.add_note');
    expect(verbsOf(assigned)).not.toContain('case.assign_to_me');
    // DSL Desk's delivery ran and held the edit until the card has been quiet.
    await t.waitFor(() => heldEdit(startedAt + quietMs - 5000));
    expect(channelCards()[0]!.edits).toBe(0);

    // Two minutes on, still typing; the note is saved: the DSL's view again, and still no edit for everyone.
    t.clock.offsetMs = 120_000;
    const noted = cardOf(await t.press('dsl', 'channel', 'case.add_note', { caseId, note: 'Spoke to the class teacher; parents to be called.' }));
    expect(JSON.stringify(noted)).toContain('Note added by Dana Lead');
    // Past the first quiet period, but not the second: the first edit is held again, with the second.
    t.clock.offsetMs = quietMs + 10_000;
    await t.waitFor(() => heldEdit(startedAt + 120_000 + quietMs - 5000));
    expect(channelCards()[0]!.edits).toBe(0);

    // Quiet at last: one edit, showing the latest state, however many changes were waiting.
    t.clock.offsetMs = 120_000 + quietMs + 10_000;
    const edited = await t.waitFor(() => channelCards()[0]!.edits > 0 && channelCards()[0]);
    await t.waitFor(outboxIdle);
    expect(channelCards()[0]!.edits).toBe(1);
    const shared = JSON.stringify(edited.activity);
    expect(shared).toContain('Dana Lead');
    expect(shared).toContain('Note added by Dana Lead');
    expect(shared).not.toContain('parents to be called');
    expect(verbsOf((edited.activity.attachments as any[])[0].content)).not.toContain('case.add_note');
    const after = await getCase(t.service.deps, { actor: t.school.dsl, caseId });
    expect(after.case.notes.map((note) => note.text)).toEqual(['Spoke to the class teacher; parents to be called.']);
    expect(after.case.assigneeId).toBe(t.school.dsl.personId);
  });

  test('a half-typed note is not wiped: changes from outside the card wait too, and a card nobody works is edited at once', async () => {
    await setUpChannel();
    cardOf(await t.press('staff', 'personal', 'report.submit', validForm('form-outside')));
    await t.waitFor(() => channelCards().length > 0);
    const caseId = (await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 })))[0]!.id;
    // Nobody has worked the card: a change made elsewhere (here through the API's use case) is edited in within seconds.
    await acknowledgeCase(t.service.deps, { actor: t.school.deputy, caseId });
    await t.waitFor(() => channelCards()[0]!.edits === 1);
    // A DSL opens their options on the card; a change from outside the card now waits for the quiet period.
    cardOf(await t.press('dsl', 'channel', 'case.refresh', { caseId }));
    await assignCase(t.service.deps, { actor: t.school.deputy, caseId, assigneeId: t.school.deputy.personId });
    await t.waitFor(() => heldEdit());
    expect(channelCards()[0]!.edits).toBe(1);
    // Teams fetching a DSL's view by itself (automatic refresh) is not someone working the card.
    t.clock.offsetMs = t.config.caseCardHold.quietMs + 1000;
    await t.send('dsl', {
      type: 'invoke',
      name: 'adaptiveCard/action',
      value: { trigger: 'automatic', action: { type: 'Action.Execute', verb: 'case.refresh', data: { caseId } } },
      conversation: { id: `${t.channelConversation};messageid=1`, conversationType: 'channel', isGroup: true, tenantId: t.tenantId },
      channelData: { tenant: { id: t.tenantId }, team: { id: '19:team@thread.tacv2' }, channel: { id: t.channelConversation } },
    });
    await t.waitFor(() => channelCards()[0]!.edits === 2);
    expect(JSON.stringify(channelCards()[0]!.activity)).toContain('Dev Deputy');
  });

  test('assign to a colleague: a DSL gives the case to the deputy from the card; someone who may not hold a case is refused with a clear message', async () => {
    await setUpChannel();
    cardOf(await t.press('staff', 'personal', 'report.submit', validForm('form-assign')));
    const caseId = (await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 })))[0]!.id;
    const options = cardOf(await t.press('dsl', 'channel', 'case.refresh', { caseId }));
    const choices = JSON.stringify(options);
    // The school's DSLs, deputies and head, by name and role; a member of staff is not offered.
    for (const offered of ['Dana Lead (DSL)', 'Dev Deputy (Deputy DSL)', 'Hana Head (Headteacher)']) expect(choices).toContain(offered);
    expect(choices).not.toContain('Sam Teacher (');
    expect(choices).not.toContain('Ian Network');

    const given = cardOf(await t.press('dsl', 'channel', 'case.assign', { caseId, assigneeId: t.school.deputy.personId }));
    expect(JSON.stringify(given)).toContain('Dev Deputy');
    // The deputy is no longer offered in "Assign to…": they have it.
    expect(JSON.stringify(given)).not.toContain('Dev Deputy (Deputy DSL)');
    expect((await getCase(t.service.deps, { actor: t.school.dsl, caseId })).case.assigneeId).toBe(t.school.deputy.personId);

    for (const [assigneeId, message] of [
      [t.school.staff.personId, 'cannot be assigned this case'],
      [t.school.it.personId, 'cannot be assigned this case'],
      ['someone-else', 'not found in your school'],
      ['', 'Choose who should have the case'],
    ] as const) {
      const refused = await t.press('dsl', 'channel', 'case.assign', { caseId, assigneeId });
      expect(refused.body.type).toBe('application/vnd.microsoft.activity.message');
      expect(String(refused.body.value)).toContain(message);
    }
    // A member of staff cannot assign, whatever the card sends.
    const notAllowed = await t.press('staff2', 'channel', 'case.assign', { caseId, assigneeId: t.school.staff2.personId });
    expect(notAllowed.body.type).toBe('application/vnd.microsoft.activity.message');
    expect((await getCase(t.service.deps, { actor: t.school.dsl, caseId })).case.assigneeId).toBe(t.school.deputy.personId);
  });

  test('Open case must be private: in the channel the record goes to the DSL\'s own 1:1 chat, the button is answered with a message, the channel card is not edited, and others get nothing', async () => {
    await setUpChannel();
    cardOf(await t.press('staff', 'personal', 'report.submit', validForm('form-3')));
    const caseId = (await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 })))[0]!.id;
    const [posted] = await t.waitFor(() => channelCards().length > 0 && channelCards());
    const callsBefore = t.connector.calls.length;

    const answer = await t.press('dsl', 'channel', 'case.open', { caseId });
    // A short message to the person who pressed, never a card that could replace the channel's.
    expect(answer.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message' });
    expect(answer.body.value).toMatch(/in your chat with DSL Desk/);
    expect(JSON.stringify(answer.body)).not.toContain('Ottoline');

    // The 1:1 chat was opened for the DSL who pressed (their Teams id, in the school's tenant) and the record sent there.
    const calls = t.connector.calls.slice(callsBefore);
    const create = calls.find((c) => c.route === 'create');
    expect(create?.body).toMatchObject({ isGroup: false, members: [{ id: t.teamsIdOf('dsl') }], tenantId: t.tenantId });
    const created = JSON.parse(JSON.stringify(calls.find((c) => c.route === 'send')));
    expect(created.conversationId).not.toContain(t.channelConversation);
    const [record] = t.connector.activities(created.conversationId);
    expect((record as any).attachments[0].contentType).toBe(CARD);
    expect(JSON.stringify(record)).toContain('Ottoline Brackenridge');
    expect([...libraryProblems((record as any).attachments[0].content), ...schemaProblems((record as any).attachments[0].content)]).toEqual([]);

    // Nothing went to the channel: no post, no edit, nothing queued to edit it.
    expect(calls.filter((c) => c.conversationId?.startsWith(t.channelConversation))).toEqual([]);
    expect(channelCards()).toHaveLength(1);
    expect(channelCards()[0]!.edits).toBe(0);
    expect(JSON.stringify(channelCards()[0]!.activity)).toEqual(JSON.stringify(posted!.activity));
    const refreshes = await t.db.raw(`select count(*) as n from outbox where kind = '${OUTBOX_KINDS.cardRefresh}'`);
    expect(Number((refreshes[0] as { n: number | string }).n)).toBe(0);

    // Reading it is audited, as before.
    const view = await getCase(t.service.deps, { actor: t.school.head, caseId });
    expect(view.chronology.filter((e) => e.action === 'case.viewed').map((e) => e.actorId)).toContain(t.school.dsl.personId);

    // Someone who may not see the case gets a message, and nobody gets the record.
    const staffCallsBefore = t.connector.calls.length;
    const refused = await t.press('staff2', 'channel', 'case.open', { caseId });
    expect(refused.body).toMatchObject({ type: 'application/vnd.microsoft.activity.message' });
    expect(JSON.stringify(refused.body)).not.toContain('Ottoline');
    expect(t.connector.calls.slice(staffCallsBefore)).toEqual([]);
  });

  test('Open case must be private: in the DSL\'s own chat it answers with the record as before', async () => {
    cardOf(await t.press('staff', 'personal', 'report.submit', validForm('form-3b')));
    const caseId = (await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 })))[0]!.id;
    const callsBefore = t.connector.calls.length;
    const detail = cardOf(await t.press('dsl', 'personal', 'case.open', { caseId }));
    expect(JSON.stringify(detail)).toContain('Ottoline Brackenridge');
    expect(t.connector.calls.slice(callsBefore).filter((c) => c.route === 'create')).toEqual([]);
  });

  test('Open case must be private: when Teams will not open the 1:1 chat, the DSL is told what to do and the record is shown nowhere', async () => {
    await setUpChannel();
    cardOf(await t.press('staff', 'personal', 'report.submit', validForm('form-3c')));
    const caseId = (await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 })))[0]!.id;
    await t.waitFor(() => channelCards().length > 0);
    t.connector.failWith(t.teamsIdOf('dsl'), 403);
    const answer = await t.press('dsl', 'channel', 'case.open', { caseId });
    expect(answer.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message' });
    expect(answer.body.value).toMatch(/personal chat/);
    expect(answer.body.value).toMatch(/press "Open case" again/);
    expect(JSON.stringify(answer.body)).not.toContain('Ottoline');
    const create = t.connector.calls.filter((c) => c.route === 'create' && JSON.stringify(c.body).includes(t.teamsIdOf('dsl')));
    expect(create.map((c) => c.status)).toEqual([403]);
    expect(t.connector.calls.some((c) => JSON.stringify(c.body ?? '').includes('Ottoline'))).toBe(false);
    expect(channelCards()[0]!.edits).toBe(0);
  });

  test('DSL actions from the card: note, steps, escalate, urgency, close', async () => {
    await t.send('staff', { type: 'installationUpdate', action: 'add' });
    cardOf(await t.press('staff', 'personal', 'report.submit', validForm('form-4')));
    const caseId = (await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 })))[0]!.id;
    const noted = await t.press('dsl', 'channel', 'case.add_note', { caseId, note: 'Spoke to the class teacher.' });
    expect(noted.body).toMatchObject({ type: CARD });
    const empty = await t.press('dsl', 'channel', 'case.add_note', { caseId, note: '  ' });
    expect(JSON.stringify(empty.body)).toContain('Write the note');
    const current = await getCase(t.service.deps, { actor: t.school.dsl, caseId });
    const firstStep = current.protocols[0]!;
    cardOf(await t.press('dsl', 'channel', 'case.tick_steps', { caseId, [`step:${firstStep.code}.${firstStep.steps[0]!.code}`]: 'true', [`step:${firstStep.code}.${firstStep.steps[1]!.code}`]: 'false' }));
    const escalated = cardOf(await t.press('dsl', 'channel', 'case.escalate', { caseId, agency: 'platform', agencyReference: 'SC-12345' }));
    expect(JSON.stringify(escalated)).toContain('Escalated');
    const badAgency = await t.press('dsl', 'channel', 'case.escalate', { caseId, agency: 'the-moon' });
    expect(JSON.stringify(badAgency.body)).toContain('Choose who');
    cardOf(await t.press('dsl', 'channel', 'case.change_urgency', { caseId, urgency: 'normal', urgencyReason: 'One message, no repeat' }));
    const closed = cardOf(await t.press('dsl', 'channel', 'case.close', { caseId, outcome: 'Platform removed the account; parents informed.' }));
    expect(verbsOf(closed)).toEqual(['case.open']);
    const after = await getCase(t.service.deps, { actor: t.school.dsl, caseId });
    expect(after.case).toMatchObject({ status: 'closed', urgency: 'normal' });
    expect(after.case.notes.map((n) => n.text)).toEqual(['Spoke to the class teacher.']);
    expect(after.case.protocolTicks.map((tick) => tick.step)).toEqual([`${firstStep.code}.${firstStep.steps[0]!.code}`]);
    expect(after.case.escalations[0]).toMatchObject({ agency: 'platform', reference: 'SC-12345' });
    await t.waitFor(() => personalMessages('staff').some((a) => JSON.stringify(a).includes('has been closed')));
  });

  test('"My reports" lists the reporter\'s own cases with status only', async () => {
    cardOf(await t.press('staff', 'personal', 'report.submit', validForm('form-5')));
    cardOf(await t.press('staff2', 'personal', 'report.submit', validForm('form-6')));
    const mine = JSON.stringify(cardOf(await t.press('staff', 'personal', 'reports.mine', {})));
    expect(mine).toContain('CASE-');
    expect(mine).not.toContain('Ottoline');
    expect(mine.match(/CASE-\d{4}-\d{4}/g)).toHaveLength(1);
  });

  test('reporting a Teams message: the form is prefilled, reports of one message join one case, the text is kept encrypted', async () => {
    await setUpChannel();
    const messagePayload = {
      id: '1700000000001',
      createdDateTime: '2026-11-23T07:45:00.000Z',
      linkToMessage: 'https://teams.microsoft.com/l/message/19:chat@thread.v2/1700000000001',
      body: { contentType: 'html', content: `<p>${SECRET}</p>` },
      from: { user: { displayName: 'Unknown Sender', id: 'x' } },
    };
    const fetched = await t.send('staff', { type: 'invoke', name: 'composeExtension/fetchTask', value: { commandId: 'reportMessage', commandContext: 'message', messagePayload } });
    expect(fetched.body.task.type).toBe('continue');
    const dialog = JSON.stringify(fetched.body.task.value.card.content);
    expect(dialog).toContain('Unknown Sender');
    expect(dialog).not.toContain('Ottoline');
    expect(dialog).not.toContain('Action.Execute');

    const submit = (who: 'staff' | 'staff2' | 'it', formId: string) =>
      t.send(who, { type: 'invoke', name: 'composeExtension/submitAction', value: { commandId: 'reportMessage', commandContext: 'message', messagePayload, data: { ...validForm(formId, { description: 'This message in the Year 6 chat' }), verb: 'report.submit' } } });
    const one = await submit('staff', 'm-1');
    expect(one.body.task.type).toBe('message');
    const reference = /CASE-\d{4}-\d{4}/.exec(one.body.task.value)![0];
    const two = await submit('staff2', 'm-2');
    expect(two.body.task.value).toContain(reference);
    const three = await submit('it', 'm-3');
    expect(three.body.task.value).toContain(reference);

    const cases = await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 }));
    expect(cases).toHaveLength(1);
    expect(cases[0]!.reporterCount).toBe(3);
    const stored = await getCase(t.service.deps, { actor: t.school.dsl, caseId: cases[0]!.id });
    expect(stored.case.source).toMatchObject({ kind: 'teams_message', url: messagePayload.linkToMessage, author: 'Unknown Sender', text: SECRET });
    expect(await t.db.dump('cases')).not.toContain('Ottoline');
    const final = await t.waitFor(() => channelCards()[0] && JSON.stringify(channelCards()[0]!.activity).includes('2 others') && channelCards()[0]);
    expect(JSON.stringify(final.activity)).not.toContain('Ottoline');
  });

  test('a restricted case goes to the headteacher 1:1; the channel only learns that it exists', async () => {
    await setUpChannel();
    await t.send('head', { type: 'installationUpdate', action: 'add' });
    const receipt = cardOf(await t.press('staff', 'personal', 'report.submit', validForm('form-7', { types: 'staff_allegation' })));
    const reference = /CASE-\d{4}-\d{4}/.exec(JSON.stringify(receipt))![0];
    const [notice] = await t.waitFor(() => channelCards().length > 0 && channelCards());
    const noticeText = JSON.stringify(notice!.activity);
    expect(noticeText).toContain(reference);
    expect(noticeText).toMatch(/restricted/i);
    expect(verbsOf((notice!.activity.attachments as any[])[0].content)).toEqual([]);
    const toHead = await t.waitFor(() => personalMessages('head').find((a) => JSON.stringify(a).includes(reference)));
    expect(verbsOf((toHead as any).attachments[0].content)).toEqual(expect.arrayContaining(['case.open', 'case.acknowledge']));
    expect(JSON.stringify(toHead)).not.toContain('Ottoline');
  });

  test('an urgent case nobody acknowledges is escalated 1:1 to the deputy and the head after the configured time', async () => {
    await setUpChannel();
    for (const who of ['deputy', 'head'] as const) await t.send(who, { type: 'installationUpdate', action: 'add' });
    const receipt = cardOf(await t.press('staff', 'personal', 'report.submit', validForm('form-8', { types: 'grooming' })));
    const reference = /CASE-\d{4}-\d{4}/.exec(JSON.stringify(receipt))![0];
    await t.waitFor(() => channelCards().length > 0);
    expect(personalMessages('deputy').some((a) => JSON.stringify(a).includes('not been picked up'))).toBe(false);
    t.clock.offsetMs = 16 * 60_000;
    for (const who of ['deputy', 'head'] as const) {
      const message = await t.waitFor(() => personalMessages(who).find((a) => JSON.stringify(a).includes('not been picked up')));
      expect(JSON.stringify(message)).toContain(reference);
    }
    const caseId = (await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 })))[0]!.id;
    // The fake connector has the message before DSL Desk records it was sent: wait for the record.
    const actions = await t.waitFor(async () => {
      const view = await getCase(t.service.deps, { actor: t.school.dsl, caseId });
      const seen = view.chronology.map((e) => e.action);
      return seen.filter((a) => a === 'case.notification_sent').length >= 2 && seen;
    });
    expect(actions).toContain('case.urgent_unacknowledged');
    expect(actions.filter((a) => a === 'case.notification_sent').length).toBeGreaterThanOrEqual(2);
  });

  test('Teams refusing with 403 is recorded on the case as not delivered and not retried; a 429 is retried', async () => {
    await setUpChannel();
    t.connector.failWith(t.channelConversation, 403);
    cardOf(await t.press('staff', 'personal', 'report.submit', validForm('form-9')));
    const caseId = (await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 })))[0]!.id;
    const failed = await t.waitFor(async () => {
      const view = await getCase(t.service.deps, { actor: t.school.dsl, caseId });
      return view.deliveries.find((d) => d.state === 'failed');
    });
    expect(failed.failure).toContain('no longer in that team');
    const attempts = t.connector.calls.filter((c) => c.conversationId === t.channelConversation && c.method === 'POST').length;
    expect(attempts).toBe(1);
    // Longer than the first retry delay could be (the dispatcher's base delay is one second).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(t.connector.calls.filter((c) => c.conversationId === t.channelConversation && c.method === 'POST').length).toBe(attempts);
    const outbox = await t.db.raw(`select status, last_error from outbox where kind = '${OUTBOX_KINDS.caseCreated}'`);
    expect(outbox[0]).toMatchObject({ status: 'failed' });

    // Teams busy: 429 with Retry-After, more times than the SDK's own retries absorb; the outbox retries later and the card arrives.
    t.connector.clearFailures();
    t.connector.reset();
    t.connector.failWith(t.channelConversation, 429, undefined, { times: 4, retryAfterSeconds: 1 });
    cardOf(await t.press('staff2', 'personal', 'report.submit', validForm('form-10')));
    const [card] = await t.waitFor(() => channelCards().length > 0 && channelCards(), 20_000);
    expect(JSON.stringify(card!.activity)).toContain('CASE-');
    const posts = t.connector.calls.filter((c) => c.conversationId === t.channelConversation && c.method === 'POST');
    expect(posts.filter((c) => c.status === 429)).toHaveLength(4);
    expect(posts.at(-1)!.status).toBeLessThan(300);
    // Every retry waited at least the second Teams asked for.
    for (let i = 1; i < posts.length; i += 1) expect(posts[i]!.at - posts[i - 1]!.at).toBeGreaterThanOrEqual(900);
  });

  test('an older client\'s button press in the channel never posts case details there', async () => {
    await setUpChannel();
    cardOf(await t.press('staff', 'personal', 'report.submit', validForm('form-11')));
    const caseId = (await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 })))[0]!.id;
    await t.waitFor(() => channelCards().length > 0);
    const thread = `${t.channelConversation};messageid=77`;
    const inChannel = { conversation: { id: thread, conversationType: 'channel', isGroup: true, tenantId: t.tenantId }, channelData: { tenant: { id: t.tenantId }, team: { id: '19:team@thread.tacv2' }, channel: { id: t.channelConversation } } };
    expect((await t.send('dsl', { ...inChannel, value: { verb: 'case.open', caseId } })).status).toBe(200);
    expect((await t.send('dsl', { ...inChannel, value: { verb: 'case.acknowledge', caseId } })).status).toBe(200);
    const replies = JSON.stringify(t.connector.activities(thread));
    expect(replies).not.toContain('Ottoline');
    expect(replies).not.toContain('AdaptiveCard');
    expect(replies).toContain('own view');
    // The acknowledgement itself took effect.
    expect((await t.service.deps.storage.read((r) => r.cases.getHeader(t.school.school.id, caseId)))?.status).toBe('acknowledged');
  });

  test('the message action answers in dialog shapes even when something is wrong, keeping what was typed', async () => {
    const stranger = { from: { id: '29:stranger', name: 'Someone Else', aadObjectId: '0e0e0e0e-0000-4000-8000-000000000001' }, conversation: { id: 'a:stranger', conversationType: 'personal', tenantId: '11111111-0000-4000-8000-000000000000' }, channelData: { tenant: { id: '11111111-0000-4000-8000-000000000000' } } };
    const fetched = await t.send('staff', { type: 'invoke', name: 'composeExtension/fetchTask', value: { commandId: 'reportMessage', commandContext: 'message', messagePayload: { id: '1' } }, ...stranger });
    expect(fetched.body.task).toMatchObject({ type: 'message' });
    expect(fetched.body.task.value).toContain('not set up in DSL Desk');
    const submitted = await t.send('staff', {
      type: 'invoke',
      name: 'composeExtension/submitAction',
      value: { commandId: 'reportMessage', commandContext: 'message', messagePayload: { id: '1' }, data: { ...validForm('x-1', { description: 'Typed in a hurry' }), verb: 'report.submit' } },
      ...stranger,
    });
    expect(submitted.body.task.type).toBe('continue');
    const form = JSON.stringify(submitted.body.task.value.card.content);
    expect(form).toContain('Typed in a hurry');
    expect(form).toContain('not set up in DSL Desk');
  });

  test('a reported email\'s card shows its verdict and signs; its buttons act for DSLs and explain what is missing', async () => {
    await setUpChannel();
    await t.send('staff', { type: 'installationUpdate', action: 'add' });
    const eml = readFileSync(join(__dirname, '../../samples/emails/headteacher-gift-cards.eml'));
    const receipt = await reportEmail(t.service.deps, { actor: t.school.staff, raw: eml, choice: 'phishing', channel: 'outlook' });
    const [posted] = await t.waitFor(() => channelCards().length > 0 && channelCards());
    const text = JSON.stringify(posted!.activity);
    expect(text).toContain('Likely phishing');
    expect(text).not.toContain('gift cards');
    const dslView = cardOf(await t.press('dsl', 'channel', 'case.refresh', { caseId: receipt.caseId }));
    expect(verbsOf(dslView)).toEqual(expect.arrayContaining(['email.remove', 'email.forward', 'email.forward_ncsc', 'email.decide_verdict', 'email.tell_reporters']));
    expect(verbsOf(cardOf(await t.press('staff2', 'channel', 'case.refresh', { caseId: receipt.caseId })))).not.toContain('email.remove');
    // The DSL decides the verdict: the analysis only suggests, so the reporters are not told until a DSL has.
    expect(JSON.stringify(dslView)).toContain('Likely phishing (suggested)');
    const early = await t.press('dsl', 'channel', 'email.tell_reporters', { caseId: receipt.caseId });
    expect(JSON.stringify(early.body)).toContain('Confirm or change the verdict');
    const decided = cardOf(await t.press('dsl', 'channel', 'email.decide_verdict', { caseId: receipt.caseId, verdict: 'likely_phishing', verdictReason: 'Not Harriet’s address' }));
    expect(JSON.stringify(decided)).toContain('Likely phishing (decided)');
    expect(JSON.stringify(decided)).not.toContain('Not Harriet');
    const told = await t.press('dsl', 'channel', 'email.tell_reporters', { caseId: receipt.caseId });
    expect(told.body.value).toBe('Told 1 reporter(s): Likely phishing.');
    const verdict = await t.waitFor(() => personalMessages('staff').find((a) => JSON.stringify(a).includes('was phishing')));
    expect(JSON.stringify(verdict)).toContain(receipt.reference);
    // "Open case" shows every signal with its evidence (defanged), checked like every other card.
    const detail = cardOf(await t.press('dsl', 'personal', 'case.open', { caseId: receipt.caseId }));
    const detailText = JSON.stringify(detail);
    expect(detailText).toContain('Reported email: Likely phishing');
    expect(detailText).toContain('gift cards');
    expect(detailText).toContain('203[.]0[.]113[.]45');
    expect(detailText).toContain('A link goes to a bare IP address (link ip address)');
    expect([...libraryProblems(detail), ...schemaProblems(detail), ...structuralProblems(detail)]).toEqual([]);
    // This deployment is not connected to the mailboxes: the DSL is told what IT must do, nothing breaks.
    const removal = await t.press('dsl', 'channel', 'email.remove', { caseId: receipt.caseId });
    expect(removal.body.value).toContain('not connected');
    const ncsc = await t.press('dsl', 'channel', 'email.forward_ncsc', { caseId: receipt.caseId });
    expect(ncsc.body.value).toContain('not connected');
  });

  test('the DSL decides the verdict: a verdict without a reason is refused on the card, and a changed verdict is what reporters hear', async () => {
    await setUpChannel();
    await t.send('staff', { type: 'installationUpdate', action: 'add' });
    const eml = readFileSync(join(__dirname, '../../samples/emails/headteacher-gift-cards.eml'));
    const receipt = await reportEmail(t.service.deps, { actor: t.school.staff, raw: eml, choice: 'phishing', channel: 'outlook' });
    await t.waitFor(() => channelCards().length > 0);
    const noReason = await t.press('dsl', 'channel', 'email.decide_verdict', { caseId: receipt.caseId, verdict: 'simulation', verdictReason: ' ' });
    expect(JSON.stringify(noReason.body)).toContain('Say why you confirm or change the verdict');
    const staffTries = await t.press('staff2', 'channel', 'email.decide_verdict', { caseId: receipt.caseId, verdict: 'no_threat_found', verdictReason: 'fine' });
    expect(JSON.stringify(staffTries.body)).not.toContain('(decided)');
    expect((await t.service.deps.storage.read((r) => r.emails.listForCase(t.school.school.id, receipt.caseId)))[0]!.decision).toBeUndefined();
    cardOf(await t.press('dsl', 'channel', 'email.decide_verdict', { caseId: receipt.caseId, verdict: 'simulation', verdictReason: 'The trust’s phishing exercise' }));
    const told = await t.press('dsl', 'channel', 'email.tell_reporters', { caseId: receipt.caseId });
    expect(told.body.value).toBe('Told 1 reporter(s): Our own phishing simulation.');
    const notice = await t.waitFor(() => personalMessages('staff').find((a) => JSON.stringify(a).includes('practice phishing email')));
    expect(JSON.stringify(notice)).toContain(receipt.reference);
    // The record shows who decided what, and the suggestion it replaced.
    const detail = JSON.stringify(cardOf(await t.press('dsl', 'personal', 'case.open', { caseId: receipt.caseId })));
    expect(detail).toContain('Our own phishing simulation (decided; the analysis suggested Likely phishing');
  });

  test('a first-time sender is linked to the imported person through Teams member details', async () => {
    // Someone imported by email, never seen in Teams: the bot asks the connector who they are.
    
    const added = await addPerson(t.service.deps, { actor: t.school.admin, schoolId: t.school.school.id, person: { displayName: 'Nina Newstarter', email: 'nina@oakfield.example.org', roles: ['staff'] } });
    const objectId = '0f0f0f0f-0000-4000-8000-00000000abcd';
    t.connector.setMembers('a:personal-nina', [{ id: '29:nina', name: 'Nina Newstarter', aadObjectId: objectId, email: 'Nina@oakfield.example.org', userPrincipalName: 'nina@oakfield.example.org', tenantId: t.tenantId }]);
    const answer = await t.send('staff', {
      text: 'my reports',
      from: { id: '29:nina', name: 'Nina Newstarter', aadObjectId: objectId },
      conversation: { id: 'a:personal-nina', conversationType: 'personal', tenantId: t.tenantId },
    });
    expect(answer.status).toBe(200);
    expect(JSON.stringify(t.connector.activities('a:personal-nina'))).toContain('You have not reported any concerns yet.');
    const linked = await t.service.deps.storage.read((r) => r.people.get(t.school.school.id, added.person.id));
    expect(linked?.entraObjectId).toBe(objectId);
    expect(t.connector.calls.some((c) => c.route === 'member')).toBe(true);
  });
});
