import { bankHolidays, isBankHoliday } from '../../../src/domain/bank-holidays.ts';
import { addWorkingDays, isWorkingDay, type SchoolDay } from '../../../src/domain/school-calendar.ts';
import { schoolDateTime, signedPage } from '../../../src/server/aup-page-html.ts';
import type { AupAcknowledgement, AupPolicyVersion } from '../../../src/domain/aup.ts';

const week = { start: '08:00', end: '16:30', workingDays: [1, 2, 3, 4, 5], closures: [] };

describe('the school’s time zone and holidays', () => {
  test('the school’s time zone and holidays: England’s and Wales’s bank holidays come from date-holidays', () => {
    expect(isBankHoliday('england', '2026-05-25')).toBe(true); // Spring bank holiday
    expect(isBankHoliday('wales', '2026-05-25')).toBe(true);
    expect(isBankHoliday('england', '2026-08-31')).toBe(true); // Summer bank holiday
    expect(isBankHoliday('england', '2026-12-28')).toBe(true); // Boxing Day (substitute day)
    expect(isBankHoliday('england', '2026-05-26')).toBe(false);
    expect(bankHolidays('england', 2026).map((h) => h.date)).toEqual(['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-04', '2026-05-25', '2026-08-31', '2026-12-25', '2026-12-26', '2026-12-28']);
    // Observances (Mother's Day, Halloween) are not holidays.
    expect(isBankHoliday('england', '2026-10-31')).toBe(false);
  });

  test('the school’s time zone and holidays: Scotland and Northern Ireland only when the school’s region says so', () => {
    expect(isBankHoliday('scotland', '2026-08-03')).toBe(true); // Summer bank holiday in Scotland…
    expect(isBankHoliday('england', '2026-08-03')).toBe(false); // …but not in England
    expect(isBankHoliday('scotland', '2026-08-31')).toBe(false);
    expect(isBankHoliday('scotland', '2026-11-30')).toBe(true); // St Andrew's Day
    expect(isBankHoliday('scotland', '2026-04-06')).toBe(false); // no Easter Monday
    expect(isBankHoliday('northern-ireland', '2026-03-17')).toBe(true); // St Patrick's Day
    expect(isBankHoliday('england', '2026-03-17')).toBe(false);
    expect(isBankHoliday('none', '2026-12-25')).toBe(false);
  });

  test('the school’s time zone and holidays: working-day rules skip the region’s bank holidays without typing them in', () => {
    const england: SchoolDay = { timeZone: 'Europe/London', region: 'england', ...week };
    const scotland: SchoolDay = { timeZone: 'Europe/London', region: 'scotland', ...week };
    expect(isWorkingDay('2026-05-25', england)).toBe(false);
    expect(isWorkingDay('2026-08-03', england)).toBe(true);
    expect(isWorkingDay('2026-08-03', scotland)).toBe(false);
    expect(isWorkingDay('2026-08-31', scotland)).toBe(true);
    // Without a region, only the typed closures count (as before).
    expect(isWorkingDay('2026-05-25', { timeZone: 'Europe/London', ...week })).toBe(true);
    // A reminder one working day after Friday 22 May 2026 (15:00 BST) waits for Tuesday: Monday is the Spring bank holiday.
    expect(addWorkingDays(new Date('2026-05-22T14:00:00Z'), 1, england).toISOString()).toBe('2026-05-26T14:00:00.000Z');
    // In Scotland, one working day after Friday 31 July is Tuesday 4 August.
    expect(addWorkingDays(new Date('2026-07-31T14:00:00Z'), 1, scotland).toISOString()).toBe('2026-08-04T14:00:00.000Z');
  });

  test('the school’s time zone and holidays: the signing page shows the time in the school’s zone', () => {
    expect(schoolDateTime('2026-09-02T07:45:00.000Z')).toBe('2 September 2026 at 08:45 BST');
    expect(schoolDateTime('2026-09-02T07:45:00.000Z', 'Asia/Kolkata')).toBe('2 September 2026 at 13:15 GMT+5:30');
    const policy = { id: 'p', title: 'Staff AUP', version: 2, sha256: 'a'.repeat(64), audience: 'staff', effectiveDate: '2026-09-01' } as AupPolicyVersion;
    const acknowledgement = { id: 'ack-1', signedAt: '2026-09-02T07:45:00.000Z', policyVersion: 2, typedName: 'Siân', wording: 'I agree', surface: 'web_link', sha256: 'a'.repeat(64) } as AupAcknowledgement;
    expect(signedPage({ schoolName: 'Dubai British School', schoolTimeZone: 'Asia/Dubai', policy, acknowledgement })).toMatch(/Signed on 2 September 2026 at 11:45 (GST|GMT\+4)/);
  });
});
