import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';
import { ADMIN_DIRECTORY_USER_SCOPE, ADMIN_REPORTS_SCOPE, parseSandboxDelegatedToken } from '../../src/domain/google-workspace.ts';

/**
 * A local Google Admin SDK speaking the REST shapes googleapis calls with `rootUrl` pointed here:
 * Reports `GET /admin/reports/v1/activity/users/all/applications/admin` (CREATE_USER events, newest first,
 * `startTime` inclusive) and Directory `GET /admin/directory/v1/users` (customer=my_customer) and
 * `GET /admin/directory/v1/users/{userKey}` (an email or id). Pages follow `nextPageToken`; every request
 * must carry the bearer token of the school's admin (fakeAdminAuth); a quota answers 429 with Retry-After
 * when requests come too fast; an API can be made to refuse as Google does without domain-wide delegation.
 */

/** A Workspace account in the Directory API's own shape. */
export interface FakeGoogleUser {
  id: string;
  primaryEmail: string;
  name: { givenName: string; familyName: string; fullName: string };
  orgUnitPath: string;
  creationTime: string;
  suspended: boolean;
  archived: boolean;
  isAdmin: boolean;
  organizations?: { primary?: boolean; title?: string; department?: string }[];
}

export interface FakeGoogleEvent {
  time: string;
  uniqueQualifier: string;
  email: string;
}

export interface FakeGoogleCall {
  method: string;
  /** Decoded (googleapis sends `@` as %40). */
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface FakeGoogleAdminOptions {
  /** The admin whose delegated token is accepted (fakeAdminAuth(adminEmail) makes it). */
  adminEmail: string;
  /**
   * Also accept the sandbox's fixed delegated token (sandboxDelegatedToken) for the admin with the API's read-only
   * scope, as the sandbox sends it to the local Workspace client. Only the demo's client sets this.
   */
  acceptSandboxDelegation?: boolean;
  /** Items per page when the caller asks for more (so paging is exercised). Default 2. */
  pageSize?: number;
  /** At most `requests` per `perMs`, measured on `now` (the test's clock); beyond it, 429 with Retry-After. */
  quota?: { requests: number; perMs: number };
  now?: () => number;
  /** Port on 127.0.0.1; default any free one. */
  port?: number;
}

export interface FakeGoogleAdmin {
  /** The origin to give googleapis as rootUrl. */
  rootUrl: string;
  calls: FakeGoogleCall[];
  /**
   * Creates an account. By default the Reports log gets its CREATE_USER event at the creation time; `event: false`
   * is an account the log never showed (the reconcile's case), `event: 'later'` one whose event is added by addEvent.
   */
  addUser(user: { email: string; fullName?: string; orgUnitPath?: string; creationTime: string; suspended?: boolean; id?: string; title?: string; department?: string }, options?: { event?: boolean }): FakeGoogleUser;
  /** Adds a CREATE_USER event (e.g. one Google logged late, with an earlier time). */
  addEvent(email: string, time: string): FakeGoogleEvent;
  updateUser(id: string, changes: Partial<Omit<FakeGoogleUser, 'id'>>): void;
  /** The next `count` requests (of one API, or any) answer `status` (with Retry-After when given). */
  failNext(status: number, count?: number, options?: { api?: 'reports' | 'directory'; retryAfterSeconds?: number }): void;
  /** An API refuses every request with 403 as Google does when the delegation lacks its scope. */
  refuse(api: 'reports' | 'directory', refused?: boolean): void;
  close(): Promise<void>;
}

const REPORTS_PATH = '/admin/reports/v1/activity/users/all/applications/admin';
const USERS_PATH = '/admin/directory/v1/users';

/** The bearer token the fake expects for `subject`: a real JWT exchange cannot be pointed at a local server. */
export function fakeAdminToken(subject: string): string {
  return `fake-google-admin-token:${subject.toLowerCase()}`;
}

/** A googleapis auth client for the school's admin, as the wiring's auth factory returns. */
export function fakeAdminAuth(subject: string): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: fakeAdminToken(subject), expiry_date: Date.now() + 24 * 3_600_000 });
  return client;
}

export async function startFakeGoogleAdmin(options: FakeGoogleAdminOptions): Promise<FakeGoogleAdmin> {
  const pageSize = options.pageSize ?? 2;
  const now = options.now ?? Date.now;
  const users: FakeGoogleUser[] = [];
  const events: FakeGoogleEvent[] = [];
  const calls: FakeGoogleCall[] = [];
  const failures: { status: number; count: number; api?: 'reports' | 'directory'; retryAfterSeconds?: number }[] = [];
  const refused = new Set<'reports' | 'directory'>();
  const requestTimes: number[] = [];
  let nextId = 100_000_000_000_000_000_000n;
  let nextQualifier = 4_000_000_000_000_000_000n;

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const googleError = (res: ServerResponse, status: number, message: string, reason: string, headers: Record<string, string> = {}) =>
    json(res, status, { error: { code: status, message, errors: [{ message, domain: 'global', reason }] } }, headers);
  const page = <T>(items: T[], query: Record<string, string>) => {
    const start = Number(query.pageToken ?? '0');
    const size = Math.min(pageSize, Number(query.maxResults ?? pageSize) || pageSize);
    const slice = items.slice(start, start + size);
    return { slice, nextPageToken: start + size < items.length ? String(start + size) : undefined };
  };
  const userResource = (user: FakeGoogleUser) => ({ kind: 'admin#directory#user', etag: '"x"', ...user, customerId: 'C0fake', isMailboxSetup: true });

  /** The sandbox's delegated token for the admin, with the scope this API needs. */
  const sandboxTokenAllows = (authorization: string | undefined, api: 'reports' | 'directory'): boolean => {
    if (!options.acceptSandboxDelegation) return false;
    const token = parseSandboxDelegatedToken(/^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '');
    return token?.subject === options.adminEmail.toLowerCase() && token.scopes.includes(api === 'reports' ? ADMIN_REPORTS_SCOPE : ADMIN_DIRECTORY_USER_SCOPE);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): number => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams.entries());
    const api = url.pathname.startsWith('/admin/reports/') ? 'reports' : url.pathname.startsWith('/admin/directory/') ? 'directory' : undefined;
    if (req.method !== 'GET' || !api) {
      googleError(res, 404, 'Not Found', 'notFound');
      return 404;
    }
    if (req.headers.authorization !== `Bearer ${fakeAdminToken(options.adminEmail)}` && !sandboxTokenAllows(req.headers.authorization, api)) {
      googleError(res, 401, 'Request had invalid authentication credentials.', 'authError');
      return 401;
    }
    if (options.quota) {
      const at = now();
      while (requestTimes.length && requestTimes[0]! <= at - options.quota.perMs) requestTimes.shift();
      if (requestTimes.length >= options.quota.requests) {
        const retryAfter = Math.max(1, Math.ceil((requestTimes[0]! + options.quota.perMs - at) / 1000));
        googleError(res, 429, 'Quota exceeded for quota metric', 'rateLimitExceeded', { 'retry-after': String(retryAfter) });
        return 429;
      }
      requestTimes.push(at);
    }
    const failure = failures.find((entry) => entry.count > 0 && (!entry.api || entry.api === api));
    if (failure) {
      failure.count -= 1;
      googleError(res, failure.status, 'Injected failure', failure.status === 429 ? 'rateLimitExceeded' : 'backendError', failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {});
      return failure.status;
    }
    if (refused.has(api)) {
      googleError(res, 403, 'Not Authorized to access this resource/api', 'forbidden');
      return 403;
    }
    if (url.pathname === REPORTS_PATH) {
      if (query.eventName !== 'CREATE_USER') {
        googleError(res, 400, 'DSL Desk only ever asks for CREATE_USER', 'invalid');
        return 400;
      }
      const since = query.startTime ? Date.parse(query.startTime) : 0;
      const matching = events.filter((event) => Date.parse(event.time) >= since).sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || b.uniqueQualifier.localeCompare(a.uniqueQualifier));
      const { slice, nextPageToken } = page(matching, query);
      json(res, 200, {
        kind: 'admin#reports#activities',
        etag: '"e"',
        items: slice.map((event) => ({
          kind: 'admin#reports#activity',
          id: { time: event.time, uniqueQualifier: event.uniqueQualifier, applicationName: 'admin', customerId: 'C0fake' },
          actor: { callerType: 'USER', email: options.adminEmail, profileId: '1' },
          ipAddress: '192.0.2.1',
          events: [{ type: 'USER_SETTINGS', name: 'CREATE_USER', parameters: [{ name: 'USER_EMAIL', value: event.email }] }],
        })),
        ...(nextPageToken ? { nextPageToken } : {}),
      });
      return 200;
    }
    if (url.pathname === USERS_PATH) {
      if (query.customer !== 'my_customer') {
        googleError(res, 400, 'Bad Request', 'badRequest');
        return 400;
      }
      const sorted = [...users].sort((a, b) => a.primaryEmail.localeCompare(b.primaryEmail));
      const { slice, nextPageToken } = page(sorted, query);
      json(res, 200, { kind: 'admin#directory#users', etag: '"u"', users: slice.map(userResource), ...(nextPageToken ? { nextPageToken } : {}) });
      return 200;
    }
    if (url.pathname.startsWith(`${USERS_PATH}/`)) {
      const key = decodeURIComponent(url.pathname.slice(USERS_PATH.length + 1)).toLowerCase();
      const user = users.find((candidate) => candidate.id === key || candidate.primaryEmail === key);
      if (!user) {
        googleError(res, 404, 'Resource Not Found: userKey', 'notFound');
        return 404;
      }
      json(res, 200, userResource(user));
      return 200;
    }
    googleError(res, 404, 'Not Found', 'notFound');
    return 404;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const status = handle(req, res);
    calls.push({ method: req.method ?? 'GET', path: decodeURIComponent(url.pathname), query: Object.fromEntries(url.searchParams.entries()), status });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  const addEvent = (email: string, time: string): FakeGoogleEvent => {
    nextQualifier += 1n;
    const event = { time: new Date(Date.parse(time)).toISOString(), uniqueQualifier: String(nextQualifier), email: email.toLowerCase() };
    events.push(event);
    return event;
  };

  return {
    rootUrl: `http://127.0.0.1:${port}/`,
    calls,
    addUser(input, addOptions = {}) {
      nextId += 1n;
      const [givenName = '', ...rest] = (input.fullName ?? input.email.split('@')[0]!).split(' ');
      const user: FakeGoogleUser = {
        id: input.id ?? String(nextId),
        primaryEmail: input.email.toLowerCase(),
        name: { givenName, familyName: rest.join(' '), fullName: input.fullName ?? input.email.split('@')[0]! },
        orgUnitPath: input.orgUnitPath ?? '/Staff',
        creationTime: new Date(Date.parse(input.creationTime)).toISOString(),
        suspended: input.suspended ?? false,
        archived: false,
        isAdmin: false,
        ...(input.title || input.department ? { organizations: [{ primary: true, ...(input.title ? { title: input.title } : {}), ...(input.department ? { department: input.department } : {}) }] } : {}),
      };
      users.push(user);
      if (addOptions.event !== false) addEvent(user.primaryEmail, user.creationTime);
      return user;
    },
    addEvent,
    updateUser(id, changes) {
      const user = users.find((candidate) => candidate.id === id);
      if (!user) throw new Error(`no fake Google user ${id}`);
      Object.assign(user, changes);
    },
    failNext(status, count = 1, failOptions = {}) {
      failures.push({ status, count, ...failOptions });
    },
    refuse(api, isRefused = true) {
      if (isRefused) refused.add(api);
      else refused.delete(api);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
