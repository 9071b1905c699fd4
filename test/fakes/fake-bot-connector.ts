import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A member as Teams returns it (TeamsChannelAccount). */
export interface FakeTeamsMember {
  /** The MRI, '29:…'. */
  id: string;
  name: string;
  aadObjectId: string;
  email?: string;
  userPrincipalName?: string;
  givenName?: string;
  surname?: string;
  tenantId?: string;
  /** 'user', 'guest' or 'anonymous' in Teams. */
  userRole?: string;
}

export type ConnectorRoute = 'create' | 'send' | 'reply' | 'update' | 'delete' | 'members' | 'member' | 'pagedMembers' | 'unknown';

/** One request as the fake saw it. */
export interface ConnectorCall {
  /** When it arrived, by the fake's clock (ms). */
  at: number;
  method: string;
  /** The raw path as sent, still URL-encoded. */
  path: string;
  route: ConnectorRoute;
  conversationId?: string;
  activityId?: string;
  memberId?: string;
  tenantId: string;
  /** The Authorization header, if any. */
  authorization?: string;
  body?: unknown;
  status: number;
}

export interface StoredActivity {
  id: string;
  /** The activity as last sent or updated, with its id and conversation filled in. */
  activity: Record<string, unknown>;
  createdAt: number;
  updatedAt?: number;
  /** How many times PUT changed it. */
  edits: number;
}

export interface ConversationStats {
  posts: number;
  updates: number;
  deletes: number;
  throttled: number;
}

export interface ConnectorStats {
  /** Accepted new messages: POSTed activities, replies and conversations created with an activity. */
  posts: number;
  updates: number;
  deletes: number;
  creates: number;
  throttled: number;
  /** Answers forced by failWith. */
  failed: number;
  byConversation: Record<string, ConversationStats>;
}

export interface FailureOptions {
  /** Answer this many times, then behave again. Default: until clearFailures(). */
  times?: number;
  /** Adds a Retry-After header (seconds), as Teams does on some 5xx. */
  retryAfterSeconds?: number;
}

export interface FakeBotConnectorOptions {
  /** Members per conversation id (a team's id gives the team's roster). */
  members?: Record<string, FakeTeamsMember[]>;
  /** Tenant for requests that name none (no conversation.tenantId nor channelData.tenant.id). */
  defaultTenantId?: string;
  /** Fraction of calls answered 429 at random, from a seeded generator so runs repeat. */
  throttleRatio?: number;
  seed?: number;
  /** Answer 401 to calls without `Authorization: Bearer …`. */
  requireAuth?: boolean;
  /** Path prefix of the serviceUrl, like Teams' regional '/emea/'. Default '/'. */
  basePath?: string;
  /** The fake's clock, so tests can cross 30 s and 1 h windows without waiting. */
  now?: () => number;
  /** Requests per second per tenant. Default 50 (Teams' limit per app per tenant). */
  tenantRequestsPerSecond?: number;
}

export interface FakeBotConnector {
  /** The serviceUrl to put in activities; ends with '/'. */
  url: string;
  /** Current versions of the activities in a conversation, oldest first; deleted ones are gone. */
  activities(conversationId: string): Record<string, unknown>[];
  /** The same with ids, timestamps and edit counts. */
  stored(conversationId: string): StoredActivity[];
  readonly calls: readonly ConnectorCall[];
  stats(): ConnectorStats;
  /** Makes every call naming this conversation answer `status` (403 BotNotInConversationRoster by default). For a 1:1 create, name the member id; for a channel post, the channel id. */
  failWith(conversationId: string, status: number, body?: unknown, options?: FailureOptions): void;
  clearFailures(): void;
  setMembers(conversationId: string, members: FakeTeamsMember[]): void;
  /** Forgets activities, calls, windows, failures and counters; members stay. */
  reset(): void;
  close(): Promise<void>;
}

/** Teams' documented limits for one bot in one conversation; POSTs and PUTs count. */
const CONVERSATION_WINDOWS = [
  { limit: 7, perMs: 1000 },
  { limit: 8, perMs: 2000 },
  { limit: 60, perMs: 30_000 },
  { limit: 1800, perMs: 3_600_000 },
] as const;
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const DEFAULT_FAILURES: Record<number, { code: string; message: string }> = {
  403: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' },
  404: { code: 'ConversationNotFound', message: 'Conversation not found.' },
  412: { code: 'PreconditionFailed', message: 'Precondition failed, please try again.' },
  500: { code: 'ServiceError', message: 'Unknown error.' },
  502: { code: 'ServiceError', message: 'Bad gateway.' },
  503: { code: 'ServiceUnavailable', message: 'Service unavailable.' },
  504: { code: 'GatewayTimeout', message: 'Gateway timeout.' },
};

interface Failure {
  status: number;
  body: unknown;
  remaining: number;
  retryAfterSeconds?: number;
}

interface Conversation {
  activities: Map<string, StoredActivity>;
  /** Accepted sends, for the sliding windows. */
  sends: number[];
  tenantId?: string;
}

/** Starts a Bot Connector REST v3 fake on 127.0.0.1 that enforces Teams' rate limits; call close() when done. */
export async function startFakeBotConnector(options: FakeBotConnectorOptions = {}): Promise<FakeBotConnector> {
  const now = options.now ?? Date.now;
  const basePath = normaliseBasePath(options.basePath ?? '/');
  const defaultTenantId = options.defaultTenantId ?? 'fake-tenant';
  const tenantLimit = options.tenantRequestsPerSecond ?? 50;
  const random = mulberry32(options.seed ?? 1);

  const members = new Map<string, FakeTeamsMember[]>(Object.entries(options.members ?? {}));
  let conversations = new Map<string, Conversation>();
  let tenantWindows = new Map<string, number[]>();
  let failures = new Map<string, Failure>();
  let personalChats = new Map<string, string>();
  let calls: ConnectorCall[] = [];
  let stats = emptyStats();
  let nextActivity = 0;
  let nextConversation = 0;

  const conversationOf = (id: string): Conversation => {
    let conversation = conversations.get(id);
    if (!conversation) {
      conversation = { activities: new Map(), sends: [] };
      conversations.set(id, conversation);
    }
    return conversation;
  };
  const statsOf = (id: string): ConversationStats => (stats.byConversation[id] ??= { posts: 0, updates: 0, deletes: 0, throttled: 0 });
  const newActivityId = () => String(1_700_000_000_000 + nextActivity++);

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { code: 'ServiceError', message: String(error) } });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = now();
    const method = request.method ?? 'GET';
    const rawPath = (request.url ?? '/').split('?')[0] ?? '/';
    const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
    const authorization = request.headers.authorization;
    const body = method === 'POST' || method === 'PUT' ? await readJson(request) : undefined;
    const route = routeOf(method, rawPath, basePath);
    const activityBody = route.name === 'create' ? (body as { activity?: unknown } | undefined)?.activity : body;
    const tenantId = tenantOfBody(body) ?? tenantOfBody(activityBody) ?? (route.conversationId ? conversations.get(route.conversationId)?.tenantId : undefined) ?? defaultTenantId;

    const call: ConnectorCall = {
      at,
      method,
      path: rawPath,
      route: route.name,
      tenantId,
      ...(route.conversationId !== undefined ? { conversationId: route.conversationId } : {}),
      ...(route.activityId !== undefined ? { activityId: route.activityId } : {}),
      ...(route.memberId !== undefined ? { memberId: route.memberId } : {}),
      ...(authorization !== undefined ? { authorization } : {}),
      ...(body !== undefined ? { body } : {}),
      status: 0,
    };
    calls.push(call);
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      sendJson(response, status, payload, headers);
    };

    if (options.requireAuth && !/^Bearer \S+$/.test(authorization ?? '')) {
      return answer(401, { message: 'Authorization has been denied for this request.' });
    }
    if (route.name === 'unknown') return answer(404, { error: { code: 'NotFound', message: `No route for ${method} ${rawPath}` } });
    if (body === INVALID_JSON) return answer(400, { error: { code: 'BadSyntax', message: 'The body is not valid JSON.' } });

    // The conversation a call is about, for failWith and the send windows; a create posts into a channel or opens a 1:1.
    const subject = route.name === 'create' ? createSubject(body) : route.conversationId;
    const failure = subject !== undefined ? failures.get(subject) : undefined;
    if (failure && subject !== undefined) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) failures.delete(subject);
      stats.failed += 1;
      return answer(failure.status, failure.body, failure.retryAfterSeconds !== undefined ? { 'Retry-After': String(failure.retryAfterSeconds) } : {});
    }

    const isSend = route.name === 'send' || route.name === 'reply' || route.name === 'update' || (route.name === 'create' && activityBody !== undefined);
    const throttle = (retryAfterMs: number) => {
      stats.throttled += 1;
      if (subject !== undefined) statsOf(subject).throttled += 1;
      return answer(429, { error: { code: 'Throttled', message: 'Too many requests. Retry after the delay in Retry-After.' } }, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) });
    };
    if (options.throttleRatio && random() < options.throttleRatio) return throttle(1000);

    const tenantWindow = tenantWindows.get(tenantId) ?? [];
    tenantWindows.set(tenantId, tenantWindow);
    const tenantWait = waitFor(tenantWindow, [{ limit: tenantLimit, perMs: 1000 }], at);
    if (tenantWait > 0) return throttle(tenantWait);
    // A 1:1 opened with a first message counts against the chat it lands in, not the member.
    const windowKey = route.name === 'create' && isObject(body) && !channelOf(body) && subject !== undefined ? personalChatFor(tenantId, subject) : subject;
    if (isSend && windowKey !== undefined) {
      const wait = waitFor(conversationOf(windowKey).sends, CONVERSATION_WINDOWS, at);
      if (wait > 0) return throttle(wait);
      conversationOf(windowKey).sends.push(at);
    }
    tenantWindow.push(at);

    switch (route.name) {
      case 'create':
        return answer(...createConversation(body, activityBody, tenantId, at));
      case 'send':
      case 'reply': {
        const conversationId = route.conversationId!;
        if (!isObject(body)) return answer(400, { error: { code: 'BadArgument', message: 'Activity is required.' } });
        const id = store(conversationId, body, tenantId, at, route.name === 'reply' ? route.activityId : undefined);
        return answer(200, { id });
      }
      case 'update': {
        const conversation = conversationOf(route.conversationId!);
        const existing = conversation.activities.get(route.activityId!);
        if (!existing) return answer(404, { error: { code: 'ActivityNotFoundInConversation', message: 'Unknown activity.' } });
        if (!isObject(body)) return answer(400, { error: { code: 'BadArgument', message: 'Activity is required.' } });
        existing.activity = { ...body, id: existing.id, conversation: { ...asObject(body.conversation), id: route.conversationId! } };
        existing.updatedAt = at;
        existing.edits += 1;
        stats.updates += 1;
        statsOf(route.conversationId!).updates += 1;
        return answer(200, { id: existing.id });
      }
      case 'delete': {
        const conversation = conversationOf(route.conversationId!);
        if (!conversation.activities.delete(route.activityId!)) return answer(404, { error: { code: 'ActivityNotFoundInConversation', message: 'Unknown activity.' } });
        stats.deletes += 1;
        statsOf(route.conversationId!).deletes += 1;
        return answer(200, {});
      }
      case 'members': {
        const roster = rosterOf(route.conversationId!);
        return roster ? answer(200, roster) : answer(404, defaultError(404));
      }
      case 'member': {
        const roster = rosterOf(route.conversationId!);
        if (!roster) return answer(404, defaultError(404));
        // Teams finds a member by MRI or by Entra object id.
        const member = roster.find((m) => m.id === route.memberId || m.aadObjectId === route.memberId);
        return member ? answer(200, member) : answer(404, { error: { code: 'MemberNotFoundInConversation', message: 'The member is not in the conversation.' } });
      }
      case 'pagedMembers': {
        const roster = rosterOf(route.conversationId!);
        if (!roster) return answer(404, defaultError(404));
        const pageSize = Math.min(500, Math.max(1, Number(query.get('pageSize')) || 200));
        const offset = Number(Buffer.from(query.get('continuationToken') ?? '', 'base64url').toString('utf8')) || 0;
        const page = roster.slice(offset, offset + pageSize);
        const next = offset + pageSize < roster.length ? Buffer.from(String(offset + pageSize)).toString('base64url') : undefined;
        return answer(200, { members: page, ...(next ? { continuationToken: next } : {}) });
      }
    }
  }

  function store(conversationId: string, body: Record<string, unknown>, tenantId: string, at: number, replyToId?: string): string {
    const conversation = conversationOf(conversationId);
    conversation.tenantId ??= tenantId;
    const id = newActivityId();
    const activity = { ...body, id, conversation: { ...asObject(body.conversation), id: conversationId }, ...(replyToId ? { replyToId } : {}) };
    conversation.activities.set(id, { id, activity, createdAt: at, edits: 0 });
    stats.posts += 1;
    statsOf(conversationId).posts += 1;
    return id;
  }

  function createConversation(body: unknown, activityBody: unknown, tenantId: string, at: number): [number, unknown] {
    if (!isObject(body)) return [400, { error: { code: 'BadArgument', message: 'ConversationParameters are required.' } }];
    stats.creates += 1;
    const channelId = channelOf(body);
    if (channelId) {
      // A new thread in a channel: the first message is required, and the thread's id names it.
      if (!isObject(activityBody)) return [400, { error: { code: 'BadArgument', message: 'A channel conversation needs an activity.' } }];
      const activityId = store(channelId, activityBody, tenantId, at);
      const threadId = `${channelId};messageid=${activityId}`;
      conversationOf(threadId).tenantId ??= tenantId;
      return [201, { id: threadId, activityId }];
    }
    const memberList = Array.isArray(body.members) ? body.members : [];
    const member = asObject(memberList[0]);
    if (typeof member.id !== 'string' || !member.id) return [400, { error: { code: 'BadArgument', message: 'members[0].id is required.' } }];
    const conversationId = personalChatFor(tenantId, member.id);
    conversationOf(conversationId).tenantId ??= tenantId;
    if (!members.has(conversationId)) {
      const known = [...members.values()].flat().find((m) => m.id === member.id || m.aadObjectId === member.id);
      if (known) members.set(conversationId, [known]);
    }
    if (isObject(activityBody)) {
      const activityId = store(conversationId, activityBody, tenantId, at);
      return [201, { id: conversationId, activityId }];
    }
    return [201, { id: conversationId }];
  }

  /** A 1:1 chat between the bot and a person has one id, whoever opens it. */
  function personalChatFor(tenantId: string, memberId: string): string {
    const key = `${tenantId}|${memberId}`;
    let conversationId = personalChats.get(key);
    if (!conversationId) {
      conversationId = `a:fake-personal-${++nextConversation}`;
      personalChats.set(key, conversationId);
    }
    return conversationId;
  }

  function rosterOf(conversationId: string): FakeTeamsMember[] | undefined {
    // A channel or thread shares its team's roster; a thread's id is the channel's plus ';messageid=…'.
    const base = conversationId.split(';')[0]!;
    const roster = members.get(conversationId) ?? members.get(base);
    if (!roster) return undefined;
    const tenantId = conversations.get(conversationId)?.tenantId ?? defaultTenantId;
    return roster.map((m) => ({ userRole: 'user', tenantId, ...m }));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${basePath}`;

  return {
    url,
    activities: (conversationId) => [...(conversations.get(conversationId)?.activities.values() ?? [])].map((s) => s.activity),
    stored: (conversationId) => [...(conversations.get(conversationId)?.activities.values() ?? [])],
    get calls() {
      return calls;
    },
    stats: () => structuredClone(stats),
    failWith(conversationId, status, body, failureOptions = {}) {
      failures.set(conversationId, {
        status,
        body: body ?? defaultError(status),
        remaining: failureOptions.times ?? Number.POSITIVE_INFINITY,
        ...(failureOptions.retryAfterSeconds !== undefined ? { retryAfterSeconds: failureOptions.retryAfterSeconds } : {}),
      });
    },
    clearFailures() {
      failures = new Map();
    },
    setMembers(conversationId, list) {
      members.set(conversationId, list);
    },
    reset() {
      conversations = new Map();
      tenantWindows = new Map();
      failures = new Map();
      personalChats = new Map();
      calls = [];
      stats = emptyStats();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** POSTs an activity to the bot's messaging endpoint as a channel would; the body is parsed when it is JSON. */
export async function sendActivity(botUrl: string, activity: unknown, token?: string): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(botUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(activity),
  });
  const text = await response.text();
  let body: unknown = text || undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, body, headers: response.headers };
}

// ---- helpers ---------------------------------------------------------------------------------------

const INVALID_JSON = Symbol('invalid JSON');

function defaultError(status: number): unknown {
  return { error: DEFAULT_FAILURES[status] ?? { code: 'Error', message: `Status ${status}.` } };
}

interface Route {
  name: ConnectorRoute;
  conversationId?: string;
  activityId?: string;
  memberId?: string;
}

/** Matches the v3 routes; ids arrive URL-encoded (':' '@' ';' in Teams ids) and are decoded per segment. */
function routeOf(method: string, rawPath: string, basePath: string): Route {
  if (!rawPath.startsWith(basePath)) return { name: 'unknown' };
  let segments: string[];
  try {
    segments = rawPath.slice(basePath.length).split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  } catch {
    return { name: 'unknown' };
  }
  const [v3, conversations, conversationId, kind, id, extra] = segments;
  if (v3 !== 'v3' || conversations !== 'conversations' || extra !== undefined) return { name: 'unknown' };
  if (conversationId === undefined) return method === 'POST' ? { name: 'create' } : { name: 'unknown' };
  if (kind === 'activities') {
    if (id === undefined) return method === 'POST' ? { name: 'send', conversationId } : { name: 'unknown' };
    if (id === 'history') return { name: 'unknown' };
    const names: Record<string, ConnectorRoute> = { POST: 'reply', PUT: 'update', DELETE: 'delete' };
    const name = names[method];
    return name ? { name, conversationId, activityId: id } : { name: 'unknown' };
  }
  if (method !== 'GET') return { name: 'unknown' };
  if (kind === 'members') return id === undefined ? { name: 'members', conversationId } : { name: 'member', conversationId, memberId: id };
  if (kind === 'pagedmembers' && id === undefined) return { name: 'pagedMembers', conversationId };
  return { name: 'unknown' };
}

/**
 * How many ms until one more call fits every window, or 0 if it fits now. Entries older than the
 * longest window are dropped on the way so the arrays stay small.
 */
function waitFor(times: number[], windows: readonly { limit: number; perMs: number }[], at: number): number {
  const longest = Math.max(...windows.map((w) => w.perMs));
  while (times.length && times[0]! <= at - longest) times.shift();
  let wait = 0;
  for (const { limit, perMs } of windows) {
    const inWindow = times.filter((t) => t > at - perMs);
    if (inWindow.length >= limit) {
      // The call fits once enough of the oldest calls in this window have left it.
      const leaving = inWindow[inWindow.length - limit]!;
      wait = Math.max(wait, leaving + perMs - at);
    }
  }
  return wait;
}

function tenantOfBody(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const conversationTenant = asObject(body.conversation).tenantId;
  if (typeof conversationTenant === 'string' && conversationTenant) return conversationTenant;
  const channelTenant = asObject(asObject(body.channelData).tenant).id;
  if (typeof channelTenant === 'string' && channelTenant) return channelTenant;
  // ConversationParameters carry it at the top level.
  return typeof body.tenantId === 'string' && body.tenantId ? body.tenantId : undefined;
}

function channelOf(body: Record<string, unknown>): string | undefined {
  const id = asObject(asObject(body.channelData).channel).id;
  return typeof id === 'string' && id ? id : undefined;
}

function createSubject(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const channel = channelOf(body);
  if (channel) return channel;
  const first = asObject(Array.isArray(body.members) ? body.members[0] : undefined).id;
  return typeof first === 'string' ? first : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asObject(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return INVALID_JSON;
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID_JSON;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

function normaliseBasePath(path: string): string {
  const withLeading = path.startsWith('/') ? path : `/${path}`;
  return withLeading.endsWith('/') ? withLeading : `${withLeading}/`;
}

function emptyStats(): ConnectorStats {
  return { posts: 0, updates: 0, deletes: 0, creates: 0, throttled: 0, failed: 0, byConversation: {} };
}

/** A small seedable generator (mulberry32): the same seed gives the same 429s on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
