import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DatabaseSync } from 'node:sqlite';

const run = promisify(execFile);
const CLI = resolve(__dirname, '../../bin/dsl-desk.js');

/** Runs the operators' CLI as a user would, against a sandbox data directory. */
async function cli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

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
    expect(bad.stderr).toMatch(/audience: audience must be one of: staff, supply/);
    const missing = await cli(aupDir, 'aup', 'publish', 'staff', join(aupDir, 'nope.md'), '--school', 'aup-primary');
    expect(missing.stderr).toMatch(/Cannot read/);
  });

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
    expect(bad.stderr).toMatch(/email: Give the new starter’s school email address/);
    expect(bad.stderr).toMatch(/startDate: Give the start date such as 2026-09-01/);
    const added = await cli(aupDir, 'aup', 'new-starter', '--school', 'status-primary', '--name', 'Nia Newstart', '--email', 'nia@status.example.org', '--start-date', '2031-09-01', '--line-manager', 'ann@status.example.org');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/Nia Newstart is a new starter/);

    const table = await cli(aupDir, 'aup', 'status', '--school', 'status-primary');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+AUDIENCE\s+POLICY\s+STATUS/m);
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
  });

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
  });
});
