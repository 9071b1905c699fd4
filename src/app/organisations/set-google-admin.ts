import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import { normaliseOrgUnitPath } from '../../domain/google-directory.ts';
import type { GoogleDirectoryState } from '../../domain/ports.ts';
import { textField } from '../../domain/text.ts';
import { nowIso, type AppDeps, type Operator } from '../deps.ts';

export const googleAdminInputSchema = z.strictObject({
  adminEmail: z.email({ message: 'Give the email address of an administrator of the school’s Google Workspace.' }),
  staffOrgUnits: z
    .array(
      textField()
        .trim()
        .min(1, 'Give an org unit path such as /Staff.')
        .max(500, 'Keep each org unit path under 500 characters.'),
    )
    .max(50, 'List at most 50 staff org units.')
    .optional(),
});

/**
 * The operator sets who DSL Desk acts as on a Google Workspace school's domain (domain-wide delegation
 * impersonates that admin to read the Reports and Directory APIs) and, optionally, which org units hold its
 * staff. Setting them again clears a backoff, so a fixed delegation is read at the next poll; the Reports
 * cursor and baseline are kept, so nobody already seen is welcomed again.
 */
export async function setGoogleAdmin(deps: AppDeps, options: { actor: Operator; schoolId: string; input: unknown }): Promise<GoogleDirectoryState> {
  const parsed = googleAdminInputSchema.safeParse(options.input);
  if (!parsed.success) {
    throw new AppError('invalid_input', 'The Google admin settings need a few fixes.', { fields: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) });
  }
  const adminEmail = parsed.data.adminEmail.trim().toLowerCase();
  return deps.storage.transaction(async (tx) => {
    const school = await tx.schools.get(options.schoolId);
    if (!school) throw new AppError('not_found', 'That school was not found.');
    const previous = await tx.googleDirectory.get(school.id);
    const staffOrgUnits = parsed.data.staffOrgUnits ? [...new Set(parsed.data.staffOrgUnits.map(normaliseOrgUnitPath))] : (previous?.staffOrgUnits ?? []);
    const now = nowIso(deps);
    await tx.googleDirectory.saveSettings(school.id, { adminEmail, staffOrgUnits }, now);
    if (previous) await tx.googleDirectory.saveProgress(school.id, { ...previous, failures: 0, notBefore: null, lastError: null }, now);
    await tx.audit.append({ schoolId: school.id, actorId: null, action: 'school.google_admin_set', detail: { staffOrgUnits: staffOrgUnits.length, adminChanged: previous?.adminEmail !== adminEmail } }, now);
    return (await tx.googleDirectory.get(school.id))!;
  });
}
