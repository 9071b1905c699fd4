import { UnitPacer } from '../../../src/integrations/google/gmail-mailboxes.ts';

describe('the Gmail quota pacer', () => {
  test('units over the minute wait for the oldest to leave the window', () => {
    let now = 0;
    const pacer = new UnitPacer(20, () => now);
    expect([pacer.reserve('a', 5), pacer.reserve('a', 5), pacer.reserve('a', 5), pacer.reserve('a', 5)]).toEqual([0, 0, 0, 0]);
    expect(pacer.reserve('b', 5)).toBe(0);
    now = 10_000;
    expect(pacer.reserve('a', 5)).toBe(50_000);
    now = 60_001;
    // The first four have left the window; the call given the slot at 60 s still counts.
    expect(pacer.reserve('a', 10)).toBe(0);
  });
});
