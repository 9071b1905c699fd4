#!/usr/bin/env node
// The operators' CLI. DSL Desk's sources are TypeScript run by Node's type stripping; the pinned runtime
// (the `node` dev dependency, used by npx and npm scripts) has it built in. An older Node that only has
// it behind a flag gets the flag; one without it gets a clear message.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
if (process.features.typescript) {
  await import(entry);
} else {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 6)) {
    console.error(`DSL Desk needs Node 22.12 or later (this is ${process.version}). Run it with npx dsl-desk or npm run, which use the pinned Node 24.`);
    process.exit(1);
  }
  const result = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
