import type { AppDeps } from '../../src/app/deps.ts';
import { OPERATOR } from '../../src/app/deps.ts';
import { acknowledgeAup } from '../../src/app/aup/acknowledge-aup.ts';
import { createSigningLink } from '../../src/app/aup/create-signing-link.ts';
import { signWithLink } from '../../src/app/aup/sign-with-link.ts';
import { prepareAupDelivery, prepareAupReminder, recordAupDelivered, recordAupDeliveryFailed } from '../../src/app/aup/deliver-aup.ts';
import { rememberChatUser } from '../../src/app/people/remember-chat-user.ts';
import { aupStatusCsv, getAupStatus, getCampaignProgress } from '../../src/app/aup/get-aup-status.ts';
import { setAupProfile, updateAupSettings } from '../../src/app/aup/manage-aup-settings.ts';
import { publishAup } from '../../src/app/aup/publish-aup.ts';
import { startAupCampaign, startYearlyCampaigns } from '../../src/app/aup/start-aup-campaign.ts';
import { addNewStarter } from '../../src/app/aup/welcome-new-starter.ts';
import { defaultAupSettings } from '../../src/app/aup/aup-context.ts';
import { listAupDeliveries } from '../../src/app/aup/list-aup-deliveries.ts';
import { AUP_OUTBOX_KINDS } from '../../src/app/aup/aup-messages.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

const policy = (markdown: string, audience = 'staff') => ({
  audience,
  title: audience === 'staff' ? 'Staff Acceptable Use Policy' : 'Governors’ Acceptable Use Policy',
  markdown,
  acknowledgementWording: 'I have read and agree to follow this policy',
  effectiveDate: '2026-09-01',
  reviewDate: '2027-09-01',
});

describe.each(enginesUnderTest())('AUP deliveries, campaigns and status on %s', (engine) => {
  let db: TestStorage;
  let deps: AppDeps;
  let now: Date;
  let a: SeededSchool;
  let b: SeededSchool;
  beforeEach(async () => {
    db = await createTestStorage(engine);
    // Tuesday 6 October 2026, 09:00 in London: a school day.
    now = new Date('2026-10-06T08:00:00Z');
    deps = { ...depsFor(db.storage), clock: { now: () => now } };
    a = await seedSchool(deps, 'oakfield');
    b = await seedSchool(deps, 'elmwood');
  });
  afterEach(async () => {
    await db.cleanup();
  });

  const outbox = async (kind: string) => db.raw(`select school_id, payload, run_after from outbox where kind = '${kind}' order by created_at`);

  test('publishing asks everyone in the audience once: the campaign and its messages survive being started again', async () => {
    await updateAupSettings(deps, {
      actor: a.admin,
      schoolId: a.school.id,
      settings: { ...defaultAupSettings(), audienceRules: { rules: [], defaultAudience: 'staff' } },
    });
    // The governor is a governor by the office's say-so.
    await setAupProfile(deps, { actor: a.admin, schoolId: a.school.id, personId: a.governor.personId, changes: { audienceOverride: 'governor' } });
    const v1 = await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy('# AUP\n\nKeep passwords private.\n') });
    const deliveries = await db.storage.read((r) => r.aupDeliveries.listForPolicy(a.school.id, v1.id, '2026'));
    expect(deliveries).toHaveLength(7);
    expect(deliveries.map((d) => d.personId)).not.toContain(a.governor.personId);
    expect(deliveries.every((d) => d.state === 'queued' && d.reason === 'published' && d.campaignId)).toBe(true);
    expect(await outbox(AUP_OUTBOX_KINDS.deliver)).toHaveLength(7);

    const again = await startAupCampaign(deps, { actor: a.dsl, schoolId: a.school.id, policyId: v1.id });
    expect(again).toMatchObject({ created: false, added: 0, campaign: { recipients: 7 } });
    expect(await outbox(AUP_OUTBOX_KINDS.deliver)).toHaveLength(7);
    await expect(startAupCampaign(deps, { actor: a.staff, schoolId: a.school.id, policyId: v1.id })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(startAupCampaign(deps, { actor: b.admin, schoolId: b.school.id, policyId: v1.id })).rejects.toMatchObject({ code: 'not_found' });

    // A second version: its own campaign; the first version's unsent deliveries stand down when their turn comes.
    const v2 = await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy('# AUP\n\nKeep passwords private.\nLock your screen.\n') });
    expect(await outbox(AUP_OUTBOX_KINDS.deliver)).toHaveLength(14);
    const stale = await prepareAupDelivery(deps, { schoolId: a.school.id, personId: a.staff.personId, policyId: v1.id, cycle: '2026' }, 'teams');
    expect(stale).toBeUndefined();
    expect(await db.storage.read((r) => r.aupDeliveries.get(a.school.id, a.staff.personId, v1.id, '2026'))).toMatchObject({ state: 'failed', failureCode: 'superseded' });
    const fresh = await prepareAupDelivery(deps, { schoolId: a.school.id, personId: a.staff.personId, policyId: v2.id, cycle: '2026' }, 'teams');
    expect(fresh).toMatchObject({ resumed: false, policy: { version: 2 }, person: { displayName: 'Sam Teacher' } });
  });

  test('a delivery is claimed before sending, recorded once, and reminders are set on working days', async () => {
    const v1 = await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy('# AUP\n\nKeep passwords private.\n') });
    const key = { schoolId: a.school.id, personId: a.staff.personId, policyId: v1.id, cycle: '2026' };
    expect(await prepareAupDelivery(deps, key, 'teams')).toMatchObject({ resumed: false });
    // A crash after the claim: the next attempt knows it is resuming.
    expect(await prepareAupDelivery(deps, key, 'teams')).toMatchObject({ resumed: true });
    await recordAupDelivered(deps, key, { channel: 'teams', conversationId: 'a:conv', activityId: '1' });
    await recordAupDelivered(deps, key, { channel: 'teams', conversationId: 'a:conv', activityId: '2' });
    expect(await prepareAupDelivery(deps, key, 'teams')).toBeUndefined();
    expect(await db.storage.read((r) => r.aupDeliveries.get(a.school.id, a.staff.personId, v1.id, '2026'))).toMatchObject({ state: 'sent', channel: 'teams', activityId: '1' });
    const reminders = (await outbox(AUP_OUTBOX_KINDS.remind)).map((row) => String(row.run_after));
    // Sent Tuesday 09:00 London: reminders Wednesday, Friday, and the next Wednesday, at 09:00 London.
    expect(reminders).toEqual(['2026-10-07T08:00:00.000Z', '2026-10-09T08:00:00.000Z', '2026-10-15T08:00:00.000Z']);
    const sentAudit = await db.raw(`select count(*) as n from audit_events where action = 'aup.sent'`);
    expect(Number(sentAudit[0]!.n)).toBe(1);

    const other = { ...key, personId: a.staff2.personId };
    await prepareAupDelivery(deps, other, 'teams');
    await recordAupDeliveryFailed(deps, other, { code: 'no_teams_licence', reason: 'Microsoft 365 says this person has no Teams licence.' });
    const [progress] = await getCampaignProgress(deps, { actor: a.admin, schoolId: a.school.id });
    expect(progress).toMatchObject({ sent: 1, failed: 1, queued: 6, signed: 0, failures: [{ code: 'no_teams_licence', count: 1 }] });
  });

  test('aup campaign status shows every delivery in progress: publications, yearly rounds, new starters and reminders, with sent, pending and failed counts', async () => {
    const v1 = await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy('# AUP\n\nKeep passwords private.\n') });
    const campaignPeople = (await db.storage.read((r) => r.aupDeliveries.listForPolicy(a.school.id, v1.id, '2026'))).length;
    const key = (personId: string) => ({ schoolId: a.school.id, personId, policyId: v1.id, cycle: '2026' });
    await prepareAupDelivery(deps, key(a.staff.personId), 'teams');
    await recordAupDelivered(deps, key(a.staff.personId), { channel: 'teams', conversationId: 'a:conv' });
    await prepareAupDelivery(deps, key(a.staff2.personId), 'teams');
    await recordAupDeliveryFailed(deps, key(a.staff2.personId), { code: 'no_teams_licence', reason: 'Microsoft 365 says this person has no Teams licence.' });
    await acknowledgeAup(deps, { actor: a.dsl, policyId: v1.id, signature: { agreed: true, typedName: 'Dana Lead' }, surface: 'teams' });
    now = new Date('2026-10-06T09:00:00Z');
    await addNewStarter(deps, { actor: a.admin, schoolId: a.school.id, input: { displayName: 'Nia Newstart', email: 'nia@oakfield.example.org' } });

    const groups = await listAupDeliveries(deps, { actor: a.head, schoolId: a.school.id });
    expect(groups.map((g) => g.reason)).toEqual(['new_starter', 'published']);
    expect(groups[0]).toMatchObject({ campaignId: null, policyVersion: 1, people: 1, pending: 1, sent: 0, failed: 0, inProgress: true, waitingFor: ['Nia Newstart'] });
    expect(groups[1]).toMatchObject({ people: campaignPeople, pending: campaignPeople - 3, sent: 2, signed: 1, failed: 1, awaitingReminder: 1, remindersSent: 0, failures: [{ code: 'no_teams_licence', count: 1 }], waitingFor: [] });

    // Next September the yearly round starts; last year's sends that still have work to do are listed too.
    now = new Date('2027-09-01T07:00:00Z');
    expect(await startYearlyCampaigns(deps, { schoolId: a.school.id })).toEqual({ started: 1 });
    const later = await listAupDeliveries(deps, { actor: a.dsl, schoolId: a.school.id });
    expect(later.map((g) => `${g.reason}:${g.cycle}`)).toEqual(['yearly:2027', 'new_starter:2026', 'published:2026']);
    expect(later[0]!.pending).toBe(later[0]!.people);
    expect(later[0]!.people).toBeGreaterThanOrEqual(campaignPeople);

    // Once nothing is left to send or remind, a send is finished: listed only when asked for (this year's).
    await expect(listAupDeliveries(deps, { actor: a.staff, schoolId: a.school.id })).rejects.toMatchObject({ code: 'forbidden' });
    expect(await listAupDeliveries(deps, { actor: b.admin, schoolId: b.school.id })).toEqual([]);
    const elsewhere = await publishAup(deps, { actor: b.admin, schoolId: b.school.id, policy: policy('# AUP\n\nKeep passwords private.\n') });
    const theirs = await db.storage.read((r) => r.aupDeliveries.listForPolicy(b.school.id, elsewhere.id, '2027'));
    expect((await listAupDeliveries(deps, { actor: b.admin, schoolId: b.school.id }))[0]).toMatchObject({ reason: 'published', pending: theirs.length, inProgress: true });
    for (const delivery of theirs) {
      const their = { schoolId: b.school.id, personId: delivery.personId, policyId: elsewhere.id, cycle: '2027' };
      await prepareAupDelivery(deps, their, 'teams');
      await recordAupDeliveryFailed(deps, their, { code: 'no_chat', reason: 'DSL Desk could not reach them in Teams.' });
    }
    expect(await listAupDeliveries(deps, { actor: b.admin, schoolId: b.school.id })).toEqual([]);
    expect(await listAupDeliveries(deps, { actor: b.admin, schoolId: b.school.id, includeFinished: true })).toEqual([
      expect.objectContaining({ reason: 'published', people: theirs.length, pending: 0, failed: theirs.length, inProgress: false, failures: [expect.objectContaining({ code: 'no_chat', count: theirs.length })] }),
    ]);
  });

  test('someone unreachable is sent the policy again when they first open their chat; overdue reminders collapse into the latest', async () => {
    const v1 = await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy('# AUP\n\nKeep passwords private.\n') });
    const key = { schoolId: a.school.id, personId: a.staff.personId, policyId: v1.id, cycle: '2026' };
    await prepareAupDelivery(deps, key, 'teams');
    await recordAupDeliveryFailed(deps, key, { code: 'no_chat', reason: 'DSL Desk could not reach them in Teams.' });
    const conversation = { platform: 'teams' as const, conversationId: 'a:personal', serviceUrl: 'https://smba.example/teams/', tenantId: 't' };
    expect(await rememberChatUser(deps, { actor: a.staff, platform: 'teams', userId: '29:staff', personalConversation: conversation })).toEqual({ firstPersonalContact: true });
    expect(await db.storage.read((r) => r.aupDeliveries.get(a.school.id, a.staff.personId, v1.id, '2026'))).toMatchObject({ state: 'queued', failureCode: null });
    const mine = (await outbox(AUP_OUTBOX_KINDS.deliver)).filter((row) => String(row.payload).includes(a.staff.personId));
    expect(mine).toHaveLength(2);
    // Saying hello again changes nothing.
    await rememberChatUser(deps, { actor: a.staff, platform: 'teams', userId: '29:staff', personalConversation: conversation });
    expect((await outbox(AUP_OUTBOX_KINDS.deliver)).filter((row) => String(row.payload).includes(a.staff.personId))).toHaveLength(2);

    // Sent Tuesday; the service was down until the Thursday after next: reminders 1, 2 and 3 are all due.
    expect(await prepareAupDelivery(deps, key, 'teams')).toMatchObject({ resumed: false });
    await recordAupDelivered(deps, key, { channel: 'teams', conversationId: 'a:personal' });
    now = new Date('2026-10-15T10:00:00Z');
    expect(await prepareAupReminder(deps, key, 1, 'teams')).toBeUndefined();
    expect(await prepareAupReminder(deps, key, 2, 'teams')).toBeUndefined();
    expect(await prepareAupReminder(deps, key, 3, 'teams')).toMatchObject({ person: { id: a.staff.personId } });
  });

  test('visitors who signed through a link appear in aup status (by audience) and its CSV, with how they signed', async () => {
    const staffPolicy = await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy('# AUP\n\nKeep passwords private.\n') });
    const visitorPolicy = await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: { ...policy('# Visitors\n\nWear your badge.\n', 'visitor'), title: 'Visitor Acceptable Use Policy' } });
    await acknowledgeAup(deps, { actor: a.staff, policyId: staffPolicy.id, signature: { agreed: true, typedName: 'Sam Teacher' }, surface: 'teams' });
    const visitorLink = await createSigningLink(deps, { actor: a.admin, schoolId: a.school.id, input: { audience: 'visitor', intendedFor: 'Val Visitor' }, publicUrl: 'https://dsl.example.org' });
    await signWithLink(deps, { token: visitorLink.token, policyId: visitorPolicy.id, signature: { agreed: true, typedName: 'Valerie Visitor', typedEmail: 'val@visitor.example.org' }, ipAddress: '203.0.113.9' });
    // A link made but not used is nobody's signature.
    await createSigningLink(deps, { actor: a.admin, schoolId: a.school.id, input: { audience: 'visitor', intendedFor: 'Una Unused' }, publicUrl: 'https://dsl.example.org' });

    const all = await getAupStatus(deps, { actor: a.head, schoolId: a.school.id });
    expect(all.totals).toEqual({ people: 8, signed: 2, unsigned: 7, noPolicy: 0, throughLink: 1 });
    const visitor = all.rows.find((r) => r.personId === null);
    expect(visitor).toMatchObject({ displayName: 'Valerie Visitor', email: 'val@visitor.example.org', audience: 'visitor', audienceLabel: 'Visitors', policyVersion: 1, status: 'signed', signedVia: 'web_link', linkFor: 'Val Visitor', signedAt: now.toISOString() });
    expect(all.rows.find((r) => r.personId === a.staff.personId)).toMatchObject({ status: 'signed', signedVia: 'teams', linkFor: null });
    expect(all.rows.filter((r) => r.displayName === 'Una Unused')).toEqual([]);

    const visitorsOnly = await getAupStatus(deps, { actor: a.head, schoolId: a.school.id, audience: 'visitor' });
    expect(visitorsOnly.rows.map((r) => r.displayName)).toEqual(['Valerie Visitor']);
    expect((await getAupStatus(deps, { actor: a.head, schoolId: a.school.id, audience: 'staff' })).rows.map((r) => r.displayName)).not.toContain('Valerie Visitor');
    expect((await getAupStatus(deps, { actor: a.head, schoolId: a.school.id, onlyUnsigned: true })).rows.map((r) => r.displayName)).not.toContain('Valerie Visitor');
    expect((await getAupStatus(deps, { actor: b.admin, schoolId: b.school.id })).totals.throughLink).toBe(0);

    const lines = aupStatusCsv(all).trimEnd().split('\r\n');
    const header = lines[0]!.split(',');
    const visitorCells = lines.find((line) => line.startsWith('Valerie Visitor,'))!.split(',');
    expect(visitorCells[header.indexOf('status')]).toBe('signed');
    expect(visitorCells[header.indexOf('audience')]).toBe('Visitors');
    expect(visitorCells[header.indexOf('signed_via')]).toBe('one-time link');
    expect(visitorCells[header.indexOf('link_for')]).toBe('Val Visitor');
    expect(lines.find((line) => line.startsWith('Sam Teacher,'))!.split(',')[header.indexOf('signed_via')]).toBe('Teams');
  });

  test('signing marks the delivery signed; status and CSV show who has and has not signed this cycle', async () => {
    const v1 = await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy('# AUP\n\nKeep passwords private.\n') });
    await acknowledgeAup(deps, { actor: a.staff, policyId: v1.id, signature: { agreed: true, typedName: 'Sam Teacher' }, surface: 'teams' });
    expect(await db.storage.read((r) => r.aupDeliveries.get(a.school.id, a.staff.personId, v1.id, '2026'))).toMatchObject({ state: 'signed', signedAt: now.toISOString() });
    const status = await getAupStatus(deps, { actor: a.head, schoolId: a.school.id });
    expect(status.cycle).toBe('2026');
    expect(status.totals).toEqual({ people: 8, signed: 1, unsigned: 7, noPolicy: 0, throughLink: 0 });
    expect(status.rows.find((r) => r.personId === a.staff.personId)).toMatchObject({ status: 'signed', policyVersion: 1, signedAt: now.toISOString() });
    expect(status.rows[0]!.status).toBe('unsigned');
    const unsignedOnly = await getAupStatus(deps, { actor: a.head, schoolId: a.school.id, onlyUnsigned: true });
    expect(unsignedOnly.rows).toHaveLength(7);
    await expect(getAupStatus(deps, { actor: a.staff, schoolId: a.school.id })).rejects.toMatchObject({ code: 'forbidden' });
    const csv = aupStatusCsv(status);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('name,email,audience,policy,version,status,signed_at_utc,signed_via,link_for,last_signed_version,sent_by,sent_at_utc,reminders,not_delivered_because,start_date');
    expect(lines).toHaveLength(9);
    expect(lines.find((line) => line.startsWith('Sam Teacher,'))).toContain(',signed,');

    // Published this school year: no yearly request on top of the publication's own.
    expect(await startYearlyCampaigns(deps, { schoolId: a.school.id })).toEqual({ started: 0 });
    // Next September: everyone signs again. The yearly check starts one campaign per current policy, once.
    now = new Date('2027-09-01T07:00:00Z');
    expect(await startYearlyCampaigns(deps, { schoolId: a.school.id })).toEqual({ started: 1 });
    expect(await startYearlyCampaigns(deps, { schoolId: a.school.id })).toEqual({ started: 0 });
    const nextYear = await getAupStatus(deps, { actor: a.head, schoolId: a.school.id });
    expect(nextYear).toMatchObject({ cycle: '2027', totals: { signed: 0, unsigned: 8 } });
    expect(nextYear.rows.find((r) => r.personId === a.staff.personId)).toMatchObject({ status: 'unsigned', lastSignedVersion: 1 });
    const second = await acknowledgeAup(deps, { actor: a.staff, policyId: v1.id, signature: { agreed: true, typedName: 'Sam Teacher' }, surface: 'teams' });
    expect(second).toMatchObject({ alreadySigned: false, acknowledgement: { cycle: '2027', policyVersion: 1 } });
    expect((await db.storage.read((r) => r.aupAcknowledgements.forPerson(a.school.id, a.staff.personId))).map((ack) => ack.cycle)).toEqual(['2026', '2027']);
  });

  test('a new starter added by the office is sent their audience’s policy once; the start date check is scheduled', async () => {
    await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy('# AUP\n\nKeep passwords private.\n') });
    const input = { displayName: 'Nia Newstart', email: 'nia@oakfield.example.org', startDate: '2026-10-19', lineManagerEmail: 'head@oakfield.example.org', jobTitle: 'Teaching assistant' };
    const added = await addNewStarter(deps, { actor: a.admin, schoolId: a.school.id, input });
    expect(added.delivery).toMatchObject({ reason: 'new_starter', state: 'queued', cycle: '2026' });
    const repeat = await addNewStarter(deps, { actor: a.admin, schoolId: a.school.id, input });
    expect(repeat.personId).toBe(added.personId);
    expect(repeat.delivery).toBeUndefined();
    expect((await outbox(AUP_OUTBOX_KINDS.deliver)).filter((row) => String(row.payload).includes(added.personId))).toHaveLength(1);
    // Start Monday 19 October: the head hears on Thursday 15 October at 08:00 London if it is still unsigned.
    const escalations = await outbox(AUP_OUTBOX_KINDS.escalate);
    expect(escalations.map((row) => String(row.run_after))).toEqual(['2026-10-15T07:00:00.000Z']);
    await expect(addNewStarter(deps, { actor: a.staff, schoolId: a.school.id, input })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(addNewStarter(deps, { actor: a.admin, schoolId: a.school.id, input: { ...input, email: 'not an email', startDate: '19/10/2026' } })).rejects.toMatchObject({
      code: 'invalid_input',
      fields: expect.arrayContaining([expect.objectContaining({ path: 'email' }), expect.objectContaining({ path: 'startDate' })]),
    });
    const status = await getAupStatus(deps, { actor: a.admin, schoolId: a.school.id });
    expect(status.rows.find((r) => r.personId === added.personId)).toMatchObject({ status: 'unsigned', startDate: '2026-10-19', delivery: { state: 'queued' } });
  });

  test('settings are validated before they are saved; rules pick the audience; the office can override', async () => {
    await expect(
      updateAupSettings(deps, { actor: a.admin, schoolId: a.school.id, settings: { ...defaultAupSettings(), reminderDays: [0], serviceAccountPatterns: ['(unclosed'], reacknowledgeOn: '9/1' } }),
    ).rejects.toMatchObject({ code: 'invalid_input', fields: expect.arrayContaining([expect.objectContaining({ path: 'reminderDays.0' }), expect.objectContaining({ path: 'reacknowledgeOn' })]) });
    await expect(updateAupSettings(deps, { actor: a.admin, schoolId: a.school.id, settings: { ...defaultAupSettings(), serviceAccountPatterns: ['(unclosed'] } })).rejects.toMatchObject({
      fields: [{ path: 'serviceAccountPatterns.0', message: 'Not a valid regular expression.' }],
    });
    await expect(updateAupSettings(deps, { actor: a.staff, schoolId: a.school.id, settings: defaultAupSettings() })).rejects.toMatchObject({ code: 'forbidden' });
    await updateAupSettings(deps, {
      actor: a.admin,
      schoolId: a.school.id,
      settings: { ...defaultAupSettings(), audienceRules: { rules: [{ field: 'jobTitle', equals: 'Supply teacher', audience: 'supply' }], defaultAudience: 'staff' } },
    });
    await publishAup(deps, { actor: OPERATOR, schoolId: a.school.id, policy: { ...policy('# Supply\n\nSign in at reception.\n', 'supply'), title: 'Supply staff AUP' } });
    const supply = await addNewStarter(deps, { actor: a.admin, schoolId: a.school.id, input: { displayName: 'Sid Supply', email: 'sid@oakfield.example.org', jobTitle: ' supply TEACHER ' } });
    const status = await getAupStatus(deps, { actor: a.admin, schoolId: a.school.id, audience: 'supply' });
    expect(status.rows.map((r) => r.personId)).toEqual([supply.personId]);
    expect(status.rows[0]).toMatchObject({ policyTitle: 'Supply staff AUP', status: 'unsigned' });
    await setAupProfile(deps, { actor: a.admin, schoolId: a.school.id, personId: supply.personId, changes: { audienceOverride: 'staff' } });
    expect((await getAupStatus(deps, { actor: a.admin, schoolId: a.school.id, audience: 'supply' })).rows).toEqual([]);
    // Audited without names.
    const audit = await db.raw(`select detail from audit_events where action in ('aup.settings_changed', 'aup.profile_changed')`);
    expect(audit).toHaveLength(2);
    expect(JSON.stringify(audit)).not.toContain('Sid');
  });

  test('signing links are stored by hash and can be used once', async () => {
    const link = { id: 'link-1', schoolId: a.school.id, audience: 'visitor' as const, intendedFor: 'Val Visitor', email: null, personId: null, createdById: a.admin.personId, createdAt: now.toISOString(), expiresAt: '2026-10-13T08:00:00Z', usedAt: null, acknowledgementId: null };
    await db.storage.transaction((tx) => tx.aupSigningLinks.insert(link, 'hash-1'));
    expect(await db.storage.read((r) => r.aupSigningLinks.findByTokenHash('hash-1'))).toEqual(link);
    expect(await db.storage.read((r) => r.aupSigningLinks.findByTokenHash('hash-2'))).toBeUndefined();
    const results = await Promise.all([1, 2].map((n) => db.storage.transaction((tx) => tx.aupSigningLinks.markUsed(a.school.id, 'link-1', now.toISOString(), `ack-${n}`))));
    expect(results.sort()).toEqual([false, true]);
    expect(await db.storage.read((r) => r.aupSigningLinks.markUsed(b.school.id, 'link-1', now.toISOString(), 'ack-3'))).toBe(false);
  });

  test('the directory sync state keeps its delta link per school and provider', async () => {
    await db.storage.transaction((tx) => tx.directorySync.save({ schoolId: a.school.id, provider: 'entra', deltaLink: 'https://graph/delta?token=1', baselineDone: true, lastRunAt: now.toISOString(), lastError: null }));
    await db.storage.transaction((tx) => tx.directorySync.save({ schoolId: a.school.id, provider: 'entra', deltaLink: 'https://graph/delta?token=2', baselineDone: true, lastRunAt: now.toISOString(), lastError: null }));
    expect(await db.storage.read((r) => r.directorySync.get(a.school.id, 'entra'))).toMatchObject({ deltaLink: 'https://graph/delta?token=2', baselineDone: true });
    expect(await db.storage.read((r) => r.directorySync.get(b.school.id, 'entra'))).toBeUndefined();
  });
});
