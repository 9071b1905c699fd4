import { enginesUnderTest } from '../support/test-storage.ts';
import { CHAT_ENDPOINT, startGoogleChatTestService, type GoogleChatTestService } from '../support/google-chat-test-service.ts';
import { expectValidCard } from '../support/google-card-shape.ts';
import { addPerson } from '../../src/app/people/add-person.ts';
import { OPERATOR } from '../../src/app/deps.ts';

jest.setTimeout(90_000);

const SECRET = 'Perpetua Vantongeren was sent a threatening voice note';

/** The inputs of a filled-in concern form, as Chat sends them. */
function concernInputs(overrides: Record<string, string[]> = {}): Record<string, string[]> {
  return {
    types: ['online_bullying'],
    description: [SECRET],
    involved: ['child: Perpetua Vantongeren (Year 5)'],
    location: ['inside_school'],
    ...overrides,
  };
}

/** Every card in a Chat response (messages, dialogs) or a message body. */
function cardsIn(value: unknown): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const object = node as Record<string, unknown>;
    if (Array.isArray(object.cardsV2)) for (const entry of object.cardsV2 as { card: Record<string, unknown> }[]) found.push(entry.card);
    if (object.pushCard) found.push(object.pushCard as Record<string, unknown>);
    if (object.updateCard) found.push(object.updateCard as Record<string, unknown>);
    for (const [key, child] of Object.entries(object)) if (key !== 'cardsV2' && key !== 'pushCard' && key !== 'updateCard') walk(child);
  };
  walk(value);
  return found;
}

function dialogCard(body: any): any {
  return body?.action?.navigations?.[0]?.pushCard ?? body?.action?.navigations?.[0]?.updateCard;
}

/** The parameters of the first button with this text anywhere in the card. */
function buttonParameters(card: unknown, text: string): Record<string, string> | undefined {
  let found: Record<string, string> | undefined;
  const walk = (node: unknown): void => {
    if (found || !node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const object = node as Record<string, any>;
    if (object.text === text && object.onClick?.action?.parameters) {
      found = Object.fromEntries((object.onClick.action.parameters as { key: string; value: string }[]).map((p) => [p.key, p.value]));
      return;
    }
    Object.values(object).forEach(walk);
  };
  walk(card);
  return found;
}

describe.each(enginesUnderTest())('Google Chat app on %s', (engine) => {
  let t: GoogleChatTestService;

  beforeAll(async () => {
    t = await startGoogleChatTestService(engine);
  });

  afterAll(async () => {
    await t?.close();
  });

  async function reportThroughDialog(from: 'staff' | 'staff2', inputs: Record<string, string[]>, space?: { name: string; spaceType: 'SPACE' }) {
    const opened = await t.click(from, 'report.start', {}, { dialog: 'REQUEST_DIALOG', ...(space ? { space } : {}) });
    const form = dialogCard(opened.body);
    const submit = form.fixedFooter.primaryButton.onClick.action;
    const parameters = Object.fromEntries((submit.parameters as { key: string; value: string }[]).map((p) => [p.key, p.value]));
    return { parameters, answer: await t.click(from, 'report.submit', { formId: parameters.formId! }, { dialog: 'SUBMIT_DIALOG', formInputs: inputs, ...(space ? { space } : {}) }) };
  }

  it('refuses requests Google did not sign for this deployment, with a reason and never the token', async () => {
    const other = await t.idp.mintGoogleToken({ sub: '1', aud: CHAT_ENDPOINT, email: 'service-999999999999@gcp-sa-gsuiteaddons.iam.gserviceaccount.com' });
    const wrongAudience = await t.idp.mintGoogleToken({ sub: '1', aud: 'https://elsewhere.example/api/google/chat', email: 'service-424242424242@gcp-sa-gsuiteaddons.iam.gserviceaccount.com' });
    const expired = await t.goodToken({ expiresInSeconds: -3600 });
    const legacy = await t.idp.mintLegacyChatToken({ aud: '424242424242' });
    for (const token of [other, wrongAudience, expired, legacy, null]) {
      const answer = await t.message('staff', 'help', { token });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('unauthenticated');
      expect(answer.body.message).toMatch(/refused this Google Chat request/);
      if (token) expect(JSON.stringify(answer.body)).not.toContain(token.split('.')[1]);
    }
    expect(t.chat.calls).toHaveLength(0);
  });

  it('answers bad input clearly and keeps serving', async () => {
    const response = await fetch(`${t.service.url}/api/google/chat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await t.goodToken()}` }, body: JSON.stringify({ hello: 'world' }) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/not a Google Chat event/);
    expect((await t.message('staff', 'help')).status).toBe(200);
  });

  it('tells someone from an unknown domain, kindly, that their organisation is not set up', async () => {
    const answer = await t.send({ name: 'users/999', email: 'someone@unknown-school.example.org' }, { messagePayload: { space: { name: 'spaces/dm-x', spaceType: 'DIRECT_MESSAGE' }, message: { text: 'report' } } });
    expect(answer.status).toBe(200);
    expect(answer.body.hostAppDataAction.chatDataAction.createMessageAction.message.text).toMatch(/organisation is not set up in DSL Desk/);
  });

  it('lets a DSL set up the space, and refuses anyone else', async () => {
    const refused = await t.message('staff', 'use this space for cases', { space: t.dslSpace });
    const refusedText = refused.body.hostAppDataAction.chatDataAction.createMessageAction.message;
    expect(refusedText.text).toMatch(/Only the DSL/);
    expect(refusedText.privateMessageViewer).toEqual({ name: t.userOf('staff') });
    const added = await t.send('dsl', { addedToSpacePayload: { space: t.dslSpace } });
    expect(cardsIn(added.body)).toHaveLength(1);
    const done = await t.message('dsl', 'use this space for cases', { space: t.dslSpace });
    expect(done.body.hostAppDataAction.chatDataAction.createMessageAction.message.text).toMatch(/New cases will be posted in this space/);
    // The deputy and head have used the app too (so they can be mentioned and messaged).
    for (const person of ['deputy', 'head'] as const) await t.message(person, 'help');
  });

  it('takes a report through the dialog: errors by field with the input kept, then one case for a double submit', async () => {
    const opened = await t.click('staff', 'report.start', {}, { dialog: 'REQUEST_DIALOG' });
    const form = dialogCard(opened.body);
    expectValidCard(form);
    expect(JSON.stringify(form)).toContain('call 999');
    const formId = buttonParameters(form, 'Send to the DSL')!.formId!;

    const invalid = await t.click('staff', 'report.submit', { formId }, { dialog: 'SUBMIT_DIALOG', formInputs: { description: [SECRET], occurredDate: ['31/02/2026'] } });
    const again = invalid.body.action.navigations[0].updateCard;
    expectValidCard(again);
    const text = JSON.stringify(again);
    expect(text).toContain('Some answers need another look');
    expect(text).toContain('Choose at least one incident type');
    expect(text).toContain(SECRET);
    expect(text).toContain('31/02/2026');

    const submit = () => t.click('staff', 'report.submit', { formId }, { dialog: 'SUBMIT_DIALOG', formInputs: concernInputs() });
    const [first, second] = await Promise.all([submit(), submit()]);
    for (const answer of [first, second]) {
      expect(answer.body.action.navigations[0].endNavigation.action).toBe('CLOSE_DIALOG');
      expect(answer.body.action.notification.text).toMatch(/has gone to the DSL/);
    }
    expect(first.body.action.notification.text).toBe(second.body.action.notification.text);
    const reports = await t.service.deps.storage.read((r) => r.cases.findForReporter(t.school.school.id, t.school.staff.personId, 10));
    expect(reports).toHaveLength(1);
    // The receipt card follows the answer: wait until both submits have posted theirs, then there is one.
    const receiptsIn = () => t.chat.inSpace(t.dmOf('staff').name).filter((m) => JSON.stringify(m.body).includes('Your concern has gone to the DSL'));
    await t.waitFor(() => t.chat.calls.filter((call) => call.op === 'create' && call.target === t.dmOf('staff').name).length >= 2);
    const receipts = receiptsIn();
    expect(receipts).toHaveLength(1);
    expectValidCard(receipts[0]!.body.cardsV2![0]!.card);
  });

  it('lists my reports with status only', async () => {
    const answer = await t.message('staff', 'my reports');
    const [card] = cardsIn(answer.body);
    expectValidCard(card!);
    const text = JSON.stringify(card);
    expect(text).toMatch(/CASE-\d{4}-\d{4}/);
    expect(text).toContain('Received: waiting for the DSL');
    expect(text).not.toContain(SECRET);
  });

  it('posts the case card to the DSL space with no concern text, and a DSL acknowledges it from the card', async () => {
    const posted = await t.waitFor(() => t.chat.inSpace(t.dslSpace.name)[0]);
    const card = posted.body.cardsV2![0]!.card;
    expectValidCard(card);
    expect(JSON.stringify(posted.body)).not.toContain(SECRET);
    expect(JSON.stringify(posted.body)).not.toContain('Perpetua');
    expect(JSON.stringify(card)).toContain('New: not picked up yet');
    expect(posted.body.text).toMatch(/^New \w+ case CASE-\d{4}-\d{4}$/);
    expect(posted.requestId).toMatch(/^dsl-desk-case-created-/);
    const { caseId } = buttonParameters(card, 'Acknowledge')!;

    // Someone who is not a DSL presses it: refused, privately, and the card stays as it was.
    const refused = await t.click('staff2', 'case.acknowledge', { caseId: caseId! }, { space: t.dslSpace, messageName: posted.name });
    expect(refused.body.hostAppDataAction.chatDataAction.createMessageAction.message.privateMessageViewer).toEqual({ name: t.userOf('staff2') });
    expect(refused.body.hostAppDataAction.chatDataAction.updateMessageAction).toBeUndefined();

    const acknowledged = await t.click('dsl', 'case.acknowledge', { caseId: caseId! }, { space: t.dslSpace, messageName: posted.name });
    const updated = acknowledged.body.hostAppDataAction.chatDataAction.updateMessageAction.message.cardsV2[0].card;
    expectValidCard(updated);
    expect(JSON.stringify(updated)).toContain('Acknowledged');
    expect(JSON.stringify(updated)).toContain('Picked up by');
    expect(JSON.stringify(updated)).not.toContain(SECRET);
    expect(buttonParameters(updated, 'Acknowledge')).toBeUndefined();
    // The text over the card follows the case too: no "New …" over a card that says it was picked up.
    const updatedText = acknowledged.body.hostAppDataAction.chatDataAction.updateMessageAction.message.text;
    expect(updatedText).toMatch(/^\w+ case CASE-\d{4}-\d{4}: Acknowledged$/);
    const record = await t.service.deps.storage.read((r) => r.chat.getCaseCard(t.school.school.id, caseId!, 'channel'));
    expect(record).toMatchObject({ platform: 'google_chat', activityId: posted.name, conversationId: t.dslSpace.name });

    // The reporter hears it in their DM, status only.
    t.chat.directMessages.set(t.userOf('staff'), t.dmOf('staff').name);
    const notice = await t.waitFor(() => t.chat.inSpace(t.dmOf('staff').name).find((m) => JSON.stringify(m.body).includes('has been picked up')));
    expectValidCard(notice.body.cardsV2![0]!.card);
    expect(JSON.stringify(notice.body)).not.toContain(SECRET);
  });

  it('opens the case record only for DSLs, in a dialog, and audits the read', async () => {
    const posted = t.chat.inSpace(t.dslSpace.name)[0]!;
    const { caseId } = buttonParameters(posted.body.cardsV2![0]!.card, 'Open case')!;
    const refused = await t.click('staff2', 'case.open', { caseId: caseId! }, { space: t.dslSpace, messageName: posted.name, dialog: 'REQUEST_DIALOG' });
    expect(JSON.stringify(refused.body)).not.toContain(SECRET);
    expect(JSON.stringify(refused.body)).toMatch(/not found/);
    const opened = await t.click('dsl', 'case.open', { caseId: caseId! }, { space: t.dslSpace, messageName: posted.name, dialog: 'REQUEST_DIALOG' });
    const record = dialogCard(opened.body);
    expectValidCard(record);
    expect(JSON.stringify(record)).toContain(SECRET);
    expect(opened.body.hostAppDataAction).toBeUndefined();
    const events = await t.service.deps.storage.read((r) => r.audit.listForCase(t.school.school.id, caseId!));
    expect(events.filter((e) => e.action === 'case.viewed' && e.actorId === t.school.dsl.personId)).toHaveLength(1);
  });

  it('assigns, notes and closes through dialogs; a form with an error comes back with what was typed', async () => {
    const posted = t.chat.inSpace(t.dslSpace.name)[0]!;
    const { caseId } = buttonParameters(posted.body.cardsV2![0]!.card, 'Open case')!;
    const at = { space: t.dslSpace, messageName: posted.name };
    const assigned = await t.click('dsl', 'case.assign_to_me', { caseId: caseId! }, at);
    expect(JSON.stringify(assigned.body.hostAppDataAction.chatDataAction.updateMessageAction.message)).toContain('Dana Lead');

    const noteForm = await t.click('dsl', 'case.form', { caseId: caseId!, form: 'note' }, { ...at, dialog: 'REQUEST_DIALOG' });
    expectValidCard(dialogCard(noteForm.body));
    const refusedForm = await t.click('staff2', 'case.form', { caseId: caseId!, form: 'note' }, { ...at, dialog: 'REQUEST_DIALOG' });
    expect(JSON.stringify(refusedForm.body)).not.toContain('Note for the case record');

    const emptyNote = await t.click('dsl', 'case.add_note', { caseId: caseId! }, { ...at, dialog: 'SUBMIT_DIALOG', formInputs: { note: ['  '] } });
    expect(JSON.stringify(dialogCard(emptyNote.body))).toContain('Write the note before saving it');
    const saved = await t.click('dsl', 'case.add_note', { caseId: caseId! }, { ...at, dialog: 'SUBMIT_DIALOG', formInputs: { note: ['Spoke to the class teacher'] } });
    expect(saved.body.action.navigations[0].endNavigation.action).toBe('CLOSE_DIALOG');

    const closeForm = await t.click('dsl', 'case.form', { caseId: caseId!, form: 'close' }, { ...at, dialog: 'REQUEST_DIALOG' });
    expectValidCard(dialogCard(closeForm.body));
    const closed = await t.click('dsl', 'case.close', { caseId: caseId! }, { ...at, dialog: 'SUBMIT_DIALOG', formInputs: { outcome: ['Parents met; resolved.'] } });
    expect(closed.body.action.navigations[0].endNavigation.action).toBe('CLOSE_DIALOG');
    // The shared card follows through the outbox, for everyone in the space.
    const refreshed = await t.waitFor(() => {
      const message = t.chat.messages.get(posted.name)!;
      return JSON.stringify(message.body).includes('"Closed"') ? message : undefined;
    });
    expectValidCard(refreshed.body.cardsV2![0]!.card);
    expect(JSON.stringify(refreshed.body)).not.toContain('Parents met');
    expect(buttonParameters(refreshed.body.cardsV2![0]!.card, 'Reopen')).toBeDefined();
    expect(refreshed.body.text).toMatch(/^\w+ case CASE-\d{4}-\d{4}: Closed$/);
    expect(t.chat.calls.some((call) => call.op === 'update' && call.target === posted.name)).toBe(true);
  });

  it('mentions the DSLs on an urgent case and, unacknowledged, messages the deputy and head in their DMs', async () => {
    for (const person of ['deputy', 'head'] as const) t.chat.directMessages.set(t.userOf(person), t.dmOf(person).name);
    // A second deputy has never written to the app, but the directory gave DSL Desk their Google account id.
    const deputyAccount = '424242424242424242424';
    await addPerson(t.service.deps, {
      actor: OPERATOR,
      schoolId: t.school.school.id,
      person: { email: 'second.deputy@oakfield.example.org', displayName: 'Second Deputy', roles: ['staff', 'deputy_dsl'], googleSubject: deputyAccount },
    });
    const { answer } = await reportThroughDialog('staff2', concernInputs({ childAtImmediateRisk: ['true'], description: ['A child said they are not safe at home tonight'] }));
    expect(answer.body.action.notification.text).toMatch(/has gone to the DSL/);
    const urgent = await t.waitFor(() => t.chat.inSpace(t.dslSpace.name).find((m) => m.body.text?.startsWith('Urgent case')));
    expect(urgent.body.text).toContain(`<${t.userOf('dsl')}>`);
    expect(urgent.body.text).toContain(`<users/${deputyAccount}>`);
    expect(JSON.stringify(urgent.body)).not.toContain('not safe at home');
    expectValidCard(urgent.body.cardsV2![0]!.card);
    t.clock.offsetMs = 20 * 60_000;
    try {
      for (const person of ['deputy', 'head'] as const) {
        const notice = await t.waitFor(() => t.chat.inSpace(t.dmOf(person).name).find((m) => JSON.stringify(m.body).includes('has not been picked up')));
        expectValidCard(notice.body.cardsV2![0]!.card);
        expect(JSON.stringify(notice.body)).not.toContain('not safe at home');
      }
    } finally {
      t.clock.offsetMs = 0;
    }
  });

  it('retries a card Chat refused with 429 through the outbox, without posting it twice', async () => {
    const before = t.chat.inSpace(t.dslSpace.name).length;
    // Reported from a dialog opened in a space: no receipt is posted there, so the next write is the case card.
    t.chat.failNextTo(t.dslSpace.name, 429);
    const { answer } = await reportThroughDialog('staff', concernInputs({ description: ['Unkind messages in a group chat'] }), { name: 'spaces/staffroom', spaceType: 'SPACE' });
    expect(answer.body.action.notification.text).toMatch(/has gone to the DSL/);
    await t.waitFor(() => t.chat.inSpace(t.dslSpace.name).length === before + 1, 60_000);
    expect(t.chat.calls.filter((call) => call.op === 'create' && call.target === t.dslSpace.name).length).toBeGreaterThan(before + 1);
    expect(t.chat.inSpace(t.dslSpace.name)).toHaveLength(before + 1);
  });

  it('posts the receipt in the DM even when Chat first asks to slow down', async () => {
    const dm = t.dmOf('staff2').name;
    const receiptsBefore = t.chat.inSpace(dm).filter((m) => JSON.stringify(m.body).includes('Your concern has gone to the DSL')).length;
    t.chat.failNextTo(dm, 429);
    const { answer } = await reportThroughDialog('staff2', concernInputs({ description: ['Unkind messages in a group chat'] }));
    const reference = /CASE-\d{4}-\d{4}/.exec(answer.body.action.notification.text)?.[0];
    expect(reference).toBeDefined();
    const receipt = await t.waitFor(() => t.chat.inSpace(dm).find((m) => JSON.stringify(m.body).includes(reference!)), 60_000);
    expect(JSON.stringify(receipt.body)).toContain('Your concern has gone to the DSL');
    expect(t.chat.inSpace(dm).filter((m) => JSON.stringify(m.body).includes('Your concern has gone to the DSL'))).toHaveLength(receiptsBefore + 1);
  });
});
