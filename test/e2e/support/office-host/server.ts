import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';

/**
 * The stand-in Office host's web server, on 127.0.0.1: it serves the built add-in at /addin/outlook/ (as
 * DSL Desk will in production), this folder at /office-host/ (host page, fake Office.js, sample .eml) and
 * the filled manifest at /office-host/manifest.xml, and passes /api/ through to DSL Desk's sandbox, so the
 * add-in calls its API on its own origin exactly as it does when DSL Desk serves it.
 * Every /api/ request is logged (method, path, headers of interest, body size).
 */

export interface ApiRequestRecord {
  method: string;
  path: string;
  contentType: string | undefined;
  sandboxUser: string | undefined;
  authorization: boolean;
  idempotencyKey: string | undefined;
  note: string | undefined;
  bodyBytes: number;
  status?: number;
}

export interface OfficeHostServer {
  url: string;
  requests: ApiRequestRecord[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.xml': 'application/xml; charset=utf-8',
  '.json': 'application/json',
  '.eml': 'message/rfc822',
};

const HOST_DIR = resolve(__dirname);

function serveFile(res: ServerResponse, root: string, relative: string): void {
  const file = normalize(join(root, relative));
  if (!(file === root || file.startsWith(root + sep)) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' }).end(readFileSync(file));
}

function decodeNote(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return `(undecodable) ${value}`;
  }
}

export async function startOfficeHostServer(options: { addinDir: string; manifestXml: string; dslDeskUrl: string }): Promise<OfficeHostServer> {
  const requests: ApiRequestRecord[] = [];
  const target = new URL(options.dslDeskUrl);
  const addinDir = resolve(options.addinDir);

  const proxy = (req: IncomingMessage, res: ServerResponse) => {
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const record: ApiRequestRecord = {
      method: req.method ?? 'GET',
      path: req.url ?? '',
      contentType: header('content-type'),
      sandboxUser: header('x-dsl-desk-sandbox-user'),
      authorization: header('authorization') !== undefined,
      idempotencyKey: header('idempotency-key'),
      note: decodeNote(header('x-report-note')),
      bodyBytes: 0,
    };
    requests.push(record);
    const headers = { ...req.headers, host: target.host };
    const upstream = httpRequest({ hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
      record.status = answer.statusCode;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'bad_gateway', message: 'The test host could not reach DSL Desk.' } }));
    });
    req.on('data', (chunk: Buffer) => {
      record.bodyBytes += chunk.length;
    });
    req.pipe(upstream);
  };

  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (path.startsWith('/api/')) return proxy(req, res);
    if (path === '/office-host/manifest.xml') {
      res.writeHead(200, { 'Content-Type': TYPES['.xml']!, 'Cache-Control': 'no-store' }).end(options.manifestXml);
      return;
    }
    if (path.startsWith('/office-host/')) return serveFile(res, HOST_DIR, path.slice('/office-host/'.length));
    if (path.startsWith('/addin/outlook/')) return serveFile(res, addinDir, path.slice('/addin/outlook/'.length));
    if (path === '/') {
      res.writeHead(302, { Location: '/office-host/host.html' }).end();
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** fake-office.js, served to the browser in place of Microsoft's Office.js CDN file. */
export function fakeOfficeJs(): string {
  return readFileSync(join(HOST_DIR, 'fake-office.js'), 'utf8');
}

/** The address the add-in's pages load Office.js from. */
export const OFFICE_JS_CDN = 'https://appsforoffice.microsoft.com/lib/1/hosted/office.js';
