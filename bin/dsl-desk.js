#!/usr/bin/env node
// The operators' CLI, and through `dsl-desk serve` the service. `npm ci` builds both into dist/ (scripts/build.js),
// which starts several times faster than the TypeScript sources; dist/ is used only while it matches the
// sources (bin/fresh-build.js), else the sources run. DSL_DESK_FROM_SOURCES=1 always runs the sources.
// The sources are TypeScript run by Node's type stripping; the pinned runtime (the `node` dev dependency,
// used by npx and npm scripts) has it built in. An older Node that only has it behind a flag gets the
// flag; one without it gets a clear message.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshBuild } from './fresh-build.js';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  // An older system Node: hand over to the Node 24 that `npm ci` installed with the project, if it is there,
  // passing signals on so a process manager's SIGTERM still stops the service cleanly.
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    console.error(`DSL Desk needs Node 22.12 or later (this is ${process.version}). Run npm ci first, or use npx dsl-desk or npm run, which use the pinned Node 24.`);
    process.exit(1);
  }
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {

  const root = fileURLToPath(new URL('..', import.meta.url));
  // V8 keeps what it compiled for the next start (checked against each file's content, so never stale);
  // it saves a fifth of the service's start. Where the folder cannot be written, Node simply goes without.
  nodeModule.enableCompileCache?.(join(root, 'node_modules', '.cache', 'dsl-desk-compile'));
  const built = process.env.DSL_DESK_FROM_SOURCES ? { skipped: true } : freshBuild(root, 'cli');
  if (built.path) {
    await import(built.path);
  } else {
    if (built.stale) console.error(`dsl-desk: running the sources, as dist/ is out of date (${built.stale}); npm run build makes it start faster.`);
    const entry = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
    if (process.features.typescript) {
      await import(entry);
    } else {
      const result = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', entry, ...process.argv.slice(2)], { stdio: 'inherit' });
      process.exit(result.status ?? 1);
    }
  }
}
