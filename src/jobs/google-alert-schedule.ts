import type { AppDeps } from '../app/deps.ts';
import { importReportedPhishingAlerts, type ReportedPhishingImportResult } from '../app/emails/import-reported-phishing-alerts.ts';
import type { AlertCenter } from '../domain/alert-center.ts';
import { isAppError } from '../domain/errors.ts';
import type { Logger } from '../logger.ts';

export interface GoogleAlertScheduleOptions {
  deps: AppDeps;
  logger: Logger;
  alertCenter: AlertCenter;
  /** GOOGLE_ALERT_POLL_MINUTES: 0 (the default) is off. */
  pollMinutes: number;
  /** EMAIL_REPORT_MAX_MB in bytes. */
  maxBytes: number;
}

/**
 * Imports Gmail's own "Report phishing" alerts for every Google school with an admin set, every `pollMinutes`.
 * One poll at a time (a slow Alert Center never overlaps with the next); a school's failure is logged (counts,
 * codes and the operator's message: never an address or a subject) without stopping the others.
 */
export function startGoogleAlertSchedule(options: GoogleAlertScheduleOptions): { stop(): Promise<void> } {
  const { deps, logger } = options;
  if (options.pollMinutes <= 0) return { stop: async () => {} };
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const pollAll = async () => {
    const schools = await deps.storage.read((reader) => reader.schools.list());
    for (const school of schools) {
      if (stopped) return;
      try {
        const result = await importReportedPhishingAlerts(deps, { schoolId: school.id, alertCenter: options.alertCenter, maxBytes: options.maxBytes });
        logPoll(logger, school.id, result);
      } catch (error) {
        const message = isAppError(error) ? error.userMessage : 'Importing Gmail’s reported phishing alerts failed.';
        logger.warn({ schoolId: school.id, err: { message } }, 'google alert import failed; tried again at the next poll');
      }
    }
  };
  const run = () => {
    if (stopped) return;
    running = running.then(pollAll).catch((error: unknown) => logger.error({ job: 'google-alert-import', err: { message: (error as Error).message } }, 'scheduled job failed'));
  };
  run();
  const timer = setInterval(run, options.pollMinutes * 60_000);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** Counts and the problem's code and message only. */
export function logPoll(logger: Logger, schoolId: string, result: ReportedPhishingImportResult): void {
  if (result.skipped) return;
  const { alerts, messages, filed, alreadyFiled, notInSchool, notFound, failed, notFiled, problem } = result;
  const counts = { schoolId, alerts, messages, filed, alreadyFiled, notInSchool, notFound, failed, notFiled };
  if (problem) {
    const needsAdmin = problem.code === 'alert_center_refused' || problem.code === 'mailbox_access_refused' || problem.code === 'mailbox_access_off';
    logger.warn({ ...counts, problem: problem.code, err: { message: problem.message } }, needsAdmin ? 'google alert import: an administrator must act' : 'google alert import paused; tried again at the next poll');
  } else if (alerts > 0) {
    logger.info(counts, 'google reported phishing alerts imported');
  }
}
