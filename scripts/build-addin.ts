/**
 * Builds the Outlook add-in into build/addon/outlook/ (served by DSL Desk at /addin/outlook/):
 *   spam-report.js, taskpane.js   the add-in's JavaScript (esbuild: bundled, minified, ES2020, browser)
 *   commands.html, taskpane.html, taskpane.css, help.html, assets/icon-*.png
 *   manifest.xml                  the XML manifest with this school's values, validated offline
 *   manifest.unified.json         the same add-in as Office's reader converts it (unified manifest)
 *   sizes.json                    bytes and gzipped bytes of each script, checked against the budget
 *
 *   PUBLIC_BASE_URL=https://dsl-desk.school.example OUTLOOK_ADDIN_ID=<guid> ENTRA_CLIENT_ID=<guid> \
 *     node scripts/build-addin.ts
 *   node scripts/build-addin.ts --sandbox     example values, for the local sandbox and the tests
 *
 * Settings: OUTLOOK_PHISHING_MOVE_TO = junk (default) | deleted | keep — where a reported phishing email goes;
 * ENTRA_AUTHORITY (default https://login.microsoftonline.com/organizations).
 * Options: --sandbox, --out <dir>, --help.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { IMMEDIATE_DANGER_GUIDANCE } from '../src/domain/safety-guidance.ts';
import { fillManifest, ManifestError, resolveManifestValues, templatePath, validateOutlookManifest, type ManifestValues } from '../manifest/outlook/outlook-manifest.ts';
import { encodePng, renderColorIcon, type Rgba } from './make-icons.ts';

/** The add-in's own JavaScript that any one Outlook runtime loads must stay within this (Office.js excluded). */
export const BUDGET_KB_GZ = 100;
export const ICON_SIZES = [16, 32, 64, 80, 128] as const;
const PHISHING_MOVES = ['junk', 'deleted', 'keep'] as const;

/** Which scripts each runtime loads. */
export const RUNTIMES = {
  taskpane: ['taskpane.js'],
  spamReport: ['spam-report.js'],
} as const;

export interface BuildOptions {
  root: string;
  outDir: string;
  sandbox: boolean;
  env: Record<string, string | undefined>;
}

export interface ScriptSize {
  bytes: number;
  gzipBytes: number;
}

export interface BuildResult {
  outDir: string;
  values: ManifestValues;
  examples: string[];
  sizes: Record<string, ScriptSize>;
  /** Gzipped KB per runtime, the largest, and all scripts together. */
  runtimeKbGz: Record<keyof typeof RUNTIMES, number>;
  maxRuntimeKbGz: number;
  totalKbGz: number;
}

export class BuildError extends Error {
  override name = 'BuildError';
}

/** Area-averaging downscale of a square RGBA image. */
export function downscale(image: Rgba, size: number): Rgba {
  const data = Buffer.alloc(size * size * 4);
  const ratio = image.width / size;
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const sums = [0, 0, 0, 0];
      let weight = 0;
      const x0 = x * ratio;
      const y0 = y * ratio;
      for (let sy = Math.floor(y0); sy < Math.ceil(y0 + ratio); sy += 1) {
        const wy = Math.min(sy + 1, y0 + ratio) - Math.max(sy, y0);
        for (let sx = Math.floor(x0); sx < Math.ceil(x0 + ratio); sx += 1) {
          const w = wy * (Math.min(sx + 1, x0 + ratio) - Math.max(sx, x0));
          const offset = (sy * image.width + sx) * 4;
          for (let c = 0; c < 4; c += 1) sums[c]! += image.data[offset + c]! * w;
          weight += w;
        }
      }
      for (let c = 0; c < 4; c += 1) data[(y * size + x) * 4 + c] = Math.round(sums[c]! / weight);
    }
  }
  return { width: size, height: size, data };
}

function kb(bytes: number): number {
  return Math.round((bytes / 1024) * 10) / 10;
}

export async function buildAddin(options: BuildOptions): Promise<BuildResult> {
  const { root, outDir, sandbox, env } = options;
  const { values, examples } = resolveManifestValues(env, { sandbox });
  const phishingMoveTo = env.OUTLOOK_PHISHING_MOVE_TO?.trim() || 'junk';
  if (!(PHISHING_MOVES as readonly string[]).includes(phishingMoveTo)) {
    throw new BuildError(`OUTLOOK_PHISHING_MOVE_TO "${phishingMoveTo}" must be one of ${PHISHING_MOVES.join(', ')} (where a reported phishing email goes).`);
  }
  const authority = env.ENTRA_AUTHORITY?.trim() || 'https://login.microsoftonline.com/organizations';
  if (!/^https:\/\//.test(authority)) throw new BuildError(`ENTRA_AUTHORITY "${authority}" must be an https address.`);

  const manifest = fillManifest(readFileSync(templatePath(root), 'utf8'), values);
  const check = await validateOutlookManifest(manifest);
  if (!check.valid) throw new BuildError(`The Outlook add-in manifest is not valid:\n- ${check.problems.join('\n- ')}`);
  const withoutGuidance = missingImmediateDangerGuidance(root, manifest);
  if (withoutGuidance.length) throw new BuildError(`These do not say "${IMMEDIATE_DANGER_GUIDANCE}" word for word: ${withoutGuidance.join(', ')}.`);

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'assets'), { recursive: true });
  const source = join(root, 'addon', 'outlook');
  const config = {
    // The sandbox add-in talks to whichever local DSL Desk served it; a school's build to its own address.
    apiBase: sandbox ? '' : values.PUBLIC_BASE_URL,
    clientId: values.ENTRA_CLIENT_ID,
    authority,
    apiScope: `api://${values.PUBLIC_HOSTNAME}/${values.ENTRA_CLIENT_ID}/access_as_user`,
    phishingMoveTo,
    sandboxUser: 'teacher@demo-school.test',
  };
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { 'spam-report': join(source, 'src', 'spam-report.ts'), taskpane: join(source, 'src', 'taskpane.ts') },
    outdir: outDir,
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    charset: 'utf8',
    legalComments: 'eof',
    define: { __DSL_DESK_ADDIN_CONFIG__: JSON.stringify(config) },
    logLevel: 'silent',
  });
  for (const file of readdirSync(join(source, 'static'))) copyFileSync(join(source, 'static', file), join(outDir, file));
  const icon = renderColorIcon();
  for (const size of ICON_SIZES) writeFileSync(join(outDir, 'assets', `icon-${size}.png`), encodePng(downscale(icon, size), { alpha: false }));
  writeFileSync(join(outDir, 'manifest.xml'), manifest);
  if (check.unified) writeFileSync(join(outDir, 'manifest.unified.json'), `${JSON.stringify(check.unified, null, 2)}\n`);

  const sizes: Record<string, ScriptSize> = {};
  for (const file of readdirSync(outDir).filter((name) => name.endsWith('.js')).sort()) {
    const bytes = readFileSync(join(outDir, file));
    sizes[file] = { bytes: bytes.byteLength, gzipBytes: gzipSync(bytes, { level: 9 }).byteLength };
  }
  const runtimeKbGz = Object.fromEntries(
    Object.entries(RUNTIMES).map(([name, files]) => [name, kb(files.reduce((sum, file) => sum + (sizes[file]?.gzipBytes ?? 0), 0))]),
  ) as Record<keyof typeof RUNTIMES, number>;
  const maxRuntimeKbGz = Math.max(...Object.values(runtimeKbGz));
  const totalKbGz = kb(Object.values(sizes).reduce((sum, size) => sum + size.gzipBytes, 0));
  writeFileSync(join(outDir, 'sizes.json'), `${JSON.stringify({ budgetKbGz: BUDGET_KB_GZ, maxRuntimeKbGz, runtimeKbGz, totalKbGz, files: sizes }, null, 2)}\n`);
  if (maxRuntimeKbGz > BUDGET_KB_GZ) {
    throw new BuildError(`The add-in's JavaScript is over budget: ${maxRuntimeKbGz} KB gzipped in one runtime (budget ${BUDGET_KB_GZ} KB). See ${join(outDir, 'sizes.json')}.`);
  }
  return { outDir, values, examples, sizes, runtimeKbGz, maxRuntimeKbGz, totalKbGz };
}

/** The project root: the folder above scripts/. */
function rootFrom(scriptFile: string): string {
  return resolve(dirname(scriptFile), '..');
}

function usage(): string {
  return [
    'Usage: node scripts/build-addin.ts [--sandbox] [--out <dir>]',
    '',
    'Builds the Outlook add-in into build/addon/outlook/ and validates its manifest offline.',
    'Needs PUBLIC_BASE_URL, OUTLOOK_ADDIN_ID and ENTRA_CLIENT_ID (or --sandbox for example values).',
    'Optional: OUTLOOK_PHISHING_MOVE_TO=junk|deleted|keep, ENTRA_AUTHORITY.',
  ].join('\n');
}

async function main(scriptFile: string): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage());
    return;
  }
  const root = rootFrom(scriptFile);
  const outIndex = args.indexOf('--out');
  const outDir = outIndex >= 0 && args[outIndex + 1] ? resolve(args[outIndex + 1]!) : join(root, 'build', 'addon', 'outlook');
  const sandbox = args.includes('--sandbox') || process.env.DSL_DESK_MODE === 'sandbox';
  const unknown = args.filter((arg, index) => !['--sandbox', '--out', '--help', '-h'].includes(arg) && args[index - 1] !== '--out');
  if (unknown.length) {
    console.error(`Unknown option(s): ${unknown.join(' ')}\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  try {
    if (!existsSync(templatePath(root))) throw new BuildError(`No manifest template at ${templatePath(root)}.`);
    const result = await buildAddin({ root, outDir, sandbox, env: process.env });
    if (result.examples.length) console.log(`Using example values for ${result.examples.join(', ')} (sandbox build: never deploy it).`);
    for (const [file, size] of Object.entries(result.sizes)) console.log(`${file.padEnd(16)} ${String(kb(size.bytes)).padStart(7)} KB  ${String(kb(size.gzipBytes)).padStart(6)} KB gzipped`);
    console.log(`Largest runtime: ${result.maxRuntimeKbGz} KB gzipped (budget ${BUDGET_KB_GZ} KB, Office.js excluded); all scripts ${result.totalKbGz} KB gzipped.`);
    console.log(`Manifest valid (structure rules, Office's manifest reader, unified schema) → ${join(outDir, 'manifest.xml')}`);
  } catch (error) {
    if (error instanceof BuildError || error instanceof ManifestError) {
      console.error(error.message);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

const invokedAs = process.argv[1] ? resolve(process.argv[1]) : '';
if (/[\\/]scripts[\\/]build-addin\.ts$/.test(invokedAs)) {
  main(invokedAs).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

/**
 * The Outlook surfaces that must carry the 999 line first, word for word as the domain's constant: the report
 * dialog (the manifest's Dialog.Text), the task pane and the help page. Returns those that do not.
 */
export function missingImmediateDangerGuidance(root: string, manifest: string): string[] {
  const dialog = /<bt:String id="Dialog\.Text" DefaultValue="([^"]*)"/.exec(manifest)?.[1] ?? '';
  const pages = ['taskpane.html', 'help.html'].map((name) => [`static/${name}`, readFileSync(join(root, 'addon', 'outlook', 'static', name), 'utf8')] as const);
  return [['the report dialog (Dialog.Text)', dialog] as const, ...pages].filter(([, text]) => !text.includes(IMMEDIATE_DANGER_GUIDANCE)).map(([name]) => name);
}
