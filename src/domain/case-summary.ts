import type { Case, CaseStatus } from './case.ts';
import type { EmailAnalysisSummary, EmailVerdict, VerdictDecision } from './email-report.ts';
import type { AuditAction, AuditEvent } from './audit.ts';
import { signalLabel } from './email-signals.ts';
import { protocolsFor, type EscalationAgency, type IncidentTypeCode, type Urgency } from './incident-types.ts';

/**
 * What a chat card may say about a case. Channel notifications show on phones and lock screens, so this
 * carries the reference, types, urgency, time and the people handling it, and nothing of the concern.
 */
export interface CaseSummary {
  caseId: string;
  reference: string;
  types: IncidentTypeCode[];
  urgency: Urgency;
  status: CaseStatus;
  restricted: boolean;
  receivedAt: string;
  reporterName: string;
  reporterCount: number;
  assigneeName?: string;
  acknowledgedByName?: string;
  protocolSteps: { key: string; label: string; done: boolean }[];
  /** Who it was escalated to, and whether their reference was recorded (never the reference itself). */
  escalations: { agency: EscalationAgency; hasReference: boolean }[];
  /**
   * For a reported email: the verdict (decided by a DSL or IT, else the analysis's suggestion) and its
   * strongest signals, as short labels (no evidence).
   */
  email?: { verdict: EmailVerdict; decided: boolean; topSignals: string[] };
  version: number;
}

/** How many signals a card shows: the strongest, one line each; "Open case" shows them all with evidence. */
export const CARD_SIGNAL_COUNT = 3;

export function summariseCase(current: Case, nameOf: (personId: string) => string | undefined, email?: EmailAnalysisSummary, decision?: Pick<VerdictDecision, 'verdict'>): CaseSummary {
  const ticked = new Set(current.protocolTicks.map((tick) => tick.step));
  const firstReporter = current.reporters[0];
  const assigneeName = current.assigneeId ? nameOf(current.assigneeId) : undefined;
  const acknowledgedByName = current.acknowledgedById ? nameOf(current.acknowledgedById) : undefined;
  return {
    caseId: current.id,
    reference: current.reference,
    types: [...current.types],
    urgency: current.urgency,
    status: current.status,
    restricted: current.restricted,
    receivedAt: current.createdAt,
    reporterName: (firstReporter && nameOf(firstReporter.personId)) ?? 'A member of staff',
    reporterCount: current.reporters.length,
    ...(assigneeName ? { assigneeName } : {}),
    ...(acknowledgedByName ? { acknowledgedByName } : {}),
    protocolSteps: protocolsFor(current.types).flatMap((protocol) =>
      protocol.steps.map((step) => {
        const key = `${protocol.code}.${step.code}`;
        return { key, label: step.label, done: ticked.has(key) };
      }),
    ),
    escalations: current.escalations.map((escalation) => ({ agency: escalation.agency, hasReference: Boolean(escalation.reference?.trim()) })),
    ...(email ? { email: { verdict: decision?.verdict ?? email.verdict, decided: decision !== undefined, topSignals: email.signals.filter((signal) => signal.severity !== 'info').slice(0, CARD_SIGNAL_COUNT).map((signal) => signalLabel(signal.code)) } } : {}),
    version: current.version,
  };
}

/**
 * What a case card may say someone last did on a case, in words: the kind of action only, never what was
 * written (a note's or an outcome's text stays in the case).
 */
export const CASE_ACTIVITY_LABELS: Partial<Record<AuditAction, string>> = {
  'case.acknowledged': 'Acknowledged',
  'case.assigned': 'Assigned',
  'case.note_added': 'Note added',
  'case.protocol_step_ticked': 'Protocol step done',
  'case.escalated': 'Escalated',
  'case.urgency_changed': 'Urgency changed',
  'case.types_changed': 'Incident types changed',
  'case.action_recorded': 'Action recorded',
  'case.closed': 'Closed',
  'case.reopened': 'Reopened',
  'case.email_removal_requested': 'Email removal started',
  'case.email_forwarded': 'Email forwarded',
  'case.reporters_told_verdict': 'Reporters told the verdict',
  'case.email_verdict_decided': 'Verdict decided',
  'case.email_purged': 'Stored email removed',
  'case.legal_hold_placed': 'Legal hold placed',
  'case.legal_hold_lifted': 'Legal hold lifted',
  'case.urgent_unacknowledged': 'Not picked up in time: deputies and head told',
};

export interface CaseActivity {
  label: string;
  /** Null when DSL Desk itself did it (the urgent escalation). */
  actorId: string | null;
  at: string;
}

/** The last thing done on a case (events in chain order); views, posts and deliveries do not count. */
export function lastCaseActivity(events: readonly Pick<AuditEvent, 'action' | 'actorId' | 'at'>[]): CaseActivity | undefined {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    const label = CASE_ACTIVITY_LABELS[event.action];
    if (label) return { label, actorId: event.actorId, at: event.at };
  }
  return undefined;
}

/** The 1:1 messages DSL Desk sends about a case; none of them carries concern text. */
export const NOTIFICATION_EVENTS = ['acknowledged', 'closed', 'urgent_unacknowledged', 'restricted_case', 'email_verdict'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export interface NotificationText {
  title: string;
  lines: string[];
  /** True when the recipient handles the case and the message should offer "Open case". */
  offersCase: boolean;
}

export function notificationText(event: NotificationEvent, summary: Pick<CaseSummary, 'reference' | 'receivedAt' | 'email'>, minutesWaiting?: number): NotificationText {
  switch (event) {
    case 'email_verdict':
      return emailVerdictText(summary.reference, summary.email?.verdict ?? 'suspicious');
    case 'acknowledged':
      return {
        title: `Your report ${summary.reference} has been picked up`,
        lines: ['A safeguarding lead is looking at it. You do not need to do anything else unless they contact you.'],
        offersCase: false,
      };
    case 'closed':
      return {
        title: `Your report ${summary.reference} has been closed`,
        lines: ['The safeguarding lead has finished with it. Thank you for reporting it.', 'If you have a new worry, report it again: it is never a bother.'],
        offersCase: false,
      };
    case 'urgent_unacknowledged':
      return {
        title: `Urgent case ${summary.reference} has not been picked up`,
        lines: [
          `Nobody has acknowledged this urgent case${minutesWaiting ? ` in ${minutesWaiting} minutes` : ''}.`,
          'Please make sure a safeguarding lead is dealing with it now.',
        ],
        offersCase: true,
      };
    case 'restricted_case':
      return {
        title: `Restricted case ${summary.reference}: an allegation about a member of staff`,
        lines: [
          'It comes to you in person. The DSL channel shows only that a restricted case exists, with its reference.',
          'Consider contacting the LADO within one working day.',
        ],
        offersCase: true,
      };
  }
}

/** What a reporter is told about the email they reported: short, kind, and what to do if they clicked. */
function emailVerdictText(reference: string, verdict: EmailVerdict): NotificationText {
  switch (verdict) {
    case 'likely_phishing':
      return {
        title: `The email you reported (${reference}) was phishing`,
        lines: ['Thank you: you did exactly the right thing.', 'Do not open its links or attachments. If you clicked a link or typed your password, tell IT now and change your password.'],
        offersCase: false,
      };
    case 'suspicious':
      return {
        title: `The email you reported (${reference}) looks suspicious`,
        lines: ['Thank you for reporting it. Treat it with care: do not click its links or open its attachments; IT is looking into it.'],
        offersCase: false,
      };
    case 'no_threat_found':
      return {
        title: `The email you reported (${reference}) looks safe`,
        lines: ['We found no sign of a threat in it. Thank you for checking: it is always right to ask.'],
        offersCase: false,
      };
    case 'not_analysed':
      return {
        title: `The email you reported (${reference}) is being checked by hand`,
        lines: ['Thank you for reporting it. Until you hear more, treat it with care: do not click its links or open its attachments.'],
        offersCase: false,
      };
    case 'simulation':
      return {
        title: `Well spotted: ${reference} was a practice phishing email`,
        lines: ['It was one of the school’s own phishing tests. Reporting it was exactly right.'],
        offersCase: false,
      };
  }
}
