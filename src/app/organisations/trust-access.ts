import { AppError } from '../../domain/errors.ts';
import type { Organisation, OrganisationRole } from '../../domain/organisation.ts';
import type { StorageTx } from '../../domain/ports.ts';
import type { Actor } from '../../domain/roles.ts';
import { OPERATOR } from '../deps.ts';

/**
 * The organisation (by slug) and the caller's trust roles in it. Trust roles are held by a directory address
 * (the same person is a separate record in each school), so they are looked up by the caller's email; the
 * caller must be a person of one of the organisation's schools. Operators on the server hold every role.
 */
export async function trustFor(reader: StorageTx, actor: Actor | typeof OPERATOR, slug: string, needed: OrganisationRole): Promise<{ organisation: Organisation; roles: OrganisationRole[] }> {
  const organisation = await reader.organisations.getBySlug(slug);
  const notFound = new AppError('not_found', `There is no trust or local authority "${slug}" you can see.`);
  if (!organisation) throw notFound;
  if (actor === OPERATOR) return { organisation, roles: ['trust_admin', 'trust_safeguarding_lead'] };
  const school = await reader.schools.get(actor.schoolId);
  const person = await reader.people.get(actor.schoolId, actor.personId);
  if (!school || !person || school.organisationId !== organisation.id) throw notFound;
  const roles = await reader.organisations.rolesOf(organisation.id, person.email);
  if (!roles.includes(needed)) throw notFound;
  return { organisation, roles };
}
