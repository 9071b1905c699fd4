import { audienceFor, type AupAudience } from '../../domain/aup.ts';
import { DEFAULT_AUP_SETTINGS, type AupProfile, type AupSettings } from '../../domain/aup-delivery.ts';
import { DEFAULT_SERVICE_ACCOUNT_PATTERNS } from '../../domain/directory.ts';
import { DEFAULT_REGION } from '../../domain/bank-holidays.ts';
import { acknowledgementCycle, type SchoolDay } from '../../domain/school-calendar.ts';
import { forbidden } from '../../domain/errors.ts';
import { hasAnyRole, type Actor, type Role } from '../../domain/roles.ts';
import { OPERATOR, type Operator } from '../deps.ts';
import type { School, StorageTx } from '../../domain/ports.ts';

/** Who manages a school's policies, links, settings and campaigns: its admins (the office), the head and the DSL. */
export const AUP_MANAGER_ROLES: readonly Role[] = ['admin', 'head', 'dsl'];

/** Refuses anyone but the school's AUP managers (or an operator at the CLI): "Only … can <what>." */
export function requireAupManager(actor: Actor | Operator, schoolId: string, what: string): void {
  if (actor !== OPERATOR && (actor.schoolId !== schoolId || !hasAnyRole(actor, AUP_MANAGER_ROLES))) {
    throw forbidden(`Only the school’s admins, the headteacher and the DSL can ${what}.`);
  }
}

export function defaultAupSettings(): AupSettings {
  return { ...structuredClone(DEFAULT_AUP_SETTINGS), serviceAccountPatterns: [...DEFAULT_SERVICE_ACCOUNT_PATTERNS] };
}

/** The school's AUP settings, or the defaults until it saves its own. */
export async function aupSettingsFor(reader: Pick<StorageTx, 'aupSettings'>, schoolId: string): Promise<AupSettings> {
  return (await reader.aupSettings.get(schoolId)) ?? defaultAupSettings();
}

/** The school day in the school's own time zone, closed on its region's bank holidays, for reminders and deadlines. */
export function schoolDayOf(school: Pick<School, 'timeZone' | 'region'>, settings: Pick<AupSettings, 'schoolDay'>): SchoolDay {
  return { timeZone: school.timeZone, region: school.region ?? DEFAULT_REGION, ...settings.schoolDay };
}

/** The yearly cycle `at` falls in, for this school. */
export function cycleAt(at: Date, school: Pick<School, 'timeZone'>, settings: Pick<AupSettings, 'reacknowledgeOn'>): string {
  return acknowledgementCycle(at, settings.reacknowledgeOn, school.timeZone);
}

/** Which audience a person signs for: the office's override, else the school's rules on their directory facts. */
export function audienceOfProfile(profile: Pick<AupProfile, 'directory' | 'audienceOverride'> | undefined, settings: Pick<AupSettings, 'audienceRules'>): AupAudience {
  return audienceFor(profile?.directory ?? {}, settings.audienceRules, profile?.audienceOverride ?? null);
}
