import { z } from 'zod';
import { textField } from '../domain/text.ts';
import { ROLES, type Actor } from '../domain/roles.ts';
import type { AppDeps, Operator } from './deps.ts';
import { requireAdmin } from './manage-people-auth.ts';
import { upsertPerson } from './add-person.ts';

export interface PersonRow {
  /** The row's line number in the source file, so errors point at it. */
  line: number;
  values: Record<string, string | undefined>;
}

export interface ImportReport {
  created: number;
  updated: number;
  errors: { line: number; message: string }[];
}

const rowSchema = z.object({
  display_name: textField({ message: 'display_name is missing' }).trim().min(1, 'display_name is empty'),
  email: z.email({ message: 'email is not a valid email address' }),
  roles: textField()
    .optional()
    .transform((value) => (value || 'staff').split(/[;|\s]+/).map((r) => r.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.enum(ROLES, { message: `roles must be some of: ${ROLES.join(', ')}` })).min(1, 'give at least one role')),
  entra_object_id: z.uuid({ message: 'entra_object_id must be a GUID' }).optional().or(z.literal('').transform(() => undefined)),
  google_subject: textField().optional(),
});

/**
 * Imports people row by row, each in its own transaction: a bad row is reported with its line and the
 * reason, and every good row is kept.
 */
export async function importPeople(
  deps: AppDeps,
  options: { actor: Actor | Operator; schoolId: string; rows: Iterable<PersonRow> | AsyncIterable<PersonRow>; onRow?: (done: number) => void },
): Promise<ImportReport> {
  requireAdmin(options.actor, options.schoolId);
  const report: ImportReport = { created: 0, updated: 0, errors: [] };
  let done = 0;
  for await (const row of options.rows) {
    done += 1;
    const parsed = rowSchema.safeParse(row.values);
    if (!parsed.success) {
      // Each message names its column, so the office knows which cell of the line to fix.
      report.errors.push({ line: row.line, message: parsed.error.issues.map((i) => namedIssue(String(i.path[0] ?? ''), i.message)).join('; ') });
    } else {
      const { display_name, email, roles, entra_object_id, google_subject } = parsed.data;
      try {
        const result = await deps.storage.transaction((tx) =>
          upsertPerson(deps, tx, {
            actor: options.actor,
            schoolId: options.schoolId,
            person: { displayName: display_name, email, roles, ...(entra_object_id ? { entraObjectId: entra_object_id } : {}), ...(google_subject ? { googleSubject: google_subject } : {}) },
          }),
        );
        if (result.created) report.created += 1;
        else report.updated += 1;
      } catch (error) {
        report.errors.push({ line: row.line, message: error instanceof Error && 'userMessage' in error ? String(error.userMessage) : 'could not be saved' });
      }
    }
    options.onRow?.(done);
  }
  return report;
}

function namedIssue(column: string, message: string): string {
  return !column || message.startsWith(column) ? message : `${column}: ${message}`;
}
