import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DatabaseSync } from 'node:sqlite';
import { freshBuild } from '../../bin/fresh-build.js';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'bin/dsl-desk.js');
// A call takes a fraction of a second on a quiet machine and many times that on a busy one (two cores,
// other suites running): the limits only catch a hang, they never judge speed (that is `npm run bench`).
const CALL_TIMEOUT_MS = 120_000;
const TEST_TIMEOUT_MS = 600_000;

/** Runs the operators' CLI as a user would, against a sandbox data directory. */
async function cli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliWith({ DATA_DIR: dataDir, DATABASE_URL: '' }, ...args);
}

async function cliWith(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: CALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number | string | null; killed?: boolean; stdout: string; stderr: string };
    if (e.killed || typeof e.code !== 'number') throw new Error(`dsl-desk ${args.join(' ')} did not finish (${e.killed ? `stopped after ${CALL_TIMEOUT_MS} ms` : String(e.code)}): ${e.stderr}`);
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// The suite runs what `npm ci` leaves behind: the built CLI in dist/, rebuilt here if the sources moved on.
beforeAll(() => {
  if (freshBuild(ROOT, 'cli').path) return;
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build.js')], { cwd: ROOT, encoding: 'utf8', timeout: 280_000 });
  if (built.status !== 0) throw new Error(`npm run build failed: ${built.stderr}`);
}, 300_000);

describe('dsl-desk CLI', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsl-desk-cli-'));

  test('aup publish: versions with their SHA-256, and a clear refusal of bad input', async () => {
    const aupDir = mkdtempSync(join(tmpdir(), 'dsl-desk-cli-aup-'));
    await cli(aupDir, 'school', 'add', '--name', 'Aup Primary', '--slug', 'aup-primary');
    const sample = resolve(__dirname, '../../samples/aup/staff-aup.md');
    const first = await cli(aupDir, 'aup', 'publish', 'staff', sample, '--school', 'aup-primary', '--effective', '2026-09-01');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Published "Staff Acceptable Use Policy" for staff: version 1, effective 2026-09-01, review 2027-09-01/);
    expect(first.stdout).toMatch(/SHA-256 [0-9a-f]{64}/);
    const same = await cli(aupDir, 'aup', 'publish', 'staff', sample, '--school', 'aup-primary');
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(/same as version 1/);
    const bad = await cli(aupDir, 'aup', 'publish', 'pupils', sample, '--school', 'aup-primary');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/<audience>: audience must be one of: staff, supply/);
    const missing = await cli(aupDir, 'aup', 'publish', 'staff', join(aupDir, 'nope.md'), '--school', 'aup-primary');
    expect(missing.stderr).toMatch(/Cannot read/);
  }, TEST_TIMEOUT_MS);

  test('aup new-starter, status (table and CSV) and campaign status with its progress bar', async () => {
    const aupDir = mkdtempSync(join(tmpdir(), 'dsl-desk-cli-aup-status-'));
    await cli(aupDir, 'school', 'add', '--name', 'Status Primary', '--slug', 'status-primary');
    const csv = join(aupDir, 'people.csv');
    writeFileSync(csv, 'display_name,email,roles\nAnn Lead,ann@status.example.org,staff;dsl\nBob Class,bob@status.example.org,staff\n');
    await cli(aupDir, 'people', 'import', csv, '--school', 'status-primary');
    const none = await cli(aupDir, 'aup', 'campaign', 'status', '--school', 'status-primary');
    expect(none.stdout).toMatch(/no campaigns yet/);
    await cli(aupDir, 'aup', 'publish', 'staff', resolve(__dirname, '../../samples/aup/staff-aup.md'), '--school', 'status-primary');

    const bad = await cli(aupDir, 'aup', 'new-starter', '--school', 'status-primary', '--name', 'Nia Newstart', '--email', 'not-an-email', '--start-date', '1/9/2031');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--email: Give the new starter’s school email address/);
    expect(bad.stderr).toMatch(/--start-date: Give the start date such as 2026-09-01/);
    const added = await cli(aupDir, 'aup', 'new-starter', '--school', 'status-primary', '--name', 'Nia Newstart', '--email', 'nia@status.example.org', '--start-date', '2031-09-01', '--line-manager', 'ann@status.example.org');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/Nia Newstart is a new starter/);

    const table = await cli(aupDir, 'aup', 'status', '--school', 'status-primary');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+AUDIENCE\s+POLICY\s+STATUS\s+SIGNED \(Europe\/London\)/m);
    expect(table.stdout).toMatch(/Nia Newstart\s+Staff\s+v1\s+unsigned/);
    expect(table.stdout).toMatch(/0 signed, 3 not signed/);
    const exported = await cli(aupDir, 'aup', 'status', '--school', 'status-primary', '--csv');
    expect(exported.stdout.split('\r\n')[0]).toBe('name,email,audience,policy,version,status,signed_at_utc,last_signed_version,sent_by,sent_at_utc,reminders,not_delivered_because,start_date');
    expect(exported.stdout).toContain('Nia Newstart,nia@status.example.org,Staff,Staff Acceptable Use Policy,1,unsigned');
    expect((await cli(aupDir, 'aup', 'status', '--school', 'status-primary', '--audience', 'pupils')).stderr).toMatch(/--audience must be one of/);

    const progress = await cli(aupDir, 'aup', 'campaign', 'status', '--school', 'status-primary');
    expect(progress.code).toBe(0);
    expect(progress.stdout).toMatch(/Staff Acceptable Use Policy v1 \(new version\).*2 people/);
    expect(progress.stdout).toMatch(/0\/2 sent \| 0 signed \| 0 failed/);
    expect(progress.stdout).toMatch(/Sent 0, signed 0, failed 0, still to send 2\./);

    const qr = join(aupDir, 'reception.svg');
    const link = await cli(aupDir, 'aup', 'link', '--school', 'status-primary', '--audience', 'staff', '--for', 'Sally Supply', '--hours', '8', '--qr', qr);
    expect(link.code).toBe(0);
    expect(link.stdout).toMatch(/One-time signing link for Sally Supply \(staff\)/);
    expect(link.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/aup\/sign\/[A-Za-z0-9_-]{43}$/m);
    expect(readFileSync(qr, 'utf8')).toMatch(/^<svg /);
    const noPolicy = await cli(aupDir, 'aup', 'link', '--school', 'status-primary', '--audience', 'visitor', '--for', 'Val Visitor');
    expect(noPolicy.code).toBe(1);
    expect(noPolicy.stderr).toMatch(/no published policy for visitors|Publish one first/i);
  }, TEST_TIMEOUT_MS);

  test('messages use the names people typed: CLI errors name the flags typed (--start-date, --line-manager, --wording, --time-zone), never the internal fields', async () => {
    const namesDir = mkdtempSync(join(tmpdir(), 'dsl-desk-cli-names-'));
    const zone = await cli(namesDir, 'school', 'add', '--name', 'Names Primary', '--slug', 'names-primary', '--time-zone', 'Mars/Olympus_Mons');
    expect(zone.code).toBe(1);
    expect(zone.stderr).toMatch(/--time-zone/);
    expect(zone.stderr).not.toMatch(/\btimeZone\b/);
    await cli(namesDir, 'school', 'add', '--name', 'Names Primary', '--slug', 'names-primary');
    const starter = await cli(namesDir, 'aup', 'new-starter', '--school', 'names-primary', '--name', 'Nia', '--email', 'nia@names.example.org', '--start-date', '1/9/2031', '--line-manager', 'not-an-email');
    expect(starter.code).toBe(1);
    expect(starter.stderr).toMatch(/^ {2}--start-date: /m);
    expect(starter.stderr).toMatch(/^ {2}--line-manager: /m);
    expect(starter.stderr).not.toMatch(/startDate|lineManagerEmail/);
    const policy = await cli(namesDir, 'aup', 'publish', 'staff', resolve(__dirname, '../../samples/aup/staff-aup.md'), '--school', 'names-primary', '--wording', '', '--effective', '2026-02-30', '--review', '2027-02-28');
    expect(policy.code).toBe(1);
    expect(policy.stderr).toMatch(/^ {2}--wording: /m);
    expect(policy.stderr).toMatch(/^ {2}--effective: /m);
    expect(policy.stderr).not.toMatch(/acknowledgementWording|effectiveDate/);
  }, TEST_TIMEOUT_MS);

  test('school add, people import with per-row errors, grant-role, audit verify, and tamper detection', async () => {
    expect((await cli(dataDir, 'migrate')).stdout).toMatch(/Applied: 0001_core|up to date/);
    const added = await cli(dataDir, 'school', 'add', '--name', 'Oakfield Primary', '--slug', 'oakfield');
    expect(added.stdout).toMatch(/Added Oakfield Primary/);

    const csv = join(dataDir, 'people.csv');
    writeFileSync(csv, 'display_name,email,roles\nAnn Lead,ann@oakfield.org,staff;dsl\nNo Email,,staff\nBob Class,bob@oakfield.org,\nCat Odd,cat@oakfield.org,wizard\n');
    const imported = await cli(dataDir, 'people', 'import', csv, '--school', 'oakfield');
    expect(imported.code).toBe(2);
    expect(imported.stdout).toMatch(/2 added, 0 updated, 2 rejected/);
    expect(imported.stdout).toMatch(/line 3: email is not a valid email address/);
    expect(imported.stdout).toMatch(/line 5: roles must be some of/);
    expect(imported.stderr).toMatch(/Importing/);

    const granted = await cli(dataDir, 'people', 'grant-role', '--school', 'oakfield', '--email', 'bob@oakfield.org', '--role', 'it');
    expect(granted.stdout).toMatch(/Bob Class now has: it, staff/);
    expect((await cli(dataDir, 'people', 'grant-role', '--school', 'oakfield', '--email', 'bob@oakfield.org', '--role', 'king')).stderr).toMatch(/Choose one of/);

    const clean = await cli(dataDir, 'audit', 'verify');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/Audit chain intact: \d+ events across 1 school/);

    const db = new DatabaseSync(join(dataDir, 'dsl-desk.sqlite'));
    const row = db.prepare("select id, seq from audit_events where action = 'role.granted' order by seq desc limit 1").get() as { id: string; seq: number };
    db.prepare("update audit_events set detail = '{\"role\":\"head\"}' where id = ?").run(row.id);
    db.close();
    const broken = await cli(dataDir, 'audit', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`event #${row.seq} (id ${row.id}) was altered`);
  }, TEST_TIMEOUT_MS);
  test('the built CLI is what runs, and it answers as the sources do', async () => {
    expect(freshBuild(ROOT, 'cli').path).toBeDefined();
    const email = join(ROOT, 'samples/emails/headteacher-gift-cards.eml');
    const analyse = ['analyse', email, '--school-domain', 'demo-school.test', '--staff-name', 'Harriet Head'];
    const built = await cliWith({}, ...analyse);
    const sources = await cliWith({ DSL_DESK_FROM_SOURCES: '1' }, ...analyse);
    expect(built.code).toBe(0);
    expect(built.stderr).toBe('');
    expect(JSON.parse(built.stdout)).toMatchObject({ verdict: 'likely_phishing' });
    expect(built.stdout).toBe(sources.stdout);

    const help = await cliWith({}, '--help');
    expect(help.stdout).toMatch(/^Usage: dsl-desk/);
    expect(help.stdout).toMatch(/serve\s+start the service/);
    expect(help.stdout).toBe((await cliWith({ DSL_DESK_FROM_SOURCES: '1' }, '--help')).stdout);
    expect((await cliWith({}, 'analyse', join(ROOT, 'no-such.eml'))).stderr).toMatch(/Cannot read .*no such file/);
  }, TEST_TIMEOUT_MS);

  test('serve: the built service answers /readyz, the API, the Teams bot and a signing link, and stops on SIGTERM', async () => {
    const serveDir = mkdtempSync(join(tmpdir(), 'dsl-desk-cli-serve-'));
    const env = { ...process.env, DSL_DESK_MODE: 'sandbox', HOST: '127.0.0.1', PORT: '0', DATA_DIR: serveDir, DATABASE_URL: '', DATA_KEYS: '', LOG_LEVEL: 'info' };
    const child = spawn(process.execPath, [CLI, 'serve'], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          const listening = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"DSL Desk is listening"/.exec(out);
          if (listening) resolve(listening[1]!);
        });
        void exited.then((code) => reject(new Error(`dsl-desk serve exited (${code}) before listening: ${stderr}`)));
      });
      expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: 'ready', database: 'sqlite' });
      expect(((await (await fetch(`${url}/api/v1/openapi.json`)).json()) as { openapi: string }).openapi).toMatch(/^3\.1/);

      const teacher = { 'X-DSL-Desk-Sandbox-User': 'teacher@demo-school.test' };
      const report = await fetch(`${url}/api/v1/reports`, {
        method: 'POST',
        headers: { ...teacher, 'Content-Type': 'application/json', 'Idempotency-Key': 'cli-serve-0001' },
        body: JSON.stringify({ concern: { types: ['online_bullying'], location: 'inside_school', description: 'Year 5 group chat: messages mocking a pupil.' } }),
      });
      expect(report.status).toBe(201);
      const emailed = await fetch(`${url}/api/v1/email-reports?choice=phishing`, { method: 'POST', headers: { ...teacher, 'Content-Type': 'message/rfc822' }, body: readFileSync(join(ROOT, 'samples/emails/headteacher-gift-cards.eml')) });
      expect(emailed.status).toBe(201);

      // The message action's dialog is a card filled from a template: the bundled templating works.
      const tenant = '5a7d0c3e-0000-4000-8000-00000000d5d5';
      const invoke = await fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          type: 'invoke',
          name: 'composeExtension/fetchTask',
          id: 'cli-serve-invoke',
          channelId: 'msteams',
          serviceUrl: 'http://127.0.0.1:9/',
          from: { id: '29:tess-teacher', name: 'Tess Teacher', aadObjectId: '5a7d0c3e-0000-4000-8000-000000000001' },
          recipient: { id: '28:dsl-desk', name: 'DSL Desk' },
          conversation: { id: 'a:tess', conversationType: 'personal', tenantId: tenant },
          channelData: { tenant: { id: tenant } },
          value: { commandId: 'reportMessage', commandContext: 'message', messagePayload: { id: '1', body: { contentType: 'html', content: '<p>hello</p>' }, from: { user: { displayName: 'Sam Sender', id: 'x' } } } },
        }),
      });
      expect(invoke.status).toBe(200);
      const dialog = (await invoke.json()) as { task: { type: string; value: { card: { content: unknown } } } };
      expect(dialog.task.type).toBe('continue');
      expect(JSON.stringify(dialog.task.value.card.content)).toContain('Sam Sender');

      // The CLI beside the running service: a signing link, whose page the service renders.
      const link = await cliWith({ DATA_DIR: serveDir, DATABASE_URL: '', PORT: new URL(url).port }, 'aup', 'link', '--school', 'demo-school', '--audience', 'staff', '--for', 'Sally Supply');
      expect(link.code).toBe(0);
      const page = await fetch(/^http:\S+$/m.exec(link.stdout)![0]);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Staff Acceptable Use Policy');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/running the sources|Warning/);
  }, TEST_TIMEOUT_MS);
});
