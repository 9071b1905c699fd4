import { isValidUpn, makesPattern, upnCheckLetter, DEFAULT_PATTERN_RULE, pupilChoiceOf } from '../../../src/domain/pupil.ts';

describe('Unique Pupil Numbers', () => {
  test('the check letter: a permanent and a temporary UPN pass; a wrong letter, length or character fails', () => {
    expect(isValidUpn('B801200005001')).toBe(true);
    expect(isValidUpn(' b801200005001 ')).toBe(true);
    expect(isValidUpn('A801200005001')).toBe(false);
    expect(isValidUpn('B80120000500')).toBe(false);
    expect(isValidUpn('X80120000A001')).toBe(false);
    const temporary = `80120000500A`;
    expect(isValidUpn(`${upnCheckLetter(temporary)}${temporary}`)).toBe(true);
    // I, O and S are never check letters nor the last letter of a temporary UPN.
    expect(isValidUpn(`${upnCheckLetter('80120000500A')}80120000500I`)).toBe(false);
    expect(upnCheckLetter('207000016049')).toBe('P');
  });
});

describe('small worries add up', () => {
  const now = new Date('2026-12-07T09:00:00Z');
  const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
  test('three concerns within 60 days make a pattern; older ones do not count; a marked type always does', () => {
    expect(makesPattern(DEFAULT_PATTERN_RULE, [daysAgo(59), daysAgo(10), daysAgo(0)], ['online_bullying'], now)).toEqual({ pattern: true, reason: 'count' });
    expect(makesPattern(DEFAULT_PATTERN_RULE, [daysAgo(61), daysAgo(10), daysAgo(0)], ['online_bullying'], now)).toEqual({ pattern: false });
    expect(makesPattern({ ...DEFAULT_PATTERN_RULE, alwaysTypes: ['online_bullying'] }, [daysAgo(0)], ['online_bullying'], now)).toEqual({ pattern: true, reason: 'type' });
  });
  test('a member of staff picking a child sees the preferred name, year and group only', () => {
    const choice = pupilChoiceOf({ id: 'p1', legalForename: 'Samuel', legalSurname: 'Green', preferredForename: 'Sam', yearGroup: '5', registrationGroup: '5G' });
    expect(choice).toEqual({ id: 'p1', name: 'Sam Green', yearGroup: '5', registrationGroup: '5G' });
  });
});
