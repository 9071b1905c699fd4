import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';

/**
 * A local Google Workspace Alert Center API (v1beta1) speaking the REST shape googleapis calls with `rootUrl`
 * pointed here: `GET /v1beta1/alerts?filter=&orderBy=&pageSize=&pageToken=` → `{alerts: [...], nextPageToken}`.
 * The filter understands what Google documents for alerts.list and DSL Desk sends: `type="…"` and
 * `createTime >= "…"` (also `>`, `<`, `<=`) joined by AND; `orderBy` `create_time asc|desc`. Every request must
 * carry the bearer token of the school's admin by domain-wide delegation with the apps.alerts scope
 * (fakeAlertCenterAuth); another subject answers 401, a token without the scope 403, and `refuse()` makes every
 * request answer 403 as Google does when the admin may not read alerts. Errors use Google's JSON shape
 * `{error: {code, message, status}}`.
 */

export const APPS_ALERTS_SCOPE = 'https://www.googleapis.com/auth/apps.alerts';

/** A reported message as GmailMessageInfo describes it. */
export interface FakeGmailMessageInfo {
  messageId: string;
  recipient: string;
  subjectText?: string;
  md5HashMessageBody?: string;
  md5HashSubject?: string;
  messageBodySnippet?: string;
  attachmentsSha256Hash?: string[];
  date?: string;
  sentTime?: string;
}

/** An alert in the API's own shape. */
export interface FakeAlert {
  customerId: string;
  alertId: string;
  createTime: string;
  startTime: string;
  updateTime: string;
  type: string;
  source: string;
  deleted?: boolean;
  data: Record<string, unknown>;
  securityInvestigationToolLink?: string;
  etag: string;
}

export interface FakeAlertCenterCall {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface FakeAlertCenterOptions {
  /** The admin whose delegated token is accepted. */
  adminEmail: string;
  /** Alerts a page at most, whatever the caller asks (so paging is exercised). Default 2. */
  pageSize?: number;
}

export interface FakeAlertCenter {
  rootUrl: string;
  calls: FakeAlertCenterCall[];
  /** A "User reported phishing" alert (MailPhishing data) for these messages, created at `createTime`. */
  addReportedPhishing(options: { createTime: string; messages: FakeGmailMessageInfo[]; from?: string; alertId?: string }): FakeAlert;
  /** Any other alert (another type, a deleted one). */
  addAlert(alert: Partial<FakeAlert> & { createTime: string; type: string }): FakeAlert;
  /** The next `count` requests answer `status` (with Retry-After when given). */
  failNext(status: number, count?: number, retryAfterSeconds?: number): void;
  /** Every request answers 403 PERMISSION_DENIED (the admin may not read alerts, or the delegation lacks the scope). */
  refuse(refused?: boolean): void;
  close(): Promise<void>;
}

/** The bearer token the fake expects for `subject` with `scopes`: a real JWT exchange cannot be pointed at a local server. */
export function fakeAlertCenterToken(subject: string, scopes: readonly string[]): string {
  return `fake-alertcenter-token:${subject.toLowerCase()}:${[...scopes].sort().join(' ')}`;
}

/** A googleapis auth client as the wiring's auth factory returns one for (admin, [apps.alerts]). */
export function fakeAlertCenterAuth(subject: string, scopes: readonly string[]): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: fakeAlertCenterToken(subject, scopes), expiry_date: Date.now() + 24 * 3_600_000 });
  return client;
}

const STATUS_NAMES: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

interface Condition {
  field: 'type' | 'createTime';
  op: '=' | '>=' | '>' | '<=' | '<';
  value: string;
}

/** `type="User reported phishing" AND createTime >= "2026-12-07T09:00:00Z"` → conditions; undefined when not understood. */
export function parseAlertFilter(filter: string): Condition[] | undefined {
  if (!filter.trim()) return [];
  const conditions: Condition[] = [];
  for (const part of filter.split(/\s+AND\s+/)) {
    const match = /^\s*(type|createTime)\s*([<>]=?|=)\s*"([^"]*)"\s*$/.exec(part);
    if (!match) return undefined;
    const [, field, op, value] = match;
    if (field === 'type' && op !== '=') return undefined;
    if (field === 'createTime' && Number.isNaN(Date.parse(value!))) return undefined;
    conditions.push({ field: field as Condition['field'], op: op as Condition['op'], value: value! });
  }
  return conditions;
}

function matches(alert: FakeAlert, conditions: Condition[]): boolean {
  return conditions.every((condition) => {
    if (condition.field === 'type') return alert.type === condition.value;
    const a = Date.parse(alert.createTime);
    const b = Date.parse(condition.value);
    return condition.op === '>=' ? a >= b : condition.op === '>' ? a > b : condition.op === '<=' ? a <= b : condition.op === '<' ? a < b : a === b;
  });
}

export async function startFakeAlertCenter(options: FakeAlertCenterOptions): Promise<FakeAlertCenter> {
  const pageSize = options.pageSize ?? 2;
  const alerts: FakeAlert[] = [];
  const calls: FakeAlertCenterCall[] = [];
  const failures: { status: number; count: number; retryAfterSeconds?: number }[] = [];
  let refused = false;
  let nextAlert = 1;

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const googleError = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) => {
    json(res, status, { error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' } }, headers);
    return status;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): number => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams.entries());
    if (req.method !== 'GET' || url.pathname !== '/v1beta1/alerts') return googleError(res, 404, 'Not Found');
    const bearer = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    const prefix = `fake-alertcenter-token:${options.adminEmail.toLowerCase()}:`;
    if (!bearer.startsWith(prefix)) return googleError(res, 401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    if (!bearer.slice(prefix.length).split(' ').includes(APPS_ALERTS_SCOPE)) return googleError(res, 403, 'Request had insufficient authentication scopes.');
    const failure = failures.find((entry) => entry.count > 0);
    if (failure) {
      failure.count -= 1;
      return googleError(res, failure.status, 'Injected failure', failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {});
    }
    if (refused) return googleError(res, 403, 'The caller does not have permission');
    const conditions = parseAlertFilter(query.filter ?? '');
    if (!conditions) return googleError(res, 400, 'Invalid filter.');
    const order = (query.orderBy ?? '').replace(/\s+/g, ' ').trim();
    if (order && order !== 'create_time asc' && order !== 'create_time desc' && order !== 'update_time desc') return googleError(res, 400, 'Invalid order_by.');
    const found = alerts.filter((alert) => matches(alert, conditions));
    if (order === 'create_time asc') found.sort((a, b) => Date.parse(a.createTime) - Date.parse(b.createTime));
    else found.sort((a, b) => Date.parse(b.createTime) - Date.parse(a.createTime));
    const start = Number(query.pageToken ?? '0');
    if (!Number.isInteger(start) || start < 0) return googleError(res, 400, 'Invalid page token.');
    const size = Math.min(pageSize, Number(query.pageSize ?? pageSize) || pageSize);
    const slice = found.slice(start, start + size);
    json(res, 200, { alerts: slice, ...(start + size < found.length ? { nextPageToken: String(start + size) } : {}) });
    return 200;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const status = handle(req, res);
    calls.push({ method: req.method ?? 'GET', path: decodeURIComponent(url.pathname), query: Object.fromEntries(url.searchParams.entries()), status });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const add = (alert: Partial<FakeAlert> & { createTime: string; type: string }): FakeAlert => {
    const created: FakeAlert = {
      customerId: '03abc123',
      alertId: alert.alertId ?? `a1b2c3d4-0000-4000-8000-${String(nextAlert++).padStart(12, '0')}`,
      startTime: alert.createTime,
      updateTime: alert.createTime,
      source: 'Gmail phishing',
      data: {},
      etag: `"etag-${nextAlert}"`,
      ...alert,
    };
    alerts.push(created);
    return created;
  };

  return {
    rootUrl: `http://127.0.0.1:${port}/`,
    calls,
    addReportedPhishing({ createTime, messages, from = 'Head Office <head.office@quickpost-relay.example.net>', alertId }) {
      const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
      return add({
        createTime,
        type: 'User reported phishing',
        ...(alertId ? { alertId } : {}),
        data: {
          '@type': 'type.googleapis.com/google.apps.alertcenter.type.MailPhishing',
          domainId: { customerPrimaryDomain: messages[0]?.recipient.split('@')[1] ?? 'example.org' },
          maliciousEntity: { fromHeader: address, displayName: from.replace(/\s*<[^>]+>$/, ''), entity: { emailAddress: address, displayName: from.replace(/\s*<[^>]+>$/, '') } },
          messages: messages.map((message) => ({ date: createTime, sentTime: createTime, md5HashMessageBody: '0'.repeat(32), attachmentsSha256Hash: [], ...message })),
          isInternal: false,
          systemActionType: 'NO_OPERATION',
        },
        securityInvestigationToolLink: 'https://admin.google.com/ac/sc/investigation',
      });
    },
    addAlert: add,
    failNext(status, count = 1, retryAfterSeconds) {
      failures.push({ status, count, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
    },
    refuse(value = true) {
      refused = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
