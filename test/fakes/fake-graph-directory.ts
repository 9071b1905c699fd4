import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeIdentityProvider } from './fake-identity-provider.ts';

/** An account as the fake directory holds it, in Graph's own shapes (the hire date is an instant, as Graph keeps it). */
export interface FakeDirectoryUser {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  mail: string | null;
  department: string | null;
  jobTitle: string | null;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
  employeeHireDate: string | null;
  assignedLicenses: { skuId: string; disabledPlans: string[] }[];
  managerId: string | null;
}

/** How Teams answers installing the app for one person. */
export type InstallBehaviour = 'ok' | 'conflict' | 'blocked' | 'no_licence' | 'not_found';

export interface FakeDirectoryCall {
  method: string;
  /** The path as Graph routes it (decoded), without the query. */
  path: string;
  query: string;
  status: number;
  /** The Prefer header, when one was sent. */
  prefer?: string;
}

export interface FakeGraphDirectoryOptions {
  /** Accounts per users/delta page. Default 2, so callers must follow @odata.nextLink as for a real school. */
  pageSize?: number;
  /** The Teams app's id in the tenant's app catalogue. */
  catalogAppId?: string;
  /** The bot's Microsoft App ID, which 1:1 bot chat ids carry. */
  botAppId?: string;
  /**
   * Application permissions the school granted beyond those in the token. The shared fake identity provider
   * issues the mail features' fixed role set, so the Teams installation role is granted here by default.
   */
  extraRoles?: string[];
  /**
   * With only TeamsAppInstallation.ReadWriteSelfForUser.All an Entra app may install just the Teams app that
   * names it (webApplicationInfo.id). When set, tokens whose azp differs are refused as Teams refuses them.
   */
  teamsAppEntraId?: string;
}

export interface FakeGraphDirectory {
  url: string;
  catalogAppId: string;
  botAppId: string;
  /** Adds an account (a fresh id unless one is given) and returns it as stored. */
  addUser(user?: Partial<FakeDirectoryUser>): FakeDirectoryUser;
  updateUser(id: string, changes: Partial<Omit<FakeDirectoryUser, 'id'>>): void;
  /** 'changed' is a soft delete (restorable from deleted items), 'deleted' a permanent one. */
  removeUser(id: string, reason?: 'changed' | 'deleted'): void;
  /** Every delta and skip token issued so far answers 410 Gone from now on, as after a sync reset. */
  expireDeltaLinks(): void;
  /** The next `times` authorised requests answer `status` (with Retry-After in seconds when given). */
  failNext(status: number, times: number, retryAfterSeconds?: number): void;
  setPageSize(pageSize: number): void;
  setInstallBehaviour(userId: string, behaviour: InstallBehaviour): void;
  isInstalled(userId: string): boolean;
  /** Takes an application permission away (admin consent revoked), whether it came from the token or extraRoles. */
  revokeRole(role: string): void;
  readonly calls: readonly FakeDirectoryCall[];
  close(): Promise<void>;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

const USER_PROPERTIES = ['displayName', 'userPrincipalName', 'mail', 'department', 'jobTitle', 'accountEnabled', 'userType', 'employeeHireDate', 'assignedLicenses'] as const;
const READ_ROLES = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const INSTALL_ROLES = ['TeamsAppInstallation.ReadWriteSelfForUser.All', 'TeamsAppInstallation.ReadWriteForUser.All'];

const graphError = (status: number, code: string, message: string, headers?: Record<string, string>): Reply => ({
  status,
  body: { error: { code, message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': randomUUID(), 'client-request-id': randomUUID() } } },
  ...(headers ? { headers } : {}),
});

const encodeToken = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decodeToken = <T>(token: string): T | undefined => {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
};

/**
 * The Microsoft Graph directory and Teams app endpoints DSL Desk calls as itself, on 127.0.0.1: users/delta
 * (full first read, then changes only, with @removed and manager@delta as Graph writes them) and a person's
 * installed Teams apps and the 1:1 chat with the bot. Tokens must be app-only tokens the fake identity
 * provider issued for Graph.
 */
export async function startFakeGraphDirectory(idp: FakeIdentityProvider, options: FakeGraphDirectoryOptions = {}): Promise<FakeGraphDirectory> {
  const catalogAppId = options.catalogAppId ?? randomUUID();
  const botAppId = options.botAppId ?? randomUUID();
  const extraRoles = options.extraRoles ?? ['TeamsAppInstallation.ReadWriteSelfForUser.All'];
  let pageSize = options.pageSize ?? 2;
  const revoked = new Set<string>();
  const calls: FakeDirectoryCall[] = [];

  // The directory, and a log of every change to it, which delta tokens are positions in.
  const users = new Map<string, FakeDirectoryUser>();
  type LogEntry = { seq: number; id: string; kind: 'created' | 'updated' | 'removed'; properties: string[]; previousManagerId?: string | null; reason?: 'changed' | 'deleted' };
  const log: LogEntry[] = [];
  let seq = 0;
  let generation = 1;
  // A round of reading: its pages are fixed when it starts, as Graph's snapshot is.
  const rounds = new Map<string, { generation: number; items: Record<string, unknown>[]; deltaToken: string; select: string[] }>();

  const behaviours = new Map<string, InstallBehaviour>();
  const installed = new Map<string, Set<string>>();
  const failures: { status: number; remaining: number; retryAfterSeconds?: number }[] = [];
  let baseUrl = '';

  const findUser = (idOrUpn: string) => users.get(idOrUpn) ?? [...users.values()].find((user) => user.userPrincipalName?.toLowerCase() === idOrUpn.toLowerCase());

  function managerDelta(id: string): Record<string, unknown>[] {
    return [{ '@odata.type': '#microsoft.graph.user', id }];
  }

  /** The account with every selected property; never-set ones are null, as Graph sends them. */
  function fullRepresentation(user: FakeDirectoryUser, select: string[]): Record<string, unknown> {
    const item: Record<string, unknown> = {};
    for (const property of USER_PROPERTIES) if (select.length === 0 || select.includes(property)) item[property] = user[property];
    item.id = user.id;
    if (select.includes('manager') && user.managerId) item['manager@delta'] = managerDelta(user.managerId);
    return item;
  }

  /** What changed since `since`, one entry per account, in the order of their latest change. */
  function changesSince(since: number, select: string[], minimal: boolean): Record<string, unknown>[] {
    const byUser = new Map<string, { created: boolean; properties: Set<string>; last: LogEntry; previousManagerId: string | null }>();
    for (const entry of log) {
      if (entry.seq <= since) continue;
      const seen = byUser.get(entry.id) ?? { created: false, properties: new Set<string>(), last: entry, previousManagerId: null };
      if (entry.kind === 'created') seen.created = true;
      for (const property of entry.properties) seen.properties.add(property);
      if (entry.previousManagerId && !seen.previousManagerId) seen.previousManagerId = entry.previousManagerId;
      seen.last = entry;
      byUser.delete(entry.id);
      byUser.set(entry.id, seen);
    }
    const items: Record<string, unknown>[] = [];
    for (const [id, seen] of byUser) {
      if (seen.last.kind === 'removed') {
        items.push({ id, '@removed': { reason: seen.last.reason ?? 'changed' } });
        continue;
      }
      const user = users.get(id);
      if (!user) continue;
      if (seen.created) {
        items.push(fullRepresentation(user, select));
        continue;
      }
      // A change to a property that was not selected does not bring the account into the round.
      const tracked = [...seen.properties].filter((property) => select.length === 0 || select.includes(property === 'managerId' ? 'manager' : property));
      if (tracked.length === 0) continue;
      if (!minimal) {
        items.push(fullRepresentation(user, select));
        continue;
      }
      const item: Record<string, unknown> = {};
      for (const property of tracked) {
        if (property === 'managerId') {
          item['manager@delta'] = user.managerId
            ? managerDelta(user.managerId)
            : seen.previousManagerId
              ? [{ '@odata.type': '#microsoft.graph.user', id: seen.previousManagerId, '@removed': { reason: 'deleted' } }]
              : [];
        } else {
          item[property] = user[property as (typeof USER_PROPERTIES)[number]];
        }
      }
      item.id = id;
      items.push(item);
    }
    return items;
  }

  function page(roundId: string, offset: number): Reply {
    const round = rounds.get(roundId);
    if (!round) return graphError(400, 'Request_BadRequest', 'Invalid skip token.');
    if (round.generation !== generation) return resetReply();
    const items = round.items.slice(offset, offset + pageSize);
    const more = offset + pageSize < round.items.length;
    const select = round.select;
    return {
      status: 200,
      body: {
        '@odata.context': `${baseUrl}/v1.0/$metadata#users${select.length ? `(${select.filter((p) => p !== 'manager').join(',')})` : ''}`,
        ...(more ? { '@odata.nextLink': `${baseUrl}/v1.0/users/delta?$skiptoken=${encodeToken({ r: roundId, o: offset + pageSize })}` } : { '@odata.deltaLink': `${baseUrl}/v1.0/users/delta?$deltatoken=${round.deltaToken}` }),
        value: items,
      },
    };
  }

  /** Graph's sync reset: 410 Gone, with the initial query in Location. */
  function resetReply(): Reply {
    return graphError(410, 'syncStateNotFound', 'The sync state is no longer valid. Start a full synchronization.', { location: `${baseUrl}/v1.0/users/delta?$deltatoken=` });
  }

  function startRound(items: Record<string, unknown>[], select: string[]): Reply {
    const roundId = randomUUID();
    rounds.set(roundId, { generation, items, deltaToken: encodeToken({ g: generation, s: seq, sel: select }), select });
    return page(roundId, 0);
  }

  function answerDelta(url: URL, prefer: string): Reply {
    for (const unsupported of ['$expand', '$top', '$orderby']) {
      if (url.searchParams.has(unsupported)) return graphError(400, 'Request_UnsupportedQuery', `Unsupported query option '${unsupported}' on delta.`);
    }
    const minimal = /return=minimal/i.test(prefer);
    const skipToken = url.searchParams.get('$skiptoken');
    if (skipToken !== null) {
      const position = decodeToken<{ r: string; o: number }>(skipToken);
      return position ? page(position.r, position.o) : graphError(400, 'Request_BadRequest', 'Invalid skip token.');
    }
    const deltaToken = url.searchParams.get('$deltatoken');
    if (deltaToken) {
      const state = decodeToken<{ g: number; s: number; sel: string[] }>(deltaToken);
      if (!state) return graphError(400, 'Request_BadRequest', 'Invalid delta token.');
      if (state.g !== generation) return resetReply();
      return startRound(changesSince(state.s, state.sel, minimal), state.sel);
    }
    const select = (url.searchParams.get('$select') ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '' && p !== 'id');
    return startRound([...users.values()].map((user) => fullRepresentation(user, select)), select);
  }

  const installationId = (userId: string, appId: string) => Buffer.from(`${userId}##${appId}`).toString('base64');

  async function answerTeamwork(request: IncomingMessage, segments: string[], url: URL, roles: string[], azp: string): Promise<Reply | undefined> {
    // segments: users, {id}, teamwork, installedApps[, {installationId}[, chat]]
    const [, idOrUpn, teamwork, installedApps, installation, chat, ...rest] = segments;
    if (teamwork !== 'teamwork' || installedApps !== 'installedApps' || rest.length > 0 || (chat !== undefined && chat !== 'chat')) return undefined;
    if (!roles.some((role) => INSTALL_ROLES.includes(role))) {
      return graphError(403, 'Forbidden', `Missing role permissions on the request. API requires one of '${INSTALL_ROLES.join(', ')}'. Roles on the request '${roles.join(', ')}'.`);
    }
    const user = findUser(idOrUpn ?? '');
    const behaviour = (user && behaviours.get(user.id)) ?? behaviours.get(idOrUpn ?? '') ?? (user ? 'ok' : 'not_found');
    if (behaviour === 'not_found' || !user) return graphError(404, 'NotFound', `User Id '${idOrUpn}' not found.`);
    const apps = installed.get(user.id) ?? new Set<string>();

    if (request.method === 'POST' && installation === undefined) {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      let bind: unknown;
      try {
        bind = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)['teamsApp@odata.bind'];
      } catch {
        return graphError(400, 'BadRequest', 'Unable to read JSON request payload.');
      }
      const appId = typeof bind === 'string' ? /\/appCatalogs\/teamsApps\/([^/]+)$/.exec(bind)?.[1] : undefined;
      if (!appId) return graphError(400, 'BadRequest', 'Invalid bind property name teamsApp in request.');
      if (decodeURIComponent(appId) !== catalogAppId) return graphError(404, 'NotFound', `The app '${decodeURIComponent(appId)}' was not found in the app catalog.`);
      const selfOnly = !roles.includes('TeamsAppInstallation.ReadWriteForUser.All');
      if (selfOnly && options.teamsAppEntraId && azp !== options.teamsAppEntraId) return graphError(403, 'Forbidden', `AAD App Id '${azp}' is not allowed to manage the Teams App '${catalogAppId}'.`);
      if (behaviour === 'no_licence') return graphError(403, 'Forbidden', 'Failed to get license information for the user. Ensure user has a valid Office365 license assigned to them.');
      if (behaviour === 'blocked') return graphError(403, 'Forbidden', 'App is blocked by app permission policy. AppType: Private');
      if (apps.has(catalogAppId)) {
        return graphError(409, 'Conflict', 'The app is already installed for this user.');
      }
      apps.add(catalogAppId);
      installed.set(user.id, apps);
      return { status: 201 };
    }
    if (request.method !== 'GET') return graphError(405, 'MethodNotAllowed', 'The method is not allowed on this resource.');
    if (behaviour === 'no_licence') return graphError(403, 'Forbidden', 'Failed to get license information for the user. Ensure user has a valid Office365 license assigned to them.');
    if (installation === undefined) {
      const wanted = /^teamsApp\/id eq '(.*)'$/.exec(url.searchParams.get('$filter') ?? '')?.[1]?.replaceAll("''", "'");
      const expand = url.searchParams.get('$expand') === 'teamsApp';
      const value = [...apps]
        .filter((appId) => wanted === undefined || appId === wanted)
        .map((appId) => ({
          id: installationId(user.id, appId),
          ...(expand ? { teamsApp: { id: appId, externalId: botAppId, displayName: 'DSL Desk', distributionMethod: 'organization' } } : {}),
        }));
      return { status: 200, body: { '@odata.context': `${baseUrl}/v1.0/$metadata#users('${user.id}')/teamwork/installedApps`, value } };
    }
    const appId = [...apps].find((candidate) => installationId(user.id, candidate) === installation);
    if (!appId) return graphError(404, 'NotFound', 'Resource not found.');
    if (chat === undefined) return { status: 200, body: { id: installation } };
    const now = new Date().toISOString();
    return {
      status: 200,
      body: {
        '@odata.context': `${baseUrl}/v1.0/$metadata#chats/$entity`,
        // A 1:1 chat with a bot is named after the person's object id and the bot's app id.
        id: `19:${user.id}_${botAppId}@unq.gbl.spaces`,
        topic: null,
        createdDateTime: now,
        lastUpdatedDateTime: now,
        chatType: 'oneOnOne',
        webUrl: `https://teams.microsoft.com/l/chat/19%3A${user.id}_${botAppId}%40unq.gbl.spaces/0?tenantId=fake`,
        tenantId: null,
        onlineMeetingInfo: null,
        viewpoint: null,
      },
    };
  }

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const segments = url.pathname.split('/').filter((segment) => segment !== '').map((segment) => decodeURIComponent(segment));
    const path = `/${segments.join('/')}`;
    const prefer = typeof request.headers.prefer === 'string' ? request.headers.prefer : '';
    const send = ({ status, body, headers }: Reply) => {
      calls.push({ method: request.method ?? 'GET', path, query: url.search, status, ...(prefer ? { prefer } : {}) });
      response.writeHead(status, { ...(body !== undefined ? { 'content-type': 'application/json; odata.metadata=minimal' } : {}), ...headers });
      response.end(body !== undefined ? JSON.stringify(body) : undefined);
    };
    try {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      let roles: string[];
      let azp: string;
      try {
        const claims = await idp.verifyIssuedToken(token ?? '');
        if (claims.aud !== 'https://graph.microsoft.com') throw new Error('audience');
        roles = Array.isArray(claims.roles) ? (claims.roles as string[]) : [];
        azp = String(claims.azp ?? '');
      } catch {
        return send(graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.'));
      }
      if (roles.length === 0) return send(graphError(401, 'InvalidAuthenticationToken', 'Either scp or roles claim need to be present in the token.'));
      const effective = [...new Set([...roles, ...extraRoles])].filter((role) => !revoked.has(role));

      const failure = failures[0];
      if (failure) {
        failure.remaining -= 1;
        if (failure.remaining <= 0) failures.shift();
        const code = failure.status === 429 ? 'TooManyRequests' : failure.status === 503 ? 'ServiceUnavailable' : failure.status === 504 ? 'GatewayTimeout' : 'InternalServerError';
        return send(graphError(failure.status, code, 'The service is busy. Retry the request later.', failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : undefined));
      }

      if (request.method === 'GET' && path === '/v1.0/users/delta') {
        if (!effective.some((role) => READ_ROLES.includes(role))) return send(graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'));
        return send(answerDelta(url, prefer));
      }
      if (segments[0] === 'v1.0' && segments[1] === 'users') {
        const reply = await answerTeamwork(request, segments.slice(1), url, effective, azp);
        if (reply) return send(reply);
      }
      return send(graphError(404, 'ResourceNotFound', 'Resource not found for the segment.'));
    } catch {
      return send(graphError(500, 'InternalServerError', 'The fake failed.'));
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const record = (entry: Omit<LogEntry, 'seq'>) => {
    seq += 1;
    log.push({ ...entry, seq });
  };

  return {
    url: baseUrl,
    catalogAppId,
    botAppId,
    calls,
    addUser(input = {}) {
      const user: FakeDirectoryUser = {
        id: randomUUID(),
        displayName: null,
        userPrincipalName: null,
        mail: null,
        department: null,
        jobTitle: null,
        accountEnabled: true,
        userType: 'Member',
        employeeHireDate: null,
        assignedLicenses: [],
        managerId: null,
        ...input,
      };
      users.set(user.id, user);
      record({ id: user.id, kind: 'created', properties: [] });
      return user;
    },
    updateUser(id, changes) {
      const user = users.get(id);
      if (!user) throw new Error(`fake directory: no account ${id}`);
      const previousManagerId = user.managerId;
      Object.assign(user, changes);
      record({ id, kind: 'updated', properties: Object.keys(changes), ...('managerId' in changes ? { previousManagerId } : {}) });
    },
    removeUser(id, reason = 'changed') {
      if (!users.delete(id)) throw new Error(`fake directory: no account ${id}`);
      record({ id, kind: 'removed', properties: [], reason });
    },
    expireDeltaLinks() {
      generation += 1;
    },
    failNext(status, times, retryAfterSeconds) {
      if (times <= 0) return;
      failures.push({ status, remaining: times, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
    },
    setPageSize(size) {
      pageSize = size;
    },
    setInstallBehaviour(userId, behaviour) {
      behaviours.set(userId, behaviour);
      // Someone already added the app (or an admin's setup policy pinned it): it is there before DSL Desk asks.
      if (behaviour === 'conflict') installed.set(userId, new Set([...(installed.get(userId) ?? []), catalogAppId]));
    },
    isInstalled(userId) {
      return installed.get(userId)?.has(catalogAppId) ?? false;
    },
    revokeRole(role) {
      revoked.add(role);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
