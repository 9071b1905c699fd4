import { reportConcern } from '../../src/app/report-concern.ts';
import type { AppDeps } from '../../src/app/deps.ts';
import { concernSchema, type ConcernInput } from '../../src/domain/concern.ts';
import type { Actor } from '../../src/domain/roles.ts';
import { createLogger } from '../../src/logger.ts';
import { startService, type RunningService } from '../../src/wiring.ts';
import { enginesUnderTest } from '../support/test-storage.ts';
import { BOT_APP_ID, FixedBearerCredentialsFactory, startTeamsTestService, type TeamsTestService } from '../support/teams-test-service.ts';

const SECRET = 'Perpetua Vantongeren was sent a threatening voice note';

/** Teams' limits for one conversation, as its connector counts them. */
const CONVERSATION_WINDOWS = [
  { limit: 7, perMs: 1000 },
  { limit: 8, perMs: 2000 },
  { limit: 60, perMs: 30_000 },
  { limit: 1800, perMs: 3_600_000 },
];

/** The most calls in any span of `perMs` (a window starting at each call). */
function maxInAnyWindow(times: number[], perMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < sorted.length; i += 1) {
    let count = 0;
    for (let j = i; j < sorted.length && sorted[j]! < sorted[i]! + perMs; j += 1) count += 1;
    most = Math.max(most, count);
  }
  return most;
}

function report(deps: AppDeps, actor: Actor, overrides: Partial<ConcernInput> = {}) {
  return reportConcern(deps, {
    actor,
    channel: 'teams',
    concern: concernSchema.parse({ types: ['online_bullying'], description: SECRET, involved: [{ group: 'child', name: 'Perpetua Vantongeren' }], ...overrides }),
  });
}

describe.each(enginesUnderTest())('Teams deliveries through outages and restarts on %s', (engine) => {
  let t: TeamsTestService;
  const extra: RunningService[] = [];

  beforeEach(async () => {
    t = await startTeamsTestService(engine);
  });
  afterEach(async () => {
    for (const service of extra.splice(0)) await service.close().catch(() => undefined);
    await t.close();
  });

  const setUpChannel = async () => {
    const answer = await t.send('dsl', {
      text: '<at>DSL Desk</at> use this channel for cases',
      entities: [{ type: 'mention', text: '<at>DSL Desk</at>', mentioned: { id: `28:${BOT_APP_ID}`, name: 'DSL Desk' } }],
      conversation: { id: `${t.channelConversation};messageid=100`, conversationType: 'channel', isGroup: true, tenantId: t.tenantId },
      channelData: { tenant: { id: t.tenantId }, team: { id: '19:team@thread.tacv2' }, channel: { id: t.channelConversation } },
    });
    expect(answer.status).toBe(200);
  };
  const channelCards = () => t.connector.stored(t.channelConversation);
  const channelPosts = () => t.connector.calls.filter((c) => c.conversationId === t.channelConversation && (c.route === 'send' || c.route === 'reply'));

  test('after a restart the pacer remembers the calls made before it, so a conversation never sees more than Teams allows', async () => {
    await setUpChannel();
    for (let i = 0; i < 8; i += 1) await report(t.service.deps, t.school.staff);
    await t.waitFor(() => channelCards().length >= 8, 20_000);

    // The restart: this dispatcher stops, and a new process (a new pacer, nothing in memory) starts on the same database.
    await t.service.dispatcher.stop();
    const restarted = await startService(t.config, createLogger('silent'), { storage: t.db.storage, clock: t.clock, botCredentialsFactory: new FixedBearerCredentialsFactory() });
    extra.push(restarted);
    for (let i = 0; i < 8; i += 1) await report(restarted.deps, t.school.staff2);
    await t.waitFor(() => channelCards().length >= 16, 30_000);

    const posts = channelPosts();
    // Teams never had to say no, and every window held across the restart.
    expect(posts.map((c) => c.status).filter((status) => status === 429)).toEqual([]);
    expect(t.connector.stats().throttled).toBe(0);
    const accepted = posts.filter((c) => c.status < 300).map((c) => c.at);
    expect(accepted).toHaveLength(16);
    for (const window of CONVERSATION_WINDOWS) expect(maxInAnyWindow(accepted, window.perMs)).toBeLessThanOrEqual(window.limit);
    // The second process's first card waited for the first process's two-second window to pass.
    const sorted = [...accepted].sort((a, b) => a - b);
    expect(sorted[8]! - sorted[0]!).toBeGreaterThanOrEqual(2000);
    const stored = await t.db.raw(`select count(*) as n from pacing_calls where key = ?`, [`teams:conversation:${t.channelConversation}`]);
    expect(Number(stored[0]!.n)).toBeGreaterThanOrEqual(16);
  }, 90_000);
});
