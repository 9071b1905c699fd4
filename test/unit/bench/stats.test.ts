import { busiestWindow } from '../../../bench/lib/stats.ts';

describe('busiestWindow: the most events within any window, as the benchmarks check rate limits', () => {
  test('events exactly one window apart are in different windows; times in any order; the input is left as it was', () => {
    const times = [4_000, 0, 2_000, 1_999];
    expect(busiestWindow(times, 2_000)).toBe(2);
    expect(times).toEqual([4_000, 0, 2_000, 1_999]);
    expect(busiestWindow([0, 2_000, 4_000], 2_000)).toBe(1);
    expect(busiestWindow([10, 20, 30, 1_010], 1_000)).toBe(3);
    expect(busiestWindow([], 1_000)).toBe(0);
  });
});
