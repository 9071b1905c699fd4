import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { unfinishedAnalysis, type AnalysisContext, type EmailAnalysis } from '../analysis/index.ts';
import type { EmailAnalyser } from '../app/deps.ts';
import { AppError } from '../domain/errors.ts';
import type { AnalysisOutcome, AnalysisTask } from './analyse-email.worker.ts';

/**
 * Reported emails are analysed off the request thread, in a small pool of worker threads, each message within a
 * time budget. A message that runs over is stopped (its worker thread is terminated and replaced, so a runaway can
 * never hold a thread) and the report is still filed, with an analysis that says it could not be completed and why.
 * Meanwhile the event loop stays free for /healthz, other schools' requests and the urgent-case timers.
 */

export interface EmailAnalysisPoolOptions {
  threads: number;
  /** Per message, counted from the moment a worker starts on it. */
  budgetMs: number;
  /** Messages waiting for a thread beyond this are filed as "could not be completed" at once. */
  maxQueue?: number;
}

export interface EmailAnalysisPool {
  analyse: EmailAnalyser;
  /** Stops at once: queued and running analyses end, their reports are filed as not analysed. */
  close(): Promise<void>;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1)).toLocaleString('en-GB')} s`;
}

export function createEmailAnalysisPool(options: EmailAnalysisPoolOptions): EmailAnalysisPool {
  const pool = new Piscina<AnalysisTask, AnalysisOutcome>({
    filename: fileURLToPath(new URL('./analyse-email.worker.ts', import.meta.url)),
    minThreads: 1,
    maxThreads: options.threads,
    maxQueue: options.maxQueue ?? options.threads * 32,
    idleTimeout: 60_000,
    // A message that makes the analysis allocate without end fails its own worker, not the service.
    resourceLimits: { maxOldGenerationSizeMb: 1024 },
  });
  let closing = false;

  async function analyse(raw: Uint8Array, context: AnalysisContext): Promise<EmailAnalysis> {
    const abort = new AbortController();
    const started = new MessageChannel();
    let timer: NodeJS.Timeout | undefined;
    started.port1.once('message', () => {
      timer = setTimeout(() => abort.abort(new Error('over budget')), options.budgetMs);
    });
    started.port1.unref();
    // A copy the worker can own: the caller still needs the message to store it.
    const copy = new Uint8Array(raw);
    let reason: string;
    try {
      const outcome = await pool.run({ raw: copy, context, started: started.port2 }, { transferList: [copy.buffer, started.port2], signal: abort.signal });
      if (outcome.ok) return outcome.analysis;
      throw new AppError('invalid_input', outcome.userMessage);
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (abort.signal.aborted) reason = `took longer than ${seconds(options.budgetMs)}`;
      else if (closing) reason = 'DSL Desk was stopping';
      else if (pool.queueSize >= pool.options.maxQueue) reason = 'DSL Desk was analysing too many reported emails at once';
      else reason = 'the analysis stopped unexpectedly';
    } finally {
      clearTimeout(timer);
      started.port1.close();
    }
    const unfinished = unfinishedAnalysis(raw, reason);
    if (!unfinished) throw new AppError('invalid_input', 'This file is not an email message: it has none of the usual headers (From, To, Subject, Date).');
    return unfinished;
  }

  return {
    analyse,
    async close() {
      closing = true;
      await pool.close({ force: true });
    },
  };
}
