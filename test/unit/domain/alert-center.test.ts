import { alertReportKey, alertsStartTime, initialAlertCursor, normaliseMessageId } from '../../../src/domain/alert-center.ts';
import { cursorAfter, unseenEvents } from '../../../src/domain/google-directory.ts';

describe('the Alert Center import cursor', () => {
  const now = new Date('2026-12-07T09:00:00Z');

  test('the first poll looks back a day (and the overlap); later polls an hour before the latest alert handled; never more than a week', () => {
    const first = initialAlertCursor(now);
    expect(alertsStartTime(first, now)).toBe('2026-12-06T08:00:00.000Z');
    expect(alertsStartTime({ time: '2026-12-07T08:30:00.000Z', seen: [] }, now)).toBe('2026-12-07T07:30:00.000Z');
    expect(alertsStartTime({ time: '2026-11-01T00:00:00.000Z', seen: [] }, now)).toBe('2026-11-30T09:00:00.000Z');
  });

  test('alerts already handled in the overlap are not handled again; a late one is', () => {
    const a = { key: 'a', time: '2026-12-07T08:00:00.000Z' };
    const b = { key: 'b', time: '2026-12-07T08:10:00.000Z' };
    const cursor = cursorAfter(cursorAfter(initialAlertCursor(now), a), b);
    const late = { key: 'late', time: '2026-12-07T08:05:00.000Z' };
    expect(unseenEvents(cursor, [a, b, late]).map((alert) => alert.key)).toEqual(['late']);
  });
});

describe('the key a report from an alert is claimed under', () => {
  test('one per alert, message and reporter, whatever the brackets or case; no address in it', () => {
    const key = alertReportKey('alert-1', { messageId: '<Abc@example.net>', recipient: 'Staff@Oakfield.example.org' });
    expect(key).toBe(alertReportKey('alert-1', { messageId: 'Abc@example.net', recipient: 'staff@oakfield.example.org' }));
    expect(key).not.toBe(alertReportKey('alert-2', { messageId: 'Abc@example.net', recipient: 'staff@oakfield.example.org' }));
    expect(key).not.toBe(alertReportKey('alert-1', { messageId: 'Abc@example.net', recipient: 'staff2@oakfield.example.org' }));
    expect(key).not.toContain('@');
    expect(key.length).toBeLessThan(120);
  });

  test('Message-IDs lose their angle brackets for Gmail’s search', () => {
    expect(normaliseMessageId(' <a.b@example.net> ')).toBe('a.b@example.net');
  });
});
