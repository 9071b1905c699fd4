import { AppError, forbidden, invalidInput, invalidTransition } from './errors.ts';
import {
  incidentType,
  isSecurityOnly,
  protocolStepKeys,
  URGENCY_RANK,
  type ActionTaken,
  type EscalationAgency,
  type IncidentTypeCode,
  type Urgency,
} from './incident-types.ts';
import { HEAD_ALLEGATION_ROLES, hasAnyRole, isCaseHandler, RESTRICTED_CASE_ROLES, type Actor, type Role } from './roles.ts';
import type { CaseSource, Concern, ReportChannel } from './concern.ts';

/** new → acknowledged → in_progress → escalated → closed; a closed case can be reopened with a reason. */
export const CASE_STATUSES = ['new', 'acknowledged', 'in_progress', 'escalated', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export interface Reporter {
  personId: string;
  reportedAt: string;
  channel: ReportChannel;
}
export interface CaseNote {
  id: string;
  authorId: string;
  at: string;
  text: string;
}
export interface ProtocolTick {
  step: string;
  byId: string;
  at: string;
}
export interface Escalation {
  agency: EscalationAgency;
  reference?: string;
  byId: string;
  at: string;
}
export interface UrgencyChange {
  from: Urgency;
  to: Urgency;
  reason: string;
  byId: string;
  at: string;
}
/** A DSL changing what the case is about, with why: the concern as reported is never rewritten. */
export interface TypeChange {
  from: IncidentTypeCode[];
  to: IncidentTypeCode[];
  reason: string;
  byId: string;
  at: string;
}

export interface RecordedAction {
  action: ActionTaken;
  byId: string;
  at: string;
}
export interface Reopening {
  reason: string;
  byId: string;
  at: string;
}
/** What a later reporter of the same message said, when it adds to what the case already holds. */
export interface FurtherReport {
  personId: string;
  reportedAt: string;
  concern: Concern;
}

export interface Outcome {
  summary: string;
  byId: string;
  at: string;
}

/** A case: one concern, possibly reported by several people, and everything the DSLs did about it. */
export interface Case {
  id: string;
  schoolId: string;
  reference: string;
  status: CaseStatus;
  urgency: Urgency;
  urgencyReason: string;
  restricted: boolean;
  types: IncidentTypeCode[];
  subjectPersonId?: string;
  /** The allegation is about someone who holds the headteacher role: it goes to the chair of governors, not to a head. */
  aboutHeadteacher?: boolean;
  assigneeId?: string;
  concern: Concern;
  source?: CaseSource;
  reporters: Reporter[];
  notes: CaseNote[];
  protocolTicks: ProtocolTick[];
  escalations: Escalation[];
  actionsTaken: RecordedAction[];
  urgencyChanges: UrgencyChange[];
  /** Absent on cases stored before types could be changed. */
  typeChanges?: TypeChange[];
  reopenings: Reopening[];
  /** Reports that joined this case and said something the case did not already hold. */
  furtherReports: FurtherReport[];
  outcome?: Outcome;
  acknowledgedAt?: string;
  acknowledgedById?: string;
  createdAt: string;
  updatedAt: string;
  closedAt?: string;
  version: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError };
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(error: AppError): Result<T> => ({ ok: false, error });

/** What a transition produced: the new state and the audit detail to record with it (never concern text). */
export interface CaseChange {
  next: Case;
  action: CaseAuditAction;
  detail: Record<string, string | number | boolean | null>;
}

export type CaseAuditAction =
  | 'case.acknowledged'
  | 'case.assigned'
  | 'case.note_added'
  | 'case.protocol_step_ticked'
  | 'case.escalated'
  | 'case.urgency_changed'
  | 'case.types_changed'
  | 'case.action_recorded'
  | 'case.closed'
  | 'case.reopened';

/** Urgency follows from the types and the immediate-risk flag; the reason is shown to DSLs. */
export function deriveUrgency(types: readonly IncidentTypeCode[], childAtImmediateRisk: boolean): { urgency: Urgency; reason: string } {
  if (childAtImmediateRisk) return { urgency: 'urgent', reason: 'The reporter said a child is at immediate risk.' };
  let strongest: IncidentTypeCode | undefined;
  for (const code of types) {
    if (!strongest || URGENCY_RANK[incidentType(code).defaultUrgency] > URGENCY_RANK[incidentType(strongest).defaultUrgency]) strongest = code;
  }
  if (!strongest) return { urgency: 'normal', reason: 'No incident type given.' };
  const type = incidentType(strongest);
  return { urgency: type.defaultUrgency, reason: `${type.label}: ${type.defaultUrgency} by default.` };
}

export function isRestrictedConcern(types: readonly IncidentTypeCode[]): boolean {
  return types.some((code) => 'restricted' in incidentType(code) && incidentType(code).restricted === true);
}

export function formatCaseReference(year: number, sequence: number): string {
  return `CASE-${year}-${String(sequence).padStart(4, '0')}`;
}

export interface NewCaseInput {
  id: string;
  schoolId: string;
  reference: string;
  concern: Concern;
  source?: CaseSource;
  reporter: Reporter;
  now: string;
  /** The named subject holds the headteacher role (the caller checks our records). */
  subjectIsHeadteacher?: boolean;
}

/** Naming the member of staff concerned makes the report an allegation about staff, whatever types were ticked. */
export function typesWithAllegation(types: readonly IncidentTypeCode[], subjectPersonId: string | undefined): IncidentTypeCode[] {
  return subjectPersonId && !types.includes('staff_allegation') ? [...types, 'staff_allegation'] : [...types];
}

/** A freshly reported case. The reporter is never the subject of a restricted case they report. */
export function openCase(input: NewCaseInput): Case {
  const types = typesWithAllegation(input.concern.types, input.concern.subjectPersonId);
  const { urgency, reason } = deriveUrgency(types, input.concern.childAtImmediateRisk);
  return {
    id: input.id,
    schoolId: input.schoolId,
    reference: input.reference,
    status: 'new',
    urgency,
    urgencyReason: reason,
    restricted: isRestrictedConcern(types),
    types,
    ...(input.concern.subjectPersonId ? { subjectPersonId: input.concern.subjectPersonId } : {}),
    ...(input.concern.subjectPersonId && input.subjectIsHeadteacher ? { aboutHeadteacher: true } : {}),
    concern: input.concern,
    ...(input.source ? { source: input.source } : {}),
    reporters: [input.reporter],
    notes: [],
    protocolTicks: [],
    escalations: [],
    actionsTaken: [],
    urgencyChanges: [],
    reopenings: [],
    furtherReports: [],
    createdAt: input.now,
    updatedAt: input.now,
    version: 1,
  };
}

/**
 * Adds another reporter of the same source; a person already listed is not added twice. What they said is
 * kept when it differs from everything the case holds, and if it calls for a higher urgency (a child at
 * immediate risk, a more serious type) the case's urgency rises with the reason recorded. It never falls.
 */
export function addReporter(current: Case, reporter: Reporter, concern?: Concern): { next: Case; added: boolean; changed: boolean; urgencyRaised: boolean } {
  const alreadyReporter = current.reporters.some((r) => r.personId === reporter.personId);
  const known = [current.concern, ...current.furtherReports.map((report) => report.concern)].map(canonicalConcern);
  const addsSomething = concern !== undefined && !known.includes(canonicalConcern(concern));
  // Someone already on the case reporting again with something new (a fuller note): what they said is kept.
  if (alreadyReporter && !addsSomething) return { next: current, added: false, changed: false, urgencyRaised: false };
  const furtherReports = addsSomething ? [...current.furtherReports, { personId: reporter.personId, reportedAt: reporter.reportedAt, concern }] : current.furtherReports;
  const theirs = concern ? deriveUrgency(concern.types, concern.childAtImmediateRisk) : undefined;
  const urgencyRaised = theirs !== undefined && URGENCY_RANK[theirs.urgency] > URGENCY_RANK[current.urgency];
  const urgencyChange = urgencyRaised
    ? {
        urgency: theirs.urgency,
        urgencyReason: `A further report: ${theirs.reason}`,
        urgencyChanges: [...current.urgencyChanges, { from: current.urgency, to: theirs.urgency, reason: `A further report: ${theirs.reason}`, byId: reporter.personId, at: reporter.reportedAt }],
      }
    : {};
  return {
    next: {
      ...current,
      ...urgencyChange,
      reporters: alreadyReporter ? current.reporters : [...current.reporters, reporter],
      furtherReports,
      updatedAt: reporter.reportedAt,
      version: current.version + 1,
    },
    added: !alreadyReporter,
    changed: true,
    urgencyRaised,
  };
}

function canonicalConcern(concern: Concern): string {
  return JSON.stringify(concern, Object.keys(concern).sort());
}

// ---- who may see and act -------------------------------------------------------------------------

type CaseAccessFacts = Pick<Case, 'schoolId' | 'restricted' | 'types' | 'subjectPersonId' | 'aboutHeadteacher'>;

/**
 * Detail (the concern itself) is for DSL roles; IT sees security-only cases; nobody sees a case about
 * themselves. An allegation about the headteacher is for the DSLs and the chair of governors, never a head.
 */
export function canViewCase(actor: Actor, subject: CaseAccessFacts): boolean {
  if (actor.schoolId !== subject.schoolId) return false;
  if (subject.subjectPersonId && subject.subjectPersonId === actor.personId) return false;
  if (subject.restricted && subject.aboutHeadteacher) return hasAnyRole(actor, HEAD_ALLEGATION_ROLES);
  if (subject.restricted) return hasAnyRole(actor, RESTRICTED_CASE_ROLES);
  if (isCaseHandler(actor)) return true;
  return hasAnyRole(actor, ['it']) && isSecurityOnly(subject.types);
}

export function canActOnCase(actor: Actor, subject: CaseAccessFacts): boolean {
  if (!canViewCase(actor, subject)) return false;
  return isCaseHandler(actor) || (subject.aboutHeadteacher === true && hasAnyRole(actor, ['chair_of_governors']));
}

/** Whether this actor sees the names of people involved: IT never does; the chair of governors only ever sees allegations about the head. */
export function seesInvolvedPeople(actor: Actor): boolean {
  return isCaseHandler(actor) || hasAnyRole(actor, ['chair_of_governors']);
}

function guardAct(actor: Actor, current: Case): AppError | undefined {
  if (!canActOnCase(actor, current)) return forbidden(current.aboutHeadteacher ? 'Only the DSLs and the chair of governors can act on this case.' : 'Only the DSL, deputy DSLs and the headteacher can act on this case.');
  return undefined;
}

function guardOpen(current: Case, what: string): AppError | undefined {
  if (current.status === 'closed') return invalidTransition(`This case is closed. Reopen it with a reason before you ${what}.`);
  return undefined;
}

function touch(current: Case, now: string, changes: Partial<Case>): Case {
  return { ...current, ...changes, updatedAt: now, version: current.version + 1 };
}

/** Moving out of "new" records who acknowledged it, because the reporter is told and urgent timers stop. */
function acknowledgement(current: Case, actor: Actor, now: string): Partial<Case> {
  return current.acknowledgedAt ? {} : { acknowledgedAt: now, acknowledgedById: actor.personId };
}

/** A note or an urgency change on a new case shows a DSL has seen it: it counts as acknowledging. */
function seenStatus(current: Case): CaseStatus {
  return current.status === 'new' ? 'acknowledged' : current.status;
}

function workingStatus(current: Case): CaseStatus {
  return current.status === 'new' || current.status === 'acknowledged' ? 'in_progress' : current.status;
}

export function acknowledgeCase(current: Case, actor: Actor, now: string): Result<CaseChange> {
  const denied = guardAct(actor, current);
  if (denied) return fail(denied);
  if (current.status !== 'new') return fail(invalidTransition('This case has already been acknowledged.'));
  return ok({
    next: touch(current, now, { status: 'acknowledged', ...acknowledgement(current, actor, now) }),
    action: 'case.acknowledged',
    detail: { status: 'acknowledged' },
  });
}

/** The assignee must be able to act on the case; the caller checks that against the store and passes their roles. */
export function assignCase(current: Case, actor: Actor, assignee: Actor, now: string): Result<CaseChange> {
  const denied = guardAct(actor, current) ?? guardOpen(current, 'assign it');
  if (denied) return fail(denied);
  if (!canActOnCase(assignee, current)) {
    return fail(invalidInput('That person cannot be assigned this case: choose a DSL, deputy DSL or the headteacher.', [{ path: 'assigneeId', message: 'Choose someone who can act on this case.' }]));
  }
  if (current.assigneeId === assignee.personId) return fail(invalidTransition('This case is already assigned to that person.'));
  return ok({
    next: touch(current, now, { assigneeId: assignee.personId, status: workingStatus(current), ...acknowledgement(current, actor, now) }),
    action: 'case.assigned',
    detail: { assigneeId: assignee.personId, status: workingStatus(current) },
  });
}

export function addCaseNote(current: Case, actor: Actor, note: { id: string; text: string }, now: string): Result<CaseChange> {
  const denied = guardAct(actor, current);
  if (denied) return fail(denied);
  const text = note.text.trim();
  if (!text) return fail(invalidInput('Write the note before saving it.', [{ path: 'text', message: 'Write the note before saving it.' }]));
  // Notes are allowed on closed cases: follow-up information must still be recorded in the chronology.
  return ok({
    next: touch(current, now, { notes: [...current.notes, { id: note.id, authorId: actor.personId, at: now, text }], status: seenStatus(current), ...acknowledgement(current, actor, now) }),
    action: 'case.note_added',
    detail: { noteId: note.id },
  });
}

export function tickProtocolStep(current: Case, actor: Actor, step: string, now: string): Result<CaseChange> {
  const denied = guardAct(actor, current) ?? guardOpen(current, 'tick protocol steps');
  if (denied) return fail(denied);
  const allowed = protocolStepKeys(current.types);
  if (!allowed.includes(step)) {
    return fail(invalidInput('That step is not part of the checklist for this case.', [{ path: 'step', message: `Choose one of: ${allowed.join(', ')}.` }]));
  }
  if (current.protocolTicks.some((tick) => tick.step === step)) return fail(invalidTransition('That step has already been ticked.'));
  return ok({
    next: touch(current, now, {
      protocolTicks: [...current.protocolTicks, { step, byId: actor.personId, at: now }],
      status: workingStatus(current),
      ...acknowledgement(current, actor, now),
    }),
    action: 'case.protocol_step_ticked',
    detail: { step },
  });
}

export function escalateCase(current: Case, actor: Actor, escalation: { agency: EscalationAgency; reference?: string }, now: string): Result<CaseChange> {
  const denied = guardAct(actor, current) ?? guardOpen(current, 'escalate it');
  if (denied) return fail(denied);
  const entry: Escalation = { agency: escalation.agency, byId: actor.personId, at: now, ...(escalation.reference ? { reference: escalation.reference } : {}) };
  return ok({
    next: touch(current, now, { escalations: [...current.escalations, entry], status: 'escalated', ...acknowledgement(current, actor, now) }),
    action: 'case.escalated',
    detail: { agency: escalation.agency, status: 'escalated' },
  });
}

export function changeCaseUrgency(current: Case, actor: Actor, change: { urgency: Urgency; reason: string }, now: string): Result<CaseChange> {
  const denied = guardAct(actor, current) ?? guardOpen(current, 'change its urgency');
  if (denied) return fail(denied);
  const reason = change.reason.trim();
  if (!reason) return fail(invalidInput('Say why the urgency is changing.', [{ path: 'reason', message: 'Say why the urgency is changing.' }]));
  if (change.urgency === current.urgency) return fail(invalidTransition(`The case is already ${current.urgency}.`));
  return ok({
    next: touch(current, now, {
      urgency: change.urgency,
      urgencyReason: reason,
      urgencyChanges: [...current.urgencyChanges, { from: current.urgency, to: change.urgency, reason, byId: actor.personId, at: now }],
      status: seenStatus(current),
      ...acknowledgement(current, actor, now),
    }),
    action: 'case.urgency_changed',
    detail: { from: current.urgency, to: change.urgency },
  });
}

/**
 * A DSL refines what the case is about (an email reported as "inappropriate" turns out to be nudes), always
 * with a reason. Urgency rises to what the new types call for and never falls this way (changing it down is
 * its own decision). A change into or out of an allegation about staff is refused: that case names its subject
 * and is restricted from the start, so it is reported as its own case.
 */
export function changeCaseTypes(current: Case, actor: Actor, change: { types: IncidentTypeCode[]; reason: string }, now: string): Result<CaseChange> {
  const denied = guardAct(actor, current) ?? guardOpen(current, 'change its types');
  if (denied) return fail(denied);
  const reason = change.reason.trim();
  if (!reason) return fail(invalidInput('Say why the incident types are changing.', [{ path: 'reason', message: 'Say why the incident types are changing.' }]));
  const types = [...new Set(change.types)];
  if (types.length === 0) return fail(invalidInput('Choose at least one incident type.', [{ path: 'types', message: 'Choose at least one incident type.' }]));
  if (types.length === current.types.length && types.every((code) => current.types.includes(code))) return fail(invalidTransition('The case already has those types.'));
  if (isRestrictedConcern(types) !== current.restricted) {
    return fail(
      invalidInput('An allegation about a member of staff is reported as its own case, naming the person, so it is restricted from the start. Report it from the Teams form or the API.', [
        { path: 'types', message: 'Add or remove the allegation about staff by reporting a new case.' },
      ]),
    );
  }
  const derived = deriveUrgency(types, current.concern.childAtImmediateRisk);
  const raise = URGENCY_RANK[derived.urgency] > URGENCY_RANK[current.urgency];
  return ok({
    next: touch(current, now, {
      types,
      typeChanges: [...(current.typeChanges ?? []), { from: [...current.types], to: types, reason, byId: actor.personId, at: now }],
      ...(raise
        ? {
            urgency: derived.urgency,
            urgencyReason: `Types changed: ${derived.reason}`,
            urgencyChanges: [...current.urgencyChanges, { from: current.urgency, to: derived.urgency, reason: `Types changed: ${derived.reason}`, byId: actor.personId, at: now }],
          }
        : {}),
      status: seenStatus(current),
      ...acknowledgement(current, actor, now),
    }),
    action: 'case.types_changed',
    detail: { from: current.types.join(','), to: types.join(','), ...(raise ? { urgency: derived.urgency } : {}) },
  });
}

/** Allowed on closed cases, like notes: "parents informed" is often recorded after the outcome; the case stays closed. */
export function recordActionTaken(current: Case, actor: Actor, action: ActionTaken, now: string): Result<CaseChange> {
  const denied = guardAct(actor, current);
  if (denied) return fail(denied);
  return ok({
    next: touch(current, now, { actionsTaken: [...current.actionsTaken, { action, byId: actor.personId, at: now }], status: workingStatus(current), ...acknowledgement(current, actor, now) }),
    action: 'case.action_recorded',
    detail: { action },
  });
}

export function closeCase(current: Case, actor: Actor, outcome: { summary: string }, now: string): Result<CaseChange> {
  const denied = guardAct(actor, current) ?? guardOpen(current, 'close it again');
  if (denied) return fail(denied);
  const summary = outcome.summary.trim();
  if (!summary) {
    return fail(invalidInput('Closing a case needs an outcome summary.', [{ path: 'outcome', message: 'Summarise the investigation and outcome before closing.' }]));
  }
  return ok({
    next: touch(current, now, { status: 'closed', closedAt: now, outcome: { summary, byId: actor.personId, at: now }, ...acknowledgement(current, actor, now) }),
    action: 'case.closed',
    detail: { status: 'closed' },
  });
}

export function reopenCase(current: Case, actor: Actor, reopening: { reason: string }, now: string): Result<CaseChange> {
  const denied = guardAct(actor, current);
  if (denied) return fail(denied);
  if (current.status !== 'closed') return fail(invalidTransition('Only a closed case can be reopened.'));
  const reason = reopening.reason.trim();
  if (!reason) return fail(invalidInput('Say why the case is being reopened.', [{ path: 'reason', message: 'Say why the case is being reopened.' }]));
  const { closedAt: _closedAt, ...rest } = current;
  return ok({
    next: touch(rest as Case, now, { status: 'in_progress', reopenings: [...current.reopenings, { reason, byId: actor.personId, at: now }] }),
    action: 'case.reopened',
    detail: { status: 'in_progress' },
  });
}

/** What a reporter may see of their own report: status only. */
export interface ReporterView {
  reference: string;
  status: CaseStatus;
  reportedAt: string;
  updatedAt: string;
}

export function reporterView(current: Pick<Case, 'reference' | 'status' | 'updatedAt'>, reportedAt: string): ReporterView {
  return { reference: current.reference, status: current.status, reportedAt, updatedAt: current.updatedAt };
}

/** The case as one actor may see it; IT never gets the names of people involved. */
export function caseDetailFor(actor: Actor, current: Case): Case {
  if (seesInvolvedPeople(actor)) return current;
  const hideNames = (concern: Concern): Concern => ({ ...concern, involved: concern.involved.map((p) => ({ group: p.group, name: '(hidden)' })) });
  return {
    ...current,
    concern: hideNames(current.concern),
    // A later report that is not about security (it may be safeguarding) is not IT's to read.
    furtherReports: current.furtherReports.filter((report) => isSecurityOnly(report.concern.types)).map((report) => ({ ...report, concern: hideNames(report.concern) })),
  };
}

export const ROLES_NOTIFIED_OF_NEW_CASES: readonly Role[] = ['dsl', 'deputy_dsl'];
