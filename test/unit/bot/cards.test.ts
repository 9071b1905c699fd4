import { CASE_STATUSES, type Case, type CaseStatus } from '../../../src/domain/case.ts';
import { ESCALATION_AGENCIES, INCIDENT_TYPES, protocolStepKeys, URGENCIES, type IncidentTypeCode, type Urgency } from '../../../src/domain/incident-types.ts';
import {
  CARD_VERSION,
  CASE_INPUTS,
  CASE_OPEN,
  CASE_REFRESH,
  CONCERN_FORM_INPUT_IDS,
  DSL_ACTION_VERBS,
  MAX_REFRESH_USER_IDS,
  REPORT_START,
  REPORT_SUBMIT,
  REPORTS_MINE,
  caseDetailViewFrom,
  channelCaseViewFrom,
  protocolStepsOf,
  renderCaseDetailCard,
  renderChannelCaseCard,
  renderChannelSetupCard,
  renderConcernForm,
  renderErrorCard,
  renderPupilChronologyCard,
  renderPupilPatternCard,
  renderMyReportsCard,
  renderNotificationCard,
  renderReceiptCard,
  renderRestrictedNoticeCard,
  renderWelcomeCard,
  restrictedNoticeViewFrom,
  tickedSteps,
  type CardJson,
  type ChannelCaseView,
  type ConcernFormValues,
} from '../../../bot/teams/cards/index.ts';
import { cardTemplate, CARD_HEADER } from '../../../bot/teams/cards/template.ts';
import { allNodes, inputById, inputsOn, libraryProblems, schemaProblems, structuralProblems, textsOn, verbsOn } from './fixtures/card-checks.ts';
import { at, caseWithMarkers, MARKERS, NAMES } from './fixtures/sample-cases.ts';

const ALL_TYPES = INCIDENT_TYPES.map((type) => type.code) as IncidentTypeCode[];

function channelView(overrides: Partial<ChannelCaseView> = {}): ChannelCaseView {
  return {
    caseId: 'case-7',
    reference: 'CASE-2026-0007',
    types: ['online_bullying', 'hate_material'],
    urgency: 'high',
    status: 'new',
    receivedAt: '2026-11-23T08:15:00Z',
    reporterName: 'Tess Teacher',
    reporterCount: 4,
    closed: false,
    forDsl: true,
    protocolSteps: protocolStepsOf({ types: ['online_bullying', 'hate_material'], protocolTicks: [{ step: 'online_bullying.evidence_kept', byId: 'p-dee', at: at(3) }] }),
    refreshUserIds: ['29:dee', '29:dan'],
    assignable: [
      { personId: 'p-dan', displayName: 'Dan Deputy', roleLabel: 'Deputy DSL' },
      { personId: 'p-dee', displayName: 'Dee Dsl', roleLabel: 'DSL' },
    ],
    ...overrides,
  };
}

const fullFormValues: ConcernFormValues = {
  types: 'online_bullying,other,filtering_failure',
  otherType: 'Fake account quiz',
  location: 'outside_school',
  occurredDate: '2026-11-22',
  occurredTime: '19:30',
  ongoing: 'true',
  involved: 'child: Sam Green (Year 5)\nstaff: Mr Patel',
  description: 'Unkind messages in the class group chat.',
  appsInvolved: 'WhatsApp, Snapchat',
  evidence: 'Screenshots on the child’s phone, which the parent has.',
  url: 'https://example.org/quiz',
  childAtImmediateRisk: 'false',
  subjectPersonId: '',
  childIds: '6f1c2d3e-0000-4000-8000-000000000001',
  otherChildIds: '',
  witnessChildIds: '6f1c2d3e-0000-4000-8000-000000000002,6f1c2d3e-0000-4000-8000-000000000003',
  childNames: 'Alex (new in Year 4)',
};

const everyFieldError = Object.fromEntries(CONCERN_FORM_INPUT_IDS.map((id) => [id, `Server says ${id} needs another look.`]));

function channelCombinations(): [string, ChannelCaseView][] {
  const combos: [string, ChannelCaseView][] = [];
  for (const status of CASE_STATUSES) {
    for (const forDsl of [true, false]) {
      for (const urgency of URGENCIES) {
        const acknowledged = status !== 'new';
        combos.push([
          `channel case card: ${status}, ${urgency}, ${forDsl ? 'DSL' : 'not DSL'}`,
          channelView({
            status,
            urgency,
            forDsl,
            closed: status === 'closed',
            ...(acknowledged
              ? {
                  acknowledgedByName: 'Dee Dsl',
                  assigneeName: 'Dan Deputy',
                  viewerIsAssignee: urgency === 'high',
                  escalations: [{ agency: 'police_ceop', hasReference: true }, { agency: 'childrens_social_care', hasReference: false }],
                  lastActivity: { label: 'Escalated', byName: 'Dee Dsl', at: at(30) },
                  ...(urgency === 'low' ? { assignable: [] } : {}),
                }
              : {}),
            ...(urgency === 'urgent' ? { deliveryWarning: 'Dan Deputy could not be messaged about this urgent case.' } : {}),
          }),
        ]);
      }
    }
  }
  return combos;
}

/** Every card the bot can send, rendered with realistic data in each of its shapes. */
function everyCard(): [string, CardJson][] {
  const statuses: CaseStatus[] = [...CASE_STATUSES];
  return [
    ['welcome', renderWelcomeCard()],
    ...[false, true].flatMap((urgent) =>
      [false, true].map((joinedExisting): [string, CardJson] => [
        `receipt: urgent ${urgent}, joined ${joinedExisting}`,
        renderReceiptCard({ reference: 'CASE-2026-0007', receivedAt: '2026-07-01T07:15:00Z', urgent, joinedExisting }),
      ]),
    ),
    ['my reports: empty', renderMyReportsCard({ reports: [] })],
    [
      'my reports: every status',
      renderMyReportsCard({ reports: statuses.map((status, index) => ({ reference: `CASE-2026-000${index + 1}`, status, reportedAt: at(index), updatedAt: at(index + 30) })) }),
    ],
    ['concern form: empty', renderConcernForm({ formId: 'form-1', values: {}, errors: {} })],
    [
      'concern form: filled in, every input with an error, reporting a message',
      renderConcernForm({
        formId: 'form-2',
        values: fullFormValues,
        errors: { ...everyFieldError, _form: 'Something that is not about one input.' },
        formMessage: 'Some answers need another look. What you typed is still here.',
        prefill: { sourceToken: 'token-1', senderName: 'Pat Pupil', sentAt: '2026-11-22T19:31:00Z', link: 'https://teams.microsoft.com/l/message/19:abc/1700000000000' },
      }),
    ],
    ['concern form: reporting a message without sender or link', renderConcernForm({ formId: 'form-3', values: {}, errors: {}, prefill: { sourceToken: 'token-2' } })],
    ...channelCombinations().map(([name, view]): [string, CardJson] => [name, renderChannelCaseCard(view)]),
    ['channel case card: no checklist', renderChannelCaseCard(channelView({ protocolSteps: [] }))],
    ['restricted notice', renderRestrictedNoticeCard({ reference: 'CASE-2026-0008', receivedAt: '2026-11-23T08:15:00Z' })],
    ['case detail: full record', renderCaseDetailCard(caseDetailViewFrom(caseWithMarkers('closed'), NAMES))],
    ['case detail: new and restricted', renderCaseDetailCard(caseDetailViewFrom({ ...caseWithMarkers('new'), restricted: true, source: { kind: 'form', ref: 'f-1' } }, NAMES))],
    ['notification: plain', renderNotificationCard({ title: 'Your report was picked up', lines: ['The DSL has picked up your report.', ''], reference: 'CASE-2026-0007' })],
    [
      'notification: with case actions',
      renderNotificationCard({
        title: 'Restricted case for you',
        lines: ['A restricted case has been reported.', 'Only you and the DSL can see it.'],
        reference: 'CASE-2026-0008',
        openCaseId: 'case-8',
        caseActions: [
          { title: 'Acknowledge', verb: 'case.acknowledge' },
          { title: 'Assign to me', verb: 'case.assign_to_me' },
        ],
      }),
    ],
    ['channel setup: ok', renderChannelSetupCard({ ok: true, message: 'New cases will be posted in this channel.' })],
    ['channel setup: refused', renderChannelSetupCard({ ok: false, message: 'Only a DSL can choose the cases channel.' })],
    ['error', renderErrorCard('That case was not found.')],
    [
      'concern form: the sandbox’s listed pupils, one picked',
      renderConcernForm({
        formId: 'form-4',
        values: { childIds: 'p-1' },
        errors: {},
        childChoices: [
          { title: 'Sam Green (Year 5, 5G)', value: 'p-1' },
          { title: 'Ali Khan (Year 5, 5G)', value: 'p-2' },
        ],
        listChildren: true,
      }),
    ],
    [
      'case detail: children and protection status',
      renderCaseDetailCard({
        ...caseDetailViewFrom(caseWithMarkers('new'), NAMES),
        children: [
          { name: 'Sam Green (Year 5, 5G)', role: 'The child the concern is about' },
          { name: 'Alex', role: 'Another child involved', flag: 'Typed by the reporter, not yet linked to a pupil: link it to the register' },
        ],
        protectionStatuses: ['Sam Green: Child protection plan since 2026-09-01'],
      }),
    ],
    ['channel case card: a DSL’s own view with children', renderChannelCaseCard(channelView({ forDsl: true, pupils: { children: 2, toLink: 1, protectionStatuses: ['Looked after'] } }))],
    ['pupil pattern: new', renderPupilPatternCard({ alertId: 'a-1', pupilId: 'p-1', reason: '3 concerns in 60 days', references: 'CASE-2026-0001, CASE-2026-0002, 1 restricted case' })],
    [
      'pupil pattern: acknowledged',
      renderPupilPatternCard({ alertId: 'a-1', pupilId: 'p-1', reason: 'A concern of a type the school watches', references: 'CASE-2026-0003', acknowledgement: 'Acknowledged by Dee Dsl, Mon, 23 Nov 2026, 08:20' }),
    ],
    [
      'pupil chronology: cases, notes, a status and a hidden case',
      renderPupilChronologyCard({
        title: 'Chronology: Sam Green',
        subtitle: 'Year 5, 5G',
        statuses: ['Child in need since 2026-09-01'],
        cases: [
          { heading: 'CASE-2026-0001, Fri, 20 Nov 2026, 09:00', lines: ['Online bullying or harassment. High, Closed.', 'This child: a witness.'], notes: [{ text: 'Called home.', by: 'Dee Dsl, Fri, 20 Nov 2026, 12:00' }] },
          { heading: 'CASE-2026-0002, Sat, 21 Nov 2026, 10:00', lines: ['Other. Normal, New: not picked up yet.'], notes: [] },
        ],
        hidden: '1 restricted case about this pupil you may not open.',
      }),
    ],
    ['pupil chronology: no cases', renderPupilChronologyCard({ title: 'Chronology: Ali Khan', subtitle: 'On roll', statuses: [], cases: [] })],
  ];
}

describe('every card', () => {
  const cards = everyCard();

  it.each(cards)('%s: declares Adaptive Cards 1.5', (_name, card) => {
    expect(card.type).toBe('AdaptiveCard');
    expect(card.version).toBe(CARD_VERSION);
    expect(card.version).toBe('1.5');
    expect(card.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
  });

  it.each(cards)('%s: the Adaptive Cards library reads it as 1.5 with no warning or error', (_name, card) => {
    expect(libraryProblems(card)).toEqual([]);
  });

  it.each(cards)('%s: conforms to the strict 1.5 subset schema', (_name, card) => {
    expect(schemaProblems(card)).toEqual([]);
  });

  it.each(cards)('%s: unique input ids, no template leftovers, every button has its fallback', (_name, card) => {
    expect(structuralProblems(card)).toEqual([]);
  });

  it.each(cards)('%s: is plain JSON', (_name, card) => {
    expect(JSON.parse(JSON.stringify(card))).toEqual(card);
  });
});

describe('the checks themselves', () => {
  it('the library reports an element type it does not know', () => {
    expect(libraryProblems({ ...CARD_HEADER, body: [{ type: 'Input.Slider', id: 'x' }] }).join()).toContain('Input.Slider');
  });

  it('the library reports a required input with no label', () => {
    expect(libraryProblems({ ...CARD_HEADER, body: [{ type: 'Input.Text', id: 'x', isRequired: true, errorMessage: 'Fill it in.' }] }).join()).toMatch(/label/i);
  });

  it('the schema rejects a misspelt property and a value outside the spec', () => {
    expect(schemaProblems({ ...CARD_HEADER, body: [{ type: 'Input.ChoiceSet', id: 'x', isMultiselect: true, choices: [] }] }).join()).toContain('isMultiselect');
    expect(schemaProblems({ ...CARD_HEADER, body: [{ type: 'TextBlock', text: 'x', color: 'red' }] })).not.toEqual([]);
  });

  it('the structural check finds duplicate ids and a button without fallback', () => {
    const card = { ...CARD_HEADER, body: [{ type: 'Input.Text', id: 'a' }, { type: 'Input.Text', id: 'a' }], actions: [{ type: 'Action.Execute', verb: 'x', data: {} }] };
    expect(structuralProblems(card)).toEqual(['duplicate input ids: a', 'Action.Execute "x" has no Action.Submit fallback']);
  });
});

describe('card templates', () => {
  it('refuse to render when the data lacks a field the template names', () => {
    const broken = cardTemplate<{ present: string }>('broken', { ...CARD_HEADER, body: [{ type: 'TextBlock', text: '${present} ${absent}' }] });
    expect(() => broken({ present: 'here' })).toThrow(/absent/);
  });

  it('insert text as text: bindings typed by a person are not evaluated', () => {
    const card = renderErrorCard('Nothing happened ${description} ${$root.caseId} `x`');
    expect(textsOn(card)).toContain('Nothing happened ${description} ${$root.caseId} `x`');
  });
});

describe('welcome card', () => {
  const card = renderWelcomeCard();

  it('says what the bot is for and who sees reports', () => {
    const text = textsOn(card).join(' ');
    expect(text).toMatch(/Designated Safeguarding Lead/);
    expect(text).toMatch(/Only the DSL team sees what you report/);
    expect(text).toMatch(/999/);
  });

  it('offers "Report a concern" and "My reports"', () => {
    expect(verbsOn(card)).toEqual([REPORT_START, REPORTS_MINE]);
    const titles = allNodes(card).filter((node) => node.type === 'Action.Execute').map((node) => node.title);
    expect(titles).toEqual(['Report a concern', 'My reports']);
  });
});

describe('concern form', () => {
  it('has exactly the form inputs, with the ids the reader expects', () => {
    const card = renderConcernForm({ formId: 'form-1', values: {}, errors: {} });
    expect(inputsOn(card).map((input) => input.id)).toEqual([...CONCERN_FORM_INPUT_IDS]);
  });

  it('offers every incident type once, by its label, as a compact multi-select', () => {
    const types = inputById(renderConcernForm({ formId: 'f', values: {}, errors: {} }), 'types');
    expect(types).toMatchObject({ type: 'Input.ChoiceSet', isMultiSelect: true, style: 'compact', isRequired: true });
    const choices = types?.choices as { title: string; value: string }[];
    expect(choices.map((choice) => choice.value).sort()).toEqual(INCIDENT_TYPES.map((type) => type.code).sort());
    for (const type of INCIDENT_TYPES) expect(choices.find((choice) => choice.value === type.code)?.title.endsWith(type.label)).toBe(true);
  });

  describe('the most urgent choice comes first', () => {
    const form = () => renderConcernForm({ formId: 'f', values: {}, errors: {} });
    const titles = () => (inputById(form(), 'types')?.choices as { title: string; value: string }[]);

    it('the most urgent choice comes first: the 999 line and the "child at immediate risk" toggle are the first things after the heading', () => {
      const body = form().body as Record<string, unknown>[];
      const urgent = body.findIndex((node) => JSON.stringify(node).includes('"childAtImmediateRisk"'));
      const typesAt = body.findIndex((node) => node.id === 'types');
      expect(urgent).toBeGreaterThan(-1);
      expect(urgent).toBeLessThan(typesAt);
      // Nothing but the heading, the one-line introduction (and a form message, when there is one) comes before it.
      expect(body.slice(0, urgent).filter((node) => node.$when === undefined && node.type !== 'TextBlock')).toEqual([]);
      expect(JSON.stringify(body[urgent])).toMatch(/call 999 first/);
      expect(inputsOn(form())[0]?.id).toBe('childAtImmediateRisk');
    });

    it('the most urgent choice comes first: incident types are grouped (contact, content, conduct, commerce, school systems), "Other" last', () => {
      const list = titles();
      const groupOf = (title: string) => (/^(Contact|Content|Conduct|Commerce|School systems): /.exec(title)?.[1] ?? 'Other');
      const order = list.map((choice) => groupOf(choice.title)).filter((group, index, all) => all.indexOf(group) === index);
      expect(order).toEqual(['Contact', 'Content', 'Conduct', 'Commerce', 'School systems', 'Other']);
      // Each group is one run: no group reappears after another has started.
      const runs = list.map((choice) => groupOf(choice.title)).filter((group, index, all) => index === 0 || all[index - 1] !== group);
      expect(runs).toEqual(order);
      expect(list.at(-1)?.value).toBe('other');
      expect(list[0]?.value).toBe('grooming');
    });

    it('the most urgent choice comes first: "Allegation about a member of staff" is near the top and before "Other"', () => {
      const values = titles().map((choice) => choice.value);
      const allegation = values.indexOf('staff_allegation');
      expect(allegation).toBeGreaterThan(-1);
      expect(allegation).toBeLessThan(3);
      expect(allegation).toBeLessThan(values.indexOf('other'));
      expect(allegation).toBeLessThan(values.indexOf('other_aup_breach'));
      expect(titles()[allegation]?.title).toMatch(/^Contact: Allegation about a member of staff/);
    });

    it('the most urgent choice comes first: every urgent type is offered in the first half of the list', () => {
      const values = titles().map((choice) => choice.value);
      for (const type of INCIDENT_TYPES.filter((t) => t.defaultUrgency === 'urgent')) expect(values.indexOf(type.code)).toBeLessThan(values.length / 2);
    });
  });

  it('uses the right input for each answer', () => {
    const card = renderConcernForm({ formId: 'f', values: {}, errors: {} });
    expect(inputById(card, 'location')?.choices).toEqual([
      { title: 'In school', value: 'inside_school' },
      { title: 'Outside school', value: 'outside_school' },
      { title: 'Not known', value: 'unknown' },
    ]);
    expect(inputById(card, 'occurredDate')?.type).toBe('Input.Date');
    expect(inputById(card, 'occurredTime')?.type).toBe('Input.Time');
    expect(inputById(card, 'ongoing')?.type).toBe('Input.Toggle');
    expect(inputById(card, 'involved')).toMatchObject({ type: 'Input.Text', isMultiline: true });
    expect(String(inputById(card, 'involved')?.placeholder)).toMatch(/one person per line/i);
    expect(inputById(card, 'description')).toMatchObject({ type: 'Input.Text', isMultiline: true, isRequired: true });
    expect(inputById(card, 'evidence')).toMatchObject({ type: 'Input.Text', isMultiline: true });
  });

  it('gives every input a label (or a toggle title) and every required input an error message', () => {
    for (const input of inputsOn(renderConcernForm({ formId: 'f', values: {}, errors: {} }))) {
      expect(input.label ?? input.title).toEqual(expect.any(String));
      if (input.isRequired) expect(input.errorMessage).toEqual(expect.any(String));
    }
  });

  it('tells people to call 999 first, and that the risk toggle marks the case urgent', () => {
    const toggle = inputById(renderConcernForm({ formId: 'f', values: {}, errors: {} }), 'childAtImmediateRisk');
    expect(toggle?.type).toBe('Input.Toggle');
    const around = (renderConcernForm({ formId: 'f', values: {}, errors: {} }).body as Record<string, unknown>[]).find((node) => JSON.stringify(node).includes('"childAtImmediateRisk"'));
    expect(JSON.stringify(around)).toMatch(/call 999 first/);
    expect(String(toggle?.label)).toMatch(/urgent/);
  });

  it('asks for a description of evidence, with the image warning above the evidence input', () => {
    const card = renderConcernForm({ formId: 'f', values: {}, errors: {} });
    const body = card.body as Record<string, unknown>[];
    const evidenceAt = body.findIndex((node) => node.id === 'evidence');
    const before = JSON.stringify(body.slice(evidenceAt - 3, evidenceAt));
    expect(before).toMatch(/describe it, do not attach it/i);
    expect(before).toMatch(/never view, copy, print, save or forward the image/);
    expect(before).toMatch(/Tell the DSL at once/);
    const warning = body.slice(0, evidenceAt).reverse().find((node) => node.type === 'Container');
    expect(warning?.style).toBe('attention');
  });

  it('shows what was typed back in each input', () => {
    const card = renderConcernForm({ formId: 'f', values: fullFormValues, errors: {} });
    for (const id of CONCERN_FORM_INPUT_IDS) expect(inputById(card, id)?.value).toBe(fullFormValues[id]);
  });

  it('shows each server error in red right under its input', () => {
    const card = renderConcernForm({ formId: 'f', values: {}, errors: everyFieldError });
    // The list an input sits in: the card's body, or the items of a container (the urgent toggle's).
    const lists = [card.body as Record<string, unknown>[], ...allNodes(card).flatMap((node) => (Array.isArray(node.items) ? [node.items as Record<string, unknown>[]] : []))];
    for (const id of CONCERN_FORM_INPUT_IDS) {
      const body = lists.find((list) => list.some((node) => node.id === id))!;
      const index = body.findIndex((node) => node.id === id);
      expect(body[index + 1]).toMatchObject({ type: 'TextBlock', color: 'attention', text: `Server says ${id} needs another look.` });
    }
  });

  it('shows no error text where there is no error', () => {
    const card = renderConcernForm({ formId: 'f', values: {}, errors: { description: 'Describe what happened.' } });
    const attention = allNodes(card).filter((node) => node.type === 'TextBlock' && node.color === 'attention');
    expect(attention.map((node) => node.text)).toEqual(['Describe what happened.']);
  });

  it('shows the form message and errors that belong to no input at the top', () => {
    const card = renderConcernForm({ formId: 'f', values: {}, errors: { _form: 'Choose a member of staff.' }, formMessage: 'Some answers need another look.' });
    expect(textsOn(card)).toContain('Some answers need another look. Choose a member of staff.');
  });

  it('submits with report.submit, the form id and every input', () => {
    const [submit] = card_actions(renderConcernForm({ formId: 'form-9', values: {}, errors: {} }));
    expect(submit).toMatchObject({ type: 'Action.Execute', verb: REPORT_SUBMIT, data: { formId: 'form-9' }, associatedInputs: 'auto' });
    expect(submit?.fallback).toMatchObject({ type: 'Action.Submit', data: { verb: REPORT_SUBMIT, formId: 'form-9' }, associatedInputs: 'auto' });
  });

  it('names a reported message and links to it, and sends its token, but never quotes it', () => {
    const card = renderConcernForm({
      formId: 'form-10',
      values: {},
      errors: {},
      prefill: { sourceToken: 'token-1', senderName: 'Pat Pupil', sentAt: '2026-07-01T18:05:00Z', link: 'https://teams.microsoft.com/l/message/19:abc/1' },
    });
    expect(textsOn(card).some((text) => /^Reporting a message from Pat Pupil sent .*1 Jul 2026, 19:05/.test(text))).toBe(true);
    expect(allNodes(card).find((node) => node.type === 'Action.OpenUrl')?.url).toBe('https://teams.microsoft.com/l/message/19:abc/1');
    expect(card_actions(card)[0]?.data).toEqual({ formId: 'form-10', sourceToken: 'token-1' });
  });

  it('offers no link that is not https', () => {
    const card = renderConcernForm({ formId: 'f', values: {}, errors: {}, prefill: { sourceToken: 't', link: 'javascript:alert(1)' } });
    expect(allNodes(card).some((node) => node.type === 'Action.OpenUrl')).toBe(false);
    expect(textsOn(card)).toContain('Reporting a message. The message goes with your report, so you do not need to copy it here.');
  });

  it('has no reported-message block for an ordinary report', () => {
    const card = renderConcernForm({ formId: 'f', values: {}, errors: {} });
    expect(JSON.stringify(card)).not.toContain('Reporting a message');
    expect(card_actions(card)[0]?.data).toEqual({ formId: 'f' });
  });
});

function card_actions(card: CardJson): Record<string, unknown>[] {
  return (card.actions ?? []) as Record<string, unknown>[];
}

describe('receipt card', () => {
  it('gives the reference and what happens next', () => {
    const card = renderReceiptCard({ reference: 'CASE-2026-0007', receivedAt: '2026-11-23T08:15:00Z', urgent: false, joinedExisting: false });
    const json = JSON.stringify(card);
    expect(json).toContain('CASE-2026-0007');
    expect(json).toMatch(/The DSL team will look at it/);
    expect(json).toMatch(/message here when it is picked up, and when it is closed/);
    expect(json).not.toMatch(/999 now/);
    expect(json).not.toMatch(/already reported/);
  });

  it('for an urgent report, says to call 999 if a child is in immediate danger', () => {
    const json = JSON.stringify(renderReceiptCard({ reference: 'R', receivedAt: at(0), urgent: true, joinedExisting: false }));
    expect(json).toMatch(/If a child is in immediate danger, call 999/);
  });

  it('says when the report joined an existing case', () => {
    expect(JSON.stringify(renderReceiptCard({ reference: 'R', receivedAt: at(0), urgent: false, joinedExisting: true }))).toMatch(/already reported this/);
  });
});

describe('my reports card', () => {
  it('shows each report with a friendly status and no details', () => {
    const card = renderMyReportsCard({
      reports: [
        { reference: 'CASE-2026-0001', status: 'new', reportedAt: at(0), updatedAt: at(0) },
        { reference: 'CASE-2026-0002', status: 'escalated', reportedAt: at(1), updatedAt: at(9) },
        { reference: 'CASE-2026-0003', status: 'closed', reportedAt: at(2), updatedAt: at(99) },
      ],
    });
    const texts = textsOn(card);
    expect(texts).toEqual(expect.arrayContaining(['CASE-2026-0001', 'Received: waiting for the DSL', 'CASE-2026-0002', 'Being dealt with', 'CASE-2026-0003', 'Closed']));
    expect(texts.join(' ')).not.toMatch(/escalated|in_progress/i);
    expect(verbsOn(card)).toEqual([REPORT_START]);
  });

  it('has an empty state', () => {
    expect(textsOn(renderMyReportsCard({ reports: [] }))).toContain('You have not reported any concerns yet.');
  });
});

describe('channel case card', () => {
  it('shows the reference, type labels, urgency, time received, reporters and status', () => {
    const card = renderChannelCaseCard(channelView({ status: 'in_progress', acknowledgedByName: 'Dee Dsl', assigneeName: 'Dan Deputy' }));
    const texts = textsOn(card);
    expect(texts).toEqual(expect.arrayContaining(['CASE-2026-0007', 'Online bullying or harassment', 'Racist, sexist, homophobic, religious or other hate material']));
    const facts = (allNodes(card).find((node) => node.type === 'FactSet')?.facts ?? []) as { title: string; value: string }[];
    expect(Object.fromEntries(facts.map((fact) => [fact.title, fact.value]))).toEqual({
      Urgency: 'High',
      Received: 'Mon, 23 Nov 2026, 08:15',
      'Reported by': 'Tess Teacher and 3 others',
      Status: 'In progress',
      'Picked up by': 'Dee Dsl',
      'Assigned to': 'Dan Deputy',
      'Protocol steps': '1 of 12 done',
    });
  });

  it('names one reporter alone and two as "and 1 other"', () => {
    expect(JSON.stringify(renderChannelCaseCard(channelView({ reporterCount: 1 })))).toContain('"Tess Teacher"');
    expect(JSON.stringify(renderChannelCaseCard(channelView({ reporterCount: 2 })))).toContain('Tess Teacher and 1 other"');
  });

  it('marks urgent cases in the attention colour, high ones in warning, others plainly', () => {
    const header = (urgency: Urgency) => (renderChannelCaseCard(channelView({ urgency })).body[0] as Record<string, unknown>);
    expect(header('urgent').style).toBe('attention');
    expect(JSON.stringify(header('urgent'))).toContain('URGENT');
    expect(header('high').style).toBe('warning');
    expect(header('normal').style).toBe('emphasis');
    expect(JSON.stringify(header('low'))).not.toContain('URGENT');
  });

  it('shows a delivery warning when there is one', () => {
    expect(textsOn(renderChannelCaseCard(channelView({ deliveryWarning: 'The head could not be messaged.' })))).toContain('The head could not be messaged.');
  });

  describe('for someone who may act', () => {
    it('offers every DSL action on a new case', () => {
      const card = renderChannelCaseCard(channelView({ status: 'new' }));
      expect(new Set(verbsOn(card).filter((verb) => verb !== CASE_REFRESH))).toEqual(new Set([...DSL_ACTION_VERBS, CASE_OPEN]));
      const showCards = allNodes(card).filter((node) => node.type === 'Action.ShowCard').map((node) => node.title);
      expect(showCards).toEqual(['Add note', 'Protocol steps', 'Escalate', 'Assign to…', 'Urgency or close', 'Change urgency', 'Close with outcome']);
      const buttons = allNodes(card).filter((node) => node.type === 'Action.Execute' && node !== card.refresh?.action && !String(node.title).startsWith('Save') && !['Record escalation', 'Change urgency', 'Close case', 'Assign'].includes(String(node.title)));
      expect(buttons.map((node) => node.title)).toEqual(['Acknowledge', 'Assign to me', 'Open case']);
    });

    it('hides Acknowledge once the case is acknowledged', () => {
      for (const status of ['acknowledged', 'in_progress', 'escalated'] as const) {
        const verbs = verbsOn(renderChannelCaseCard(channelView({ status, acknowledgedByName: 'Dee Dsl' })));
        expect(verbs).not.toContain('case.acknowledge');
        expect(verbs).toEqual(expect.arrayContaining(['case.assign_to_me', 'case.add_note', 'case.tick_steps', 'case.escalate', 'case.change_urgency', 'case.close', 'case.open']));
      }
    });

    it('offers only "Open case" on a closed case', () => {
      const card = renderChannelCaseCard(channelView({ status: 'closed', closed: true, acknowledgedByName: 'Dee Dsl' }));
      expect(verbsOn(card)).toEqual([CASE_OPEN]);
      expect(inputsOn(card)).toEqual([]);
    });

    it('sends {caseId} with every button', () => {
      const card = renderChannelCaseCard(channelView());
      for (const node of allNodes(card).filter((n) => n.type === 'Action.Execute')) expect(node.data).toEqual({ caseId: 'case-7' });
    });

    it('has one toggle per protocol step, showing the current ticks', () => {
      const card = renderChannelCaseCard(channelView());
      const toggles = inputsOn(card).filter((input) => input.type === 'Input.Toggle');
      const keys = protocolStepKeys(['online_bullying', 'hate_material']);
      expect(toggles.map((toggle) => toggle.id)).toEqual(keys.map((key) => `step:${key}`));
      expect(toggles.find((toggle) => toggle.id === 'step:online_bullying.evidence_kept')?.value).toBe('true');
      expect(toggles.filter((toggle) => toggle.value === 'true')).toHaveLength(1);
      expect(tickedSteps({ caseId: 'case-7', 'step:online_bullying.evidence_kept': 'true', 'step:general.facts_recorded': 'false', 'step:general.people_identified': 'true' })).toEqual([
        'online_bullying.evidence_kept',
        'general.people_identified',
      ]);
    });

    it('has the note, escalation, urgency and outcome inputs', () => {
      const card = renderChannelCaseCard(channelView());
      expect(inputById(card, CASE_INPUTS.note)).toMatchObject({ type: 'Input.Text', isMultiline: true, isRequired: true });
      expect(inputById(card, CASE_INPUTS.agency)?.choices).toEqual(ESCALATION_AGENCIES.map((agency) => ({ title: agency.label, value: agency.code })));
      expect(inputById(card, CASE_INPUTS.agencyReference)?.type).toBe('Input.Text');
      expect(inputById(card, CASE_INPUTS.urgency)).toMatchObject({ type: 'Input.ChoiceSet', value: 'high' });
      expect((inputById(card, CASE_INPUTS.urgency)?.choices as { value: string }[]).map((choice) => choice.value)).toEqual([...URGENCIES]);
      expect(inputById(card, CASE_INPUTS.urgencyReason)).toMatchObject({ type: 'Input.Text', isRequired: true });
      expect(inputById(card, CASE_INPUTS.outcome)).toMatchObject({ type: 'Input.Text', isMultiline: true, isRequired: true });
    });

    it('sends the inputs of a show card with its save button', () => {
      const saves = allNodes(renderChannelCaseCard(channelView())).filter((node) => node.type === 'Action.Execute' && node.associatedInputs === 'auto');
      expect(saves.map((node) => node.verb)).toEqual(['case.add_note', 'case.tick_steps', 'case.escalate', 'case.assign', 'case.change_urgency', 'case.close']);
    });
  });

  describe('for someone who may not act', () => {
    it.each(CASE_STATUSES)('has no DSL buttons and no inputs, only "Show my options" (%s)', (status) => {
      const card = renderChannelCaseCard(channelView({ status, forDsl: false, closed: status === 'closed' }));
      // The one button asks for the clicker's own view; our records decide whether it has the DSL buttons.
      expect(verbsOn(card)).toEqual([CASE_REFRESH]);
      expect(inputsOn(card)).toEqual([]);
      expect(allNodes(card).some((node) => node.type === 'Action.ShowCard')).toBe(false);
      expect(card.actions).toBeUndefined();
    });
  });

  it('always asks the listed users\' clients to refresh it, with at most 60 ids', () => {
    const ids = Array.from({ length: 100 }, (_, index) => `29:user-${index}`);
    for (const forDsl of [true, false]) {
      const card = renderChannelCaseCard(channelView({ forDsl, refreshUserIds: [...ids, ...ids] }));
      expect(card.refresh?.action).toEqual({ type: 'Action.Execute', verb: CASE_REFRESH, data: { caseId: 'case-7' } });
      expect(card.refresh?.userIds).toEqual(ids.slice(0, MAX_REFRESH_USER_IDS));
    }
    expect(renderChannelCaseCard(channelView({ refreshUserIds: [] })).refresh?.userIds).toEqual([]);
  });
});

describe('channel cards carry no concern text', () => {
  const markers = Object.values(MARKERS);

  function expectNoMarkers(card: CardJson): void {
    const json = JSON.stringify(card);
    for (const marker of markers) expect(json).not.toContain(marker);
  }

  it('the test case really carries every marker, in the full record', () => {
    const detail = JSON.stringify(renderCaseDetailCard(caseDetailViewFrom(caseWithMarkers('closed'), NAMES)));
    for (const marker of markers) expect(detail).toContain(marker);
  });

  it.each(CASE_STATUSES.flatMap((status) => [true, false].map((forDsl) => [status, forDsl] as const)))('channel case card built from the case (%s, forDsl %s)', (status, forDsl) => {
    const current = caseWithMarkers(status);
    const view = channelCaseViewFrom(current, { names: NAMES, forDsl, refreshUserIds: ['29:dee'] });
    const card = renderChannelCaseCard(view);
    expectNoMarkers(card);
    expect(JSON.stringify(view)).not.toMatch(/MARKER-/);
    expect(card.fallbackText).not.toMatch(/MARKER-/);
  });

  it('the view from the case keeps what the channel may show', () => {
    const view = channelCaseViewFrom(caseWithMarkers('in_progress'), { names: NAMES, forDsl: true, refreshUserIds: ['29:dee', '29:dee', '29:dan'], deliveryWarning: 'Not delivered to Dan.' });
    expect(view).toEqual({
      caseId: 'case-42',
      reference: 'CASE-2026-0042',
      types: ['online_bullying', 'other'],
      urgency: 'high',
      status: 'in_progress',
      receivedAt: at(0),
      reporterName: 'Tess Teacher',
      reporterCount: 3,
      assigneeName: 'Dan Deputy',
      acknowledgedByName: 'Dee Dsl',
      closed: false,
      forDsl: true,
      protocolSteps: protocolStepsOf(caseWithMarkers('in_progress')),
      escalations: caseWithMarkers('in_progress').escalations.map((escalation) => ({ agency: escalation.agency, hasReference: Boolean(escalation.reference) })),
      refreshUserIds: ['29:dee', '29:dan'],
      deliveryWarning: 'Not delivered to Dan.',
    });
    expect(view.protocolSteps.filter((step) => step.done)).toHaveLength(1);
  });

  it('a restricted case never gets a case card; its notice carries nothing but the reference and time', () => {
    const restricted: Case = { ...caseWithMarkers('new', { types: ['staff_allegation'] }), restricted: true };
    expect(() => channelCaseViewFrom(restricted, { names: NAMES, forDsl: true, refreshUserIds: [] })).toThrow(/restricted/);
    const card = renderRestrictedNoticeCard(restrictedNoticeViewFrom(restricted));
    expectNoMarkers(card);
    const json = JSON.stringify(card);
    expect(json).toContain('CASE-2026-0042');
    expect(json).toMatch(/handled by the headteacher/);
    expect(json).not.toMatch(/Tess Teacher|allegation/i);
    expect(verbsOn(card)).toEqual([]);
    expect(card.actions).toBeUndefined();
  });
});

describe('case detail card', () => {
  const card = renderCaseDetailCard(caseDetailViewFrom(caseWithMarkers('closed'), NAMES));
  const json = JSON.stringify(card);

  it('shows the full record in words', () => {
    for (const expected of [
      'Online bullying or harassment; Other (say what); Other: ' + MARKERS.otherType,
      'High: ' + MARKERS.urgencyReason,
      'Outside school',
      'Sun, 22 Nov 2026, 19:30, still happening, ' + MARKERS.timingNote,
      `Child: ${MARKERS.childName}`,
      MARKERS.childContact,
      `Parent or carer: ${MARKERS.parentName}`,
      'WhatsApp, ' + MARKERS.app,
      MARKERS.url,
      'A Teams message',
      'Tess Teacher',
      'Mon, 23 Nov 2026, 08:03 via Outlook',
      'Someone no longer listed',
      MARKERS.note,
      'Dee Dsl, Mon, 23 Nov 2026, 08:07',
      '✔ Evidence kept (not deleted) and described on the case',
      'Dan Deputy, Mon, 23 Nov 2026, 08:08',
      '○ Those involved identified',
      `The platform or service provider (ref. ${MARKERS.escalationReference})`,
      'Parents/carers informed',
      `Normal to High: ${MARKERS.urgencyReason}`,
      MARKERS.reopenReason,
      MARKERS.outcome,
    ]) {
      expect(json).toContain(JSON.stringify(expected).slice(1, -1));
    }
  });

  it('links to the reported message and goes back with case.refresh', () => {
    expect(allNodes(card).find((node) => node.type === 'Action.OpenUrl')?.url).toBe(MARKERS.sourceUrl);
    expect(verbsOn(card)).toEqual([CASE_REFRESH]);
    expect(card_actions(card)[0]?.data).toEqual({ caseId: 'case-42' });
  });

  it('marks a restricted case', () => {
    const restricted = renderCaseDetailCard(caseDetailViewFrom({ ...caseWithMarkers('new'), restricted: true }, NAMES));
    expect(textsOn(restricted)[0]).toMatch(/^RESTRICTED/);
  });
});

describe('notification card', () => {
  it('shows the title, lines and reference, and opens the case', () => {
    const card = renderNotificationCard({ title: 'Urgent case not picked up', lines: ['CASE-2026-0007 has waited 15 minutes.', 'Please look now.'], reference: 'CASE-2026-0007', openCaseId: 'case-7' });
    expect(textsOn(card)).toEqual(['Urgent case not picked up', 'CASE-2026-0007 has waited 15 minutes.', 'Please look now.']);
    expect(verbsOn(card)).toEqual([CASE_OPEN]);
    expect(allNodes(card).find((node) => node.type === 'Action.Execute')?.data).toEqual({ caseId: 'case-7' });
  });

  it('can carry case actions after "Open case"', () => {
    const card = renderNotificationCard({ title: 'Restricted case', lines: ['x'], openCaseId: 'case-8', caseActions: [{ title: 'Acknowledge', verb: 'case.acknowledge' }] });
    expect(verbsOn(card)).toEqual([CASE_OPEN, 'case.acknowledge']);
  });

  it('has no buttons without a case', () => {
    const card = renderNotificationCard({ title: 'Your report was closed', lines: ['Thank you for reporting it.'] });
    expect(verbsOn(card)).toEqual([]);
    expect(JSON.stringify(card)).not.toContain('Reference');
  });
});

describe('channel setup and error cards', () => {
  it('confirm or refuse the channel', () => {
    expect(textsOn(renderChannelSetupCard({ ok: true, message: 'Done.' }))).toEqual(['This channel now receives cases', 'Done.']);
    expect(textsOn(renderChannelSetupCard({ ok: false, message: 'Only a DSL can do that.' }))).toEqual(['This channel was not set up', 'Only a DSL can do that.']);
  });

  it('shows the error message', () => {
    expect(textsOn(renderErrorCard('That case was not found.'))).toContain('That case was not found.');
    expect(textsOn(renderErrorCard('  '))).toContain('Something went wrong. Please try again.');
  });
});

describe('all incident types', () => {
  it.each(ALL_TYPES.filter((code) => code !== 'staff_allegation'))('render on the channel card by label (%s)', (code) => {
    const card = renderChannelCaseCard(channelView({ types: [code], protocolSteps: protocolStepsOf({ types: [code], protocolTicks: [] }) }));
    expect(textsOn(card)).toContain(INCIDENT_TYPES.find((type) => type.code === code)?.label);
    expect(libraryProblems(card)).toEqual([]);
    expect(schemaProblems(card)).toEqual([]);
  });
});
