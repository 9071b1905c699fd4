/**
 * Builds the Teams app package: appPackage/manifest.json with its ${{…}} placeholders filled from the
 * environment, checked offline against the official manifest schema, zipped with the two icons.
 *
 *   TEAMS_APP_ID=<guid> BOT_APP_ID=<guid> PUBLIC_BASE_URL=https://dsl-desk.school.example \
 *     node scripts/package-teams.ts              → build/appPackage/dsl-desk-teams.zip
 *   node scripts/package-teams.ts --sandbox      → the same with example ids, for trying the package out
 *
 * Options: --sandbox (also DSL_DESK_MODE=sandbox), --out <dir>, --help.
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { ZipFile } from 'yazl';
import { convertWithOfficeReader, fillManifest, resolveManifestValues, templatePath } from '../manifest/outlook/outlook-manifest.ts';

export const ZIP_NAME = 'dsl-desk-teams.zip';
/** The files at the root of the zip, in this order. */
export const PACKAGE_FILES = ['manifest.json', 'color.png', 'outline.png'] as const;

/** What each placeholder is, for the error messages. PUBLIC_HOSTNAME is derived, never read. */
const SETTINGS = {
  TEAMS_APP_ID: 'the Teams app id: a GUID you generate once for this app and keep for every later version (node -e "console.log(crypto.randomUUID())")',
  BOT_APP_ID: 'the Microsoft Entra application (client) id of the Azure Bot registration: the same BOT_APP_ID the service runs with',
  PUBLIC_BASE_URL: 'the https address where this school\'s DSL Desk is reachable, such as https://dsl-desk.oakfield.sch.uk',
} as const;
type Setting = keyof typeof SETTINGS;

/**
 * Stand-ins for a sandbox package. The ids are fixed so repeated builds match; the address uses the
 * reserved ".example" top-level domain, so such a package can never point at a real service.
 */
export const SANDBOX_VALUES: Readonly<Record<Setting, string>> = {
  TEAMS_APP_ID: '00000000-0000-4000-8000-000000000001',
  BOT_APP_ID: '00000000-0000-4000-8000-000000000002',
  PUBLIC_BASE_URL: 'https://dsl-desk.example',
};

export interface PlaceholderValues {
  TEAMS_APP_ID: string;
  BOT_APP_ID: string;
  /** Without a trailing slash, so the manifest can append paths. */
  PUBLIC_BASE_URL: string;
  /** The host of PUBLIC_BASE_URL, with its port if it is not 443: for validDomains and the SSO resource. */
  PUBLIC_HOSTNAME: string;
}

export class PackageError extends Error {
  override name = 'PackageError';
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PLACEHOLDER = /\$\{\{([^}]*)\}\}/g;

function checkGuid(name: Setting, value: string): string | undefined {
  if (!GUID.test(value)) return `${name} "${value}" is not a GUID (8-4-4-4-12 hexadecimal digits, such as 6f1c2a9e-3b7d-4c1e-9a51-0d2f8e4b7c63). It is ${SETTINGS[name]}.`;
  if (/^[0-]+$/.test(value)) return `${name} is the all-zero GUID, which Teams does not accept. It is ${SETTINGS[name]}.`;
  return undefined;
}

function checkBaseUrl(value: string): { url?: URL; problem?: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `PUBLIC_BASE_URL "${value}" is not a URL. It is ${SETTINGS.PUBLIC_BASE_URL}.` };
  }
  if (url.protocol !== 'https:') return { problem: `PUBLIC_BASE_URL "${value}" must start with https:// (Teams only opens https addresses).` };
  if (url.username || url.password) return { problem: 'PUBLIC_BASE_URL must not contain a user name or password.' };
  if (url.search || url.hash) return { problem: `PUBLIC_BASE_URL "${value}" must not have a query (?…) or fragment (#…): give the base address only.` };
  return { url };
}

/**
 * Reads the placeholder values from the environment. In the sandbox, any value not given is replaced by
 * its example; otherwise every value is required. All problems are reported together.
 */
export function resolvePlaceholderValues(env: Record<string, string | undefined>, options: { sandbox: boolean }): { values: PlaceholderValues; examples: Setting[] } {
  const problems: string[] = [];
  const examples: Setting[] = [];
  const given = {} as Record<Setting, string>;
  for (const name of Object.keys(SETTINGS) as Setting[]) {
    const value = env[name]?.trim();
    if (value) given[name] = value;
    else if (options.sandbox) {
      given[name] = SANDBOX_VALUES[name];
      examples.push(name);
    } else problems.push(`${name} is not set. It is ${SETTINGS[name]}.`);
  }
  for (const name of ['TEAMS_APP_ID', 'BOT_APP_ID'] as const) {
    const problem = given[name] === undefined ? undefined : checkGuid(name, given[name]);
    if (problem) problems.push(problem);
  }
  const base = given.PUBLIC_BASE_URL === undefined ? {} : checkBaseUrl(given.PUBLIC_BASE_URL);
  if (base.problem) problems.push(base.problem);
  if (problems.length || !base.url) {
    const missing = problems.some((p) => p.includes(' is not set.'));
    const hint = missing ? '\nSet them in the environment (for example: node --env-file=.env scripts/package-teams.ts). To build a demo package with example ids instead, add --sandbox.' : '';
    throw new PackageError(`Cannot build the Teams app package:\n${problems.map((p) => `  - ${p}`).join('\n')}${hint}`);
  }
  return {
    values: {
      TEAMS_APP_ID: given.TEAMS_APP_ID,
      BOT_APP_ID: given.BOT_APP_ID,
      PUBLIC_BASE_URL: base.url.href.replace(/\/+$/, ''),
      PUBLIC_HOSTNAME: base.url.host,
    },
    examples,
  };
}

/** Every distinct placeholder name used anywhere in a JSON value, in order of first use. */
export function findPlaceholders(value: unknown): string[] {
  const names = new Set<string>();
  for (const match of JSON.stringify(value).matchAll(PLACEHOLDER)) names.add(match[1]!);
  return [...names];
}

/** A copy of the template with each ${{NAME}} inside its strings replaced; an unknown name is an error. */
export function fillPlaceholders(template: unknown, values: PlaceholderValues): unknown {
  const unknown = findPlaceholders(template).filter((name) => !Object.hasOwn(values, name));
  if (unknown.length) throw new PackageError(`The manifest template uses placeholders this script does not fill: ${unknown.map((n) => `\${{${n}}}`).join(', ')}.`);
  const fill = (node: unknown): unknown => {
    if (typeof node === 'string') return node.replace(PLACEHOLDER, (_, name: string) => values[name as keyof PlaceholderValues]);
    if (Array.isArray(node)) return node.map(fill);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, fill(child)]));
    return node;
  };
  return fill(template);
}

function schemaUrl(manifestVersion: string): string {
  return `https://developer.microsoft.com/json-schemas/teams/v${manifestVersion}/MicrosoftTeams.schema.json`;
}

/** The official schema for a manifest version, as bundled by @microsoft/app-manifest: never fetched. */
export function loadBundledSchema(rootDir: string, manifestVersion: string): object {
  const packageJson = createRequire(join(rootDir, 'package.json')).resolve('@microsoft/app-manifest/package.json');
  const file = join(dirname(packageJson), 'build', 'json-schemas', 'teams', `v${manifestVersion}`, 'MicrosoftTeams.schema.json');
  if (!existsSync(file)) throw new PackageError(`@microsoft/app-manifest has no schema for manifest version ${manifestVersion}.`);
  // The published schemas contain \a and \v escapes, which JSON does not allow; the library does the same.
  return JSON.parse(readFileSync(file, 'utf8').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b')) as object;
}

type Validate = typeof AppManifestUtils.validateAgainstSchema;
type SchemaManifest = Parameters<Validate>[0];
type Schema = NonNullable<Parameters<Validate>[1]>;

/**
 * Checks a filled manifest against the official JSON schema of the version it declares (offline), and
 * that its $schema is that version's schema address. Returns the problems; empty when valid.
 */
export async function validateManifest(manifest: unknown, rootDir: string): Promise<string[]> {
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) return ['the manifest is not a JSON object'];
  const { manifestVersion, $schema } = manifest as { manifestVersion?: unknown; $schema?: unknown };
  if (typeof manifestVersion !== 'string' || !/^\d+\.\d+$/.test(manifestVersion)) return ['manifestVersion must be a version such as "1.30"'];
  const problems: string[] = [];
  if ($schema !== schemaUrl(manifestVersion)) problems.push(`$schema must be ${schemaUrl(manifestVersion)} (the schema of manifestVersion ${manifestVersion})`);
  const schema = loadBundledSchema(rootDir, manifestVersion);
  problems.push(...(await AppManifestUtils.validateAgainstSchema(manifest as SchemaManifest, schema as Schema)));
  return problems;
}

/** Width, height and colour type from a PNG's IHDR chunk. */
function pngHeader(bytes: Buffer): { width: number; height: number; colorType: number } | undefined {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.length < 33 || !bytes.subarray(0, 8).equals(signature) || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20), colorType: bytes[25]! };
}

function checkIcons(appPackageDir: string, manifest: { icons?: { color?: unknown; outline?: unknown } }): { color: Buffer; outline: Buffer } {
  if (manifest.icons?.color !== 'color.png' || manifest.icons?.outline !== 'outline.png') {
    throw new PackageError('The manifest must name its icons "color.png" and "outline.png" (the files this script packs).');
  }
  const read = (name: string, size: number, needsAlpha: boolean): Buffer => {
    const file = join(appPackageDir, name);
    if (!existsSync(file)) throw new PackageError(`${file} is missing: run node scripts/make-icons.ts.`);
    const bytes = readFileSync(file);
    const header = pngHeader(bytes);
    if (!header) throw new PackageError(`${file} is not a PNG file.`);
    if (header.width !== size || header.height !== size) throw new PackageError(`${file} is ${header.width}×${header.height}; Teams needs ${size}×${size}.`);
    if (needsAlpha && header.colorType !== 4 && header.colorType !== 6) throw new PackageError(`${file} has no alpha channel; the outline icon must be white on transparent.`);
    return bytes;
  };
  return { color: read('color.png', 192, false), outline: read('outline.png', 32, true) };
}

function writeZip(zipPath: string, files: { name: string; bytes: Buffer }[]): Promise<void> {
  mkdirSync(dirname(zipPath), { recursive: true });
  const partial = `${zipPath}.partial`;
  const zip = new ZipFile();
  // A fixed timestamp: the same inputs give the same zip.
  const mtime = new Date('2026-01-01T00:00:00Z');
  for (const file of files) zip.addBuffer(file.bytes, file.name, { mtime, mode: 0o100644 });
  zip.end();
  return new Promise((resolvePromise, reject) => {
    const out = createWriteStream(partial);
    const fail = (error: Error): void => {
      rmSync(partial, { force: true });
      reject(error);
    };
    zip.outputStream.on('error', fail);
    out.on('error', fail);
    out.on('close', () => {
      renameSync(partial, zipPath);
      resolvePromise();
    });
    zip.outputStream.pipe(out);
  });
}

export interface PackageOptions {
  /** The project root (holds package.json and appPackage/). */
  rootDir: string;
  env: Record<string, string | undefined>;
  sandbox?: boolean;
  /** Where manifest.json and the icons are; default <rootDir>/appPackage. */
  appPackageDir?: string;
  /** Where the zip goes; default <rootDir>/build/appPackage. */
  outDir?: string;
  /**
   * Also carry the Outlook add-in (report button and integrated spam reporting) in the same app, as the
   * unified manifest allows: its `extensions` and `authorization`, converted from manifest/outlook by
   * Office's own manifest reader, then the whole manifest is validated against the Teams schema again.
   */
  withOutlook?: boolean;
}

export interface PackageResult {
  zipPath: string;
  sandbox: boolean;
  values: PlaceholderValues;
  /** Settings that were filled with sandbox examples. */
  examples: string[];
  manifest: Record<string, unknown>;
}

/** Fills, validates and zips the package. Throws PackageError with a message for people on any problem. */
export async function packageTeamsApp(options: PackageOptions): Promise<PackageResult> {
  const mode = options.env.DSL_DESK_MODE?.trim();
  if (options.sandbox && mode === 'production') throw new PackageError('--sandbox was given but DSL_DESK_MODE is production: choose one.');
  const sandbox = Boolean(options.sandbox) || mode === 'sandbox';
  const appPackageDir = options.appPackageDir ?? join(options.rootDir, 'appPackage');
  const template = JSON.parse(readFileSync(join(appPackageDir, 'manifest.json'), 'utf8')) as unknown;
  const { values, examples } = resolvePlaceholderValues(options.env, { sandbox });
  let manifest = fillPlaceholders(template, values) as Record<string, unknown>;
  if (options.withOutlook) manifest = { ...manifest, ...(await outlookExtension(options.rootDir, options.env, sandbox)) };
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  if (manifestText.includes('${{')) throw new PackageError('A ${{…}} placeholder is still in the manifest after filling; nothing was written.');
  const problems = await validateManifest(manifest, options.rootDir);
  if (problems.length) {
    throw new PackageError(`The manifest does not pass the official Teams schema (v${String(manifest.manifestVersion)}); nothing was written:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  const icons = checkIcons(appPackageDir, manifest as { icons?: { color?: unknown; outline?: unknown } });
  const zipPath = join(options.outDir ?? join(options.rootDir, 'build', 'appPackage'), ZIP_NAME);
  await writeZip(zipPath, [
    { name: 'manifest.json', bytes: Buffer.from(manifestText, 'utf8') },
    { name: 'color.png', bytes: icons.color },
    { name: 'outline.png', bytes: icons.outline },
  ]);
  return { zipPath, sandbox, values, examples, manifest };
}

/** The Outlook add-in's part of a unified manifest, from the XML manifest filled with the same settings. */
async function outlookExtension(rootDir: string, env: Record<string, string | undefined>, sandbox: boolean): Promise<Record<string, unknown>> {
  let values;
  try {
    ({ values } = resolveManifestValues(env, { sandbox }));
  } catch (error) {
    throw new PackageError(`The Outlook add-in cannot be included: ${(error as Error).message}`);
  }
  const xml = fillManifest(readFileSync(templatePath(rootDir), 'utf8'), values);
  const { unified, problems } = await convertWithOfficeReader(xml);
  if (!unified || problems.length) throw new PackageError(`The Outlook add-in manifest could not be converted for the Teams package:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return { extensions: unified.extensions, authorization: unified.authorization };
}

const USAGE = `Usage: node scripts/package-teams.ts [--sandbox] [--with-outlook] [--out <dir>]

Reads TEAMS_APP_ID, BOT_APP_ID and PUBLIC_BASE_URL from the environment, fills appPackage/manifest.json,
checks it against the official Teams manifest schema and writes <dir>/${ZIP_NAME}
(default build/appPackage). --sandbox (or DSL_DESK_MODE=sandbox) fills example ids for any not set.
--with-outlook also carries the Outlook add-in in the same app (needs OUTLOOK_ADDIN_ID and ENTRA_CLIENT_ID too).`;

function parseArgs(args: string[]): { sandbox: boolean; withOutlook: boolean; outDir?: string; help: boolean } {
  const parsed: { sandbox: boolean; withOutlook: boolean; outDir?: string; help: boolean } = { sandbox: false, withOutlook: false, help: false };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--sandbox') parsed.sandbox = true;
    else if (arg === '--with-outlook') parsed.withOutlook = true;
    else if (arg === '--help' || arg === '-h') parsed.help = true;
    else if (arg === '--out' && args[i + 1]) parsed.outDir = resolve(args[(i += 1)]!);
    else if (arg.startsWith('--out=')) parsed.outDir = resolve(arg.slice('--out='.length));
    else throw new PackageError(`Unknown argument "${arg}".\n${USAGE}`);
  }
  return parsed;
}

async function main(rootDir: string): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const result = await packageTeamsApp({ rootDir, env: process.env, sandbox: args.sandbox, withOutlook: args.withOutlook, ...(args.outDir ? { outDir: args.outDir } : {}) });
  const shown = relative(process.cwd(), result.zipPath);
  const mark = (name: string): string => (result.examples.includes(name) ? '  (sandbox example)' : '');
  console.log(`Teams app package written: ${shown.startsWith('..') ? result.zipPath : shown}`);
  console.log(`  manifest schema   v${String(result.manifest.manifestVersion)}, app version ${String(result.manifest.version)}`);
  console.log(`  TEAMS_APP_ID      ${result.values.TEAMS_APP_ID}${mark('TEAMS_APP_ID')}`);
  console.log(`  BOT_APP_ID        ${result.values.BOT_APP_ID}${mark('BOT_APP_ID')}`);
  console.log(`  PUBLIC_BASE_URL   ${result.values.PUBLIC_BASE_URL}${mark('PUBLIC_BASE_URL')}`);
  console.log(`  PUBLIC_HOSTNAME   ${result.values.PUBLIC_HOSTNAME}`);
  if (args.withOutlook) console.log('  Outlook add-in    included (report button and integrated spam reporting)');
  if (result.sandbox) {
    console.log(
      result.examples.length
        ? 'SANDBOX package: example values were used where none were set. It passes validation but does not reach a real bot; do not upload it to a school\'s tenant.'
        : 'Sandbox mode, but every value was set: the package uses them.',
    );
  } else {
    console.log('Upload it in the Teams admin centre (Teams apps > Manage apps > Upload new app), then allow it for staff.');
  }
}

const invokedAs = process.argv[1] ? resolve(process.argv[1]) : '';
if (/[\\/]scripts[\\/]package-teams\.ts$/.test(invokedAs)) {
  main(resolve(dirname(invokedAs), '..')).catch((error: unknown) => {
    console.error(error instanceof PackageError ? error.message : error);
    process.exitCode = 1;
  });
}
