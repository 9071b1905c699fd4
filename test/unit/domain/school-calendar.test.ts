import { AppError } from '../../../src/domain/errors.ts';
import {
  acknowledgementCycle,
  addWorkingDays,
  DEFAULT_REMINDER_OFFSETS,
  DEFAULT_SCHOOL_DAY,
  escalationTime,
  isWorkingDay,
  nextCycleStart,
  nextSchoolMoment,
  reacknowledgeOnSchema,
  reminderTimes,
  schoolDaySchema,
  type SchoolDay,
} from '../../../src/domain/school-calendar.ts';

// Instants are written with their UK offset (+01:00 in British Summer Time, +00:00 in winter) so each
// expectation reads as office-clock time and does not depend on the code under test to compute it.
// In 2026 BST starts on 29 March (01:00 GMT → 02:00 BST) and ends on 25 October (02:00 BST → 01:00 GMT).
const t = (instant: string): Date => new Date(instant);
const iso = (instant: string): string => new Date(instant).toISOString();
const isos = (dates: Date[]): string[] => dates.map((d) => d.toISOString());

const london: SchoolDay = { timeZone: 'Europe/London', ...DEFAULT_SCHOOL_DAY };

/** Every date from `first` to `last` inclusive, for closures such as a school holiday. */
function datesBetween(first: string, last: string): string[] {
  const dates: string[] = [];
  for (let day = new Date(`${first}T12:00:00Z`); day <= new Date(`${last}T12:00:00Z`); day = new Date(day.getTime() + 86_400_000)) {
    dates.push(day.toISOString().slice(0, 10));
  }
  return dates;
}

/** The office-clock reading of an instant in London, computed with Intl rather than the code under test. */
function londonClock(at: Date): { date: string; time: string; weekday: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/London',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((part) => [part.type, part.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}:${parts.second}`, weekday: String(parts.weekday) };
}

function expectInvalidInput(run: () => unknown, message?: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).code).toBe('invalid_input');
  if (message) expect((caught as AppError).userMessage).toMatch(message);
}

function issues(input: unknown): { path: string; message: string }[] {
  const result = schoolDaySchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

describe('schoolDaySchema', () => {
  test('fills in the default hours and working week, and spells the zone the usual way', () => {
    expect(schoolDaySchema.parse({ timeZone: 'europe/london' })).toEqual({
      timeZone: 'Europe/London',
      start: '08:00',
      end: '16:30',
      workingDays: [1, 2, 3, 4, 5],
      closures: [],
    });
  });

  test('the default working days are a fresh copy each time', () => {
    const first = schoolDaySchema.parse({ timeZone: 'Europe/London' });
    first.workingDays.push(6);
    expect(schoolDaySchema.parse({ timeZone: 'Europe/London' }).workingDays).toEqual([1, 2, 3, 4, 5]);
  });

  test('sorts working days and closures and drops repeats', () => {
    const parsed = schoolDaySchema.parse({ timeZone: 'Europe/London', workingDays: [6, 1, 1, 3], closures: ['2026-12-25', '2026-08-31', '2026-12-25'] });
    expect(parsed.workingDays).toEqual([1, 3, 6]);
    expect(parsed.closures).toEqual(['2026-08-31', '2026-12-25']);
  });

  test.each(['8:00', '24:00', '08:60', '0800', '08:00:00', ''])('refuses the time %j with a clear message', (start) => {
    expect(issues({ timeZone: 'Europe/London', start })).toEqual([{ path: 'start', message: 'Give the time as HH:MM, such as 08:00.' }]);
  });

  test.each([
    ['16:30', '08:00'],
    ['08:00', '08:00'],
  ])('refuses an office that opens at %s and closes at %s', (start, end) => {
    expect(issues({ timeZone: 'Europe/London', start, end })).toEqual([
      { path: 'end', message: 'The office must close after it opens: give an end time later than the start time.' },
    ]);
  });

  test('accepts an office open one minute', () => {
    expect(schoolDaySchema.safeParse({ timeZone: 'Europe/London', start: '08:00', end: '08:01' }).success).toBe(true);
  });

  test.each(['Mars/Olympus_Mons', '+01:00', '-0500', 'UTC+1', '', 'London'])('refuses the time zone %j', (timeZone) => {
    expect(issues({ timeZone })).toEqual([{ path: 'timeZone', message: 'Give the time zone as a region and city, such as Europe/London.' }]);
  });

  test('requires a time zone', () => {
    expect(issues({})).toEqual([{ path: 'timeZone', message: 'Give the time zone as a region and city, such as Europe/London.' }]);
  });

  test('requires at least one working day', () => {
    expect(issues({ timeZone: 'Europe/London', workingDays: [] })).toEqual([{ path: 'workingDays', message: 'Choose at least one working day.' }]);
  });

  test.each([[0], [8], [1.5]])('refuses the working day %j', (bad) => {
    expect(issues({ timeZone: 'Europe/London', workingDays: [1, bad] })).toEqual([
      { path: 'workingDays.1', message: 'Working days are numbers from 1 (Monday) to 7 (Sunday).' },
    ]);
  });

  test.each(['2026-02-30', '25/12/2026', '2026-13-01'])('refuses the closure date %j', (date) => {
    expect(issues({ timeZone: 'Europe/London', closures: ['2026-12-25', date] })).toEqual([
      { path: 'closures.1', message: 'Give each closure date as YYYY-MM-DD, such as 2026-12-25.' },
    ]);
  });

  test('allows 400 closure dates and refuses 401', () => {
    const dates = datesBetween('2026-01-01', '2027-02-05');
    expect(dates).toHaveLength(401);
    expect(schoolDaySchema.safeParse({ timeZone: 'Europe/London', closures: dates.slice(0, 400) }).success).toBe(true);
    expect(issues({ timeZone: 'Europe/London', closures: dates })).toEqual([{ path: 'closures', message: 'List at most 400 closure dates.' }]);
  });

  test('refuses settings it does not know', () => {
    expect(schoolDaySchema.safeParse({ timeZone: 'Europe/London', lunch: '12:00' }).success).toBe(false);
  });
});

describe('reacknowledgeOnSchema', () => {
  test.each(['09-01', '01-01', '12-31', '02-28', '03-01', '04-30'])('accepts %s', (value) => {
    expect(reacknowledgeOnSchema.parse(value)).toBe(value);
  });

  test('refuses 29 February and says why', () => {
    const result = reacknowledgeOnSchema.safeParse('02-29');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/only in leap years/);
    expect(result.error?.issues[0]?.message).toMatch(/02-28 or 03-01/);
  });

  test.each([
    ['9-1', 'Give the date as MM-DD, such as 09-01.'],
    ['2026-09-01', 'Give the date as MM-DD, such as 09-01.'],
    ['13-01', 'There is no month 13. Give the date as MM-DD, such as 09-01.'],
    ['00-10', 'There is no month 00. Give the date as MM-DD, such as 09-01.'],
    ['04-31', 'There is no such day in that month. Give the date as MM-DD, such as 09-01.'],
    ['09-00', 'There is no such day in that month. Give the date as MM-DD, such as 09-01.'],
    ['02-30', 'There is no such day in that month. Give the date as MM-DD, such as 09-01.'],
  ])('refuses %s', (value, message) => {
    const result = reacknowledgeOnSchema.safeParse(value);
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([message]);
  });
});

describe('isWorkingDay', () => {
  const withBankHoliday: SchoolDay = { ...london, closures: ['2026-08-31'] };

  test('a weekday is a working day, a weekend is not', () => {
    expect(isWorkingDay('2026-09-01', london)).toBe(true);
    expect(isWorkingDay('2026-09-05', london)).toBe(false);
    expect(isWorkingDay('2026-09-06', london)).toBe(false);
  });

  test('a closure is not a working day', () => {
    expect(isWorkingDay('2026-08-31', london)).toBe(true);
    expect(isWorkingDay('2026-08-31', withBankHoliday)).toBe(false);
  });

  test('a school open on Saturdays works them', () => {
    expect(isWorkingDay('2026-09-05', { ...london, workingDays: [1, 2, 3, 4, 5, 6] })).toBe(true);
    expect(isWorkingDay('2026-09-06', { ...london, workingDays: [1, 2, 3, 4, 5, 6] })).toBe(false);
  });

  test.each(['2026-02-30', '2026-9-1', 'tomorrow'])('refuses the date %j', (date) => {
    expectInvalidInput(() => isWorkingDay(date, london), /2026-09-01/);
  });
});

describe('nextSchoolMoment', () => {
  test('a moment inside school hours is its own next school moment', () => {
    expect(nextSchoolMoment(t('2026-06-02T11:17:23.456+01:00'), london).toISOString()).toBe(iso('2026-06-02T11:17:23.456+01:00'));
  });

  test('after hours (17:00) → the next day at 08:00', () => {
    expect(nextSchoolMoment(t('2026-06-01T17:00:00+01:00'), london).toISOString()).toBe(iso('2026-06-02T08:00:00+01:00'));
  });

  test('before hours (06:45) → the same day at 08:00', () => {
    expect(nextSchoolMoment(t('2026-06-02T06:45:00+01:00'), london).toISOString()).toBe(iso('2026-06-02T08:00:00+01:00'));
  });

  test('opening and closing times are inside; a millisecond after closing is not', () => {
    expect(nextSchoolMoment(t('2026-06-02T08:00:00+01:00'), london).toISOString()).toBe(iso('2026-06-02T08:00:00+01:00'));
    expect(nextSchoolMoment(t('2026-06-02T16:30:00+01:00'), london).toISOString()).toBe(iso('2026-06-02T16:30:00+01:00'));
    expect(nextSchoolMoment(t('2026-06-02T16:30:00.001+01:00'), london).toISOString()).toBe(iso('2026-06-03T08:00:00+01:00'));
  });

  test('Friday evening and the weekend → Monday 08:00', () => {
    expect(nextSchoolMoment(t('2026-06-05T17:00:00+01:00'), london).toISOString()).toBe(iso('2026-06-08T08:00:00+01:00'));
    expect(nextSchoolMoment(t('2026-06-06T10:00:00+01:00'), london).toISOString()).toBe(iso('2026-06-08T08:00:00+01:00'));
    expect(nextSchoolMoment(t('2026-06-07T23:59:59+01:00'), london).toISOString()).toBe(iso('2026-06-08T08:00:00+01:00'));
  });

  test('the weekend the clocks go back: Friday evening BST → Monday 08:00 GMT', () => {
    expect(nextSchoolMoment(t('2026-10-23T18:00:00+01:00'), london).toISOString()).toBe('2026-10-26T08:00:00.000Z');
  });

  test('the weekend the clocks go forward: Friday evening GMT → Monday 08:00 BST', () => {
    expect(nextSchoolMoment(t('2026-03-27T18:00:00+00:00'), london).toISOString()).toBe('2026-03-30T07:00:00.000Z');
  });

  test('Easter bank holidays are skipped', () => {
    const easter: SchoolDay = { ...london, closures: ['2026-04-03', '2026-04-06'] };
    expect(nextSchoolMoment(t('2026-04-02T17:00:00+01:00'), easter).toISOString()).toBe(iso('2026-04-07T08:00:00+01:00'));
  });

  test('a holiday spanning weeks is skipped as a whole', () => {
    const christmas: SchoolDay = { ...london, closures: datesBetween('2026-12-19', '2027-01-04') };
    expect(nextSchoolMoment(t('2026-12-18T16:45:00+00:00'), christmas).toISOString()).toBe(iso('2027-01-05T08:00:00+00:00'));
  });

  test('a school open on Saturdays: Friday evening → Saturday 08:00, Saturday evening → Monday', () => {
    const saturdays: SchoolDay = { ...london, workingDays: [1, 2, 3, 4, 5, 6] };
    expect(nextSchoolMoment(t('2026-06-05T17:00:00+01:00'), saturdays).toISOString()).toBe(iso('2026-06-06T08:00:00+01:00'));
    expect(nextSchoolMoment(t('2026-06-06T17:00:00+01:00'), saturdays).toISOString()).toBe(iso('2026-06-08T08:00:00+01:00'));
  });

  test('school hours come from the school, not the defaults', () => {
    const late: SchoolDay = { ...london, start: '09:15', end: '18:00' };
    expect(nextSchoolMoment(t('2026-06-02T17:30:00+01:00'), late).toISOString()).toBe(iso('2026-06-02T17:30:00+01:00'));
    expect(nextSchoolMoment(t('2026-06-02T08:30:00+01:00'), late).toISOString()).toBe(iso('2026-06-02T09:15:00+01:00'));
  });

  test('another zone is reckoned on its own clock', () => {
    const newYork: SchoolDay = { ...DEFAULT_SCHOOL_DAY, timeZone: 'America/New_York' };
    // 13:00 in London is 08:00 in New York (EDT, UTC-4).
    expect(nextSchoolMoment(t('2026-06-02T10:00:00Z'), newYork).toISOString()).toBe('2026-06-02T12:00:00.000Z');
  });

  describe('hours that touch the hour the clocks change (a school working Sundays 01:30–03:00)', () => {
    const nightOwls: SchoolDay = { ...london, start: '01:30', end: '03:00', workingDays: [7] };

    test('clocks going forward over the opening time: open from the moment they jump', () => {
      // At 01:00 GMT the clock jumps to 02:00 BST; 01:30 never happens, and 02:00 BST is past it.
      expect(nextSchoolMoment(t('2026-03-28T12:00:00Z'), nightOwls).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    });

    test('clocks going back: open at the first 01:30, and the repeated hour stays open', () => {
      expect(nextSchoolMoment(t('2026-10-24T12:00:00Z'), nightOwls).toISOString()).toBe(iso('2026-10-25T01:30:00+01:00'));
      // 01:10 GMT, after the clock has gone back: the office opened at 01:30 BST and has not closed.
      expect(nextSchoolMoment(t('2026-10-25T01:10:00+00:00'), nightOwls).toISOString()).toBe(iso('2026-10-25T01:10:00+00:00'));
      // Closing is the only 03:00, which is GMT.
      expect(nextSchoolMoment(t('2026-10-25T03:00:00+00:00'), nightOwls).toISOString()).toBe(iso('2026-10-25T03:00:00+00:00'));
      expect(nextSchoolMoment(t('2026-10-25T03:00:01+00:00'), nightOwls).toISOString()).toBe(iso('2026-11-01T01:30:00+00:00'));
    });
  });

  test('a calendar with no working day in two years is an error, not a hang', () => {
    // Valid by the schema: Saturdays only, and 115 Saturdays in a row closed.
    const saturdays = datesBetween('2026-06-06', '2028-08-31').filter((date) => new Date(`${date}T12:00:00Z`).getUTCDay() === 6);
    const closed = schoolDaySchema.parse({ timeZone: 'Europe/London', workingDays: [6], closures: saturdays });
    expectInvalidInput(() => nextSchoolMoment(t('2026-06-01T12:00:00Z'), closed), /no working day within two years/);
    expectInvalidInput(() => addWorkingDays(t('2026-06-01T12:00:00Z'), 1, closed), /no working day within two years/);
    expectInvalidInput(() => escalationTime('2028-09-01', t('2026-06-01T12:00:00Z'), closed), /no working day within two years/);
  });

  test('refuses a calendar that was never validated', () => {
    expectInvalidInput(() => nextSchoolMoment(t('2026-06-01T12:00:00Z'), { ...london, timeZone: 'Nowhere/Special' }), /Europe\/London/);
    expectInvalidInput(() => nextSchoolMoment(t('2026-06-01T12:00:00Z'), { ...london, start: '8am' }), /HH:MM/);
    expectInvalidInput(() => nextSchoolMoment(t('2026-06-01T12:00:00Z'), { ...london, start: '17:00' }), /close after it opens/);
    expectInvalidInput(() => nextSchoolMoment(t('2026-06-01T12:00:00Z'), { ...london, start: '16:30' }), /close after it opens/);
    expectInvalidInput(() => nextSchoolMoment(t('2026-06-01T12:00:00Z'), { ...london, workingDays: [0, 9] }), /at least one working day/);
  });

  test('refuses an invalid Date', () => {
    expectInvalidInput(() => nextSchoolMoment(new Date('not a date'), london));
  });
});

describe('addWorkingDays', () => {
  test('day 1 after a card sent Friday 15:00 is Monday 15:00', () => {
    expect(addWorkingDays(t('2026-06-05T15:00:00+01:00'), 1, london).toISOString()).toBe(iso('2026-06-08T15:00:00+01:00'));
  });

  test('keeps office-clock time across the clocks going back: Friday 15:00 BST → Monday 15:00 GMT', () => {
    expect(addWorkingDays(t('2026-10-23T15:00:00+01:00'), 1, london).toISOString()).toBe(iso('2026-10-26T15:00:00+00:00'));
  });

  test('keeps office-clock time across the clocks going forward: Friday 10:00 GMT → Monday 10:00 BST', () => {
    expect(addWorkingDays(t('2026-03-27T10:00:00+00:00'), 1, london).toISOString()).toBe(iso('2026-03-30T10:00:00+01:00'));
  });

  test('day 0 inside hours is the moment itself', () => {
    expect(addWorkingDays(t('2026-06-02T11:00:00+01:00'), 0, london).toISOString()).toBe(iso('2026-06-02T11:00:00+01:00'));
  });

  test('day 0 after hours is the next school moment, never earlier than the start', () => {
    expect(addWorkingDays(t('2026-06-05T17:00:00+01:00'), 0, london).toISOString()).toBe(iso('2026-06-08T08:00:00+01:00'));
    expect(addWorkingDays(t('2026-06-02T06:30:00+01:00'), 0, london).toISOString()).toBe(iso('2026-06-02T08:00:00+01:00'));
  });

  test('a time after hours is clamped to closing time: Monday 17:00 + 1 → Tuesday 16:30', () => {
    expect(addWorkingDays(t('2026-06-01T17:00:00+01:00'), 1, london).toISOString()).toBe(iso('2026-06-02T16:30:00+01:00'));
  });

  test('a time before hours is clamped to opening time: Monday 06:30 + 1 → Tuesday 08:00', () => {
    expect(addWorkingDays(t('2026-06-01T06:30:00+01:00'), 1, london).toISOString()).toBe(iso('2026-06-02T08:00:00+01:00'));
  });

  test('counts from the local date even when sent at a weekend: Saturday 10:00 + 1 → Monday 10:00', () => {
    expect(addWorkingDays(t('2026-06-06T10:00:00+01:00'), 1, london).toISOString()).toBe(iso('2026-06-08T10:00:00+01:00'));
  });

  test('the local date decides, not the UTC one: 00:30 BST Tuesday is still Tuesday', () => {
    // 2026-06-01T23:30Z is Tuesday 00:30 in London; day 1 is Wednesday (at opening time, clamped).
    expect(addWorkingDays(t('2026-06-01T23:30:00Z'), 1, london).toISOString()).toBe(iso('2026-06-03T08:00:00+01:00'));
  });

  test('skips a bank holiday Monday', () => {
    const bankHoliday: SchoolDay = { ...london, closures: ['2026-08-31'] };
    expect(addWorkingDays(t('2026-08-28T12:00:00+01:00'), 1, bankHoliday).toISOString()).toBe(iso('2026-09-01T12:00:00+01:00'));
  });

  test('a Saturday school counts Saturday', () => {
    const saturdays: SchoolDay = { ...london, workingDays: [1, 2, 3, 4, 5, 6] };
    expect(addWorkingDays(t('2026-06-05T15:00:00+01:00'), 1, saturdays).toISOString()).toBe(iso('2026-06-06T15:00:00+01:00'));
    expect(addWorkingDays(t('2026-06-05T15:00:00+01:00'), 2, saturdays).toISOString()).toBe(iso('2026-06-08T15:00:00+01:00'));
  });

  test('counts over a holiday spanning weeks', () => {
    const christmas: SchoolDay = { ...london, closures: datesBetween('2026-12-19', '2027-01-04') };
    expect(addWorkingDays(t('2026-12-17T10:00:00+00:00'), 2, christmas).toISOString()).toBe(iso('2027-01-05T10:00:00+00:00'));
  });

  test('a repeated local time resolves to its first occurrence', () => {
    const sundays: SchoolDay = { ...london, start: '00:30', end: '03:00', workingDays: [7] };
    expect(addWorkingDays(t('2026-10-18T01:30:00+01:00'), 1, sundays).toISOString()).toBe(iso('2026-10-25T01:30:00+01:00'));
  });

  test('a skipped local time resolves to the moment the clocks jump', () => {
    const sundays: SchoolDay = { ...london, start: '00:30', end: '03:00', workingDays: [7] };
    expect(addWorkingDays(t('2026-03-22T01:30:00+00:00'), 1, sundays).toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });

  test.each([-1, 1.5, Number.NaN, 1001])('refuses %p working days', (n) => {
    expectInvalidInput(() => addWorkingDays(t('2026-06-05T15:00:00+01:00'), n, london), /0 to 1000/);
  });
});

describe('reminderTimes', () => {
  test('the default offsets are 1, 3 and 7 working days', () => {
    expect(DEFAULT_REMINDER_OFFSETS).toEqual([1, 3, 7]);
  });

  test('sent Friday 15:00 before the clocks go back: Monday, Wednesday and the Tuesday after, all 15:00 GMT', () => {
    expect(isos(reminderTimes(t('2026-10-23T15:00:00+01:00'), DEFAULT_REMINDER_OFFSETS, london))).toEqual([
      iso('2026-10-26T15:00:00+00:00'),
      iso('2026-10-28T15:00:00+00:00'),
      iso('2026-11-03T15:00:00+00:00'),
    ]);
  });

  test('sent the Thursday before the clocks go forward, with Good Friday and Easter Monday closed', () => {
    const easter: SchoolDay = { ...london, closures: ['2026-04-03', '2026-04-06'] };
    expect(isos(reminderTimes(t('2026-03-26T09:30:00+00:00'), [1, 3, 7], easter))).toEqual([
      iso('2026-03-27T09:30:00+00:00'),
      iso('2026-03-31T09:30:00+01:00'),
      iso('2026-04-08T09:30:00+01:00'),
    ]);
  });

  test('sorted and given once, whatever order the offsets come in', () => {
    expect(isos(reminderTimes(t('2026-06-01T10:00:00+01:00'), [7, 1, 3, 1], london))).toEqual([
      iso('2026-06-02T10:00:00+01:00'),
      iso('2026-06-04T10:00:00+01:00'),
      iso('2026-06-10T10:00:00+01:00'),
    ]);
  });

  test('sent after hours: a day-0 reminder waits for the morning, day 1 comes at closing time', () => {
    expect(isos(reminderTimes(t('2026-06-01T17:00:00+01:00'), [0, 1], london))).toEqual([iso('2026-06-02T08:00:00+01:00'), iso('2026-06-02T16:30:00+01:00')]);
  });

  test('no offsets, no reminders', () => {
    expect(reminderTimes(t('2026-06-01T10:00:00+01:00'), [], london)).toEqual([]);
  });

  test('refuses a negative offset', () => {
    expectInvalidInput(() => reminderTimes(t('2026-06-01T10:00:00+01:00'), [1, -3], london), /Each reminder/);
  });

  test('every reminder around the October change lands in school hours on a working day, after sending', () => {
    const closures = ['2026-10-26', '2026-10-27', '2026-10-28', '2026-10-29', '2026-10-30'];
    const halfTerm: SchoolDay = { ...london, closures };
    const start = t('2026-10-16T00:00:00Z').getTime();
    let checked = 0;
    for (let sent = start; sent < start + 14 * 86_400_000; sent += 37 * 60_000) {
      const sentAt = new Date(sent);
      const times = reminderTimes(sentAt, [1, 3, 7], halfTerm);
      expect(times).toHaveLength(3);
      for (const time of times) {
        const clock = londonClock(time);
        expect(time.getTime()).toBeGreaterThan(sent);
        expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']).toContain(clock.weekday);
        expect(closures).not.toContain(clock.date);
        expect(clock.time >= '08:00:00' && clock.time <= '16:30:00').toBe(true);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(1500);
  });
});

describe('escalationTime', () => {
  const longBefore = t('2026-08-01T12:00:00+01:00');

  test('2 working days before a Monday start is the previous Thursday at 08:00', () => {
    expect(escalationTime('2026-09-07', longBefore, london).toISOString()).toBe(iso('2026-09-03T08:00:00+01:00'));
  });

  test('the default is 2 working days', () => {
    expect(escalationTime('2026-09-07', longBefore, london, 2).toISOString()).toBe(escalationTime('2026-09-07', longBefore, london).toISOString());
    expect(escalationTime('2026-09-07', longBefore, london, 1).toISOString()).toBe(iso('2026-09-04T08:00:00+01:00'));
  });

  test('an INSET day on the Friday pushes it back to Wednesday', () => {
    expect(escalationTime('2026-09-07', longBefore, { ...london, closures: ['2026-09-04'] }).toISOString()).toBe(iso('2026-09-02T08:00:00+01:00'));
  });

  test('a start after the Christmas holiday escalates before the holiday began', () => {
    const christmas: SchoolDay = { ...london, closures: datesBetween('2026-12-19', '2027-01-04') };
    expect(escalationTime('2027-01-05', t('2026-12-01T12:00:00Z'), christmas).toISOString()).toBe(iso('2026-12-17T08:00:00+00:00'));
  });

  test('uses the opening time after the clocks go back', () => {
    // Start Wednesday 28 October; Monday 26 October 08:00 is GMT.
    expect(escalationTime('2026-10-28', longBefore, london).toISOString()).toBe('2026-10-26T08:00:00.000Z');
  });

  test('a Saturday school counts Saturday', () => {
    const saturdays: SchoolDay = { ...london, workingDays: [1, 2, 3, 4, 5, 6] };
    expect(escalationTime('2026-09-07', longBefore, saturdays).toISOString()).toBe(iso('2026-09-04T08:00:00+01:00'));
  });

  test('already past during school hours → now', () => {
    const now = t('2026-09-04T10:00:00+01:00');
    expect(escalationTime('2026-09-07', now, london).toISOString()).toBe(now.toISOString());
  });

  test('already past after hours → the next school moment', () => {
    expect(escalationTime('2026-09-07', t('2026-09-04T17:00:00+01:00'), london).toISOString()).toBe(iso('2026-09-07T08:00:00+01:00'));
  });

  test('a start date already gone → as soon as possible', () => {
    expect(escalationTime('2026-09-07', t('2026-09-12T09:00:00+01:00'), london).toISOString()).toBe(iso('2026-09-14T08:00:00+01:00'));
  });

  test('at exactly the escalation moment → that moment', () => {
    const moment = t('2026-09-03T08:00:00+01:00');
    expect(escalationTime('2026-09-07', moment, london).toISOString()).toBe(moment.toISOString());
  });

  test('0 working days before: the start day itself, or the last working day before a weekend start', () => {
    expect(escalationTime('2026-09-07', longBefore, london, 0).toISOString()).toBe(iso('2026-09-07T08:00:00+01:00'));
    expect(escalationTime('2026-09-06', longBefore, london, 0).toISOString()).toBe(iso('2026-09-04T08:00:00+01:00'));
  });

  test('refuses a bad start date or count', () => {
    expectInvalidInput(() => escalationTime('07/09/2026', longBefore, london), /2026-09-01/);
    expectInvalidInput(() => escalationTime('2026-09-07', longBefore, london, -1), /0 to 1000/);
  });
});

describe('acknowledgementCycle and nextCycleStart', () => {
  test('the examples: with 09-01, 31 August 2026 is the 2025 cycle and 1 September 00:00 local the 2026 one', () => {
    expect(acknowledgementCycle(t('2026-08-31T12:00:00+01:00'), '09-01', 'Europe/London')).toBe('2025');
    expect(acknowledgementCycle(t('2026-09-01T00:00:00+01:00'), '09-01', 'Europe/London')).toBe('2026');
  });

  test('in summer the cycle turns at 23:00 UTC, while UTC still says 31 August', () => {
    expect(acknowledgementCycle(t('2026-08-31T22:59:59.999Z'), '09-01', 'Europe/London')).toBe('2025');
    expect(acknowledgementCycle(t('2026-08-31T23:00:00.000Z'), '09-01', 'Europe/London')).toBe('2026');
  });

  test('in winter the cycle turns at midnight UTC', () => {
    expect(acknowledgementCycle(t('2027-01-04T23:59:59.999Z'), '01-05', 'Europe/London')).toBe('2026');
    expect(acknowledgementCycle(t('2027-01-05T00:00:00.000Z'), '01-05', 'Europe/London')).toBe('2027');
  });

  test('another zone: in Auckland 1 September begins at 12:00 UTC the day before', () => {
    expect(acknowledgementCycle(t('2026-08-31T11:59:59Z'), '09-01', 'Pacific/Auckland')).toBe('2025');
    expect(acknowledgementCycle(t('2026-08-31T12:00:00Z'), '09-01', 'Pacific/Auckland')).toBe('2026');
  });

  test('early in the calendar year is still last year’s cycle', () => {
    expect(acknowledgementCycle(t('2027-03-15T10:00:00Z'), '09-01', 'Europe/London')).toBe('2026');
    expect(acknowledgementCycle(t('2026-12-31T23:59:59Z'), '01-01', 'Europe/London')).toBe('2026');
    expect(acknowledgementCycle(t('2027-01-01T00:00:00Z'), '01-01', 'Europe/London')).toBe('2027');
  });

  test('the next cycle starts at local midnight: BST in September, GMT in January', () => {
    expect(nextCycleStart(t('2026-08-31T12:00:00+01:00'), '09-01', 'Europe/London').toISOString()).toBe(iso('2026-09-01T00:00:00+01:00'));
    expect(nextCycleStart(t('2026-06-01T12:00:00+01:00'), '01-05', 'Europe/London').toISOString()).toBe(iso('2027-01-05T00:00:00+00:00'));
  });

  test('at the first moment of a cycle, the next one is a year later', () => {
    const start = t('2026-09-01T00:00:00+01:00');
    expect(nextCycleStart(start, '09-01', 'Europe/London').toISOString()).toBe(iso('2027-09-01T00:00:00+01:00'));
  });

  test('the next cycle start is where the cycle changes', () => {
    for (const at of ['2026-02-14T09:00:00Z', '2026-08-31T22:59:59Z', '2026-10-25T01:30:00Z', '2027-03-28T00:30:00Z']) {
      const next = nextCycleStart(t(at), '09-01', 'Europe/London');
      const current = Number(acknowledgementCycle(t(at), '09-01', 'Europe/London'));
      expect(acknowledgementCycle(next, '09-01', 'Europe/London')).toBe(String(current + 1));
      expect(acknowledgementCycle(new Date(next.getTime() - 1), '09-01', 'Europe/London')).toBe(String(current));
    }
  });

  test('where the clocks skip midnight, the cycle starts at the first moment of the day', () => {
    // São Paulo went from 00:00 -03 to 01:00 -02 on 4 November 2018.
    const next = nextCycleStart(t('2018-06-01T12:00:00Z'), '11-04', 'America/Sao_Paulo');
    expect(next.toISOString()).toBe('2018-11-04T03:00:00.000Z');
    expect(acknowledgementCycle(new Date(next.getTime() - 1), '11-04', 'America/Sao_Paulo')).toBe('2017');
    expect(acknowledgementCycle(next, '11-04', 'America/Sao_Paulo')).toBe('2018');
  });

  test('refuses 29 February, a malformed date and an unknown zone', () => {
    expectInvalidInput(() => acknowledgementCycle(t('2026-06-01T12:00:00Z'), '02-29', 'Europe/London'), /leap years/);
    expectInvalidInput(() => nextCycleStart(t('2026-06-01T12:00:00Z'), '9/1', 'Europe/London'), /MM-DD/);
    expectInvalidInput(() => acknowledgementCycle(t('2026-06-01T12:00:00Z'), '09-01', 'Europe/Londres'), /Europe\/London/);
  });
});
