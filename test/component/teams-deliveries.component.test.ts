import { getCase } from '../../src/app/cases/get-case.ts';
import { OUTBOX_KINDS } from '../../src/app/cases/case-messages.ts';
import { reportConcern } from '../../src/app/cases/report-concern.ts';
import type { MailboxAdmin } from '../../src/domain/ports.ts';
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

  /** The school's connected mailbox, as DSL Desk sees it: every message it was asked to send. */
  const connectMailbox = () => {
    const sent: { tenantId: string; from: string; to: string[]; subject: string; body: string }[] = [];
    const mailbox: MailboxAdmin = {
      findCopies: async () => ({ copies: [], mailboxesSearched: 0, mailboxesFailed: 0 }),
      moveToDeletedItems: async () => undefined,
      sendWithAttachment: async () => undefined,
      sendMessage: async (tenantId, message) => void sent.push({ tenantId, ...message }),
    };
    t.service.deps.mailboxAdmin = mailbox;
    t.service.deps.settings = { ...t.service.deps.settings!, emailForwarding: { from: 'dsl-desk@oakfield.example.org' } };
    return sent;
  };
  const caseIdOf = async (reference: string) => (await t.service.deps.storage.read((r) => r.cases.findIdByReference(t.school.school.id, reference)))!;
  const emailOf = async (personId: string) => (await t.service.deps.storage.read((r) => r.people.get(t.school.school.id, personId)))!.email;

  /** Moves the service's clock on, step by step, letting the outbox run each retry that falls due. */
  const failedPostsToChannel = () => channelPosts().filter((c) => c.status >= 500).length;
  const passTimeWhileTeamsIsDown = async (steps: number, stepMs: number) => {
    for (let step = 0; step < steps; step += 1) {
      const before = failedPostsToChannel();
      t.clock.offsetMs += stepMs;
      // Seen by Teams and handed back to the queue (its retry time set by the clock of that moment).
      await t.waitFor(async () => {
        if (failedPostsToChannel() <= before) return false;
        const [row] = await t.db.raw(`select lease_owner from outbox where kind = ?`, [OUTBOX_KINDS.caseCreated]);
        return row && row.lease_owner === null;
      }, 20_000);
    }
  };

  test('an urgent case card is not abandoned while Teams is down: after 15 minutes the DSLs are emailed the reference once, and the card arrives when Teams recovers', async () => {
    const sent = connectMailbox();
    await setUpChannel();
    t.connector.failWith(t.channelConversation, 503);
    const receipt = await report(t.service.deps, t.school.staff, { childAtImmediateRisk: true });
    await t.waitFor(() => failedPostsToChannel() >= 1, 20_000);
    const fallbacks = () => sent.filter((m) => m.subject.includes('Teams is not delivering'));

    // Twelve more failures, 11 minutes apart (the backoff never waits longer than 10): over two hours of outage.
    await passTimeWhileTeamsIsDown(12, 11 * 60_000);
    expect(failedPostsToChannel()).toBeGreaterThanOrEqual(13);
    const [outbox] = await t.db.raw(`select status, attempts from outbox where kind = ?`, [OUTBOX_KINDS.caseCreated]);
    expect(outbox).toMatchObject({ status: 'pending' });
    expect(Number(outbox!.attempts)).toBeGreaterThan(10);

    // The fallback went once, to the DSL and the deputy, with the reference and nothing of the concern.
    await t.waitFor(() => fallbacks().length > 0, 20_000);
    expect(fallbacks()).toHaveLength(1);
    const [email] = fallbacks();
    expect(email!.tenantId).toBe(t.tenantId);
    expect(email!.to.sort()).toEqual([await emailOf(t.school.dsl.personId), await emailOf(t.school.deputy.personId)].sort());
    expect(email!.subject).toContain(receipt.reference);
    expect(email!.body).toContain(receipt.reference);
    expect(JSON.stringify(email)).not.toContain('Perpetua');
    expect(JSON.stringify(email)).not.toContain('voice note');

    const caseId = await caseIdOf(receipt.reference);
    // The mail service has the email; DSL Desk records it as sent once the send has returned.
    let view = await t.waitFor(async () => {
      const current = await getCase(t.service.deps, { actor: t.school.dsl, caseId });
      return current.deliveries.some((delivery) => delivery.target === 'email:channel' && delivery.state === 'posted') && current;
    }, 20_000);
    expect(view.deliveries).toContainEqual(expect.objectContaining({ target: 'email:channel', platform: 'email', state: 'posted' }));
    expect(view.chronology.filter((e) => e.action === 'case.delivery_fallback')).toHaveLength(1);
    expect(view.chronology.find((e) => e.action === 'case.delivery_fallback')!.detail).toMatchObject({ target: 'channel', channel: 'email', state: 'sent', recipients: 2 });

    // Teams recovers: the card is posted at the next try, and no second email follows.
    t.connector.clearFailures();
    t.clock.offsetMs += 11 * 60_000;
    await t.waitFor(() => channelCards().length > 0, 20_000);
    expect(JSON.stringify(channelCards()[0]!.activity)).toContain(receipt.reference);
    // Teams has the card; DSL Desk records it as posted once Teams has answered, a moment later.
    const posted = (delivery: { target: string; platform: string; state: string }) => delivery.target === 'channel' && delivery.platform === 'teams' && delivery.state === 'posted';
    view = await t.waitFor(async () => {
      const current = await getCase(t.service.deps, { actor: t.school.dsl, caseId });
      return current.deliveries.some(posted) && current;
    }, 20_000);
    expect(view.deliveries).toContainEqual(expect.objectContaining({ target: 'channel', platform: 'teams', state: 'posted' }));
    expect(fallbacks()).toHaveLength(1);
    const done = await t.waitFor(async () => {
      const [row] = await t.db.raw(`select status from outbox where kind = ?`, [OUTBOX_KINDS.caseCreated]);
      return row?.status === 'done' && row;
    }, 20_000);
    expect(done).toMatchObject({ status: 'done' });
    expect(Number((await t.db.raw(`select count(*) as n from outbox where kind = ?`, [OUTBOX_KINDS.deliveryFallback]))[0]!.n)).toBe(1);
  }, 180_000);

  test('with no mailbox connected, the case shows that the fallback could not be used and why; a non-urgent card waits an hour for it', async () => {
    await setUpChannel();
    t.connector.failWith(t.channelConversation, 502);
    const receipt = await report(t.service.deps, t.school.staff);
    const caseId = await caseIdOf(receipt.reference);
    await t.waitFor(() => failedPostsToChannel() >= 1, 20_000);
    const fallbackRows = async () => t.db.raw(`select state, reason from delivery_fallbacks where case_id = ?`, [caseId]);

    // Half an hour in: past the urgent threshold, not the hour a non-urgent card waits.
    await passTimeWhileTeamsIsDown(3, 11 * 60_000);
    expect(await fallbackRows()).toEqual([]);
    await passTimeWhileTeamsIsDown(4, 11 * 60_000);
    const [row] = await t.waitFor(async () => {
      const rows = await fallbackRows();
      return rows.length > 0 && rows;
    }, 20_000);
    expect(row).toMatchObject({ state: 'unavailable' });
    expect(String(row!.reason)).toContain('no school mailbox connected');
    const view = await getCase(t.service.deps, { actor: t.school.dsl, caseId });
    expect(view.deliveries).toContainEqual(expect.objectContaining({ target: 'email:channel', platform: 'email', state: 'failed', failure: expect.stringContaining('mailbox') }));
    expect(view.chronology.find((e) => e.action === 'case.delivery_fallback')!.detail).toMatchObject({ state: 'unavailable', recipients: 0 });
    // Still trying: the outage has not used up the card's chances.
    const [outbox] = await t.db.raw(`select status from outbox where kind = ?`, [OUTBOX_KINDS.caseCreated]);
    expect(outbox).toMatchObject({ status: 'pending' });
  }, 180_000);
});
