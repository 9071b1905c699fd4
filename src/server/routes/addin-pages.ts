import { existsSync } from 'node:fs';
import express, { Router } from 'express';

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

/**
 * Serves the built Outlook add-in (npm run build:addin) at /addin/outlook/. Outlook frames these pages and
 * they load Office.js from Microsoft's CDN, so they get their own policy instead of the API's helmet
 * defaults, which forbid both. Nothing here holds school data.
 */
export function addinPages(buildDir: string): Router {
  const router = Router();
  if (!existsSync(buildDir)) return router;
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
    express.static(buildDir, { index: false, fallthrough: true, maxAge: '1h' }),
  );
  return router;
}
