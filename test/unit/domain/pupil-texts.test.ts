import { childrenOf, readConcernForm } from '../../../src/domain/concern-form.ts';
import { casePupilsText, chronologyText, pupilPatternReason, pupilPatternViewOf } from '../../../src/domain/pupil-texts.ts';

const SAM = '6f1c2d3e-0000-4000-8000-000000000001';
const FFION = '6f1c2d3e-0000-4000-8000-000000000002';

describe('children named on the concern form', () => {
  it('gives each picked child the role of the first list they are in, drops "none", and keeps typed names as names', () => {
    expect(childrenOf({ childIds: `${SAM},none`, otherChildIds: `${FFION},${SAM}`, witnessChildIds: 'none', childNames: 'Alex (Year 4)\n\nAlex (Year 4)\n Jo ' })).toEqual([
      { pupilId: SAM, role: 'subject' },
      { pupilId: FFION, role: 'other_child' },
      { name: 'Alex (Year 4)', role: 'subject' },
      { name: 'Jo', role: 'subject' },
    ]);
    expect(childrenOf({ childIds: '', otherChildIds: '', witnessChildIds: '', childNames: '' })).toEqual([]);
  });

  it('reads the lists as a multi-select sends them and keeps them as typed for a form that comes back', () => {
    const { values, children } = readConcernForm({ childIds: ` ${SAM} ,`, witnessChildIds: FFION, childNames: 'Alex' });
    expect(values).toMatchObject({ childIds: SAM, otherChildIds: '', witnessChildIds: FFION, childNames: 'Alex' });
    expect(children).toEqual([{ pupilId: SAM, role: 'subject' }, { pupilId: FFION, role: 'witness' }, { name: 'Alex', role: 'subject' }]);
  });
});

describe('the pattern card’s words', () => {
  it('says why with the school’s period, and counts restricted cases without naming them', () => {
    expect(pupilPatternReason('count', 3, { days: 60 })).toBe('3 concerns in 60 days');
    expect(pupilPatternReason('type', 1, { days: 60 })).toBe('A concern of a type the school watches');
    const view = pupilPatternViewOf({ alert: { id: 'a1', reason: 'count', references: ['CASE-2026-0001', 'CASE-2026-0004'], restrictedCount: 1 }, rule: { days: 30 } }, SAM);
    expect(view).toEqual({ alertId: 'a1', pupilId: SAM, reason: '3 concerns in 30 days', references: 'CASE-2026-0001, CASE-2026-0004, 1 restricted case' });
    const acknowledged = pupilPatternViewOf({ alert: { id: 'a1', reason: 'type', references: ['CASE-2026-0001'], acknowledgedBy: 'Dana Lead', acknowledgedAt: '2026-11-23T08:20:00Z' } }, SAM, 'Europe/London');
    expect(acknowledged.acknowledgement).toBe('Acknowledged by Dana Lead, Mon, 23 Nov 2026, 08:20');
  });
});

describe('a chronology and a case’s children in words', () => {
  it('lists cases oldest first as given, with the child’s role, who acted, the outcome and the notes', () => {
    const text = chronologyText(
      {
        pupil: { name: 'Sam Green', yearGroup: '5', registrationGroup: '5G' },
        cases: [
          {
            reference: 'CASE-2026-0001',
            reportedAt: '2026-11-20T09:00:00Z',
            types: ['online_bullying'],
            urgency: 'high',
            status: 'closed',
            roles: ['witness'],
            outcome: { summary: 'Parents spoken to.', by: 'Dana Lead', at: '2026-11-21T10:00:00Z' },
            acted: [{ action: 'acknowledged', by: 'Dana Lead', at: '2026-11-20T09:05:00Z' }],
            notes: [{ at: '2026-11-20T12:00:00Z', by: 'Dana Lead', text: 'Called home.' }],
          },
        ],
        hiddenCases: 1,
        protectionStatuses: [{ label: 'Child in need since 2026-09-01' }],
      },
      'Europe/London',
    );
    expect(text.title).toBe('Chronology: Sam Green');
    expect(text.subtitle).toBe('Year 5, 5G');
    expect(text.statuses).toEqual(['Child in need since 2026-09-01']);
    expect(text.cases[0]!.lines).toEqual([
      'Online bullying or harassment. High, Closed.',
      'This child: a child who saw or heard it.',
      'Acknowledged by Dana Lead, Fri, 20 Nov 2026, 09:05',
      'Outcome: Parents spoken to. (Dana Lead, Sat, 21 Nov 2026, 10:00)',
    ]);
    expect(text.cases[0]!.notes).toEqual([{ text: 'Called home.', by: 'Dana Lead, Fri, 20 Nov 2026, 12:00' }]);
    expect(text.hidden).toMatch(/^1 restricted case about this pupil/);
  });

  it('names the children with their role, flags a typed name, and puts each status with its child', () => {
    const text = casePupilsText({
      children: [
        { name: 'Sam Green', role: 'subject', toLink: false, pupilId: SAM, pupil: { yearGroup: '5' } },
        { name: 'Alex', role: 'other_child', toLink: true },
      ],
      protectionStatuses: [{ pupilId: SAM, label: 'Looked after since 2026-01-05' }],
    });
    expect(text).toEqual({
      children: [
        { name: 'Sam Green (Year 5)', role: 'The child the concern is about' },
        { name: 'Alex', role: 'Another child involved', flag: 'Typed by the reporter, not yet linked to a pupil: link it to the register' },
      ],
      protectionStatuses: ['Sam Green: Looked after since 2026-01-05'],
    });
  });
});
