import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import helmet from 'helmet';
import { addinPages } from '../../../src/server/routes/addin-pages.ts';

describe('Outlook add-in pages', () => {
  test('are served with a policy that lets Outlook frame them and load Office.js, unlike the API', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'addin-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'taskpane.html'), '<!doctype html><title>Report to DSL</title>');
    const app = express();
    app.use(helmet());
    app.use(addinPages(dir));
    app.get('/api', (_req, res) => {
      res.json({});
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const page = await fetch(`${base}/addin/outlook/taskpane.html`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Report to DSL');
      expect(page.headers.get('x-frame-options')).toBeNull();
      const policy = page.headers.get('content-security-policy') ?? '';
      expect(policy).toContain('frame-ancestors');
      expect(policy).toContain('https://*.office.com');
      expect(policy).toContain("script-src 'self' https://appsforoffice.microsoft.com");
      const api = await fetch(`${base}/api`);
      expect(api.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect((await fetch(`${base}/addin/outlook/missing.js`)).status).toBe(404);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without a build there is nothing at /addin/outlook', () => {
    expect(addinPages(join(tmpdir(), 'no-such-addin-build')).stack).toHaveLength(0);
  });
});
