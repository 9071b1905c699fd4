import { concernSchema, type ConcernInput } from '../../../src/domain/concern.ts';
import { INCIDENT_TYPES, type IncidentTypeCode } from '../../../src/domain/incident-types.ts';
import {
  CONCERN_FORM_INPUT_IDS,
  FORM_LEVEL_ERROR,
  formErrors,
  readConcernForm,
  renderConcernForm,
  type CardJson,
  type ConcernFormValues,
} from '../../../bot/teams/cards/index.ts';
import { INVOLVED_LINE_HELP, NO_TIME_GIVEN_NOTE, parseInvolvedLine, schoolTimeToIso } from '../../../bot/teams/cards/concern-form.ts';
import { inputsOn } from './fixtures/card-checks.ts';

const LONDON = 'Europe/London';

/** What a Teams client sends for the form: the action's data plus every input's value. */
function submitted(inputs: Partial<Record<keyof ConcernFormValues, string>>): Record<string, unknown> {
  return { formId: 'form-1', verb: 'report.submit', ...inputs };
}

function parsed(concern: ConcernInput) {
  const result = concernSchema.safeParse(concern);
  if (!result.success) throw new Error(`expected the concern to be accepted: ${JSON.stringify(result.error.issues)}`);
  return result.data;
}

function issues(concern: ConcernInput) {
  const result = concernSchema.safeParse(concern);
  if (result.success) throw new Error('expected the concern to be rejected');
  return result.error.issues.map((issue) => ({ path: issue.path, message: issue.message }));
}

/** The values a client would send back for this card unchanged: each input's current value. */
function inputsAsSent(card: CardJson): Record<string, unknown> {
  return Object.fromEntries(inputsOn(card).map((input) => [String(input.id), input.value ?? '']));
}

describe('readConcernForm', () => {
  it('turns a filled-in form into a concern the schema accepts', () => {
    const { concern } = readConcernForm(
      submitted({
        types: 'online_bullying,other',
        otherType: '  Fake account quiz ',
        location: 'outside_school',
        occurredDate: '2026-11-22',
        occurredTime: '19:30',
        ongoing: 'true',
        involved: 'child: Sam Green (Year 5)\nparent: Jo Green (07700 900123)\nstaff: Mr Patel',
        description: '  Unkind messages in the class group chat.  ',
        appsInvolved: 'WhatsApp, Snapchat',
        evidence: 'Screenshots on the child’s phone.',
        url: 'https://example.org/quiz',
        childAtImmediateRisk: 'false',
      }),
      LONDON,
    );
    expect(concern).toEqual({
      types: ['online_bullying', 'other'],
      otherType: 'Fake account quiz',
      location: 'outside_school',
      occurred: { from: '2026-11-22T19:30:00+00:00', ongoing: true },
      involved: [
        { group: 'child', name: 'Sam Green', contact: 'Year 5' },
        { group: 'parent_carer', name: 'Jo Green', contact: '07700 900123' },
        { group: 'staff', name: 'Mr Patel' },
      ],
      description: 'Unkind messages in the class group chat.',
      appsInvolved: ['WhatsApp', 'Snapchat'],
      evidence: 'Screenshots on the child’s phone.',
      url: 'https://example.org/quiz',
      childAtImmediateRisk: false,
    });
    expect(parsed(concern).occurred?.from).toBe('2026-11-22T19:30:00+00:00');
  });

  it('leaves blank inputs out, so the schema applies its defaults', () => {
    const { concern } = readConcernForm(submitted({ types: 'grooming', description: 'Adult messaging a pupil.', otherType: ' ', url: '', evidence: '   ', involved: '\n \n', appsInvolved: ' , ' }), LONDON);
    expect(concern).toEqual({ types: ['grooming'], description: 'Adult messaging a pupil.' });
    expect(parsed(concern)).toEqual({ types: ['grooming'], description: 'Adult messaging a pupil.', location: 'unknown', involved: [], appsInvolved: [], childAtImmediateRisk: false });
  });

  it('reads toggles as booleans', () => {
    expect(readConcernForm(submitted({ childAtImmediateRisk: 'true', ongoing: 'false' }), LONDON).concern).toMatchObject({ childAtImmediateRisk: true, occurred: { ongoing: false } });
    expect(readConcernForm(submitted({ childAtImmediateRisk: 'false' }), LONDON).concern.childAtImmediateRisk).toBe(false);
    expect(readConcernForm(submitted({ childAtImmediateRisk: 'maybe' }), LONDON).concern).not.toHaveProperty('childAtImmediateRisk');
  });

  it('splits the types and apps lists, ignoring spaces and empty items', () => {
    const { concern, values } = readConcernForm(submitted({ types: ' online_bullying , ,hate_material ', appsInvolved: 'TikTok,, Roblox ,' }), LONDON);
    expect(concern.types).toEqual(['online_bullying', 'hate_material']);
    expect(concern.appsInvolved).toEqual(['TikTok', 'Roblox']);
    expect(values.types).toBe('online_bullying,hate_material');
  });

  it('ignores inputs that are not text and keys that are not inputs', () => {
    const { concern } = readConcernForm({ formId: 'f', sourceToken: 't', verb: 'report.submit', types: ['grooming'], description: { text: 'x' }, childAtImmediateRisk: true }, LONDON);
    expect(concern).toEqual({ childAtImmediateRisk: true });
  });

  describe('when it happened, in school time', () => {
    it.each([
      ['summer time (BST)', '2026-07-01', '08:15', '2026-07-01T08:15:00+01:00'],
      ['winter (GMT)', '2026-11-23', '08:15', '2026-11-23T08:15:00+00:00'],
      ['the last minute before the clocks go forward', '2026-03-29', '00:59', '2026-03-29T00:59:00+00:00'],
      ['a time skipped when the clocks go forward is moved on by the hour', '2026-03-29', '01:30', '2026-03-29T02:30:00+01:00'],
      ['the first hour of BST', '2026-03-29', '02:00', '2026-03-29T02:00:00+01:00'],
      ['a time that happens twice when the clocks go back is the first one', '2026-10-25', '01:30', '2026-10-25T01:30:00+01:00'],
      ['after the clocks go back', '2026-10-25', '02:00', '2026-10-25T02:00:00+00:00'],
      ['a UK date typed into a text box by an older client', '23/11/2026', '9:05', '2026-11-23T09:05:00+00:00'],
      ['seconds are accepted and dropped', '2026-07-01', '08:15:45', '2026-07-01T08:15:00+01:00'],
    ])('%s', (_case, date, time, expected) => {
      expect(schoolTimeToIso(date, time, LONDON)).toBe(expected);
      const { concern } = readConcernForm(submitted({ types: 'online_bullying', description: 'd', occurredDate: date, occurredTime: time }), LONDON);
      expect(concern.occurred?.from).toBe(expected);
      expect(Date.parse(parsed(concern).occurred?.from ?? '')).toBe(Date.parse(expected));
    });

    it('uses the school time zone it is given', () => {
      expect(schoolTimeToIso('2026-07-01', '08:15', 'Asia/Kolkata')).toBe('2026-07-01T08:15:00+05:30');
      expect(schoolTimeToIso('2026-07-01', '08:15', 'America/New_York')).toBe('2026-07-01T08:15:00-04:00');
      expect(readConcernForm(submitted({ occurredDate: '2026-07-01', occurredTime: '08:15' }), 'UTC').concern.occurred?.from).toBe('2026-07-01T08:15:00+00:00');
    });

    it('defaults to London time', () => {
      expect(readConcernForm(submitted({ occurredDate: '2026-07-01', occurredTime: '08:15' })).concern.occurred?.from).toBe('2026-07-01T08:15:00+01:00');
    });

    it('records a date without a time as the start of the day, with a note saying no time was given', () => {
      const { concern } = readConcernForm(submitted({ types: 'online_bullying', description: 'd', occurredDate: '2026-07-01' }), LONDON);
      expect(concern.occurred).toEqual({ from: '2026-07-01T00:00:00+01:00', note: NO_TIME_GIVEN_NOTE });
      expect(parsed(concern).occurred?.note).toBe(NO_TIME_GIVEN_NOTE);
    });

    it.each([
      ['a time without a date', '', '08:15'],
      ['a date that does not exist', '2026-02-30', '08:15'],
      ['a time that does not exist', '2026-07-01', '25:00'],
      ['text that is not a date', 'last Tuesday', ''],
    ])('passes %s on so the schema rejects it, and the form says to choose the date', (_case, date, time) => {
      const { concern, values } = readConcernForm(submitted({ types: 'online_bullying', description: 'd', occurredDate: date, occurredTime: time }), LONDON);
      expect(values.occurredDate).toBe(date);
      expect(values.occurredTime).toBe(time);
      const errors = formErrors(issues(concern));
      expect(errors).toEqual({ occurredDate: 'Choose the date it happened, and the time if you know it.' });
    });

    it('refuses a time zone that does not exist', () => {
      expect(() => readConcernForm(submitted({ occurredDate: '2026-07-01', occurredTime: '08:15' }), 'Europe/Atlantis')).toThrow(RangeError);
    });
  });

  describe('people involved', () => {
    it.each([
      ['child: Sam Green', { group: 'child', name: 'Sam Green' }],
      ['Child : Sam Green (Year 5)', { group: 'child', name: 'Sam Green', contact: 'Year 5' }],
      ['pupil: Sam', { group: 'child', name: 'Sam' }],
      ['student: Sam', { group: 'child', name: 'Sam' }],
      ['Young person: Sam', { group: 'child', name: 'Sam' }],
      ['staff: Mr Patel', { group: 'staff', name: 'Mr Patel' }],
      ['Teacher: Mr Patel', { group: 'staff', name: 'Mr Patel' }],
      ['parent: Jo Green (07700 900123)', { group: 'parent_carer', name: 'Jo Green', contact: '07700 900123' }],
      ['Parent/carer: Jo Green', { group: 'parent_carer', name: 'Jo Green' }],
      ['carer: Jo Green', { group: 'parent_carer', name: 'Jo Green' }],
      ['parent_carer: Jo Green', { group: 'parent_carer', name: 'Jo Green' }],
      ['other: Bus driver', { group: 'other', name: 'Bus driver' }],
      ['- child: Sam', { group: 'child', name: 'Sam' }],
      ['• child: Sam', { group: 'child', name: 'Sam' }],
      ['2) child: Sam', { group: 'child', name: 'Sam' }],
      ['3. staff: Mr Patel', { group: 'staff', name: 'Mr Patel' }],
      ['Sam Green', { group: 'other', name: 'Sam Green' }],
      ['Year 5: Max', { group: 'other', name: 'Year 5: Max' }],
      ['child: Sam (Year 5) Green', { group: 'child', name: 'Sam (Year 5) Green' }],
      ['child: ()', { group: 'child', name: '()' }],
      ['child:', { group: 'child', name: '' }],
    ])('reads "%s"', (line, expected) => {
      expect(parseInvolvedLine(line)).toEqual(expected);
    });

    it('reads one person per line, dropping blank lines so line N is person N', () => {
      const { concern, values } = readConcernForm(submitted({ involved: '\n  child: Sam \n\n\nstaff: Mr Patel\r\nparent: Jo\n' }), LONDON);
      expect(concern.involved).toEqual([
        { group: 'child', name: 'Sam' },
        { group: 'staff', name: 'Mr Patel' },
        { group: 'parent_carer', name: 'Jo' },
      ]);
      expect(values.involved).toBe('child: Sam\nstaff: Mr Patel\nparent: Jo');
    });

    it('points a bad line out by its number', () => {
      const { concern, values } = readConcernForm(submitted({ types: 'online_bullying', description: 'd', involved: 'child: Sam\n\nstaff:\nparent: Jo' }), LONDON);
      expect(values.involved.split('\n')[1]).toBe('staff:');
      expect(formErrors(issues(concern))).toEqual({ involved: 'Line 2: Give a name or a short description of the person.' });
    });

    it('documents the format in the placeholder', () => {
      expect(INVOLVED_LINE_HELP).toMatch(/one person per line/i);
      for (const example of INVOLVED_LINE_HELP.split('\n').slice(1)) expect(parseInvolvedLine(example).group).not.toBe('other');
    });
  });
});

describe('formErrors', () => {
  it.each([
    [['types'], 'Choose at least one incident type.', { types: 'Choose at least one incident type.' }],
    [['types', 0], 'Choose incident types from the list at /api/v1/incident-types.', { types: 'Choose incident types from the list.' }],
    [['otherType'], 'You chose "Other": say what kind of incident it is.', { otherType: 'You chose "Other": say what kind of incident it is.' }],
    [['location'], 'Say whether it happened inside_school, outside_school, or unknown.', { location: 'Choose where it happened.' }],
    [['occurred', 'from'], 'Give a date and time such as 2026-11-23T08:15:00Z.', { occurredDate: 'Choose the date it happened, and the time if you know it.' }],
    [['occurred', 'to'], 'The end time must be after the start time.', { occurredDate: 'The end time must be after the start time.' }],
    [['occurred', 'ongoing'], 'Invalid input', { ongoing: 'Invalid input' }],
    [['involved'], 'List at most 50 people; describe larger groups in the description.', { involved: 'List at most 50 people; describe larger groups in the description.' }],
    [['involved', 2, 'name'], 'Keep the name under 200 characters.', { involved: 'Line 3: Keep the name under 200 characters.' }],
    [['involved', 0, 'group'], 'Choose child, staff, parent_carer or other.', { involved: 'Line 1: Start the line with child, staff, parent or other.' }],
    [['description'], 'Describe what happened: what, when, where and how.', { description: 'Describe what happened: what, when, where and how.' }],
    [['appsInvolved', 1], 'Keep each app name under 100 characters.', { appsInvolved: 'Keep each app name under 100 characters.' }],
    [['evidence'], 'Keep the evidence description under 5,000 characters.', { evidence: 'Keep the evidence description under 5,000 characters.' }],
    [['url'], 'Give the web address that the filter let through.', { url: 'Give the web address that the filter let through.' }],
    [['childAtImmediateRisk'], 'Invalid input', { childAtImmediateRisk: 'Invalid input' }],
    [['subjectPersonId'], 'Give the id of the member of staff the allegation is about.', { subjectPersonId: 'Give the id of the member of staff the allegation is about.' }],
    [[], 'Unrecognized key: "extra"', { [FORM_LEVEL_ERROR]: 'Unrecognized key: "extra"' }],
  ] as const)('maps %j onto the form', (path, message, expected) => {
    expect(formErrors([{ path, message }])).toEqual(expected);
  });

  it('joins several messages for one input, saying each once', () => {
    expect(
      formErrors([
        { path: ['involved', 0, 'name'], message: 'Give a name or a short description of the person.' },
        { path: ['involved', 3, 'name'], message: 'Keep the name under 200 characters.' },
        { path: ['types', 0], message: 'bad' },
        { path: ['types', 1], message: 'bad' },
      ]),
    ).toEqual({
      involved: 'Line 1: Give a name or a short description of the person. Line 4: Keep the name under 200 characters.',
      types: 'Choose incident types from the list.',
    });
  });

  it('maps only onto the form\'s own inputs', () => {
    const ids = new Set<string>([...CONCERN_FORM_INPUT_IDS, FORM_LEVEL_ERROR]);
    const everyPath = [['types'], ['types', 3], ['otherType'], ['location'], ['occurred'], ['occurred', 'from'], ['occurred', 'to'], ['occurred', 'note'], ['involved', 1, 'contact'], ['description'], ['appsInvolved'], ['evidence'], ['url'], ['childAtImmediateRisk'], ['subjectPersonId'], ['nonsense']];
    for (const path of everyPath) for (const id of Object.keys(formErrors([{ path, message: 'm' }]))) expect(ids.has(id)).toBe(true);
  });

  it('puts the schema\'s messages for an empty form under the right inputs', () => {
    const { concern } = readConcernForm(submitted({}), LONDON);
    expect(formErrors(issues(concern))).toEqual({ types: 'Choose at least one incident type.', description: 'Describe what happened: what, when, where and how.' });
  });

  it('asks for the missing detail of "Other" and of a filtering failure', () => {
    const { concern } = readConcernForm(submitted({ types: 'other,filtering_failure', description: 'A quiz site got through.' }), LONDON);
    expect(formErrors(issues(concern))).toEqual({ otherType: 'You chose "Other": say what kind of incident it is.', url: 'Give the web address that the filter let through.' });
  });

  it('rejects a type code that is not on the list', () => {
    const { concern } = readConcernForm(submitted({ types: 'online_bullying,made_up', description: 'd' }), LONDON);
    expect(formErrors(issues(concern))).toEqual({ types: 'Choose incident types from the list.' });
  });

  it('says when the description is too long', () => {
    const { concern } = readConcernForm(submitted({ types: 'online_bullying', description: 'x'.repeat(20001) }), LONDON);
    expect(formErrors(issues(concern))).toEqual({ description: 'Keep the description under 20,000 characters.' });
  });
});

describe('the form round-trips', () => {
  function detailFor(code: IncidentTypeCode): Partial<ConcernFormValues> {
    return {
      ...(code === 'other' ? { otherType: 'Something else' } : {}),
      ...(code === 'filtering_failure' ? { url: 'https://example.org/blocked' } : {}),
    };
  }

  it.each(INCIDENT_TYPES.map((type) => type.code))('for a concern of type %s', (code) => {
    const first = readConcernForm(
      submitted({
        types: code,
        description: `A concern about ${code}.`,
        occurredDate: '2026-06-15',
        occurredTime: '13:45',
        ongoing: 'false',
        involved: 'child: Sam (Year 5)',
        childAtImmediateRisk: code === 'grooming' ? 'true' : 'false',
        ...detailFor(code),
      }),
      LONDON,
    );
    const concern = parsed(first.concern);
    expect(concern.types).toEqual([code]);
    expect(concern.occurred?.from).toBe('2026-06-15T13:45:00+01:00');

    // The form comes back with what was typed; sending it again unchanged reads the same concern.
    const card = renderConcernForm({ formId: 'form-1', values: first.values, errors: {} });
    const again = readConcernForm({ formId: 'form-1', ...inputsAsSent(card) }, LONDON);
    expect(again.values).toEqual(first.values);
    expect(again.concern).toEqual(first.concern);
  });

  it('keeps every answer of a complete form, including several types', () => {
    const values: ConcernFormValues = {
      types: 'online_bullying,other,filtering_failure',
      otherType: 'Fake account quiz',
      location: 'inside_school',
      occurredDate: '2026-03-29',
      occurredTime: '01:30',
      ongoing: 'true',
      involved: 'child: Sam Green (Year 5)\nstaff: Mr Patel\nA parent at the gate',
      description: 'Unkind messages in the class group chat.',
      appsInvolved: 'WhatsApp, Snapchat',
      evidence: 'Screenshots on the child’s phone.',
      url: 'https://example.org/quiz',
      childAtImmediateRisk: 'true',
      subjectPersonId: '',
      childIds: '6f1c2d3e-0000-4000-8000-000000000001',
      otherChildIds: '6f1c2d3e-0000-4000-8000-000000000002',
      witnessChildIds: '',
      childNames: 'Alex (new in Year 4)\nJo',
    };
    const card = renderConcernForm({ formId: 'form-1', values, errors: {} });
    const read = readConcernForm(inputsAsSent(card), LONDON);
    expect(read.values).toEqual(values);
    const concern = parsed(read.concern);
    expect(concern).toMatchObject({
      types: ['online_bullying', 'other', 'filtering_failure'],
      location: 'inside_school',
      occurred: { from: '2026-03-29T02:30:00+01:00', ongoing: true },
      involved: [
        { group: 'child', name: 'Sam Green', contact: 'Year 5' },
        { group: 'staff', name: 'Mr Patel' },
        { group: 'other', name: 'A parent at the gate' },
      ],
      childAtImmediateRisk: true,
    });
  });

  it('toggles left alone read as off', () => {
    const card = renderConcernForm({ formId: 'form-1', values: {}, errors: {} });
    const sent = inputsAsSent(card);
    expect(sent.ongoing).toBe('false');
    expect(sent.childAtImmediateRisk).toBe('false');
    expect(readConcernForm(sent, LONDON).concern).toEqual({ occurred: { ongoing: false }, childAtImmediateRisk: false });
  });
});
