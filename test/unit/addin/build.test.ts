import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BUDGET_KB_GZ, BuildError, buildAddin, ICON_SIZES } from '../../../scripts/build-addin.ts';

const ROOT = resolve(__dirname, '../../..');

describe('build-addin', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'dsl-desk-addin-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('bundles the add-in within its budget, with its pages, icons and a valid manifest', async () => {
    const result = await buildAddin({ root: ROOT, outDir: join(out, 'sandbox'), sandbox: true, env: {} });
    for (const file of ['spam-report.js', 'taskpane.js', 'taskpane.html', 'commands.html', 'help.html', 'taskpane.css', 'manifest.xml', 'manifest.unified.json', 'sizes.json']) {
      expect(existsSync(join(result.outDir, file))).toBe(true);
    }
    for (const size of ICON_SIZES) expect(readFileSync(join(result.outDir, 'assets', `icon-${size}.png`)).readUInt32BE(16)).toBe(size);
    expect(result.maxRuntimeKbGz).toBeLessThanOrEqual(BUDGET_KB_GZ);
    expect(JSON.parse(readFileSync(join(result.outDir, 'sizes.json'), 'utf8'))).toMatchObject({ budgetKbGz: BUDGET_KB_GZ, maxRuntimeKbGz: result.maxRuntimeKbGz });
    const script = readFileSync(join(result.outDir, 'spam-report.js'), 'utf8');
    // The sandbox build calls whichever local DSL Desk served it.
    expect(script).toContain('apiBase:""');
    expect(script).toContain('onSpamReport');
  });

  it("bakes a school's address, client id and phishing move into its build", async () => {
    const result = await buildAddin({
      root: ROOT,
      outDir: join(out, 'school'),
      sandbox: false,
      env: { PUBLIC_BASE_URL: 'https://dsl-desk.oakfield.sch.uk', OUTLOOK_ADDIN_ID: '6f1c2a9e-3b7d-4c1e-9a51-0d2f8e4b7c63', ENTRA_CLIENT_ID: 'a3d5e7f9-1b2c-4d3e-8f40-5a6b7c8d9e0f', OUTLOOK_PHISHING_MOVE_TO: 'deleted' },
    });
    const script = readFileSync(join(result.outDir, 'taskpane.js'), 'utf8');
    expect(script).toContain('apiBase:"https://dsl-desk.oakfield.sch.uk"');
    expect(script).toContain('apiScope:"api://dsl-desk.oakfield.sch.uk/a3d5e7f9-1b2c-4d3e-8f40-5a6b7c8d9e0f/access_as_user"');
    expect(script).toContain('phishingMoveTo:"deleted"');
    expect(readFileSync(join(result.outDir, 'manifest.xml'), 'utf8')).toContain('https://dsl-desk.oakfield.sch.uk/addin/outlook/taskpane.html');
  });

  it('refuses an unknown move setting', async () => {
    await expect(buildAddin({ root: ROOT, outDir: join(out, 'bad'), sandbox: true, env: { OUTLOOK_PHISHING_MOVE_TO: 'archive' } })).rejects.toThrow(BuildError);
  });
});
