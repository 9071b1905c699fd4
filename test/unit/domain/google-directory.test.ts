import { backoffUntil, cursorAfter, isStaffOrgUnit, reconcileDue, reportsStartTime, unseenEvents, type CreatedUserEvent, type ReportsCursor } from '../../../src/domain/google-directory.ts';

const event = (key: string, time: string): CreatedUserEvent => ({ key, time, email: `${key}@school.example.org` });

describe('Google new starters: the rules', () => {
  test('staff org units: a school’s own list (the unit and those below it), else every unit not naming pupils or students', () => {
    expect(isStaffOrgUnit('/Staff/Teachers', ['/Staff'])).toBe(true);
    expect(isStaffOrgUnit('/staff', ['Staff/'])).toBe(true);
    expect(isStaffOrgUnit('/Staffroom', ['/Staff'])).toBe(false);
    expect(isStaffOrgUnit('/Governors', ['/Staff', '/Teachers'])).toBe(false);
    expect(isStaffOrgUnit('/', [])).toBe(true);
    expect(isStaffOrgUnit('/Office', [])).toBe(true);
    expect(isStaffOrgUnit('/Pupils/Year 3', [])).toBe(false);
    expect(isStaffOrgUnit('/KS4 Students', [])).toBe(false);
  });

  test('the cursor: starts an hour before the latest event, skips what it handled, keeps only the overlap window', () => {
    let cursor: ReportsCursor = { time: '2026-10-06T08:00:00.000Z', seen: [] };
    expect(reportsStartTime(cursor)).toBe('2026-10-06T07:00:00.000Z');
    const a = event('a', '2026-10-06T08:05:00.000Z');
    const b = event('b', '2026-10-06T08:05:00.000Z');
    expect(unseenEvents(cursor, [b, a, a]).map((e) => e.key)).toEqual(['a', 'b']);
    cursor = cursorAfter(cursorAfter(cursor, a), b);
    expect(cursor).toEqual({ time: '2026-10-06T08:05:00.000Z', seen: [{ key: 'a', time: a.time }, { key: 'b', time: b.time }] });
    const late = event('late', '2026-10-06T07:30:00.000Z');
    expect(unseenEvents(cursor, [a, b, late]).map((e) => e.key)).toEqual(['late']);
    cursor = cursorAfter(cursor, late);
    expect(cursor.time).toBe('2026-10-06T08:05:00.000Z');
    const much = event('much-later', '2026-10-06T10:00:00.000Z');
    expect(cursorAfter(cursor, much)).toEqual({ time: much.time, seen: [{ key: 'much-later', time: much.time }] });
  });

  test('the reconcile: straight away the first time, then at night at the school, and never more than 36 hours apart', () => {
    const zone = 'Europe/London';
    expect(reconcileDue(new Date('2026-10-06T12:00:00Z'), null, zone)).toBe(true);
    // 02:00 in London (BST) after a day: due; 12:00 the same day: not.
    expect(reconcileDue(new Date('2026-10-07T01:00:00Z'), '2026-10-06T01:00:00Z', zone)).toBe(true);
    expect(reconcileDue(new Date('2026-10-06T11:00:00Z'), '2026-10-06T01:00:00Z', zone)).toBe(false);
    // The same night, minutes later: not again.
    expect(reconcileDue(new Date('2026-10-07T01:05:00Z'), '2026-10-07T01:00:00Z', zone)).toBe(false);
    expect(reconcileDue(new Date('2026-10-08T13:00:00Z'), '2026-10-07T01:00:00Z', zone)).toBe(true);
  });

  test('backoff: 1, 2, 4 … minutes up to an hour, or Google’s Retry-After when longer', () => {
    const now = new Date('2026-10-06T08:00:00Z');
    expect(backoffUntil(now, 1)).toBe('2026-10-06T08:01:00.000Z');
    expect(backoffUntil(now, 3)).toBe('2026-10-06T08:04:00.000Z');
    expect(backoffUntil(now, 20)).toBe('2026-10-06T09:00:00.000Z');
    expect(backoffUntil(now, 1, 300)).toBe('2026-10-06T08:05:00.000Z');
  });
});
