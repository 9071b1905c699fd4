import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router, type Response } from 'express';

/** Where Outlook may show the add-in's pages (web, new Outlook, Windows, Mac). */
const OUTLOOK_FRAME_ANCESTORS = [
  "'self'",
  'https://*.office.com',
  'https://*.office365.com',
  'https://*.outlook.com',
  'https://outlook.live.com',
  'https://*.cloud.microsoft',
  'https://*.officeapps.live.com',
];

/** The file whose presence means "built": the build writes it, and the whole folder appears at once. */
export const ADDIN_BUILT_MARKER = 'taskpane.html';

/** Whether the built Outlook add-in is there, being built, or could not be built. */
export type AddinBuildState = { status: 'built' } | { status: 'building'; since: number } | { status: 'failed'; at: number } | { status: 'missing' };

/** Builds the add-in in the background when it is missing (src/addin-builder.ts). */
export interface AddinPreparer {
  state(): AddinBuildState;
  /** Starts a build in the background unless the add-in is built or being built; never waits for it. */
  start(): void;
  /** Resolves when a build that is running has finished (tests, shutdown). */
  settled(): Promise<void>;
  /** Ends a running build (the service is stopping); resolves when it has ended. */
  stop(): Promise<void>;
}

/** Seconds a client is asked to wait while the add-in is being built (a sandbox build takes a few seconds). */
export const ADDIN_RETRY_AFTER_SECONDS = 5;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A plain page for the add-in's frame while there is nothing to serve (no school data, no scripts). */
export function addinNoticePage(title: string, paragraphs: string[]): string {
  return `<!doctype html>
<html lang="en-GB">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} – DSL Desk</title>
<style>body{font:14px/1.45 "Segoe UI",system-ui,sans-serif;margin:0;color:#1b1b1b}main{padding:12px 14px;max-width:34rem}h1{font-size:1.15rem;color:#4b2a85}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}</main></body>
</html>`;
}

export const ADDIN_BEING_PREPARED = {
  title: 'Report to DSL is being prepared',
  paragraphs: [
    'This DSL Desk server is building its Outlook add-in for the first time. It takes a few seconds.',
    'Reload in a moment (or close this pane and open it again). If a child may be in danger, do not wait: tell your DSL in person now.',
  ],
};

export const ADDIN_NOT_BUILT = {
  title: 'Report to DSL is not set up on this server yet',
  paragraphs: [
    'The Outlook add-in has not been built on this DSL Desk server, so there is nothing to show here.',
    'Whoever runs DSL Desk: build it with npm run build:addin (see the README); it is served as soon as it is built, without a restart. The service log says why an automatic build did not work. If a child may be in danger, tell your DSL in person now.',
  ],
};

function notice(res: Response, status: number, page: { title: string; paragraphs: string[] }): void {
  res.status(status).set('Cache-Control', 'no-store').type('html').send(addinNoticePage(page.title, page.paragraphs));
}

/**
 * Serves the built Outlook add-in (npm run build:addin) at /addin/outlook/. Outlook frames these pages and
 * they load Office.js from Microsoft's CDN, so they get their own policy instead of the API's helmet
 * defaults, which forbid both. Nothing here holds school data.
 *
 * Whether the add-in is built is checked on every request, so a build made after the service started is
 * served at once. While it is missing, a `preparer` builds it in the background and the pages answer 503
 * with `Retry-After` and a "being prepared, reload in a moment" page; without one (or when the build
 * failed) they answer 404 with a page saying how to build it.
 */
export function addinPages(buildDir: string, options: { preparer?: AddinPreparer } = {}): Router {
  const router = Router();
  const serveStatic = express.static(buildDir, { index: false, fallthrough: true, maxAge: '1h' });
  router.use(
    '/addin/outlook',
    (_req, res, next) => {
      res.removeHeader('X-Frame-Options');
      res.set(
        'Content-Security-Policy',
        [
          "default-src 'self'",
          "script-src 'self' https://appsforoffice.microsoft.com",
          "style-src 'self' 'unsafe-inline' https://appsforoffice.microsoft.com",
          "img-src 'self' data: https://appsforoffice.microsoft.com",
          "connect-src 'self' https://login.microsoftonline.com https://*.login.microsoftonline.com",
          `frame-ancestors ${OUTLOOK_FRAME_ANCESTORS.join(' ')}`,
        ].join('; '),
      );
      next();
    },
    (req, res, next) => {
      if (existsSync(join(buildDir, ADDIN_BUILT_MARKER))) {
        serveStatic(req, res, next);
        return;
      }
      const { preparer } = options;
      preparer?.start();
      if (preparer?.state().status === 'building') {
        res.set('Retry-After', String(ADDIN_RETRY_AFTER_SECONDS));
        notice(res, 503, ADDIN_BEING_PREPARED);
        return;
      }
      notice(res, 404, ADDIN_NOT_BUILT);
    },
  );
  return router;
}
