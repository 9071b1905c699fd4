import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyseReportedEmail } from '../../src/analysis/index.ts';
import { googleGmailEndpointUrl } from '../../src/domain/google-workspace.ts';
import { upnCheckLetter, type Pupil } from '../../src/domain/pupil.ts';
import type { GmailMessageReader } from '../../src/domain/ports.ts';
import { createGmailMessageReader } from '../../src/integrations/google/gmail-message-reader.ts';
import { startFakeGmailRest, type FakeGmailRest } from '../../scripts/workspace-client/fake-gmail-rest.ts';
import { validateChatResponse, validateGoogleCard } from '../support/card-v1-schema.ts';
import { ADDON_OAUTH_CLIENT_ID, PUBLIC_URL, SERVICE_AGENT, startGoogleChatTestService, type ChatPersonKey, type GoogleChatTestService } from '../support/google-chat-test-service.ts';
import { enginesUnderTest } from '../support/test-storage.ts';

jest.setTimeout(120_000);

const GMAIL_ENDPOINT = googleGmailEndpointUrl(PUBLIC_URL);
const GIFT_CARDS = readFileSync(join(__dirname, '..', '..', 'samples', 'emails', 'headteacher-gift-cards.eml'));
const NOTE = 'Sent to the whole of Year 5 team this morning';

/** A message with a real attachment, so the rebuilt message must carry it. */
function messageWithAttachment(messageId: string, subject = 'Photos from the trip'): Buffer {
  return Buffer.from([
    'From: "Trip Organiser" <organiser@travel-deals.example.net>',
    'To: staff@oakfield.example.org',
    `Subject: ${subject}`,
    `Message-ID: <${messageId}>`,
    'Date: Mon, 7 Dec 2026 08:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'See the attached list =E2=80=94 and log in at https://travel-deals.example.net/login',
    '--b1',
    'Content-Type: application/pdf; name="list.pdf"',
    'Content-Disposition: attachment; filename="list.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('%PDF-1.4\nthe trip list\n%%EOF\n').toString('base64'),
    '--b1--',
    '',
  ].join('\r\n'));
}

describe.each(enginesUnderTest())('Gmail add-on on %s', (engine) => {
  let t: GoogleChatTestService;
  let gmail: FakeGmailRest;
  /** When set, the next fetch waits for it (a slow Gmail). */
  let holdFetch: Promise<void> | undefined;

  beforeAll(async () => {
    gmail = await startFakeGmailRest();
    const real = createGmailMessageReader({ rootUrl: gmail.rootUrl });
    const reader: GmailMessageReader = {
      async fetchOpenMessage(request) {
        const held = holdFetch;
        holdFetch = undefined;
        if (held) await held;
        return real.fetchOpenMessage(request);
      },
    };
    t = await startGoogleChatTestService(engine, {
      env: { GOOGLE_GMAIL_API_ROOT_URL: gmail.rootUrl, EMAIL_REPORT_MAX_MB: '1' },
      overrides: { gmailReader: reader, gmailAnswerWithinMs: 1_500 },
    });
    // The DSL space for case cards.
    await t.send('dsl', { addedToSpacePayload: { space: t.dslSpace } });
    await t.message('dsl', 'use this space for cases', { space: t.dslSpace });
  });

  afterAll(async () => {
    await t?.close();
    await gmail?.close();
  });

  const subjectOf = (person: ChatPersonKey) => t.userOf(person).slice('users/'.length);

  interface EventOptions {
    messageId?: string;
    tokens?: { userOAuthToken: string; gmailAccessToken: string };
    parameters?: Record<string, string>;
    formInputs?: Record<string, string[]>;
    systemToken?: string | null;
    userIdToken?: string | null;
  }

  /** Posts a Gmail add-on event as Google would: the system token in Authorization, the user's ID token in the body. */
  async function gmailEvent(from: ChatPersonKey | { sub: string; email: string }, options: EventOptions = {}): Promise<{ status: number; body: any }> {
    const user = typeof from === 'string' ? { sub: subjectOf(from), email: t.emailOf(from) } : from;
    const userIdToken = options.userIdToken === undefined ? await t.idp.mintGoogleToken({ sub: user.sub, aud: ADDON_OAUTH_CLIENT_ID, email: user.email }) : options.userIdToken;
    const systemToken = options.systemToken === undefined ? await t.idp.mintGoogleToken({ sub: '100200300400500600700', aud: GMAIL_ENDPOINT, email: SERVICE_AGENT }) : options.systemToken;
    const body = {
      commonEventObject: {
        hostApp: 'GMAIL',
        platform: 'WEB',
        userLocale: 'en-GB',
        timeZone: { id: 'Europe/London', offset: 0 },
        ...(options.parameters ? { parameters: options.parameters } : {}),
        ...(options.formInputs ? { formInputs: Object.fromEntries(Object.entries(options.formInputs).map(([key, value]) => [key, { stringInputs: { value } }])) } : {}),
      },
      authorizationEventObject: {
        ...(options.tokens ? { userOAuthToken: options.tokens.userOAuthToken } : {}),
        ...(userIdToken ? { userIdToken } : {}),
        ...(systemToken ? { systemIdToken: systemToken } : {}),
      },
      ...(options.messageId ? { gmail: { messageId: options.messageId, threadId: options.messageId, ...(options.tokens ? { accessToken: options.tokens.gmailAccessToken } : {}) } } : {}),
    };
    const response = await fetch(`${t.service.url}/api/google/gmail`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(systemToken ? { authorization: `Bearer ${systemToken}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  /** A message in the person's mailbox, open in Gmail, and Report pressed with these inputs. */
  async function report(from: ChatPersonKey, raw: Buffer, formInputs: Record<string, string[]>, prepare?: (messageId: string, mailbox: string) => void) {
    const mailbox = t.emailOf(from);
    const message = gmail.addMessage(mailbox, raw);
    const tokens = gmail.addonTokens(mailbox, message.id);
    prepare?.(message.id, mailbox);
    const answer = await gmailEvent(from, { messageId: message.id, tokens, parameters: { action: 'report' }, formInputs });
    return { ...answer, messageId: message.id, tokens };
  }

  function cardOf(body: any): any {
    const navigation = body.action.navigations[0];
    return navigation.pushCard ?? navigation.updateCard;
  }

  /** Every answer is a RenderAction whose cards pass the Card v1 schema. */
  function expectValidAnswer(answer: { status: number; body: any }) {
    expect(answer.status).toBe(200);
    expect(validateChatResponse(answer.body)).toEqual([]);
    expect(validateGoogleCard(cardOf(answer.body))).toEqual([]);
  }

  const casesOf = (person: ChatPersonKey) => t.service.deps.storage.read((r) => r.cases.findForReporter(t.school.school.id, t.school[person].personId, 50));

  it('refuses requests Google did not sign for this deployment or this add-on, filing nothing', async () => {
    const message = gmail.addMessage(t.emailOf('staff'), GIFT_CARDS);
    const tokens = gmail.addonTokens(t.emailOf('staff'), message.id);
    const callsBefore = gmail.calls.length;
    const casesBefore = (await casesOf('staff')).length;
    const refusals: { name: string; options: EventOptions }[] = [
      { name: 'another add-on project', options: { systemToken: await t.idp.mintGoogleToken({ sub: '1', aud: GMAIL_ENDPOINT, email: 'service-999999999999@gcp-sa-gsuiteaddons.iam.gserviceaccount.com' }) } },
      { name: 'the Chat endpoint audience', options: { systemToken: await t.idp.mintGoogleToken({ sub: '1', aud: `${PUBLIC_URL}/api/google/chat`, email: SERVICE_AGENT }) } },
      { name: 'expired', options: { systemToken: await t.idp.mintGoogleToken({ sub: '1', aud: GMAIL_ENDPOINT, email: SERVICE_AGENT }, { expiresInSeconds: -3600 }) } },
      { name: 'no system token', options: { systemToken: null } },
      { name: 'unverified user email', options: { userIdToken: await t.idp.mintGoogleToken({ sub: subjectOf('staff'), aud: ADDON_OAUTH_CLIENT_ID, email: t.emailOf('staff'), email_verified: false }) } },
      { name: 'a user token for another client id', options: { userIdToken: await t.idp.mintGoogleToken({ sub: subjectOf('staff'), aud: 'another-addon.apps.googleusercontent.com', email: t.emailOf('staff') }) } },
      { name: 'an expired user token', options: { userIdToken: await t.idp.mintGoogleToken({ sub: subjectOf('staff'), aud: ADDON_OAUTH_CLIENT_ID, email: t.emailOf('staff') }, { expiresInSeconds: -3600 }) } },
      { name: 'no user token', options: { userIdToken: null } },
    ];
    for (const { name, options } of refusals) {
      const answer = await gmailEvent('staff', { messageId: message.id, tokens, parameters: { action: 'report' }, formInputs: { choice: ['phishing'] }, ...options });
      expect({ name, status: answer.status, error: answer.body.error }).toEqual({ name, status: 401, error: 'unauthenticated' });
      expect(answer.body.message).toMatch(/refused this Gmail add-on request/);
      for (const token of [options.systemToken, options.userIdToken]) if (token) expect(JSON.stringify(answer.body)).not.toContain(token.split('.')[1]);
    }
    expect(gmail.calls.length).toBe(callsBefore);
    expect(await casesOf('staff')).toHaveLength(casesBefore);
  });

  it('shows the homepage without a message, and the report form on an open message', async () => {
    const home = await gmailEvent('staff');
    expectValidAnswer(home);
    expect(home.body.action.navigations[0].pushCard).toBeDefined();
    const homeText = JSON.stringify(home.body);
    expect(homeText).toContain('open the message');
    expect(homeText).toContain('If a child is in immediate danger, call 999');

    const message = gmail.addMessage(t.emailOf('staff'), GIFT_CARDS);
    const form = await gmailEvent('staff', { messageId: message.id, tokens: gmail.addonTokens(t.emailOf('staff'), message.id) });
    expectValidAnswer(form);
    const card = form.body.action.navigations[0].pushCard;
    const text = JSON.stringify(card);
    for (const label of ['Phishing or suspicious', 'A safeguarding concern about a child', 'Inappropriate or upsetting content', 'What happens next', 'call 999']) expect(text).toContain(label);
    const widgets = card.sections.flatMap((section: any) => section.widgets);
    expect(widgets.find((widget: any) => widget.selectionInput)?.selectionInput).toMatchObject({ name: 'choice', type: 'RADIO_BUTTON' });
    expect(widgets.find((widget: any) => widget.textInput)?.textInput).toMatchObject({ name: 'note', type: 'MULTIPLE_LINE' });
    const buttons = widgets.flatMap((widget: any) => widget.buttonList?.buttons ?? []);
    expect(buttons.find((button: any) => button.text === 'Report').onClick.action).toEqual({ function: GMAIL_ENDPOINT, parameters: [{ key: 'action', value: 'report' }] });
    expect(buttons.find((button: any) => button.text === 'Find child').onClick.action).toEqual({ function: GMAIL_ENDPOINT, parameters: [{ key: 'action', value: 'find_child' }] });
    expect(widgets.find((widget: any) => widget.textInput?.name === 'childQuery')?.textInput).toMatchObject({ label: 'Child (optional)', type: 'SINGLE_LINE' });
  });

  it('asks for a choice by the field, keeping the note', async () => {
    const answer = await report('staff', GIFT_CARDS, { note: [NOTE] });
    expectValidAnswer(answer);
    const text = JSON.stringify(cardOf(answer.body));
    expect(text).toContain('Choose what this email is');
    expect(text).toContain(NOTE);
    expect(answer.body.action.notification.text).toMatch(/Choose/);
  });

  it('reports the open message: a case with the reference on the card, the .eml sealed, and the DSL card through the outbox', async () => {
    const answer = await report('staff', GIFT_CARDS, { choice: ['phishing'], note: [NOTE] });
    expectValidAnswer(answer);
    const card = cardOf(answer.body);
    const text = JSON.stringify(card);
    const reference = /CASE-\d{4}-\d{4}/.exec(text)?.[0];
    expect(reference).toBeDefined();
    expect(answer.body.action.notification.text).toBe(`Reported to your DSL team: ${reference}`);
    expect(text).toContain('DSL Desk cannot move or delete it for you');
    expect(text).toContain('<b>Delete</b>');

    const [filed] = await casesOf('staff');
    expect(filed).toMatchObject({ reference });
    const [email] = await t.service.deps.storage.read((r) => r.emails.listForCase(t.school.school.id, filed!.caseId));
    expect(email).toMatchObject({ contentKept: true, attachmentsWithheld: false });
    expect(email!.analysis).toMatchObject({ subject: 'Quick favour before assembly', messageId: '<20261123074200.sample-gift-cards@quickpost-relay.example.net>' });
    const content = await t.service.deps.storage.read((r) => r.emails.getContent(t.school.school.id, email!.id));
    expect(content?.equals(GIFT_CARDS)).toBe(true);
    // Read as the user with both tokens, raw.
    expect(gmail.calls.filter((call) => call.path.endsWith(`/messages/${answer.messageId}`))).toEqual([
      expect.objectContaining({ method: 'GET', query: expect.objectContaining({ format: 'raw' }), status: 200, mailbox: t.emailOf('staff') }),
    ]);

    const posted = await t.waitFor(() => t.chat.inSpace(t.dslSpace.name).find((message) => JSON.stringify(message.body).includes(reference!)));
    expect(validateGoogleCard(posted.body.cardsV2![0]!.card)).toEqual([]);
    expect(JSON.stringify(posted.body)).not.toContain(NOTE);
  });

  it('joins a second reporter of the message to the same case, and files a double press once', async () => {
    const [first] = await casesOf('staff');
    const second = await report('staff2', GIFT_CARDS, { choice: ['phishing'] });
    expectValidAnswer(second);
    expect(JSON.stringify(cardOf(second.body))).toContain(`joined case <b>${first!.reference}</b>`);
    const [joined] = await casesOf('staff2');
    expect(joined!.caseId).toBe(first!.caseId);

    // staff2 presses Report twice on one message (another copy): one report, the same reference both times.
    const message = gmail.addMessage(t.emailOf('staff2'), messageWithAttachment('double-press@travel-deals.example.net'));
    const tokens = gmail.addonTokens(t.emailOf('staff2'), message.id);
    const press = () => gmailEvent('staff2', { messageId: message.id, tokens, parameters: { action: 'report' }, formInputs: { choice: ['phishing'] } });
    const [a, b] = await Promise.all([press(), press()]);
    expectValidAnswer(a);
    expectValidAnswer(b);
    const references = [a, b].map((answer) => /CASE-\d{4}-\d{4}/.exec(JSON.stringify(cardOf(answer.body)))?.[0]);
    expect(references[0]).toBe(references[1]);
    const filedByStaff2 = (await casesOf('staff2')).filter((found) => found.reference === references[0]);
    expect(filedByStaff2).toHaveLength(1);
    expect([a, b].map((answer) => answer.body.action.notification.text.replace(/CASE-\d{4}-\d{4}/, 'REF')).sort()).toEqual(['Already reported: REF', 'Reported to your DSL team: REF']);
  });

  it('the DSL decides the verdict on the Chat card and tells every Gmail reporter, each in their own DM', async () => {
    const raw = messageWithAttachment('verdict-told@travel-deals.example.net', 'Your parcel is waiting');
    const first = await report('staff', raw, { choice: ['phishing'] });
    expectValidAnswer(first);
    expectValidAnswer(await report('staff2', raw, { choice: ['phishing'] }));
    const reference = /CASE-\d{4}-\d{4}/.exec(JSON.stringify(cardOf(first.body)))![0];
    const filed = (await casesOf('staff2')).find((found) => found.reference === reference)!;
    const posted = await t.waitFor(() => t.chat.inSpace(t.dslSpace.name).find((message) => JSON.stringify(message.body).includes(reference)));
    const at = { space: t.dslSpace, messageName: posted.name };

    // Telling before a DSL has decided is refused: the analysis only suggests.
    const early = await t.click('dsl', 'email.tell_reporters', { caseId: filed.caseId }, at);
    expect(JSON.stringify(early.body)).toContain('Confirm or change the verdict, with a reason');
    const decided = await t.click('dsl', 'email.decide_verdict', { caseId: filed.caseId }, { ...at, dialog: 'SUBMIT_DIALOG', formInputs: { verdict: ['likely_phishing'], verdictReason: ['Lookalike delivery firm, asks for card details'] } });
    expect(decided.body.action.navigations[0]).toEqual({ endNavigation: { action: 'CLOSE_DIALOG' } });
    // The school's admin installed the Chat app for everyone, so each reporter has a DM with it.
    for (const person of ['staff', 'staff2'] as const) t.chat.directMessages.set(t.userOf(person), t.dmOf(person).name);
    const told = await t.click('dsl', 'email.tell_reporters', { caseId: filed.caseId }, at);
    expect(told.body.hostAppDataAction.chatDataAction.createMessageAction.message.text).toBe('Told 2 reporter(s): Likely phishing.');
    for (const person of ['staff', 'staff2'] as const) {
      const notice = await t.waitFor(() => t.chat.inSpace(t.dmOf(person).name).find((message) => JSON.stringify(message.body).includes(reference) && /phishing/i.test(JSON.stringify(message.body))));
      // The reporter hears the verdict, never the DSL's reason.
      expect(JSON.stringify(notice.body)).not.toContain('Lookalike delivery firm');
    }
    const events = await t.service.deps.storage.read((r) => r.audit.listForCase(t.school.school.id, filed.caseId));
    expect(events.find((event) => event.action === 'case.reporters_told_verdict')?.detail).toMatchObject({ reporters: 2 });
  });

  it('keeps no attachments of a safeguarding report, and tells the reporter to keep the email for the DSL', async () => {
    const answer = await report('staff', messageWithAttachment('safeguarding-1@travel-deals.example.net'), { choice: ['safeguarding'], note: ['A pupil is named in this'] });
    expectValidAnswer(answer);
    const text = JSON.stringify(cardOf(answer.body));
    expect(text).toContain('Don’t forward, copy or delete it');
    const reference = /CASE-\d{4}-\d{4}/.exec(text)![0];
    const filed = (await casesOf('staff')).find((found) => found.reference === reference)!;
    const [email] = await t.service.deps.storage.read((r) => r.emails.listForCase(t.school.school.id, filed.caseId));
    expect(email).toMatchObject({ contentKept: false, attachmentsWithheld: true });
    expect(await t.service.deps.storage.read((r) => r.emails.getContent(t.school.school.id, email!.id))).toBeUndefined();
  });

  it('a safeguarding report names the child found with Find child: the case is linked to the pupil, and the card never shows a date of birth', async () => {
    const now = new Date().toISOString();
    const rest = `8814${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const pupil: Pupil = { id: randomUUID(), schoolId: t.school.school.id, upn: `${upnCheckLetter(rest)}${rest}`, legalForename: 'Gwenllian', legalSurname: 'Pryce', preferredForename: 'Gwen', dateOfBirth: '2015-09-14', yearGroup: '6', registrationGroup: '6P', createdAt: now, updatedAt: now };
    await t.service.deps.storage.transaction((tx) => tx.pupils.insert(pupil));
    const mailbox = t.emailOf('staff');
    const message = gmail.addMessage(mailbox, messageWithAttachment('child-1@travel-deals.example.net', 'About Gwen'));
    const tokens = gmail.addonTokens(mailbox, message.id);
    const inputs = { choice: ['safeguarding'], note: ['Gwen is named in this'], childQuery: ['gwen pr'] };

    const found = await gmailEvent('staff', { messageId: message.id, tokens, parameters: { action: 'find_child' }, formInputs: inputs });
    expectValidAnswer(found);
    const foundCard = cardOf(found.body);
    const list = foundCard.sections.flatMap((section: any) => section.widgets).find((widget: any) => widget.selectionInput?.name === 'childId').selectionInput;
    expect(list.items).toEqual([
      { text: 'Gwen Pryce, Year 6, 6P', value: pupil.id, selected: true },
      { text: 'None of these: send the name as I typed it', value: 'typed', selected: false },
    ]);
    const shown = JSON.stringify(foundCard);
    expect(shown).toContain('Gwen is named in this');
    for (const hidden of ['2015-09-14', '14/09/2015', pupil.upn, 'Gwenllian']) expect(shown).not.toContain(hidden);

    const nobody = await gmailEvent('staff', { messageId: message.id, tokens, parameters: { action: 'find_child' }, formInputs: { ...inputs, childQuery: ['Zebedee'] } });
    expect(JSON.stringify(cardOf(nobody.body))).toContain('No pupil matches that name');

    const reported = await gmailEvent('staff', { messageId: message.id, tokens, parameters: { action: 'report' }, formInputs: { ...inputs, childId: [pupil.id] } });
    expectValidAnswer(reported);
    const reference = /CASE-\d{4}-\d{4}/.exec(JSON.stringify(cardOf(reported.body)))![0];
    expect(JSON.stringify(cardOf(reported.body))).not.toContain('2015-09-14');
    const filed = (await casesOf('staff')).find((c) => c.reference === reference)!;
    const children = await t.service.deps.storage.read((r) => r.caseChildren.listForCase(t.school.school.id, filed.caseId));
    expect(children.map((child) => [child.pupilId, child.role])).toEqual([[pupil.id, 'subject']]);

    // A phishing report names no child, whatever the card's child fields still hold.
    const phishing = await report('staff', GIFT_CARDS, { choice: ['phishing'], childQuery: ['gwen'], childId: [pupil.id] });
    expectValidAnswer(phishing);
    const phishingCase = (await casesOf('staff')).find((c) => c.reference === /CASE-\d{4}-\d{4}/.exec(JSON.stringify(cardOf(phishing.body)))![0])!;
    expect(await t.service.deps.storage.read((r) => r.caseChildren.listForCase(t.school.school.id, phishingCase.caseId))).toEqual([]);
  });

  it('rebuilds the message from format=full when raw is refused, and the stored .eml analyses the same', async () => {
    const original = messageWithAttachment('rebuilt-1@travel-deals.example.net', 'Rebuilt from full');
    gmail.refuseRawFormat(true);
    let answer;
    try {
      answer = await report('staff', original, { choice: ['phishing'] });
    } finally {
      gmail.refuseRawFormat(false);
    }
    expectValidAnswer(answer);
    const reference = /CASE-\d{4}-\d{4}/.exec(JSON.stringify(cardOf(answer.body)))![0];
    expect(gmail.calls.filter((call) => call.path.includes(answer.messageId)).map((call) => [call.query.format ?? 'attachment', call.status])).toEqual([
      ['raw', 403],
      ['full', 200],
      ['attachment', 200],
    ]);
    const filed = (await casesOf('staff')).find((found) => found.reference === reference)!;
    const [email] = await t.service.deps.storage.read((r) => r.emails.listForCase(t.school.school.id, filed.caseId));
    const stored = (await t.service.deps.storage.read((r) => r.emails.getContent(t.school.school.id, email!.id)))!;
    const context = { schoolDomains: ['oakfield.example.org'], staffNames: [] };
    const [fromStored, fromOriginal] = await Promise.all([analyseReportedEmail(stored, context), analyseReportedEmail(original, context)]);
    const essentials = (analysis: typeof fromStored) => ({
      from: analysis.message.from,
      subject: analysis.message.subject,
      messageId: analysis.message.messageId,
      attachments: analysis.attachments.map((attachment) => ({ filename: attachment.filename, size: attachment.size, sha256: attachment.sha256 })),
    });
    expect(essentials(fromStored)).toEqual(essentials(fromOriginal));
    expect(email!.analysis.attachments).toEqual([expect.objectContaining({ filename: 'list.pdf', sha256: createHash('sha256').update('%PDF-1.4\nthe trip list\n%%EOF\n').digest('hex') })]);
    expect(email!.analysis.subject).toBe('Rebuilt from full');
  });

  it('explains each Gmail failure on the form, keeping the choice and the note, and files nothing', async () => {
    const cases: { name: string; prepare: (messageId: string, mailbox: string) => void; expected: RegExp }[] = [
      { name: 'too large', prepare: () => undefined, expected: /larger than the 1 MB/ },
      { name: '403', prepare: (id) => gmail.failNext({ path: new RegExp(`/messages/${id}$`) }, 403, 2), expected: /Gmail did not let DSL Desk read this message/ },
      { name: '404', prepare: (id) => gmail.failNext({ path: new RegExp(`/messages/${id}$`) }, 404), expected: /could not find this message any more/ },
      { name: '429', prepare: (id) => gmail.failNext({ path: new RegExp(`/messages/${id}$`) }, 429), expected: /Gmail is busy just now.*Try again in a minute/ },
      { name: '503', prepare: (id) => gmail.failNext({ path: new RegExp(`/messages/${id}$`) }, 503), expected: /Gmail could not be reached just now/ },
      { name: 'token expired mid-request', prepare: (_id, mailbox) => gmail.expireAddonTokens(mailbox), expected: /permission for DSL Desk to read this message ran out.*Open the message again and press Report again/ },
    ];
    const before = (await casesOf('it')).length;
    for (const failure of cases) {
      const raw = failure.name === 'too large'
        ? Buffer.concat([messageWithAttachment(`large@x.example`), Buffer.alloc(1024 * 1024 + 10, 0x41)])
        : messageWithAttachment(`failure-${failure.name.replaceAll(' ', '-')}@travel-deals.example.net`);
      const answer = await report('it', raw, { choice: ['inappropriate'], note: [NOTE] }, failure.prepare);
      expectValidAnswer(answer);
      const card = cardOf(answer.body);
      const text = JSON.stringify(card);
      expect({ name: failure.name, matches: failure.expected.test(text) }).toEqual({ name: failure.name, matches: true });
      expect(text).toContain(NOTE);
      const choice = card.sections.flatMap((section: any) => section.widgets).find((widget: any) => widget.selectionInput).selectionInput;
      expect(choice.items.find((item: any) => item.selected)?.value).toBe('inappropriate');
      expect(answer.body.action.notification.text).toBe('Not reported yet');
      expect(text).not.toMatch(/ya29\.|gmail-msg-|Requested entity|insufficient authentication/);
    }
    expect(await casesOf('it')).toHaveLength(before);
  });

  it('tells a user in no school who can fix it', async () => {
    const stranger = { sub: '109999999999999999999', email: 'visitor@unknown-school.example.org' };
    const message = gmail.addMessage(stranger.email, GIFT_CARDS);
    const tokens = gmail.addonTokens(stranger.email, message.id);
    const form = await gmailEvent(stranger, { messageId: message.id, tokens });
    expectValidAnswer(form);
    expect(JSON.stringify(form.body)).toMatch(/not set up in DSL Desk.*Ask your school/);
    const pressed = await gmailEvent(stranger, { messageId: message.id, tokens, parameters: { action: 'report' }, formInputs: { choice: ['phishing'] } });
    expectValidAnswer(pressed);
    expect(JSON.stringify(pressed.body)).toMatch(/not set up in DSL Desk/);
    expect(gmail.calls.some((call) => call.path.includes(message.id))).toBe(false);
  });

  it('answers a slow report with a card saying it is still being filed, and the next press shows it once', async () => {
    let release!: () => void;
    holdFetch = new Promise<void>((resolve) => {
      release = resolve;
    });
    const mailbox = t.emailOf('it');
    const message = gmail.addMessage(mailbox, messageWithAttachment('slow-1@travel-deals.example.net'));
    const tokens = gmail.addonTokens(mailbox, message.id);
    const press = () => gmailEvent('it', { messageId: message.id, tokens, parameters: { action: 'report' }, formInputs: { choice: ['phishing'], note: [NOTE] } });
    const slow = await press();
    expectValidAnswer(slow);
    expect(JSON.stringify(cardOf(slow.body))).toContain('still filing your report');
    expect(JSON.stringify(cardOf(slow.body))).toContain(NOTE);
    release();
    const filed = await t.waitFor(async () => (await casesOf('it')).length > 0 && (await casesOf('it')));
    const again = await press();
    expectValidAnswer(again);
    expect(JSON.stringify(cardOf(again.body))).toContain(`You had already reported this email: it is case <b>${filed[0]!.reference}</b>`);
    expect(await casesOf('it')).toHaveLength(1);
  });
});
