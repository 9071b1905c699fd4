import { JWT, OAuth2Client } from 'google-auth-library';
import { admin, type admin_directory_v1, type admin_reports_v1 } from 'googleapis/build/src/apis/admin/index.js';
import { AppError } from '../../domain/errors.ts';
import { googleRetryAfter, googleStatusOf, googleTokenErrorOf, isGoogleRateLimit, TRANSIENT_GOOGLE_STATUSES } from './google-api-errors.ts';
import { ADMIN_DIRECTORY_USER_SCOPE, ADMIN_REPORTS_SCOPE, sandboxDelegatedToken } from '../../domain/google-workspace.ts';
import type { CreatedUserEvent, WorkspaceAdmin, WorkspaceDirectory, WorkspaceUser } from '../../domain/google-directory.ts';

/**
 * Signs calls as `subject` (the school's Workspace admin, or a mailbox) with `scopes` (default: the two read-only
 * Admin SDK scopes). Production: a service-account JWT with `subject` and `scopes`; tests: a fixed token.
 */
export type GoogleAdminAuthFactory = (subject: string, scopes?: readonly string[]) => OAuth2Client;

/** The Admin SDK reads' scopes: what the factory signs for when none are given. */
export const ADMIN_SDK_SCOPES: readonly string[] = [ADMIN_REPORTS_SCOPE, ADMIN_DIRECTORY_USER_SCOPE];

export interface GoogleWorkspaceDirectoryOptions {
  authFor: GoogleAdminAuthFactory;
  /** https://admin.googleapis.com/ in production; a local fake in the tests (origin only). */
  rootUrl: string;
  /** Per request; a slow Google is tried again at the next poll. Default 30 s. */
  timeoutMs?: number;
  /** Page sizes (Google's maxima are 1,000 events and 500 users). */
  eventsPageSize?: number;
  usersPageSize?: number;
}

/** The fields DSL Desk reads of an account: nothing else (no phone numbers, addresses or recovery details). */
const USER_FIELDS = 'id,primaryEmail,name/fullName,orgUnitPath,creationTime,suspended,archived,organizations(primary,title,department)';

type ApiName = 'reports' | 'directory';

/**
 * The Admin SDK as the school's Workspace admin, by domain-wide delegation: Reports `activities.list` for
 * CREATE_USER events and Directory `users.get` / `users.list`. Each call is made once (googleapis' own retries
 * are off): throttling and faults become `unavailable` with Google's Retry-After, for the scheduler to honour
 * at its next poll; a refusal becomes `forbidden`, naming the scope and the Admin console setting to fix. No
 * error carries Google's own message or the admin's address.
 */
export function createGoogleWorkspaceDirectory(options: GoogleWorkspaceDirectoryOptions): WorkspaceDirectory {
  const timeout = options.timeoutMs ?? 30_000;
  const clients = new Map<string, { reports: admin_reports_v1.Admin; directory: admin_directory_v1.Admin }>();
  const clientsFor = (subject: string) => {
    let found = clients.get(subject);
    if (!found) {
      const auth = options.authFor(subject);
      // Node's own fetch: gaxios would otherwise load node-fetch by a dynamic import on the first call.
      const common = { auth, rootUrl: options.rootUrl, timeout, retry: false, fetchImplementation: fetch };
      found = { reports: admin({ version: 'reports_v1', ...common }), directory: admin({ version: 'directory_v1', ...common }) };
      clients.set(subject, found);
    }
    return found;
  };
  const call = async <T>(api: ApiName, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw describeGoogleAdminError(api, error);
    }
  };

  const listUsersPage = async (target: WorkspaceAdmin, pageToken: string | null): Promise<{ users: WorkspaceUser[]; nextPageToken: string | null }> => {
    const { directory } = clientsFor(target.adminEmail);
    const { data } = await call('directory', () =>
      directory.users.list({
        customer: 'my_customer',
        projection: 'basic',
        maxResults: options.usersPageSize ?? 500,
        fields: `nextPageToken,users(${USER_FIELDS})`,
        ...(pageToken ? { pageToken } : {}),
      }),
    );
    const users: WorkspaceUser[] = [];
    for (const entry of data.users ?? []) {
      const user = workspaceUserOf(entry);
      if (user) users.push(user);
    }
    return { users, nextPageToken: data.nextPageToken ?? null };
  };


  return {
    async createdUserEvents(target: WorkspaceAdmin, startTime: string): Promise<CreatedUserEvent[]> {
      const { reports } = clientsFor(target.adminEmail);
      const events: CreatedUserEvent[] = [];
      let pageToken: string | undefined;
      do {
        const { data } = await call('reports', () =>
          reports.activities.list({
            userKey: 'all',
            applicationName: 'admin',
            eventName: 'CREATE_USER',
            startTime,
            maxResults: options.eventsPageSize ?? 1000,
            ...(pageToken ? { pageToken } : {}),
          }),
        );
        for (const activity of data.items ?? []) events.push(...createdUsersOf(activity));
        pageToken = data.nextPageToken ?? undefined;
      } while (pageToken);
      return events;
    },

    async getUser(target: WorkspaceAdmin, userKey: string): Promise<WorkspaceUser | undefined> {
      const { directory } = clientsFor(target.adminEmail);
      try {
        const { data } = await directory.users.get({ userKey, projection: 'basic', fields: USER_FIELDS });
        return workspaceUserOf(data);
      } catch (error) {
        // Deleted (or renamed) since the event: nobody to welcome under that address.
        if (googleStatusOf(error) === 404) return undefined;
        throw describeGoogleAdminError('directory', error);
      }
    },

    listUsersPage,

    async listUsers(target: WorkspaceAdmin, onPage: (users: WorkspaceUser[]) => Promise<void>): Promise<void> {
      let pageToken: string | null = null;
      do {
        const page: { users: WorkspaceUser[]; nextPageToken: string | null } = await listUsersPage(target, pageToken);
        await onPage(page.users);
        pageToken = page.nextPageToken;
      } while (pageToken);
    },
  };
}

/**
 * A service-account JWT client per subject and scopes, from the key file's JSON: `subject` = the admin (or the
 * mailbox) it acts as. Google's token endpoint grants it only when the Workspace admin has authorised the service
 * account's client ID for exactly these scopes (domain-wide delegation). Clients are kept (with their tokens) for
 * the most recent subjects only: a removal opens every mailbox of a school once.
 */
export function serviceAccountAdminAuth(key: { client_email: string; private_key: string }, options: { keep?: number } = {}): GoogleAdminAuthFactory {
  const keep = options.keep ?? 500;
  const clients = new Map<string, JWT>();
  return (subject, scopes = ADMIN_SDK_SCOPES) => {
    const cacheKey = `${[...scopes].sort().join(' ')}|${subject.toLowerCase()}`;
    let client = clients.get(cacheKey);
    if (client) {
      // Most recently used last, so the oldest is the first to go.
      clients.delete(cacheKey);
    } else {
      client = new JWT({ email: key.client_email, key: key.private_key, scopes: [...scopes], subject });
      if (clients.size >= keep) clients.delete(clients.keys().next().value!);
    }
    clients.set(cacheKey, client);
    return client;
  };
}

/**
 * The sandbox's delegation, for the local Workspace client's fakes only: a fixed token per subject and scopes
 * (sandboxDelegatedToken), never a call to Google's token endpoint. The wiring chooses it only in the sandbox with
 * no service-account key and both Google API roots on this machine.
 */
export function sandboxDelegationAuth(): GoogleAdminAuthFactory {
  return (subject, scopes = ADMIN_SDK_SCOPES) => {
    const client = new OAuth2Client({ transporterOptions: { fetchImplementation: (input: Parameters<typeof fetch>[0], init?: RequestInit) => fetch(input, init) } });
    client.setCredentials({ access_token: sandboxDelegatedToken(subject, scopes), expiry_date: Date.now() + 10 * 365 * 24 * 3_600_000 });
    return client;
  };
}

/** Each CREATE_USER event of one activity: its key (the activity's time and unique qualifier, and its place) and the new account's email. */
export function createdUsersOf(activity: admin_reports_v1.Schema$Activity): CreatedUserEvent[] {
  const time = activity.id?.time;
  const qualifier = activity.id?.uniqueQualifier;
  if (!time || !qualifier || Number.isNaN(Date.parse(time))) return [];
  const found: CreatedUserEvent[] = [];
  (activity.events ?? []).forEach((event, index) => {
    if (event.name !== 'CREATE_USER') return;
    const email = event.parameters?.find((parameter) => parameter.name === 'USER_EMAIL')?.value;
    if (typeof email === 'string' && email.includes('@')) found.push({ key: `${time}/${qualifier}/${index}`, time: new Date(Date.parse(time)).toISOString(), email: email.trim().toLowerCase() });
  });
  return found;
}

/** A Directory user as DSL Desk keeps it; entries without an id or address are not accounts. */
export function workspaceUserOf(user: admin_directory_v1.Schema$User): WorkspaceUser | undefined {
  if (!user.id || !user.primaryEmail) return undefined;
  const organisations = Array.isArray(user.organizations) ? (user.organizations as { primary?: boolean; title?: string; department?: string }[]) : [];
  const organisation = organisations.find((entry) => entry?.primary) ?? organisations[0];
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);
  const created = text(user.creationTime);
  return {
    id: user.id,
    primaryEmail: user.primaryEmail.trim().toLowerCase(),
    fullName: text(user.name?.fullName),
    orgUnitPath: text(user.orgUnitPath) ?? '/',
    creationTime: created && !Number.isNaN(Date.parse(created)) ? new Date(Date.parse(created)).toISOString() : null,
    suspended: user.suspended === true,
    archived: user.archived === true,
    department: text(organisation?.department),
    jobTitle: text(organisation?.title),
  };
}

const SCOPE_OF: Record<ApiName, string> = { reports: ADMIN_REPORTS_SCOPE, directory: ADMIN_DIRECTORY_USER_SCOPE };
const API_OF: Record<ApiName, string> = { reports: 'Admin SDK Reports API', directory: 'Admin SDK Directory API' };

/** What the operator (and the school's IT) is told when Google refuses the delegated admin. */
export function delegationMessage(api: ApiName): string {
  return (
    `Google Workspace refused DSL Desk's access to the ${API_OF[api]}. In the Google Admin console (Security → Access and data control → ` +
    `API controls → Domain-wide delegation) authorise DSL Desk's service account client ID for the scopes ${ADMIN_REPORTS_SCOPE} and ${ADMIN_DIRECTORY_USER_SCOPE} ` +
    `(missing here: ${SCOPE_OF[api]}), and check that the school's Google admin email set in DSL Desk is an active administrator allowed to read users and reports.`
  );
}

const UNAVAILABLE = 'Google Workspace did not answer DSL Desk’s directory read; it will be tried again at the next poll.';

/**
 * Sorts a googleapis (gaxios) or token failure: a refused delegation (403, 401, or the token endpoint's
 * `unauthorized_client` / `access_denied` / `invalid_grant`) needs an operator; anything else is tried later.
 */
export function describeGoogleAdminError(api: ApiName, error: unknown): AppError {
  if (error instanceof AppError) return error;
  const status = googleStatusOf(error);
  const tokenError = googleTokenErrorOf(error);
  const internal = `${api}: google ${status ?? 'unreachable'}${tokenError ? ` ${tokenError}` : ''}`;
  if (tokenError === 'unauthorized_client' || tokenError === 'access_denied' || tokenError === 'invalid_grant' || tokenError === 'invalid_scope' || status === 401 || status === 403) {
    // Google also says 403 for a quota (reason rateLimitExceeded / userRateLimitExceeded): that one passes.
    if (isGoogleRateLimit(error)) return new AppError('unavailable', UNAVAILABLE, { internal: `${internal} rate limited`, cause: error, ...googleRetryAfter(error) });
    return new AppError('forbidden', delegationMessage(api), { internal, cause: error });
  }
  if (status === undefined || TRANSIENT_GOOGLE_STATUSES.has(status)) return new AppError('unavailable', UNAVAILABLE, { internal, cause: error, ...googleRetryAfter(error) });
  return new AppError('unavailable', `Google Workspace refused DSL Desk’s directory read (HTTP ${status}); it will be tried again at the next poll.`, { internal, cause: error });
}
