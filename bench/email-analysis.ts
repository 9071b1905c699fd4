import { execFile, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { analyseEmail, type Verdict } from '../src/analysis/index.ts';
import { BENCH_SCHOOL, generateMixedEmails, writeLargeEmail } from './lib/generate-emails.ts';
import { round } from './lib/stats.ts';
import type { Benchmark, BenchContext } from './lib/types.ts';

/**
 * email-analysis: how fast reported emails are analysed, how much memory a maximum-size report costs, and how
 * big the Outlook add-in's own JavaScript is. Targets: ≥ 200 messages/s on one core over a mixed set; RSS growth
 * ≤ 3× the message size for a 35 MB message; add-in ≤ 100 KB gzipped.
 *
 *   messages_per_s   one core, one message at a time, over MESSAGES generated messages, for BENCH_SECONDS
 *   rss_growth_ratio (peak RSS − RSS before reading the file) / message size, in a fresh child process, so the
 *                    message's own bytes count (1.0 is the floor)
 *   addin_bundle_kb_gz  gzip size of the add-in's scripts one Outlook runtime loads, from build/addon/outlook/*.js
 *                    (a sandbox copy is built in a temporary folder if missing); addin_all_scripts_kb_gz sums them all
 */
const MESSAGES = 400;
const LARGE_MESSAGE_BYTES = 35 * 1024 * 1024;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADDIN_DIR = join(ROOT, 'build', 'addon', 'outlook');

async function throughput(ctx: BenchContext) {
  const messages = generateMixedEmails(MESSAGES);
  const bytes = messages.reduce((sum, m) => sum + m.raw.length, 0);
  ctx.log(`email-analysis: ${messages.length} messages (${(bytes / 1024 / 1024).toFixed(1)} MB, ${new Set(messages.map((m) => m.kind)).size} kinds)`);
  const verdicts: Record<Verdict, number> = { likely_phishing: 0, suspicious: 0, no_threat_found: 0, simulation: 0, not_analysed: 0 };
  const byKind = new Map<string, Verdict>();
  for (const m of messages) {
    const result = await analyseEmail(m.raw, BENCH_SCHOOL);
    verdicts[result.verdict] += 1;
    byKind.set(m.kind, result.verdict);
  }
  ctx.log(`email-analysis: verdicts by kind ${JSON.stringify(Object.fromEntries(byKind))}`);

  const until = performance.now() + ctx.seconds * 1000;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let analysed = 0;
  while (performance.now() < until) {
    await analyseEmail(messages[analysed % messages.length]!.raw, BENCH_SCHOOL);
    analysed += 1;
  }
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return {
    messagesPerS: analysed / elapsed,
    analysed,
    mbPerS: (analysed * (bytes / messages.length)) / elapsed / 1024 / 1024,
    cpuCores: (cpu.user + cpu.system) / 1e6 / elapsed,
    verdicts,
  };
}

interface ChildReport {
  size: number;
  /** Peak RSS before the message was read (module loading, warm-up): if it exceeds peakRss, growth is overstated. */
  peakBeforeRss: number;
  baselineRss: number;
  peakRss: number;
  analysisMs: number;
  sha256Ok: boolean;
  verdict: Verdict;
}

async function largeMessageMemory(ctx: BenchContext): Promise<ChildReport> {
  const dir = await mkdtemp(join(tmpdir(), 'dsl-desk-bench-email-'));
  ctx.defer(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'large.eml');
  const written = await writeLargeEmail(path, LARGE_MESSAGE_BYTES);
  ctx.log(`email-analysis: analysing a ${(written.size / 1024 / 1024).toFixed(1)} MB message in a child process`);
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--rss-child', path, written.sha256], {
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildReport;
}

/**
 * Samples the process's RSS every millisecond or two from a worker thread, which keeps running while the main
 * thread is busy analysing; started before the baseline so its own memory is not counted as growth.
 */
const SAMPLER = `
const { parentPort } = require('node:worker_threads');
let max = 0;
const timer = setInterval(() => { max = Math.max(max, process.memoryUsage.rss()); }, 1);
parentPort.on('message', (m) => { if (m === 'reset') max = 0; else { clearInterval(timer); parentPort.postMessage(max); } });
`;

/** Runs in the child: RSS before reading the file, then the peak while reading and analysing it. */
async function rssChild(path: string, expectedSha256: string): Promise<void> {
  const sampler = new Worker(SAMPLER, { eval: true });
  await analyseEmail(generateMixedEmails(10)[3]!.raw, BENCH_SCHOOL); // load and compile everything first
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const baselineRss = process.memoryUsage().rss;
  const peakBeforeRss = process.resourceUsage().maxRSS * 1024;
  sampler.postMessage('reset');
  const started = performance.now();
  const raw = await readFile(path);
  const result = await analyseEmail(raw, BENCH_SCHOOL);
  const analysisMs = performance.now() - started;
  sampler.postMessage('stop');
  const [sampledPeak] = (await once(sampler, 'message')) as [number];
  await sampler.terminate();
  // The kernel's high-water mark is exact but covers the child's whole life: use it when it rose during the
  // analysis, and the sampled peak otherwise (loading modules can peak higher than a lean analysis).
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const peakRss = maxRss > peakBeforeRss ? maxRss : Math.max(sampledPeak, baselineRss);
  const report: ChildReport = { size: raw.length, peakBeforeRss, baselineRss, peakRss, analysisMs, sha256Ok: result.attachments[0]?.sha256 === expectedSha256, verdict: result.verdict };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

interface BundleSize {
  /** The largest set of scripts one Outlook runtime loads (the budget's measure); the largest script if unknown. */
  kb: number | null;
  /** All of build/addon/outlook/*.js together. */
  allKb: number | null;
  files: number;
  source: string;
}

/**
 * Gzipped size of the add-in's own scripts (Office.js is loaded from Microsoft and not part of it). Measures
 * build/addon/outlook when it exists; otherwise builds a sandbox copy into a temporary folder (sizes do not depend
 * on the school's values) so the repository's build folder is never filled with example settings.
 */
async function addinBundle(ctx: BenchContext): Promise<BundleSize> {
  let dir = ADDIN_DIR;
  let source = 'build/addon/outlook';
  if (!existsSync(dir)) {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
    if (!scripts['build:addin']) {
      ctx.log('email-analysis: no build/addon/outlook and no build:addin script; bundle size not measured');
      return { kb: null, allKb: null, files: 0, source: 'none' };
    }
    const tmp = await mkdtemp(join(tmpdir(), 'dsl-desk-bench-addin-'));
    ctx.defer(() => rm(tmp, { recursive: true, force: true }));
    dir = join(tmp, 'outlook');
    source = 'npm run build:addin -- --sandbox (temporary copy)';
    ctx.log('email-analysis: build/addon/outlook is missing; building a sandbox copy to measure');
    const build = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build:addin', '--', '--sandbox', '--out', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (build.status !== 0 || !existsSync(dir)) {
      ctx.log(`email-analysis: build:addin failed (${build.status}): ${(build.stderr || build.stdout || '').trim().split('\n').slice(-3).join(' | ')}`);
      return { kb: null, allKb: null, files: 0, source: 'build failed' };
    }
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
  if (!files.length) return { kb: null, allKb: null, files: 0, source };
  const sizes = files.map((f) => gzipSync(readFileSync(join(dir, f)), { level: 9 }).length / 1024);
  let perRuntime = Math.max(...sizes);
  // The build records which scripts each runtime (ribbon/spam-report, task pane) loads together.
  const recorded = join(dir, 'sizes.json');
  if (existsSync(recorded)) {
    const max = (JSON.parse(readFileSync(recorded, 'utf8')) as { maxRuntimeKbGz?: unknown }).maxRuntimeKbGz;
    if (typeof max === 'number') perRuntime = max;
  }
  return { kb: round(perRuntime, 1), allKb: round(sizes.reduce((a, b) => a + b, 0), 1), files: files.length, source };
}

async function run(ctx: BenchContext): Promise<void> {
  const speed = await throughput(ctx);
  ctx.log(`email-analysis: ${speed.analysed} analysed, ${speed.messagesPerS.toFixed(0)} messages/s, ${speed.cpuCores.toFixed(2)} cores`);
  const memory = await largeMessageMemory(ctx);
  const growth = Math.max(0, memory.peakRss - memory.baselineRss);
  ctx.log(`email-analysis: large message ${memory.analysisMs.toFixed(0)} ms, RSS ${(memory.baselineRss / 1e6).toFixed(0)} (peak so far ${(memory.peakBeforeRss / 1e6).toFixed(0)}) → peak ${(memory.peakRss / 1e6).toFixed(0)} MB, hash ${memory.sha256Ok ? 'matches' : 'DOES NOT MATCH'}`);
  const bundle = await addinBundle(ctx);
  ctx.log(`email-analysis: add-in ${bundle.kb ?? '?'} KB gzipped per runtime, ${bundle.allKb ?? '?'} KB all scripts (${bundle.source})`);
  ctx.emit({
    bench: 'email-analysis',
    messages_per_s: round(speed.messagesPerS, 0),
    rss_growth_ratio: round(growth / memory.size, 2),
    addin_bundle_kb_gz: bundle.kb,
    messages: MESSAGES,
    analysed: speed.analysed,
    mb_per_s: round(speed.mbPerS, 1),
    cpu_cores: round(speed.cpuCores, 2),
    verdicts_per_pass: speed.verdicts,
    large_message_mb: round(memory.size / 1024 / 1024, 1),
    large_message_ms: round(memory.analysisMs, 0),
    large_message_hash_ok: memory.sha256Ok,
    addin_all_scripts_kb_gz: bundle.allKb,
    addin_files: bundle.files,
    targets: { messages_per_s: 200, rss_growth_ratio: 3, addin_bundle_kb_gz: 100 },
  });
}

export const emailAnalysisBenchmarks: Benchmark[] = [{ name: 'email-analysis', run }];

if (process.argv[2] === '--rss-child' && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await rssChild(process.argv[3]!, process.argv[4]!);
}
