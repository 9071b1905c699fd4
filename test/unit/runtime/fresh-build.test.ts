import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_DIR, BUILD_INFO, freshBuild, stampOf } from '../../../bin/fresh-build.js';

/** A project folder with one source and a build that recorded it, as scripts/build.js writes it. */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'dsl-desk-fresh-build-'));
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src/a.ts'), 'export const a = 1;\n');
  mkdirSync(join(root, BUILD_DIR));
  writeFileSync(join(root, BUILD_DIR, 'cli.js'), '');
  writeFileSync(join(root, BUILD_DIR, BUILD_INFO), JSON.stringify({ entries: { cli: 'cli.js' }, inputs: { 'src/a.ts': stampOf(root, 'src/a.ts') } }));
  return root;
}

describe('the built runtime is used only while it matches the sources', () => {
  test('fresh: the entry is given', () => {
    const root = project();
    expect(freshBuild(root, 'cli')).toEqual({ path: join(root, BUILD_DIR, 'cli.js') });
  });

  test('nothing built', () => {
    const root = project();
    rmSync(join(root, BUILD_DIR), { recursive: true });
    expect(freshBuild(root, 'cli')).toEqual({ missing: true });
  });

  test('a source edited, even to the same size, or removed, makes it stale', () => {
    const root = project();
    writeFileSync(join(root, 'src/a.ts'), 'export const a = 2;\n');
    utimesSync(join(root, 'src/a.ts'), new Date('2030-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z'));
    expect(freshBuild(root, 'cli')).toEqual({ stale: 'src/a.ts changed since it was built' });
    rmSync(join(root, 'src/a.ts'));
    expect(freshBuild(root, 'cli').stale).toMatch(/src\/a\.ts changed/);
  });

  test('an entry the build does not have is not run', () => {
    expect(freshBuild(project(), 'worker').stale).toMatch(/no worker/);
  });
});
