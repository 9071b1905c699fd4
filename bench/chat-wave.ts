import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CHAT_ACTIONS } from '../bot/google-chat/chat-cards.ts';
import { ACTION_PARAMETER } from '../bot/google-chat/chat-events.ts';
import { loadConfig } from '../src/config.ts';
import { GOOGLE_CHAT_PATH, googleChatEndpointUrl } from '../src/domain/google-workspace.ts';
import { openStorage } from '../src/storage/open-storage.ts';
import { buttonClickEvent, sendEvent, stringInputs, type ChatPerson } from '../scripts/workspace-client/chat-events.ts';
import { startFakeChatRest } from '../scripts/workspace-client/fake-chat-rest.ts';
import { startGoogleSigner } from '../scripts/workspace-client/google-signer.ts';
import { percentile, round } from './lib/stats.ts';
import { writeUnusedServiceAccountKey } from '../test/support/google-service-account.ts';
import type { Benchmark, BenchContext } from './lib/types.ts';
import { googleSubject, seedGoogleSchoolWithSpace, startGoogleServiceChild } from './lib/google-school.ts';

/**
 * chat-wave: 500 members of staff of a Google school each report one concern in Google Chat within 10 s.
 * Chat does not let an app act on a message, so each sends the concern form's dialog (the submit of
 * "Report a concern") from their DM with the app, as Chat would: a signed Workspace add-on event, its ID
 * token verified by the service (production mode, in its own process as deployed) against a local
 * certificates server. The service posts each case's card to the DSL space through a fake Chat REST API that
 * allows 1 write per second per space and answers 429 beyond it. Before the wave the DSL reports three
 * concerns, so the wave meets a running service, not one loading its certificates and compiling its first
 * requests (those three are reported apart, as warm_up).
 *
 * The report is answered at once (the receipt); the cards follow through the outbox at Chat's pace, so 500
 * cards take about 500 × 1.05 s ≈ 9 minutes to reach the space (the pacer keeps 1,050 ms between writes to
 * one space). The benchmark waits that long, plus a margin, before it counts what is missing.
 * Target: lost 0, max_writes_per_s_per_space ≤ 1 (from the fake's own count), report p99 ≤ 100 ms.
 *
 *   BENCH_CHAT_REPORTERS=50   fewer reporters, for a quick run (default 500; the wave still lasts 10 s)
 */
const DEFAULT_REPORTERS = 500;
const WAVE_MS = 10_000;
/** The pacer's spacing of writes to one space (PacedChatApi), which sets how long the cards take. */
const SPACE_WRITE_SPACING_MS = 1_050;
/** Beyond the cards' own pace: the outbox's polls and retries. */
const SETTLE_MARGIN_MS = 120_000;
const PROGRESS_EVERY_MS = 30_000;
const PROJECT_NUMBER = '424242424242';
const DOMAIN = 'wave.example.org';
const PUBLIC_URL = 'https://dsl-desk.wave.example.org';
const DSL_SPACE = 'spaces/wave-dsl-cases';
const DSL_DM = 'spaces/dm-wave-dsl';
/** Reports by the DSL before the wave, so it meets a running service rather than one still starting. */
const WARM_UP_REPORTS = 3;
const REFERENCE = /CASE-\d{4}-\d{4,}/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function reportersFromEnv(): number {
  const value = Number(process.env.BENCH_CHAT_REPORTERS ?? DEFAULT_REPORTERS);
  if (!Number.isInteger(value) || value < 1) throw new Error(`BENCH_CHAT_REPORTERS must be a whole number of at least 1, not ${process.env.BENCH_CHAT_REPORTERS}`);
  return value;
}

async function run(ctx: BenchContext): Promise<void> {
  const name = 'chat-wave';
  const reporters = reportersFromEnv();
  const dataDir = await mkdtemp(join(tmpdir(), 'dsl-desk-chat-wave-'));
  ctx.defer(() => rm(dataDir, { recursive: true, force: true }));
  const signer = await startGoogleSigner();
  ctx.defer(() => signer.close());
  const staff: ChatPerson[] = Array.from({ length: reporters }, (_, i) => ({ name: `users/${googleSubject(i)}`, displayName: `Staff ${i}`, email: `staff${i}@${DOMAIN}` }));
  const dsl: ChatPerson = { name: `users/${googleSubject(reporters)}`, displayName: 'Dee Lead', email: `dsl@${DOMAIN}` };
  // Each reporter's DM with the app exists (the school's admin installed it), so the receipt lands there.
  const chat = await startFakeChatRest({
    spaces: [{ name: DSL_SPACE, displayName: 'DSL cases', members: [dsl.name] }],
    directMessages: { ...Object.fromEntries(staff.map((person, i) => [person.name, `spaces/dm-wave-${i}`])), [dsl.name]: DSL_DM },
    spaceWritesPerSecond: 1,
    projectWritesPerMinute: 3_000,
  });
  ctx.defer(() => chat.close());

  // The service account key is never read: the service's Chat API is given the fake's token instead.
  const keyFile = join(dataDir, 'chat-service-account.json');
  writeUnusedServiceAccountKey(keyFile);
  const env: Record<string, string> = {
    DSL_DESK_MODE: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    PUBLIC_BASE_URL: PUBLIC_URL,
    DATA_DIR: dataDir,
    DATA_KEYS: `bench:${Buffer.alloc(32, 9).toString('base64')}`,
    DATA_KEY_ID: 'bench',
    LOG_LEVEL: 'warn',
    GOOGLE_PROJECT_NUMBER: PROJECT_NUMBER,
    GOOGLE_ADDON_OAUTH_CLIENT_ID: 'dsl-desk-bench.apps.googleusercontent.com',
    GOOGLE_SERVICE_ACCOUNT_KEY_FILE: keyFile,
    GOOGLE_CERTS_URL: signer.certsUrl,
    GOOGLE_CHAT_API_ROOT_URL: chat.url,
    OUTBOX_POLL_MS: '250',
  };
  const config = loadConfig(env);

  // Seeded straight into the database the service will open, through the use cases.
  ctx.log(`${name}: seeding ${reporters} staff and the DSL space`);
  const asStaff = (person: ChatPerson) => ({ subject: person.name.slice('users/'.length), email: person.email, displayName: person.displayName });
  const schoolId = await seedGoogleSchoolWithSpace(config, { name: 'Wave Primary', domain: DOMAIN, dsl: asStaff(dsl), staff: staff.map(asStaff), dslSpace: DSL_SPACE });

  const { service, warnings } = await startGoogleServiceChild(ctx, name, { env, chatAccessToken: chat.accessToken });

  const endpointUrl = googleChatEndpointUrl(config.publicUrl);
  // Tokens are signed before the clock starts: the wave measures DSL Desk, not the local signer.
  const tokens = await Promise.all(staff.map(() => signer.mintAddonToken({ audience: endpointUrl, projectNumber: PROJECT_NUMBER })));
  const submitAs = (user: ChatPerson, dm: string, i: number) =>
    buttonClickEvent({
      user,
      space: { name: dm, spaceType: 'DIRECT_MESSAGE' },
      action: { function: endpointUrl, parameters: [{ key: ACTION_PARAMETER, value: CHAT_ACTIONS.reportSubmit }, { key: 'formId', value: randomUUID() }] },
      dialog: 'SUBMIT_DIALOG',
      formInputs: stringInputs({
        childAtImmediateRisk: 'false',
        types: ['online_bullying'],
        description: `Unkind messages about a pupil in a class group chat, seen by member of staff ${i}.`,
        location: 'outside_school',
        ongoing: 'false',
      }),
    });

  const appUrl = `${service.url}${GOOGLE_CHAT_PATH}`;

  // A service that has just started loads Google's certificates, prepares its statements and compiles its hot
  // paths on the first requests. The wave measures a running service: the DSL reports a few concerns first
  // (their cases and cards are reported apart, as warm_up).
  const warmUp: string[] = [];
  for (let i = 0; i < WARM_UP_REPORTS; i += 1) {
    const answer = await sendEvent(appUrl, submitAs(dsl, DSL_DM, -1 - i), { signer, projectNumber: PROJECT_NUMBER, audience: endpointUrl });
    const reference = answer.status === 200 ? REFERENCE.exec(JSON.stringify(answer.body))?.[0] : undefined;
    if (!reference) throw new Error(`the warm-up report failed: status ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    warmUp.push(reference);
  }

  ctx.log(`${name}: ${reporters} concerns over ${WAVE_MS / 1000} s`);
  const latencies: number[] = [];
  const slowest: { i: number; ms: number }[] = [];
  const acknowledged = new Map<string, number>();
  let failures = 0;
  let firstError: string | undefined;
  // The reporters' side shares a process with the fake Chat: its own stalls would show as slow reports.
  const clientDelay = monitorEventLoopDelay({ resolution: 10 });
  clientDelay.enable();
  const started = performance.now();
  await Promise.all(
    staff.map(async (_, i) => {
      const due = started + (i * WAVE_MS) / reporters;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const event = submitAs(staff[i]!, `spaces/dm-wave-${i}`, i);
      const sent = performance.now();
      try {
        const answer = await sendEvent(appUrl, event, { signer, projectNumber: PROJECT_NUMBER, audience: endpointUrl, token: tokens[i]! });
        const ms = performance.now() - sent;
        latencies.push(ms);
        slowest.push({ i, ms });
        const reference = answer.status === 200 ? REFERENCE.exec(JSON.stringify(answer.body))?.[0] : undefined;
        if (!reference) {
          failures += 1;
          firstError ??= `status ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`;
          return;
        }
        acknowledged.set(reference, i);
      } catch (error) {
        failures += 1;
        firstError ??= (error as Error).message;
      }
    }),
  );
  const waveMs = performance.now() - started;
  clientDelay.disable();
  if (firstError) ctx.log(`${name}: first failure: ${firstError}`);
  const worst = slowest.sort((a, b) => b.ms - a.ms).slice(0, 8);
  ctx.log(`${name}: slowest reports (reporter: ms): ${worst.map((w) => `${w.i}: ${w.ms.toFixed(0)}`).join(', ')}; the reporters' event loop lagged ${(clientDelay.max / 1e6).toFixed(0)} ms at most`);
  ctx.log(`${name}: ${acknowledged.size} reports acknowledged in ${(waveMs / 1000).toFixed(1)} s; waiting for the cards in the DSL space`);

  // Wait for a card per acknowledged report in the DSL space: at 1 write/s this takes about `reporters` seconds.
  const cards = new Set<string>();
  const noteCard = (message: { cardsV2?: unknown }) => {
    const reference = REFERENCE.exec(JSON.stringify(message.cardsV2 ?? []))?.[0];
    if (reference) cards.add(reference);
  };
  for (const message of chat.messages(DSL_SPACE)) noteCard(message);
  chat.onChange((change) => {
    if (change.space === DSL_SPACE && change.kind !== 'deleted') noteCard(change.message);
  });
  const settleStarted = Date.now();
  const settleTimeoutMs = (acknowledged.size + warmUp.length) * SPACE_WRITE_SPACING_MS + SETTLE_MARGIN_MS;
  let lastReportAt = settleStarted;
  while ([...acknowledged.keys()].some((reference) => !cards.has(reference)) && Date.now() - settleStarted < settleTimeoutMs) {
    if (Date.now() - lastReportAt >= PROGRESS_EVERY_MS) {
      lastReportAt = Date.now();
      ctx.log(`${name}: ${cards.size} of ${acknowledged.size} cards in the space after ${((Date.now() - settleStarted) / 1000).toFixed(0)} s`);
    }
    await sleep(250);
  }
  const cardsSeconds = (Date.now() - settleStarted) / 1000;

  await service.stop();
  const after = await openStorage({ databaseUrl: config.databaseUrl, keyRing: config.keyRing });
  const headers = await after.read((r) => r.cases.find(schoolId, { limit: reporters + 10 })).finally(() => after.close());
  const cases = new Set(headers.map((h) => h.reference));
  const lost = [...acknowledged.keys()].filter((reference) => !cards.has(reference) || !cases.has(reference)).length;
  const stats = chat.stats();
  const space = stats.bySpace[DSL_SPACE];
  const spaceCalls = chat.calls.filter((c) => c.resource.startsWith(`${DSL_SPACE}/`) || c.resource === DSL_SPACE);
  const sorted = Float64Array.from(latencies).sort();
  const result = {
    bench: name,
    reporters,
    lost,
    max_writes_per_s_per_space: space?.maxWritesPerSecond ?? 0,
    p99_ms: round(percentile(sorted, 0.99), 2),
    p50_ms: round(percentile(sorted, 0.5), 2),
    acknowledged: acknowledged.size,
    failed_reports: failures,
    cases: headers.length,
    warm_up: { reports: warmUp.length, cards_in_space: warmUp.filter((reference) => cards.has(reference)).length },
    cards_in_space: cards.size,
    space_writes: space?.writes ?? 0,
    space_throttled: space?.throttled ?? 0,
    space_repeats: space?.repeats ?? 0,
    space_calls: spaceCalls.length,
    project_writes: stats.writes,
    cards_s: round(cardsSeconds, 1),
    cards_per_s: cardsSeconds > 0 ? round(cards.size / cardsSeconds, 2) : null,
    wave_s: round(waveMs / 1000, 2),
    client_loop_delay_max_ms: round(clientDelay.max / 1e6, 1),
    certs_fetches: signer.certsRequests,
    warnings,
    engine: 'sqlite',
  };
  ctx.emit({ ...result, target_met: result.lost === 0 && result.failed_reports === 0 && result.max_writes_per_s_per_space <= 1 && result.p99_ms <= 100 });
}

export const chatWaveBenchmarks: Benchmark[] = [{ name: 'chat-wave', run }];
