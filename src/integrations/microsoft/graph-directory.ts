import {
  DirectoryRefusal,
  type DirectoryReader,
  type DirectoryRefusalCode,
  type DirectoryUserChange,
  type InstallOutcome,
  type TeamsAppInstaller,
} from '../../domain/directory.ts';
import { AppError, isAppError } from '../../domain/errors.ts';
import { DEFAULT_TIME_ZONE } from '../../domain/time-zone.ts';
import { createGraphAppClient, isTransientTokenFailure, type GraphAppCredentials } from './graph-app-client.ts';

export interface GraphDirectoryOptions extends GraphAppCredentials {
  /** Retries of one request after throttling (429), a gateway or server failure (5xx) or a network error. Default 5. */
  maxRetries?: number;
  /** A Retry-After longer than this is not waited out: the read or install gives up and says when to come back. Default 2 minutes. */
  maxRetryWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * What DSL Desk tracks about every account. users/delta takes no $expand (nor $top nor $orderby); the
 * manager is tracked by selecting the `manager` navigation property, which Graph answers with a
 * `manager@delta` annotation. assignedLicenses is selected only to count licences.
 */
const SELECTED = ['id', 'displayName', 'userPrincipalName', 'mail', 'department', 'jobTitle', 'accountEnabled', 'userType', 'employeeHireDate', 'assignedLicenses', 'manager', 'companyName', 'officeLocation', 'onPremisesExtensionAttributes'];
export const USERS_DELTA_PATH = `/v1.0/users/delta?$select=${SELECTED.join(',')}`;

const READ_FORBIDDEN = 'DSL Desk cannot read the school’s directory yet. Ask IT to grant admin consent for User.Read.All.';
const READ_UNAVAILABLE = 'Microsoft 365 did not return the school’s directory. DSL Desk will try again later.';
const APP_NOT_IN_CATALOG = 'Microsoft 365 cannot find DSL Desk’s Teams app in the school’s app catalogue. Ask IT to publish it in the Teams admin centre.';
const INSTALL_NOT_ACCEPTED = 'Microsoft 365 did not accept the request to add DSL Desk’s Teams app for this person. Ask IT to check the app in the Teams admin centre.';
const NOT_INSTALLED = 'DSL Desk’s Teams app is not installed for this person yet.';

/** Throttling, and failures of Graph or a gateway in front of it, that the same request can succeed after. */
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
/** Error codes with which Graph says a delta or skip token can no longer be used and a full read is needed. */
const RESYNC_CODES = new Set(['syncstatenotfound', 'resyncrequired', 'syncstateinvalid']);

type Sent = { response: Response } | { gaveUp: true; retryAfterMs: number; status?: number; cause?: unknown };

/**
 * The school's directory and DSL Desk's Teams app, through Microsoft Graph as DSL Desk itself (application
 * permissions User.Read.All and TeamsAppInstallation.ReadWriteSelfForUser.All, granted by the school's admin).
 * Nothing here logs, and no error carries Graph's own message, which can name the account.
 */
export function createGraphDirectory(options: GraphDirectoryOptions): DirectoryReader & TeamsAppInstaller {
  const client = createGraphAppClient({ ...options, notConsentedMessage: READ_FORBIDDEN });
  const graph = client.graphUrl;
  const maxRetries = options.maxRetries ?? 5;
  const maxRetryWaitMs = options.maxRetryWaitMs ?? 120_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const graphOrigin = new URL(graph).origin;
  // The bearer token goes only to the Graph DSL Desk was configured with, whatever a stored or returned link says.
  const isGraphLink = (link: string) => {
    try {
      return new URL(link).origin === graphOrigin;
    } catch {
      return false;
    }
  };

  /** One request, repeated while Graph is throttling or failing, then handed back or given up on. */
  const send = async (tenantId: string, url: string, init: RequestInit = {}): Promise<Sent> => {
    for (let attempt = 0; ; attempt += 1) {
      let wait: number | undefined;
      let status: number | undefined;
      let cause: unknown;
      try {
        const response = await client.call(tenantId, url, init);
        if (!RETRY_STATUSES.has(response.status)) return { response };
        status = response.status;
        wait = retryAfterMs(response);
        await response.body?.cancel().catch(() => undefined);
      } catch (error) {
        // Entra saying no (no consent, an expired secret) will say no again: only its outages are retried.
        if (isAppError(error) && !isTransientTokenFailure(error)) throw error;
        cause = error;
      }
      const delay = wait ?? backoffMs(attempt);
      if (attempt >= maxRetries || delay > maxRetryWaitMs) return { gaveUp: true, retryAfterMs: delay, ...(status !== undefined ? { status } : {}), cause };
      await sleep(delay);
    }
  };

  /** As send, for the installer: every way of failing becomes a DirectoryRefusal the AUP delivery can record. */
  const sendOrRefuse = async (tenantId: string, url: string, init: RequestInit = {}): Promise<Response> => {
    let sent: Sent;
    try {
      sent = await send(tenantId, url, init);
    } catch (error) {
      throw new DirectoryRefusal('permission_missing', undefined, { detail: 'app-only token refused', cause: error });
    }
    if ('gaveUp' in sent) throw new DirectoryRefusal('unavailable', undefined, { retryable: true, retryAfterMs: sent.retryAfterMs, detail: `graph ${sent.status ?? 'unreachable'} after retries`, cause: sent.cause });
    return sent.response;
  };

  const userPath = (userObjectId: string) => `/v1.0/users/${encodeURIComponent(userObjectId)}/teamwork/installedApps`;

  return {
    async readChanges(tenantId, deltaLink, onPage) {
      const initial = `${graph}${USERS_DELTA_PATH}`;
      let url = initial;
      let resynced = false;
      if (deltaLink !== undefined) {
        // A link for another Graph (the school moved cloud, or the setting changed) cannot be followed: start again.
        if (isGraphLink(deltaLink)) url = deltaLink;
        else resynced = true;
      }
      let restarted = false;
      for (;;) {
        // return=minimal: an updated account arrives with only what changed, which the caller merges.
        const sent = await send(tenantId, url, { headers: { prefer: 'return=minimal' } });
        if ('gaveUp' in sent) throw new AppError('unavailable', READ_UNAVAILABLE, { cause: sent.cause, internal: `users/delta: graph ${sent.status ?? 'unreachable'} after retries` });
        const { response } = sent;
        if (!response.ok) {
          const error = await graphError(response);
          // 410 Gone is Graph's sync reset (maintenance, or a token older than its seven days); the expired-token codes come with other 4xx statuses too.
          if ((response.status === 410 || (response.status >= 400 && response.status < 500 && RESYNC_CODES.has(error.code.toLowerCase()))) && !restarted) {
            restarted = true;
            resynced = true;
            url = initial;
            continue;
          }
          if (response.status === 401 || response.status === 403) throw new AppError('forbidden', READ_FORBIDDEN, { internal: `users/delta: graph ${response.status} ${error.code}` });
          throw new AppError('unavailable', READ_UNAVAILABLE, { internal: `users/delta: graph ${response.status} ${error.code}` });
        }
        const body = (await response.json()) as { value?: unknown; '@odata.nextLink'?: unknown; '@odata.deltaLink'?: unknown };
        if (!Array.isArray(body.value)) throw new AppError('unavailable', READ_UNAVAILABLE, { internal: 'users/delta: page without value' });
        const users: DirectoryUserChange[] = [];
        for (const entry of body.value) {
          const change = parseDirectoryChange(entry);
          if (change) users.push(change);
        }
        await onPage({ users });
        const next = body['@odata.nextLink'];
        if (typeof next === 'string') {
          if (!isGraphLink(next)) throw new AppError('unavailable', READ_UNAVAILABLE, { internal: 'users/delta: nextLink outside Graph' });
          url = next;
          continue;
        }
        const newDeltaLink = body['@odata.deltaLink'];
        if (typeof newDeltaLink === 'string' && isGraphLink(newDeltaLink)) return { deltaLink: newDeltaLink, resynced };
        throw new AppError('unavailable', READ_UNAVAILABLE, { internal: 'users/delta: last page without a usable deltaLink' });
      }
    },

    async installForUser(tenantId, userObjectId, catalogAppId): Promise<InstallOutcome> {
      const response = await sendOrRefuse(tenantId, userPath(userObjectId), {
        method: 'POST',
        body: JSON.stringify({ 'teamsApp@odata.bind': `${graph}/v1.0/appCatalogs/teamsApps/${encodeURIComponent(catalogAppId)}` }),
      });
      if (response.status === 409) {
        await response.body?.cancel().catch(() => undefined);
        return 'already_installed';
      }
      if (response.ok) {
        await response.body?.cancel().catch(() => undefined);
        return 'installed';
      }
      throw await refusalFrom(response);
    },

    async findChatWithApp(tenantId, userObjectId, catalogAppId) {
      // OData string literals escape a quote by doubling it.
      const filter = encodeURIComponent(`teamsApp/id eq '${catalogAppId.replaceAll("'", "''")}'`);
      const list = await sendOrRefuse(tenantId, `${userPath(userObjectId)}?$expand=teamsApp&$filter=${filter}`);
      if (!list.ok) throw await refusalFrom(list);
      const installations = (((await list.json()) as { value?: unknown }).value ?? []) as { id?: unknown; teamsApp?: { id?: unknown } | null }[];
      const installation = Array.isArray(installations)
        ? installations.find((candidate) => typeof candidate?.id === 'string' && (candidate.teamsApp?.id === undefined || candidate.teamsApp.id === catalogAppId))
        : undefined;
      if (!installation) throw new DirectoryRefusal('user_not_found', NOT_INSTALLED, { retryable: true, detail: 'no installation of the app' });
      const chat = await sendOrRefuse(tenantId, `${userPath(userObjectId)}/${encodeURIComponent(String(installation.id))}/chat`);
      if (!chat.ok) throw await refusalFrom(chat);
      const id = ((await chat.json()) as { id?: unknown }).id;
      if (typeof id !== 'string' || id === '') throw new DirectoryRefusal('unavailable', undefined, { retryable: true, detail: 'chat without id' });
      return id;
    },
  };
}

/**
 * One users/delta entry as a change: a property Graph left out stays undefined (unchanged), one it sent as
 * null is null. Entries without an id are not accounts and are skipped.
 */
export function parseDirectoryChange(entry: unknown): DirectoryUserChange | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  const raw = entry as Record<string, unknown>;
  if (typeof raw.id !== 'string' || raw.id === '') return undefined;
  const change: DirectoryUserChange = { objectId: raw.id, removed: raw['@removed'] !== undefined && raw['@removed'] !== null };
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : null);
  if ('userPrincipalName' in raw) change.userPrincipalName = text(raw.userPrincipalName);
  if ('displayName' in raw) change.displayName = text(raw.displayName);
  if ('mail' in raw) change.mail = text(raw.mail);
  if ('department' in raw) change.department = text(raw.department);
  if ('jobTitle' in raw) change.jobTitle = text(raw.jobTitle);
  if ('accountEnabled' in raw) change.accountEnabled = typeof raw.accountEnabled === 'boolean' ? raw.accountEnabled : null;
  if ('userType' in raw) {
    const userType = typeof raw.userType === 'string' ? raw.userType.toLowerCase() : '';
    change.userType = userType === 'member' ? 'Member' : userType === 'guest' ? 'Guest' : null;
  }
  if ('employeeHireDate' in raw) change.employeeHireDate = typeof raw.employeeHireDate === 'string' ? londonDate(raw.employeeHireDate) : null;
  if ('companyName' in raw) change.companyName = text(raw.companyName);
  if ('officeLocation' in raw) change.officeLocation = text(raw.officeLocation);
  if ('onPremisesExtensionAttributes' in raw) {
    const attributes = raw.onPremisesExtensionAttributes;
    change.extensionAttributes =
      attributes && typeof attributes === 'object' ? Object.fromEntries(Object.entries(attributes as Record<string, unknown>).filter(([key]) => /^extensionAttribute\d+$/.test(key)).map(([key, value]) => [key, text(value)])) : null;
  }
  if ('assignedLicenses' in raw) change.licenceCount = Array.isArray(raw.assignedLicenses) ? raw.assignedLicenses.length : null;
  if ('manager@delta' in raw) {
    // A list of links: one without "@removed" sets the manager, one with it takes that manager away. A change
    // of manager can arrive as the new link and the old one's removal, in either order.
    const links = Array.isArray(raw['manager@delta']) ? (raw['manager@delta'] as ({ id?: unknown; '@removed'?: unknown } | null)[]) : [];
    let manager: string | null = null;
    for (const link of links) {
      if (!link || typeof link.id !== 'string') continue;
      if (link['@removed'] === undefined) manager = link.id;
      else if (manager === link.id) manager = null;
    }
    change.managerObjectId = manager;
  } else if ('manager' in raw) {
    const manager = raw.manager as { id?: unknown } | null;
    change.managerObjectId = manager && typeof manager.id === 'string' ? manager.id : null;
  }
  return change;
}

/**
 * Graph holds the hire date as a UTC instant. Entered as a date in the Entra portal it is midnight UTC; synced
 * from an HR system in the UK it is often local midnight, which in summer is 23:00 UTC the day before. The
 * calendar date in UK time is the start date either way. (This reads a date from the directory, before any
 * school is known; it is never shown.)
 */
function londonDate(instant: string): string | null {
  const time = Date.parse(instant);
  if (Number.isNaN(time)) return null;
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: DEFAULT_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(time));
  const part = (type: string) => parts.find((candidate) => candidate.type === type)?.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** 1, 2, 4, 8, 16, then 30 seconds: when Graph gives no Retry-After. */
function backoffMs(attempt: number): number {
  return Math.min(1000 * 2 ** attempt, 30_000);
}

async function graphError(response: Response): Promise<{ code: string; message: string }> {
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    return { code: typeof body?.error?.code === 'string' ? body.error.code : '', message: typeof body?.error?.message === 'string' ? body.error.message : '' };
  } catch {
    return { code: '', message: '' };
  }
}

/**
 * Teams answers a refused installation with 403 Forbidden whatever the reason, so the reason is read from
 * its message: "Failed to get license information for the user…" (no Teams licence), "App is blocked by app
 * permission policy" (the school's Teams policies), "Missing role permissions on the request…" (no consent).
 * 404 NotFound "User Id '…' not found" is a person Teams has not provisioned (yet), or an app id the catalogue
 * does not hold.
 */
async function refusalFrom(response: Response): Promise<DirectoryRefusal> {
  const { code, message } = await graphError(response);
  const detail = `graph ${response.status}${code ? ` ${code}` : ''}`;
  if (response.status === 401 || response.status === 403) return new DirectoryRefusal(forbiddenReason(message), undefined, { detail });
  if (response.status === 404) {
    if (!/\buser\b/i.test(message) && /\bapp\b|teamsapp|catalog/i.test(message)) return new DirectoryRefusal('app_blocked', APP_NOT_IN_CATALOG, { detail });
    return new DirectoryRefusal('user_not_found', undefined, { detail });
  }
  return new DirectoryRefusal('unavailable', INSTALL_NOT_ACCEPTED, { retryable: false, detail });
}

function forbiddenReason(message: string): DirectoryRefusalCode {
  if (/licen[cs]e|teams is disabled|not enabled for teams/i.test(message)) return 'no_teams_licence';
  if (/blocked|permission polic|setup polic|app polic/i.test(message)) return 'app_blocked';
  // Missing role or scope permissions, Authorization_RequestDenied, "not allowed to manage the Teams App", or a
  // bare 403: each needs IT to grant (or fix) DSL Desk's consent.
  return 'permission_missing';
}
