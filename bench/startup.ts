import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshBuild } from '../bin/fresh-build.js';
import { percentile, round } from './lib/stats.ts';
import type { Benchmark, BenchContext } from './lib/types.ts';

/**
 * startup: how long an operator waits, measured on `node bin/dsl-desk.js` as `npm start` and `npx` run it.
 *
 *   service_ready_ms  `dsl-desk serve` (the sandbox, an existing SQLite database) until /readyz answers 200
 *   cli_analyse_ms    `dsl-desk analyse` of a sample .eml, until the process has exited
 *   cli_help_ms       `dsl-desk --help`, until the process has exited
 *   npx_help_ms       `npx dsl-desk --help` (npx's own start-up on top; for information)
 *
 * Each figure is the median of BENCH_STARTUP_RUNS runs (default 5) after one warm-up run. The built
 * runtime (dist/, scripts/build.js) is rebuilt first if it no longer matches the sources; `from_sources`
 * repeats the three measurements with DSL_DESK_FROM_SOURCES=1 for comparison.
 * Targets on the 2-core machine: service ≤ 3 s, analyse ≤ 400 ms, help ≤ 300 ms.
 */
const TARGETS = { service_ready_ms: 3_000, cli_analyse_ms: 400, cli_help_ms: 300 };
const READY_TIMEOUT_MS = 120_000;
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin/dsl-desk.js');
const sampleEmail = join(root, 'samples/emails/headteacher-gift-cards.eml');

interface Figures {
  service_ready_ms: number;
  cli_analyse_ms: number;
  cli_help_ms: number;
}

function median(samples: number[]): number {
  return round(percentile([...samples].sort((a, b) => a - b), 0.5), 0);
}

/** Settings for every child: a sandbox on loopback with its own data, whatever the runner's environment holds. */
function childEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DSL_DESK_MODE: 'sandbox', HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, DATABASE_URL: '', DATA_KEYS: '', LOG_LEVEL: 'info', NODE_NO_WARNINGS: '1' };
  delete env.DSL_DESK_FROM_SOURCES;
  return { ...env, ...extra };
}

/** Runs a command to its exit; its wall time in ms. Fails on a non-zero exit or output that lacks `expect`. */
function timeCommand(command: string, args: string[], env: NodeJS.ProcessEnv, expect: RegExp): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      const ms = performance.now() - started;
      if (code === 0 && expect.test(out)) resolve(ms);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${out.slice(0, 500)}`));
    });
  });
}

/** Starts `dsl-desk serve` and waits for /readyz 200; the time from spawn to that answer, then stops it with SIGTERM. */
async function timeServiceStart(env: NodeJS.ProcessEnv, ctx: BenchContext): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'serve'], { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  ctx.defer(() => void child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  try {
    // The listening line carries the port the service was given (PORT=0 picks a free one).
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      let partial = '';
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          const listening = /"url":"(http:\/\/[^"]+)".*"msg":"DSL Desk is listening"/.exec(line);
          if (listening) {
            clearTimeout(timer);
            resolve(listening[1]!);
          }
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the service exited (code ${code}) before it listened: ${stderr.slice(0, 500)}`));
      });
    });
    for (;;) {
      const response = await fetch(`${url}/readyz`).catch(() => undefined);
      if (response?.status === 200) break;
      if (performance.now() - started > READY_TIMEOUT_MS) throw new Error(`/readyz did not answer 200 within ${READY_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return performance.now() - started;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function measure(ctx: BenchContext, runs: number, label: string, extraEnv: Record<string, string>): Promise<Figures> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dsl-desk-bench-startup-'));
  ctx.defer(() => rm(dataDir, { recursive: true, force: true }));
  const env = childEnv(dataDir, extraEnv);
  // The first start creates and seeds the database; the measured starts find it there, as a restart does.
  await timeServiceStart(env, ctx);
  const service: number[] = [];
  for (let run = 0; run < runs; run += 1) service.push(await timeServiceStart(env, ctx));
  ctx.log(`${label}: service ready in ${service.map((ms) => Math.round(ms)).join(', ')} ms`);

  const analyseArgs = [cli, 'analyse', sampleEmail, '--school-domain', 'demo-school.test', '--staff-name', 'Harriet Head'];
  const analyse: number[] = [];
  const help: number[] = [];
  await timeCommand(process.execPath, analyseArgs, env, /"verdict"/);
  await timeCommand(process.execPath, [cli, '--help'], env, /Usage: dsl-desk/);
  for (let run = 0; run < runs; run += 1) {
    analyse.push(await timeCommand(process.execPath, analyseArgs, env, /"verdict"/));
    help.push(await timeCommand(process.execPath, [cli, '--help'], env, /Usage: dsl-desk/));
  }
  ctx.log(`${label}: analyse ${analyse.map((ms) => Math.round(ms)).join(', ')} ms; --help ${help.map((ms) => Math.round(ms)).join(', ')} ms`);
  return { service_ready_ms: median(service), cli_analyse_ms: median(analyse), cli_help_ms: median(help) };
}

async function run(ctx: BenchContext): Promise<void> {
  const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 5);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_STARTUP_RUNS must be a whole number ≥ 1, not ${process.env.BENCH_STARTUP_RUNS}`);
  // Measure what npm ci leaves behind: the built runtime, brought up to date if the sources moved on.
  if (!freshBuild(root, 'cli').path) {
    ctx.log('startup: dist/ is missing or out of date; building it first');
    const built = spawnSync(process.execPath, [join(root, 'scripts/build.js')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (built.status !== 0 || !freshBuild(root, 'cli').path) throw new Error('the build failed, so the startup benchmark cannot measure it');
  }
  const built = await measure(ctx, runs, 'built', {});
  const sources = await measure(ctx, runs, 'sources', { DSL_DESK_FROM_SOURCES: '1' });

  const npxDir = await mkdtemp(join(tmpdir(), 'dsl-desk-bench-npx-'));
  ctx.defer(() => rm(npxDir, { recursive: true, force: true }));
  const npxEnv = childEnv(npxDir);
  const npx: number[] = [];
  await timeCommand('npx', ['--no-install', 'dsl-desk', '--help'], npxEnv, /Usage: dsl-desk/);
  for (let run = 0; run < Math.min(runs, 3); run += 1) npx.push(await timeCommand('npx', ['--no-install', 'dsl-desk', '--help'], npxEnv, /Usage: dsl-desk/));

  ctx.emit({
    bench: 'startup',
    ...built,
    npx_help_ms: median(npx),
    from_sources: sources,
    runs,
    runtime: 'dist',
    targets: TARGETS,
    target_met: built.service_ready_ms <= TARGETS.service_ready_ms && built.cli_analyse_ms <= TARGETS.cli_analyse_ms && built.cli_help_ms <= TARGETS.cli_help_ms,
  });
}

export const startupBenchmarks: Benchmark[] = [{ name: 'startup', run }];
