import { z } from 'zod';
import { textField } from '../../domain/text.ts';
import { ROLES, type Actor } from '../../domain/roles.ts';
import type { AppDeps, Operator } from '../deps.ts';
import { requireAdmin } from './manage-people-auth.ts';
import { upsertPerson, type PersonInput } from './add-person.ts';
import type { PersonWithRoles } from '../../domain/ports.ts';

export interface PersonRow {
  /** The row's line number in the source file, so errors point at it. */
  line: number;
  values: Record<string, string | undefined>;
  /** Set when the line could not be read at all (a stray quote, wrong number of cells): what to fix. */
  problem?: string;
}

/** What became of one line that needs the office's eye: refused, held back until `update`, or changed. */
export interface ImportNote {
  line: number;
  kind: 'rejected' | 'needs_update' | 'updated';
  /** What to fix (rejected), or who and what changes ("Sam Smith: roles staff → staff, dsl"). */
  message: string;
}

export interface ImportReport {
  created: number;
  updated: number;
  unchanged: number;
  /** Existing people whose row would change them, left as they were because `update` was not given. */
  heldBack: number;
  /** Lines refused: unreadable, invalid, or one of several rows for the same email. */
  errors: { line: number; message: string }[];
  /** Every line worth a word, in line order: the rejected, the held back and the changed. */
  notes: ImportNote[];
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

interface ValidRow {
  line: number;
  person: PersonInput;
}

/**
 * Imports people row by row, each in its own transaction with its audit events: a bad row is reported with
 * its line and the reason, and every good row is kept. New people are added. An existing person (same
 * email) is changed only when `update` is true; otherwise each change the row would make is reported
 * and nothing is written for them. Several rows for one email are all reported and none is applied: which
 * one the office meant is theirs to say.
 */
export async function importPeople(
  deps: AppDeps,
  options: { actor: Actor | Operator; schoolId: string; rows: Iterable<PersonRow> | AsyncIterable<PersonRow>; update?: boolean; onRow?: (done: number) => void },
): Promise<ImportReport> {
  requireAdmin(options.actor, options.schoolId);
  const report: ImportReport = { created: 0, updated: 0, unchanged: 0, heldBack: 0, errors: [], notes: [] };
  const reject = (line: number, message: string) => report.notes.push({ line, kind: 'rejected', message });
  const valid: ValidRow[] = [];
  for await (const row of options.rows) {
    if (row.problem) {
      reject(row.line, row.problem);
      continue;
    }
    const parsed = rowSchema.safeParse(row.values);
    if (!parsed.success) {
      // Each message names its column, so the office knows which cell of the line to fix.
      reject(row.line, parsed.error.issues.map((i) => namedIssue(String(i.path[0] ?? ''), i.message)).join('; '));
      continue;
    }
    const { display_name, email, roles, entra_object_id, google_subject } = parsed.data;
    valid.push({
      line: row.line,
      person: { displayName: display_name, email: email.trim().toLowerCase(), roles, ...(entra_object_id ? { entraObjectId: entra_object_id.toLowerCase() } : {}), ...(google_subject ? { googleSubject: google_subject } : {}) },
    });
  }

  const linesByEmail = new Map<string, number[]>();
  for (const row of valid) linesByEmail.set(row.person.email, [...(linesByEmail.get(row.person.email) ?? []), row.line]);
  let done = report.notes.length;
  options.onRow?.(done);
  for (const row of valid) {
    const lines = linesByEmail.get(row.person.email)!;
    if (lines.length > 1) {
      const others = lines.filter((line) => line !== row.line);
      reject(row.line, `${row.person.email} is also on line${others.length > 1 ? 's' : ''} ${others.join(', ')}: keep one row per person (none of them was imported)`);
    } else {
      try {
        const outcome = await importOne(deps, options, row);
        if (outcome.kind === 'created') report.created += 1;
        else if (outcome.kind === 'unchanged') report.unchanged += 1;
        else if ('message' in outcome) {
          if (outcome.kind === 'updated') report.updated += 1;
          else report.heldBack += 1;
          report.notes.push({ line: row.line, kind: outcome.kind, message: outcome.message });
        }
      } catch (error) {
        reject(row.line, error instanceof Error && 'userMessage' in error ? String(error.userMessage) : 'could not be saved');
      }
    }
    done += 1;
    options.onRow?.(done);
  }
  report.notes.sort((a, b) => a.line - b.line);
  report.errors = report.notes.filter((note) => note.kind === 'rejected').map(({ line, message }) => ({ line, message }));
  return report;
}

type RowOutcome = { kind: 'created' | 'unchanged' } | { kind: 'needs_update' | 'updated'; message: string };

async function importOne(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string; update?: boolean }, row: ValidRow): Promise<RowOutcome> {
  return deps.storage.transaction(async (tx): Promise<RowOutcome> => {
    const existing = await tx.people.findByEmail(options.schoolId, row.person.email);
    if (!existing) {
      await upsertPerson(deps, tx, { actor: options.actor, schoolId: options.schoolId, person: row.person });
      return { kind: 'created' };
    }
    const changes = changesFor(existing, row.person);
    if (!changes.length) return { kind: 'unchanged' };
    const message = `${existing.displayName}: ${changes.join('; ')}`;
    if (!options.update) return { kind: 'needs_update', message };
    await upsertPerson(deps, tx, { actor: options.actor, schoolId: options.schoolId, person: row.person });
    return { kind: 'updated', message };
  });
}

/**
 * What a row would change about a person already known, in words: their name, roles they would gain, and
 * a directory account linked for the first time. Roles missing from the row are kept (an import never takes
 * a role away: that is a deliberate act), and an account already linked is never replaced.
 */
function changesFor(existing: PersonWithRoles, row: PersonInput): string[] {
  const changes: string[] = [];
  if (existing.displayName !== row.displayName.trim()) changes.push(`name ${existing.displayName} → ${row.displayName.trim()}`);
  const gained = row.roles.filter((role) => !existing.roles.includes(role));
  if (gained.length) {
    changes.push(`roles ${existing.roles.join(', ') || '(none)'} → ${[...existing.roles, ...new Set(gained)].join(', ')}`);
  }
  if (row.entraObjectId && !existing.entraObjectId) changes.push(`Microsoft 365 account (none) → ${row.entraObjectId}`);
  if (row.googleSubject && !existing.googleSubject) changes.push(`Google account (none) → ${row.googleSubject}`);
  return changes;
}

function namedIssue(column: string, message: string): string {
  return !column || message.startsWith(column) ? message : `${column}: ${message}`;
}
