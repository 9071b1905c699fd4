import { createHash } from 'node:crypto';
import { REPORTS_OVERLAP_MS, type ReportsCursor, type WorkspaceAdmin } from './google-directory.ts';

/**
 * Gmail's own "Report phishing" button, as the Google Workspace Alert Center records it. Pressing it moves the
 * message to Spam and raises a "User reported phishing" alert that only the school's admins see; DSL Desk can
 * read those alerts (as the school's admin, by domain-wide delegation with the apps.alerts scope) and file each
 * reported message into the same cases as the add-on's reports. Everything here is pure: the port is
 * implemented in src/integrations/google/alert-center.ts.
 */

/** The Alert Center's type name for Gmail's "Report phishing" clicks (data: MailPhishing). */
export const USER_REPORTED_PHISHING = 'User reported phishing';

/** One reported message of an alert: its RFC 822 Message-ID and the mailbox of the person who reported it. */
export interface ReportedPhishingMessage {
  messageId: string;
  /** Lower case. */
  recipient: string;
}

/** A "User reported phishing" alert: what DSL Desk reads of it (never the subject, snippet or sender). */
export interface ReportedPhishingAlert {
  alertId: string;
  /** ISO instant the Alert Center created the alert. */
  createTime: string;
  messages: ReportedPhishingMessage[];
}

/**
 * The Alert Center as a school's Workspace admin. Refusals throw AppError: `forbidden` (the apps.alerts scope is
 * not delegated, or the admin may not read alerts: an operator must act) or `unavailable` (429, 5xx, network:
 * tried again at the next poll).
 */
export interface AlertCenter {
  /** "User reported phishing" alerts created at or after `since`, every page, oldest first. */
  reportedPhishingSince(admin: WorkspaceAdmin, since: string): Promise<ReportedPhishingAlert[]>;
}

/**
 * Where importing a school's alerts got to: the same shape as the Reports cursor (the latest alert handled, and
 * the alerts handled in the hour before it), so an alert the Alert Center lists late is still read, and none is
 * read twice.
 */
export type AlertImportCursor = ReportsCursor;

/** The first poll of a school looks back a day: reports made just before the import was turned on are filed. */
export const FIRST_ALERT_LOOKBACK_MS = 24 * 60 * 60_000;
/** However long the import was stopped (mailbox access off, the service down), alerts older than this are left to IT. */
export const MAX_ALERT_LOOKBACK_MS = 7 * 24 * 60 * 60_000;

/** The `createTime >=` of the next read. */
export function alertsStartTime(cursor: AlertImportCursor, now: Date): string {
  return new Date(Math.max(Date.parse(cursor.time) - REPORTS_OVERLAP_MS, now.getTime() - MAX_ALERT_LOOKBACK_MS)).toISOString();
}

/** The cursor a school starts from when it has none: nothing handled, a day back (and the overlap). */
export function initialAlertCursor(now: Date): AlertImportCursor {
  return { time: new Date(now.getTime() - FIRST_ALERT_LOOKBACK_MS).toISOString(), seen: [] };
}

/**
 * The key a filed report of one alert's message by one person is claimed under: the same alert read again (a
 * restart, the overlap window) never files a second report.
 */
export function alertReportKey(alertId: string, message: ReportedPhishingMessage): string {
  // Hashed: the key stays short whatever the Message-ID, and the idempotency table holds no address.
  const messageAndRecipient = createHash('sha256').update(`${normaliseMessageId(message.messageId)}\n${message.recipient.toLowerCase()}`).digest('hex');
  return `alert-center:${alertId}:${messageAndRecipient}`;
}

/** A Message-ID as Gmail's `rfc822msgid:` search takes it: no angle brackets, no surrounding space. */
export function normaliseMessageId(messageId: string): string {
  return messageId.trim().replace(/^<|>$/g, '');
}
