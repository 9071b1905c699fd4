import { forbidden, invalidInput } from '../../domain/errors.ts';
import type { PupilField, PupilFile, PupilImportReport } from '../../domain/pupil-import.ts';
import { PUPIL_RECORD_ROLES, pupilRecordSchema, type Pupil, type PupilRecord } from '../../domain/pupil.ts';
import type { Actor } from '../../domain/roles.ts';
import { actorIdOf, nowIso, OPERATOR, type AppDeps, type Operator } from '../deps.ts';

/** Who may import the register: the DSLs, deputies and head (they see the records anyway) and the school's admin. */
export const PUPIL_IMPORT_ROLES = [...PUPIL_RECORD_ROLES, 'admin'] as const;

const RECORD_FIELDS: PupilField[] = ['upn', 'legalForename', 'legalSurname', 'preferredForename', 'preferredSurname', 'dateOfBirth', 'yearGroup', 'registrationGroup', 'leftOn'];

/** What each required field is, for "missing" messages. */
const FIELD_NAMES: Partial<Record<PupilField, string>> = { upn: 'UPN', legalForename: 'legal forename', legalSurname: 'legal surname', dateOfBirth: 'date of birth (YYYY-MM-DD)' };

/**
 * Imports pupils from a file the MIS exported (read by src/integrations/pupil-files), keyed by UPN, so it can be
 * run again every term: a new UPN is added, a known one updated when anything changed, and a pupil the file gives
 * a leaving date is marked left (kept on the register: their chronology outlives their time at the school). Every
 * good record is kept; every bad one is reported with where it is in the file and what to fix, never with a value
 * from it (they name children). Two records of one UPN in a file are both refused: which one is right is for the
 * school's MIS to say. A pupil of the school that a full CTF does not list is neither deleted nor marked left: they
 * are counted, and the school exports them with a leaving date if they have gone (docs/decisions.md).
 * One transaction, with one `pupil.imported` audit event carrying the counts.
 */
export async function importPupils(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string; file: PupilFile }): Promise<PupilImportReport> {
  const { actor, schoolId, file } = options;
  if (actor !== OPERATOR && (actor.schoolId !== schoolId || !actor.roles.some((role) => (PUPIL_IMPORT_ROLES as readonly string[]).includes(role)))) {
    throw forbidden('Only the DSLs, deputies, the headteacher and the school’s DSL Desk administrator can import pupils.');
  }
  if (file.problem) throw invalidInput(`${file.problem} Nothing was imported.`);

  const report: PupilImportReport = { format: file.format, full: file.full, added: 0, updated: 0, markedLeft: 0, unchanged: 0, rejected: [], notInFile: 0 };
  const valid: { position: string; record: PupilRecord }[] = [];
  for (const row of file.rows) {
    if (row.problem) {
      report.rejected.push({ position: row.position, message: row.problem });
      continue;
    }
    const parsed = pupilRecordSchema.safeParse(row.values);
    if (!parsed.success) {
      const messages = parsed.error.issues.map((issue) => {
        const field = String(issue.path[0] ?? '') as PupilField;
        if (row.values[field] === undefined && FIELD_NAMES[field]) return `${file.labels[field] ?? field}: missing; give the pupil’s ${FIELD_NAMES[field]}`;
        return `${file.labels[field] ?? field}: ${field === 'upn' ? upnAdvice(row.values.upn, issue.message) : issue.message}`;
      });
      report.rejected.push({ position: row.position, message: [...new Set(messages)].join('; ') });
      continue;
    }
    valid.push({ position: row.position, record: parsed.data });
  }

  // One pupil per UPN in a file: every record of a repeated UPN is refused, each naming the others' positions.
  const byUpn = new Map<string, string[]>();
  for (const { position, record } of valid) byUpn.set(record.upn, [...(byUpn.get(record.upn) ?? []), position]);
  const accepted = valid.filter(({ position, record }) => {
    const positions = byUpn.get(record.upn)!;
    if (positions.length === 1) return true;
    const others = positions.filter((other) => other !== position);
    report.rejected.push({ position, message: `${file.labels.upn}: the same UPN is also on ${others.join(', ')}: one record per pupil; correct the UPN in the MIS and export again` });
    return false;
  });
  report.rejected.sort((a, b) => orderOf(file, a.position) - orderOf(file, b.position));

  const now = nowIso(deps);
  await deps.storage.transaction(async (tx) => {
    const existing = await tx.pupils.list(schoolId, { includeLeavers: true, includeMerged: true });
    const known = new Map(existing.map((pupil) => [pupil.upn, pupil]));
    const seen = new Set<string>();
    for (const { record } of accepted) {
      seen.add(record.upn);
      const before = known.get(record.upn);
      if (!before) {
        await tx.pupils.insert({ ...record, id: deps.ids.newId(), schoolId, createdAt: now, updatedAt: now });
        report.added += 1;
        continue;
      }
      if (RECORD_FIELDS.every((field) => (before[field] ?? '') === (record[field] ?? ''))) {
        report.unchanged += 1;
        continue;
      }
      const after: Pupil = { ...record, id: before.id, schoolId, createdAt: before.createdAt, updatedAt: now, ...(before.directoryAccount ? { directoryAccount: before.directoryAccount } : {}), ...(before.mergedInto ? { mergedInto: before.mergedInto } : {}) };
      await tx.pupils.update(after);
      if (record.leftOn && !before.leftOn) report.markedLeft += 1;
      else report.updated += 1;
    }
    if (file.full) report.notInFile = existing.filter((pupil) => !pupil.leftOn && !pupil.mergedInto && !seen.has(pupil.upn)).length;
    await tx.audit.append(
      {
        schoolId,
        actorId: actorIdOf(actor),
        action: 'pupil.imported',
        detail: { format: file.format, full: file.full, added: report.added, updated: report.updated, markedLeft: report.markedLeft, unchanged: report.unchanged, rejected: report.rejected.length, notInFile: report.notInFile },
      },
      now,
    );
  });
  return report;
}

/** A wrong check letter says which letter the digits call for: a typo is then plain to see in the MIS. */
function upnAdvice(upn: string | undefined, message: string): string {
  const value = upn?.trim().toUpperCase() ?? '';
  if (/^[A-Z]\d{11}[0-9A-Z]$/.test(value)) return `the check letter (the first character) is wrong for the 12 characters after it: check the UPN in the MIS`;
  return message;
}

function orderOf(file: PupilFile, position: string): number {
  const index = file.rows.findIndex((row) => row.position === position);
  return index < 0 ? Number.MAX_SAFE_INTEGER : index;
}
