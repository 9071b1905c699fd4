import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { textField } from './text.ts';
import { AppError } from './errors.ts';
import { isBankHoliday, type UkRegion } from './bank-holidays.ts';

export { DEFAULT_TIME_ZONE } from './time-zone.ts';

/**
 * The school calendar: when the office is open, so that AUP reminders and safeguarding deadlines land
 * when someone is there to act on them, never at 3am, on a Sunday or on a bank holiday.
 *
 * Everything is reckoned in the school's own time zone, because "Monday 08:00" means Monday 08:00 on the
 * office clock whether or not British Summer Time is in force. The rules, precisely:
 *
 * - A *working day* is a local date whose ISO weekday is in `workingDays`, which is not in `closures` and
 *   which is not a bank holiday of the school's `region` (England and Wales, Scotland or Northern Ireland,
 *   from the date-holidays package; none when the region is `none` or not given).
 * - *School hours* on a working day D run from the first moment the local clock on D reads `start` or later,
 *   to the last moment it reads `end` or earlier, both ends included (08:00:00.000 and 16:30:00.000 are
 *   inside). The clocks changing only matters if the hours touch the changeover hour: if clocks go forward
 *   through `start`, the day opens when they jump; if they go back through it, the day opens at its first
 *   occurrence and closes at the last occurrence of `end`, so the repeated hour is inside.
 * - Any search for a working day gives up after about two years, with an `invalid_input` error, so a
 *   calendar that closes everything cannot hang a caller.
 */

/** A school's working week and office hours. */
export interface SchoolDay {
  /** IANA zone, e.g. 'Europe/London'. */
  timeZone: string;
  /** 'HH:MM' 24h local times the office works; reminders only go out inside them. Defaults '08:00'–'16:30'. */
  start: string;
  /** 'HH:MM' 24h local time the office closes (inclusive); must be after `start`. Default '16:30'. */
  end: string;
  /** ISO weekdays that are working days (1 = Monday … 7 = Sunday). Default [1,2,3,4,5]. */
  workingDays: number[];
  /** Local dates (YYYY-MM-DD) the school is closed (INSET, school holidays; bank holidays come from `region`). */
  closures: string[];
  /** Whose bank holidays close the school; none when not given. */
  region?: UkRegion;
}

/**
 * Office hours and working week used when a school has not set its own. Frozen, arrays included, because
 * every school shares it: copy the arrays before changing them.
 */
export const DEFAULT_SCHOOL_DAY: Omit<SchoolDay, 'timeZone'> = Object.freeze({
  start: '08:00',
  end: '16:30',
  workingDays: Object.freeze([1, 2, 3, 4, 5]) as number[],
  closures: Object.freeze([]) as unknown as string[],
});

/** Working-day offsets after sending at which reminders go out, unless a caller chooses others. */
export const DEFAULT_REMINDER_OFFSETS: readonly number[] = Object.freeze([1, 3, 7]);

/** Default number of working days before a start date that an unacknowledged AUP escalates. */
export const DEFAULT_ESCALATION_WORKING_DAYS = 2;

/** The most closure dates a school may list: a full year of dates with room to spare. */
export const MAX_CLOSURES = 400;

/** The largest working-day count accepted (about five school years): keeps every calculation short. */
export const MAX_WORKING_DAY_COUNT = 1000;

/** How far (in calendar days) a search for a working day goes before the calendar is judged unusable. */
const MAX_SEARCH_DAYS = 731;

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;

const CLOCK_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;
const LOCAL_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const MONTH_DAY_PATTERN = /^(\d{2})-(\d{2})$/;
/** Days in each month of a common year: a yearly date has to exist every year. */
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const CLOCK_MESSAGE = 'Give the time as HH:MM, such as 08:00.';
export const TIME_ZONE_MESSAGE = 'Give the time zone as a region and city, such as Europe/London.';
const WORKING_DAY_MESSAGE = 'Working days are numbers from 1 (Monday) to 7 (Sunday).';
const CLOSURE_MESSAGE = 'Give each closure date as YYYY-MM-DD, such as 2026-12-25.';
const END_AFTER_START_MESSAGE = 'The office must close after it opens: give an end time later than the start time.';
const MONTH_DAY_MESSAGE = 'Give the date as MM-DD, such as 09-01.';
const NO_WORKING_DAY_MESSAGE =
  'The school calendar has no working day within two years: check the working days and closure dates.';

/**
 * True if `name` is a time zone luxon (and so Intl) knows by its IANA name. Newer Intl also accepts bare
 * offsets such as '+01:00'; those are refused because a fixed offset never follows British Summer Time.
 */
export function isIanaZone(name: string): boolean {
  return /^[A-Za-z]/.test(name) && IANAZone.isValidZone(name);
}

/** The zone's usual spelling ('europe/london' → 'Europe/London'), so stored settings compare equal. */
export function canonicalZone(name: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: name }).resolvedOptions().timeZone;
}

function clockMs(value: string): number | null {
  const match = CLOCK_PATTERN.exec(value);
  if (!match) return null;
  return Number(match[1]) * MS_PER_HOUR + Number(match[2]) * MS_PER_MINUTE;
}

const clockSchema = textField({ message: CLOCK_MESSAGE }).regex(CLOCK_PATTERN, CLOCK_MESSAGE);

/**
 * Validates a school's calendar settings. `start`, `end`, `workingDays` and `closures` fall back to
 * {@link DEFAULT_SCHOOL_DAY}; working days and closures come out sorted with duplicates removed; the
 * time zone comes out in its usual spelling.
 */
export const schoolDaySchema = z
  .strictObject({
    timeZone: textField({ message: TIME_ZONE_MESSAGE })
      .trim()
      .refine(isIanaZone, TIME_ZONE_MESSAGE)
      .transform(canonicalZone),
    start: clockSchema.default(DEFAULT_SCHOOL_DAY.start),
    end: clockSchema.default(DEFAULT_SCHOOL_DAY.end),
    workingDays: z
      .array(z.number({ message: WORKING_DAY_MESSAGE }).int(WORKING_DAY_MESSAGE).min(1, WORKING_DAY_MESSAGE).max(7, WORKING_DAY_MESSAGE), {
        message: 'Give the working days as a list of numbers from 1 (Monday) to 7 (Sunday).',
      })
      .min(1, 'Choose at least one working day.')
      .transform((days) => [...new Set(days)].sort((a, b) => a - b))
      .default(() => [...DEFAULT_SCHOOL_DAY.workingDays]),
    closures: z
      .array(z.iso.date({ message: CLOSURE_MESSAGE }), { message: 'Give the closure dates as a list of dates such as 2026-12-25.' })
      .max(MAX_CLOSURES, `List at most ${MAX_CLOSURES} closure dates.`)
      .transform((dates) => [...new Set(dates)].sort())
      .default(() => []),
  })
  .superRefine((day, ctx) => {
    const start = clockMs(day.start);
    const end = clockMs(day.end);
    if (start !== null && end !== null && end <= start) ctx.addIssue({ code: 'custom', path: ['end'], message: END_AFTER_START_MESSAGE });
  });

/** What a caller may send: every field but `timeZone` is optional. */
export type SchoolDayInput = z.input<typeof schoolDaySchema>;

/**
 * The date, every year, on which people re-acknowledge their AUP ('MM-DD'). 29 February is refused because
 * a yearly cycle starting on it would be missing in three years out of four.
 */
export const reacknowledgeOnSchema = textField({ message: MONTH_DAY_MESSAGE })
  .regex(MONTH_DAY_PATTERN, MONTH_DAY_MESSAGE)
  .superRefine((value, ctx) => {
    const match = MONTH_DAY_PATTERN.exec(value);
    if (!match) return;
    const month = Number(match[1]);
    const dayOfMonth = Number(match[2]);
    if (month === 2 && dayOfMonth === 29) {
      ctx.addIssue({
        code: 'custom',
        message: '29 February is only in leap years, so a yearly re-acknowledgement on it would be skipped three years in four. Choose 02-28 or 03-01.',
      });
      return;
    }
    if (month < 1 || month > 12) {
      ctx.addIssue({ code: 'custom', message: `There is no month ${match[1]}. ${MONTH_DAY_MESSAGE}` });
      return;
    }
    if (dayOfMonth < 1 || dayOfMonth > (DAYS_IN_MONTH[month - 1] ?? 0)) {
      ctx.addIssue({ code: 'custom', message: `There is no such day in that month. ${MONTH_DAY_MESSAGE}` });
    }
  });

// ---------------------------------------------------------------------------------------------------------
// Checking arguments. The calculations take an already-validated SchoolDay, but a bad one would otherwise
// give silently wrong times (luxon returns invalid dates rather than throwing), so the essentials are
// re-checked on every call.

interface Calendar {
  zone: string;
  openMs: number;
  closeMs: number;
  workingDays: ReadonlySet<number>;
  closures: ReadonlySet<string>;
  region: UkRegion;
}

function invalid(userMessage: string, internal?: string): AppError {
  return new AppError('invalid_input', userMessage, internal === undefined ? {} : { internal });
}

function checkZone(timeZone: string): string {
  if (typeof timeZone !== 'string' || !isIanaZone(timeZone)) throw invalid(TIME_ZONE_MESSAGE, `unknown time zone ${JSON.stringify(timeZone)}`);
  return timeZone;
}

function calendarOf(day: SchoolDay): Calendar {
  const zone = checkZone(day.timeZone);
  const openMs = clockMs(day.start);
  const closeMs = clockMs(day.end);
  if (openMs === null || closeMs === null) throw invalid(CLOCK_MESSAGE);
  if (closeMs <= openMs) throw invalid(END_AFTER_START_MESSAGE);
  const workingDays = new Set(day.workingDays.filter((d) => Number.isInteger(d) && d >= 1 && d <= 7));
  if (workingDays.size === 0) throw invalid('Choose at least one working day.');
  return { zone, openMs, closeMs, workingDays, closures: new Set(day.closures), region: day.region ?? 'none' };
}

function checkInstant(at: Date, what: string): void {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw invalid(`Give a valid ${what}.`, `${what} is not a valid Date`);
}

function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_WORKING_DAY_COUNT) {
    throw invalid(`${what} must be a whole number of working days from 0 to ${MAX_WORKING_DAY_COUNT}.`);
  }
}

/** Parses 'YYYY-MM-DD' as a calendar date (UTC is used only as a zone-free place to do date arithmetic). */
function calendarDate(localDate: string): DateTime {
  const parsed = typeof localDate === 'string' && LOCAL_DATE_PATTERN.test(localDate) ? DateTime.fromISO(localDate, { zone: 'utc' }) : null;
  if (!parsed || !parsed.isValid) throw invalid('Give a date such as 2026-09-01.', `not a date: ${JSON.stringify(localDate)}`);
  return parsed;
}

function checkMonthDay(reacknowledgeOn: string): void {
  const result = reacknowledgeOnSchema.safeParse(reacknowledgeOn);
  if (!result.success) throw invalid(result.error.issues[0]?.message ?? MONTH_DAY_MESSAGE);
}

// ---------------------------------------------------------------------------------------------------------
// Local dates and clock times.

function shiftDate(localDate: string, days: number): string {
  return calendarDate(localDate).plus({ days }).toISODate() ?? localDate;
}

function working(calendar: Calendar, localDate: string): boolean {
  return calendar.workingDays.has(calendarDate(localDate).weekday) && !calendar.closures.has(localDate) && !isBankHoliday(calendar.region, localDate);
}

/** The `n`th working date after (`step` 1) or before (`step` -1) `localDate`. */
function stepWorkingDates(calendar: Calendar, localDate: string, n: number, step: 1 | -1): string {
  let date = localDate;
  for (let counted = 0; counted < n; counted += 1) {
    let searched = 0;
    do {
      date = shiftDate(date, step);
      searched += 1;
      if (searched > MAX_SEARCH_DAYS) throw invalid(NO_WORKING_DAY_MESSAGE, `no working day within ${MAX_SEARCH_DAYS} days of ${date}`);
    } while (!working(calendar, date));
  }
  return date;
}

function wallMs(moment: DateTime): number {
  return moment.hour * MS_PER_HOUR + moment.minute * MS_PER_MINUTE + moment.second * 1000 + moment.millisecond;
}

/** Orders a moment's local reading against local date `date` at clock time `ms`: negative if earlier. */
function compareLocal(moment: DateTime, date: string, ms: number): number {
  const momentDate = moment.toISODate() ?? '';
  if (momentDate !== date) return momentDate < date ? -1 : 1;
  return wallMs(moment) - ms;
}

/** The instants at which the local clock reads `date` `ms` exactly: two in a repeated hour, none in a skipped one. */
function exactInstants(date: string, ms: number, zone: string): { exact: DateTime[]; shifted: DateTime } {
  const calendar = calendarDate(date);
  const shifted = DateTime.fromObject(
    {
      year: calendar.year,
      month: calendar.month,
      day: calendar.day,
      hour: Math.floor(ms / MS_PER_HOUR),
      minute: Math.floor((ms % MS_PER_HOUR) / MS_PER_MINUTE),
      second: Math.floor((ms % MS_PER_MINUTE) / 1000),
      millisecond: ms % 1000,
    },
    { zone },
  );
  const exact = shifted.getPossibleOffsets().filter((moment) => compareLocal(moment, date, ms) === 0);
  return { exact: exact.sort((a, b) => a.toMillis() - b.toMillis()), shifted };
}

/**
 * The first instant whose local reading is `date` `ms` or later. Usually that is when the clock reads
 * exactly that (its first occurrence if the hour repeats); if the clocks skip that time, it is the moment
 * they jump, found by bisection between luxon's forward-shifted reading and a day and more before it.
 */
function firstInstantAtOrAfter(date: string, ms: number, zone: string): DateTime {
  const { exact, shifted } = exactInstants(date, ms, zone);
  const first = exact[0];
  if (first) return first;
  let after = shifted.toMillis();
  let before = after - 48 * MS_PER_HOUR;
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2);
    if (compareLocal(DateTime.fromMillis(middle, { zone }), date, ms) >= 0) after = middle;
    else before = middle;
  }
  return DateTime.fromMillis(after, { zone });
}

/** The last instant whose local reading is `date` `ms` or earlier (its last occurrence if the hour repeats). */
function lastInstantAtOrBefore(date: string, ms: number, zone: string): DateTime {
  const { exact } = exactInstants(date, ms, zone);
  const last = exact.at(-1);
  if (last) return last;
  return firstInstantAtOrAfter(date, ms, zone).minus({ milliseconds: 1 });
}

/** School hours on `date` as instants, or null if it is not a working day or the clocks skip all of them. */
function hoursOn(calendar: Calendar, date: string): { open: DateTime; close: DateTime } | null {
  if (!working(calendar, date)) return null;
  const open = firstInstantAtOrAfter(date, calendar.openMs, calendar.zone);
  const close = lastInstantAtOrBefore(date, calendar.closeMs, calendar.zone);
  if (close.toMillis() < open.toMillis() || open.toISODate() !== date) return null;
  return { open, close };
}

function nextMoment(calendar: Calendar, at: DateTime): DateTime {
  const firstDate = at.toISODate() ?? '';
  for (let offset = 0; offset <= MAX_SEARCH_DAYS; offset += 1) {
    const date = offset === 0 ? firstDate : shiftDate(firstDate, offset);
    const hours = hoursOn(calendar, date);
    if (hours && at.toMillis() <= hours.close.toMillis()) return at.toMillis() < hours.open.toMillis() ? hours.open : at;
  }
  throw invalid(NO_WORKING_DAY_MESSAGE, `no school hours within ${MAX_SEARCH_DAYS} days of ${at.toISO()}`);
}

function later(a: DateTime, b: DateTime): DateTime {
  return a.toMillis() >= b.toMillis() ? a : b;
}

// ---------------------------------------------------------------------------------------------------------
// The calendar.

/** True if the school is open on `localDate` (YYYY-MM-DD): a working weekday that is not a closure. */
export function isWorkingDay(localDate: string, day: SchoolDay): boolean {
  return working(calendarOf(day), calendarDate(localDate).toISODate() ?? localDate);
}

/**
 * The first moment at or after `at` that is inside school hours on a working day: `at` itself if the office
 * is open then, else the opening time of the same or the next working day.
 */
export function nextSchoolMoment(at: Date, day: SchoolDay): Date {
  checkInstant(at, 'time');
  const calendar = calendarOf(day);
  return nextMoment(calendar, DateTime.fromJSDate(at, { zone: calendar.zone })).toJSDate();
}

/**
 * `n` working days after the local date of `from` (n ≥ 0), at the same local time-of-day as `from` clamped
 * into school hours, then moved to the next school moment if needed.
 *
 * Precisely: the target date is the `n`th working date strictly after `from`'s local date (for n = 0, that
 * date itself, whether or not it is a working day). The time is `from`'s local clock time, raised to `start`
 * if earlier and lowered to `end` if later. If that moment is before `from` (only possible for n = 0) it
 * becomes `from`; the result is then the next school moment from there. So day 1 after a card sent Friday
 * 15:00 is Monday 15:00 (if Monday is a working day); day 1 after Monday 17:00 is Tuesday 16:30; day 1
 * after Monday 06:30 is Tuesday 08:00; day 0 after Friday 17:00 is Monday 08:00. Wall-clock times are kept
 * across British Summer Time changes: 15:00 stays 15:00 on the office clock.
 */
export function addWorkingDays(from: Date, n: number, day: SchoolDay): Date {
  checkInstant(from, 'start time');
  checkCount(n, 'The number of days');
  const calendar = calendarOf(day);
  const local = DateTime.fromJSDate(from, { zone: calendar.zone });
  const fromDate = local.toISODate() ?? '';
  const targetDate = stepWorkingDates(calendar, fromDate, n, 1);
  const clockTime = Math.min(Math.max(wallMs(local), calendar.openMs), calendar.closeMs);
  const candidate = firstInstantAtOrAfter(targetDate, clockTime, calendar.zone);
  return nextMoment(calendar, later(candidate, local)).toJSDate();
}

/**
 * When reminders go out for something sent at `sentAt`: one per offset (working days, as
 * {@link addWorkingDays}; default {@link DEFAULT_REMINDER_OFFSETS}), each inside school hours; sorted
 * earliest first, with any that fall at the same moment given once.
 */
export function reminderTimes(sentAt: Date, offsets: readonly number[], day: SchoolDay): Date[] {
  checkInstant(sentAt, 'time the message was sent');
  for (const offset of offsets) checkCount(offset, 'Each reminder');
  const times = new Map<number, Date>();
  for (const offset of offsets) {
    const time = addWorkingDays(sentAt, offset, day);
    times.set(time.getTime(), time);
  }
  return [...times.values()].sort((a, b) => a.getTime() - b.getTime());
}

/**
 * The escalation moment for a start date ("before contact with pupils"): the opening of the school day
 * `workingDaysBefore` working days before the local `startDate` (YYYY-MM-DD; default 2). Counting is
 * strictly before the start date, so 2 working days before a Monday start is the previous Thursday, at
 * 08:00 with default hours. With 0, it is the start date itself if that is a working day, else the last
 * working day before it, so the escalation never falls after the start.
 *
 * If that moment is already past at `now`, the result is `now`'s next school moment: escalate as soon as
 * possible rather than never.
 */
export function escalationTime(startDate: string, now: Date, day: SchoolDay, workingDaysBefore: number = DEFAULT_ESCALATION_WORKING_DAYS): Date {
  checkInstant(now, 'current time');
  checkCount(workingDaysBefore, 'The escalation notice');
  const calendar = calendarOf(day);
  const start = calendarDate(startDate).toISODate() ?? startDate;
  const escalationDate =
    workingDaysBefore === 0 && working(calendar, start) ? start : stepWorkingDates(calendar, start, Math.max(workingDaysBefore, 1), -1);
  const opening = nextMoment(calendar, firstInstantAtOrAfter(escalationDate, 0, calendar.zone));
  const current = DateTime.fromJSDate(now, { zone: calendar.zone });
  return (opening.toMillis() < current.toMillis() ? nextMoment(calendar, current) : opening).toJSDate();
}

function cycleYear(at: Date, reacknowledgeOn: string, timeZone: string): number {
  checkInstant(at, 'time');
  checkMonthDay(reacknowledgeOn);
  const local = DateTime.fromJSDate(at, { zone: checkZone(timeZone) });
  return local.toFormat('MM-dd') >= reacknowledgeOn ? local.year : local.year - 1;
}

/**
 * The yearly re-acknowledgement cycle a moment belongs to: the year of the most recent `reacknowledgeOn`
 * ('MM-DD', local to the zone) at or before `at`. E.g. with '09-01', 2026-08-31 → '2025',
 * 2026-09-01T00:00 local → '2026'. A cycle begins at local midnight (or, where the clocks skip midnight,
 * at the first moment of that date).
 */
export function acknowledgementCycle(at: Date, reacknowledgeOn: string, timeZone: string): string {
  return String(cycleYear(at, reacknowledgeOn, timeZone));
}

/** The start (local midnight, as a Date) of the next cycle after `at`: strictly after, even at a cycle's first moment. */
export function nextCycleStart(at: Date, reacknowledgeOn: string, timeZone: string): Date {
  const year = cycleYear(at, reacknowledgeOn, timeZone) + 1;
  const date = `${String(year).padStart(4, '0')}-${reacknowledgeOn}`;
  return firstInstantAtOrAfter(date, 0, timeZone).toJSDate();
}
