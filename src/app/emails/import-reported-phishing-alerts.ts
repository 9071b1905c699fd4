import { alertsStartTime, initialAlertCursor, alertReportKey, type AlertCenter, type AlertImportCursor, type ReportedPhishingAlert, type ReportedPhishingMessage } from '../../domain/alert-center.ts';
import { AppError, isAppError } from '../../domain/errors.ts';
import { cursorAfter, unseenEvents, type WorkspaceAdmin } from '../../domain/google-directory.ts';
import { DELEGATION_REFUSED } from '../../domain/mailbox-removal.ts';
import type { GmailMailboxes } from '../../domain/ports.ts';
import type { Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { reportEmail } from './report-email.ts';

/** Why a poll filed nothing, or stopped before the end (the cursor then stays where it was, to be read again). */
export type AlertImportProblem = 'alert_center_refused' | 'alert_center_unavailable' | 'mailbox_access_off' | 'mailbox_access_refused' | 'gmail_unavailable';

export interface ReportedPhishingImportResult {
  /** The school has no Google admin set: there is nobody to read its Alert Center as. */
  skipped?: 'not_connected';
  /** Alerts read that had not been handled before, and the reported messages in them. */
  alerts: number;
  messages: number;
  /** Reports filed now; reports that had been filed by an earlier poll (the same alert read again). */
  filed: number;
  alreadyFiled: number;
  /** Reported by someone who is not an active member of staff of this school: not filed. */
  notInSchool: number;
  /** The reporter's mailbox holds no copy any more (deleted from Spam since). */
  notFound: number;
  /** The copy could not be read or filed (the mailbox would not open, too large, not an email). */
  failed: number;
  /** Staff reports left for a later poll because of `problem`. */
  notFiled: number;
  problem?: { code: AlertImportProblem; message: string; retryAfterSeconds?: number };
}

export interface ImportReportedPhishingAlertsOptions {
  schoolId: string;
  alertCenter: AlertCenter;
  /** EMAIL_REPORT_MAX_MB in bytes: a larger copy is counted as failed, as the add-on refuses it. */
  maxBytes: number;
}

const MAILBOX_ACCESS_OFF =
  'Gmail’s own “Report phishing” alerts were read, but DSL Desk may not open the school’s mailboxes (GOOGLE_MAILBOX_REMOVAL is off), so none was filed. ' +
  'Turn mailbox access on (and authorise gmail.modify for DSL Desk’s service account) to file them; they are kept until then.';

/**
 * Files the messages a Google school's staff reported with Gmail's own "Report phishing" button: DSL Desk reads
 * the school's "User reported phishing" alerts from the Alert Center (as its admin), opens each reporter's copy
 * by domain-wide delegation (Gmail moved it to Spam) and files it exactly as a phishing report from the add-on,
 * as that person, so it joins the case of the same message. Each filing is claimed under the alert, the message
 * and the reporter, so an alert read again never files twice; the cursor moves only past alerts whose every
 * message was filed (or never can be), so a restart resumes. Each poll leaves one audit event with counts only.
 */
export async function importReportedPhishingAlerts(deps: AppDeps, options: ImportReportedPhishingAlertsOptions): Promise<ReportedPhishingImportResult> {
  const { schoolId, alertCenter } = options;
  const { school, directory, progress } = await deps.storage.read(async (reader) => ({
    school: await reader.schools.get(schoolId),
    directory: await reader.googleDirectory.get(schoolId),
    progress: await reader.googleAlertImports.get(schoolId),
  }));
  if (!school) throw new AppError('not_found', 'That school was not found.');
  const result: ReportedPhishingImportResult = { alerts: 0, messages: 0, filed: 0, alreadyFiled: 0, notInSchool: 0, notFound: 0, failed: 0, notFiled: 0 };
  if (!directory) return { ...result, skipped: 'not_connected' };
  const now = deps.clock.now();
  const admin: WorkspaceAdmin = { domain: (school.googleDomain ?? directory.adminEmail.split('@')[1] ?? '').toLowerCase(), adminEmail: directory.adminEmail };
  const startCursor: AlertImportCursor = progress?.cursor ?? initialAlertCursor(now);
  let cursor = startCursor;

  let alerts: (ReportedPhishingAlert & { key: string; time: string })[] = [];
  try {
    const read = await alertCenter.reportedPhishingSince(admin, alertsStartTime(cursor, now));
    alerts = unseenEvents(cursor, read.map((alert) => ({ ...alert, key: alert.alertId, time: alert.createTime })));
  } catch (error) {
    if (!isAppError(error)) throw error;
    result.problem = { code: error.code === 'forbidden' ? 'alert_center_refused' : 'alert_center_unavailable', message: error.userMessage, ...retryOf(error) };
    await finishPoll(deps, schoolId, result, cursor);
    return result;
  }
  result.alerts = alerts.length;
  result.messages = alerts.reduce((sum, alert) => sum + alert.messages.length, 0);

  const actors = new Map<string, Actor | null>();
  const actorFor = async (recipient: string): Promise<Actor | null> => {
    if (!actors.has(recipient)) {
      const person = await deps.storage.read((reader) => reader.people.findByEmail(schoolId, recipient));
      actors.set(recipient, person?.active ? { schoolId, personId: person.id, displayName: person.displayName, roles: person.roles } : null);
    }
    return actors.get(recipient)!;
  };
  /** Counts what is left unfiled from `alertIndex`/`messageIndex` on when a poll stops: staff reports wait, others never will be filed. */
  const countLeft = async (alertIndex: number, messageIndex: number) => {
    for (let a = alertIndex; a < alerts.length; a += 1) {
      const messages = alerts[a]!.messages;
      for (let m = a === alertIndex ? messageIndex : 0; m < messages.length; m += 1) {
        if (await actorFor(messages[m]!.recipient)) result.notFiled += 1;
        else result.notInSchool += 1;
      }
    }
  };

  const mailboxes = deps.settings?.googleMailboxRemoval?.enabled === true ? deps.gmailMailboxes : undefined;
  if (!mailboxes) {
    // Nothing is filed and the cursor stays: when IT turns mailbox access on, these reports are filed then.
    await countLeft(0, 0);
    if (result.notFiled > 0) result.problem = { code: 'mailbox_access_off', message: MAILBOX_ACCESS_OFF };
    await finishPoll(deps, schoolId, result, result.notFiled > 0 ? startCursor : cursorPast(cursor, alerts));
    return result;
  }

  alertsLoop: for (let a = 0; a < alerts.length; a += 1) {
    const alert = alerts[a]!;
    for (let m = 0; m < alert.messages.length; m += 1) {
      const message = alert.messages[m]!;
      const actor = await actorFor(message.recipient);
      if (!actor) {
        result.notInSchool += 1;
        continue;
      }
      const stopped = await fileMessage(deps, mailboxes, { actor, alert, message, maxBytes: options.maxBytes }, result);
      if (stopped) {
        result.problem = stopped;
        result.notFiled += 1;
        await countLeft(a, m + 1);
        break alertsLoop;
      }
    }
    cursor = cursorAfter(cursor, alert);
    // Saved after each alert: a restart carries on after the last alert handled.
    await deps.storage.transaction((tx) => tx.googleAlertImports.save({ schoolId, cursor, lastPolledAt: now.toISOString(), lastProblem: null, updatedAt: nowIso(deps) }));
  }
  await finishPoll(deps, schoolId, result, cursor);
  return result;
}

/**
 * Opens the reporter's copy and files it. Returns the problem that stops the poll (Gmail refusing the delegation
 * for every mailbox, or asking DSL Desk to wait); anything about this one copy is counted and the poll goes on.
 */
async function fileMessage(
  deps: AppDeps,
  mailboxes: GmailMailboxes,
  work: { actor: Actor; alert: ReportedPhishingAlert; message: ReportedPhishingMessage; maxBytes: number },
  result: ReportedPhishingImportResult,
): Promise<ReportedPhishingImportResult['problem'] | undefined> {
  const { actor, alert, message } = work;
  try {
    const copy = await mailboxes.readMessage(message.recipient, message.messageId, work.maxBytes);
    if (copy === 'not_found') {
      result.notFound += 1;
      return undefined;
    }
    if (copy === 'too_large') {
      result.failed += 1;
      return undefined;
    }
    const receipt = await reportEmail(deps, { actor, raw: copy.raw, choice: 'phishing', channel: 'gmail', idempotencyKey: alertReportKey(alert.alertId, message) });
    if (receipt.duplicate) result.alreadyFiled += 1;
    else result.filed += 1;
    return undefined;
  } catch (error) {
    if (!isAppError(error)) throw error;
    if (error.code === 'forbidden' && error.message.startsWith(DELEGATION_REFUSED)) return { code: 'mailbox_access_refused', message: error.userMessage };
    if (error.code === 'unavailable') return { code: 'gmail_unavailable', message: error.userMessage, ...retryOf(error) };
    // One mailbox that would not open (suspended, no Gmail), or a copy that is not an email: counted, not retried.
    if (error.code === 'forbidden' || error.code === 'invalid_input') {
      result.failed += 1;
      return undefined;
    }
    // Anything else (a case changed by others too often, storage) stops the poll; the alert is read again next time.
    throw error;
  }
}

/** Past every alert read: used when none of them holds a report DSL Desk could file. */
function cursorPast(cursor: AlertImportCursor, alerts: readonly { key: string; time: string }[]): AlertImportCursor {
  return alerts.reduce(cursorAfter, cursor);
}

function retryOf(error: AppError): { retryAfterSeconds?: number } {
  return error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {};
}

/** The poll's record: where it got to, why it stopped (if it did), and one audit event with counts and codes only. */
async function finishPoll(deps: AppDeps, schoolId: string, result: ReportedPhishingImportResult, cursor: AlertImportCursor): Promise<void> {
  await deps.storage.transaction(async (tx) => {
    const at = nowIso(deps);
    await tx.googleAlertImports.save({ schoolId, cursor, lastPolledAt: at, lastProblem: result.problem?.message ?? null, updatedAt: at });
    await tx.audit.append(
      {
        schoolId,
        actorId: null,
        action: 'email.alerts_imported',
        detail: {
          source: 'google_alert_center',
          alerts: result.alerts,
          messages: result.messages,
          filed: result.filed,
          alreadyFiled: result.alreadyFiled,
          notInSchool: result.notInSchool,
          notFound: result.notFound,
          failed: result.failed,
          notFiled: result.notFiled,
          problem: result.problem?.code ?? null,
        },
      },
      at,
    );
  });
}
