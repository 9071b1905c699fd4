import type { AppDeps } from '../app/deps.ts';
import { startYearlyCampaigns } from '../app/aup/start-aup-campaign.ts';
import { syncDirectory } from '../app/people/sync-directory.ts';
import { syncGoogleDirectory, type GoogleDirectorySyncResult } from '../app/people/sync-google-directory.ts';
import type { DirectoryReader } from '../domain/directory.ts';
import { isAppError } from '../domain/errors.ts';
import { reconcileDue, type WorkspaceDirectory } from '../domain/google-directory.ts';
import type { Logger } from '../logger.ts';

export interface AupSchedulesOptions {
  deps: AppDeps;
  logger: Logger;
  /** Present when DSL Desk may read the schools' Microsoft 365 directories (app credentials configured). */
  directory?: DirectoryReader;
  directoryPollMinutes: number;
  /** Present when DSL Desk may read Google Workspace schools' Admin SDK (service account with domain-wide delegation). */
  googleDirectory?: WorkspaceDirectory;
  /** How often each Google school with an admin set has its Reports log read; the full user list is read nightly. */
  googleAdminPollMinutes?: number;
  /** How often to check whether a school's yearly re-acknowledgement date has come. */
  yearlyCheckMinutes?: number;
}

/**
 * The clock-driven side of policy sign-off: reading each connected school's directory for new starters,
 * and starting the yearly re-acknowledgement once its date comes. Each run is idempotent (delta links
 * and campaign keys), so several instances running them is harmless, and a failure for one school is
 * logged without stopping the others.
 */
export function startAupSchedules(options: AupSchedulesOptions): { stop(): Promise<void> } {
  const { deps, logger } = options;
  const timers: NodeJS.Timeout[] = [];
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const every = (minutes: number, name: string, work: () => Promise<void>) => {
    const run = () => {
      if (stopped) return;
      // One run of each job at a time: a slow directory never overlaps with its next poll.
      running = running.then(work).catch((error: unknown) => logger.error({ job: name, err: { message: (error as Error).message } }, 'scheduled job failed'));
    };
    run();
    const timer = setInterval(run, minutes * 60_000);
    timer.unref();
    timers.push(timer);
  };

  const schools = () => deps.storage.read((reader) => reader.schools.list());
  if (options.directory && options.directoryPollMinutes > 0) {
    const directory = options.directory;
    every(options.directoryPollMinutes, 'directory-sync', async () => {
      for (const school of await schools()) {
        if (!school.entraTenantId) continue;
        try {
          const result = await syncDirectory(deps, { schoolId: school.id, reader: directory });
          if (result.seen) logger.info({ schoolId: school.id, seen: result.seen, newStarters: result.newStarters, left: result.left, baseline: result.baseline }, 'directory read');
        } catch (error) {
          logger.warn({ schoolId: school.id, err: { message: (error as Error).message } }, 'directory read failed; the school sees why in its settings');
        }
      }
    });
  }
  if (options.googleDirectory && (options.googleAdminPollMinutes ?? 5) > 0) {
    const directory = options.googleDirectory;
    const logRead = (schoolId: string, result: GoogleDirectorySyncResult) => {
      if (result.skipped || (!result.seen && !result.baseline)) return;
      logger.info({ schoolId, source: result.source, events: result.events, seen: result.seen, newStarters: result.newStarters, left: result.left, baseline: result.baseline }, 'google directory read');
    };
    every(options.googleAdminPollMinutes ?? 5, 'google-directory-sync', async () => {
      for (const school of await schools()) {
        const state = await deps.storage.read((reader) => reader.googleDirectory.get(school.id));
        if (!state) continue;
        try {
          const events = await syncGoogleDirectory(deps, { schoolId: school.id, directory, source: 'events' });
          logRead(school.id, events);
          // The users.list safety net: the first time (the baseline), then once a night at the school.
          const after = await deps.storage.read((reader) => reader.googleDirectory.get(school.id));
          if (!events.skipped && reconcileDue(deps.clock.now(), after?.reconciledAt ?? null, school.timeZone)) {
            logRead(school.id, await syncGoogleDirectory(deps, { schoolId: school.id, directory, source: 'reconcile' }));
          }
        } catch (error) {
          // The operator's message (a refused delegation names the scope and the Admin console setting); never an account.
          const message = isAppError(error) ? error.userMessage : 'Reading the Google Workspace directory failed.';
          const code = isAppError(error) ? error.code : 'internal';
          logger.warn({ schoolId: school.id, code, err: { message } }, code === 'forbidden' ? 'google directory refused: an administrator must act' : 'google directory read failed; tried again after a backoff');
        }
      }
    });
  }
  every(options.yearlyCheckMinutes ?? 60, 'yearly-aup-campaigns', async () => {
    for (const school of await schools()) {
      const { started } = await startYearlyCampaigns(deps, { schoolId: school.id });
      if (started) logger.info({ schoolId: school.id, started }, 'yearly policy re-acknowledgement started');
    }
  });

  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await running;
    },
  };
}
