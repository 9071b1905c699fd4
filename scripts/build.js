// `npm run build` (also run by `prepare`, so `npm ci` builds): bundles the CLI, and through its `serve`
// command the service, into dist/ with esbuild, so they start without type-stripping hundreds of files.
// `node src/main.ts` and the sources stay what development and the tests run; bin/dsl-desk.js runs
// dist/ only while it matches the sources (bin/fresh-build.js). Plain JavaScript, so it runs during an
// install before anything else is known to work.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_DIR, BUILD_INFO, stampOf } from '../bin/fresh-build.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const toPosix = (path) => path.split(sep).join('/');

/**
 * Packages loaded from node_modules as they are, not bundled: piscina and pino start worker threads from
 * files beside their own code, which must stay where they were installed.
 */
export const EXTERNAL_PACKAGES = ['piscina', 'pino', 'thread-stream'];

/**
 * Our modules keep the meaning of `import.meta.url`, `dirname`, `filename` and `resolve`: their source
 * file, not the bundle they end up in. A worker or data file named relative to a module is found in the
 * sources (a worker written in TypeScript then runs from the sources, as in development).
 */
export const sourceLocation = (outdir) => ({
  name: 'source-location',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      let contents = await readFile(args.path, 'utf8');
      if (contents.includes('import.meta.')) {
        // Every output file sits directly in the output folder (chunks too), so one relative path serves them all.
        const fromOutput = toPosix(relative(outdir, args.path));
        const url = `new URL(${JSON.stringify(fromOutput)}, import.meta.url)`;
        contents = contents
          .replaceAll('import.meta.url', `${url}.href`)
          .replaceAll('import.meta.filename', `__dslDeskFileURLToPath(${url})`)
          .replaceAll('import.meta.dirname', `__dslDeskFileURLToPath(new URL(".", ${url})).slice(0, -1)`)
          .replaceAll('import.meta.resolve(', `__dslDeskResolve(${url}, `);
      }
      return { contents, loader: 'ts' };
    });
  },
});

/** Entry name (what bin/dsl-desk.js asks for) → its source; each becomes dist/<name>.js. */
const ENTRY_POINTS = { cli: 'src/cli/main.ts' };

/** Builds into a fresh directory and swaps it in, so a running CLI never sees half a build. */
export async function build({ outdir = join(root, BUILD_DIR), quiet = false } = {}) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    if (!quiet) console.error('dsl-desk build: esbuild is not installed (an install without dev dependencies); the CLI and service run from the sources.');
    return undefined;
  }
  const staging = `${outdir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    return await buildInto(esbuild, staging, outdir, quiet);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function buildInto(esbuild, staging, outdir, quiet) {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ENTRY_POINTS,
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22.12',
    external: EXTERNAL_PACKAGES,
    // Node warns that its own punycode is deprecated when code outside node_modules loads it; packages that
    // ask for it (tr46) get the npm package of the same name instead, as its authors recommend.
    alias: { punycode: 'punycode/' },
    sourcemap: 'linked',
    metafile: true,
    logLevel: quiet ? 'error' : 'warning',
    plugins: [sourceLocation(outdir)],
    // Bundled CommonJS packages call require() and read __dirname; ESM has neither, so each file defines them.
    banner: {
      js: [
        "import { createRequire as __dslDeskCreateRequire } from 'node:module';",
        "import { fileURLToPath as __dslDeskFileURLToPath } from 'node:url';",
        'const require = __dslDeskCreateRequire(import.meta.url);',
        // import.meta.resolve of a relative specifier, from the source file the call was written in.
        'const __dslDeskResolve = (from, specifier) => (/^\\.\\.?\\//.test(specifier) ? new URL(specifier, from).href : import.meta.resolve(specifier));',
      ].join('\n'),
    },
  });
  const sources = Object.keys(result.metafile.inputs).filter((file) => !file.startsWith('node_modules/'));
  const inputs = Object.fromEntries(
    [...sources, 'package.json', 'node_modules/.package-lock.json', 'bin/fresh-build.js', 'scripts/build.js'].map((file) => [file, stampOf(root, file)]),
  );
  const entries = Object.fromEntries(Object.keys(ENTRY_POINTS).map((name) => [name, `${name}.js`]));
  writeFileSync(join(staging, BUILD_INFO), `${JSON.stringify({ builtAt: new Date().toISOString(), entries, inputs }, null, 1)}\n`);
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(dirname(outdir), { recursive: true });
  renameSync(staging, outdir);
  if (!quiet) console.error(`dsl-desk build: ${Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js')).length} files in ${toPosix(relative(root, outdir)) || '.'}/ from ${sources.length} sources.`);
  return { outdir, entries };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await build();
  } catch (error) {
    // During an install (`prepare`) a failed build must not fail the install: without a fresh dist/ the
    // launcher runs the sources, which is correct, only slower to start.
    if (!process.argv.includes('--if-possible')) throw error;
    console.error(`dsl-desk build: not built (${error.message.split('\n')[0]}); the CLI and service will run from the sources.`);
  }
}
