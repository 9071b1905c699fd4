import { acknowledgeCase } from '../../src/app/cases/acknowledge-case.ts';
import { OUTBOX_KINDS } from '../../src/app/cases/case-messages.ts';
import { checkUrgentAcknowledgement } from '../../src/app/cases/check-urgent-acknowledgement.ts';
import { closeCase } from '../../src/app/cases/close-case.ts';
import type { AppDeps } from '../../src/app/deps.ts';
import { getCase } from '../../src/app/cases/get-case.ts';
import { prepareCaseCard } from '../../src/app/cases/prepare-case-card.ts';
import { prepareNotification } from '../../src/app/cases/prepare-notification.ts';
import { recordCaseCardFailed, recordCaseCardPosted } from '../../src/app/cases/record-case-card.ts';
import { rememberChatUser } from '../../src/app/people/remember-chat-user.ts';
import { reportConcern } from '../../src/app/cases/report-concern.ts';
import { useChannelForCases } from '../../src/app/cases/use-channel-for-cases.ts';
import type { ConversationAddress } from '../../src/domain/chat.ts';
import { concernSchema, type ConcernInput } from '../../src/domain/concern.ts';
import { AppError } from '../../src/domain/errors.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

const SECRET = 'Quillon Vantreese was sent threats';
const channelAddress: ConversationAddress = {
  platform: 'teams',
  conversationId: '19:dsl-channel@thread.tacv2',
  serviceUrl: 'http://127.0.0.1:9/',
  tenantId: 'tenant-1',
  teamId: '19:team@thread.tacv2',
  channelId: '19:dsl-channel@thread.tacv2',
};

function concern(overrides: Partial<ConcernInput> = {}) {
  return concernSchema.parse({ types: ['online_bullying'], description: SECRET, involved: [{ group: 'child', name: 'Quillon Vantreese' }], ...overrides });
}

describe.each(enginesUnderTest())('chat storage and case messages on %s', (engine) => {
  let db: TestStorage;
  let deps: AppDeps;
  let a: SeededSchool;

  beforeEach(async () => {
    db = await createTestStorage(engine);
    deps = depsFor(db.storage);
    a = await seedSchool(deps, 'oakfield');
  });
  afterEach(async () => {
    await db.cleanup();
  });

  const outbox = async () => {
    const rows = (await db.raw(`select kind, payload, dedupe_key, run_after from outbox order by created_at, kind`)) as { kind: string; payload: string; dedupe_key: string | null; run_after: string }[];
    return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  };

  test('only a DSL or deputy sets the case channel, it must be a channel, and the change is audited', async () => {
    await expect(useChannelForCases(deps, { actor: a.staff, address: channelAddress })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(useChannelForCases(deps, { actor: a.head, address: channelAddress })).rejects.toMatchObject({ code: 'forbidden' });
    const { channelId: _c, teamId: _t, ...chat } = channelAddress;
    await expect(useChannelForCases(deps, { actor: a.dsl, address: chat })).rejects.toMatchObject({ code: 'invalid_input' });
    await useChannelForCases(deps, { actor: a.dsl, address: channelAddress });
    await useChannelForCases(deps, { actor: a.deputy, address: { ...channelAddress, conversationId: '19:other@thread.tacv2', channelId: '19:other@thread.tacv2' } });
    const stored = await db.storage.read((r) => r.chat.getCaseChannel(a.school.id, 'teams'));
    expect(stored).toMatchObject({ setById: a.deputy.personId, address: { conversationId: '19:other@thread.tacv2' } });
    const audit = (await db.raw(`select action, detail from audit_events where action = 'school.case_channel_set' order by seq`)) as { detail: string }[];
    expect(audit.map((r) => JSON.parse(r.detail).replaced)).toEqual([false, true]);
  });

  test('a chat user is remembered once; a channel message keeps the personal chat already known', async () => {
    const personal: ConversationAddress = { platform: 'teams', conversationId: 'a:personal-1', serviceUrl: 'http://127.0.0.1:9/', tenantId: 'tenant-1' };
    expect(await rememberChatUser(deps, { actor: a.staff, platform: 'teams', userId: '29:staff', personalConversation: personal })).toEqual({ firstPersonalContact: true });
    expect(await rememberChatUser(deps, { actor: a.staff, platform: 'teams', userId: '29:staff', personalConversation: personal })).toEqual({ firstPersonalContact: false });
    expect(await rememberChatUser(deps, { actor: a.staff, platform: 'teams', userId: '29:staff-new' })).toEqual({ firstPersonalContact: false });
    const user = await db.storage.read((r) => r.chat.getUser(a.school.id, a.staff.personId, 'teams'));
    expect(user).toMatchObject({ userId: '29:staff-new', personalConversation: personal });
  });

  test('a new case queues its card; an urgent one its timer; a restricted one goes to the headteacher, not via the summary', async () => {
    const normal = await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'teams' });
    const urgent = await reportConcern(deps, { actor: a.staff, concern: concern({ childAtImmediateRisk: true }), channel: 'teams' });
    const restricted = await reportConcern(deps, { actor: a.staff, concern: concern({ types: ['staff_allegation'], subjectPersonId: a.dsl.personId }), channel: 'teams' });
    const messages = await outbox();
    expect(messages.filter((m) => m.kind === OUTBOX_KINDS.caseCreated).map((m) => m.payload.caseId)).toEqual([normal.caseId, urgent.caseId, restricted.caseId]);
    const timers = messages.filter((m) => m.kind === OUTBOX_KINDS.urgentCheck);
    expect(timers.map((m) => m.payload.caseId).sort()).toEqual([urgent.caseId, restricted.caseId].sort());
    for (const timer of timers) expect(Date.parse(timer.run_after) - Date.now()).toBeGreaterThan(14 * 60_000);
    const notices = messages.filter((m) => m.kind === OUTBOX_KINDS.personNotify);
    expect(notices.map((m) => m.payload)).toEqual([{ caseId: restricted.caseId, personId: a.head.personId, event: 'restricted_case' }]);
    // Nothing of the concern waits in the queue.
    expect(JSON.stringify(messages)).not.toContain('Quillon');
  });

  test('a wave of reports of one message coalesces into one card edit per window', async () => {
    const source = { kind: 'teams_message' as const, ref: 'https://teams.example/l/message/1' };
    await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'teams', source });
    for (const actor of [a.staff2, a.it, a.admin, a.governor]) await reportConcern(deps, { actor, concern: concern(), channel: 'teams', source });
    const refreshes = (await outbox()).filter((m) => m.kind === OUTBOX_KINDS.cardRefresh);
    // Four joins within (at most) two windows of two seconds.
    expect(refreshes.length).toBeGreaterThanOrEqual(1);
    expect(refreshes.length).toBeLessThanOrEqual(2);
    for (const r of refreshes) expect(Date.parse(r.run_after) % 2000).toBe(0);
  });

  test('acknowledging and closing notify every reporter once, with status words only', async () => {
    const source = { kind: 'teams_message' as const, ref: 'msg-2' };
    const first = await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'teams', source });
    await reportConcern(deps, { actor: a.staff2, concern: concern(), channel: 'teams', source });
    await acknowledgeCase(deps, { actor: a.dsl, caseId: first.caseId });
    await expect(acknowledgeCase(deps, { actor: a.deputy, caseId: first.caseId })).rejects.toMatchObject({ code: 'invalid_transition' });
    await closeCase(deps, { actor: a.dsl, caseId: first.caseId, outcome: 'Handled with parents.' });
    const notices = (await outbox()).filter((m) => m.kind === OUTBOX_KINDS.personNotify).map((m) => `${m.payload.event}:${m.payload.personId}`);
    expect(notices.sort()).toEqual([`acknowledged:${a.staff.personId}`, `acknowledged:${a.staff2.personId}`, `closed:${a.staff.personId}`, `closed:${a.staff2.personId}`].sort());
    const note = await prepareNotification(deps, { schoolId: a.school.id, caseId: first.caseId, personId: a.staff2.personId, event: 'closed', platform: 'teams' });
    expect(note?.text.title).toContain(first.reference);
    expect(JSON.stringify(note)).not.toContain('Quillon');
    expect(note?.text.offersCase).toBe(false);
  });

  test('an unacknowledged urgent case escalates to deputies and the head once, audited; an acknowledged one does not', async () => {
    const urgent = await reportConcern(deps, { actor: a.staff, concern: concern({ types: ['grooming'] }), channel: 'teams' });
    const other = await reportConcern(deps, { actor: a.staff, concern: concern({ types: ['grooming'] }), channel: 'teams' });
    await acknowledgeCase(deps, { actor: a.dsl, caseId: other.caseId });
    expect(await checkUrgentAcknowledgement(deps, { schoolId: a.school.id, caseId: urgent.caseId, minutes: 15 })).toEqual({ escalatedTo: 2 });
    expect(await checkUrgentAcknowledgement(deps, { schoolId: a.school.id, caseId: other.caseId, minutes: 15 })).toEqual({ escalatedTo: 0 });
    // Running the same check again (a retried job) does not message anyone twice.
    await checkUrgentAcknowledgement(deps, { schoolId: a.school.id, caseId: urgent.caseId, minutes: 15 });
    const notices = (await outbox()).filter((m) => m.kind === OUTBOX_KINDS.personNotify && m.payload.event === 'urgent_unacknowledged');
    expect(notices.map((m) => m.payload.personId).sort()).toEqual([a.deputy.personId, a.head.personId].sort());
    const view = await getCase(deps, { actor: a.dsl, caseId: urgent.caseId });
    expect(view.chronology.map((e) => e.action)).toContain('case.urgent_unacknowledged');
  });

  test('the card context carries no concern text and says who may act', async () => {
    const receipt = await reportConcern(deps, { actor: a.staff, concern: concern({ types: ['online_bullying', 'grooming'] }), channel: 'teams' });
    await useChannelForCases(deps, { actor: a.dsl, address: channelAddress });
    await rememberChatUser(deps, { actor: a.dsl, platform: 'teams', userId: '29:dsl' });
    const forDsl = await prepareCaseCard(deps, { schoolId: a.school.id, caseId: receipt.caseId, platform: 'teams', viewer: a.dsl });
    const forStaff = await prepareCaseCard(deps, { schoolId: a.school.id, caseId: receipt.caseId, platform: 'teams', viewer: a.staff2 });
    expect(forDsl?.viewerMayAct).toBe(true);
    expect(forStaff?.viewerMayAct).toBe(false);
    expect(forDsl?.summary).toMatchObject({ reference: receipt.reference, urgency: 'urgent', reporterName: 'Sam Teacher', reporterCount: 1 });
    expect(forDsl?.summary.protocolSteps.length).toBeGreaterThan(3);
    expect(forDsl?.handlers.map((h) => h.displayName).sort()).toEqual(['Dana Lead', 'Dev Deputy']);
    expect(forDsl?.handlers.find((h) => h.displayName === 'Dana Lead')?.chatUserId).toBe('29:dsl');
    expect(JSON.stringify(forDsl)).not.toContain('Quillon');
  });

  test('posted and failed deliveries are kept on the case, audited, and never go back to an older version', async () => {
    const receipt = await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'teams' });
    const base = { schoolId: a.school.id, caseId: receipt.caseId, target: 'channel', platform: 'teams' as const, conversationId: 'c1' };
    await recordCaseCardPosted(deps, { ...base, activityId: 'act-1', renderedVersion: 3 });
    await recordCaseCardPosted(deps, { ...base, activityId: 'act-1', renderedVersion: 2 });
    expect(await db.storage.read((r) => r.chat.getCaseCard(a.school.id, receipt.caseId, 'channel'))).toMatchObject({ renderedVersion: 3, state: 'posted' });
    await recordCaseCardFailed(deps, { ...base, renderedVersion: 4, failure: 'DSL Desk is no longer in that team.', code: 'BotNotInConversationRoster' });
    const view = await getCase(deps, { actor: a.dsl, caseId: receipt.caseId });
    expect(view.deliveries).toEqual([expect.objectContaining({ target: 'channel', state: 'failed', failure: 'DSL Desk is no longer in that team.' })]);
    expect(view.chronology.map((e) => e.action)).toEqual(expect.arrayContaining(['case.card_posted', 'case.delivery_failed']));
    expect(view.names[a.staff.personId]).toBe('Sam Teacher');
  });

  test('a later reporter of the same message keeps what they said, and raises the urgency when they say a child is at risk', async () => {
    const source = { kind: 'teams_message' as const, ref: 'msg-joined' };
    const first = await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'teams', source });
    // Saying the same thing again adds a reporter, not a copy of the text.
    await reportConcern(deps, { actor: a.staff2, concern: concern(), channel: 'teams', source });
    const second = await reportConcern(deps, {
      actor: a.admin,
      concern: concern({ description: 'The same account also messaged my class at 7am asking to meet.', childAtImmediateRisk: true }),
      channel: 'teams',
      source,
    });
    expect(second.caseId).toBe(first.caseId);
    const view = await getCase(deps, { actor: a.dsl, caseId: first.caseId });
    expect(view.case.reporters).toHaveLength(3);
    expect(view.case.furtherReports).toHaveLength(1);
    expect(view.case.furtherReports[0]).toMatchObject({ personId: a.admin.personId, concern: { description: 'The same account also messaged my class at 7am asking to meet.' } });
    expect(view.case.urgency).toBe('urgent');
    expect(view.case.urgencyChanges.at(-1)).toMatchObject({ from: 'high', to: 'urgent', byId: a.admin.personId });
    const timers = (await outbox()).filter((m) => m.kind === OUTBOX_KINDS.urgentCheck && m.payload.caseId === first.caseId);
    expect(timers).toHaveLength(1);
    // Stored encrypted like the rest of the case.
    expect(await db.dump('cases')).not.toContain('asking to meet');
    // IT never sees the names in further reports either.
    const itView = await reportConcern(deps, { actor: a.it, concern: concern({ types: ['suspicious_email'], description: 'Phish', involved: [{ group: 'staff', name: 'Walter Whisperfield' }] }), channel: 'teams', source: { kind: 'email', ref: 'm1' } });
    await reportConcern(deps, { actor: a.staff, concern: concern({ types: ['suspicious_email'], description: 'Phish too', involved: [{ group: 'staff', name: 'Walter Whisperfield' }] }), channel: 'teams', source: { kind: 'email', ref: 'm1' } });
    const seenByIt = await getCase(deps, { actor: a.it, caseId: itView.caseId });
    expect(JSON.stringify(seenByIt.case)).not.toContain('Whisperfield');
  });

  test('the same reporter reporting the same message again with more to say: it is kept, they are not listed twice', async () => {
    const source = { kind: 'teams_message' as const, ref: 'msg-again' };
    const first = await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'teams', source });
    const again = await reportConcern(deps, { actor: a.staff, concern: concern({ description: 'Also: it happened again this morning at 7:40.' }), channel: 'teams', source });
    expect(again).toMatchObject({ caseId: first.caseId, duplicate: false, joinedExisting: true });
    const repeat = await reportConcern(deps, { actor: a.staff, concern: concern({ description: 'Also: it happened again this morning at 7:40.' }), channel: 'teams', source });
    expect(repeat.duplicate).toBe(true);
    const view = await getCase(deps, { actor: a.dsl, caseId: first.caseId });
    expect(view.case.reporters).toHaveLength(1);
    expect(view.case.furtherReports.map((r) => r.concern.description)).toEqual(['Also: it happened again this morning at 7:40.']);
  });

  test('the subject of an allegation reporting the same message gets a case of their own; a closed case is not joined', async () => {
    const source = { kind: 'teams_message' as const, ref: 'msg-allegation' };
    const allegation = await reportConcern(deps, { actor: a.staff, concern: concern({ types: ['staff_allegation'], subjectPersonId: a.staff2.personId }), channel: 'teams', source });
    const bySubject = await reportConcern(deps, { actor: a.staff2, concern: concern(), channel: 'teams', source });
    expect(bySubject.caseId).not.toBe(allegation.caseId);
    expect(bySubject.joinedExisting).toBe(false);
    expect(bySubject.reference).not.toBe(allegation.reference);

    const other = { kind: 'teams_message' as const, ref: 'msg-closed' };
    const closed = await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'teams', source: other });
    await closeCase(deps, { actor: a.dsl, caseId: closed.caseId, outcome: 'Dealt with.' });
    const fresh = await reportConcern(deps, { actor: a.staff2, concern: concern(), channel: 'teams', source: other });
    expect(fresh.caseId).not.toBe(closed.caseId);
    const later = await reportConcern(deps, { actor: a.admin, concern: concern(), channel: 'teams', source: other });
    expect(later.caseId).toBe(fresh.caseId);
  });

  test('a restricted case about the headteacher goes to the DSLs in person instead', async () => {
    const receipt = await reportConcern(deps, { actor: a.staff, concern: concern({ types: ['staff_allegation'], subjectPersonId: a.head.personId }), channel: 'teams' });
    const notices = (await outbox()).filter((m) => m.kind === OUTBOX_KINDS.personNotify && m.payload.caseId === receipt.caseId);
    expect(notices.map((m) => m.payload.personId)).toEqual([a.dsl.personId]);
  });

  test('errors are our one error type', async () => {
    await expect(useChannelForCases(deps, { actor: a.governor, address: channelAddress })).rejects.toBeInstanceOf(AppError);
  });
});
