import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CURRENT_USER, PLAYGROUND_PEOPLE, renderPlaygroundConfig, type PlaygroundPersonKey } from './identities.ts';

/**
 * Starts the Microsoft 365 Agents Playground (the local Teams-like web client) in front of a bot endpoint,
 * with DSL Desk's fixed tenant and people, listening on 127.0.0.1 only.
 *
 *   node scripts/playground/start-playground.ts [--bot-endpoint URL] [--port 56150] [--as teacher|dsl|...]
 *
 * or from code: `const playground = await startPlayground({ botEndpoint }); …; await playground.close();`
 */

export const DEFAULT_BOT_ENDPOINT = 'http://127.0.0.1:3978/api/messages';
export const DEFAULT_PLAYGROUND_PORT = 56150;

export interface StartPlaygroundOptions {
  /** Where the playground posts activities, e.g. http://127.0.0.1:3978/api/messages. */
  botEndpoint?: string;
  /** Port for the web page and its connector; 0 picks a free one. Default 56150. A port in use is an error. */
  port?: number;
  /** Who types in the web page. Default: the teacher (Tess Teacher). */
  currentUser?: PlaygroundPersonKey;
  /** How long to wait for the playground to answer. Default 30 s. */
  startTimeoutMs?: number;
  /** Receives the playground's own error output, line by line. */
  onOutput?: (line: string) => void;
}

export interface RunningPlayground {
  /** The web page, e.g. http://127.0.0.1:56150. */
  url: string;
  port: number;
  /** The mock Bot Connector the bot replies to (activities carry it as serviceUrl). */
  serviceUrl: string;
  botEndpoint: string;
  currentUser: PlaygroundPersonKey;
  /** The playground's log file (it writes its console there, not to stdout). */
  logFile: string;
  pid: number;
  /** Stops the playground and removes its working directory. Safe to call twice. */
  close(): Promise<void>;
}

/** The DSL Desk checkout: the nearest folder upwards from the working directory with our package.json. */
export function projectRoot(from: string = process.cwd()): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'dsl-desk') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Run this inside the DSL Desk checkout (no dsl-desk package.json above ${from}).`);
    dir = parent;
  }
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

function tail(text: string, lines = 30): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startPlayground(options: StartPlaygroundOptions = {}): Promise<RunningPlayground> {
  const botEndpoint = options.botEndpoint ?? DEFAULT_BOT_ENDPOINT;
  const currentUser = options.currentUser ?? DEFAULT_CURRENT_USER;
  if (!(currentUser in PLAYGROUND_PEOPLE)) throw new Error(`Unknown person "${currentUser}": use one of ${Object.keys(PLAYGROUND_PEOPLE).join(', ')}.`);
  const requested = options.port ?? DEFAULT_PLAYGROUND_PORT;
  const port = requested === 0 ? await freePort() : requested;
  if (!(await portIsFree(port))) {
    throw new Error(`Port ${port} is in use on 127.0.0.1: is another Agents Playground running? Stop it, or choose another port.`);
  }

  const packageDir = join(projectRoot(), 'node_modules', '@microsoft', 'm365agentsplayground');
  if (!existsSync(join(packageDir, 'dist'))) throw new Error(`The Agents Playground is not installed (${packageDir}): run npm ci.`);
  const launcher = join(projectRoot(), 'scripts', 'playground', 'playground-process.cjs');

  // The playground writes a log and, when asked, event recordings relative to its working directory:
  // give it a directory of its own.
  const workDir = mkdtempSync(join(tmpdir(), 'dsl-desk-playground-'));
  const configFile = join(workDir, '.m365agentsplayground.yml');
  const logFile = join(workDir, 'playground.log');
  writeFileSync(configFile, renderPlaygroundConfig(currentUser));
  const url = `http://127.0.0.1:${port}`;
  const serviceUrl = `${url}/_connector`;

  const child = spawn(
    process.execPath,
    [launcher, packageDir, '--app-endpoint', botEndpoint, '--channel-id', 'msteams', '--port', String(port), '--service-url', serviceUrl, '--disable-telemetry'],
    {
      cwd: workDir,
      env: {
        ...process.env,
        TEAMSAPPTESTER_BROWSER: 'none',
        M365_AGENTS_PLAYGROUND_CONFIG_PATH: configFile,
        M365_AGENTS_PLAYGROUND_LOGFILE: logFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  let listeningOn: number | undefined;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    const match = /Listening on (\d+)/.exec(output);
    if (match) listeningOn = Number(match[1]);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    for (const line of chunk.split('\n')) if (line.trim()) options.onOutput?.(line);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 5000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 2000);
      }
    }
    rmSync(workDir, { recursive: true, force: true });
  };

  const failure = (why: string) =>
    new Error(`${why}\n--- playground output ---\n${tail(output) || '(none)'}\n--- playground log (${logFile}) ---\n${tail(readLog(logFile)) || '(empty)'}`);
  const deadline = Date.now() + (options.startTimeoutMs ?? 30000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const error = failure(`The Agents Playground exited during start (${child.exitCode ?? child.signalCode}).`);
      await close();
      throw error;
    }
    if (await answers(`${url}/_debug/ping`)) break;
    if (Date.now() > deadline) {
      const error = failure(`The Agents Playground did not answer on ${url} within ${options.startTimeoutMs ?? 30000} ms.`);
      await close();
      throw error;
    }
    await sleep(200);
  }
  if (listeningOn !== undefined && listeningOn !== port) {
    await close();
    throw new Error(`The Agents Playground listened on ${listeningOn} instead of ${port}.`);
  }
  return { url, port, serviceUrl, botEndpoint, currentUser, logFile, pid: child.pid ?? 0, close };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'bot-endpoint': { type: 'string', short: 'e' },
      port: { type: 'string', short: 'p' },
      as: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`Starts the Microsoft 365 Agents Playground for DSL Desk (local only).

  node scripts/playground/start-playground.ts [--bot-endpoint URL] [--port N] [--as PERSON]

  --bot-endpoint  the bot's messaging endpoint (default: $BOT_ENDPOINT or ${DEFAULT_BOT_ENDPOINT})
  --port          the web page's port (default ${DEFAULT_PLAYGROUND_PORT}; 0 = any free port)
  --as            who types in the page: ${Object.keys(PLAYGROUND_PEOPLE).join(', ')} (default ${DEFAULT_CURRENT_USER})
`);
    return;
  }
  const person = (values.as ?? DEFAULT_CURRENT_USER) as PlaygroundPersonKey;
  const playground = await startPlayground({
    botEndpoint: values['bot-endpoint'] ?? process.env.BOT_ENDPOINT ?? DEFAULT_BOT_ENDPOINT,
    port: values.port === undefined ? DEFAULT_PLAYGROUND_PORT : Number(values.port),
    currentUser: person,
    onOutput: (line) => process.stderr.write(`[playground] ${line}\n`),
  });
  process.stdout.write(`
Agents Playground is running (local only).
  Open ${playground.url} in a browser. You are ${PLAYGROUND_PEOPLE[person].name}.
  Bot endpoint:       ${playground.botEndpoint}
  Connector (serviceUrl): ${playground.serviceUrl}
  Playground log:     ${playground.logFile}
Press Ctrl-C to stop.
`);
  const stop = () => void playground.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && basename(process.argv[1]) === 'start-playground.ts') {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
