import { alertcenter, type alertcenter_v1beta1 } from 'googleapis/build/src/apis/alertcenter/index.js';
import { USER_REPORTED_PHISHING, type AlertCenter, type ReportedPhishingAlert, type ReportedPhishingMessage } from '../../domain/alert-center.ts';
import { AppError } from '../../domain/errors.ts';
import { googleRetryAfter, googleStatusOf, googleTokenErrorOf, isGoogleRateLimit, TRANSIENT_GOOGLE_STATUSES } from './google-api-errors.ts';
import type { WorkspaceAdmin } from '../../domain/google-directory.ts';
import { ALERT_CENTER_SCOPE } from '../../domain/google-workspace.ts';
import type { GoogleAdminAuthFactory } from './google-directory.ts';

export interface GoogleAlertCenterOptions {
  /** Signs calls as the school's Workspace admin with the apps.alerts scope (domain-wide delegation). */
  authFor: GoogleAdminAuthFactory;
  /** https://alertcenter.googleapis.com/ in production; a local fake in the tests (origin only). */
  rootUrl: string;
  /** Per request; a slow Google is tried again at the next poll. Default 30 s. */
  timeoutMs?: number;
  /** Alerts a page (Google picks its own default when none is given). Default 100. */
  pageSize?: number;
}

/**
 * The Alert Center API (v1beta1) as the school's Workspace admin, by domain-wide delegation: `alerts.list` of the
 * "User reported phishing" alerts since a time, oldest first, every page. Each call is made once (googleapis'
 * retries are off): throttling and faults become `unavailable` with Google's Retry-After; a refusal becomes
 * `forbidden`, naming the scope and the Admin console step. No error carries Google's message or an address.
 */
export function createGoogleAlertCenter(options: GoogleAlertCenterOptions): AlertCenter {
  const timeout = options.timeoutMs ?? 30_000;
  const clients = new Map<string, alertcenter_v1beta1.Alertcenter>();
  const clientFor = (subject: string) => {
    let client = clients.get(subject);
    if (!client) {
      // Node's own fetch: gaxios would otherwise load node-fetch by a dynamic import on the first call.
      client = alertcenter({ version: 'v1beta1', auth: options.authFor(subject, [ALERT_CENTER_SCOPE]), rootUrl: options.rootUrl, timeout, retry: false, fetchImplementation: fetch });
      clients.set(subject, client);
    }
    return client;
  };

  return {
    async reportedPhishingSince(admin: WorkspaceAdmin, since: string): Promise<ReportedPhishingAlert[]> {
      const client = clientFor(admin.adminEmail);
      const alerts: ReportedPhishingAlert[] = [];
      let pageToken: string | undefined;
      do {
        let data: alertcenter_v1beta1.Schema$ListAlertsResponse;
        try {
          ({ data } = await client.alerts.list({
            filter: `type="${USER_REPORTED_PHISHING}" AND createTime >= "${new Date(Date.parse(since)).toISOString()}"`,
            orderBy: 'create_time asc',
            pageSize: options.pageSize ?? 100,
            ...(pageToken ? { pageToken } : {}),
          }));
        } catch (error) {
          throw describeAlertCenterError(error);
        }
        for (const alert of data.alerts ?? []) {
          const found = reportedPhishingAlertOf(alert);
          if (found) alerts.push(found);
        }
        pageToken = data.nextPageToken || undefined;
      } while (pageToken);
      // Sorted here too: a page boundary or a server that ignores orderBy must not move the cursor past an alert.
      return alerts.sort((a, b) => Date.parse(a.createTime) - Date.parse(b.createTime) || a.alertId.localeCompare(b.alertId));
    },
  };
}

/**
 * What DSL Desk keeps of an alert: its id, its time and each message's Message-ID and recipient. A deleted alert,
 * another type, or one without a usable time is left out; so is a message without a Message-ID or recipient.
 */
export function reportedPhishingAlertOf(alert: alertcenter_v1beta1.Schema$Alert): ReportedPhishingAlert | undefined {
  if (!alert.alertId || !alert.createTime || alert.deleted === true || alert.type !== USER_REPORTED_PHISHING) return undefined;
  const created = Date.parse(alert.createTime);
  if (Number.isNaN(created)) return undefined;
  const data = (alert.data ?? {}) as alertcenter_v1beta1.Schema$MailPhishing;
  const messages: ReportedPhishingMessage[] = [];
  for (const message of Array.isArray(data.messages) ? data.messages : []) {
    const messageId = typeof message?.messageId === 'string' ? message.messageId.trim() : '';
    const recipient = typeof message?.recipient === 'string' ? message.recipient.trim().toLowerCase() : '';
    if (messageId && recipient.includes('@')) messages.push({ messageId, recipient });
  }
  return { alertId: alert.alertId, createTime: new Date(created).toISOString(), messages };
}

/** What the operator (and the school's IT) is told when Google refuses the delegated admin. */
export const ALERT_CENTER_REFUSED =
  'Google Workspace refused DSL Desk’s access to the Alert Center. In the Google Admin console (Security → Access and data control → API controls → ' +
  `Domain-wide delegation) add ${ALERT_CENTER_SCOPE} to DSL Desk’s service account client ID, and check that the school’s Google admin email set in DSL Desk ` +
  'is an active administrator allowed to view the alert center (Admin roles → Security Center → Alert Center: view access).';

const UNAVAILABLE = 'Google Workspace’s Alert Center did not answer DSL Desk; it will be tried again at the next poll.';
const DELEGATION_ERRORS = new Set(['unauthorized_client', 'access_denied', 'invalid_grant', 'invalid_scope']);

/**
 * Sorts a googleapis (gaxios) or token failure: a refused delegation (401, 403, or the token endpoint's
 * `unauthorized_client` / `access_denied` / `invalid_grant` / `invalid_scope`) needs an operator; a quota 403,
 * 429, 5xx or the network is tried at the next poll.
 */
export function describeAlertCenterError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const status = googleStatusOf(error);
  const tokenError = googleTokenErrorOf(error);
  const internal = `alertcenter: google ${status ?? 'unreachable'}${tokenError ? ` ${tokenError}` : ''}`;
  if (status === 403 && isGoogleRateLimit(error)) {
    return new AppError('unavailable', UNAVAILABLE, { internal: `${internal} rate limited`, cause: error, ...googleRetryAfter(error) });
  }
  if ((tokenError && DELEGATION_ERRORS.has(tokenError)) || status === 401 || status === 403) {
    return new AppError('forbidden', ALERT_CENTER_REFUSED, { internal, cause: error });
  }
  if (status === undefined || TRANSIENT_GOOGLE_STATUSES.has(status)) return new AppError('unavailable', UNAVAILABLE, { internal, cause: error, ...googleRetryAfter(error) });
  return new AppError('unavailable', `Google Workspace’s Alert Center refused DSL Desk’s read (HTTP ${status}); it will be tried again at the next poll.`, { internal, cause: error });
}
