import { AppError } from '../../domain/errors.ts';
import type { Organisation } from '../../domain/organisation.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { refuseOwnedDirectories, SLUG_PATTERN } from './add-school.ts';

export interface AddTrustOptions {
  name: string;
  slug: string;
  kind?: 'trust' | 'local_authority';
  entraTenantIds?: string[];
  googleDomains?: string[];
}

/**
 * Adds a trust or a local authority's service (operators only): the organisation that owns one or more
 * tenants/domains. Its schools are added after it (`school add --trust`). A tenant or domain already owned
 * by a school on its own is refused: moving a school into a trust is a deliberate step, not a side effect.
 * No audit event: the audit chains are per school, and a new trust has no school yet.
 */
export async function addTrust(deps: AppDeps, options: AddTrustOptions): Promise<Organisation> {
  if (!SLUG_PATTERN.test(options.slug)) {
    throw new AppError('invalid_input', 'The trust slug must be 2-63 lower-case letters, digits or hyphens.', { fields: [{ path: 'slug', message: 'Use lower-case letters, digits and hyphens.' }] });
  }
  const tenants = [...new Set((options.entraTenantIds ?? []).map((t) => t.trim().toLowerCase()).filter(Boolean))];
  const domains = [...new Set((options.googleDomains ?? []).map((d) => d.trim().toLowerCase()).filter(Boolean))];
  if (tenants.length + domains.length === 0) {
    throw new AppError('invalid_input', 'A trust needs at least one Microsoft 365 tenant (--entra-tenant) or Google Workspace domain (--google-domain).');
  }
  return deps.storage.transaction(async (tx) => {
    if ((await tx.organisations.getBySlug(options.slug)) || (await tx.schools.getBySlug(options.slug))) {
      throw new AppError('conflict', `A trust or school with the slug "${options.slug}" already exists.`);
    }
    for (const tenant of tenants) await refuseOwnedDirectories(tx, tenant, null);
    for (const domain of domains) await refuseOwnedDirectories(tx, null, domain);
    const organisation: Organisation = { id: deps.ids.newId(), name: options.name.trim(), slug: options.slug, kind: options.kind ?? 'trust', createdAt: nowIso(deps) };
    await tx.organisations.insert(organisation);
    for (const tenant of tenants) await tx.organisations.addDirectory(organisation.id, 'entra', tenant);
    for (const domain of domains) await tx.organisations.addDirectory(organisation.id, 'google', domain);
    return organisation;
  });
}
