import { cardEditDueAt, DEFAULT_CARD_EDIT_HOLD } from '../../../src/domain/chat.ts';

const hold = { quietMs: 180_000, maxHoldMs: 30 * 60_000 };
const t = (seconds: number) => new Date(Date.UTC(2026, 10, 23, 8, 0, 0) + seconds * 1000);

describe('a half-typed note is not wiped: when an edit of the shared card may go', () => {
  it('goes at once when nobody has worked the card, or it has been quiet long enough', () => {
    expect(cardEditDueAt({ now: t(10), changedAt: t(8).toISOString(), hold })).toEqual(t(10));
    expect(cardEditDueAt({ now: t(400), workedAt: t(100).toISOString(), changedAt: t(390).toISOString(), hold })).toEqual(t(400));
  });

  it('waits for the quiet period after the last time someone acted on the card, whatever the change came from', () => {
    expect(cardEditDueAt({ now: t(10), workedAt: t(0).toISOString(), changedAt: t(8).toISOString(), hold })).toEqual(t(180));
    expect(cardEditDueAt({ now: t(200), workedAt: t(120).toISOString(), changedAt: t(8).toISOString(), hold })).toEqual(t(300));
  });

  it('never waits longer than the longest hold after the change, however busy the card is', () => {
    expect(cardEditDueAt({ now: t(1790), workedAt: t(1780).toISOString(), changedAt: t(0).toISOString(), hold })).toEqual(t(1800));
    expect(cardEditDueAt({ now: t(1810), workedAt: t(1805).toISOString(), changedAt: t(0).toISOString(), hold })).toEqual(t(1810));
  });

  it('defaults to three minutes of quiet and at most thirty minutes', () => {
    expect(DEFAULT_CARD_EDIT_HOLD).toEqual(hold);
  });
});
