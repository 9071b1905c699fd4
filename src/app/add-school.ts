import { AppError } from '../domain/errors.ts';
import type { School } from '../domain/ports.ts';
import { DEFAULT_REGION, isUkRegion, REGION_MESSAGE } from '../domain/bank-holidays.ts';
import { canonicalZone, DEFAULT_TIME_ZONE, isIanaZone, TIME_ZONE_MESSAGE } from '../domain/school-calendar.ts';
import { nowIso, type AppDeps } from './deps.ts';

export interface AddSchoolOptions {
  name: string;
  slug: string;
  entraTenantId?: string;
  googleDomain?: string;
  timeZone?: string;
  /** Whose bank holidays close the school: england (default), wales, scotland, northern-ireland or none. */
  region?: string;
}

/** Adds a school to this deployment (operators only: it is not exposed over HTTP). */
export async function addSchool(deps: AppDeps, options: AddSchoolOptions): Promise<School> {
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(options.slug)) {
    throw new AppError('invalid_input', 'The school slug must be 2-63 lower-case letters, digits or hyphens.', { fields: [{ path: 'slug', message: 'Use lower-case letters, digits and hyphens.' }] });
  }
  // Every local time the school sees (certificates, status tables, reminders) is read in this zone.
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  if (!isIanaZone(timeZone)) throw new AppError('invalid_input', `"${timeZone}" is not a time zone DSL Desk knows.`, { fields: [{ path: 'timeZone', message: TIME_ZONE_MESSAGE }] });
  const region = options.region ?? DEFAULT_REGION;
  if (!isUkRegion(region)) throw new AppError('invalid_input', `"${region}" is not a region DSL Desk knows.`, { fields: [{ path: 'region', message: REGION_MESSAGE }] });
  return deps.storage.transaction(async (tx) => {
    if (await tx.schools.getBySlug(options.slug)) throw new AppError('conflict', `A school with the slug "${options.slug}" already exists.`);
    if (options.entraTenantId && (await tx.schools.findByEntraTenant(options.entraTenantId))) throw new AppError('conflict', 'That Microsoft 365 tenant already belongs to a school.');
    if (options.googleDomain && (await tx.schools.findByGoogleDomain(options.googleDomain))) throw new AppError('conflict', 'That Google Workspace domain already belongs to a school.');
    const now = nowIso(deps);
    const school: School = {
      id: deps.ids.newId(),
      name: options.name.trim(),
      slug: options.slug,
      entraTenantId: options.entraTenantId?.toLowerCase() ?? null,
      googleDomain: options.googleDomain?.toLowerCase() ?? null,
      timeZone: canonicalZone(timeZone),
      region,
      createdAt: now,
    };
    await tx.schools.insert(school);
    await tx.audit.append({ schoolId: school.id, actorId: null, action: 'school.created', detail: { slug: school.slug } }, now);
    return school;
  });
}
