import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Messages between the runner and a server child (see serve-ours.ts, serve-baseline.ts). */
export type ChildMessage = { type: 'ready'; url: string } | { type: 'failed'; message: string };
export type ParentMessage = { type: 'stop' };

export interface ServerChild {
  url: string;
  pid: number;
  /** Asks the child to close cleanly; kills it if it has not exited within a few seconds. Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// Last resort: whatever happens to the runner, no server child outlives it.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Starts `script` (a .ts file next to the runner) in its own Node process, passing `options` as JSON in
 * argv, and waits for it to report the URL it listens on over IPC. The child's stdout goes to our stderr
 * so that only result lines reach stdout.
 */
export async function startServerChild(script: URL, options: unknown, label: string, timeoutMs = 30_000): Promise<ServerChild> {
  // BENCH_CPU_PROF_DIR=dir writes a V8 CPU profile of each server child (open in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`, `--cpu-prof-name=${label}-\${pid}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...profile, fileURLToPath(script), JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(`[${label}] ${chunk.toString()}`));

  const stop = async (): Promise<void> => {
    if (exited(child)) return;
    if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
    if (await waitForExit(child, 5_000)) return;
    process.stderr.write(`[${label}] did not stop in 5 s; killing pid ${child.pid}\n`);
    child.kill('SIGKILL');
    await waitForExit(child, 5_000);
  };

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label} did not become ready within ${timeoutMs} ms`)), timeoutMs);
      child.on('message', (message: ChildMessage) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve(message.url);
        else reject(new Error(`${label} failed to start: ${message.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${label} exited before it was ready (code ${code}, signal ${signal})`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return { url, pid: child.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The child's side: reports readiness (or failure) to the parent and closes on `stop`, or when the
 * parent goes away (IPC disconnect), so an orphaned server never keeps running.
 */
export async function serveForParent(start: () => Promise<{ url: string; close(): Promise<void> }>): Promise<void> {
  let server: { url: string; close(): Promise<void> } | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await server?.close();
    } catch (error) {
      process.stderr.write(`close failed: ${(error as Error).message}\n`);
      code = 1;
    }
    process.exit(code);
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') void shutdown(0);
  });
  process.on('disconnect', () => void shutdown(0));
  try {
    server = await start();
    process.send?.({ type: 'ready', url: server.url } satisfies ChildMessage);
  } catch (error) {
    // Wait for the message to leave before exiting, or the parent only sees the exit.
    await new Promise<void>((resolve) => {
      if (!process.send?.({ type: 'failed', message: (error as Error).stack ?? String(error) } satisfies ChildMessage, () => resolve())) resolve();
    });
    await shutdown(1);
  }
}
