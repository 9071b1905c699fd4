/**
 * Growth, not speed. Speed targets are measured by `npm run bench`; a test that asserts an absolute duration fails
 * on a busy 2-core machine although the code is fine. What the timing tests guard against is super-linear time: a
 * pattern re-scanned from every position, so the time grows with the square of a run. That shows as a ratio, which
 * a busy machine does not change much: the work is done at size n and at 8n, and eight times the input must take
 * well under thirty times as long (in step with the size ≈ 8, quadratic ≈ 64).
 */

export interface TimeGrowthOptions {
  /** How many times larger the second size is than the first (default 8). */
  factor?: number;
  /** The largest accepted ratio of the two times (default 30: linear ≈ factor, quadratic ≈ factor²). */
  maxRatio?: number;
  /** Runs at the smaller size; the quickest is kept, to drop noise such as a first run's compilation (default 3). */
  smallerRuns?: number;
  /**
   * Measurements of the larger size before the check fails (default 2): one pause of the machine during a single
   * long run can double its time; a super-linear one is over the ratio every time.
   */
  attempts?: number;
  /** Times below this many milliseconds count as this much, so timer noise on a tiny run does not make a ratio. */
  floorMs?: number;
  /** Called before the timed runs at each scale, untimed: builds the input (with `inputsByScale`) so only the work is timed. */
  prepare?: (scale: number) => unknown;
}

export interface TimeGrowth {
  smallerMs: number;
  largerMs: number;
  ratio: number;
}

async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await work();
  return { ms: performance.now() - start, result };
}

/**
 * Measures how the time of `run` grows with its size: `run(1)` and `run(factor)` must do the same work on inputs of
 * size n and factor·n. Fails unless the larger takes less than `maxRatio` times as long as the smaller. Returns the
 * larger run's result, so a test goes on to assert what it produced.
 *
 * Choose n so the smaller run does real work (several milliseconds at least): a fixed cost that dominates it hides
 * a super-linear one. Build the inputs in `prepare` (see `inputsByScale`), so only the work itself is timed.
 */
export async function expectTimeInStepWithSize<T>(label: string, run: (scale: number) => Promise<T> | T, options: TimeGrowthOptions = {}): Promise<T> {
  const { factor = 8, maxRatio = 30, smallerRuns = 3, attempts = 2, floorMs = 1, prepare } = options;
  await prepare?.(1);
  await prepare?.(factor);
  let best: TimeGrowth | undefined;
  let result: T | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    let smallerMs = Infinity;
    for (let i = 0; i < smallerRuns; i++) smallerMs = Math.min(smallerMs, (await timed(() => run(1))).ms);
    const larger = await timed(() => run(factor));
    result = larger.result;
    const ratio = larger.ms / Math.max(smallerMs, floorMs);
    if (!best || ratio < best.ratio) best = { smallerMs: Math.round(smallerMs * 10) / 10, largerMs: Math.round(larger.ms * 10) / 10, ratio: Math.round(ratio * 10) / 10 };
    if (ratio < maxRatio) break;
  }
  // The label and the times are part of the compared value, so a failure says which input grew and by how much.
  expect({ label, ...best, inStep: best!.ratio < maxRatio }).toMatchObject({ label, inStep: true });
  return result as T;
}

/**
 * Builds the input for a scale once and keeps it. Pass it as `prepare` and call it again in `run`: the input is then
 * built once, outside the timed work.
 */
export function inputsByScale<T>(build: (scale: number) => T): (scale: number) => T {
  const built = new Map<number, T>();
  return (scale) => {
    if (!built.has(scale)) built.set(scale, build(scale));
    return built.get(scale)!;
  };
}
