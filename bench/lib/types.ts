/** What a benchmark receives from the runner. */
export interface BenchContext {
  /** Measured seconds per phase (BENCH_SECONDS, default 10). */
  seconds: number;
  /** Prints one result line (a JSON object) on stdout. Nothing else goes to stdout. */
  emit(result: Record<string, unknown>): void;
  /** Progress and diagnostics, on stderr. */
  log(message: string): void;
  /** Registers a clean-up; clean-ups run last-in first-out when the benchmark ends, even on error. */
  defer(cleanup: () => Promise<void> | void): void;
}

export interface Benchmark {
  /** The `bench` field of its result line; BENCH_ONLY filters on it. */
  name: string;
  /** A reason to skip (for example a missing database), or undefined to run. */
  skip?(): string | undefined;
  run(ctx: BenchContext): Promise<void>;
}
