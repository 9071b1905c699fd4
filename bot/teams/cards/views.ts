import type { Case, CaseStatus } from '../../../src/domain/case.ts';
import { protocolsFor, type EscalationAgency, type IncidentTypeCode, type Urgency } from '../../../src/domain/incident-types.ts';
import type { ConcernFormValues } from './concern-form.ts';
import type { CaseVerb } from './verbs.ts';
import {
  actionTakenLabel,
  agencyLabel,
  DEFAULT_TIME_ZONE,
  formatWhen,
  incidentTypeLabel,
  INVOLVED_GROUP_LABELS,
  LOCATION_LABELS,
  REPORT_CHANNEL_LABELS,
  SOURCE_KIND_LABELS,
  URGENCY_LABELS,
} from './format.ts';

/**
 * What each card shows, as plain data. Times are ISO 8601 instants unless a field says it is already
 * formatted; cards show them in `timeZone` (Europe/London when not given).
 */

export interface ConcernFormView {
  /** Identifies this form so a double-tapped "Send" files one report. */
  formId: string;
  values: Partial<ConcernFormValues>;
  /** Messages by input id (see formErrors); FORM_LEVEL_ERROR for the top of the form. */
  errors: Record<string, string>;
  formMessage?: string;
  /** Set when a Teams message is being reported: the form names it and links to it, never quotes it. */
  prefill?: { sourceToken: string; senderName?: string; sentAt?: string; link?: string };
  /** The member of staff already chosen (a form coming back to be fixed), so the people search shows their name. */
  subjectChoice?: { title: string; value: string };
  /** The children already picked (a form coming back to be fixed), so each pupil search shows their names. */
  childChoices?: { title: string; value: string }[];
  /** Offer every one of `childChoices` in each list, picked or not (the sandbox, whose Playground cannot search). */
  listChildren?: boolean;
  timeZone?: string;
  /** Shown only to someone in two or more schools of a trust: which school the report is for. */
  school?: { choices: { title: string; value: string }[]; value?: string; error?: string };
}

export interface ReceiptView {
  reference: string;
  receivedAt: string;
  urgent: boolean;
  /** Someone had already reported the same message: this report joined their case. */
  joinedExisting: boolean;
  timeZone?: string;
}

export interface MyReportsView {
  reports: { reference: string; status: CaseStatus; reportedAt: string; updatedAt: string }[];
  timeZone?: string;
}

export interface ProtocolStepView {
  /** `<protocol>.<step>`, as the domain names it. */
  key: string;
  label: string;
  done: boolean;
}

/** The DSL channel's card: enough to triage, nothing of what was reported. */
export interface ChannelCaseView {
  caseId: string;
  reference: string;
  types: IncidentTypeCode[];
  urgency: Urgency;
  status: CaseStatus;
  receivedAt: string;
  /** The first reporter. */
  reporterName: string;
  /** Everyone who reported it, the first reporter included. */
  reporterCount: number;
  assigneeName?: string;
  acknowledgedByName?: string;
  closed: boolean;
  /** Whether this rendering is for someone who may act on the case: only then does it carry buttons. */
  forDsl: boolean;
  protocolSteps: ProtocolStepView[];
  /** Teams user ids whose clients fetch their own rendering when they look at the card (at most 60 are sent). */
  refreshUserIds: string[];
  /** Shown when part of the delivery failed, e.g. a deputy could not be messaged. */
  deliveryWarning?: string;
  /**
   * A reported email's verdict (decided, else suggested, as the label says) and strongest signals, one short
   * line each (no evidence); `verdict` is its code, preselected in "Decide verdict".
   */
  email?: {
    verdictLabel: string;
    signals: string[];
    verdict?: string;
    /** "Remove from every mailbox": how far it has got (counts only). */
    removal?: string;
  };
  /** Who it was escalated to and whether a reference was recorded; the reference itself never. */
  escalations?: { agency: EscalationAgency; hasReference: boolean }[];
  /** The last thing done on the case: its kind (never its text), who and when. */
  lastActivity?: { label: string; byName?: string; at: string };
  /** This rendering is for the case's assignee: no "Assign to me". */
  viewerIsAssignee?: boolean;
  /**
   * A DSL's own view only (never the shared card): how many children are on the case, how many typed names wait to
   * be linked, and the current protection statuses of the linked pupils (labels, no names).
   */
  pupils?: { children: number; toLink: number; protectionStatuses: string[] };
  /** "Assign to…" choices (people who may hold the case, its assignee left out); personal views only. */
  assignable?: { personId: string; displayName: string; roleLabel: string }[];
  timeZone?: string;
}

export interface RestrictedNoticeView {
  reference: string;
  receivedAt: string;
  timeZone?: string;
}

/** Everything on a case for the people who may act on it; every field already in words. */
export interface CaseDetailView {
  caseId: string;
  reference: string;
  restricted: boolean;
  /** A reported email: where, when and the people involved do not apply and are left out. */
  fromEmail: boolean;
  typeLabels: string[];
  otherType?: string;
  urgency: Urgency;
  urgencyReason: string;
  status: CaseStatus;
  assigneeName?: string;
  /** e.g. "Dee Dsl, Mon, 23 Nov 2026, 08:20". */
  acknowledged?: string;
  location: string;
  /** Formatted, e.g. "Sun, 22 Nov 2026, 19:30, still happening". Empty when not given. */
  occurred: string;
  involved: { group: string; name: string; contact?: string }[];
  description: string;
  appsInvolved: string[];
  evidence?: string;
  url?: string;
  /** e.g. "A Teams message" and its link. */
  source?: { kind: string; link?: string };
  reporters: { name: string; at: string; channel: string }[];
  /**
   * The children on the case, for the DSL's own view only: the name as the register has it (or as typed, flagged
   * for a DSL to link) and their role on the case.
   */
  children?: { name: string; role: string; flag?: string }[];
  /** The current child-protection statuses of the children on the case ("Sam Green: Child protection plan since …"). */
  protectionStatuses?: string[];
  /**
   * Reported emails: every signal with its evidence, and attachments by name and hash only. Text from the
   * email itself (subject, sender, evidence, file names) arrives already defanged (src/domain/defang.ts).
   */
  emails?: {
    verdict: string;
    subject?: string;
    from?: string;
    /** label: plain words first, the technical name second; strength: e.g. "Strong sign". */
    signals: { label: string; strength: string; evidence: string }[];
    attachments: { name: string; detail: string }[];
    /** A safeguarding report: nothing of the message was kept, and nobody should look for it. */
    withheld: boolean;
  }[];
  /** Later reports of the same message that said something new, each in one paragraph. */
  furtherReports: { reporter: string; at: string; summary: string }[];
  notes: { author: string; at: string; text: string }[];
  protocolSteps: { label: string; done: boolean; by?: string; at?: string }[];
  escalations: { agency: string; reference?: string; by: string; at: string }[];
  actionsTaken: { action: string; by: string; at: string }[];
  urgencyChanges: { from: string; to: string; reason: string; by: string; at: string }[];
  reopenings: { reason: string; by: string; at: string }[];
  outcome?: { summary: string; by: string; at: string };
}

export interface NotificationView {
  title: string;
  lines: string[];
  reference?: string;
  /** Adds an "Open case" button. */
  openCaseId?: string;
  /** Further buttons, e.g. Acknowledge for the headteacher on a restricted case; each sends {caseId: openCaseId}. */
  caseActions?: { title: string; verb: CaseVerb }[];
}

export interface ChannelSetupView {
  ok: boolean;
  message: string;
}

// ---- from the domain ----------------------------------------------------------------------------

/** Display names by person id; someone missing is shown as UNKNOWN_PERSON. */
export type PersonNames = Readonly<Record<string, string>> | ReadonlyMap<string, string>;

export const UNKNOWN_PERSON = 'Someone no longer listed';

function nameOf(names: PersonNames, personId: string | undefined): string | undefined {
  if (!personId) return undefined;
  const name = names instanceof Map ? names.get(personId) : (names as Readonly<Record<string, string>>)[personId];
  return name?.trim() ? name : UNKNOWN_PERSON;
}

/** The checklist for the case's types, each step marked done once someone ticked it. */
export function protocolStepsOf(current: Pick<Case, 'types' | 'protocolTicks'>): ProtocolStepView[] {
  const ticked = new Set(current.protocolTicks.map((tick) => tick.step));
  return protocolsFor(current.types).flatMap((protocol) =>
    protocol.steps.map((step) => {
      const key = `${protocol.code}.${step.code}`;
      return { key, label: step.label, done: ticked.has(key) };
    }),
  );
}

export interface ChannelCardContext {
  names: PersonNames;
  forDsl: boolean;
  refreshUserIds: readonly string[];
  deliveryWarning?: string;
  timeZone?: string;
}

/**
 * The channel card's view of a case. It reads only what may sit in a channel that many staff can
 * scroll past: reference, types, urgency, times, who reported and who is handling it. The concern
 * (description, people, evidence, apps, web address, "other" wording), notes and outcome are never read.
 * A restricted case must not get this card at all: use restrictedNoticeViewFrom.
 */
export function channelCaseViewFrom(current: Case, context: ChannelCardContext): ChannelCaseView {
  if (current.restricted) throw new Error('A restricted case is shown in the channel only as a restricted notice.');
  const firstReporter = current.reporters[0];
  const assigneeName = nameOf(context.names, current.assigneeId);
  const acknowledgedByName = nameOf(context.names, current.acknowledgedById);
  return {
    caseId: current.id,
    reference: current.reference,
    types: [...current.types],
    urgency: current.urgency,
    status: current.status,
    receivedAt: current.createdAt,
    reporterName: nameOf(context.names, firstReporter?.personId) ?? UNKNOWN_PERSON,
    reporterCount: Math.max(1, current.reporters.length),
    ...(assigneeName ? { assigneeName } : {}),
    ...(acknowledgedByName ? { acknowledgedByName } : {}),
    closed: current.status === 'closed',
    forDsl: context.forDsl,
    protocolSteps: protocolStepsOf(current),
    escalations: current.escalations.map((escalation) => ({ agency: escalation.agency, hasReference: Boolean(escalation.reference?.trim()) })),
    refreshUserIds: [...new Set(context.refreshUserIds)],
    ...(context.deliveryWarning ? { deliveryWarning: context.deliveryWarning } : {}),
    ...(context.timeZone ? { timeZone: context.timeZone } : {}),
  };
}

export function restrictedNoticeViewFrom(current: Pick<Case, 'reference' | 'createdAt'>, timeZone?: string): RestrictedNoticeView {
  return { reference: current.reference, receivedAt: current.createdAt, ...(timeZone ? { timeZone } : {}) };
}

function describeOccurred(current: Case, timeZone: string): string {
  const occurred = current.concern.occurred;
  if (!occurred) return '';
  const parts: string[] = [];
  if (occurred.from && occurred.to) parts.push(`${formatWhen(occurred.from, timeZone)} to ${formatWhen(occurred.to, timeZone)}`);
  else if (occurred.from) parts.push(formatWhen(occurred.from, timeZone));
  else if (occurred.to) parts.push(`until ${formatWhen(occurred.to, timeZone)}`);
  if (occurred.ongoing) parts.push('still happening');
  if (occurred.note) parts.push(occurred.note);
  return parts.join(', ');
}

/**
 * The full record for "Open case". Call it only with a case the viewer may see, already narrowed for
 * them (caseDetailFor hides names from IT).
 */
export function caseDetailViewFrom(current: Case, names: PersonNames, timeZone: string = DEFAULT_TIME_ZONE): CaseDetailView {
  const who = (personId: string): string => nameOf(names, personId) ?? UNKNOWN_PERSON;
  const when = (iso: string): string => formatWhen(iso, timeZone);
  const ticks = new Map(current.protocolTicks.map((tick) => [tick.step, tick]));
  const concern = current.concern;
  const assigneeName = nameOf(names, current.assigneeId);
  return {
    caseId: current.id,
    reference: current.reference,
    restricted: current.restricted,
    fromEmail: current.source?.kind === 'email',
    typeLabels: current.types.map(incidentTypeLabel),
    ...(concern.otherType ? { otherType: concern.otherType } : {}),
    urgency: current.urgency,
    urgencyReason: current.urgencyReason,
    status: current.status,
    ...(assigneeName ? { assigneeName } : {}),
    ...(current.acknowledgedById && current.acknowledgedAt ? { acknowledged: `${who(current.acknowledgedById)}, ${when(current.acknowledgedAt)}` } : {}),
    location: LOCATION_LABELS[concern.location],
    occurred: describeOccurred(current, timeZone),
    involved: concern.involved.map((person) => ({ group: INVOLVED_GROUP_LABELS[person.group], name: person.name, ...(person.contact ? { contact: person.contact } : {}) })),
    description: concern.description,
    appsInvolved: [...concern.appsInvolved],
    ...(concern.evidence ? { evidence: concern.evidence } : {}),
    ...(concern.url ? { url: concern.url } : {}),
    ...(current.source ? { source: { kind: SOURCE_KIND_LABELS[current.source.kind], ...(current.source.url ? { link: current.source.url } : {}) } } : {}),
    reporters: current.reporters.map((reporter) => ({ name: who(reporter.personId), at: when(reporter.reportedAt), channel: REPORT_CHANNEL_LABELS[reporter.channel] })),
    furtherReports: current.furtherReports.map((report) => ({
      reporter: who(report.personId),
      at: when(report.reportedAt),
      summary: [
        report.concern.childAtImmediateRisk ? 'Said a child is at immediate risk.' : '',
        `${report.concern.types.map(incidentTypeLabel).join('; ')}.`,
        report.concern.description,
        report.concern.involved.length ? `People: ${report.concern.involved.map((p) => `${INVOLVED_GROUP_LABELS[p.group]}: ${p.name}`).join('; ')}.` : '',
        report.concern.evidence ? `Evidence: ${report.concern.evidence}` : '',
      ]
        .filter(Boolean)
        .join(' '),
    })),
    notes: current.notes.map((note) => ({ author: who(note.authorId), at: when(note.at), text: note.text })),
    protocolSteps: protocolStepsOf(current).map((step) => {
      const tick = ticks.get(step.key);
      return tick ? { label: step.label, done: true, by: who(tick.byId), at: when(tick.at) } : { label: step.label, done: false };
    }),
    escalations: current.escalations.map((escalation) => ({
      agency: agencyLabel(escalation.agency),
      ...(escalation.reference ? { reference: escalation.reference } : {}),
      by: who(escalation.byId),
      at: when(escalation.at),
    })),
    actionsTaken: current.actionsTaken.map((action) => ({ action: actionTakenLabel(action.action), by: who(action.byId), at: when(action.at) })),
    urgencyChanges: current.urgencyChanges.map((change) => ({ from: URGENCY_LABELS[change.from], to: URGENCY_LABELS[change.to], reason: change.reason, by: who(change.byId), at: when(change.at) })),
    reopenings: current.reopenings.map((reopening) => ({ reason: reopening.reason, by: who(reopening.byId), at: when(reopening.at) })),
    ...(current.outcome ? { outcome: { summary: current.outcome.summary, by: who(current.outcome.byId), at: when(current.outcome.at) } } : {}),
  };
}
