import type { ReportsCursor } from '../domain/google-directory.ts';
import type {
  GoogleAlertImportProgress,
  GoogleAlertImportRepository,
  GoogleDirectoryProgress,
  GoogleDirectoryRepository,
  GoogleDirectorySettings,
  GoogleDirectoryState,
} from '../domain/ports.ts';
import type { Db, GoogleAlertImportsTable, GoogleDirectoriesTable } from './schema.ts';

/** Google Workspace schools' admin identity and new-starter progress (migration 0013_google_directory). */
export class KyselyGoogleDirectory implements GoogleDirectoryRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async get(schoolId: string): Promise<GoogleDirectoryState | undefined> {
    const row = await this.#db.selectFrom('google_directories').selectAll().where('school_id', '=', schoolId).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async saveSettings(schoolId: string, settings: GoogleDirectorySettings, at: string): Promise<void> {
    const changes = { admin_email: settings.adminEmail, staff_org_units: JSON.stringify(settings.staffOrgUnits), updated_at: at };
    await this.#db
      .insertInto('google_directories')
      .values({ school_id: schoolId, ...changes, failures: 0 })
      .onConflict((oc) => oc.column('school_id').doUpdateSet(changes))
      .execute();
  }

  async saveProgress(schoolId: string, progress: GoogleDirectoryProgress, at: string): Promise<void> {
    await this.#db
      .updateTable('google_directories')
      .set({
        baseline_at: progress.baselineAt,
        reports_cursor_time: progress.reportsCursor?.time ?? null,
        reports_seen: progress.reportsCursor ? JSON.stringify(progress.reportsCursor.seen) : null,
        reconciled_at: progress.reconciledAt,
        last_run_at: progress.lastRunAt,
        last_error: progress.lastError,
        failures: progress.failures,
        not_before: progress.notBefore,
        updated_at: at,
      })
      .where('school_id', '=', schoolId)
      .execute();
  }
}

/** Where importing Gmail's "User reported phishing" alerts got to, per Google school (migration 0016_google_alert_imports). */
export class KyselyGoogleAlertImports implements GoogleAlertImportRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async get(schoolId: string): Promise<GoogleAlertImportProgress | undefined> {
    const row = await this.#db.selectFrom('google_alert_imports').selectAll().where('school_id', '=', schoolId).executeTakeFirst();
    return row ? alertImportFromRow(row) : undefined;
  }

  async save(progress: GoogleAlertImportProgress): Promise<void> {
    const changes = {
      cursor_time: progress.cursor.time,
      cursor_seen: JSON.stringify(progress.cursor.seen),
      last_polled_at: progress.lastPolledAt,
      last_problem: progress.lastProblem,
      updated_at: progress.updatedAt,
    };
    await this.#db
      .insertInto('google_alert_imports')
      .values({ school_id: progress.schoolId, ...changes })
      .onConflict((oc) => oc.column('school_id').doUpdateSet(changes))
      .execute();
  }
}

function alertImportFromRow(row: GoogleAlertImportsTable): GoogleAlertImportProgress {
  return {
    schoolId: row.school_id,
    cursor: { time: row.cursor_time, seen: parseSeen(row.cursor_seen) },
    lastPolledAt: row.last_polled_at,
    lastProblem: row.last_problem,
    updatedAt: row.updated_at,
  };
}

function fromRow(row: GoogleDirectoriesTable): GoogleDirectoryState {
  const cursor: ReportsCursor | null = row.reports_cursor_time ? { time: row.reports_cursor_time, seen: parseSeen(row.reports_seen) } : null;
  return {
    schoolId: row.school_id,
    adminEmail: row.admin_email,
    staffOrgUnits: parseStrings(row.staff_org_units),
    baselineAt: row.baseline_at,
    reportsCursor: cursor,
    reconciledAt: row.reconciled_at,
    lastRunAt: row.last_run_at,
    lastError: row.last_error,
    failures: Number(row.failures),
    notBefore: row.not_before,
    updatedAt: row.updated_at,
  };
}

function parseStrings(text: string): string[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((value): value is string => typeof value === 'string') : [];
}

function parseSeen(text: string | null): ReportsCursor['seen'] {
  if (!text) return [];
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) return [];
  return parsed.filter((entry): entry is { key: string; time: string } => !!entry && typeof entry.key === 'string' && typeof entry.time === 'string').map(({ key, time }) => ({ key, time }));
}
