import Holidays from 'date-holidays';

/**
 * The UK's bank holidays by nation, from the maintained date-holidays package rather than lists typed in by
 * each school. England and Wales share theirs; Scotland (2 January, St Andrew's Day, its summer holiday on the
 * first Monday of August) and Northern Ireland (St Patrick's Day, the Battle of the Boyne) differ. A school's
 * region chooses which apply; `none` leaves only the dates the school types in itself.
 */
export const UK_REGIONS = ['england', 'wales', 'scotland', 'northern-ireland', 'none'] as const;
export type UkRegion = (typeof UK_REGIONS)[number];

/** Schools are English unless they say otherwise (most DSL Desk schools are). */
export const DEFAULT_REGION: UkRegion = 'england';

export const REGION_LABELS: Record<UkRegion, string> = {
  england: 'England',
  wales: 'Wales',
  scotland: 'Scotland',
  'northern-ireland': 'Northern Ireland',
  none: 'no bank holidays (closures typed in only)',
};

export const REGION_MESSAGE = `Give the school's region as one of: ${UK_REGIONS.join(', ')}.`;

export function isUkRegion(value: unknown): value is UkRegion {
  return typeof value === 'string' && (UK_REGIONS as readonly string[]).includes(value);
}

/** date-holidays' subdivision codes of Great Britain (its country code covers the whole UK). */
const SUBDIVISIONS: Record<Exclude<UkRegion, 'none'>, string> = { england: 'ENG', wales: 'WLS', scotland: 'SCT', 'northern-ireland': 'NIR' };

export interface BankHoliday {
  /** Local date, YYYY-MM-DD. */
  date: string;
  name: string;
}

const byRegionYear = new Map<string, readonly BankHoliday[]>();

/** The region's bank holidays in one year (substitute days included), oldest first. */
export function bankHolidays(region: UkRegion, year: number): readonly BankHoliday[] {
  if (region === 'none' || !Number.isInteger(year)) return [];
  const key = `${region}:${year}`;
  let found = byRegionYear.get(key);
  if (!found) {
    const calendar = new Holidays('GB', SUBDIVISIONS[region]);
    found = Object.freeze(
      calendar
        .getHolidays(year, 'en')
        // 'public' is a bank holiday; observances (Mother's Day, Halloween) are working days.
        .filter((holiday) => holiday.type === 'public' || holiday.type === 'bank')
        .map((holiday) => ({ date: holiday.date.slice(0, 10), name: holiday.name }))
        .sort((a, b) => a.date.localeCompare(b.date)),
    );
    byRegionYear.set(key, found);
  }
  return found;
}

/** True if `localDate` (YYYY-MM-DD) is a bank holiday in the region. */
export function isBankHoliday(region: UkRegion, localDate: string): boolean {
  return bankHolidays(region, Number(localDate.slice(0, 4))).some((holiday) => holiday.date === localDate);
}
