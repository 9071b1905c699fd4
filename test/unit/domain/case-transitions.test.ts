import {
  acknowledgeCase,
  addCaseNote,
  addReporter,
  assignCase,
  changeCaseUrgency,
  closeCase,
  deriveUrgency,
  escalateCase,
  openCase,
  recordActionTaken,
  reopenCase,
  tickProtocolStep,
  type Case,
  type CaseChange,
  type Result,
} from '../../../src/domain/case.ts';
import type { Actor } from '../../../src/domain/roles.ts';
import type { IncidentTypeCode } from '../../../src/domain/incident-types.ts';
import { actor, allegationCase, applied, at, concern, makeCase, people, refused, SCHOOL } from './builders.ts';

const { dsl, dsl2, deputy, head, staff, it: itPerson, governor, admin, otherSchoolDsl } = people;

function closed(current: Case = makeCase()): Case {
  return applied(closeCase(current, dsl, { summary: 'Resolved with parents.' }, at(5))).next;
}

/** Every transition, as a function of (case, actor, time), with inputs that would succeed on an open case. */
const transitions: Record<string, (c: Case, a: Actor, now: string) => Result<CaseChange>> = {
  acknowledgeCase: (c, a, now) => acknowledgeCase(c, a, now),
  assignCase: (c, a, now) => assignCase(c, a, dsl2, now),
  addCaseNote: (c, a, now) => addCaseNote(c, a, { id: 'n1', text: 'Spoke to the class teacher.' }, now),
  tickProtocolStep: (c, a, now) => tickProtocolStep(c, a, 'online_bullying.evidence_kept', now),
  escalateCase: (c, a, now) => escalateCase(c, a, { agency: 'platform' }, now),
  changeCaseUrgency: (c, a, now) => changeCaseUrgency(c, a, { urgency: 'urgent', reason: 'More children involved.' }, now),
  recordActionTaken: (c, a, now) => recordActionTaken(c, a, 'parents_informed', now),
  closeCase: (c, a, now) => closeCase(c, a, { summary: 'Resolved.' }, now),
};

describe('openCase', () => {
  it('opens a new, unacknowledged case at version 1 with the reporter and empty histories', () => {
    const input = concern({ types: ['online_bullying'] });
    const opened = openCase({
      id: 'case-9',
      schoolId: SCHOOL,
      reference: 'CASE-2026-0009',
      concern: input,
      reporter: { personId: 'p-staff', reportedAt: at(0), channel: 'outlook' },
      now: at(0),
    });
    expect(opened).toMatchObject({
      id: 'case-9',
      schoolId: SCHOOL,
      reference: 'CASE-2026-0009',
      status: 'new',
      urgency: 'high',
      restricted: false,
      types: ['online_bullying'],
      reporters: [{ personId: 'p-staff', reportedAt: at(0), channel: 'outlook' }],
      notes: [],
      protocolTicks: [],
      escalations: [],
      actionsTaken: [],
      urgencyChanges: [],
      reopenings: [],
      furtherReports: [],
      createdAt: at(0),
      updatedAt: at(0),
      version: 1,
    });
    expect(opened.urgencyReason).toContain('Online bullying or harassment');
    for (const absent of ['acknowledgedAt', 'acknowledgedById', 'assigneeId', 'closedAt', 'outcome', 'subjectPersonId', 'source'] as const) {
      expect(opened).not.toHaveProperty(absent);
    }
    // The case keeps its own copy of the types.
    expect(opened.types).not.toBe(input.types);
  });

  it('keeps the source when one is given', () => {
    const opened = openCase({
      id: 'c',
      schoolId: SCHOOL,
      reference: 'R',
      concern: concern({ types: ['suspicious_email'] }),
      source: { kind: 'email', ref: '<msg-1@example.org>' },
      reporter: { personId: 'p-staff', reportedAt: at(0), channel: 'outlook' },
      now: at(0),
    });
    expect(opened.source).toEqual({ kind: 'email', ref: '<msg-1@example.org>' });
  });

  it.each<IncidentTypeCode>(['grooming', 'nudes_semi_nudes', 'child_abuse_images', 'terrorist_or_extremist_material'])('%s is urgent but not restricted', (type) => {
    const opened = makeCase({ types: [type] });
    expect(opened.urgency).toBe('urgent');
    expect(opened.restricted).toBe(false);
    expect(opened.urgencyReason).toMatch(/urgent by default/);
  });

  it.each<[IncidentTypeCode, string]>([
    ['copyright_breach', 'low'],
    ['online_gambling', 'normal'],
    ['suspicious_email', 'normal'],
    ['hate_material', 'high'],
  ])('%s takes its default urgency %s', (type, urgency) => {
    expect(makeCase({ types: [type] }).urgency).toBe(urgency);
  });

  it('an allegation about staff is urgent and restricted, and remembers its subject', () => {
    const opened = openCase({
      id: 'c',
      schoolId: SCHOOL,
      reference: 'R',
      concern: concern({ types: ['staff_allegation'], subjectPersonId: '0b6f3c1e-3f4a-4d5b-9c7e-2a1b3c4d5e6f' }),
      reporter: { personId: 'p-staff', reportedAt: at(0), channel: 'teams' },
      now: at(0),
    });
    expect(opened.urgency).toBe('urgent');
    expect(opened.restricted).toBe(true);
    expect(opened.subjectPersonId).toBe('0b6f3c1e-3f4a-4d5b-9c7e-2a1b3c4d5e6f');
  });

  it('an allegation mixed with other types is still restricted', () => {
    expect(makeCase({ types: ['suspicious_email', 'staff_allegation'] }).restricted).toBe(true);
  });

  it('a child at immediate risk makes any case urgent, with that reason', () => {
    const opened = makeCase({ types: ['copyright_breach'], childAtImmediateRisk: true });
    expect(opened.urgency).toBe('urgent');
    expect(opened.urgencyReason).toBe('The reporter said a child is at immediate risk.');
  });

  it('the strongest type wins, whatever the order', () => {
    const a = makeCase({ types: ['copyright_breach', 'online_bullying', 'other_aup_breach'] });
    expect(a.urgency).toBe('high');
    expect(a.urgencyReason).toContain('Online bullying or harassment');
    expect(makeCase({ types: ['copyright_breach', 'grooming'] }).urgency).toBe('urgent');
    expect(makeCase({ types: ['grooming', 'copyright_breach'] }).urgency).toBe('urgent');
    expect(makeCase({ types: ['copyright_breach', 'online_gambling'] }).urgency).toBe('normal');
  });

  it('deriveUrgency with no types is normal and says why', () => {
    expect(deriveUrgency([], false)).toEqual({ urgency: 'normal', reason: 'No incident type given.' });
    expect(deriveUrgency([], true).urgency).toBe('urgent');
  });
});

describe('addReporter', () => {
  it('adds a new reporter once and bumps the version; the same person again changes nothing', () => {
    const current = makeCase();
    const first = addReporter(current, { personId: 'p-staff2', reportedAt: at(2), channel: 'gmail' });
    expect(first.added).toBe(true);
    expect(first.next.reporters.map((r) => r.personId)).toEqual(['p-staff', 'p-staff2']);
    expect(first.next.version).toBe(2);
    expect(first.next.updatedAt).toBe(at(2));
    const again = addReporter(first.next, { personId: 'p-staff2', reportedAt: at(3), channel: 'gmail' });
    expect(again.added).toBe(false);
    expect(again.next).toBe(first.next);
  });
});

describe('who may act: every transition refuses people who cannot act on the case', () => {
  const cases: [string, Actor, () => Case][] = [
    ['staff', staff, () => makeCase()],
    ['IT, even on a security-only case', itPerson, () => makeCase({ types: ['suspicious_email'] })],
    ['a governor', governor, () => makeCase()],
    ['an admin', admin, () => makeCase()],
    ['a DSL of another school', otherSchoolDsl, () => makeCase()],
    ['a deputy, on a restricted case', deputy, () => allegationCase()],
    ['a DSL who is the subject of the allegation', dsl, () => allegationCase(dsl.personId)],
    ['the headteacher who is the subject of the allegation', head, () => allegationCase(head.personId)],
  ];
  for (const [name, run] of Object.entries(transitions)) {
    it.each(cases)(`${name} refuses %s with forbidden`, (_who, who, build) => {
      const error = refused(build(), (c) => run(c, who, at(1)), 'forbidden');
      expect(error.userMessage).toMatch(/DSL/);
    });
  }
  it('a deputy acts on a non-restricted case; the head and DSL act on a restricted one', () => {
    expect(acknowledgeCase(makeCase(), deputy, at(1)).ok).toBe(true);
    expect(acknowledgeCase(allegationCase(), head, at(1)).ok).toBe(true);
    expect(acknowledgeCase(allegationCase(), dsl, at(1)).ok).toBe(true);
  });
});

describe('transitions never mutate the case they are given', () => {
  it.each(Object.entries(transitions))('%s returns a new case and leaves the old one alone', (_name, run) => {
    const current = makeCase();
    const before = structuredClone(current);
    const change = applied(run(current, dsl, at(1)));
    expect(current).toEqual(before);
    expect(change.next).not.toBe(current);
    expect(change.next.version).toBe(current.version + 1);
    expect(change.next.updatedAt).toBe(at(1));
    expect(change.next.createdAt).toBe(current.createdAt);
  });
});

describe('acknowledgeCase', () => {
  it('moves new → acknowledged and records who and when', () => {
    const change = applied(acknowledgeCase(makeCase(), dsl, at(1)));
    expect(change.action).toBe('case.acknowledged');
    expect(change.detail).toEqual({ status: 'acknowledged' });
    expect(change.next).toMatchObject({ status: 'acknowledged', acknowledgedAt: at(1), acknowledgedById: dsl.personId, version: 2, updatedAt: at(1) });
  });

  it('a second acknowledgement is refused', () => {
    const once = applied(acknowledgeCase(makeCase(), dsl, at(1))).next;
    const error = refused(once, (c) => acknowledgeCase(c, dsl2, at(2)), 'invalid_transition');
    expect(error.userMessage).toMatch(/already been acknowledged/);
  });

  it('is refused once the case is in progress, escalated or closed', () => {
    const inProgress = applied(assignCase(makeCase(), dsl, dsl, at(1))).next;
    refused(inProgress, (c) => acknowledgeCase(c, dsl, at(2)), 'invalid_transition');
    const escalated = applied(escalateCase(makeCase(), dsl, { agency: 'platform' }, at(1))).next;
    refused(escalated, (c) => acknowledgeCase(c, dsl, at(2)), 'invalid_transition');
    refused(closed(), (c) => acknowledgeCase(c, dsl, at(9)), 'invalid_transition');
  });
});

describe('assignCase', () => {
  it('assigns a new case, acknowledging it (by the assigner) and moving it to in_progress', () => {
    const change = applied(assignCase(makeCase(), dsl, deputy, at(1)));
    expect(change.action).toBe('case.assigned');
    expect(change.detail).toEqual({ assigneeId: deputy.personId, status: 'in_progress' });
    expect(change.next).toMatchObject({
      assigneeId: deputy.personId,
      status: 'in_progress',
      acknowledgedAt: at(1),
      acknowledgedById: dsl.personId,
      version: 2,
      updatedAt: at(1),
    });
  });

  it('moves acknowledged → in_progress without re-acknowledging', () => {
    const acknowledged = applied(acknowledgeCase(makeCase(), dsl2, at(1))).next;
    const next = applied(assignCase(acknowledged, dsl, dsl, at(2))).next;
    expect(next.status).toBe('in_progress');
    expect(next.acknowledgedAt).toBe(at(1));
    expect(next.acknowledgedById).toBe(dsl2.personId);
  });

  it('leaves an escalated case escalated', () => {
    const escalated = applied(escalateCase(makeCase(), dsl, { agency: 'lado' }, at(1))).next;
    const change = applied(assignCase(escalated, dsl, head, at(2)));
    expect(change.next.status).toBe('escalated');
    expect(change.detail.status).toBe('escalated');
  });

  it('can reassign to someone else, but not to the same person twice', () => {
    const first = applied(assignCase(makeCase(), dsl, deputy, at(1))).next;
    const second = applied(assignCase(first, dsl, head, at(2))).next;
    expect(second.assigneeId).toBe(head.personId);
    expect(second.version).toBe(3);
    const error = refused(second, (c) => assignCase(c, dsl, head, at(3)), 'invalid_transition');
    expect(error.userMessage).toMatch(/already assigned/);
  });

  it.each<[string, Actor, () => Case]>([
    ['a member of staff', staff, () => makeCase()],
    ['IT', itPerson, () => makeCase({ types: ['suspicious_email'] })],
    ['a governor', governor, () => makeCase()],
    ['a DSL of another school', otherSchoolDsl, () => makeCase()],
    ['a deputy, on a restricted case', deputy, () => allegationCase()],
    ['the subject of the allegation', dsl2, () => allegationCase(dsl2.personId)],
  ])('refuses %s as assignee with invalid_input on assigneeId', (_who, assignee, build) => {
    const error = refused(build(), (c) => assignCase(c, dsl, assignee, at(1)), 'invalid_input');
    expect(error.fields).toEqual([{ path: 'assigneeId', message: expect.stringMatching(/Choose someone who can act/) }]);
    expect(error.userMessage).toMatch(/choose a DSL, deputy DSL or the headteacher/);
  });

  it('refuses on a closed case', () => {
    const error = refused(closed(), (c) => assignCase(c, dsl, deputy, at(9)), 'invalid_transition');
    expect(error.userMessage).toMatch(/Reopen it with a reason/);
  });
});

describe('addCaseNote', () => {
  it('appends a trimmed note with author and time; the audit detail carries only the note id', () => {
    const change = applied(addCaseNote(makeCase(), dsl, { id: 'note-1', text: '  Spoke to the child.  ' }, at(1)));
    expect(change.action).toBe('case.note_added');
    expect(change.detail).toEqual({ noteId: 'note-1' });
    expect(change.next.notes).toEqual([{ id: 'note-1', authorId: dsl.personId, at: at(1), text: 'Spoke to the child.' }]);
    const second = applied(addCaseNote(change.next, deputy, { id: 'note-2', text: 'Parents called.' }, at(2))).next;
    expect(second.notes.map((n) => n.id)).toEqual(['note-1', 'note-2']);
  });

  it.each(['', '   ', '\n\t'])('refuses an empty note (%j)', (text) => {
    const error = refused(makeCase(), (c) => addCaseNote(c, dsl, { id: 'n', text }, at(1)), 'invalid_input');
    expect(error.fields).toEqual([{ path: 'text', message: 'Write the note before saving it.' }]);
  });

  it('is allowed on a closed case, which stays closed', () => {
    const done = closed();
    const next = applied(addCaseNote(done, dsl, { id: 'n', text: 'Follow-up from parents.' }, at(9))).next;
    expect(next.status).toBe('closed');
    expect(next.closedAt).toBe(done.closedAt);
    expect(next.notes).toHaveLength(1);
    expect(next.version).toBe(done.version + 1);
  });
});

describe('tickProtocolStep', () => {
  it('ticks a `<protocol>.<step>` of the case, records who and when, and starts work', () => {
    const change = applied(tickProtocolStep(makeCase(), deputy, 'online_bullying.evidence_kept', at(1)));
    expect(change.action).toBe('case.protocol_step_ticked');
    expect(change.detail).toEqual({ step: 'online_bullying.evidence_kept' });
    expect(change.next.protocolTicks).toEqual([{ step: 'online_bullying.evidence_kept', byId: deputy.personId, at: at(1) }]);
    expect(change.next).toMatchObject({ status: 'in_progress', acknowledgedAt: at(1), acknowledgedById: deputy.personId });
  });

  it('accepts steps of every protocol the case carries', () => {
    const current = makeCase({ types: ['online_bullying', 'nudes_semi_nudes'] });
    const a = applied(tickProtocolStep(current, dsl, 'online_bullying.parents_informed', at(1))).next;
    const b = applied(tickProtocolStep(a, dsl, 'self_generated_images.parents_informed', at(2))).next;
    expect(b.protocolTicks.map((t) => t.step)).toEqual(['online_bullying.parents_informed', 'self_generated_images.parents_informed']);
  });

  it.each([
    ['a bare step code', 'evidence_kept'],
    ["another protocol's step", 'extremism.dsl_informed_immediately'],
    ['an unknown step of the right protocol', 'online_bullying.made_up'],
    ['the protocol alone', 'online_bullying'],
    ['an empty string', ''],
  ])('refuses %s with invalid_input listing the allowed steps', (_what, step) => {
    const error = refused(makeCase(), (c) => tickProtocolStep(c, dsl, step, at(1)), 'invalid_input');
    expect(error.fields).toHaveLength(1);
    expect(error.fields[0]?.path).toBe('step');
    expect(error.fields[0]?.message).toContain('online_bullying.evidence_kept');
    expect(error.fields[0]?.message).not.toContain('extremism.');
  });

  it('refuses the same step twice', () => {
    const once = applied(tickProtocolStep(makeCase(), dsl, 'online_bullying.evidence_kept', at(1))).next;
    const error = refused(once, (c) => tickProtocolStep(c, dsl2, 'online_bullying.evidence_kept', at(2)), 'invalid_transition');
    expect(error.userMessage).toMatch(/already been ticked/);
  });

  it('refuses on a closed case', () => {
    refused(closed(), (c) => tickProtocolStep(c, dsl, 'online_bullying.evidence_kept', at(9)), 'invalid_transition');
  });

  it('leaves an escalated case escalated', () => {
    const escalated = applied(escalateCase(makeCase(), dsl, { agency: 'platform' }, at(1))).next;
    expect(applied(tickProtocolStep(escalated, dsl, 'online_bullying.platform_contacted', at(2))).next.status).toBe('escalated');
  });
});

describe('escalateCase', () => {
  it('moves a new case to escalated, acknowledging it and recording the agency and reference', () => {
    const change = applied(escalateCase(makeCase({ types: ['grooming'] }), dsl, { agency: 'police_ceop', reference: 'CEOP-123' }, at(1)));
    expect(change.action).toBe('case.escalated');
    expect(change.detail).toEqual({ agency: 'police_ceop', status: 'escalated' });
    expect(change.next).toMatchObject({ status: 'escalated', acknowledgedAt: at(1), acknowledgedById: dsl.personId });
    expect(change.next.escalations).toEqual([{ agency: 'police_ceop', reference: 'CEOP-123', byId: dsl.personId, at: at(1) }]);
  });

  it('omits an absent reference and allows escalating to a second agency', () => {
    const first = applied(escalateCase(makeCase(), dsl, { agency: 'platform' }, at(1))).next;
    expect(first.escalations[0]).not.toHaveProperty('reference');
    const second = applied(escalateCase(first, deputy, { agency: 'childrens_social_care' }, at(2))).next;
    expect(second.status).toBe('escalated');
    expect(second.escalations.map((e) => e.agency)).toEqual(['platform', 'childrens_social_care']);
  });

  it('escalates from in_progress', () => {
    const inProgress = applied(assignCase(makeCase(), dsl, dsl, at(1))).next;
    expect(applied(escalateCase(inProgress, dsl, { agency: 'lado' }, at(2))).next.status).toBe('escalated');
  });

  it('refuses on a closed case', () => {
    refused(closed(), (c) => escalateCase(c, dsl, { agency: 'police_ceop' }, at(9)), 'invalid_transition');
  });
});

describe('changeCaseUrgency', () => {
  it('changes the urgency with a trimmed reason and keeps the history', () => {
    const change = applied(changeCaseUrgency(makeCase(), dsl, { urgency: 'urgent', reason: '  Threats of self-harm.  ' }, at(1)));
    expect(change.action).toBe('case.urgency_changed');
    expect(change.detail).toEqual({ from: 'high', to: 'urgent' });
    expect(change.next.urgency).toBe('urgent');
    expect(change.next.urgencyReason).toBe('Threats of self-harm.');
    expect(change.next.urgencyChanges).toEqual([{ from: 'high', to: 'urgent', reason: 'Threats of self-harm.', byId: dsl.personId, at: at(1) }]);
  });

  it.each(['', '   '])('refuses without a reason (%j)', (reason) => {
    const error = refused(makeCase(), (c) => changeCaseUrgency(c, dsl, { urgency: 'low', reason }, at(1)), 'invalid_input');
    expect(error.fields).toEqual([{ path: 'reason', message: 'Say why the urgency is changing.' }]);
  });

  it('refuses the urgency the case already has', () => {
    const error = refused(makeCase(), (c) => changeCaseUrgency(c, dsl, { urgency: 'high', reason: 'Still high.' }, at(1)), 'invalid_transition');
    expect(error.userMessage).toBe('The case is already high.');
  });

  it('refuses on a closed case', () => {
    refused(closed(), (c) => changeCaseUrgency(c, dsl, { urgency: 'low', reason: 'Old news.' }, at(9)), 'invalid_transition');
  });
});

describe('recordActionTaken', () => {
  it('records the action and starts work on a new case', () => {
    const change = applied(recordActionTaken(makeCase(), deputy, 'safeguarding_advice_sought', at(1)));
    expect(change.action).toBe('case.action_recorded');
    expect(change.detail).toEqual({ action: 'safeguarding_advice_sought' });
    expect(change.next.actionsTaken).toEqual([{ action: 'safeguarding_advice_sought', byId: deputy.personId, at: at(1) }]);
    expect(change.next).toMatchObject({ status: 'in_progress', acknowledgedAt: at(1), acknowledgedById: deputy.personId });
  });

  it('leaves an escalated case escalated', () => {
    const escalated = applied(escalateCase(makeCase(), dsl, { agency: 'platform' }, at(1))).next;
    expect(applied(recordActionTaken(escalated, dsl, 'reported_to_platform', at(2))).next.status).toBe('escalated');
  });

  it('never silently reopens a closed case', () => {
    const done = closed();
    const result = recordActionTaken(done, dsl, 'policy_review', at(9));
    // Either refused, or recorded with the case left closed: it must not become in_progress without a reopening.
    if (result.ok) {
      expect(result.value.next.status).toBe('closed');
      expect(result.value.next.closedAt).toBe(done.closedAt);
    } else {
      expect(result.error.code).toBe('invalid_transition');
    }
  });
});

describe('closeCase', () => {
  it('closes with a trimmed outcome, recording who and when', () => {
    const inProgress = applied(assignCase(makeCase(), dsl, dsl, at(1))).next;
    const change = applied(closeCase(inProgress, deputy, { summary: '  Content removed; parents informed.  ' }, at(2)));
    expect(change.action).toBe('case.closed');
    expect(change.detail).toEqual({ status: 'closed' });
    expect(change.next).toMatchObject({
      status: 'closed',
      closedAt: at(2),
      outcome: { summary: 'Content removed; parents informed.', byId: deputy.personId, at: at(2) },
      acknowledgedAt: at(1),
      acknowledgedById: dsl.personId,
    });
  });

  it('closing straight from new also records the acknowledgement', () => {
    expect(applied(closeCase(makeCase(), dsl, { summary: 'Duplicate report.' }, at(1))).next).toMatchObject({ acknowledgedAt: at(1), acknowledgedById: dsl.personId });
  });

  it.each(['', '   ', '\n'])('refuses without an outcome summary (%j)', (summary) => {
    const error = refused(makeCase(), (c) => closeCase(c, dsl, { summary }, at(1)), 'invalid_input');
    expect(error.fields).toEqual([{ path: 'outcome', message: expect.stringMatching(/Summarise the investigation and outcome/) }]);
  });

  it('refuses to close a closed case', () => {
    const error = refused(closed(), (c) => closeCase(c, dsl, { summary: 'Again.' }, at(9)), 'invalid_transition');
    expect(error.userMessage).toMatch(/This case is closed/);
  });
});

describe('reopenCase', () => {
  it('reopens a closed case to in_progress with a reason, removing closedAt', () => {
    const done = closed();
    const change = applied(reopenCase(done, head, { reason: '  New messages found.  ' }, at(9)));
    expect(change.action).toBe('case.reopened');
    expect(change.detail).toEqual({ status: 'in_progress' });
    expect(change.next.status).toBe('in_progress');
    expect(change.next).not.toHaveProperty('closedAt');
    expect(change.next.reopenings).toEqual([{ reason: 'New messages found.', byId: head.personId, at: at(9) }]);
    expect(change.next.version).toBe(done.version + 1);
    expect(change.next.updatedAt).toBe(at(9));
    // The original acknowledgement stands.
    expect(change.next.acknowledgedAt).toBe(done.acknowledgedAt);
  });

  it('a reopened case can be worked on and closed again', () => {
    const reopened = applied(reopenCase(closed(), dsl, { reason: 'More information.' }, at(9))).next;
    const ticked = applied(tickProtocolStep(reopened, dsl, 'online_bullying.removal_requested', at(10))).next;
    const reclosed = applied(closeCase(ticked, dsl, { summary: 'Removed.' }, at(11))).next;
    expect(reclosed).toMatchObject({ status: 'closed', closedAt: at(11) });
  });

  it('refuses a case that is not closed', () => {
    refused(makeCase(), (c) => reopenCase(c, dsl, { reason: 'x' }, at(1)), 'invalid_transition');
    const acknowledged = applied(acknowledgeCase(makeCase(), dsl, at(1))).next;
    refused(acknowledged, (c) => reopenCase(c, dsl, { reason: 'x' }, at(2)), 'invalid_transition');
    const escalated = applied(escalateCase(makeCase(), dsl, { agency: 'lado' }, at(1))).next;
    const error = refused(escalated, (c) => reopenCase(c, dsl, { reason: 'x' }, at(2)), 'invalid_transition');
    expect(error.userMessage).toBe('Only a closed case can be reopened.');
  });

  it.each(['', '   '])('refuses without a reason (%j)', (reason) => {
    const error = refused(closed(), (c) => reopenCase(c, dsl, { reason }, at(9)), 'invalid_input');
    expect(error.fields).toEqual([{ path: 'reason', message: 'Say why the case is being reopened.' }]);
  });

  it('refuses people who cannot act, even on a closed case', () => {
    refused(closed(), (c) => reopenCase(c, staff, { reason: 'x' }, at(9)), 'forbidden');
    refused(closed(allegationCase()), (c) => reopenCase(c, deputy, { reason: 'x' }, at(9)), 'forbidden');
  });
});

describe('versions, updatedAt and the first acknowledgement over a whole life', () => {
  it('each change adds exactly one to the version and stamps updatedAt; only the first working action acknowledges', () => {
    let current = makeCase({ types: ['online_bullying'] });
    const steps: ((c: Case, now: string) => Case)[] = [
      (c, now) => addReporter(c, { personId: 'p-staff2', reportedAt: now, channel: 'web' }).next,
      (c, now) => applied(assignCase(c, dsl, deputy, now)).next,
      (c, now) => applied(tickProtocolStep(c, deputy, 'online_bullying.evidence_kept', now)).next,
      (c, now) => applied(addCaseNote(c, deputy, { id: 'n1', text: 'Screenshots described.' }, now)).next,
      (c, now) => applied(recordActionTaken(c, head, 'parents_informed', now)).next,
      (c, now) => applied(changeCaseUrgency(c, dsl2, { urgency: 'urgent', reason: 'Threats.' }, now)).next,
      (c, now) => applied(escalateCase(c, dsl2, { agency: 'police_ceop' }, now)).next,
      (c, now) => applied(closeCase(c, dsl, { summary: 'Police took over.' }, now)).next,
      (c, now) => applied(reopenCase(c, dsl, { reason: 'Police returned it.' }, now)).next,
      (c, now) => applied(closeCase(c, head, { summary: 'Finished.' }, now)).next,
    ];
    const statuses: string[] = [];
    steps.forEach((step, index) => {
      const now = at(index + 1);
      const next = step(current, now);
      expect(next.version).toBe(current.version + 1);
      expect(next.updatedAt).toBe(now);
      expect(next.createdAt).toBe(at(0));
      statuses.push(next.status);
      current = next;
    });
    expect(current.version).toBe(1 + steps.length);
    expect(statuses).toEqual(['new', 'in_progress', 'in_progress', 'in_progress', 'in_progress', 'in_progress', 'escalated', 'closed', 'in_progress', 'closed']);
    // Acknowledged by the DSL who assigned it (step 2), never overwritten by later actions.
    expect(current.acknowledgedAt).toBe(at(2));
    expect(current.acknowledgedById).toBe(dsl.personId);
  });

  it.each(Object.entries(transitions).filter(([name]) => !['acknowledgeCase', 'addCaseNote', 'changeCaseUrgency'].includes(name)))(
    '%s on an already acknowledged case keeps the first acknowledgement',
    (_name, run) => {
      const acknowledged = applied(acknowledgeCase(makeCase(), dsl2, at(1))).next;
      const next = applied(run(acknowledged, dsl, at(2))).next;
      expect(next.acknowledgedAt).toBe(at(1));
      expect(next.acknowledgedById).toBe(dsl2.personId);
    },
  );
});

describe('multi-role actors', () => {
  it('an admin who is also a DSL can act', () => {
    const adminDsl = actor('p-admin-dsl', ['staff', 'admin', 'dsl']);
    expect(acknowledgeCase(makeCase(), adminDsl, at(1)).ok).toBe(true);
  });
});
