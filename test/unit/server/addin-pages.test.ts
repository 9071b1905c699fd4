import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import helmet from 'helmet';
import pino from 'pino';
import { createAddinPreparer } from '../../../src/addin-builder.ts';
import { addinPages, type AddinBuildState, type AddinPreparer } from '../../../src/server/routes/addin-pages.ts';

async function serve(router: express.Router): Promise<{ base: string; close: () => void }> {
  const app = express();
  app.use(helmet());
  app.use(router);
  app.get('/api', (_req, res) => {
    res.json({});
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

function writeBuild(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'taskpane.html'), '<!doctype html><title>Report to DSL</title>');
}

const silent = pino({ level: 'silent' });

describe('Outlook add-in pages', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'addin-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('are served with a policy that lets Outlook frame them and load Office.js, unlike the API', async () => {
    writeBuild(dir);
    const { base, close } = await serve(addinPages(dir));
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
      close();
    }
  });

  test('the Outlook add-in built after the service started is served at once, without a restart', async () => {
    const buildDir = join(dir, 'build', 'addon', 'outlook');
    const { base, close } = await serve(addinPages(buildDir));
    try {
      const before = await fetch(`${base}/addin/outlook/taskpane.html`);
      expect(before.status).toBe(404);
      const text = await before.text();
      expect(text).toContain('Report to DSL is not set up on this server yet');
      expect(text).toContain('npm run build:addin');
      expect(before.headers.get('content-type')).toMatch(/text\/html/);
      writeBuild(buildDir);
      const after = await fetch(`${base}/addin/outlook/taskpane.html`);
      expect(after.status).toBe(200);
      expect(await after.text()).toContain('<title>Report to DSL</title>');
    } finally {
      close();
    }
  });

  test('the Outlook add-in being built answers 503 with Retry-After and a "being prepared, reload in a moment" page, and starts the build', async () => {
    let state: AddinBuildState = { status: 'missing' };
    let starts = 0;
    const preparer: AddinPreparer = {
      state: () => state,
      start: () => {
        starts += 1;
        if (state.status === 'missing') state = { status: 'building', since: 0 };
      },
      settled: async () => undefined,
      stop: async () => undefined,
    };
    const { base, close } = await serve(addinPages(join(dir, 'none'), { preparer }));
    try {
      const page = await fetch(`${base}/addin/outlook/taskpane.html`);
      expect(starts).toBe(1);
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('5');
      expect(page.headers.get('cache-control')).toBe('no-store');
      const text = await page.text();
      expect(text).toContain('Report to DSL is being prepared');
      expect(text).toContain('Reload in a moment');
      state = { status: 'failed', at: 0 };
      const failed = await fetch(`${base}/addin/outlook/taskpane.html`);
      expect(failed.status).toBe(404);
      expect(await failed.text()).toContain('npm run build:addin');
    } finally {
      close();
    }
  });
});

describe('the Outlook add-in is built in the background when missing', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'addin-root-'));
    mkdirSync(join(root, 'scripts'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** A stand-in for scripts/build-addin.ts: writes a task pane into --out, or fails. */
  function buildScript(body: string): void {
    writeFileSync(join(root, 'scripts', 'build-addin.ts'), `import { mkdirSync, writeFileSync } from 'node:fs';\nconst out = process.argv[process.argv.indexOf('--out') + 1];\n${body}\n`);
  }

  test('the Outlook add-in build runs in a child process, is renamed into place whole, and is then served', async () => {
    buildScript(`mkdirSync(out, { recursive: true }); writeFileSync(out + '/taskpane.html', 'built ' + process.argv.includes('--sandbox') + ' ' + process.env.ADDIN_TEST_SETTING);`);
    const buildDir = join(root, 'build', 'addon', 'outlook');
    const preparer = createAddinPreparer({ root, buildDir, sandbox: true, logger: silent, env: { PATH: process.env.PATH ?? '', ADDIN_TEST_SETTING: 'passed on' } });
    const { base, close } = await serve(addinPages(buildDir, { preparer }));
    try {
      expect(preparer.state().status).toBe('missing');
      const first = await fetch(`${base}/addin/outlook/taskpane.html`);
      expect(first.status).toBe(503);
      expect(preparer.state().status).toBe('building');
      await preparer.settled();
      expect(preparer.state().status).toBe('built');
      // No temporary folder is left beside the build.
      expect(readdirSync(join(root, 'build', 'addon'))).toEqual(['outlook']);
      const page = await fetch(`${base}/addin/outlook/taskpane.html`);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe('built true passed on');
    } finally {
      close();
    }
  });

  test('the Outlook add-in build that fails is reported as not built, is not retried on every request, and leaves nothing behind', async () => {
    buildScript(`mkdirSync(out, { recursive: true }); writeFileSync(out + '/half.js', ''); console.error('PUBLIC_BASE_URL is required'); process.exit(1);`);
    const buildDir = join(root, 'build', 'addon', 'outlook');
    let now = 1_000_000;
    const preparer = createAddinPreparer({ root, buildDir, sandbox: false, logger: silent, now: () => now });
    preparer.start();
    expect(preparer.state().status).toBe('building');
    await preparer.settled();
    expect(preparer.state()).toEqual({ status: 'failed', at: 1_000_000 });
    expect(readdirSync(join(root, 'build', 'addon'))).toEqual([]);
    preparer.start();
    expect(preparer.state().status).toBe('failed');
    now += 61_000;
    preparer.start();
    expect(preparer.state().status).toBe('building');
    await preparer.stop();
    expect(preparer.state().status).toBe('failed');
  });
});
