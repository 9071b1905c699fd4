import { concernSchema, type ConcernInput } from '../../../src/domain/concern.ts';

const minimal: ConcernInput = { types: ['online_bullying'], description: 'Unkind messages in the class chat.' };

function issuesOf(input: unknown): { path: PropertyKey[]; message: string; code: string }[] {
  const result = concernSchema.safeParse(input);
  expect(result.success).toBe(false);
  if (result.success) throw new Error('unreachable');
  return result.error.issues.map((issue) => ({ path: issue.path, message: issue.message, code: issue.code }));
}

/** Exactly one issue, at `path`, whose message contains `phrase`. */
function expectOneIssue(input: unknown, path: PropertyKey[], phrase: string): void {
  const issues = issuesOf(input);
  expect(issues).toHaveLength(1);
  expect(issues[0]?.path).toEqual(path);
  expect(issues[0]?.message).toContain(phrase);
}

function accepts(input: Partial<ConcernInput> & Record<string, unknown>): ReturnType<typeof concernSchema.parse> {
  const result = concernSchema.safeParse(input);
  if (!result.success) throw new Error(`expected the concern to be accepted: ${JSON.stringify(result.error.issues)}`);
  return result.data;
}

describe('concernSchema accepts', () => {
  it('a minimal concern and applies the defaults', () => {
    const parsed = accepts({ ...minimal, description: '  Unkind messages in the class chat.  ' });
    expect(parsed).toEqual({
      types: ['online_bullying'],
      description: 'Unkind messages in the class chat.',
      location: 'unknown',
      involved: [],
      appsInvolved: [],
      childAtImmediateRisk: false,
    });
  });

  it('a full concern, keeping what was given', () => {
    const parsed = accepts({
      types: ['online_bullying', 'hate_material'],
      location: 'outside_school',
      occurred: { from: '2026-11-20T18:00:00Z', to: '2026-11-21T07:30:00Z', note: 'Overnight' },
      involved: [{ group: 'child', name: ' Pupil A ', contact: 'Year 6' }],
      description: 'Messages on a group chat.',
      appsInvolved: ['WhatsApp'],
      evidence: 'Screenshots described by the parent.',
      childAtImmediateRisk: true,
    });
    expect(parsed.location).toBe('outside_school');
    expect(parsed.involved).toEqual([{ group: 'child', name: 'Pupil A', contact: 'Year 6' }]);
    expect(parsed.childAtImmediateRisk).toBe(true);
    expect(parsed.occurred?.to).toBe('2026-11-21T07:30:00Z');
  });

  it('"other" with a description of what it is', () => {
    expect(accepts({ types: ['other'], otherType: 'Smart-watch messages', description: 'x' }).otherType).toBe('Smart-watch messages');
  });

  it('a filtering failure with its web address', () => {
    expect(accepts({ types: ['filtering_failure'], url: 'http://unblocked.example/page', description: 'x' }).url).toBe('http://unblocked.example/page');
  });

  it('an ongoing incident with only a start, and a range with an offset given in the same zone', () => {
    expect(accepts({ ...minimal, occurred: { from: '2026-11-20T18:00:00Z', ongoing: true } }).occurred?.ongoing).toBe(true);
    expect(accepts({ ...minimal, occurred: { from: '2026-06-20T09:00:00+01:00', to: '2026-06-20T10:00:00+01:00' } }).occurred).toBeDefined();
  });
});

describe('concernSchema rejects, saying what to do', () => {
  it('no types', () => {
    expectOneIssue({ ...minimal, types: [] }, ['types'], 'Choose at least one incident type');
  });

  it('a missing types field', () => {
    expectOneIssue({ description: 'x' }, ['types'], 'Choose at least one incident type');
  });

  it('an unknown type, pointing at the list', () => {
    expectOneIssue({ ...minimal, types: ['online_bullying', 'cyber_stuff'] }, ['types', 1], 'Choose incident types from the list');
  });

  it('the same type twice', () => {
    expectOneIssue({ ...minimal, types: ['online_bullying', 'online_bullying'] }, ['types'], 'Each incident type may be chosen once');
  });

  it('more than 10 types', () => {
    const types = ['online_bullying', 'hate_material', 'disrepute', 'online_gambling', 'grooming', 'violent_material', 'copyright_breach', 'other_aup_breach', 'suspicious_email', 'hacking_or_viruses', 'pornographic_material'];
    expectOneIssue({ ...minimal, types }, ['types'], 'at most 10');
  });

  it.each([undefined, '', '   '])('"other" without saying what (otherType %j)', (otherType) => {
    expectOneIssue({ ...minimal, types: ['other'], ...(otherType === undefined ? {} : { otherType }) }, ['otherType'], 'say what kind of incident it is');
  });

  it.each([undefined, '', '  '])('a filtering failure without a web address (url %j)', (url) => {
    expectOneIssue({ ...minimal, types: ['filtering_failure'], ...(url === undefined ? {} : { url }) }, ['url'], 'Give the web address');
  });

  it.each(['', '   ', '\n'])('an empty description (%j)', (description) => {
    expectOneIssue({ ...minimal, description }, ['description'], 'Describe what happened');
  });

  it('a missing description', () => {
    expectOneIssue({ types: ['online_bullying'] }, ['description'], 'Describe what happened');
  });

  it('unknown fields (strict), naming them', () => {
    const issues = issuesOf({ ...minimal, childName: 'Pupil A' });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'unrecognized_keys', path: [] });
    expect(issues[0]?.message).toContain('childName');
  });

  it('unknown fields inside a person or the timing', () => {
    expect(issuesOf({ ...minimal, involved: [{ group: 'child', name: 'A', age: 9 }] })[0]).toMatchObject({ code: 'unrecognized_keys', path: ['involved', 0] });
    expect(issuesOf({ ...minimal, occurred: { from: '2026-11-20T18:00:00Z', until: 'now' } })[0]).toMatchObject({ code: 'unrecognized_keys', path: ['occurred'] });
  });

  it('an end time before the start time', () => {
    expectOneIssue({ ...minimal, occurred: { from: '2026-11-21T10:00:00Z', to: '2026-11-21T09:59:00Z' } }, ['occurred', 'to'], 'The end time must be after the start time');
  });

  it.each(['yesterday', '2026-11-21', '2026-11-21 10:00', '2026-11-21T10:00:00', '2026-13-01T10:00:00Z'])('a bad date and time (%j)', (from) => {
    expectOneIssue({ ...minimal, occurred: { from } }, ['occurred', 'from'], 'Give a date and time such as');
  });

  it('a person without a name, or in an unknown group', () => {
    expectOneIssue({ ...minimal, involved: [{ group: 'child', name: '  ' }] }, ['involved', 0, 'name'], 'Give a name or a short description');
    expectOneIssue({ ...minimal, involved: [{ group: 'pupil', name: 'A' }] }, ['involved', 0, 'group'], 'Choose child, staff, parent_carer or other');
  });

  it('an unknown location', () => {
    expectOneIssue({ ...minimal, location: 'home' }, ['location'], 'inside_school, outside_school, or unknown');
  });

  it('a subject id that is not a uuid', () => {
    expectOneIssue({ ...minimal, types: ['staff_allegation'], subjectPersonId: 'mr-smith' }, ['subjectPersonId'], 'Give the id of the member of staff');
  });

  it('an empty app name', () => {
    expectOneIssue({ ...minimal, appsInvolved: ['TikTok', ' '] }, ['appsInvolved', 1], 'Remove the empty app name');
  });
});

describe('occurred: start and end are compared as instants, not as text', () => {
  // 09:00+01:00 is 08:00Z, so an end of 08:30Z is half an hour after the start: a valid range.
  it('accepts an end after the start when the two are written with different offsets', () => {
    const result = concernSchema.safeParse({ ...minimal, occurred: { from: '2026-06-20T09:00:00+01:00', to: '2026-06-20T08:30:00Z' } });
    expect(result.success ? [] : result.error.issues.map((i) => i.message)).toEqual([]);
  });

  // 09:00+01:00 is 08:00Z, so an end of 09:00+01:00 after a start of 08:30Z is half an hour *before* it.
  it('rejects an end before the start when the two are written with different offsets', () => {
    expectOneIssue({ ...minimal, occurred: { from: '2026-06-20T08:30:00Z', to: '2026-06-20T09:00:00+01:00' } }, ['occurred', 'to'], 'The end time must be after the start time');
  });
});
