import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage } from './children.ts';

/**
 * A DSL Desk child the benchmark can stop the way a platform does: SIGTERM (the service drains what it
 * holds), SIGKILL (a crash), or the runner's own clean stop over IPC. Unlike startServerChild, the
 * caller sees the process's exit and its memory, which a restart benchmark needs.
 */
export interface ServiceChild {
  pid: number;
  url: string;
  /** Date.now() when the child reported it was serving. */
  readyAt: number;
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  kill(signal: NodeJS.Signals): void;
  /** Peak resident set (VmHWM) in MB, from /proc; undefined where there is no /proc or once it has exited. */
  peakRssMb(): number | undefined;
  /** Asks the child to close cleanly; SIGKILLs it if it has not exited within `graceMs`. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface ServiceChildOptions {
  /** The entry script (a .ts file) and the JSON it receives as argv[2]. */
  script: URL;
  options: unknown;
  label: string;
  /** Modules loaded before the script (`--require`), such as the loopback-only network guard. */
  preload?: string[];
  /** Every stdout line of the child; by default they go to our stderr, prefixed with the label. */
  onLine?: (line: string) => void;
  timeoutMs?: number;
}

const live = new Set<ChildProcess>();
// Whatever happens to the runner, no service child outlives it.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startServiceChild(options: ServiceChildOptions): Promise<ServiceChild> {
  const { label } = options;
  const preload = (options.preload ?? []).flatMap((path) => ['--require', path]);
  const child = spawn(process.execPath, [...preload, fileURLToPath(options.script), JSON.stringify(options.options)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  live.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  const onLine = options.onLine ?? ((line: string) => process.stderr.write(`[${label}] ${line}\n`));
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line) onLine(line);
  });

  const waitForExit = (ms: number) =>
    hasExited()
      ? Promise.resolve(true)
      : new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), ms);
          void exited.then(() => {
            clearTimeout(timer);
            resolve(true);
          });
        });
  const stop = async (graceMs = 15_000): Promise<void> => {
    if (hasExited()) return;
    if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
    if (await waitForExit(graceMs)) return;
    process.stderr.write(`[${label}] did not stop in ${graceMs} ms; killing pid ${child.pid}\n`);
    child.kill('SIGKILL');
    await waitForExit(5_000);
  };

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 60_000;
      const timer = setTimeout(() => reject(new Error(`${label} did not become ready within ${timeoutMs} ms`)), timeoutMs);
      child.on('message', (message: ChildMessage) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve(message.url);
        else reject(new Error(`${label} failed to start: ${message.message}`));
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${label} exited before it was ready (code ${code}, signal ${signal})`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return {
      pid: child.pid!,
      url,
      readyAt: Date.now(),
      exited,
      hasExited,
      kill: (signal) => void child.kill(signal),
      peakRssMb: () => {
        if (hasExited()) return undefined;
        try {
          const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
          return kb ? Number(kb) / 1024 : undefined;
        } catch {
          return undefined;
        }
      },
      stop,
    };
  } catch (error) {
    await stop(5_000);
    throw error;
  }
}
