import { AppError } from '../../domain/errors.ts';
import { DEFAULT_REGION, isUkRegion, REGION_MESSAGE } from '../../domain/bank-holidays.ts';
import type { Organisation } from '../../domain/organisation.ts';
import type { School, StorageTx } from '../../domain/ports.ts';
import { canonicalZone, DEFAULT_TIME_ZONE, isIanaZone, TIME_ZONE_MESSAGE } from '../../domain/school-calendar.ts';
import { nowIso, type AppDeps } from '../deps.ts';

export interface AddSchoolOptions {
  name: string;
  slug: string;
  entraTenantId?: string;
  googleDomain?: string;
  timeZone?: string;
  /** Whose bank holidays close the school: england (default), wales, scotland, northern-ireland or none. */
  region?: string;
  /** The trust or local authority the school joins (its slug); without it the school is an organisation of its own. */
  organisationSlug?: string;
}

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

/**
 * Adds a school to this deployment (operators only: it is not exposed over HTTP). A school of a trust shares
 * the trust's tenant or domain (the first the trust owns unless one is named, which must be the trust's);
 * a school on its own becomes an organisation of one school that owns its tenant and domain.
 */
export async function addSchool(deps: AppDeps, options: AddSchoolOptions): Promise<School> {
  if (!SLUG_PATTERN.test(options.slug)) {
    throw new AppError('invalid_input', 'The school slug must be 2-63 lower-case letters, digits or hyphens.', { fields: [{ path: 'slug', message: 'Use lower-case letters, digits and hyphens.' }] });
  }
  // Every local time the school sees (certificates, status tables, reminders) is read in this zone.
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  if (!isIanaZone(timeZone)) throw new AppError('invalid_input', `"${timeZone}" is not a time zone DSL Desk knows.`, { fields: [{ path: 'timeZone', message: TIME_ZONE_MESSAGE }] });
  const region = options.region ?? DEFAULT_REGION;
  if (!isUkRegion(region)) throw new AppError('invalid_input', `"${region}" is not a region DSL Desk knows.`, { fields: [{ path: 'region', message: REGION_MESSAGE }] });
  const entraTenantId = options.entraTenantId?.toLowerCase();
  const googleDomain = options.googleDomain?.toLowerCase();
  return deps.storage.transaction(async (tx) => {
    if (await tx.schools.getBySlug(options.slug)) throw new AppError('conflict', `A school with the slug "${options.slug}" already exists.`);
    const now = nowIso(deps);
    let organisation: Organisation;
    let tenant = entraTenantId ?? null;
    let domain = googleDomain ?? null;
    if (options.organisationSlug) {
      const found = await tx.organisations.getBySlug(options.organisationSlug);
      if (!found || found.kind === 'school') throw new AppError('not_found', `There is no trust or local authority with the slug "${options.organisationSlug}". Add it first with "dsl-desk trust add".`);
      organisation = found;
      const directories = await tx.organisations.listDirectories(found.id);
      const ownsEntra = directories.filter((d) => d.provider === 'entra').map((d) => d.key);
      const ownsGoogle = directories.filter((d) => d.provider === 'google').map((d) => d.key);
      if (tenant && !ownsEntra.includes(tenant)) throw new AppError('invalid_input', `That Microsoft 365 tenant does not belong to ${found.name}. Add it to the trust first.`);
      if (domain && !ownsGoogle.includes(domain)) throw new AppError('invalid_input', `That Google Workspace domain does not belong to ${found.name}. Add it to the trust first.`);
      tenant ??= ownsEntra[0] ?? null;
      domain ??= ownsGoogle[0] ?? null;
    } else {
      if (await tx.organisations.getBySlug(options.slug)) throw new AppError('conflict', `A trust or school with the slug "${options.slug}" already exists.`);
      await refuseOwnedDirectories(tx, tenant, domain);
      organisation = { id: deps.ids.newId(), name: options.name.trim(), slug: options.slug, kind: 'school', createdAt: now };
      await tx.organisations.insert(organisation);
      if (tenant) await tx.organisations.addDirectory(organisation.id, 'entra', tenant);
      if (domain) await tx.organisations.addDirectory(organisation.id, 'google', domain);
    }
    const school: School = {
      id: deps.ids.newId(),
      name: options.name.trim(),
      slug: options.slug,
      organisationId: organisation.id,
      entraTenantId: tenant,
      googleDomain: domain,
      timeZone: canonicalZone(timeZone),
      region,
      createdAt: now,
    };
    await tx.schools.insert(school);
    await tx.audit.append({ schoolId: school.id, actorId: null, action: 'school.created', detail: { slug: school.slug, organisationId: organisation.id } }, now);
    return school;
  });
}

/** A tenant or domain belongs to one organisation: a second trust (or school) cannot claim it. */
export async function refuseOwnedDirectories(tx: StorageTx, tenant: string | null, domain: string | null): Promise<void> {
  if (tenant && (await tx.organisations.findByDirectory('entra', tenant))) throw new AppError('conflict', 'That Microsoft 365 tenant already belongs to a school or trust.');
  if (domain && (await tx.organisations.findByDirectory('google', domain))) throw new AppError('conflict', 'That Google Workspace domain already belongs to a school or trust.');
}
