import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { SANDBOX_PEOPLE } from '../src/app/organisations/seed-sandbox-school.ts';
import type { BaselineOptions } from './serve-baseline.ts';
import type { OursOptions } from './serve-ours.ts';
import { startServerChild } from './lib/children.ts';
import { runLoad, type LoadResult, type RequestSpec } from './lib/load.ts';
import { percentile, round } from './lib/stats.ts';
import type { Benchmark, BenchContext } from './lib/types.ts';

/**
 * ingest: 32 closed-loop clients file reports through the real API (POST /api/v1/reports, each with its
 * own Idempotency-Key) for BENCH_SECONDS; then the same number of requests, at the same concurrency, go
 * to a bare Express route doing one plain INSERT on the same engine. ratio = ours / baseline throughput.
 */
const CONCURRENCY = 32;
const WARMUP_MS = 1_000;

const CONCERN_BODY = Buffer.from(
  JSON.stringify({
    concern: {
      types: ['online_bullying'],
      location: 'inside_school',
      description: 'Year 5 group chat: messages mocking a pupil, shared by several children over the weekend.',
      appsInvolved: ['WhatsApp'],
    },
  }),
);

function oursRequest(runId: string, phase: string) {
  return (client: number, seq: number): RequestSpec => ({
    method: 'POST',
    path: '/api/v1/reports',
    headers: {
      'content-type': 'application/json',
      // 32 clients spread over the 8 seeded demo people: 4 clients each.
      'x-dsl-desk-sandbox-user': SANDBOX_PEOPLE[client % SANDBOX_PEOPLE.length]!.email,
      'idempotency-key': `bench-${runId}-${phase}-${seq}`,
    },
    body: CONCERN_BODY,
  });
}

const baselineRequest = (): RequestSpec => ({ method: 'POST', path: '/insert', headers: { 'content-type': 'application/json' }, body: CONCERN_BODY });

function summary(result: LoadResult) {
  const sorted = Float64Array.from(result.latenciesMs).sort();
  return {
    rps: result.ok / (result.elapsedMs / 1000),
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

function describe(label: string, result: LoadResult): string {
  const s = summary(result);
  const errors = result.errors ? ` errors=${result.errors} statuses=${JSON.stringify(result.statuses)} first=${result.firstError}` : '';
  return `${label}: ${result.ok} ok in ${(result.elapsedMs / 1000).toFixed(2)} s = ${s.rps.toFixed(0)} rps, p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(2)} ms${errors}`;
}

interface Engine {
  name: string;
  ours: OursOptions;
  baseline: BaselineOptions;
  /** Reports stored by the service, to check the requests really landed where we think. */
  countStoredCases(): Promise<number>;
}

async function sqliteEngine(ctx: BenchContext): Promise<Engine> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dsl-desk-bench-'));
  ctx.defer(() => rm(dataDir, { recursive: true, force: true }));
  return {
    name: 'sqlite',
    ours: { dataDir },
    baseline: { engine: 'sqlite', path: join(dataDir, 'baseline.sqlite') },
    async countStoredCases() {
      const db = new DatabaseSync(join(dataDir, 'dsl-desk.sqlite'), { readOnly: true });
      try {
        return Number((db.prepare('select count(*) as n from cases').get() as { n: number }).n);
      } finally {
        db.close();
      }
    },
  };
}

/** The service takes its database from a URL only, so the fresh schema rides in libpq's `options` parameter. */
export function withSearchPath(url: string, schema: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

async function postgresEngine(ctx: BenchContext, url: string): Promise<Engine> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dsl-desk-bench-'));
  ctx.defer(() => rm(dataDir, { recursive: true, force: true }));
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  ctx.defer(async () => {
    try {
      await admin.query(`drop schema if exists ${schema} cascade`);
      ctx.log(`dropped schema ${schema}`);
    } finally {
      await admin.end();
    }
  });
  await admin.query(`create schema ${schema}`);
  ctx.log(`created schema ${schema}`);
  return {
    name: 'postgres',
    ours: { dataDir, databaseUrl: withSearchPath(url, schema) },
    baseline: { engine: 'postgres', url, schema },
    async countStoredCases() {
      // Schema-qualified: fails if the service's tables were created anywhere else.
      return Number((await admin.query<{ n: string }>(`select count(*) as n from ${schema}.cases`)).rows[0]!.n);
    },
  };
}

async function runIngest(ctx: BenchContext, bench: string, engine: Engine): Promise<void> {
  const runId = randomBytes(4).toString('hex');
  const durationMs = ctx.seconds * 1000;

  ctx.log(`${bench}: starting the service (${engine.name})`);
  const ours = await startServerChild(new URL('./serve-ours.ts', import.meta.url), engine.ours, `ours-${engine.name}`);
  ctx.defer(() => ours.stop());
  const warmOurs = await runLoad({ baseUrl: ours.url, concurrency: CONCURRENCY, durationMs: WARMUP_MS, makeRequest: oursRequest(runId, 'warm') });
  ctx.log(describe(`${bench} ours warm-up`, warmOurs));
  const oursResult = await runLoad({ baseUrl: ours.url, concurrency: CONCURRENCY, durationMs, makeRequest: oursRequest(runId, 'run') });
  ctx.log(describe(`${bench} ours`, oursResult));
  await ours.stop();
  const stored = await engine.countStoredCases();
  const expected = warmOurs.ok + oursResult.ok;
  if (stored !== expected) ctx.log(`WARNING: ${bench}: ${stored} cases stored, expected ${expected}`);
  else ctx.log(`${bench}: ${stored} cases stored, as expected`);

  ctx.log(`${bench}: starting the baseline (${engine.name})`);
  const baseline = await startServerChild(new URL('./serve-baseline.ts', import.meta.url), engine.baseline, `baseline-${engine.name}`);
  ctx.defer(() => baseline.stop());
  ctx.log(describe(`${bench} baseline warm-up`, await runLoad({ baseUrl: baseline.url, concurrency: CONCURRENCY, durationMs: WARMUP_MS, makeRequest: baselineRequest })));
  const baseResult = await runLoad({ baseUrl: baseline.url, concurrency: CONCURRENCY, totalRequests: Math.max(oursResult.ok, CONCURRENCY), makeRequest: baselineRequest });
  ctx.log(describe(`${bench} baseline`, baseResult));
  await baseline.stop();

  const o = summary(oursResult);
  const b = summary(baseResult);
  ctx.emit({
    bench,
    throughput_rps: Math.round(o.rps),
    p50_ms: round(o.p50, 2),
    p99_ms: round(o.p99, 2),
    baseline_rps: Math.round(b.rps),
    ratio: round(o.rps / b.rps, 2),
    errors: oursResult.errors,
    requests: oursResult.ok + oursResult.errors,
    seconds: round(oursResult.elapsedMs / 1000, 2),
    concurrency: CONCURRENCY,
    baseline_p50_ms: round(b.p50, 2),
    baseline_p99_ms: round(b.p99, 2),
    baseline_errors: baseResult.errors,
  });
}

export const ingestBenchmarks: Benchmark[] = [
  {
    name: 'ingest',
    run: async (ctx) => runIngest(ctx, 'ingest', await sqliteEngine(ctx)),
  },
  {
    name: 'ingest-postgres',
    skip: () => (process.env.TEST_DATABASE_URL ? undefined : 'TEST_DATABASE_URL is not set'),
    run: async (ctx) => runIngest(ctx, 'ingest-postgres', await postgresEngine(ctx, process.env.TEST_DATABASE_URL!)),
  },
];
