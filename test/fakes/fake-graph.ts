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
  close(): Promise<void>;
}

/**
 * Microsoft Graph's mail endpoints DSL Desk uses, on 127.0.0.1: `GET /v1.0/users/{mailbox}/messages/{id}/$value`
 * and `/v1.0/me/messages/{id}/$value`. Tokens must be ones the fake identity provider issued for Graph; a
 * mailbox the token's user may not open answers 403 ErrorAccessDenied, as Exchange does.
 */
export async function startFakeGraph(idp: FakeIdentityProvider): Promise<FakeGraph> {
  const messages = new Map<string, FakeMailMessage>();
  const access = new Map<string, Set<string>>();
  const owners = new Map<string, string>();
  const calls: { path: string; status: number; oid?: string }[] = [];
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const answer = (status: number, body: unknown, oid?: string) => {
      calls.push({ path, status, ...(oid ? { oid } : {}) });
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    let oid: string;
    try {
      const claims = await idp.verifyIssuedToken(token ?? '');
      if (claims.aud !== 'https://graph.microsoft.com') throw new Error('audience');
      oid = String(claims.oid);
    } catch {
      return answer(401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' } });
    }
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
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
