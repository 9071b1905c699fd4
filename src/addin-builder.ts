import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from './logger.ts';
import { ADDIN_BUILT_MARKER, type AddinPreparer } from './server/routes/addin-pages.ts';
/** A failed build is tried again on a request after this long, not on every request. */
const RETRY_AFTER_FAILURE_MS = 60_000;

/**
 * Builds the Outlook add-in (scripts/build-addin.ts) in a child process, so the service's start and its
 * requests are not held up, into a temporary folder beside `buildDir` that is renamed into place when the
 * build has succeeded: a request never sees half a build, and two services starting together do not mix
 * their files. The sandbox gets a sandbox build; a school's service builds with its own settings
 * (PUBLIC_BASE_URL, OUTLOOK_ADDIN_ID, ENTRA_CLIENT_ID from the environment) and logs why if that fails.
 */
export function createAddinPreparer(options: { root: string; buildDir: string; sandbox: boolean; logger: Logger; env?: NodeJS.ProcessEnv; now?: () => number }): AddinPreparer {
  const { root, buildDir, sandbox, logger } = options;
  const now = options.now ?? Date.now;
  const script = join(root, 'scripts', 'build-addin.ts');
  let running: { since: number; done: Promise<void> } | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  let failedAt: number | undefined;

  const built = () => existsSync(join(buildDir, ADDIN_BUILT_MARKER));

  const build = (): Promise<void> =>
    new Promise((resolve) => {
      const temporary = `${buildDir}.building-${process.pid}-${now()}`;
      mkdirSync(dirname(buildDir), { recursive: true });
      const typescriptFlags = process.features.typescript ? [] : ['--experimental-strip-types', '--no-warnings'];
      const proc = spawn(process.execPath, [...typescriptFlags, script, ...(sandbox ? ['--sandbox'] : []), '--out', temporary], {
        cwd: root,
        // The child inherits the service's environment: a school's build reads its own settings from it.
        ...(options.env ? { env: options.env } : {}),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = proc;
      let output = '';
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString('utf8')).slice(-4000);
      };
      proc.stdout.on('data', keep);
      proc.stderr.on('data', keep);
      let finished = false;
      const finish = (ok: boolean, why?: string) => {
        if (finished) return;
        finished = true;
        if (ok && !built()) {
          try {
            renameSync(temporary, buildDir);
          } catch (error) {
            // Another instance put its build there first: theirs is as good as ours.
            if (!built()) {
              ok = false;
              why = (error as Error).message;
            }
          }
        }
        rmSync(temporary, { recursive: true, force: true });
        child = undefined;
        if (ok) {
          failedAt = undefined;
          logger.info({ dir: buildDir }, 'Outlook add-in built; it is served at /addin/outlook/');
        } else {
          failedAt = now();
          logger.warn({ dir: buildDir, reason: why ?? output.trim().split('\n').slice(-5).join('\n') }, 'the Outlook add-in could not be built (npm run build:addin builds it by hand); /addin/outlook/ says so meanwhile');
        }
        resolve();
      };
      proc.once('error', (error) => finish(false, error.message));
      proc.once('exit', (code, signal) => finish(code === 0, signal ? `stopped (${signal})` : undefined));
    });

  return {
    state() {
      if (built()) return { status: 'built' };
      if (running) return { status: 'building', since: running.since };
      if (failedAt !== undefined) return { status: 'failed', at: failedAt };
      return { status: 'missing' };
    },
    start() {
      if (running || built()) return;
      if (failedAt !== undefined && now() - failedAt < RETRY_AFTER_FAILURE_MS) return;
      if (!existsSync(script)) {
        failedAt = now();
        logger.warn({ script }, 'the Outlook add-in is not built and its build script is not here');
        return;
      }
      logger.info({ dir: buildDir }, 'the Outlook add-in is not built yet: building it in the background');
      const since = now();
      const done = build().finally(() => {
        running = undefined;
      });
      running = { since, done };
    },
    async settled() {
      await running?.done;
    },
    async stop() {
      child?.kill('SIGTERM');
      await running?.done;
    },
  };
}
