import type { CaseDetailView as CaseRecord } from '../../src/app/cases/get-case.ts';
import type { CaseCardContext } from '../../src/app/cases/prepare-case-card.ts';
import type { PreparedNotification } from '../../src/app/cases/prepare-notification.ts';
import { EMAIL_VERDICT_LABELS } from '../../src/domain/email-report.ts';
import { emailRemovalLabel } from '../../src/domain/mailbox-removal.ts';
import { defang } from '../../src/domain/defang.ts';
import { SIGNAL_SEVERITY_LABELS, signalLabel } from '../../src/domain/email-signals.ts';
import type { Role } from '../../src/domain/roles.ts';
import type { PupilPatternCardContext } from '../../src/app/pupils/prepare-pupil-pattern-card.ts';
import { casePupilsText, chronologyText, pupilPatternViewOf, type ChronologyToShow } from '../../src/domain/pupil-texts.ts';
import {
  CASE_ACKNOWLEDGE,
  caseDetailViewFrom,
  renderCaseDetailCard,
  renderChannelCaseCard,
  renderNotificationCard,
  renderPupilChronologyCard,
  renderPupilPatternCard,
  renderRestrictedNoticeCard,
  type CardJson,
} from './cards/index.ts';

export type { CardJson };

/**
 * The case card for the channel, or for one person's own view of it (Action.Execute answers and
 * refreshes). Built from the case summary, which holds nothing of the concern; a restricted case shows
 * the channel only that it exists.
 */
export function channelCardFor(context: CaseCardContext, options: { forDsl: boolean; inChannel: boolean }): CardJson {
  const { summary } = context;
  if (summary.restricted && (options.inChannel || !options.forDsl)) {
    return renderRestrictedNoticeCard({ reference: summary.reference, receivedAt: summary.receivedAt });
  }
  return renderChannelCaseCard({
    caseId: summary.caseId,
    reference: summary.reference,
    types: summary.types,
    urgency: summary.urgency,
    status: summary.status,
    receivedAt: summary.receivedAt,
    reporterName: summary.reporterName,
    reporterCount: summary.reporterCount,
    ...(summary.assigneeName ? { assigneeName: summary.assigneeName } : {}),
    ...(summary.acknowledgedByName ? { acknowledgedByName: summary.acknowledgedByName } : {}),
    closed: summary.status === 'closed',
    forDsl: options.forDsl,
    protocolSteps: summary.protocolSteps,
    // The DSLs' clients fetch their own view (with the buttons) when they look at the card.
    refreshUserIds: context.handlers.flatMap((handler) => (handler.chatUserId ? [handler.chatUserId] : [])),
    ...(context.card?.state === 'failed' && context.card.failure ? { deliveryWarning: context.card.failure } : {}),
    ...(summary.email ? { email: { verdictLabel: `${EMAIL_VERDICT_LABELS[summary.email.verdict]}${summary.email.decided ? ' (decided)' : ' (suggested)'}`, signals: summary.email.topSignals, verdict: summary.email.verdict, ...(context.emailRemoval ? { removal: emailRemovalLabel(context.emailRemoval) } : {}) } } : {}),
    escalations: summary.escalations,
    ...(context.lastActivity ? { lastActivity: context.lastActivity } : {}),
    viewerIsAssignee: context.viewerIsAssignee,
    // Only a DSL's own view carries the children and their status (prepareCaseCard gives them only for them).
    ...(options.forDsl && !options.inChannel && context.pupils ? { pupils: context.pupils } : {}),
    // Only a view for someone who may act carries the "Assign to…" list; the shared card has no forms.
    assignable: options.forDsl ? context.assignable.map((person) => ({ personId: person.personId, displayName: person.displayName, roleLabel: handlerRoleLabel(person.roles) })) : [],
  });
}

/** The case role a person is offered under in "Assign to…", the most senior safeguarding role first. */
function handlerRoleLabel(roles: readonly Role[]): string {
  if (roles.includes('dsl')) return 'DSL';
  if (roles.includes('deputy_dsl')) return 'Deputy DSL';
  if (roles.includes('head')) return 'Headteacher';
  if (roles.includes('chair_of_governors')) return 'Chair of governors';
  return 'Staff';
}

/**
 * "Open case": the whole record, for the person who asked and may see it (getCase has checked and audited).
 * Everything taken from a reported email (sender, subject, the evidence quoting its links and addresses,
 * attachment names) is defanged, so no client turns it into a link to the sender or their site.
 */
export function caseDetailCardFor(record: CaseRecord): CardJson {
  // The children and their protection status: only in a DSL's, deputy's or head's view (getCase gives them only then).
  const pupils = record.pupils ? casePupilsText(record.pupils) : undefined;
  return renderCaseDetailCard({
    ...caseDetailViewFrom(record.case, record.names),
    ...(pupils && pupils.children.length > 0 ? { children: pupils.children } : {}),
    ...(pupils && pupils.protectionStatuses.length > 0 ? { protectionStatuses: pupils.protectionStatuses } : {}),
    emails: record.emails.map(({ analysis, attachmentsWithheld, decision }) => {
      const from = [analysis.fromName?.trim(), analysis.fromAddress && (analysis.fromName?.trim() ? `(${analysis.fromAddress})` : analysis.fromAddress)].filter(Boolean).join(' ');
      return {
        // The analysis only suggests; what a DSL or IT decided is what counts, with their reason.
        verdict: decision
          ? `${EMAIL_VERDICT_LABELS[decision.verdict]} (decided${decision.verdict === decision.suggested ? '' : `; the analysis suggested ${EMAIL_VERDICT_LABELS[decision.suggested]}`}: ${defang(decision.reason)})`
          : `${EMAIL_VERDICT_LABELS[analysis.verdict]} (suggested by the analysis; not yet confirmed)`,
        ...(analysis.subject ? { subject: defang(analysis.subject) } : {}),
        ...(from ? { from: defang(from) } : {}),
        signals: analysis.signals.map((signal) => ({
          label: signalLabel(signal.code),
          strength: SIGNAL_SEVERITY_LABELS[signal.severity] ?? signal.severity,
          evidence: defang(signal.evidence),
        })),
        attachments: analysis.attachments.map((attachment) => ({
          name: attachment.filename ? defang(attachment.filename) : '(no name)',
          detail: `${attachment.detectedType}, ${attachment.size.toLocaleString('en-GB')} bytes${attachment.risky ? ', risky' : ''}, SHA-256 ${attachment.sha256.slice(0, 16)}…`,
        })),
        withheld: attachmentsWithheld,
      };
    }),
  });
}

export function notificationCardFor(prepared: PreparedNotification): CardJson {
  const { text } = prepared;
  return renderNotificationCard({
    title: text.title,
    lines: text.lines,
    reference: prepared.reference,
    ...(text.offersCase ? { openCaseId: prepared.caseId, caseActions: [{ title: 'Acknowledge', verb: CASE_ACKNOWLEDGE }] } : {}),
  });
}

/** "A pattern for a pupil" for the case channel: the reason and the references; no name, no concern text. */
export function pupilPatternCardFor(prepared: PupilPatternCardContext & { rule?: { days: number } }, pupilId: string, timeZone: string): CardJson {
  return renderPupilPatternCard(pupilPatternViewOf(prepared, pupilId, timeZone));
}

/** "Open pupil": the chronology getPupilChronology gave the DSL (authorised and audited there). */
export function pupilChronologyCardFor(chronology: ChronologyToShow, timeZone: string): CardJson {
  return renderPupilChronologyCard(chronologyText(chronology, timeZone));
}
