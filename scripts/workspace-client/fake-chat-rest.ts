import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Google Chat REST API (v1) for the sandbox, the demo and the tests. It answers the calls the
 * `googleapis` Chat client makes when given `rootUrl: fake.url`:
 *
 *   POST  /v1/spaces/{space}/messages?requestId=&messageId=   spaces.messages.create
 *   PATCH /v1/spaces/{space}/messages/{message}?updateMask=   spaces.messages.patch (PUT: .update)
 *   GET   /v1/spaces/{space}/messages/{message}               spaces.messages.get
 *   GET   /v1/spaces/{space}/messages?pageSize=&pageToken=    spaces.messages.list (oldest first)
 *   DELETE /v1/spaces/{space}/messages/{message}              spaces.messages.delete
 *   GET   /v1/spaces:findDirectMessage?name=users/{id}        the user's DM with the app, 404 when none
 *   GET   /v1/spaces/{space}                                  spaces.get
 *   GET   /v1/spaces/{space}/members                          spaces.members.list
 *
 * Every call must carry `Authorization: Bearer <accessToken>` (401 otherwise). Message writes (create,
 * patch, update, delete) are held to Chat's quotas: at most `spaceWritesPerSecond` in any second per space
 * and `projectWritesPerMinute` in any minute for the project; over either, the answer is 429 with a
 * Retry-After and nothing is written. An idempotent repeat (same requestId) still counts as a write, as
 * Chat counts requests. Errors use Google's shape `{error: {code, message, status}}`.
 */

/** A space the app is a member of. */
export interface FakeChatSpace {
  /** `spaces/<id>`. */
  name: string;
  displayName?: string;
  /** 'SPACE' (default) or 'DIRECT_MESSAGE'. */
  spaceType?: 'SPACE' | 'DIRECT_MESSAGE';
  /** Human members, `users/<id>`. */
  members?: string[];
}

/** A message as Chat stores and returns it (the fields DSL Desk and the client use). */
export interface FakeChatMessage {
  name: string;
  sender: { name: string; type: 'BOT' | 'HUMAN'; displayName?: string };
  createTime: string;
  lastUpdateTime?: string;
  text?: string;
  cardsV2?: { cardId: string; card: Record<string, unknown> }[];
  accessoryWidgets?: unknown[];
  privateMessageViewer?: { name: string };
  thread: { name: string };
  space: { name: string };
  clientAssignedMessageId?: string;
  argumentText?: string;
  [field: string]: unknown;
}

export type FakeChatRoute = 'messages.create' | 'messages.patch' | 'messages.get' | 'messages.list' | 'messages.delete'
  | 'spaces.findDirectMessage' | 'spaces.get' | 'members.list' | 'unknown';

/** One request as the fake saw it. */
export interface FakeChatCall {
  at: number;
  method: string;
  route: FakeChatRoute;
  /** The decoded resource path, e.g. `spaces/AAA/messages/client-x`. */
  resource: string;
  query: Record<string, string>;
  status: number;
  body?: unknown;
}

export interface FakeChatSpaceStats {
  /** Accepted writes (creates, repeats, patches, deletes). */
  writes: number;
  creates: number;
  /** Creates answered with the first message because the requestId was seen before. */
  repeats: number;
  updates: number;
  deletes: number;
  throttled: number;
  /** Most accepted writes in any one-second window. */
  maxWritesPerSecond: number;
}

export interface FakeChatStats {
  writes: number;
  throttled: number;
  /** Calls refused with 401. */
  unauthorised: number;
  bySpace: Record<string, FakeChatSpaceStats>;
}

export interface FakeChatRestOptions {
  /** The bearer token every call must carry. Default: a random one (read it from `accessToken`). */
  accessToken?: string;
  /** The named spaces (and DMs) the app is in. */
  spaces?: FakeChatSpace[];
  /** `users/<id>` → its DM with the app (`spaces/<id>`); one DM per user. Users missing here have none. */
  directMessages?: Record<string, string>;
  /** Per space. Default 1. */
  spaceWritesPerSecond?: number;
  /** Per project. Default 3,000. */
  projectWritesPerMinute?: number;
  /** The app as the sender of its messages. */
  app?: { name: string; displayName: string };
  /** The fake's clock (ms), so tests can cross windows without waiting. */
  now?: () => number;
}

/** A change to a space's messages, for pages that show them live. */
export interface FakeChatChange {
  kind: 'created' | 'updated' | 'deleted';
  space: string;
  message: FakeChatMessage;
}

export interface FakeChatRest {
  /** The `rootUrl` to give googleapis (origin only, ends with '/'). */
  url: string;
  /** The bearer token the fake expects. */
  accessToken: string;
  /** A space's messages, oldest first, as last written. */
  messages(space: string): FakeChatMessage[];
  message(name: string): FakeChatMessage | undefined;
  spaces(): FakeChatSpace[];
  /** The user's DM with the app, if any. */
  directMessageOf(user: string): string | undefined;
  addSpace(space: FakeChatSpace): void;
  /** Gives the user a DM with the app (as an admin install does); returns its name. */
  addDirectMessage(user: string, space?: string): string;
  /**
   * Writes a message without the REST API or its quotas: what a person types, or what the app answers
   * synchronously to an event (a createMessageAction), which Chat posts itself.
   */
  postMessage(space: string, message: Partial<FakeChatMessage> & { sender: FakeChatMessage['sender'] }): FakeChatMessage;
  /** Replaces fields of a message outside the REST API (a synchronous updateMessageAction). */
  updateMessage(name: string, fields: Partial<FakeChatMessage>): FakeChatMessage | undefined;
  /** Calls `listener` after every change; returns a function that stops it. */
  onChange(listener: (change: FakeChatChange) => void): () => void;
  /** Makes the next `times` (default 1) REST writes answer `status`, with a Retry-After when given. */
  failNextWrites(status: number, options?: { times?: number; retryAfterSeconds?: number }): void;
  readonly calls: readonly FakeChatCall[];
  stats(): FakeChatStats;
  /** Forgets messages, calls, windows and counters; spaces and DMs stay. */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_APP = { name: 'users/app', displayName: 'DSL Desk' };
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Chat's rule for client-assigned message ids. */
const CLIENT_MESSAGE_ID = /^client-[a-z0-9-]{1,56}$/;
const UPDATABLE_FIELDS = new Set(['text', 'cardsV2', 'cards_v2', 'accessoryWidgets', 'accessory_widgets', 'attachment']);
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE',
};

interface SpaceState {
  space: FakeChatSpace;
  messages: Map<string, FakeChatMessage>;
  /** requestId → message name. */
  requests: Map<string, string>;
  /** Accepted write times (ms), for the one-second window. */
  writeTimes: number[];
}

/** Starts the fake on 127.0.0.1; call close() when done. */
export async function startFakeChatRest(options: FakeChatRestOptions = {}): Promise<FakeChatRest> {
  const now = options.now ?? Date.now;
  const accessToken = options.accessToken ?? `fake-chat-${randomBytes(12).toString('hex')}`;
  const spaceLimit = options.spaceWritesPerSecond ?? 1;
  const projectLimit = options.projectWritesPerMinute ?? 3_000;
  const app = options.app ?? DEFAULT_APP;

  const spaces = new Map<string, SpaceState>();
  const directMessages = new Map<string, string>();
  const listeners = new Set<(change: FakeChatChange) => void>();
  let projectWrites: number[] = [];
  let calls: FakeChatCall[] = [];
  let stats: FakeChatStats = emptyStats();
  let failures: { status: number; remaining: number; retryAfterSeconds?: number }[] = [];
  let counter = 0;

  const addSpace = (space: FakeChatSpace): SpaceState => {
    const existing = spaces.get(space.name);
    if (existing) {
      existing.space = { ...existing.space, ...space };
      return existing;
    }
    const state: SpaceState = { space: { spaceType: 'SPACE', ...space }, messages: new Map(), requests: new Map(), writeTimes: [] };
    spaces.set(space.name, state);
    return state;
  };
  const addDirectMessage = (user: string, name?: string): string => {
    const known = directMessages.get(user);
    if (known && !name) return known;
    const spaceName = name ?? `spaces/dm-${user.replace(/^users\//, '').replaceAll(/[^\w-]/g, '')}`;
    addSpace({ name: spaceName, spaceType: 'DIRECT_MESSAGE', members: [user] });
    directMessages.set(user, spaceName);
    return spaceName;
  };
  for (const space of options.spaces ?? []) addSpace(space);
  for (const [user, space] of Object.entries(options.directMessages ?? {})) addDirectMessage(user, space);

  const statsOf = (space: string): FakeChatSpaceStats =>
    (stats.bySpace[space] ??= { writes: 0, creates: 0, repeats: 0, updates: 0, deletes: 0, throttled: 0, maxWritesPerSecond: 0 });
  const emit = (change: FakeChatChange) => {
    for (const listener of listeners) {
      try {
        listener(change);
      } catch {
        // A page's listener failing must not break the API.
      }
    }
  };
  const newMessageName = (space: string) => `${space}/messages/${(++counter).toString(36)}.${randomBytes(4).toString('hex')}`;

  function store(state: SpaceState, name: string, fields: Partial<FakeChatMessage>, sender: FakeChatMessage['sender']): FakeChatMessage {
    const message: FakeChatMessage = {
      ...pickMessageFields(fields),
      name,
      sender,
      createTime: new Date(now()).toISOString(),
      thread: { name: `${state.space.name}/threads/${name.split('/').pop()}` },
      space: { name: state.space.name },
    };
    state.messages.set(name, message);
    emit({ kind: 'created', space: state.space.name, message });
    return message;
  }

  /** Records an accepted write, or gives the ms to wait when a quota is spent. */
  function admitWrite(state: SpaceState, at: number): number {
    state.writeTimes = state.writeTimes.filter((t) => t > at - 60_000);
    projectWrites = projectWrites.filter((t) => t > at - 60_000);
    const inSecond = state.writeTimes.filter((t) => t > at - 1_000);
    let wait = 0;
    if (inSecond.length >= spaceLimit) wait = inSecond[inSecond.length - spaceLimit]! + 1_000 - at;
    if (projectWrites.length >= projectLimit) wait = Math.max(wait, projectWrites[projectWrites.length - projectLimit]! + 60_000 - at);
    if (wait > 0) return wait;
    state.writeTimes.push(at);
    projectWrites.push(at);
    const spaceStats = statsOf(state.space.name);
    spaceStats.writes += 1;
    stats.writes += 1;
    spaceStats.maxWritesPerSecond = Math.max(spaceStats.maxWritesPerSecond, inSecond.length + 1);
    return 0;
  }

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, String(error));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = now();
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const body = ['POST', 'PATCH', 'PUT'].includes(method) ? await readJson(request) : undefined;
    const route = routeOf(method, url.pathname);
    const call: FakeChatCall = { at, method, route: route.name, resource: route.resource, query, status: 0, ...(body !== undefined ? { body } : {}) };
    calls.push(call);
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      sendJson(response, status, payload, headers);
    };
    const fail = (status: number, message: string, headers: Record<string, string> = {}) => {
      call.status = status;
      sendError(response, status, message, headers);
    };

    if (request.headers.authorization !== `Bearer ${accessToken}`) {
      stats.unauthorised += 1;
      return fail(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
    }
    if (route.name === 'unknown') return fail(404, `No route for ${method} ${url.pathname}`);
    if (body === INVALID_JSON) return fail(400, 'Invalid JSON payload received.');

    if (route.name === 'spaces.findDirectMessage') {
      const user = query.name ?? '';
      if (!/^users\/[^/]+$/.test(user)) return fail(400, 'name must be users/{user}');
      const dm = directMessages.get(user);
      return dm ? answer(200, spaceResource(spaces.get(dm)!.space)) : fail(404, 'Direct message space not found.');
    }

    const state = spaces.get(route.space);
    if (!state) return fail(404, `Space ${route.space} not found, or the app is not a member.`);
    if (route.name === 'spaces.get') return answer(200, spaceResource(state.space));
    if (route.name === 'members.list') {
      const memberships = (state.space.members ?? []).map((member) => ({
        name: `${state.space.name}/members/${member.replace(/^users\//, '')}`,
        member: { name: member, type: 'HUMAN' },
        role: 'ROLE_MEMBER',
        state: 'JOINED',
      }));
      return answer(200, { memberships });
    }
    if (route.name === 'messages.get') {
      const message = findMessage(state, route.resource);
      return message ? answer(200, message) : fail(404, `Message ${route.resource} not found.`);
    }
    if (route.name === 'messages.list') {
      const pageSize = Math.min(1000, Math.max(1, Number(query.pageSize) || 25));
      const offset = Number(query.pageToken ? Buffer.from(query.pageToken, 'base64url').toString('utf8') : 0) || 0;
      const all = [...state.messages.values()];
      if (query.orderBy?.toLowerCase().includes('desc')) all.reverse();
      const page = all.slice(offset, offset + pageSize);
      const next = offset + pageSize < all.length ? Buffer.from(String(offset + pageSize)).toString('base64url') : undefined;
      return answer(200, { messages: page, ...(next ? { nextPageToken: next } : {}) });
    }

    // Writes from here on.
    if (route.name === 'messages.create') {
      const messageId = query.messageId;
      if (messageId !== undefined && !CLIENT_MESSAGE_ID.test(messageId)) {
        return fail(400, 'messageId must start with client- and hold only lowercase letters, digits and hyphens (at most 63 characters).');
      }
      if (!isObject(body)) return fail(400, 'A message body is required.');
    }
    const failure = failures[0];
    if (failure) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) failures.shift();
      return fail(failure.status, 'Failure injected by the test.', failure.retryAfterSeconds !== undefined ? { 'Retry-After': String(failure.retryAfterSeconds) } : {});
    }
    const wait = admitWrite(state, at);
    if (wait > 0) {
      stats.throttled += 1;
      statsOf(state.space.name).throttled += 1;
      return fail(429, 'Resource has been exhausted (e.g. check quota).', { 'Retry-After': String(Math.max(1, Math.ceil(wait / 1000))) });
    }
    const spaceStats = statsOf(state.space.name);

    switch (route.name) {
      case 'messages.create': {
        const requestId = query.requestId;
        const earlier = requestId ? state.requests.get(requestId) : undefined;
        if (earlier && state.messages.has(earlier)) {
          spaceStats.repeats += 1;
          return answer(200, state.messages.get(earlier));
        }
        const messageId = query.messageId;
        const name = messageId ? `${state.space.name}/messages/${messageId}` : newMessageName(state.space.name);
        if (state.messages.has(name)) return fail(409, `A message with the ID ${messageId} already exists.`);
        spaceStats.creates += 1;
        const message = store(state, name, { ...(body as Record<string, unknown>), ...(messageId ? { clientAssignedMessageId: messageId } : {}) }, { ...app, type: 'BOT' });
        if (requestId) state.requests.set(requestId, name);
        return answer(200, message);
      }
      case 'messages.patch': {
        const message = findMessage(state, route.resource);
        if (!message) return fail(404, `Message ${route.resource} not found.`);
        if (message.sender.name !== app.name) return fail(403, 'The app can only update its own messages.');
        const mask = (query.updateMask ?? '').split(',').map((field) => field.trim()).filter(Boolean);
        if (mask.length === 0) return fail(400, 'updateMask is required.');
        const fields = mask.includes('*') ? [...UPDATABLE_FIELDS] : mask;
        const unknown = fields.find((field) => !UPDATABLE_FIELDS.has(field));
        if (unknown) return fail(400, `updateMask field ${unknown} cannot be updated.`);
        const patch = body as Record<string, unknown>;
        for (const field of fields) {
          const key = field === 'cards_v2' ? 'cardsV2' : field === 'accessory_widgets' ? 'accessoryWidgets' : field;
          if (patch[key] === undefined) delete message[key];
          else message[key] = patch[key];
        }
        message.lastUpdateTime = new Date(at).toISOString();
        spaceStats.updates += 1;
        emit({ kind: 'updated', space: state.space.name, message });
        return answer(200, message);
      }
      case 'messages.delete': {
        const message = findMessage(state, route.resource);
        if (!message) return fail(404, `Message ${route.resource} not found.`);
        state.messages.delete(message.name);
        spaceStats.deletes += 1;
        emit({ kind: 'deleted', space: state.space.name, message });
        return answer(200, {});
      }
    }
  }

  function messageNamed(name: string): FakeChatMessage | undefined {
    const space = /^(spaces\/[^/]+)\//.exec(name)?.[1];
    const state = space ? spaces.get(space) : undefined;
    return state ? findMessage(state, name) : undefined;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  return {
    url,
    accessToken,
    messages: (space) => [...(spaces.get(space)?.messages.values() ?? [])],
    message: messageNamed,
    spaces: () => [...spaces.values()].map((state) => state.space),
    directMessageOf: (user) => directMessages.get(user),
    addSpace(space) {
      addSpace(space);
    },
    addDirectMessage,
    postMessage(space, message) {
      const state = spaces.get(space);
      if (!state) throw new Error(`unknown space ${space}`);
      return store(state, newMessageName(space), message, message.sender);
    },
    updateMessage(name, fields) {
      const message = messageNamed(name);
      if (!message) return undefined;
      Object.assign(message, pickMessageFields(fields), { lastUpdateTime: new Date(now()).toISOString() });
      emit({ kind: 'updated', space: message.space.name, message });
      return message;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    failNextWrites(status, failureOptions = {}) {
      failures.push({
        status,
        remaining: failureOptions.times ?? 1,
        ...(failureOptions.retryAfterSeconds !== undefined ? { retryAfterSeconds: failureOptions.retryAfterSeconds } : {}),
      });
    },
    get calls() {
      return calls;
    },
    stats: () => structuredClone(stats),
    reset() {
      for (const state of spaces.values()) {
        state.messages = new Map();
        state.requests = new Map();
        state.writeTimes = [];
      }
      projectWrites = [];
      calls = [];
      stats = emptyStats();
      failures = [];
    },
    async close() {
      listeners.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

// ---- helpers ---------------------------------------------------------------------------------------

const INVALID_JSON = Symbol('invalid JSON');

interface Route {
  name: FakeChatRoute;
  /** `spaces/<id>` the call is about ('' when none). */
  space: string;
  /** The full decoded resource path. */
  resource: string;
}

/** googleapis expands `{+parent}` and `{+name}` keeping '/', so the path arrives as /v1/spaces/AAA/messages/BBB. */
function routeOf(method: string, pathname: string): Route {
  let segments: string[];
  try {
    segments = pathname.split('/').filter(Boolean).map((segment) => decodeURIComponent(segment));
  } catch {
    return { name: 'unknown', space: '', resource: '' };
  }
  if (segments[0] !== 'v1') return { name: 'unknown', space: '', resource: '' };
  const rest = segments.slice(1);
  const resource = rest.join('/');
  if (rest.length === 1 && rest[0] === 'spaces:findDirectMessage' && method === 'GET') return { name: 'spaces.findDirectMessage', space: '', resource };
  if (rest[0] !== 'spaces' || rest[1] === undefined) return { name: 'unknown', space: '', resource };
  const space = `spaces/${rest[1]}`;
  const [, , kind, id, extra] = rest;
  if (extra !== undefined) return { name: 'unknown', space, resource };
  if (kind === undefined) return { name: method === 'GET' ? 'spaces.get' : 'unknown', space, resource };
  if (kind === 'members' && id === undefined && method === 'GET') return { name: 'members.list', space, resource };
  if (kind !== 'messages') return { name: 'unknown', space, resource };
  if (id === undefined) {
    const names: Record<string, FakeChatRoute> = { POST: 'messages.create', GET: 'messages.list' };
    return { name: names[method] ?? 'unknown', space, resource };
  }
  const names: Record<string, FakeChatRoute> = { GET: 'messages.get', PATCH: 'messages.patch', PUT: 'messages.patch', DELETE: 'messages.delete' };
  return { name: names[method] ?? 'unknown', space, resource };
}

function findMessage(state: SpaceState, name: string): FakeChatMessage | undefined {
  return state.messages.get(name);
}

function spaceResource(space: FakeChatSpace): Record<string, unknown> {
  const dm = space.spaceType === 'DIRECT_MESSAGE';
  return {
    name: space.name,
    spaceType: space.spaceType ?? 'SPACE',
    type: dm ? 'DM' : 'ROOM',
    ...(dm ? { singleUserBotDm: true } : { displayName: space.displayName ?? space.name }),
  };
}

/** Keeps what a message carries, never the server-owned fields a caller might send. */
function pickMessageFields(fields: Partial<FakeChatMessage> | Record<string, unknown>): Partial<FakeChatMessage> {
  const picked: Record<string, unknown> = {};
  for (const key of ['text', 'cardsV2', 'accessoryWidgets', 'privateMessageViewer', 'argumentText', 'clientAssignedMessageId', 'slashCommand']) {
    if ((fields as Record<string, unknown>)[key] !== undefined) picked[key] = (fields as Record<string, unknown>)[key];
  }
  return picked as Partial<FakeChatMessage>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
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

function sendError(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(response, status, { error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' } }, headers);
}

function emptyStats(): FakeChatStats {
  return { writes: 0, throttled: 0, unauthorised: 0, bySpace: {} };
}
