import { emailAnalysisBenchmarks } from './email-analysis.ts';
import { ingestBenchmarks } from './ingest.ts';
import { teamsWaveBenchmarks } from './teams-wave.ts';
import { chatWaveBenchmarks } from './chat-wave.ts';
import { gmailWaveBenchmarks } from './gmail-wave.ts';
import { aupCampaignBenchmarks } from './aup-campaign.ts';
import { aupCampaignChatBenchmarks } from './aup-campaign-chat.ts';
import { startupBenchmarks } from './startup.ts';
import { hostileEmailBenchmarks } from './hostile-email.ts';
import { pupilsBenchmarks } from './pupils.ts';
import type { Benchmark, BenchContext } from './lib/types.ts';

/**
 * `npm run bench`: runs each benchmark in turn and prints one JSON line per result on stdout (progress
 * on stderr). Add a benchmark by appending to BENCHMARKS.
 *
 *   BENCH_SECONDS=10     measured seconds per phase
 *   BENCH_ONLY=ingest    comma-separated names; a name also selects its variants (ingest → ingest-postgres)
 *   TEST_DATABASE_URL    also runs the PostgreSQL variants
 */
const BENCHMARKS: Benchmark[] = [...ingestBenchmarks, ...teamsWaveBenchmarks, ...chatWaveBenchmarks, ...gmailWaveBenchmarks, ...emailAnalysisBenchmarks, ...aupCampaignBenchmarks, ...aupCampaignChatBenchmarks, ...startupBenchmarks, ...hostileEmailBenchmarks, ...pupilsBenchmarks];

function selected(name: string, only: string[]): boolean {
  return only.length === 0 || only.some((o) => name === o || name.startsWith(`${o}-`));
}

const log = (message: string) => process.stderr.write(`${message}\n`);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
if (!Number.isFinite(seconds) || seconds <= 0) {
  log(`BENCH_SECONDS must be a positive number, not ${process.env.BENCH_SECONDS}`);
  process.exit(2);
}
const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);

// Clean-ups of the benchmark in progress; also run on Ctrl-C so children and temp data never linger.
let cleanups: (() => Promise<void> | void)[] = [];
async function runCleanups(): Promise<void> {
  const pending = cleanups.reverse();
  cleanups = [];
  for (const cleanup of pending) {
    try {
      await cleanup();
    } catch (error) {
      log(`clean-up failed: ${(error as Error).message}`);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void runCleanups().finally(() => process.exit(130));
  });
}

let failed = 0;
const toRun = BENCHMARKS.filter((b) => selected(b.name, only));
if (toRun.length === 0) log(`no benchmark matches BENCH_ONLY=${process.env.BENCH_ONLY}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
for (const benchmark of toRun) {
  const reason = benchmark.skip?.();
  if (reason) {
    log(`${benchmark.name}: skipped (${reason})`);
    continue;
  }
  const ctx: BenchContext = {
    seconds,
    emit: (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    log,
    defer: (cleanup) => void cleanups.push(cleanup),
  };
  const started = Date.now();
  try {
    await benchmark.run(ctx);
  } catch (error) {
    failed += 1;
    log(`${benchmark.name} failed: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await runCleanups();
    log(`${benchmark.name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}
process.exitCode = failed ? 1 : toRun.length ? 0 : 2;
