import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INetworkModule, NetworkResponse } from '@azure/msal-node';
import type { FakeIdentityProvider } from './fake-identity-provider.ts';

/** One message as a mailbox holds it: the MIME Graph returns for $value. */
export interface FakeMailMessage {
  mailbox: string;
  id: string;
  mime: Buffer;
}

export interface FakeGraph {
  url: string;
  addMessage(message: FakeMailMessage): void;
  /** Who (Entra object id) may read which mailbox: their own always, shared ones only if listed. */
  grantAccess(mailbox: string, objectId: string): void;
  setOwner(mailbox: string, objectId: string): void;
  readonly calls: readonly { path: string; status: number; oid?: string }[];
  /** Messages moved through the app-only API, and mails sent with sendMail (the request body as Graph received it). */
  readonly moved: readonly { mailbox: string; id: string; destination: string }[];
  readonly sent: readonly { from: string; body: unknown }[];
  /**
   * Each PUT to an attachment upload session, as Graph received it: the Content-Range asked for, the bytes
   * sent, whether an Authorization header came with it (it must not: the upload URL carries its own), status.
   */
  readonly uploads: readonly { range: string; bytes: number; authorization: boolean; status: number }[];
  close(): Promise<void>;
}

function messageIdOf(mime: Buffer): string | undefined {
  return /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(mime.subarray(0, 16_384).toString('latin1'))?.[1];
}

async function readJson(request: import('node:http').IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

/**
 * Microsoft Graph's mail endpoints DSL Desk uses, on 127.0.0.1: `GET /v1.0/users/{mailbox}/messages/{id}/$value`
 * and `/v1.0/me/messages/{id}/$value`; app-only: users, message search, move, sendMail, and large attachments
 * (a draft, `attachments/createUploadSession`, PUT ranges to the session's URL, `send`). Tokens must be ones the fake identity provider issued for Graph; a
 * mailbox the token's user may not open answers 403 ErrorAccessDenied, as Exchange does.
 */
export async function startFakeGraph(idp: FakeIdentityProvider): Promise<FakeGraph> {
  const messages = new Map<string, FakeMailMessage>();
  const access = new Map<string, Set<string>>();
  const owners = new Map<string, string>();
  const calls: { path: string; status: number; oid?: string }[] = [];
  const moved: { mailbox: string; id: string; destination: string }[] = [];
  const sent: { from: string; body: unknown }[] = [];
  const uploads: { range: string; bytes: number; authorization: boolean; status: number }[] = [];
  /** Drafts by mailbox and id, with attachments (complete ones as bytes) and open upload sessions. */
  const drafts = new Map<string, { mailbox: string; message: Record<string, unknown>; attachments: { id: string; name: string; contentType: string; bytes: Buffer }[] }>();
  const sessions = new Map<string, { token: string; draftKey: string; name: string; contentType: string; size: number; received: Buffer[]; next: number; expires: string }>();
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    // Upload sessions are authorised by their URL (an authtoken Graph put in it), never by a bearer token.
    if (path.startsWith('/upload/')) return answerUpload(request, response, path);
    const answer = (status: number, body: unknown, oid?: string) => {
      calls.push({ path, status, ...(oid ? { oid } : {}) });
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    let oid: string;
    let appRoles: string[] = [];
    try {
      const claims = await idp.verifyIssuedToken(token ?? '');
      if (claims.aud !== 'https://graph.microsoft.com') throw new Error('audience');
      oid = String(claims.oid);
      appRoles = Array.isArray(claims.roles) ? (claims.roles as string[]) : [];
    } catch {
      return answer(401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' } });
    }
    if (appRoles.length > 0) return answerApp(request, response, path, appRoles, answer);
    const match = /^\/v1\.0\/(?:users\/([^/]+)|me)\/messages\/([^/]+)\/\$value$/.exec(path);
    if (request.method !== 'GET' || !match) return answer(404, { error: { code: 'ResourceNotFound', message: 'Resource not found.' } }, oid);
    const mailbox = match[1] ? match[1].toLowerCase() : [...owners.entries()].find(([, owner]) => owner === oid)?.[0];
    if (!mailbox || (owners.get(mailbox) !== oid && !access.get(mailbox)?.has(oid))) {
      return answer(403, { error: { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' } }, oid);
    }
    const message = messages.get(`${mailbox}|${match[2]}`);
    if (!message) return answer(404, { error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } }, oid);
    calls.push({ path, status: 200, oid });
    response.writeHead(200, { 'content-type': 'message/rfc822', 'content-length': String(message.mime.byteLength) });
    response.end(message.mime);
  });
  /** Application-permission calls: list users, search a mailbox by Message-ID, move, send. */
  async function answerApp(
    request: import('node:http').IncomingMessage,
    response: import('node:http').ServerResponse,
    path: string,
    roles: string[],
    answer: (status: number, body: unknown) => void,
  ): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const users = [...owners.entries()].map(([mail, id]) => ({ id, mail }));
    if (request.method === 'GET' && path === '/v1.0/users') {
      if (!roles.includes('User.Read.All')) return answer(403, { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges.' } });
      // Two users per page, so callers must follow @odata.nextLink as they would for a real school.
      const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
      const page = users.slice(skip, skip + 2);
      const nextLink = skip + 2 < users.length ? `${baseUrl}/v1.0/users?$skiptoken=${skip + 2}` : undefined;
      return answer(200, { value: page, ...(nextLink ? { '@odata.nextLink': nextLink } : {}) });
    }
    const search = /^\/v1\.0\/users\/([^/]+)\/messages$/.exec(path);
    if (request.method === 'GET' && search) {
      const mailbox = users.find((u) => u.id === search[1] || u.mail === search[1])?.mail;
      if (!mailbox) return answer(404, { error: { code: 'ResourceNotFound', message: 'User not found.' } });
      const wanted = /internetMessageId eq '(.+)'$/.exec(url.searchParams.get('$filter') ?? '')?.[1]?.replaceAll("''", "'");
      const found = [...messages.values()].filter((m) => m.mailbox.toLowerCase() === mailbox && messageIdOf(m.mime) === wanted);
      return answer(200, { value: found.map((m) => ({ id: m.id })) });
    }
    const move = /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)\/move$/.exec(path);
    if (request.method === 'POST' && move) {
      const mailbox = users.find((u) => u.id === move[1] || u.mail === move[1])?.mail;
      const key = `${mailbox}|${move[2]}`;
      if (!mailbox || !messages.has(key)) return answer(404, { error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } });
      moved.push({ mailbox, id: move[2]!, destination: String(((await readJson(request)) as { destinationId?: string }).destinationId) });
      messages.delete(key);
      return answer(201, { id: `${move[2]}-moved` });
    }
    const createDraft = /^\/v1\.0\/users\/([^/]+)\/messages$/.exec(path);
    if (request.method === 'POST' && createDraft) {
      if (!roles.includes('Mail.ReadWrite')) return answer(403, { error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } });
      const id = `AAMkAD-draft-${randomUUID()}`;
      const message = (await readJson(request)) as Record<string, unknown>;
      drafts.set(`${decodeURIComponent(createDraft[1]!).toLowerCase()}|${id}`, { mailbox: decodeURIComponent(createDraft[1]!), message, attachments: [] });
      return answer(201, { ...message, id, isDraft: true, hasAttachments: false });
    }
    const draftAction = /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)(\/attachments\/createUploadSession|\/send)?$/.exec(path);
    const draftKey = draftAction ? `${decodeURIComponent(draftAction[1]!).toLowerCase()}|${draftAction[2]}` : '';
    if (draftAction && drafts.has(draftKey)) {
      const draft = drafts.get(draftKey)!;
      if (request.method === 'DELETE' && !draftAction[3]) {
        drafts.delete(draftKey);
        response.writeHead(204);
        response.end();
        return;
      }
      if (request.method === 'POST' && draftAction[3] === '/attachments/createUploadSession') {
        const item = ((await readJson(request)) as { AttachmentItem?: { attachmentType?: string; name?: string; size?: number; contentType?: string } }).AttachmentItem;
        if (!item || item.attachmentType !== 'file' || !item.name || !Number.isInteger(item.size) || item.size! <= 0) {
          return answer(400, { error: { code: 'ErrorInvalidRequest', message: 'AttachmentItem needs attachmentType file, a name and a size.' } });
        }
        // Graph's limits: an upload session is for files of 3 MB to 150 MB.
        if (item.size! > 150 * 1024 * 1024) return answer(413, { error: { code: 'ErrorAttachmentSizeLimitExceeded', message: 'The attachment is too large.' } });
        const id = randomUUID();
        const token = randomUUID();
        const expires = new Date(Date.now() + 15 * 60_000).toISOString();
        sessions.set(id, { token, draftKey, name: item.name, contentType: item.contentType ?? 'application/octet-stream', size: item.size!, received: [], next: 0, expires });
        return answer(201, {
          '@odata.context': `${baseUrl}/v1.0/$metadata#microsoft.graph.uploadSession`,
          uploadUrl: `${baseUrl}/upload/${id}?authtoken=${token}`,
          expirationDateTime: expires,
          nextExpectedRanges: ['0-'],
        });
      }
      if (request.method === 'POST' && draftAction[3] === '/send') {
        if (!roles.includes('Mail.Send')) return answer(403, { error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } });
        if ([...sessions.values()].some((session) => session.draftKey === draftKey)) {
          return answer(400, { error: { code: 'ErrorInvalidRequest', message: 'An attachment upload for this message is not complete.' } });
        }
        drafts.delete(draftKey);
        // Recorded in sendMail's shape, so a test reads both the same way.
        sent.push({
          from: draft.mailbox,
          body: {
            message: {
              ...draft.message,
              attachments: draft.attachments.map((a) => ({ '@odata.type': '#microsoft.graph.fileAttachment', name: a.name, contentType: a.contentType, contentBytes: a.bytes.toString('base64') })),
            },
            sentFrom: 'draft',
          },
        });
        response.writeHead(202);
        response.end();
        return;
      }
    }
    const send = /^\/v1\.0\/users\/([^/]+)\/sendMail$/.exec(path);
    if (request.method === 'POST' && send) {
      if (!roles.includes('Mail.Send')) return answer(403, { error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } });
      sent.push({ from: decodeURIComponent(send[1]!), body: await readJson(request) });
      response.writeHead(202);
      response.end();
      return;
    }
    return answer(404, { error: { code: 'ResourceNotFound', message: 'Resource not found.' } });
  }

  /**
   * PUT to an upload session's URL: `Content-Range: bytes {start}-{end}/{total}`, the next expected range
   * only, at most 4 MB; 200 with nextExpectedRanges until the last range, then 201 Created with a Location.
   */
  async function answerUpload(request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse, path: string): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const id = path.slice('/upload/'.length);
    const session = sessions.get(id);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const range = request.headers['content-range'] ?? '';
    const reply = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      uploads.push({ range, bytes: body.byteLength, authorization: request.headers.authorization !== undefined, status });
      calls.push({ path: '/upload', status });
      response.writeHead(status, { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers });
      response.end(payload ? JSON.stringify(payload) : undefined);
    };
    if (request.method !== 'PUT' || !session || url.searchParams.get('authtoken') !== session.token) return reply(404, { error: { code: 'ResourceNotFound', message: 'Upload session not found.' } });
    // The upload URL is pre-authorised; Outlook refuses a request that also carries a bearer token.
    if (request.headers.authorization) return reply(401, { error: { code: 'InvalidAuthenticationToken', message: 'Do not send an Authorization header to an upload URL.' } });
    const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(range);
    if (!match) return reply(400, { error: { code: 'InvalidRange', message: 'Content-Range must be bytes start-end/total.' } });
    const [start, end, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (total !== session.size || start !== session.next || end < start || end >= total || end - start + 1 !== body.byteLength || Number(request.headers['content-length']) !== body.byteLength) {
      return reply(416, { error: { code: 'InvalidRange', message: `Expected bytes ${session.next}- of ${session.size}.` } });
    }
    if (body.byteLength > 4 * 1024 * 1024) return reply(413, { error: { code: 'RequestEntityTooLarge', message: 'At most 4 MB per request.' } });
    session.received.push(body);
    session.next = end + 1;
    if (session.next < session.size) return reply(200, { expirationDateTime: session.expires, nextExpectedRanges: [`${session.next}-`] });
    sessions.delete(id);
    const draft = drafts.get(session.draftKey)!;
    const attachmentId = `AAMkAD-attachment-${randomUUID()}`;
    draft.attachments.push({ id: attachmentId, name: session.name, contentType: session.contentType, bytes: Buffer.concat(session.received) });
    const [mailbox, messageId] = session.draftKey.split('|');
    return reply(201, undefined, { location: `${baseUrl}/v1.0/users/${mailbox}/messages/${messageId}/attachments/${attachmentId}` });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    moved,
    sent,
    uploads,
    addMessage(message) {
      messages.set(`${message.mailbox.toLowerCase()}|${message.id}`, message);
    },
    grantAccess(mailbox, objectId) {
      const set = access.get(mailbox.toLowerCase()) ?? new Set<string>();
      set.add(objectId);
      access.set(mailbox.toLowerCase(), set);
    },
    setOwner(mailbox, objectId) {
      owners.set(mailbox.toLowerCase(), objectId);
    },
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * MSAL's HTTP client for tests: MSAL insists on an https authority, so the tests name one and this client
 * carries the calls to the local identity provider over plain http. Everything else in MSAL runs as in production.
 */
export function plainHttpNetworkClient(): INetworkModule {
  const send = async <T>(method: 'GET' | 'POST', url: string, options?: { headers?: Record<string, string>; body?: string }): Promise<NetworkResponse<T>> => {
    const target = url.replace(/^https:\/\/127\.0\.0\.1:/, 'http://127.0.0.1:');
    if (!target.startsWith('http://127.0.0.1:')) throw new Error(`test network client refuses ${url}`);
    const response = await fetch(target, { method, headers: options?.headers ?? {}, ...(options?.body !== undefined ? { body: options.body } : {}) });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return { status: response.status, headers, body: (await response.json()) as T };
  };
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}
