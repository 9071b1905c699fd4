import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addSchool } from '../src/app/organisations/add-school.ts';
import { upsertPerson } from '../src/app/people/add-person.ts';
import { OPERATOR, type AppDeps } from '../src/app/deps.ts';
import { getCampaignProgress } from '../src/app/aup/get-aup-status.ts';
import { publishAup } from '../src/app/aup/publish-aup.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { openStorage } from '../src/storage/open-storage.ts';
import { randomIds, systemClock } from '../src/system.ts';
import { startFakeChatRest, type FakeChatCall, type FakeChatRest } from '../scripts/workspace-client/fake-chat-rest.ts';
import { startServiceChild, type ServiceChild } from './lib/service-child.ts';
import { busiestWindow, round } from './lib/stats.ts';
import { writeUnusedServiceAccountKey } from '../test/support/google-service-account.ts';
import type { Benchmark, BenchContext } from './lib/types.ts';
import type { GoogleChatChildOptions } from './serve-google-chat.ts';

/**
 * aup-campaign-chat: a Google school publishes its staff AUP to 5,000 people, each with a DM with DSL Desk's
 * Chat app (the school's admin installed it for everyone) that DSL Desk finds with spaces.findDirectMessage.
 * DSL Desk runs as its own process in production mode and posts one policy card per person through a fake
 * Chat REST API that enforces Chat's quotas (3,000 message writes a minute for the project, 1 write a second
 * per space, 429 beyond them) and answers 2% of writes with 429 besides. The fake does not refuse reads, so
 * the benchmark checks Chat's read quota (3,000 a minute) from the fake's log of calls instead.
 *
 * The campaign may use the service's whole write share, GOOGLE_CHAT_WRITES_PER_MINUTE (2,700 here, under
 * Chat's 3,000), one write per card, so the minimum time is
 *     min_s = recipients / (GOOGLE_CHAT_WRITES_PER_MINUTE / 60) = recipients / 45 per second,
 * and ratio = elapsed / min_s. (The project window is a sliding minute, so a small campaign can go out in a
 * burst faster than that: its ratio is then below 1.)
 *
 * Run 1 sends the whole campaign uninterrupted. Run 2 (fresh database and fake) stops the service with
 * SIGTERM when half the cards are out, as a platform does on a deploy, and starts a new process on the same
 * database. Target, in both runs: ratio ≤ 1.15, no duplicate card, no one missed.
 *
 *   BENCH_AUP_CHAT_RECIPIENTS=300   fewer people, for a quick run (default 5000)
 *   BENCH_AUP_CHAT_CHILD_ENV='{…}'  extra settings for the service, to try other values (OUTBOX_POLL_MS, …)
 *   BENCH_AUP_CHAT_TRACE_DIR=dir    writes every Chat API call of each run (ms since ready, status, route, resource) as CSV
 */
const WRITES_PER_MINUTE = 2_700;
const CHAT_PROJECT_WRITES_PER_MINUTE = 3_000;
const CHAT_PROJECT_READS_PER_MINUTE = 3_000;
const OUTBOX_POLL_MS = 100;
const THROTTLE_RATIO = 0.02;
const SEED = 20261207;
const TARGET_RATIO = 1.15;
const PROJECT_NUMBER = '424242424243';
const DOMAIN = 'campaign.example.org';
/** People per seeding transaction: bulk, but each batch still goes through the person use case. */
const SEED_BATCH = 250;
/** After the last expected card: long enough for a late duplicate (a retried message) to arrive. */
const SETTLE_MS = 5_000;
/** No new card for this long ends the wait; longer than the outbox lease (60 s). */
const STALL_MS = 120_000;
const PROGRESS_EVERY_MS = 30_000;
const DATA_KEY = Buffer.alloc(32, 13).toString('base64');

type Interruption = 'SIGTERM' | undefined;

interface Seeded {
  schoolId: string;
  campaignId: string;
  /** Each recipient's DM with the app, as the fake Chat has it. */
  spaces: string[];
  seedSeconds: number;
}

interface RunResult {
  elapsed_s: number;
  ratio: number;
  duplicates: number;
  lost: number;
  /** Messages in the recipients' DMs that were not a policy card. */
  other_messages: number;
  throttled: number;
  chat_calls: number;
  /** Accepted writes in the busiest minute, and in the busiest second of any one space. */
  max_writes_per_min: number;
  max_writes_per_s_per_space: number;
  /** DM look-ups (space reads) in the busiest minute: Chat allows 3,000. */
  max_reads_per_min: number;
  /** Outbox retries by reason, from the service's warnings. */
  outbox_retries: Record<string, number>;
  db: { sent: number; queued: number; failed: number; unsent: number; outbox_failed: number };
  startup_s: number;
  seed_s: number;
  rss_mb: number | null;
  interruption?: { signal: string; at_cards: number; drain_s: number; exit: string; restart_s: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recipientsFromEnv(): number {
  const value = Number(process.env.BENCH_AUP_CHAT_RECIPIENTS ?? 5_000);
  if (!Number.isInteger(value) || value < 2) throw new Error(`BENCH_AUP_CHAT_RECIPIENTS must be a whole number of at least 2, not ${process.env.BENCH_AUP_CHAT_RECIPIENTS}`);
  return value;
}

function extraChildEnv(): Record<string, string> {
  const raw = process.env.BENCH_AUP_CHAT_CHILD_ENV;
  if (!raw) return {};
  const parsed = JSON.parse(raw) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
}

/** A Google account id as Chat names users: 21 digits. */
function googleSubject(i: number): string {
  return String(120_000_000_000_000_000_000n + BigInt(i));
}

/** The service's environment: production, the Chat app pointed at the local fake, its whole write share for the campaign. */
function serviceEnv(dataDir: string, chat: FakeChatRest, keyFile: string): Record<string, string> {
  return {
    DSL_DESK_MODE: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    PUBLIC_BASE_URL: 'https://dsl-desk.campaign.example.org',
    DATA_DIR: dataDir,
    DATA_KEYS: `bench:${DATA_KEY}`,
    DATA_KEY_ID: 'bench',
    LOG_LEVEL: 'warn',
    GOOGLE_PROJECT_NUMBER: PROJECT_NUMBER,
    GOOGLE_ADDON_OAUTH_CLIENT_ID: 'dsl-desk-bench.apps.googleusercontent.com',
    // Never read: the child gives the Chat API the fake's token instead of asking Google for one.
    GOOGLE_SERVICE_ACCOUNT_KEY_FILE: keyFile,
    // Nothing may point at the real Google, even a certificate fetch.
    GOOGLE_CERTS_URL: `${chat.url}oauth2/v1/certs`,
    GOOGLE_CHAT_API_ROOT_URL: chat.url,
    GOOGLE_CHAT_WRITES_PER_MINUTE: String(WRITES_PER_MINUTE),
    OUTBOX_POLL_MS: String(OUTBOX_POLL_MS),
    ...extraChildEnv(),
  };
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** A seeded generator, so each run throttles the same share of writes. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 0x100000000;
  };
}

/**
 * One school, `recipients` members of staff each known by their Google account (no chat remembered: DSL
 * Desk finds each DM itself), and the staff policy published (which queues the campaign), written straight
 * into the database the service will open.
 */
async function seed(config: Config, chat: FakeChatRest, recipients: number, log: (message: string) => void): Promise<Seeded> {
  const started = performance.now();
  const storage = await openStorage({ databaseUrl: config.databaseUrl, keyRing: config.keyRing });
  try {
    const deps: AppDeps = { storage, clock: systemClock, ids: randomIds, settings: { urgentAcknowledgeMinutes: config.urgentAcknowledgeMinutes, emailForwarding: config.emailForwarding } };
    const school = await addSchool(deps, { name: 'Campaign Academy', slug: `campaign-${randomUUID().slice(0, 8)}`, googleDomain: DOMAIN });
    const spaces: string[] = [];
    for (let first = 0; first < recipients; first += SEED_BATCH) {
      await storage.transaction(async (tx) => {
        for (let i = first; i < Math.min(recipients, first + SEED_BATCH); i += 1) {
          await upsertPerson(deps, tx, {
            actor: OPERATOR,
            schoolId: school.id,
            person: { displayName: `Staff Member ${i}`, email: `staff${i}@${DOMAIN}`, roles: ['staff'], googleSubject: googleSubject(i) },
          });
          spaces.push(chat.addDirectMessage(`users/${googleSubject(i)}`, `spaces/dm-campaign-${i}`));
        }
      });
    }
    const sample = 'samples/aup/staff-aup.md';
    const today = new Date();
    await publishAup(deps, {
      actor: OPERATOR,
      schoolId: school.id,
      policy: {
        audience: 'staff',
        title: 'Staff Acceptable Use Policy',
        markdown: existsSync(sample) ? readFileSync(sample, 'utf8') : '# Staff Acceptable Use Policy\n\nUse school systems responsibly.\n',
        acknowledgementWording: 'I have read and agree to follow this policy.',
        effectiveDate: isoDay(today),
        reviewDate: isoDay(new Date(today.getTime() + 365 * 86_400_000)),
      },
    });
    const [progress] = await getCampaignProgress(deps, { actor: OPERATOR, schoolId: school.id, limit: 1 });
    if (!progress || progress.queued !== recipients) throw new Error(`publishing queued ${progress?.queued ?? 0} deliveries, not ${recipients}`);
    const seedSeconds = (performance.now() - started) / 1000;
    log(`seeded ${recipients} people and published the policy in ${seedSeconds.toFixed(1)} s`);
    return { schoolId: school.id, campaignId: progress.campaign.id, spaces, seedSeconds };
  } finally {
    await storage.close();
  }
}

/** What the database says once the service has stopped: every delivery should be 'sent'. */
async function databaseCheck(config: Config, seeded: Seeded): Promise<RunResult['db']> {
  const storage = await openStorage({ databaseUrl: config.databaseUrl, keyRing: config.keyRing });
  try {
    const deps: AppDeps = { storage, clock: systemClock, ids: randomIds };
    const [progress] = await getCampaignProgress(deps, { actor: OPERATOR, schoolId: seeded.schoolId, campaignId: seeded.campaignId });
    const outbox = await storage.outbox.counts();
    const sent = progress?.sent ?? 0;
    return { sent, queued: progress?.queued ?? 0, failed: progress?.failed ?? 0, unsent: seeded.spaces.length - sent, outbox_failed: outbox.failed };
  } finally {
    await storage.close();
  }
}

const isWrite = (call: FakeChatCall) => call.route === 'messages.create' || call.route === 'messages.patch' || call.route === 'messages.delete';

/** Keeps the service's warnings readable: outbox retries are counted by reason, anything else is shown. */
function childLogs(label: string, retries: Record<string, number>): (line: string) => void {
  return (line) => {
    try {
      const entry = JSON.parse(line) as { msg?: string; reason?: string };
      if (entry.msg === 'outbox message failed') {
        const reason = (entry.reason ?? 'unknown').slice(0, 80);
        retries[reason] = (retries[reason] ?? 0) + 1;
        return;
      }
    } catch {
      // Not a log line: show it as it is.
    }
    process.stderr.write(`[${label}] ${line}\n`);
  };
}

async function runCampaign(ctx: BenchContext, name: string, recipients: number, interruption: Interruption): Promise<RunResult> {
  const log = (message: string) => ctx.log(`aup-campaign-chat ${name}: ${message}`);
  // Each run has its own clean-ups, done as soon as it ends; registered with the runner too, for Ctrl-C.
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step().catch((error: unknown) => log(`clean-up failed: ${(error as Error).message}`));
  };
  ctx.defer(cleanup);
  try {
    const chat = await startFakeChatRest({ projectWritesPerMinute: CHAT_PROJECT_WRITES_PER_MINUTE, spaceWritesPerSecond: 1 });
    cleanups.push(() => chat.close());
    // Chat now and then refuses a write it would have taken: after 2% of the writes it accepts, the next one is a 429.
    const random = rng(SEED);
    chat.onChange((change) => {
      if (change.kind === 'created' && random() < THROTTLE_RATIO) chat.failNextWrites(429, { retryAfterSeconds: 1 });
    });
    const dataDir = await mkdtemp(join(tmpdir(), 'dsl-desk-aup-campaign-chat-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const keyFile = join(dataDir, 'chat-service-account.json');
    writeUnusedServiceAccountKey(keyFile);
    const env = serviceEnv(dataDir, chat, keyFile);
    const config = loadConfig(env);
    const seeded = await seed(config, chat, recipients, log);

    const retries: Record<string, number> = {};
    const start = async (label: string) => {
      const spawned = Date.now();
      const child = await startServiceChild({
        script: new URL('./serve-google-chat.ts', import.meta.url),
        options: { env, chatAccessToken: chat.accessToken } satisfies GoogleChatChildOptions,
        label,
        preload: [fileURLToPath(new URL('../test/support/block-outbound-network.cjs', import.meta.url))],
        onLine: childLogs(label, retries),
      });
      cleanups.push(() => child.stop(5_000));
      return { child, startupSeconds: (child.readyAt - spawned) / 1000 };
    };
    let peakRss = 0;
    const notePeakRss = (child: ServiceChild) => void (peakRss = Math.max(peakRss, child.peakRssMb() ?? 0));

    // The cards that have arrived: the first in each DM, with the fake's own time of creation.
    const firstCardAt = new Map<string, number>();
    const waiting = new Set(seeded.spaces);
    const arrived = () => {
      for (const space of waiting) {
        const first = chat.messages(space)[0];
        if (first) {
          firstCardAt.set(space, Date.parse(first.createTime));
          waiting.delete(space);
        }
      }
      return firstCardAt.size;
    };

    const first = await start(`${name}-1`);
    let child = first.child;
    const startedAt = child.readyAt;
    const minSeconds = recipients / (WRITES_PER_MINUTE / 60);
    log(`service ready in ${first.startupSeconds.toFixed(2)} s; sending ${recipients} cards at ${WRITES_PER_MINUTE} writes a minute`);
    let interrupted: RunResult['interruption'];
    let lastCount = 0;
    let lastProgressAt = Date.now();
    let lastReportAt = Date.now();
    const deadline = startedAt + (2 * minSeconds + 300) * 1000;
    for (;;) {
      const count = arrived();
      const now = Date.now();
      if (count > lastCount) {
        lastCount = count;
        lastProgressAt = now;
      }
      if (count >= recipients) break;
      if (interruption && !interrupted && count >= recipients / 2) {
        notePeakRss(child);
        const signalledAt = Date.now();
        log(`${count} cards out: ${interruption} to pid ${child.pid}`);
        child.kill(interruption);
        let timer: NodeJS.Timeout | undefined;
        const exit = await Promise.race([child.exited, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 60_000)))]);
        clearTimeout(timer);
        if (!exit) throw new Error(`the service did not exit within 60 s of ${interruption}`);
        const exitedAt = Date.now();
        const next = await start(`${name}-2`);
        child = next.child;
        interrupted = {
          signal: interruption,
          at_cards: count,
          drain_s: round((exitedAt - signalledAt) / 1000, 2),
          exit: exit.signal ?? `code ${exit.code}`,
          restart_s: round((child.readyAt - signalledAt) / 1000, 2),
        };
        log(`stopped in ${interrupted.drain_s} s (${interrupted.exit}); new service ready ${interrupted.restart_s} s after the signal`);
        continue;
      }
      if (child.hasExited()) throw new Error(`the service (pid ${child.pid}) exited during the campaign with ${count} of ${recipients} cards out`);
      if (now - lastProgressAt > STALL_MS || now > deadline) {
        log(`giving up: ${count} of ${recipients} cards after ${((now - startedAt) / 1000).toFixed(0)} s, none for ${((now - lastProgressAt) / 1000).toFixed(0)} s`);
        break;
      }
      if (now - lastReportAt >= PROGRESS_EVERY_MS) {
        lastReportAt = now;
        const seconds = (now - startedAt) / 1000;
        log(`${count} cards in ${seconds.toFixed(0)} s (${(count / seconds).toFixed(1)}/s)`);
      }
      await sleep(100);
    }
    const lastCardAt = [...firstCardAt.values()].reduce((latest, at) => Math.max(latest, at), startedAt);
    await sleep(SETTLE_MS);
    notePeakRss(child);
    // The runner's own stop: the service drains, so the database records every card that went out.
    await child.stop();

    let duplicates = 0;
    let lost = 0;
    let otherMessages = 0;
    for (const space of seeded.spaces) {
      const messages = chat.messages(space);
      const cards = messages.filter((m) => (m.cardsV2?.length ?? 0) > 0).length;
      otherMessages += messages.length - cards;
      if (cards === 0) lost += 1;
      else duplicates += cards - 1;
    }
    const db = await databaseCheck(config, seeded);
    const { calls } = chat;
    if (process.env.BENCH_AUP_CHAT_TRACE_DIR) {
      const rows = calls.map((c) => `${c.at - startedAt},${c.status},${c.method},${c.route},${c.resource}`);
      await writeFile(join(process.env.BENCH_AUP_CHAT_TRACE_DIR, `aup-campaign-chat-${name}-calls.csv`), `ms,status,method,route,resource\n${rows.join('\n')}\n`);
    }
    const stats = chat.stats();
    const elapsedSeconds = (lastCardAt - startedAt) / 1000;
    const result: RunResult = {
      elapsed_s: round(elapsedSeconds, 1),
      ratio: round(elapsedSeconds / minSeconds, 3),
      duplicates,
      lost,
      other_messages: otherMessages,
      throttled: calls.filter((c) => c.status === 429).length,
      chat_calls: calls.length,
      max_writes_per_min: busiestWindow(calls.filter((c) => isWrite(c) && c.status < 300).map((c) => c.at), 60_000),
      max_writes_per_s_per_space: Math.max(0, ...Object.values(stats.bySpace).map((s) => s.maxWritesPerSecond)),
      max_reads_per_min: busiestWindow(calls.filter((c) => c.route === 'spaces.findDirectMessage').map((c) => c.at), 60_000),
      outbox_retries: retries,
      db,
      startup_s: round(first.startupSeconds, 2),
      seed_s: round(seeded.seedSeconds, 1),
      rss_mb: peakRss ? round(peakRss, 0) : null,
      ...(interrupted ? { interruption: interrupted } : {}),
    };
    log(JSON.stringify(result));
    return result;
  } finally {
    await cleanup();
  }
}

async function run(ctx: BenchContext): Promise<void> {
  const recipients = recipientsFromEnv();
  const minSeconds = recipients / (WRITES_PER_MINUTE / 60);
  ctx.log(`aup-campaign-chat: ${recipients} recipients at ${WRITES_PER_MINUTE} writes a minute: at least ${minSeconds.toFixed(0)} s per run`);

  const uninterrupted = await runCampaign(ctx, 'uninterrupted', recipients, undefined);
  const resumed = await runCampaign(ctx, 'resumed', recipients, 'SIGTERM');

  const withinQuota = (r: RunResult) => r.max_writes_per_min <= CHAT_PROJECT_WRITES_PER_MINUTE && r.max_reads_per_min <= CHAT_PROJECT_READS_PER_MINUTE && r.max_writes_per_s_per_space <= 1;
  const clean = (r: RunResult) => r.ratio <= TARGET_RATIO && r.duplicates === 0 && r.lost === 0 && r.db.unsent === 0 && withinQuota(r);
  ctx.emit({
    bench: 'aup-campaign-chat',
    recipients,
    elapsed_s: uninterrupted.elapsed_s,
    min_s: round(minSeconds, 1),
    ratio: uninterrupted.ratio,
    duplicates: uninterrupted.duplicates,
    lost: uninterrupted.lost,
    resumed: {
      elapsed_s: resumed.elapsed_s,
      ratio: resumed.ratio,
      duplicates: resumed.duplicates,
      lost: resumed.lost,
      restart_s: resumed.interruption?.restart_s ?? null,
      drain_s: resumed.interruption?.drain_s ?? null,
      stopped_at_cards: resumed.interruption?.at_cards ?? null,
      exit: resumed.interruption?.exit ?? null,
      db_unsent: resumed.db.unsent,
      throttled: resumed.throttled,
      max_writes_per_min: resumed.max_writes_per_min,
      max_reads_per_min: resumed.max_reads_per_min,
      rss_mb: resumed.rss_mb,
    },
    db_unsent: uninterrupted.db.unsent,
    other_messages: uninterrupted.other_messages + resumed.other_messages,
    throttled: uninterrupted.throttled,
    chat_calls: uninterrupted.chat_calls,
    max_writes_per_min: uninterrupted.max_writes_per_min,
    max_reads_per_min: uninterrupted.max_reads_per_min,
    max_writes_per_s_per_space: Math.max(uninterrupted.max_writes_per_s_per_space, resumed.max_writes_per_s_per_space),
    outbox_retries: uninterrupted.outbox_retries,
    writes_per_minute: WRITES_PER_MINUTE,
    outbox_poll_ms: OUTBOX_POLL_MS,
    throttle_ratio: THROTTLE_RATIO,
    rss_mb: uninterrupted.rss_mb,
    seed_s: uninterrupted.seed_s,
    startup_s: uninterrupted.startup_s,
    engine: 'sqlite',
    target_ratio: TARGET_RATIO,
    target_met: clean(uninterrupted) && clean(resumed),
  });
}

export const aupCampaignChatBenchmarks: Benchmark[] = [{ name: 'aup-campaign-chat', run }];
