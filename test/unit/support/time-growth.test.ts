import { expectTimeInStepWithSize, inputsByScale } from '../../support/time-growth.ts';

/**
 * The growth check must still catch what it is for: a scan restarted from every position of a run (time with the
 * square of its length) fails it, one pass over the run passes. Both work on a run of one letter, so they are
 * deterministic and take milliseconds.
 */
const runOf = inputsByScale((length: number) => 'a'.repeat(length));

/** How many characters of the run follow each position, counted one by one: what `[^\s]+@` does on a run without `@`. */
function rescanFromEveryPosition(text: string): number {
  let steps = 0;
  for (let start = 0; start < text.length; start++) {
    let end = start;
    while (end < text.length && text.charCodeAt(end) === 97) end++;
    steps += end - start;
  }
  return steps;
}

function onePass(text: string): number {
  let letters = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 97) letters++;
  return letters;
}

describe('expectTimeInStepWithSize', () => {
  test('a scan that restarts at every position of a run fails the check', async () => {
    // Sixteen times the run: quadratic work grows ≈256 times, eight times over the limit of 30, so a busy machine
    // slowing the smaller runs (or sparing the larger one) cannot bring it under. The smaller run does a few
    // million steps, so it is not lost in timer noise.
    const quadraticLength = (scale: number) => 2_500 * scale;
    await expect(
      expectTimeInStepWithSize('rescanned run', (scale) => rescanFromEveryPosition(runOf(quadraticLength(scale))), {
        factor: 16,
        prepare: (scale) => runOf(quadraticLength(scale)),
      }),
    ).rejects.toThrow(/"inStep": false/);
  });

  test('one pass over the run passes, and the larger run’s result is returned', async () => {
    const linearLength = (scale: number) => 2_000_000 * scale;
    const letters = await expectTimeInStepWithSize('one pass', (scale) => onePass(runOf(linearLength(scale))), { prepare: (scale) => runOf(linearLength(scale)) });
    expect(letters).toBe(16_000_000);
  });

  test('the result of an asynchronous run is returned too, from the larger size', async () => {
    const sizes: number[] = [];
    const result = await expectTimeInStepWithSize('async', async (scale) => {
      sizes.push(scale);
      return onePass(runOf(250_000 * scale));
    }, { prepare: (scale) => runOf(250_000 * scale) });
    expect(result).toBe(2_000_000);
    expect(sizes.slice(0, 4)).toEqual([1, 1, 1, 8]);
  });
});
