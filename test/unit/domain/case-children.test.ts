import { casesInWindow, isStatusCurrent, isToLink, protectionStatusInputSchema, protectionStatusLabel } from '../../../src/domain/case-children.ts';
import { DEFAULT_PATTERN_RULE } from '../../../src/domain/pupil.ts';

describe('children on cases: the pure rules', () => {
  test('a status is current from its start to its end, both days included', () => {
    expect(isStatusCurrent({ from: '2026-01-01' }, '2026-11-23')).toBe(true);
    expect(isStatusCurrent({ from: '2026-11-24' }, '2026-11-23')).toBe(false);
    expect(isStatusCurrent({ from: '2026-01-01', to: '2026-11-23' }, '2026-11-23')).toBe(true);
    expect(isStatusCurrent({ from: '2026-01-01', to: '2026-11-22' }, '2026-11-23')).toBe(false);
    expect(protectionStatusLabel({ kind: 'looked_after', from: '2024-09-01' })).toBe('Looked after since 2024-09-01');
  });

  test('a status input: detail only for "other", the end on or after the start, dates as dates', () => {
    expect(protectionStatusInputSchema.safeParse({ kind: 'child_in_need', from: '2026-01-05' }).success).toBe(true);
    const paths = (input: unknown) => (protectionStatusInputSchema.safeParse(input).error?.issues ?? []).map((issue) => issue.path.join('.'));
    expect(paths({ kind: 'other', from: '2026-01-05' })).toEqual(['detail']);
    expect(paths({ kind: 'early_help', from: '2026-01-05', detail: 'why' })).toEqual(['detail']);
    expect(paths({ kind: 'early_help', from: '2026-01-05', to: '2026-01-04' })).toEqual(['to']);
    expect(paths({ kind: 'early_help', from: '5/1/2026' })).toEqual(['from']);
    expect(paths({ kind: 'wizard', from: '2026-01-05' })).toEqual(['kind']);
  });

  test('the cases in the rule’s window, oldest first; a typed name unlinked is no longer to link', () => {
    const now = new Date('2026-11-23T09:00:00.000Z');
    const cases = [
      { caseId: 'c3', createdAt: '2026-11-20T09:00:00.000Z', types: [] },
      { caseId: 'c1', createdAt: '2026-08-01T09:00:00.000Z', types: [] },
      { caseId: 'c2', createdAt: '2026-09-25T09:00:00.000Z', types: [] },
    ];
    expect(casesInWindow(DEFAULT_PATTERN_RULE, cases, now).map((c) => c.caseId)).toEqual(['c2', 'c3']);
    expect(isToLink({})).toBe(true);
    expect(isToLink({ pupilId: 'p' })).toBe(false);
    expect(isToLink({ unlinkedAt: '2026-11-23T09:00:00.000Z' })).toBe(false);
  });
});
