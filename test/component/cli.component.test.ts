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

  test('aup new-starter, status (table and CSV), aup campaign status shows every delivery in progress, and aup link prints the right address with its caption', async () => {
    const aupDir = mkdtempSync(join(tmpdir(), 'dsl-desk-cli-aup-status-'));
    await cli(aupDir, 'school', 'add', '--name', 'Status Primary', '--slug', 'status-primary');
    const csv = join(aupDir, 'people.csv');
    writeFileSync(csv, 'display_name,email,roles\nAnn Lead,ann@status.example.org,staff;dsl\nBob Class,bob@status.example.org,staff\n');
    await cli(aupDir, 'people', 'import', csv, '--school', 'status-primary');
    const none = await cli(aupDir, 'aup', 'campaign', 'status', '--school', 'status-primary');
    expect(none.stdout).toMatch(/nothing being sent and no campaigns this year/);
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
    expect(exported.stdout.split('\r\n')[0]).toBe('name,email,audience,policy,version,status,signed_at_utc,signed_via,link_for,last_signed_version,sent_by,sent_at_utc,reminders,not_delivered_because,start_date');
    expect(exported.stdout).toContain('Nia Newstart,nia@status.example.org,Staff,Staff Acceptable Use Policy,1,unsigned');
    expect((await cli(aupDir, 'aup', 'status', '--school', 'status-primary', '--audience', 'pupils')).stderr).toMatch(/--audience must be one of/);

    // aup campaign status shows every delivery in progress: the publication's campaign and the new starter.
    const progress = await cli(aupDir, 'aup', 'campaign', 'status', '--school', 'status-primary');
    expect(progress.code).toBe(0);
    expect(progress.stdout).toMatch(/^In progress at Status Primary:$/m);
    expect(progress.stdout).toMatch(/Staff Acceptable Use Policy v1 \(new version\).*2 people:\n.*0\/2 sent \| 0 signed \| 0 failed\n\s+sent 0, pending 2, failed 0/);
    expect(progress.stdout).toMatch(/Staff Acceptable Use Policy v1 \(new starters\).*1 person:\n.*0\/1 sent .*\n\s+sent 0, pending 1, failed 0.*\n\s+not signed yet: Nia Newstart/);
    expect(progress.stdout).toMatch(/In progress: sent 0, signed 0, failed 0, still to send 3, waiting for a reminder 0\./);

    // aup link prints the right address: never a guessed one nobody else can open.
    const links = () => Number((new DatabaseSync(join(aupDir, 'dsl-desk.sqlite')).prepare('select count(*) as n from aup_signing_links').get() as { n: number }).n);
    const guessed = await cli(aupDir, 'aup', 'link', '--school', 'status-primary', '--audience', 'staff', '--for', 'Sally Supply');
    expect(guessed.code).toBe(1);
    expect(guessed.stderr).toMatch(/PUBLIC_BASE_URL is not set, so the link would point at http:\/\/127\.0\.0\.1:3978, which only this machine can open\. Nobody else could open the link or its QR code, so none was made\./);
    expect(guessed.stdout).not.toMatch(/aup\/sign/);
    const loopback = await cliWith({ DATA_DIR: aupDir, DATABASE_URL: '', PUBLIC_BASE_URL: 'http://localhost:4000' }, 'aup', 'link', '--school', 'status-primary', '--audience', 'staff', '--for', 'Sally Supply');
    expect(loopback.code).toBe(1);
    expect(loopback.stderr).toMatch(/PUBLIC_BASE_URL is http:\/\/localhost:4000, which only this machine can open/);
    expect(links()).toBe(0);
    const qr = join(aupDir, 'reception.svg');
    const link = await cliWith({ DATA_DIR: aupDir, DATABASE_URL: '', PUBLIC_BASE_URL: 'https://dsl.status.example.org/' }, 'aup', 'link', '--school', 'status-primary', '--audience', 'staff', '--for', 'Sally Supply', '--hours', '8', '--qr', qr);
    expect(link.code).toBe(0);
    expect(link.stdout).toMatch(/^One-time signing link:\n {2}For: Sally Supply, staff\n {2}Policy: Staff Acceptable Use Policy, version 1, Status Primary\n {2}Works once, until \w+day \d+ \w+ \d{4}, \d\d:\d\d Europe\/London time \((GMT|BST)\)\n/);
    expect(link.stdout).toMatch(/^https:\/\/dsl\.status\.example\.org\/aup\/sign\/[A-Za-z0-9_-]{43}$/m);
    const svg = readFileSync(qr, 'utf8');
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('>For: Sally Supply, staff</text>');
    expect(svg).toMatch(/Europe\/London time \((GMT|BST)\)<\/text>/);
    const local = await cli(aupDir, 'aup', 'link', '--school', 'status-primary', '--audience', 'staff', '--for', 'Sally Supply', '--local');
    expect(local.code).toBe(0);
    expect(local.stdout).toMatch(/Only this machine can open it \(--local\)/);
    expect(local.stdout).toMatch(/^http:\/\/127\.0\.0\.1:3978\/aup\/sign\/[A-Za-z0-9_-]{43}$/m);
    expect((await cli(aupDir, 'aup', 'link', '--school', 'status-primary', '--audience', 'staff', '--for', 'Sally Supply', '--local', '--qr', join(aupDir, 'qr.png'))).stderr).toMatch(/--qr saves an SVG file/);
    expect(links()).toBe(2);
    const noPolicy = await cli(aupDir, 'aup', 'link', '--school', 'status-primary', '--audience', 'visitor', '--for', 'Val Visitor', '--local');
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

  test('the CSV import finishes with a stray quote, an unclosed quote, a duplicate email and a changed role, reports each, and changes nothing for them without --update', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsl-desk-cli-import-'));
    await cli(dir, 'school', 'add', '--name', 'Import Primary', '--slug', 'import-primary');
    const first = join(dir, 'first.csv');
    writeFileSync(first, 'display_name,email,roles\nSam Smith,sam@import.example.org,staff\n');
    expect((await cli(dir, 'people', 'import', first, '--school', 'import-primary')).code).toBe(0);

    // Exported from a spreadsheet: a byte-order mark and CRLF line ends.
    const csv = join(dir, 'staff.csv');
    writeFileSync(
      csv,
      '\uFEFFdisplay_name,email,roles\r\n' +
        'Kim Lee,kim@import.example.org,staff\r\n' +
        'Cat "Kitty" Jones,cat@import.example.org,staff\r\n' +
        'Sam Smith,sam@import.example.org,staff;dsl\r\n' +
        'Dan Dup,dan@import.example.org,staff\r\n' +
        '"Gus Open,gus@import.example.org,staff\r\n' +
        'Daniel Dup,DAN@import.example.org,staff\r\n' +
        'Eve Extra,eve@import.example.org,staff,more,cells\r\n' +
        'Lee Last,lee@import.example.org,staff\r\n',
    );
    const imported = await cli(dir, 'people', 'import', csv, '--school', 'import-primary');
    expect(imported.code).toBe(2);
    expect(imported.stdout).toMatch(/^Imported into Import Primary: 2 added, 0 updated, 0 unchanged, 1 with changes not applied, 5 rejected\.$/m);
    expect(imported.stdout).toMatch(/^ {2}line 3: a stray double quote \("\) in cell 1 \(display_name\): remove it/m);
    expect(imported.stdout).toMatch(/^ {2}line 4: Sam Smith: roles staff → staff, dsl \(use --update to apply\)$/m);
    expect(imported.stdout).toMatch(/^ {2}line 5: dan@import\.example\.org is also on line 7: keep one row per person/m);
    expect(imported.stdout).toMatch(/^ {2}line 6: a double quote \("\) opens a cell and is never closed/m);
    expect(imported.stdout).toMatch(/^ {2}line 7: dan@import\.example\.org is also on line 5/m);
    expect(imported.stdout).toMatch(/^ {2}line 8: has 5 cells but the first line names 3 columns/m);
    expect(imported.stdout).toMatch(/5 rows were rejected: fix them and import the file again/);
    expect(imported.stdout).toMatch(/1 existing person was left unchanged: run again with --update/);
    expect(imported.stderr).toBe('');
    const listed = (await cli(dir, 'people', 'list', '--school', 'import-primary')).stdout;
    expect(listed).toMatch(/^kim@import\.example\.org\s+Kim Lee\s+staff$/m);
    expect(listed).toMatch(/^lee@import\.example\.org\s+Lee Last\s+staff$/m);
    expect(listed).toMatch(/^sam@import\.example\.org\s+Sam Smith\s+staff$/m);
    expect(listed).not.toMatch(/dan@|cat@|gus@|eve@/);

    const updated = await cli(dir, 'people', 'import', csv, '--school', 'import-primary', '--update');
    expect(updated.code).toBe(2);
    expect(updated.stdout).toMatch(/0 added, 1 updated, 2 unchanged, 5 rejected/);
    expect(updated.stdout).toMatch(/^ {2}line 4: Sam Smith: roles staff → staff, dsl \(updated\)$/m);
    expect((await cli(dir, 'people', 'list', '--school', 'import-primary')).stdout).toMatch(/^sam@import\.example\.org\s+Sam Smith\s+dsl, staff$/m);
    expect((await cli(dir, 'audit', 'verify')).code).toBe(0);

    const missing = await cli(dir, 'people', 'import', join(dir, 'nope.csv'), '--school', 'import-primary');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Cannot read .*nope\.csv: no such file/);
    const headerless = join(dir, 'headerless.csv');
    writeFileSync(headerless, 'Ann Lead,ann@import.example.org,staff\n');
    const refused = await cli(dir, 'people', 'import', headerless, '--school', 'import-primary');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/line 1 must name the columns: display_name and email are missing .* Nothing was imported\./);
  }, TEST_TIMEOUT_MS);

  test('Trusts and local authorities: trust add, school add --trust, rules, overrides, the dry run from a JSON or CSV export, and the figures', async () => {
    const trustDir = mkdtempSync(join(tmpdir(), 'dsl-desk-cli-trust-'));
    const tenant = '3f2b1c4d-0000-4000-8000-00000000abcd';
    expect((await cli(trustDir, 'trust', 'add', '--name', 'Forest Learning Trust', '--slug', 'forest', '--entra-tenant', tenant)).stdout).toMatch(/Added Forest Learning Trust/);
    expect((await cli(trustDir, 'school', 'add', '--name', 'Oakfield Primary', '--slug', 'oakfield', '--trust', 'forest')).stdout).toMatch(/Added Oakfield Primary/);
    expect((await cli(trustDir, 'school', 'add', '--name', 'Elmwood Academy', '--slug', 'elmwood', '--trust', 'forest')).stdout).toMatch(/Added Elmwood Academy/);
    // The tenant is the trust's: a school on its own cannot take it.
    expect((await cli(trustDir, 'school', 'add', '--name', 'Beech', '--slug', 'beech', '--entra-tenant', tenant)).stderr).toMatch(/already belongs/);
    expect((await cli(trustDir, 'trust', 'rule', 'add', '--trust', 'forest', '--when', 'department=Oakfield', '--school', 'oakfield')).stdout).toMatch(/department=Oakfield → oakfield/);
    expect((await cli(trustDir, 'trust', 'rule', 'add', '--trust', 'forest', '--when', 'extensionAttribute3=ELM', '--school', 'elmwood')).stdout).toMatch(/extensionAttribute3=ELM → elmwood/);
    const bad = await cli(trustDir, 'trust', 'rule', 'add', '--trust', 'forest', '--when', 'shoe-size', '--school', 'elmwood');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--when: Write fact=value/);
    expect((await cli(trustDir, 'trust', 'override', '--trust', 'forest', '--email', 'pip@forest.example.org', '--school', 'oakfield', '--school', 'elmwood')).stdout).toMatch(/pip@forest.example.org → oakfield, elmwood/);
    const listed = await cli(trustDir, 'trust', 'rule', 'list', '--trust', 'forest');
    expect(listed.stdout).toMatch(/department=Oakfield → oakfield[\s\S]*extensionAttribute3=ELM → elmwood[\s\S]*override {2}pip@forest.example.org → elmwood/);

    const json = join(trustDir, 'directory.json');
    writeFileSync(json, JSON.stringify({ value: [
      { userPrincipalName: 'amy@forest.example.org', department: 'Oakfield' },
      { mail: 'ben@forest.example.org', onPremisesExtensionAttributes: { extensionAttribute3: 'elm' } },
      { mail: 'pip@forest.example.org' },
      { mail: 'vic@forest.example.org', department: 'Estates' },
    ] }));
    const dry = await cli(trustDir, 'trust', 'dry-run', '--trust', 'forest', '--directory', json);
    expect(dry.stdout).toMatch(/amy@forest.example.org +oakfield +\[rule\]/);
    expect(dry.stdout).toMatch(/ben@forest.example.org +elmwood +\[rule\]/);
    expect(dry.stdout).toMatch(/pip@forest.example.org +elmwood, oakfield|pip@forest.example.org +oakfield, elmwood/);
    expect(dry.stdout).toMatch(/vic@forest.example.org +\(no school: sign-in is refused\)/);
    expect(dry.stdout).toMatch(/in no school: 1/);
    const csv = join(trustDir, 'directory.csv');
    writeFileSync(csv, 'email,department,office\ncat@forest.example.org,Oakfield,Main\n');
    expect(JSON.parse((await cli(trustDir, 'trust', 'dry-run', '--trust', 'forest', '--directory', csv, '--json')).stdout).rows).toEqual([{ email: 'cat@forest.example.org', schools: ['oakfield'], reason: 'rule' }]);
    expect((await cli(trustDir, 'trust', 'dry-run', '--trust', 'forest')).stderr).toMatch(/Graph is not configured/);

    expect((await cli(trustDir, 'trust', 'grant-role', '--trust', 'forest', '--email', 'lead@forest.example.org', '--role', 'trust_safeguarding_lead')).stdout).toMatch(/now trust_safeguarding_lead/);
    const figures = await cli(trustDir, 'trust', 'figures', '--trust', 'forest');
    expect(figures.stdout).toMatch(/elmwood +open 0/);
    expect(figures.stdout).toMatch(/oakfield +open 0/);
    expect((await cli(trustDir, 'trust', 'list')).stdout).toMatch(/forest +Forest Learning Trust \[trust\] +entra:3f2b1c4d[\s\S]*- elmwood[\s\S]*- oakfield/);
    const ruleId = /^\s*\d+\s+(\S+)\s+department=Oakfield/m.exec(listed.stdout)![1]!;
    expect((await cli(trustDir, 'trust', 'rule', 'remove', '--trust', 'forest', '--id', ruleId)).stdout).toMatch(/Rule removed/);
    expect((await cli(trustDir, 'trust', 'rule', 'list', '--trust', 'forest')).stdout).not.toContain('department=Oakfield');
    expect((await cli(trustDir, 'audit', 'verify')).stdout).toMatch(/Audit chain intact: \d+ events across 2 school/);
  }, TEST_TIMEOUT_MS);

  test('school google: the admin DSL Desk acts as on a Google school and its staff org units, shown back; a bad address names its flag', async () => {
    const googleDir = mkdtempSync(join(tmpdir(), 'dsl-desk-cli-google-'));
    await cli(googleDir, 'school', 'add', '--name', 'Beech Primary', '--slug', 'beech', '--google-domain', 'beech.example.org');
    expect((await cli(googleDir, 'school', 'google', '--school', 'beech')).stdout).toMatch(/No Google admin is set/);
    const set = await cli(googleDir, 'school', 'google', '--school', 'beech', '--admin-email', 'IT.Admin@beech.example.org', '--staff-org-unit', '/Staff', '--staff-org-unit', 'Teachers/');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/Beech Primary: Google admin it\.admin@beech\.example\.org; staff org units: \/Staff, \/Teachers; not read yet/);
    expect((await cli(googleDir, 'school', 'google', '--school', 'beech')).stdout).toMatch(/staff org units: \/Staff, \/Teachers/);
    const bad = await cli(googleDir, 'school', 'google', '--school', 'beech', '--admin-email', 'not-an-address');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--admin-email: Give the email address of an administrator/);
  }, TEST_TIMEOUT_MS);

  test('school pupil-pattern: the rule for "a pattern for a pupil" is shown, set and refused with the flag named', async () => {
    const patternDir = mkdtempSync(join(tmpdir(), 'dsl-desk-cli-pattern-'));
    await cli(patternDir, 'school', 'add', '--name', 'Ash Primary', '--slug', 'ash');
    expect((await cli(patternDir, 'school', 'pupil-pattern', '--school', 'ash')).stdout).toMatch(/Ash Primary: a pattern for a pupil is 3 concerns within 60 days\./);
    const set = await cli(patternDir, 'school', 'pupil-pattern', '--school', 'ash', '--count', '4', '--days', '30', '--always-types', 'grooming,nudes_semi_nudes');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/now 4 concerns within 30 days, or one of: grooming, nudes_semi_nudes/);
    expect((await cli(patternDir, 'school', 'pupil-pattern', '--school', 'ash', '--days', '45')).stdout).toMatch(/now 4 concerns within 45 days, or one of: grooming, nudes_semi_nudes/);
    const bad = await cli(patternDir, 'school', 'pupil-pattern', '--school', 'ash', '--count', '1');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--count: A pattern needs at least 2 concerns/);
    expect((await cli(patternDir, 'school', 'pupil-pattern', '--school', 'ash', '--count', 'three')).stderr).toMatch(/--count takes a whole number/);
  }, TEST_TIMEOUT_MS);

  test('school add, people import with per-row errors, grant-role, audit verify, and tamper detection', async () => {
    expect((await cli(dataDir, 'migrate')).stdout).toMatch(/Applied: 0001_core|up to date/);
    const added = await cli(dataDir, 'school', 'add', '--name', 'Oakfield Primary', '--slug', 'oakfield');
    expect(added.stdout).toMatch(/Added Oakfield Primary/);

    const csv = join(dataDir, 'people.csv');
    writeFileSync(csv, 'display_name,email,roles\nAnn Lead,ann@oakfield.org,staff;dsl\nNo Email,,staff\nBob Class,bob@oakfield.org,\nCat Odd,cat@oakfield.org,wizard\n');
    const imported = await cli(dataDir, 'people', 'import', csv, '--school', 'oakfield');
    expect(imported.code).toBe(2);
    expect(imported.stdout).toMatch(/2 added, 0 updated, 0 unchanged, 2 rejected/);
    expect(imported.stdout).toMatch(/line 3: email is not a valid email address/);
    expect(imported.stdout).toMatch(/line 5: roles must be some of/);
    // Not a terminal: no progress bar, only the summary.
    expect(imported.stderr).not.toMatch(/Importing/);

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
  test('pupils import: a CTF, run again, then a file with bad records; what it did, each rejection with its place', async () => {
    const pupilsDir = mkdtempSync(join(tmpdir(), 'dsl-desk-cli-pupils-'));
    await cli(pupilsDir, 'school', 'add', '--name', 'Pupil Primary', '--slug', 'pupil-primary');
    const fixtures = resolve(__dirname, '../fixtures/ctf');
    const first = await cli(pupilsDir, 'pupils', 'import', join(fixtures, 'sims-full.xml'), '--school', 'pupil-primary');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Imported the full CTF into Pupil Primary: 3 added, 0 updated, 0 marked left, 0 unchanged, 0 rejected/);
    const again = await cli(pupilsDir, 'pupils', 'import', join(fixtures, 'sims-full.xml'), '--school', 'pupil-primary');
    expect(again.stdout).toMatch(/0 added, 0 updated, 0 marked left, 3 unchanged, 0 rejected/);

    const problems = await cli(pupilsDir, 'pupils', 'import', join(fixtures, 'problems.xml'), '--school', 'pupil-primary');
    expect(problems.code).toBe(2);
    expect(problems.stdout).toMatch(/partial CTF into Pupil Primary: 1 added, .* 4 rejected/);
    expect(problems.stdout).toMatch(/pupil 2 \(line 16\): UPN: the check letter/);
    expect(problems.stdout).toMatch(/pupil 4 \(line 28\): DOB: missing/);
    // Names are the school's to see in its MIS, not in a terminal's scroll-back or a log.
    expect(problems.stdout).not.toMatch(/Quennell|Vasquez|Thornbury/);

    const csv = join(pupilsDir, 'pupils.csv');
    writeFileSync(csv, 'upn,legal_forename,legal_surname,date_of_birth,leaving_date\nF938200119001,Samantha,Green,2016-03-14,2026-12-18\n');
    expect((await cli(pupilsDir, 'pupils', 'import', csv, '--school', 'pupil-primary')).stdout).toMatch(/CSV into Pupil Primary: 0 added, 0 updated, 1 marked left/);
    const notXml = join(pupilsDir, 'broken.xml');
    writeFileSync(notXml, '<CTfile><Header>');
    const broken = await cli(pupilsDir, 'pupils', 'import', notXml, '--school', 'pupil-primary');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/not well-formed XML .*Nothing was imported/);

    const rule = await cli(pupilsDir, 'pupils', 'account-rule', '--school', 'pupil-primary', '--email-template', '{upn}@pupils.pupil-primary.example.org');
    expect(rule.stdout).toMatch(/accounts named \{upn\}@pupils.pupil-primary.example.org are pupils’/);
    const badRule = await cli(pupilsDir, 'pupils', 'account-rule', '--school', 'pupil-primary', '--email-template', 'pupils.example.org');
    expect(badRule.code).toBe(1);
    expect(badRule.stderr).toMatch(/--email-template: Give the pupils’ address with \{upn\}/);
  }, TEST_TIMEOUT_MS);
  test('every access is logged: audit access lists who opened what by person and date, and aup status exports are in it', async () => {
    const accessDir = mkdtempSync(join(tmpdir(), 'dsl-desk-cli-access-'));
    await cli(accessDir, 'school', 'add', '--name', 'Access Primary', '--slug', 'access-primary');
    const csv = join(accessDir, 'people.csv');
    writeFileSync(csv, 'display_name,email,roles\nAnn Lead,ann@access.example.org,staff;dsl\nCat Chair,cat@access.example.org,governor;chair_of_governors\n');
    expect((await cli(accessDir, 'people', 'import', csv, '--school', 'access-primary')).code).toBe(0);
    expect((await cli(accessDir, 'aup', 'status', '--school', 'access-primary')).code).toBe(0);
    const listed = await cli(accessDir, 'audit', 'access', '--school', 'access-primary', '--since', '2020-01-01', '--json');
    expect(listed.code).toBe(0);
    const entries = JSON.parse(listed.stdout).entries as { action: string; personId: string | null; detail: Record<string, unknown> }[];
    expect(entries).toEqual([expect.objectContaining({ action: 'aup.status_exported', personId: null, detail: expect.objectContaining({ via: 'cli' }) })]);
    const table = await cli(accessDir, 'audit', 'access', '--school', 'access-primary');
    expect(table.stdout).toMatch(/aup\.status_exported/);
    expect((await cli(accessDir, 'audit', 'access', '--school', 'access-primary', '--until', '2020-01-01')).stdout).toMatch(/No accesses match/);
    const nobody = await cli(accessDir, 'audit', 'access', '--school', 'access-primary', '--person', 'ann@access.example.org', '--json');
    expect(JSON.parse(nobody.stdout).entries).toEqual([]);
    const badDate = await cli(accessDir, 'audit', 'access', '--school', 'access-primary', '--since', 'last week');
    expect(badDate.code).toBe(1);
    expect(badDate.stderr).toMatch(/--since/);
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

  test('serve: the built service answers /readyz, the API, the Teams bot and a signing link (visitors who signed through a link appear in aup status), and stops on SIGTERM', async () => {
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
      const link = await cliWith({ DATA_DIR: serveDir, DATABASE_URL: '', PORT: new URL(url).port }, 'aup', 'link', '--school', 'demo-school', '--audience', 'staff', '--for', 'Sally Supply', '--local');
      expect(link.code).toBe(0);
      const address = /^http:\S+$/m.exec(link.stdout)![0];
      const page = await fetch(address);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Staff Acceptable Use Policy');

      // Visitors who signed through a link appear in aup status, with how they signed.
      const policyId = /name="policyId" value="([^"]+)"/.exec(html)![1]!;
      const signed = await fetch(address, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ policyId, agreed: 'yes', typedName: 'Sally Supply-Teacher', typedEmail: 'sally@supply.example.org' }).toString() });
      expect(signed.status).toBe(201);
      const status = await cliWith({ DATA_DIR: serveDir, DATABASE_URL: '' }, 'aup', 'status', '--school', 'demo-school', '--audience', 'staff');
      expect(status.stdout).toMatch(/^Sally Supply-Teacher\s+Staff\s+v1\s+signed\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+one-time link \(for Sally Supply\)/m);
      expect(status.stdout).toMatch(/\d+ signed \(1 without an account, through a one-time link\)/);
      const exported = await cliWith({ DATA_DIR: serveDir, DATABASE_URL: '' }, 'aup', 'status', '--school', 'demo-school', '--csv');
      expect(exported.stdout).toMatch(/^Sally Supply-Teacher,sally@supply\.example\.org,Staff,Staff Acceptable Use Policy,1,signed,[^,]+,one-time link,Sally Supply,/m);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/running the sources|Warning/);
  }, TEST_TIMEOUT_MS);
});
