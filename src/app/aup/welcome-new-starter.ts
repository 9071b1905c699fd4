import { z } from 'zod';
import { textField } from '../../domain/text.ts';
import { AUP_AUDIENCES } from '../../domain/aup.ts';
import { newDelivery, type AupDelivery, type AupProfile } from '../../domain/aup-delivery.ts';
import { AppError } from '../../domain/errors.ts';
import type { StorageTx } from '../../domain/ports.ts';
import type { Actor } from '../../domain/roles.ts';
import { audienceOfProfile, aupSettingsFor, cycleAt, requireAupManager, schoolDayOf } from './aup-context.ts';
import { escalationTime } from '../../domain/school-calendar.ts';
import { enqueueDeliveries, enqueueEscalation, type DeliveryKey } from './aup-messages.ts';
import { upsertPerson } from '../people/add-person.ts';
import { actorIdOf, nowIso, type AppDeps, type Operator } from '../deps.ts';

/**
 * A new starter is asked to sign the current policy for their audience: one delivery (keyed by person,
 * version and cycle, so seeing the same starter twice sends once) and its outbox message, in the caller's
 * transaction. Nothing is sent when the audience has no published policy yet; the campaign that
 * publishing starts will include them.
 */
export async function welcomeNewStarterInTransaction(deps: AppDeps, tx: StorageTx, options: { schoolId: string; personId: string; actorId: string | null }): Promise<AupDelivery | undefined> {
  const { schoolId, personId } = options;
  const school = await tx.schools.get(schoolId);
  if (!school) throw new AppError('not_found', 'That school was not found.');
  const settings = await aupSettingsFor(tx, schoolId);
  const audience = audienceOfProfile(await tx.aupProfiles.get(schoolId, personId), settings);
  const policy = await tx.aupPolicies.current(schoolId, audience);
  const now = nowIso(deps);
  await tx.audit.append({ schoolId, actorId: options.actorId, action: 'aup.new_starter', ...(policy ? { policyId: policy.id } : {}), detail: { personId, audience, policy: policy ? policy.version : null } }, now);
  if (!policy) return undefined;
  const cycle = cycleAt(deps.clock.now(), school, settings);
  const [added] = await tx.aupDeliveries.insertMissing([newDelivery({ schoolId, personId, policyId: policy.id, cycle, campaignId: null, reason: 'new_starter' }, now)]);
  if (added) await enqueueDeliveries(tx, [added], now);
  await scheduleStartDateCheck(deps, tx, { schoolId, personId, policyId: policy.id, cycle });
  return added;
}

/**
 * With a start date, the check "signed two working days before?" is scheduled when the person becomes a
 * starter, not when the card arrives: a card that never arrived is exactly when the head must hear.
 */
export async function scheduleStartDateCheck(deps: AppDeps, tx: StorageTx, key: DeliveryKey): Promise<void> {
  const profile = await tx.aupProfiles.get(key.schoolId, key.personId);
  const school = await tx.schools.get(key.schoolId);
  // A start date already behind us (an old hire date in the directory) has nothing left to protect.
  if (!profile?.startDate || !school || profile.startDate < nowIso(deps).slice(0, 10)) return;
  const settings = await aupSettingsFor(tx, key.schoolId);
  const at = escalationTime(profile.startDate, deps.clock.now(), schoolDayOf(school, settings), settings.escalationWorkingDays);
  await enqueueEscalation(tx, key, profile.startDate, at, nowIso(deps));
}

export const newStarterInputSchema = z.strictObject({
  displayName: textField({ message: 'Give the new starter’s name.' }).trim().min(2, 'Give the new starter’s name.').max(200),
  email: z.email({ message: 'Give the new starter’s school email address.' }),
  entraObjectId: z.uuid({ message: 'entraObjectId must be the Microsoft 365 object id (a GUID).' }).optional(),
  audience: z.enum(AUP_AUDIENCES, { message: `audience must be one of: ${AUP_AUDIENCES.join(', ')}` }).optional(),
  startDate: z.iso.date({ message: 'Give the start date such as 2026-09-01.' }).optional(),
  lineManagerEmail: z.email({ message: 'Give the line manager’s email address, or leave it out.' }).optional(),
  department: textField().trim().max(200).optional(),
  jobTitle: textField().trim().max(200).optional(),
});

/**
 * The office adds a new starter by hand (a school without directory sync, or before the account exists
 * in Microsoft 365): they become a member of staff in DSL Desk and are sent their policy.
 */
export async function addNewStarter(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string; input: unknown }): Promise<{ personId: string; delivery?: AupDelivery }> {
  const { actor, schoolId } = options;
  requireAupManager(actor, schoolId, 'add new starters');
  const parsed = newStarterInputSchema.safeParse(options.input);
  if (!parsed.success) {
    throw new AppError('invalid_input', 'The new starter’s details need a few fixes.', { fields: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) });
  }
  const input = parsed.data;
  return deps.storage.transaction(async (tx) => {
    const { person } = await upsertPerson(deps, tx, {
      actor,
      schoolId,
      person: { displayName: input.displayName, email: input.email, roles: ['staff'], ...(input.entraObjectId ? { entraObjectId: input.entraObjectId } : {}) },
    });
    const manager = input.lineManagerEmail ? await tx.people.findByEmail(schoolId, input.lineManagerEmail.toLowerCase()) : undefined;
    if (input.lineManagerEmail && !manager) throw new AppError('invalid_input', 'The line manager was not found in DSL Desk. Check their email address, or leave it out.', { fields: [{ path: 'lineManagerEmail', message: 'Not found in DSL Desk.' }] });
    const now = nowIso(deps);
    const previous = await tx.aupProfiles.get(schoolId, person.id);
    const profile: AupProfile = {
      schoolId,
      personId: person.id,
      directory: { ...(previous?.directory ?? {}), ...(input.department ? { department: input.department } : {}), ...(input.jobTitle ? { jobTitle: input.jobTitle } : {}) },
      audienceOverride: input.audience ?? previous?.audienceOverride ?? null,
      startDate: input.startDate ?? previous?.startDate ?? null,
      lineManagerId: manager?.id ?? previous?.lineManagerId ?? null,
      source: previous?.source ?? 'office',
      updatedAt: now,
    };
    await tx.aupProfiles.save(profile);
    const delivery = await welcomeNewStarterInTransaction(deps, tx, { schoolId, personId: person.id, actorId: actorIdOf(actor) });
    return { personId: person.id, ...(delivery ? { delivery } : {}) };
  });
}
