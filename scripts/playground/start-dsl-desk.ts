import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { freePort, projectRoot } from './start-playground.ts';

/**
 * Starts DSL Desk's local sandbox (`node src/main.ts` with DSL_DESK_MODE=sandbox) as a child process on
 * 127.0.0.1, for the demo and the end-to-end tests. The sandbox seeds its demo school and people, whose
 * tenant and Entra object ids are the Agents Playground's (scripts/playground/identities.ts), and accepts
 * the playground's unauthenticated activities at /api/messages.
 */

export interface StartDslDeskOptions {
  /** Default 3978; 0 picks a free port. */
  port?: number;
  /** Where the sandbox keeps its database and key. Default: a new temporary directory, removed on close. */
  dataDir?: string;
  /** pino level. Default info. */
  logLevel?: string;
  /** More settings (for example OUTBOX_POLL_MS). Real credentials are refused by the sandbox. */
  env?: Record<string, string>;
  /** Also copy DSL Desk's output here (it always goes to <dataDir>/dsl-desk.log). */
  onOutput?: (chunk: string) => void;
  startTimeoutMs?: number;
}

export interface RunningDslDesk {
  url: string;
  port: number;
  /** The Teams bot's messaging endpoint, for the playground. */
  botEndpoint: string;
  dataDir: string;
  logFile: string;
  pid: number;
  /** Everything DSL Desk has written so far. */
  output(): string;
  /** Stops DSL Desk (SIGTERM, then SIGKILL) and removes a temporary data directory. Safe to call twice. */
  close(): Promise<void>;
}

/** The pinned Node 24 that npm installs for the project, else the running one. */
function nodeBinary(root: string): string {
  const pinned = join(root, 'node_modules', '.bin', 'node');
  return existsSync(pinned) ? pinned : process.execPath;
}

/** The environment DSL Desk gets: only what a process needs to run, plus the sandbox settings. */
function sandboxEnv(extra: Record<string, string>): Record<string, string> {
  // The case card's hold settings pass through, so a demo can shorten the quiet period (none is a credential).
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'SYSTEMROOT', 'CASE_CARD_QUIET_SECONDS', 'CASE_CARD_MAX_HOLD_MINUTES'];
  const env: Record<string, string> = {};
  for (const name of keep) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

export async function startDslDeskSandbox(options: StartDslDeskOptions = {}): Promise<RunningDslDesk> {
  const root = projectRoot();
  const port = options.port === 0 ? await freePort() : (options.port ?? 3978);
  // Checked first, or the readiness probe below could be answered by whatever already listens there.
  if (!(await portIsFree(port))) throw new Error(`Port ${port} is in use on 127.0.0.1: is DSL Desk (npm start) already running? Stop it, or choose another port.`);
  const temporary = options.dataDir === undefined;
  const dataDir = temporary ? mkdtempSync(join(tmpdir(), 'dsl-desk-sandbox-')) : resolve(options.dataDir as string);
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dataDir, 'dsl-desk.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const url = `http://127.0.0.1:${port}`;

  const child = spawn(nodeBinary(root), [join(root, 'src', 'main.ts')], {
    cwd: root,
    env: sandboxEnv({
      DSL_DESK_MODE: 'sandbox',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: options.logLevel ?? 'info',
      ...(options.env ?? {}),
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onData = (chunk: string) => {
    output += chunk;
    log.write(chunk);
    options.onOutput?.(chunk);
  };
  child.stdout?.setEncoding('utf8').on('data', onData);
  child.stderr?.setEncoding('utf8').on('data', onData);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const waitForExit = (ms: number) =>
    exited()
      ? Promise.resolve(true)
      : new Promise<boolean>((done) => {
          const timer = setTimeout(() => done(false), ms);
          child.once('exit', () => {
            clearTimeout(timer);
            done(true);
          });
        });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    process.removeListener('exit', killOnExit);
    if (!exited()) {
      child.kill('SIGTERM');
      if (!(await waitForExit(10000))) {
        child.kill('SIGKILL');
        await waitForExit(2000);
      }
    }
    await new Promise<void>((done) => log.end(() => done()));
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30000);
  const tail = () => output.trim().split('\n').slice(-30).join('\n') || readFileSync(logFile, 'utf8');
  for (;;) {
    if (exited()) {
      const why = `DSL Desk exited during start (${child.exitCode ?? child.signalCode}):\n${tail()}`;
      await close();
      throw new Error(why);
    }
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const why = `DSL Desk did not answer on ${url}/healthz in time:\n${tail()}`;
      await close();
      throw new Error(why);
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  return { url, port, botEndpoint: `${url}/api/messages`, dataDir, logFile, pid: child.pid ?? 0, output: () => output, close };
}
