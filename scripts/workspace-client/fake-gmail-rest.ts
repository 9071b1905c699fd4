import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseSandboxDelegatedToken } from '../../src/domain/google-workspace.ts';

/**
 * A local Gmail REST API (v1) for the sandbox, the demo and the tests, answering what the `googleapis` Gmail
 * client sends when given `rootUrl: fake.rootUrl`:
 *
 *   GET  /gmail/v1/users/{userId}/messages?q=&maxResults=&pageToken=&includeSpamTrash=   users.messages.list
 *   GET  /gmail/v1/users/{userId}/messages/{id}?format=raw|full|metadata|minimal          users.messages.get
 *   GET  /gmail/v1/users/{userId}/messages/{id}/attachments/{attachmentId}                users.messages.attachments.get
 *   POST /gmail/v1/users/{userId}/messages/{id}/trash                                     users.messages.trash
 *   POST /gmail/v1/users/{userId}/messages/send            (JSON {raw})                   users.messages.send
 *   POST /upload/gmail/v1/users/{userId}/messages/send     (uploadType=media|multipart)   users.messages.send with media
 *
 * (googleapis builds the media upload URL from the per-call `rootUrl` option only, not the client's: a caller
 * sending with `media` passes `{ rootUrl }` as the call's options too.)
 *
 * Who may call: a Gmail add-on's pair of tokens (`Authorization: Bearer <userOAuthToken>` AND
 * `X-Goog-Gmail-Access-Token: <gmailAccessToken>`), which opens only the one message the add-on was shown
 * and only with messages.get / attachments.get; or a domain-wide delegation token acting as its mailbox with
 * its scopes (gmail.modify: list, get, trash; gmail.send: send), or — only when the demo's client asks for it —
 * the sandbox's fixed delegated token for a mailbox of its domain. `userId` is `me` or that mailbox's address.
 *
 * Quotas as Google documents them (units: get/list/trash/attachments.get 5, send 100) per user and per
 * project in any minute of `now`; over either, 429 `userRateLimitExceeded` / `rateLimitExceeded` with a
 * Retry-After, and nothing is done. Errors use Google's JSON shape
 * `{error: {code, message, status, errors: [{reason, domain, message}]}}`.
 *
 * `format=full` is built from the stored RFC 822 bytes by a small MIME walker: every part's headers (values
 * unfolded, otherwise as written), bodies decoded from their transfer encoding and given base64url in
 * `body.data`, and parts with a file name given an `attachmentId` and `size` instead of data.
 */

export interface FakeGmailRestOptions {
  /** Port on 127.0.0.1; default any free one. */
  port?: number;
  /** The fake's clock (ms), so tests can cross quota windows without waiting. */
  now?: () => number;
  /** Gmail's per-user limit. Default 6,000 units a minute (250 a second). */
  unitsPerUserPerMinute?: number;
  /** Gmail's per-project limit. Default 1,200,000 units a minute. */
  unitsPerProjectPerMinute?: number;
  /**
   * Also accept the sandbox's fixed delegated token (sandboxDelegatedToken) for any mailbox of this domain, with
   * the scopes it names, as DSL Desk's sandbox sends it to the local Workspace client. Only the demo's client sets it.
   */
  acceptSandboxDelegation?: { domain: string };
  /** A message sent to an address of this domain also lands in that mailbox's inbox (one Workspace domain's mail). */
  deliverSentMail?: { domain: string };
}

export interface FakeGmailMessage {
  id: string;
  threadId: string;
  /** The mailbox's address, lower case. */
  mailbox: string;
  raw: Buffer;
  labelIds: string[];
}

export interface FakeGmailCall {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** The mailbox the call acted as, once its token was recognised. */
  mailbox?: string;
}

export interface FakeGmailRest {
  /** The `rootUrl` to give googleapis: 'http://127.0.0.1:<port>/'. */
  rootUrl: string;
  calls: FakeGmailCall[];
  addMessage(mailbox: string, raw: Uint8Array | string, options?: { id?: string }): FakeGmailMessage;
  /** Every message of the mailbox, including copies moved to the Bin (labelIds contains 'TRASH'). */
  messages(mailbox: string): FakeGmailMessage[];
  /** RFC 822 of each messages.send made as that mailbox. */
  sent(mailbox: string): Buffer[];
  /** What Gmail puts in the add-on event for a message open in that mailbox: the user's OAuth token and the per-message token. */
  addonTokens(mailbox: string, messageId: string): { userOAuthToken: string; gmailAccessToken: string };
  /** Later calls with that mailbox's add-on tokens get 401 (a token that expired mid-request). */
  expireAddonTokens(mailbox: string): void;
  /** A bearer token accepted as domain-wide delegation impersonating `mailbox` with these scopes (a call needing another scope gets 403). */
  delegatedToken(mailbox: string, scopes: string[]): string;
  /** The next `times` (default 1) matching requests answer `status` with Google's error body (429 also sets Retry-After). */
  failNext(match: { method?: string; path?: RegExp }, status: number, times?: number): void;
  /** format=raw answers 403 (as when the per-message token may not read raw), so callers rebuild from format=full. */
  refuseRawFormat(refuse: boolean): void;
  close(): Promise<void>;
}

const GMAIL_SCOPE = 'https://www.googleapis.com/auth/';
const FULL_MAIL_SCOPE = 'https://mail.google.com/';
const MAX_BODY_BYTES = 50 * 1024 * 1024;
const MINUTE_MS = 60_000;

type Route =
  | { name: 'list'; userId: string }
  | { name: 'get'; userId: string; id: string }
  | { name: 'attachments.get'; userId: string; id: string; attachmentId: string }
  | { name: 'trash'; userId: string; id: string }
  | { name: 'send'; userId: string; upload: boolean };

/** Gmail's documented quota units per method. */
const UNITS: Record<Route['name'], number> = { list: 5, get: 5, 'attachments.get': 5, trash: 5, send: 100 };

/** The scopes (any one of) that allow each method, for delegated tokens. */
const SCOPES_FOR: Record<Route['name'], string[]> = {
  list: ['gmail.modify', 'gmail.readonly', 'gmail.metadata'],
  get: ['gmail.modify', 'gmail.readonly', 'gmail.metadata'],
  'attachments.get': ['gmail.modify', 'gmail.readonly'],
  trash: ['gmail.modify'],
  send: ['gmail.send', 'gmail.compose', 'gmail.modify'],
};

interface StoredMessage extends FakeGmailMessage {
  internalDate: number;
  /** attachmentId → decoded bytes (ids are stable per message). */
  attachments?: Map<string, Buffer>;
}

type Caller =
  | { kind: 'addon'; mailbox: string; messageId: string }
  | { kind: 'delegated'; mailbox: string; scopes: string[] };

interface Failure { method?: string; path?: RegExp; status: number; remaining: number }

/** Starts the fake on 127.0.0.1; call close() when done. */
export async function startFakeGmailRest(options: FakeGmailRestOptions = {}): Promise<FakeGmailRest> {
  const now = options.now ?? Date.now;
  const userLimit = options.unitsPerUserPerMinute ?? 6_000;
  const projectLimit = options.unitsPerProjectPerMinute ?? 1_200_000;

  /** mailbox → id → message, in arrival order. */
  const mailboxes = new Map<string, Map<string, StoredMessage>>();
  const sentBy = new Map<string, Buffer[]>();
  const userTokens = new Map<string, { mailbox: string; expired: boolean }>();
  const messageTokens = new Map<string, { mailbox: string; messageId: string }>();
  const delegated = new Map<string, { mailbox: string; scopes: string[] }>();
  const userUnits = new Map<string, { at: number; units: number }[]>();
  let projectUnits: { at: number; units: number }[] = [];
  const failures: Failure[] = [];
  const calls: FakeGmailCall[] = [];
  let rawRefused = false;

  const boxOf = (mailbox: string) => {
    const key = mailbox.toLowerCase();
    let box = mailboxes.get(key);
    if (!box) {
      box = new Map();
      mailboxes.set(key, box);
    }
    return box;
  };
  const newId = () => randomBytes(8).toString('hex');

  function store(mailbox: string, raw: Buffer, labelIds: string[], id = newId()): StoredMessage {
    const message: StoredMessage = { id, threadId: id, mailbox: mailbox.toLowerCase(), raw, labelIds, internalDate: dateOf(raw) ?? now() };
    boxOf(mailbox).set(id, message);
    return message;
  }

  /** Spends `units` for the mailbox, or gives the 429 to answer. */
  function admit(mailbox: string, units: number, at: number): { reason: string; retryAfterSeconds: number } | undefined {
    const mine = (userUnits.get(mailbox) ?? []).filter((entry) => entry.at > at - MINUTE_MS);
    projectUnits = projectUnits.filter((entry) => entry.at > at - MINUTE_MS);
    userUnits.set(mailbox, mine);
    const waitFor = (window: { at: number; units: number }[], limit: number) => {
      // The wait until enough of the window's units have aged out for this call to fit.
      let used = window.reduce((sum, entry) => sum + entry.units, 0);
      for (const entry of window) {
        if (used + units <= limit) break;
        used -= entry.units;
        if (used + units <= limit) return entry.at + MINUTE_MS - at;
      }
      return used + units <= limit ? 0 : MINUTE_MS;
    };
    const userWait = waitFor(mine, userLimit);
    if (userWait > 0) return { reason: 'userRateLimitExceeded', retryAfterSeconds: Math.max(1, Math.ceil(userWait / 1000)) };
    const projectWait = waitFor(projectUnits, projectLimit);
    if (projectWait > 0) return { reason: 'rateLimitExceeded', retryAfterSeconds: Math.max(1, Math.ceil(projectWait / 1000)) };
    mine.push({ at, units });
    projectUnits.push({ at, units });
    return undefined;
  }

  const server = createServer((request, response) => {
    void handle(request, response).catch(() => {
      if (!response.headersSent) sendError(response, 500);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = now();
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const call: FakeGmailCall = { method, path: url.pathname, query, status: 0 };
    calls.push(call);
    const answer = (status: number, payload: unknown) => {
      call.status = status;
      sendJson(response, status, payload);
    };
    const fail = (status: number, detail?: ErrorDetail, headers: Record<string, string> = {}) => {
      call.status = status;
      sendError(response, status, detail, headers);
    };

    const body = method === 'POST' ? await readBody(request) : undefined;
    if (body === TOO_LARGE) return fail(413, { message: 'Request payload size exceeds the limit.', reason: 'uploadTooLarge' });

    const route = routeOf(method, url.pathname);
    if (!route) return fail(404, { message: `No route for ${method} ${url.pathname}.`, reason: 'notFound' });

    const failureIndex = failures.findIndex((failure) =>
      (failure.method === undefined || failure.method.toUpperCase() === method) && (failure.path === undefined || failure.path.test(url.pathname)));
    if (failureIndex >= 0) {
      const failure = failures[failureIndex]!;
      failure.remaining -= 1;
      if (failure.remaining <= 0) failures.splice(failureIndex, 1);
      return fail(failure.status, undefined, failure.status === 429 ? { 'Retry-After': '1' } : {});
    }

    const caller = callerOf(request);
    if (caller === 'unauthenticated') return fail(401);
    if (caller === 'needs-message-token') return fail(403, INSUFFICIENT_SCOPES);
    call.mailbox = caller.mailbox;
    const userId = decodeURIComponent(route.userId).toLowerCase();
    if (userId !== 'me' && userId !== caller.mailbox) {
      return fail(403, { message: `Delegation denied for ${caller.mailbox}`, reason: 'forbidden' });
    }

    if (caller.kind === 'addon') {
      const ownMessage = (route.name === 'get' || route.name === 'attachments.get') && route.id === caller.messageId;
      if (!ownMessage) return fail(403, INSUFFICIENT_SCOPES);
    } else {
      const allowed = SCOPES_FOR[route.name].map((scope) => GMAIL_SCOPE + scope);
      if (!caller.scopes.some((scope) => scope === FULL_MAIL_SCOPE || allowed.includes(scope))) return fail(403, INSUFFICIENT_SCOPES);
    }

    const throttled = admit(caller.mailbox, UNITS[route.name], at);
    if (throttled) {
      return fail(429, {
        message: throttled.reason === 'userRateLimitExceeded' ? 'User-rate limit exceeded.' : 'Quota exceeded for quota metric \'Queries\'.',
        reason: throttled.reason,
        domain: 'usageLimits',
      }, { 'Retry-After': String(throttled.retryAfterSeconds) });
    }

    const box = boxOf(caller.mailbox);
    switch (route.name) {
      case 'list': {
        const terms = parseQuery(query.q ?? '');
        if (terms === undefined) return fail(400, { message: 'Invalid query: the local Gmail supports rfc822msgid: and in:anywhere / in:trash only.', reason: 'invalidArgument' });
        const includeTrash = query.includeSpamTrash === 'true' || terms.anywhere || terms.trashOnly;
        const matches = [...box.values()].reverse().filter((message) => {
          const trashed = message.labelIds.includes('TRASH') || message.labelIds.includes('SPAM');
          if (trashed && !includeTrash) return false;
          if (terms.trashOnly && !message.labelIds.includes('TRASH')) return false;
          return terms.messageId === undefined || messageIdOf(message.raw) === terms.messageId;
        });
        const pageSize = Math.min(500, Math.max(1, Number(query.maxResults) || 100));
        const offset = query.pageToken ? Number(Buffer.from(query.pageToken, 'base64url').toString('utf8')) || 0 : 0;
        const page = matches.slice(offset, offset + pageSize);
        const next = offset + pageSize < matches.length ? Buffer.from(String(offset + pageSize)).toString('base64url') : undefined;
        return answer(200, {
          ...(page.length > 0 ? { messages: page.map((message) => ({ id: message.id, threadId: message.threadId })) } : {}),
          ...(next ? { nextPageToken: next } : {}),
          resultSizeEstimate: matches.length,
        });
      }
      case 'get': {
        const message = box.get(route.id);
        if (!message) return fail(404);
        const format = (query.format ?? 'full').toLowerCase();
        if (format === 'raw') {
          if (rawRefused) return fail(403, INSUFFICIENT_SCOPES);
          return answer(200, { ...summaryOf(message), raw: message.raw.toString('base64url') });
        }
        if (format === 'minimal') return answer(200, summaryOf(message));
        const payload = payloadOf(message);
        if (format === 'metadata') {
          const wanted = url.searchParams.getAll('metadataHeaders').map((name) => name.toLowerCase());
          const headers = wanted.length === 0 ? payload.headers : payload.headers.filter((header) => wanted.includes(header.name.toLowerCase()));
          return answer(200, { ...summaryOf(message), payload: { partId: payload.partId, mimeType: payload.mimeType, filename: payload.filename, headers, body: { size: 0 } } });
        }
        if (format !== 'full') return fail(400, { message: `Invalid value at 'format' (${format}).`, reason: 'invalidArgument' });
        return answer(200, { ...summaryOf(message), payload });
      }
      case 'attachments.get': {
        const message = box.get(route.id);
        if (!message) return fail(404);
        payloadOf(message);
        const data = message.attachments?.get(route.attachmentId);
        if (!data) return fail(400, { message: 'Invalid attachment token', reason: 'invalidArgument' });
        return answer(200, { attachmentId: route.attachmentId, size: data.length, data: data.toString('base64url') });
      }
      case 'trash': {
        const message = box.get(route.id);
        if (!message) return fail(404);
        message.labelIds = [...message.labelIds.filter((label) => label !== 'INBOX' && label !== 'SPAM' && label !== 'TRASH'), 'TRASH'];
        return answer(200, { id: message.id, threadId: message.threadId, labelIds: message.labelIds });
      }
      case 'send': {
        const raw = rawToSend(route.upload, query.uploadType, request.headers['content-type'], body ?? Buffer.alloc(0));
        if (!raw || raw.length === 0) return fail(400, { message: "'raw' RFC822 payload message string or uploading message via /upload/* URL required", reason: 'invalidArgument' });
        if (!/^(to|cc|bcc):\s*\S/im.test(headerBlockOf(raw))) return fail(400, { message: 'Recipient address required', reason: 'invalidArgument' });
        const list = sentBy.get(caller.mailbox) ?? [];
        list.push(raw);
        sentBy.set(caller.mailbox, list);
        const message = store(caller.mailbox, raw, ['SENT']);
        if (options.deliverSentMail) {
          for (const recipient of recipientsOf(raw, options.deliverSentMail.domain)) store(recipient, raw, ['INBOX', 'UNREAD']);
        }
        return answer(200, { id: message.id, threadId: message.threadId, labelIds: message.labelIds });
      }
    }
  }

  function callerOf(request: IncomingMessage): Caller | 'unauthenticated' | 'needs-message-token' {
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!bearer) return 'unauthenticated';
    const asDelegated = delegated.get(bearer);
    if (asDelegated) return { kind: 'delegated', ...asDelegated };
    const sandbox = options.acceptSandboxDelegation ? parseSandboxDelegatedToken(bearer) : undefined;
    if (sandbox && sandbox.subject.endsWith(`@${options.acceptSandboxDelegation!.domain.toLowerCase()}`)) {
      return { kind: 'delegated', mailbox: sandbox.subject, scopes: sandbox.scopes };
    }
    const user = userTokens.get(bearer);
    if (!user || user.expired) return 'unauthenticated';
    const header = request.headers['x-goog-gmail-access-token'];
    const messageToken = messageTokens.get(Array.isArray(header) ? header[0] ?? '' : header ?? '');
    // The add-on's own scopes (gmail.addons.*) open nothing without the per-message token of that user.
    if (!messageToken || messageToken.mailbox !== user.mailbox) return 'needs-message-token';
    return { kind: 'addon', mailbox: user.mailbox, messageId: messageToken.messageId };
  }

  function payloadOf(message: StoredMessage): GmailPart {
    const attachments = new Map<string, Buffer>();
    const payload = walkPart(message.raw, '', (partId, data) => {
      const attachmentId = `ANGjdJ${Buffer.from(`${message.id}:${partId}`).toString('base64url')}`;
      attachments.set(attachmentId, data);
      return attachmentId;
    });
    message.attachments = attachments;
    return payload;
  }

  function summaryOf(message: StoredMessage) {
    return {
      id: message.id,
      threadId: message.threadId,
      labelIds: message.labelIds,
      snippet: snippetOf(message.raw),
      historyId: String(1000 + message.raw.length),
      internalDate: String(message.internalDate),
      sizeEstimate: message.raw.length,
    };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const rootUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  return {
    rootUrl,
    calls,
    addMessage(mailbox, raw, addOptions = {}) {
      const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.from(raw);
      return toPublic(store(mailbox, bytes, ['INBOX', 'UNREAD'], addOptions.id ?? newId()));
    },
    messages: (mailbox) => [...boxOf(mailbox).values()].map(toPublic),
    sent: (mailbox) => [...(sentBy.get(mailbox.toLowerCase()) ?? [])],
    addonTokens(mailbox, messageId) {
      const key = mailbox.toLowerCase();
      const userOAuthToken = `ya29.addon-${randomBytes(12).toString('hex')}`;
      const gmailAccessToken = `gmail-msg-${randomBytes(12).toString('hex')}`;
      userTokens.set(userOAuthToken, { mailbox: key, expired: false });
      messageTokens.set(gmailAccessToken, { mailbox: key, messageId });
      return { userOAuthToken, gmailAccessToken };
    },
    expireAddonTokens(mailbox) {
      const key = mailbox.toLowerCase();
      for (const token of userTokens.values()) if (token.mailbox === key) token.expired = true;
    },
    delegatedToken(mailbox, scopes) {
      const token = `ya29.delegated-${randomBytes(12).toString('hex')}`;
      delegated.set(token, { mailbox: mailbox.toLowerCase(), scopes: [...scopes] });
      return token;
    },
    failNext(match, status, times = 1) {
      failures.push({ ...match, status, remaining: times });
    },
    refuseRawFormat(refuse) {
      rawRefused = refuse;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function toPublic(message: StoredMessage): FakeGmailMessage {
  return { id: message.id, threadId: message.threadId, mailbox: message.mailbox, raw: message.raw, labelIds: [...message.labelIds] };
}

function routeOf(method: string, path: string): Route | undefined {
  const upload = /^\/upload\/gmail\/v1\/users\/([^/]+)\/messages\/send$/.exec(path);
  if (upload && method === 'POST') return { name: 'send', userId: upload[1]!, upload: true };
  const match = /^\/gmail\/v1\/users\/([^/]+)\/messages(?:\/([^/]+)(?:\/(trash|attachments)(?:\/([^/]+))?)?)?$/.exec(path);
  if (!match) return undefined;
  const [, userId, id, action, attachmentId] = match as unknown as [string, string, string | undefined, string | undefined, string | undefined];
  if (id === undefined) return method === 'GET' ? { name: 'list', userId } : undefined;
  if (id === 'send' && action === undefined) return method === 'POST' ? { name: 'send', userId, upload: false } : undefined;
  const messageId = decodeURIComponent(id);
  if (action === undefined) return method === 'GET' ? { name: 'get', userId, id: messageId } : undefined;
  if (action === 'trash' && attachmentId === undefined) return method === 'POST' ? { name: 'trash', userId, id: messageId } : undefined;
  if (action === 'attachments' && attachmentId !== undefined) {
    return method === 'GET' ? { name: 'attachments.get', userId, id: messageId, attachmentId: decodeURIComponent(attachmentId) } : undefined;
  }
  return undefined;
}

/** The few search operators the local Gmail understands; undefined for anything else. */
function parseQuery(q: string): { messageId?: string; anywhere: boolean; trashOnly: boolean } | undefined {
  const terms: { messageId?: string; anywhere: boolean; trashOnly: boolean } = { anywhere: false, trashOnly: false };
  for (const term of q.trim().split(/\s+/).filter(Boolean)) {
    const messageId = /^rfc822msgid:(.+)$/i.exec(term)?.[1];
    if (messageId !== undefined) terms.messageId = normaliseMessageId(messageId);
    else if (/^in:anywhere$/i.test(term)) terms.anywhere = true;
    else if (/^in:trash$/i.test(term)) terms.trashOnly = true;
    else return undefined;
  }
  return terms;
}

const normaliseMessageId = (value: string) => value.trim().replace(/^<|>$/g, '').toLowerCase();

function messageIdOf(raw: Buffer): string | undefined {
  const header = parseHeaders(headerBlockOf(raw)).find((entry) => entry.name.toLowerCase() === 'message-id');
  return header ? normaliseMessageId(header.value) : undefined;
}

/** The To and Cc addresses of a message that are in `domain`, lower case, once each. */
function recipientsOf(raw: Buffer, domain: string): string[] {
  const suffix = `@${domain.toLowerCase()}`;
  const addresses = parseHeaders(headerBlockOf(raw))
    .filter((entry) => /^(to|cc)$/i.test(entry.name))
    .flatMap((entry) => entry.value.match(/[^\s<>,;"]+@[^\s<>,;"]+/g) ?? [])
    .map((address) => address.toLowerCase());
  return [...new Set(addresses)].filter((address) => address.endsWith(suffix));
}

function dateOf(raw: Buffer): number | undefined {
  const header = parseHeaders(headerBlockOf(raw)).find((entry) => entry.name.toLowerCase() === 'date');
  const at = header ? Date.parse(header.value) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
}

// --- A small MIME walker, enough to give Gmail's `full` shape of a message ---

interface GmailHeader { name: string; value: string }
interface GmailPart {
  partId: string;
  mimeType: string;
  filename: string;
  headers: GmailHeader[];
  body: { size: number; data?: string; attachmentId?: string };
  parts?: GmailPart[];
}

/** Splits an entity at its first blank line (CRLF or bare LF). */
function splitEntity(entity: Buffer): { head: string; body: Buffer } {
  const text = entity.toString('latin1');
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { head: text.slice(0, crlf), body: entity.subarray(crlf + 4) };
  if (lf >= 0) return { head: text.slice(0, lf), body: entity.subarray(lf + 2) };
  return { head: text, body: Buffer.alloc(0) };
}

function headerBlockOf(raw: Buffer): string {
  return splitEntity(raw).head;
}

/** Unfolds and splits a header block; bytes outside ASCII are read as UTF-8 (as Gmail shows them). */
function parseHeaders(head: string): GmailHeader[] {
  const unfolded = Buffer.from(head, 'latin1').toString('utf8').replace(/\r?\n(?=[ \t])/g, '');
  const headers: GmailHeader[] = [];
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

/** A parameter of a structured header (`boundary`, `charset`, `name`, `filename`), quoted or not. */
function parameterOf(value: string | undefined, name: string): string | undefined {
  if (!value) return undefined;
  const match = new RegExp(`(?:^|;)\\s*${name}\\*?=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i').exec(value);
  const found = match?.[1] ?? match?.[2];
  if (found === undefined) return undefined;
  // RFC 2231 (name*=utf-8''…): enough for file names.
  const extended = /^([\w-]+)'[^']*'(.*)$/.exec(found);
  if (extended) {
    try {
      return decodeURIComponent(extended[2]!);
    } catch {
      return extended[2];
    }
  }
  return found.replace(/\\(.)/g, '$1');
}

function decodeTransfer(body: Buffer, encoding: string): Buffer {
  switch (encoding.trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable': {
      const text = body.toString('latin1').replace(/=\r?\n/g, '');
      const bytes: number[] = [];
      for (let index = 0; index < text.length; index += 1) {
        const hex = text[index] === '=' ? text.slice(index + 1, index + 3) : '';
        if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
          bytes.push(Number.parseInt(hex, 16));
          index += 2;
        } else {
          bytes.push(text.charCodeAt(index) & 0xff);
        }
      }
      return Buffer.from(bytes);
    }
    default:
      return body;
  }
}

function walkPart(entity: Buffer, partId: string, attach: (partId: string, data: Buffer) => string): GmailPart {
  const { head, body } = splitEntity(entity);
  const headers = parseHeaders(head);
  const headerValue = (name: string) => headers.find((header) => header.name.toLowerCase() === name)?.value;
  const contentType = headerValue('content-type') ?? 'text/plain';
  const mimeType = (contentType.split(';')[0] ?? 'text/plain').trim().toLowerCase() || 'text/plain';
  const filename = parameterOf(headerValue('content-disposition'), 'filename') ?? parameterOf(contentType, 'name') ?? '';
  const boundary = parameterOf(contentType, 'boundary');

  if (mimeType.startsWith('multipart/') && boundary) {
    const parts = splitMultipart(body, boundary).map((child, index) => walkPart(child, partId === '' ? String(index) : `${partId}.${index}`, attach));
    return { partId, mimeType, filename, headers, body: { size: 0 }, parts };
  }
  const data = decodeTransfer(body, headerValue('content-transfer-encoding') ?? '7bit');
  if (filename !== '' || /^\s*attachment/i.test(headerValue('content-disposition') ?? '')) {
    return { partId, mimeType, filename, headers, body: { attachmentId: attach(partId, data), size: data.length } };
  }
  return { partId, mimeType, filename, headers, body: { size: data.length, ...(data.length > 0 ? { data: data.toString('base64url') } : {}) } };
}

/** The parts between `--boundary` lines (preamble and epilogue dropped, as Gmail drops them). */
function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const parts: Buffer[] = [];
  let position = 0;
  let start = -1;
  while (position <= text.length) {
    const found = text.indexOf(delimiter, position);
    if (found < 0) break;
    const atLineStart = found === 0 || text[found - 1] === '\n';
    if (!atLineStart) {
      position = found + delimiter.length;
      continue;
    }
    if (start >= 0) {
      // The line break before the delimiter belongs to the delimiter.
      let end = found;
      if (text[end - 1] === '\n') end -= 1;
      if (text[end - 1] === '\r') end -= 1;
      parts.push(body.subarray(start, Math.max(start, end)));
    }
    const closing = text.startsWith('--', found + delimiter.length);
    if (closing) break;
    const lineEnd = text.indexOf('\n', found + delimiter.length);
    if (lineEnd < 0) break;
    start = lineEnd + 1;
    position = start;
  }
  return parts;
}

function snippetOf(raw: Buffer): string {
  try {
    const text = firstText(walkPart(raw, '', () => ''));
    return text.replace(/\s+/g, ' ').trim().slice(0, 100);
  } catch {
    return '';
  }
}

function firstText(part: GmailPart): string {
  if (part.mimeType === 'text/plain' && part.body.data) return Buffer.from(part.body.data, 'base64url').toString('utf8');
  for (const child of part.parts ?? []) {
    const found = firstText(child);
    if (found) return found;
  }
  return '';
}

/** The RFC 822 bytes of a send: JSON `{raw}`, or the media upload (uploadType=media or multipart/related). */
function rawToSend(upload: boolean, uploadType: string | undefined, contentType: string | undefined, body: Buffer): Buffer | undefined {
  if (!upload) {
    try {
      const json = JSON.parse(body.toString('utf8')) as { raw?: unknown };
      return typeof json.raw === 'string' ? Buffer.from(json.raw, 'base64url') : undefined;
    } catch {
      return undefined;
    }
  }
  if (uploadType === 'multipart') {
    const boundary = parameterOf(contentType, 'boundary');
    if (!boundary) return undefined;
    // First part: the JSON metadata; second: the message itself.
    const media = splitMultipart(body, boundary)[1];
    return media ? splitEntity(media).body : undefined;
  }
  return body;
}

// --- HTTP plumbing and Google's error shape ---

const TOO_LARGE = Symbol('too large');

async function readBody(request: IncomingMessage): Promise<Buffer | typeof TOO_LARGE> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return TOO_LARGE;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

interface ErrorDetail { message: string; reason: string; domain?: string }

const INSUFFICIENT_SCOPES: ErrorDetail = { message: 'Request had insufficient authentication scopes.', reason: 'insufficientPermissions' };

const DEFAULT_ERRORS: Record<number, { status: string; detail: ErrorDetail }> = {
  400: { status: 'INVALID_ARGUMENT', detail: { message: 'Invalid argument.', reason: 'invalidArgument' } },
  401: {
    status: 'UNAUTHENTICATED',
    detail: { message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', reason: 'authError' },
  },
  403: { status: 'PERMISSION_DENIED', detail: { message: 'The caller does not have permission', reason: 'forbidden' } },
  404: { status: 'NOT_FOUND', detail: { message: 'Requested entity was not found.', reason: 'notFound' } },
  413: { status: 'INVALID_ARGUMENT', detail: { message: 'Request payload size exceeds the limit.', reason: 'uploadTooLarge' } },
  429: { status: 'RESOURCE_EXHAUSTED', detail: { message: 'User-rate limit exceeded.', reason: 'userRateLimitExceeded', domain: 'usageLimits' } },
  500: { status: 'INTERNAL', detail: { message: 'Internal error encountered.', reason: 'backendError' } },
  502: { status: 'UNAVAILABLE', detail: { message: 'Bad gateway.', reason: 'backendError' } },
  503: { status: 'UNAVAILABLE', detail: { message: 'The service is currently unavailable.', reason: 'backendError' } },
  504: { status: 'DEADLINE_EXCEEDED', detail: { message: 'The request deadline was exceeded.', reason: 'backendError' } },
};

function sendError(response: ServerResponse, code: number, detail?: ErrorDetail, headers: Record<string, string> = {}) {
  const known = DEFAULT_ERRORS[code] ?? { status: code >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION', detail: { message: 'Request failed.', reason: 'failedPrecondition' } };
  const used = detail ?? known.detail;
  sendJson(response, code, {
    error: {
      code,
      message: used.message,
      status: known.status,
      errors: [{ message: used.message, domain: used.domain ?? 'global', reason: used.reason }],
    },
  }, headers);
}

function sendJson(response: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(payload);
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}
