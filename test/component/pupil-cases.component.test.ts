import { randomUUID } from 'node:crypto';
import { PUPIL_PATTERN_KIND } from '../../src/app/outbox-catalogue.ts';
import { upnCheckLetter, type Pupil } from '../../src/domain/pupil.ts';
import { enginesUnderTest } from '../support/test-storage.ts';
import { startTestService, type TestService } from '../support/test-service.ts';

const DESCRIPTION = 'Pupil said an older student keeps messaging them late at night';

const concern = (types: string[] = ['online_bullying'], extra: Record<string, unknown> = {}) => ({ types, location: 'outside_school', description: DESCRIPTION, ...extra });

let upnSerial = 100;
function newUpn(): string {
  upnSerial += 1;
  const rest = `8812${String(upnSerial).padStart(8, '0')}`;
  return `${upnCheckLetter(rest)}${rest}`;
}

describe.each(enginesUnderTest())('pupils on cases over the REST API on %s', (engine) => {
  let t: TestService;
  let tokens: Record<'staff' | 'dsl' | 'deputy' | 'head' | 'otherDsl', string>;

  async function addPupil(schoolId: string, forename: string, surname: string, extra: Partial<Pupil> = {}): Promise<Pupil> {
    const now = new Date().toISOString();
    const pupil: Pupil = { id: randomUUID(), schoolId, upn: newUpn(), legalForename: forename, legalSurname: surname, dateOfBirth: '2016-03-04', yearGroup: '5', registrationGroup: '5B', createdAt: now, updatedAt: now, ...extra };
    await t.service.deps.storage.transaction((tx) => tx.pupils.insert(pupil));
    return pupil;
  }

  const report = (body: Record<string, unknown>, token = tokens.staff) => t.request('/api/v1/reports', { token, body });
  const outboxPatterns = async () => (await t.db.raw(`select payload from outbox where kind = '${PUPIL_PATTERN_KIND}'`)).map((row) => (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as { pupilId: string; alertId: string });
  const auditActions = async (action: string) => t.db.raw(`select actor_id, detail from audit_events where action = '${action}'`);

  beforeAll(async () => {
    t = await startTestService(engine);
    tokens = {
      staff: await t.tokenFor(t.schoolA.staff, t.schoolA),
      dsl: await t.tokenFor(t.schoolA.dsl, t.schoolA),
      deputy: await t.tokenFor(t.schoolA.deputy, t.schoolA),
      head: await t.tokenFor(t.schoolA.head, t.schoolA),
      otherDsl: await t.tokenFor(t.schoolB.dsl, t.schoolB),
    };
  });
  afterAll(async () => {
    await t.close();
  });

  test('a report names a picked child and a typed one; the typed name is linked later; a child not on roll is refused by field', async () => {
    const ava = await addPupil(t.schoolA.school.id, 'Ava', 'Penhaligon');
    const ben = await addPupil(t.schoolA.school.id, 'Benedict', 'Trelawny', { preferredForename: 'Ben' });
    const leaver = await addPupil(t.schoolA.school.id, 'Lena', 'Gone', { leftOn: '2025-07-20' });

    const refused = await report({ concern: concern(), children: [{ pupilId: leaver.id, role: 'subject' }] });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('invalid_input');
    expect(refused.body.error.fields).toEqual([expect.objectContaining({ path: 'children.0.pupilId' })]);
    const otherSchool = await addPupil(t.schoolB.school.id, 'Olive', 'Elsewhere');
    expect((await report({ concern: concern(), children: [{ pupilId: otherSchool.id }] })).status).toBe(400);
    expect((await report({ concern: concern(), children: [{ pupilId: ava.id, name: 'Ava P' }] })).status).toBe(400);

    // The old way of naming people keeps working beside the new one.
    const filed = await report({ concern: concern(['online_bullying'], { involved: [{ group: 'child', name: 'Ava Penhaligon' }] }), children: [{ pupilId: ava.id, role: 'subject' }, { name: 'Benny T', role: 'witness' }] });
    expect(filed.status).toBe(201);
    const caseId = filed.body.caseId as string;
    const rows = await t.db.raw(`select pupil_id, typed_name from case_children where case_id = '${caseId}' order by added_at, id`);
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain('Benny');

    const view = await t.request(`/api/v1/cases/${caseId}`, { token: tokens.dsl });
    expect(view.body.case.concern.involved).toEqual([{ group: 'child', name: 'Ava Penhaligon' }]);
    const children = view.body.pupils.children as { id: string; name: string; role: string; toLink: boolean; pupilId?: string }[];
    expect(children.map((c) => [c.name, c.role, c.toLink])).toEqual(
      expect.arrayContaining([
        ['Ava Penhaligon', 'subject', false],
        ['Benny T', 'witness', true],
      ]),
    );
    const typed = children.find((c) => c.toLink)!;

    // Staff who reported may not change the children; the DSL links the typed name to the pupil, with a reason.
    expect((await t.request(`/api/v1/cases/${caseId}/children`, { token: tokens.staff, body: { pupilId: ben.id, childId: typed.id, reason: 'Benny is Ben' } })).status).toBe(404);
    const missingReason = await t.request(`/api/v1/cases/${caseId}/children`, { token: tokens.dsl, body: { pupilId: ben.id, childId: typed.id } });
    expect(missingReason.status).toBe(400);
    expect(missingReason.body.error.fields[0].path).toBe('reason');
    const linked = await t.request(`/api/v1/cases/${caseId}/children`, { token: tokens.dsl, body: { pupilId: ben.id, childId: typed.id, reason: 'Benny is Ben Trelawny in 5B' } });
    expect(linked.status).toBe(200);
    expect(linked.body.child).toMatchObject({ id: typed.id, pupilId: ben.id, toLink: false, role: 'witness' });
    const after = await t.request(`/api/v1/cases/${caseId}`, { token: tokens.dsl });
    expect(after.body.pupils.children.find((c: { id: string }) => c.id === typed.id)).toMatchObject({ name: 'Ben Trelawny', toLink: false });
    expect(await auditActions('case.child_linked')).toHaveLength(1);
    expect(JSON.stringify(await auditActions('case.child_linked'))).not.toContain('Benny');

    // Unlinked with a reason: gone from the case view, kept in the record.
    const unlinked = await t.request(`/api/v1/cases/${caseId}/children/${typed.id}`, { method: 'DELETE', token: tokens.dsl, body: { reason: 'Ben was not there after all' } });
    expect(unlinked.status).toBe(200);
    expect((await t.request(`/api/v1/cases/${caseId}`, { token: tokens.dsl })).body.pupils.children).toHaveLength(1);
    expect((await t.db.raw(`select unlinked_at from case_children where id = '${typed.id}'`))[0]!.unlinked_at).toBeTruthy();
    expect((await t.request(`/api/v1/cases/${caseId}/children/${typed.id}`, { method: 'DELETE', token: tokens.dsl, body: { reason: 'again' } })).status).toBe(409);
    // Staff never see the children on the case: a case is not theirs to open.
    expect((await t.request(`/api/v1/cases/${caseId}`, { token: tokens.staff })).status).toBe(404);
  });

  test('the third concern in 60 days raises exactly one pattern; a fourth does not raise another; a marked type raises at once', async () => {
    const cara = await addPupil(t.schoolA.school.id, 'Cara', 'Nancarrow');
    const before = (await outboxPatterns()).length;
    for (let n = 1; n <= 2; n += 1) expect((await report({ concern: concern(), children: [{ pupilId: cara.id }] })).status).toBe(201);
    expect((await outboxPatterns()).filter((p) => p.pupilId === cara.id)).toHaveLength(0);
    const third = await report({ concern: concern(['online_gambling']), children: [{ pupilId: cara.id, role: 'other_child' }] });
    expect(third.status).toBe(201);
    const patterns = (await outboxPatterns()).filter((p) => p.pupilId === cara.id);
    expect(patterns).toHaveLength(1);
    const alert = (await t.db.raw(`select reason, case_ids from pupil_pattern_alerts where id = '${patterns[0]!.alertId}'`))[0]!;
    expect(alert.reason).toBe('count');
    expect(JSON.parse(String(alert.case_ids))).toHaveLength(3);
    expect(JSON.parse(String(alert.case_ids))).toContain(third.body.caseId);

    await report({ concern: concern(), children: [{ pupilId: cara.id }] });
    expect((await outboxPatterns()).filter((p) => p.pupilId === cara.id)).toHaveLength(1);
    expect((await outboxPatterns()).length).toBe(before + 1);

    // A witness does not count towards a pattern.
    const dan = await addPupil(t.schoolA.school.id, 'Dan', 'Witness');
    for (let n = 1; n <= 3; n += 1) await report({ concern: concern(), children: [{ pupilId: dan.id, role: 'witness' }] });
    expect((await outboxPatterns()).filter((p) => p.pupilId === dan.id)).toHaveLength(0);

    // The school marks a type: one concern of it raises at once. Only a DSL or the head sets the rule.
    expect((await t.request('/api/v1/pupil-pattern-rule', { method: 'PUT', token: tokens.staff, body: { count: 3, days: 60, alwaysTypes: ['grooming'] } })).status).toBe(404);
    const badRule = await t.request('/api/v1/pupil-pattern-rule', { method: 'PUT', token: tokens.dsl, body: { count: 1, days: 60 } });
    expect(badRule.status).toBe(400);
    expect(badRule.body.error.fields[0].path).toBe('count');
    const set = await t.request('/api/v1/pupil-pattern-rule', { method: 'PUT', token: tokens.dsl, body: { count: 3, days: 60, alwaysTypes: ['grooming'] } });
    expect(set.body.rule).toEqual({ count: 3, days: 60, alwaysTypes: ['grooming'] });
    const eve = await addPupil(t.schoolA.school.id, 'Eve', 'Marked');
    const groomed = await report({ concern: concern(['grooming']), children: [{ pupilId: eve.id }] });
    const evePatterns = (await outboxPatterns()).filter((p) => p.pupilId === eve.id);
    expect(evePatterns).toHaveLength(1);
    expect((await t.db.raw(`select reason, case_ids from pupil_pattern_alerts where id = '${evePatterns[0]!.alertId}'`))[0]).toMatchObject({ reason: 'type', case_ids: JSON.stringify([groomed.body.caseId]) });

    // Acknowledging is for a DSL or deputy, once, audited; the card is queued again to show who acknowledged it.
    expect((await t.request(`/api/v1/pupil-patterns/${evePatterns[0]!.alertId}/acknowledge`, { method: 'POST', token: tokens.staff })).status).toBe(404);
    const acknowledged = await t.request(`/api/v1/pupil-patterns/${evePatterns[0]!.alertId}/acknowledge`, { method: 'POST', token: tokens.deputy });
    expect(acknowledged.status).toBe(200);
    expect(acknowledged.body.alert).toMatchObject({ acknowledgedBy: t.schoolA.deputy.personId });
    expect((await t.request(`/api/v1/pupil-patterns/${evePatterns[0]!.alertId}/acknowledge`, { method: 'POST', token: tokens.dsl })).status).toBe(409);
    expect(await auditActions('pupil.pattern_acknowledged')).toHaveLength(1);
    expect((await outboxPatterns()).filter((p) => p.pupilId === eve.id)).toHaveLength(2);
    await t.request('/api/v1/pupil-pattern-rule', { method: 'PUT', token: tokens.dsl, body: { count: 3, days: 60 } });
  });

  test('the chronology: oldest first, who acted and the notes, only for DSL roles, an access event; restricted cases hidden from a deputy; merge moves links', async () => {
    const fay = await addPupil(t.schoolA.school.id, 'Fay', 'Rosewarne');
    const fayAgain = await addPupil(t.schoolA.school.id, 'Faye', 'Rosewarne');
    const first = await report({ concern: concern(), children: [{ pupilId: fay.id }] });
    const act = (caseId: string, body: unknown) => t.request(`/api/v1/cases/${caseId}/actions`, { token: tokens.dsl, body });
    expect((await act(first.body.caseId, { action: 'acknowledge' })).status).toBe(200);
    await act(first.body.caseId, { action: 'note', text: 'Spoke to Fay at lunch; she is fine' });
    await act(first.body.caseId, { action: 'close', outcome: 'Parents informed, no further action' });
    const second = await report({ concern: concern(['online_gambling']), children: [{ pupilId: fayAgain.id }] });
    const restricted = await report({ concern: concern(['staff_allegation'], { subjectPersonId: t.schoolA.staff2.personId }), children: [{ pupilId: fay.id }] });
    expect(restricted.status).toBe(201);

    expect((await t.request(`/api/v1/pupils/${fay.id}/chronology`, { token: tokens.staff })).status).toBe(404);
    expect((await t.request(`/api/v1/pupils/${fay.id}/chronology`, { token: tokens.otherDsl })).status).toBe(404);
    const viewedBefore = (await auditActions('pupil.chronology_viewed')).length;
    const chronology = await t.request(`/api/v1/pupils/${fay.id}/chronology`, { token: tokens.dsl });
    expect(chronology.status).toBe(200);
    expect(chronology.headers.get('cache-control')).toBe('no-store');
    expect(chronology.body.pupil).toMatchObject({ id: fay.id, name: 'Fay Rosewarne' });
    expect(chronology.body.cases.map((c: { caseId: string }) => c.caseId)).toEqual([first.body.caseId, restricted.body.caseId]);
    const [oldest] = chronology.body.cases;
    expect(oldest).toMatchObject({ reference: first.body.reference, types: ['online_bullying'], status: 'closed', roles: ['subject'], outcome: { summary: 'Parents informed, no further action', by: 'Dana Lead' } });
    expect(oldest.acted.map((a: { action: string; by: string }) => [a.action, a.by])).toEqual([
      ['acknowledged', 'Dana Lead'],
      ['closed', 'Dana Lead'],
    ]);
    expect(oldest.notes).toEqual([expect.objectContaining({ by: 'Dana Lead', text: 'Spoke to Fay at lunch; she is fine' })]);
    const viewed = await auditActions('pupil.chronology_viewed');
    expect(viewed.length).toBe(viewedBefore + 1);
    expect(viewed.at(-1)!.actor_id).toBe(t.schoolA.dsl.personId);

    // The deputy may not open a restricted case: it is counted, never shown.
    const forDeputy = await t.request(`/api/v1/pupils/${fay.id}/chronology`, { token: tokens.deputy });
    expect(forDeputy.body.cases.map((c: { caseId: string }) => c.caseId)).toEqual([first.body.caseId]);
    expect(forDeputy.body.hiddenCases).toBe(1);

    // Two records of one child: merged with a reason, the links move and the chronology follows; not across schools.
    const elsewhere = await addPupil(t.schoolB.school.id, 'Fay', 'Rosewarne');
    expect((await t.request(`/api/v1/pupils/${fay.id}/merge`, { token: tokens.dsl, body: { mergePupilId: elsewhere.id, reason: 'Same child' } })).status).toBe(404);
    expect((await t.request(`/api/v1/pupils/${fay.id}/merge`, { token: tokens.staff, body: { mergePupilId: fayAgain.id, reason: 'Same child' } })).status).toBe(404);
    const merged = await t.request(`/api/v1/pupils/${fay.id}/merge`, { token: tokens.dsl, body: { mergePupilId: fayAgain.id, reason: 'Temporary UPN record of the same child' } });
    expect(merged.status).toBe(200);
    expect(merged.body.moved.links).toBe(1);
    const followed = await t.request(`/api/v1/pupils/${fay.id}/chronology`, { token: tokens.dsl });
    expect(followed.body.cases.map((c: { caseId: string }) => c.caseId)).toEqual([first.body.caseId, second.body.caseId, restricted.body.caseId]);
    expect(followed.body.mergedRecords).toEqual([fayAgain.id]);
    const viaOld = await t.request(`/api/v1/pupils/${fayAgain.id}/chronology`, { token: tokens.dsl });
    expect(viaOld.body).toMatchObject({ pupil: { id: fay.id }, askedFor: fayAgain.id });
    expect((await t.request(`/api/v1/pupils/${fay.id}/merge`, { token: tokens.dsl, body: { mergePupilId: fayAgain.id, reason: 'again' } })).status).toBe(409);
    const [mergeEvent] = await auditActions('pupil.merged');
    expect(JSON.stringify(mergeEvent)).not.toContain('Temporary');
    // A report picking the merged record is filed on the record that stays.
    const picked = await report({ concern: concern(), children: [{ pupilId: fayAgain.id }] });
    expect((await t.db.raw(`select pupil_id from case_children where case_id = '${picked.body.caseId}'`))[0]!.pupil_id).toBe(fay.id);
  });

  test('a protection status is recorded and ended with dates by the DSL, and shown on the DSL’s case view only', async () => {
    const gus = await addPupil(t.schoolA.school.id, 'Gus', 'Polglase');
    const filed = await report({ concern: concern(), children: [{ pupilId: gus.id }] });
    expect((await t.request(`/api/v1/pupils/${gus.id}/protection-statuses`, { token: tokens.staff, body: { kind: 'child_in_need', from: '2026-01-05' } })).status).toBe(404);
    expect((await t.request(`/api/v1/pupils/${gus.id}/protection-statuses`, { token: tokens.head, body: { kind: 'child_in_need', from: '2026-01-05' } })).status).toBe(404);
    const needsDetail = await t.request(`/api/v1/pupils/${gus.id}/protection-statuses`, { token: tokens.dsl, body: { kind: 'other', from: '2026-01-05' } });
    expect(needsDetail.status).toBe(400);
    expect(needsDetail.body.error.fields[0].path).toBe('detail');
    const backwards = await t.request(`/api/v1/pupils/${gus.id}/protection-statuses`, { token: tokens.dsl, body: { kind: 'child_in_need', from: '2026-01-05', to: '2025-01-05' } });
    expect(backwards.body.error.fields[0].path).toBe('to');
    const recorded = await t.request(`/api/v1/pupils/${gus.id}/protection-statuses`, { token: tokens.dsl, body: { kind: 'child_protection_plan', from: '2020-09-01' } });
    expect(recorded.status).toBe(201);
    expect(recorded.body.status).toMatchObject({ pupilId: gus.id, kind: 'child_protection_plan', from: '2020-09-01', recordedBy: t.schoolA.dsl.personId });

    const forDsl = await t.request(`/api/v1/cases/${filed.body.caseId}`, { token: tokens.dsl });
    expect(forDsl.body.pupils.protectionStatuses).toEqual([expect.objectContaining({ pupilId: gus.id, kind: 'child_protection_plan', kindLabel: 'Child protection plan', label: 'Child protection plan since 2020-09-01' })]);
    const itView = await t.request(`/api/v1/cases/${filed.body.caseId}`, { token: await t.tokenFor(t.schoolA.it, t.schoolA) });
    expect(itView.body.pupils).toBeUndefined();

    const ended = await t.request(`/api/v1/pupils/${gus.id}/protection-statuses/${recorded.body.status.id}`, { method: 'PATCH', token: tokens.deputy, body: { to: '2021-03-31' } });
    expect(ended.status).toBe(200);
    expect(ended.body.status).toMatchObject({ to: '2021-03-31', endedBy: t.schoolA.deputy.personId });
    expect((await t.request(`/api/v1/cases/${filed.body.caseId}`, { token: tokens.dsl })).body.pupils.protectionStatuses).toEqual([]);
    const chronology = await t.request(`/api/v1/pupils/${gus.id}/chronology`, { token: tokens.dsl });
    expect(chronology.body.protectionStatuses).toEqual([expect.objectContaining({ kind: 'child_protection_plan', from: '2020-09-01', to: '2021-03-31' })]);
    expect(await auditActions('pupil.protection_status_recorded')).toHaveLength(1);
    expect(await auditActions('pupil.protection_status_ended')).toHaveLength(1);
  });
});
