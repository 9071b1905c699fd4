import type { MessagePort } from 'node:worker_threads';
import { analyseReportedEmail, type AnalysisContext, type EmailAnalysis } from '../analysis/index.ts';
import { isAppError } from '../domain/errors.ts';

/**
 * Runs in a worker thread of the email-analysis pool (email-analysis-pool.ts). Node loads this file directly, with
 * its own type stripping, in production and under the tests alike.
 */

export interface AnalysisTask {
  raw: Uint8Array;
  context: AnalysisContext;
  /** Told when the analysis starts, so the time budget counts analysing, not waiting in the queue. */
  started: MessagePort;
}

/** Errors do not keep their class across threads: an input the analysis refuses comes back as a value. */
export type AnalysisOutcome = { ok: true; analysis: EmailAnalysis } | { ok: false; userMessage: string };

export default async function analyseInWorker(task: AnalysisTask): Promise<AnalysisOutcome> {
  task.started.postMessage('started');
  task.started.close();
  try {
    return { ok: true, analysis: await analyseReportedEmail(task.raw, task.context) };
  } catch (error) {
    if (isAppError(error) && error.code === 'invalid_input') return { ok: false, userMessage: error.userMessage };
    throw error;
  }
}
