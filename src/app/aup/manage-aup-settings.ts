import { AUP_AUDIENCES } from '../../domain/aup.ts';
import { aupSettingsSchema, type AupProfile, type AupSettings } from '../../domain/aup-delivery.ts';
import { AppError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { z } from 'zod';
import { textField } from '../../domain/text.ts';
import { aupSettingsFor, requireAupManager as requireManager } from './aup-context.ts';
import { scheduleStartDateCheck } from './welcome-new-starter.ts';
import { unsafePatternReason } from '../pattern-safety.ts';
import { actorIdOf, nowIso, type AppDeps, type Operator } from '../deps.ts';


function invalid(error: z.ZodError, message: string): AppError {
  return new AppError('invalid_input', message, { fields: error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) });
}

export async function getAupSettings(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string }): Promise<AupSettings> {
  requireManager(options.actor, options.schoolId, 'see the policy settings');
  return deps.storage.read((reader) => aupSettingsFor(reader, options.schoolId));
}

/**
 * Replaces the school's AUP settings (audience rules, reminder days, school day, yearly date, service
 * account patterns). Patterns are checked to be valid regular expressions that cannot backtrack before anything
 * is saved.
 */
export async function updateAupSettings(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string; settings: unknown }): Promise<AupSettings> {
  requireManager(options.actor, options.schoolId, 'change the policy settings');
  const parsed = aupSettingsSchema.safeParse(options.settings);
  if (!parsed.success) throw invalid(parsed.error, 'The settings need a few fixes before they can be saved.');
  const bad = parsed.data.serviceAccountPatterns.map((pattern, index) => ({ index, reason: unsafePatternReason(pattern) })).filter(({ reason }) => reason);
  if (bad.length) {
    throw new AppError('invalid_input', 'Some service account patterns cannot be used: each must be a regular expression that runs quickly on any name.', {
      fields: bad.map(({ index, reason }) => ({ path: `serviceAccountPatterns.${index}`, message: reason! })),
    });
  }
  const end = parsed.data.schoolDay.end;
  if (end <= parsed.data.schoolDay.start) throw new AppError('invalid_input', 'The school day must end after it starts.', { fields: [{ path: 'schoolDay.end', message: 'Must be after the start of the day.' }] });
  return deps.storage.transaction(async (tx) => {
    if (!(await tx.schools.get(options.schoolId))) throw new AppError('not_found', 'That school was not found.');
    const now = nowIso(deps);
    await tx.aupSettings.save(options.schoolId, parsed.data, now);
    await tx.audit.append({ schoolId: options.schoolId, actorId: actorIdOf(options.actor), action: 'aup.settings_changed', detail: { rules: parsed.data.audienceRules.rules.length, defaultAudience: parsed.data.audienceRules.defaultAudience } }, now);
    return parsed.data;
  });
}

export const aupProfileInputSchema = z.strictObject({
  audienceOverride: z.enum(AUP_AUDIENCES, { message: `audienceOverride must be one of: ${AUP_AUDIENCES.join(', ')}, or null` }).nullable().optional(),
  startDate: z.iso.date({ message: 'Give the start date such as 2026-09-01, or null.' }).nullable().optional(),
  lineManagerId: textField().min(1).nullable().optional(),
});

/** The office corrects a person's audience, or sets their start date and line manager. */
export async function setAupProfile(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string; personId: string; changes: unknown }): Promise<AupProfile> {
  requireManager(options.actor, options.schoolId, 'change a person’s policy details');
  const parsed = aupProfileInputSchema.safeParse(options.changes);
  if (!parsed.success) throw invalid(parsed.error, 'The details need a few fixes before they can be saved.');
  const changes = parsed.data;
  return deps.storage.transaction(async (tx) => {
    const person = await tx.people.get(options.schoolId, options.personId);
    if (!person) throw new AppError('not_found', 'That person was not found.');
    if (changes.lineManagerId && !(await tx.people.get(options.schoolId, changes.lineManagerId))) {
      throw new AppError('invalid_input', 'The line manager was not found.', { fields: [{ path: 'lineManagerId', message: 'Not a person of this school.' }] });
    }
    const now = nowIso(deps);
    const previous = await tx.aupProfiles.get(options.schoolId, options.personId);
    const profile: AupProfile = {
      schoolId: options.schoolId,
      personId: options.personId,
      directory: previous?.directory ?? {},
      audienceOverride: changes.audienceOverride === undefined ? (previous?.audienceOverride ?? null) : changes.audienceOverride,
      startDate: changes.startDate === undefined ? (previous?.startDate ?? null) : changes.startDate,
      lineManagerId: changes.lineManagerId === undefined ? (previous?.lineManagerId ?? null) : changes.lineManagerId,
      source: previous?.source ?? 'office',
      updatedAt: now,
    };
    await tx.aupProfiles.save(profile);
    await tx.audit.append({ schoolId: options.schoolId, actorId: actorIdOf(options.actor), action: 'aup.profile_changed', detail: { personId: options.personId, audienceOverride: profile.audienceOverride, startDate: profile.startDate } }, now);
    if (profile.startDate && profile.startDate !== previous?.startDate) {
      // A new or moved start date gets its own check; the old one finds the date changed and stands down.
      const deliveries = await tx.aupDeliveries.listForPerson(options.schoolId, options.personId);
      const open = deliveries.filter((d) => d.state !== 'signed').at(-1);
      if (open) await scheduleStartDateCheck(deps, tx, { schoolId: options.schoolId, personId: options.personId, policyId: open.policyId, cycle: open.cycle });
    }
    return profile;
  });
}
