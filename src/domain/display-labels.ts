import type { CaseStatus } from './case.ts';
import type { InvolvedGroup, ReportChannel, SourceKind } from './concern.ts';
import type { LOCATIONS } from './concern.ts';
import {
  ACTIONS_TAKEN,
  ESCALATION_AGENCIES,
  incidentType,
  isIncidentTypeCode,
  type ActionTaken,
  type EscalationAgency,
  type IncidentTypeCode,
  type Urgency,
} from './incident-types.ts';

/** Times on cards are shown in the school's zone (each view carries it); this only when a view has none. */
export { DEFAULT_TIME_ZONE } from './time-zone.ts';
import { DEFAULT_TIME_ZONE } from './time-zone.ts';

export type Location = (typeof LOCATIONS)[number];

const whenFormatters = new Map<string, Intl.DateTimeFormat>();

function whenFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = whenFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    whenFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** "Mon, 23 Nov 2026, 08:15" in school time; a value that is not a date is shown as it came. */
export function formatWhen(iso: string, timeZone: string = DEFAULT_TIME_ZONE): string {
  const epoch = Date.parse(iso);
  if (Number.isNaN(epoch)) return iso;
  return whenFormatter(timeZone).format(epoch);
}

export const URGENCY_LABELS: Record<Urgency, string> = { urgent: 'Urgent', high: 'High', normal: 'Normal', low: 'Low' };

/** How the DSLs' cards name a status. */
export const CASE_STATUS_LABELS: Record<CaseStatus, string> = {
  new: 'New: not picked up yet',
  acknowledged: 'Acknowledged',
  in_progress: 'In progress',
  escalated: 'Escalated',
  closed: 'Closed',
};

/**
 * How a reporter's "My reports" names a status. Escalation is worded as "being dealt with": a reporter
 * needs to know their report is in hand, not which agencies are involved.
 */
export const REPORTER_STATUS_LABELS: Record<CaseStatus, string> = {
  new: 'Received: waiting for the DSL',
  acknowledged: 'Seen by the DSL',
  in_progress: 'Being dealt with',
  escalated: 'Being dealt with',
  closed: 'Closed',
};

export const LOCATION_LABELS: Record<Location, string> = { inside_school: 'In school', outside_school: 'Outside school', unknown: 'Not known' };

export const INVOLVED_GROUP_LABELS: Record<InvolvedGroup, string> = { child: 'Child', staff: 'Staff', parent_carer: 'Parent or carer', other: 'Other' };

export const REPORT_CHANNEL_LABELS: Record<ReportChannel, string> = { api: 'API', teams: 'Teams', outlook: 'Outlook', gmail: 'Gmail', google_chat: 'Google Chat', web: 'Web' };

export const SOURCE_KIND_LABELS: Record<SourceKind, string> = { form: 'Form', email: 'An email', teams_message: 'A Teams message', chat_message: 'A chat message' };

export function incidentTypeLabel(code: IncidentTypeCode | string): string {
  return isIncidentTypeCode(code) ? incidentType(code).label : code;
}

export function agencyLabel(code: EscalationAgency): string {
  return ESCALATION_AGENCIES.find((agency) => agency.code === code)?.label ?? code;
}

export function actionTakenLabel(code: ActionTaken): string {
  return ACTIONS_TAKEN.find((action) => action.code === code)?.label ?? code;
}

/** "Tess Teacher", "Tess Teacher and 1 other", "Tess Teacher and 3 others". */
export function reporterSummary(firstReporterName: string, reporterCount: number): string {
  const others = Math.max(0, Math.floor(reporterCount) - 1);
  if (others === 0) return firstReporterName;
  return `${firstReporterName} and ${others} ${others === 1 ? 'other' : 'others'}`;
}
