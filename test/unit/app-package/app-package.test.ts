import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import {
  fillPlaceholders,
  findPlaceholders,
  PACKAGE_FILES,
  PackageError,
  packageTeamsApp,
  resolvePlaceholderValues,
  SANDBOX_VALUES,
  validateManifest,
  ZIP_NAME,
  type PlaceholderValues,
} from '../../../scripts/package-teams.ts';

// @microsoft/app-manifest requires strip-bom 5, an ES module that Node loads natively but this CommonJS
// test runner does not transform. Validation never calls it (it only cleans files the library reads
// itself), so it stands in here, resolved from the library so the right copy is replaced. The script
// runs below with the real module too.
jest.mock(require.resolve('strip-bom', { paths: [require.resolve('@microsoft/app-manifest')] }), () => ({
  __esModule: true,
  default: (text: string) => text.replace(/^\uFEFF/, ''),
}));

const ROOT = resolve(__dirname, '../../..');
const SCRIPT = join(ROOT, 'scripts', 'package-teams.ts');
const TEMPLATE_FILE = join(ROOT, 'appPackage', 'manifest.json');

const REAL = {
  TEAMS_APP_ID: '6f1c2a9e-3b7d-4c1e-9a51-0d2f8e4b7c63',
  BOT_APP_ID: 'a3d5e7f9-1b2c-4d3e-8f40-5a6b7c8d9e0f',
  PUBLIC_BASE_URL: 'https://dsl-desk.oakfield.sch.uk/',
};
const VALUES: PlaceholderValues = {
  TEAMS_APP_ID: REAL.TEAMS_APP_ID,
  BOT_APP_ID: REAL.BOT_APP_ID,
  PUBLIC_BASE_URL: 'https://dsl-desk.oakfield.sch.uk',
  PUBLIC_HOSTNAME: 'dsl-desk.oakfield.sch.uk',
};

type Json = Record<string, any>;
const template = (): Json => JSON.parse(readFileSync(TEMPLATE_FILE, 'utf8')) as Json;
const filled = (): Json => fillPlaceholders(template(), VALUES) as Json;
const tempDir = (name: string): string => mkdtempSync(join(tmpdir(), `dsl-desk-${name}-`));

/** The entries of a zip file (stored or deflated), read from its central directory. */
function readZip(file: string): Map<string, Buffer> {
  const zip = readFileSync(file);
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end -= 1;
  if (end < 0) throw new Error('not a zip file');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i += 1) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localAt = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const dataAt = localAt + 30 + zip.readUInt16LE(localAt + 26) + zip.readUInt16LE(localAt + 28);
    const raw = zip.subarray(dataAt, dataAt + compressedSize);
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
    expect(data.length).toBe(size);
    entries.set(name, data);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Runs the script as a person would, with only the given settings in its environment. */
function runScript(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [SCRIPT, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('Teams app manifest template', () => {
  test('declares a GA schema of at least 1.22, with the matching official $schema address', () => {
    const manifest = template();
    const [major, minor] = String(manifest.manifestVersion).split('.').map(Number);
    expect(major).toBe(1);
    expect(minor).toBeGreaterThanOrEqual(22);
    expect(manifest.$schema).toBe(`https://developer.microsoft.com/json-schemas/teams/v${manifest.manifestVersion}/MicrosoftTeams.schema.json`);
    expect(manifest.version).toBe('1.0.0');
  });

  test('uses exactly the placeholders the package script fills', () => {
    expect(findPlaceholders(template()).sort()).toEqual(['BOT_APP_ID', 'PUBLIC_BASE_URL', 'PUBLIC_HOSTNAME', 'TEAMS_APP_ID']);
    expect(findPlaceholders(filled())).toEqual([]);
  });

  test('filled in, it passes the official schema of its declared version, offline', async () => {
    await expect(validateManifest(filled(), ROOT)).resolves.toEqual([]);
  });

  test('the validator rejects broken manifests (so a pass means something)', async () => {
    const noBotId = filled();
    delete noBotId.bots[0].botId;
    expect((await validateManifest(noBotId, ROOT)).join('\n')).toMatch(/\/bots\/0 .*botId/);

    const wrongCommandType = filled();
    wrongCommandType.composeExtensions[0].commands[0].type = 'submit';
    expect((await validateManifest(wrongCommandType, ROOT)).join('\n')).toMatch(/\/composeExtensions\/0\/commands\/0\/type .*allowed values/);

    const unknownProperty = filled();
    unknownProperty.bots[0].supportsUploads = true;
    expect((await validateManifest(unknownProperty, ROOT)).join('\n')).toMatch(/additional properties/);

    // The unfilled template itself is not a valid manifest: its ids are not GUIDs yet.
    expect((await validateManifest(template(), ROOT)).join('\n')).toMatch(/\/id must match pattern/);

    const wrongSchemaAddress = filled();
    wrongSchemaAddress.$schema = 'https://developer.microsoft.com/json-schemas/teams/v1.22/MicrosoftTeams.schema.json';
    expect(await validateManifest(wrongSchemaAddress, ROOT)).toEqual([expect.stringMatching(/\$schema must be .*v1\.\d+/)]);
  });

  test('declares the bot for 1:1 chats and the DSL team, with the commands the bot answers', () => {
    const manifest = filled();
    expect(manifest.bots).toHaveLength(1);
    const [bot] = manifest.bots;
    expect(bot.botId).toBe(VALUES.BOT_APP_ID);
    expect(bot.scopes).toEqual(['personal', 'team']);
    expect(bot.supportsFiles).toBe(false);
    expect(bot.isNotificationOnly).toBe(false);
    const titles = (scope: string): string[] => bot.commandLists.find((list: Json) => list.scopes.includes(scope)).commands.map((c: Json) => c.title);
    expect(titles('personal')).toEqual(['Report a concern', 'My reports', 'Help']);
    expect(titles('team')).toEqual(['Use this channel for cases', 'Help']);
  });

  test('declares "Report to DSL" as a message action with id reportMessage that fetches its form', () => {
    const manifest = filled();
    expect(manifest.composeExtensions).toHaveLength(1);
    const [extension] = manifest.composeExtensions;
    expect(extension.botId).toBe(VALUES.BOT_APP_ID);
    expect(extension.commands).toEqual([expect.objectContaining({ id: 'reportMessage', type: 'action', context: ['message'], fetchTask: true, title: 'Report to DSL' })]);
  });

  test('names, descriptions, permissions, domains and sign-in resource', () => {
    const manifest = filled();
    expect(manifest.name.short).toBe('DSL Desk');
    expect(manifest.developer.name).toBe('DSL Desk');
    expect(manifest.developer.websiteUrl).toBe('https://dsl-desk.oakfield.sch.uk');
    expect(manifest.description.short.length).toBeLessThanOrEqual(80);
    expect(manifest.description.full.length).toBeLessThanOrEqual(4000);
    expect(manifest.description.full).toMatch(/Report to DSL/);
    expect(manifest.description.full).toMatch(/use this channel for cases/);
    expect(manifest.icons).toEqual({ color: 'color.png', outline: 'outline.png' });
    expect(manifest.permissions).toEqual(['identity', 'messageTeamMembers']);
    expect(manifest.devicePermissions).toEqual([]);
    expect(manifest.validDomains).toEqual(['dsl-desk.oakfield.sch.uk']);
    expect(manifest.webApplicationInfo).toEqual({ id: VALUES.BOT_APP_ID, resource: `api://dsl-desk.oakfield.sch.uk/${VALUES.BOT_APP_ID}` });
  });
});

describe('placeholder values', () => {
  test('are read from the environment; the base URL loses its trailing slash and gives the host', () => {
    const { values, examples } = resolvePlaceholderValues({ ...REAL, PUBLIC_BASE_URL: 'https://dsl.oakfield.sch.uk:8443/desk/' }, { sandbox: false });
    expect(values).toEqual({ ...VALUES, PUBLIC_BASE_URL: 'https://dsl.oakfield.sch.uk:8443/desk', PUBLIC_HOSTNAME: 'dsl.oakfield.sch.uk:8443' });
    expect(examples).toEqual([]);
  });

  test('every missing or invalid value is named, with what it should be', () => {
    expect(() => resolvePlaceholderValues({}, { sandbox: false })).toThrow(PackageError);
    expect(() => resolvePlaceholderValues({ BOT_APP_ID: ' ' }, { sandbox: false })).toThrow(/TEAMS_APP_ID is not set[\s\S]*BOT_APP_ID is not set[\s\S]*PUBLIC_BASE_URL is not set[\s\S]*--sandbox/);
    const invalid = { TEAMS_APP_ID: 'my-teams-app', BOT_APP_ID: '00000000-0000-0000-0000-000000000000', PUBLIC_BASE_URL: 'http://dsl-desk.oakfield.sch.uk' };
    expect(() => resolvePlaceholderValues(invalid, { sandbox: false })).toThrow(/TEAMS_APP_ID "my-teams-app" is not a GUID[\s\S]*BOT_APP_ID is the all-zero GUID[\s\S]*must start with https:\/\//);
    expect(() => resolvePlaceholderValues({ ...REAL, PUBLIC_BASE_URL: 'dsl-desk.oakfield.sch.uk' }, { sandbox: false })).toThrow(/PUBLIC_BASE_URL "dsl-desk.oakfield.sch.uk" is not a URL/);
    expect(() => resolvePlaceholderValues({ ...REAL, PUBLIC_BASE_URL: 'https://x.example/?a=1' }, { sandbox: false })).toThrow(/query/);
  });

  test('the sandbox fills stable examples for what is not set, and still checks what is', () => {
    const first = resolvePlaceholderValues({}, { sandbox: true });
    expect(first.values).toEqual({ ...SANDBOX_VALUES, PUBLIC_HOSTNAME: 'dsl-desk.example' });
    expect(first.examples).toEqual(['TEAMS_APP_ID', 'BOT_APP_ID', 'PUBLIC_BASE_URL']);
    expect(resolvePlaceholderValues({}, { sandbox: true }).values).toEqual(first.values);
    const mixed = resolvePlaceholderValues({ BOT_APP_ID: REAL.BOT_APP_ID }, { sandbox: true });
    expect(mixed.values.BOT_APP_ID).toBe(REAL.BOT_APP_ID);
    expect(mixed.examples).toEqual(['TEAMS_APP_ID', 'PUBLIC_BASE_URL']);
    expect(() => resolvePlaceholderValues({ BOT_APP_ID: 'nope' }, { sandbox: true })).toThrow(/BOT_APP_ID "nope" is not a GUID/);
  });

  test('a placeholder the script does not know is refused', () => {
    expect(() => fillPlaceholders({ id: '${{TEAMS_APP_ID}}', url: '${{SUPPORT_URL}}' }, VALUES)).toThrow(/\$\{\{SUPPORT_URL\}\}/);
  });
});

describe('package script', () => {
  test('writes a zip of exactly manifest.json, color.png and outline.png, filled and valid', async () => {
    const outDir = tempDir('teams-package');
    const result = await packageTeamsApp({ rootDir: ROOT, env: REAL, outDir });
    expect(result.zipPath).toBe(join(outDir, ZIP_NAME));
    expect(result.sandbox).toBe(false);
    const entries = readZip(result.zipPath);
    expect([...entries.keys()]).toEqual([...PACKAGE_FILES]);
    const manifestText = entries.get('manifest.json')!.toString('utf8');
    expect(manifestText).not.toContain('${{');
    const manifest = JSON.parse(manifestText) as Json;
    expect(manifest.id).toBe(REAL.TEAMS_APP_ID);
    expect(manifest.bots[0].botId).toBe(REAL.BOT_APP_ID);
    await expect(validateManifest(manifest, ROOT)).resolves.toEqual([]);
    expect(entries.get('color.png')!.equals(readFileSync(join(ROOT, 'appPackage', 'color.png')))).toBe(true);
    expect(entries.get('outline.png')!.equals(readFileSync(join(ROOT, 'appPackage', 'outline.png')))).toBe(true);
  });

  test('with the Outlook add-in: the same app carries the report button and integrated spam reporting, and still validates', async () => {
    const outDir = tempDir('teams-package-outlook');
    const env = { ...REAL, OUTLOOK_ADDIN_ID: '6b0c7c1e-2f5a-4d8e-9a41-3c2b1d0e9f88', ENTRA_CLIENT_ID: '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b' };
    const result = await packageTeamsApp({ rootDir: ROOT, env, outDir, withOutlook: true });
    const manifest = JSON.parse(readZip(result.zipPath).get('manifest.json')!.toString('utf8')) as Json;
    expect(manifest.manifestVersion).toBe('1.30');
    const contexts = (manifest.extensions as Json[]).flatMap((extension: Json) => (extension.ribbons as Json[]).flatMap((ribbon: Json) => ribbon.contexts as string[]));
    expect(contexts).toEqual(expect.arrayContaining(['mailRead', 'spamReportingOverride']));
    expect(JSON.stringify(manifest.extensions)).toContain(`${REAL.PUBLIC_BASE_URL.replace(/\/$/, '')}/addin/outlook/spam-report.js`);
    expect(manifest.bots[0].botId).toBe(REAL.BOT_APP_ID);
    await expect(validateManifest(manifest, ROOT)).resolves.toEqual([]);
    await expect(packageTeamsApp({ rootDir: ROOT, env: REAL, outDir, withOutlook: true })).rejects.toThrow(/Outlook add-in cannot be included/);
  }, 30_000);

  test('writes nothing when the manifest fails the schema, and lists the schema errors', async () => {
    const appPackageDir = tempDir('teams-broken');
    const broken = template();
    broken.composeExtensions[0].commands[0].type = 'submit';
    writeFileSync(join(appPackageDir, 'manifest.json'), JSON.stringify(broken));
    const outDir = tempDir('teams-out');
    await expect(packageTeamsApp({ rootDir: ROOT, env: REAL, appPackageDir, outDir })).rejects.toThrow(/does not pass the official Teams schema[\s\S]*\/composeExtensions\/0\/commands\/0\/type/);
    expect(existsSync(join(outDir, ZIP_NAME))).toBe(false);
  });

  test('refuses to write a manifest in which a placeholder is left', async () => {
    const appPackageDir = tempDir('teams-leftover');
    const text = readFileSync(TEMPLATE_FILE, 'utf8').replace('"${{TEAMS_APP_ID}}"', '"${{TEAMS_APP_ID}"');
    writeFileSync(join(appPackageDir, 'manifest.json'), text);
    const outDir = tempDir('teams-out');
    await expect(packageTeamsApp({ rootDir: ROOT, env: REAL, appPackageDir, outDir })).rejects.toThrow(/placeholder is still in the manifest/);
    expect(existsSync(join(outDir, ZIP_NAME))).toBe(false);
  });

  test('run without settings, it names each missing one and exits non-zero', async () => {
    const outDir = tempDir('teams-cli');
    const run = await runScript({}, '--out', outDir);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/TEAMS_APP_ID is not set/);
    expect(run.stderr).toMatch(/BOT_APP_ID is not set/);
    expect(run.stderr).toMatch(/PUBLIC_BASE_URL is not set/);
    expect(run.stderr).not.toMatch(/\n\s+at /); // a message for people, not a stack trace
    expect(existsSync(join(outDir, ZIP_NAME))).toBe(false);
  });

  test('run with settings, it prints the path and the ids it used', async () => {
    const outDir = join(tempDir('teams-cli'), 'nested');
    const run = await runScript(REAL, `--out=${outDir}`);
    expect(run.stderr).not.toMatch(/error|cannot/i);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(join(outDir, ZIP_NAME));
    expect(run.stdout).toContain(REAL.TEAMS_APP_ID);
    expect(run.stdout).toContain(REAL.BOT_APP_ID);
    expect(run.stdout).not.toMatch(/sandbox/i);
    expect([...readZip(join(outDir, ZIP_NAME)).keys()]).toEqual([...PACKAGE_FILES]);
  });

  test('in the sandbox (flag or DSL_DESK_MODE) it uses the examples and says so', async () => {
    const outDir = tempDir('teams-cli');
    mkdirSync(outDir, { recursive: true });
    for (const [env, args] of [[{}, ['--sandbox']], [{ DSL_DESK_MODE: 'sandbox' }, []]] as const) {
      const run = await runScript(env, ...args, '--out', outDir);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`${SANDBOX_VALUES.TEAMS_APP_ID}  (sandbox example)`);
      expect(run.stdout).toMatch(/SANDBOX package/);
      const manifest = JSON.parse(readZip(join(outDir, ZIP_NAME)).get('manifest.json')!.toString('utf8')) as Json;
      expect(manifest.id).toBe(SANDBOX_VALUES.TEAMS_APP_ID);
    }
    const conflict = await runScript({ DSL_DESK_MODE: 'production' }, '--sandbox', '--out', outDir);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toMatch(/choose one/);
  });

  test('an unknown argument is refused with the usage', async () => {
    const run = await runScript(REAL, '--sandboxx');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Unknown argument "--sandboxx"[\s\S]*Usage:/);
  });
});
