// Whether the prebuilt runtime in dist/ (scripts/build.js) still matches the sources, so the launcher in
// bin/dsl-desk.js may run it. Plain JavaScript like the launcher: it runs before any TypeScript is loaded.
//
// The build records the size and modification time of every source file it bundled, of package.json and
// of node_modules/.package-lock.json (which npm rewrites on every install), and of the build script. Any
// difference, or a file gone, makes the build stale, and the launcher runs the sources instead: slower to
// start, never out of date.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const BUILD_DIR = 'dist';
export const BUILD_INFO = 'build-info.json';

/** What the build remembers of one input file: its size and modification time. */
export function stampOf(root, file) {
  try {
    const stat = statSync(join(root, file));
    return [stat.size, stat.mtimeMs];
  } catch {
    return null;
  }
}

/**
 * The built entry's path under `root` when it is fresh, else `{ stale: why }`; `{ missing: true }` when
 * nothing was built (an install without dev dependencies, or before the first build).
 */
export function freshBuild(root, entry) {
  let info;
  try {
    info = JSON.parse(readFileSync(join(root, BUILD_DIR, BUILD_INFO), 'utf8'));
  } catch {
    return { missing: true };
  }
  const built = info.entries?.[entry];
  if (!built) return { stale: `it has no ${entry}` };
  for (const [file, stamp] of Object.entries(info.inputs ?? {})) {
    const now = stampOf(root, file);
    if (!now || now[0] !== stamp[0] || now[1] !== stamp[1]) return { stale: `${file} changed since it was built` };
  }
  return { path: join(root, BUILD_DIR, built) };
}
