import { AppError } from '../../domain/errors.ts';
import { isOrganisationRole, type OrganisationRole } from '../../domain/organisation.ts';
import type { Actor } from '../../domain/roles.ts';
import { nowIso, OPERATOR, type AppDeps } from '../deps.ts';
import { trustFor } from './trust-access.ts';

/**
 * Makes a directory address the trust's safeguarding lead or DSL Desk administrator. Held by address, so it
 * follows the person into every school of the trust. Audited in each school's chain: each school should
 * know who can see its figures.
 */
export async function grantTrustRole(deps: AppDeps, options: { actor: Actor | typeof OPERATOR; trust: string; email: string; role: string }): Promise<{ email: string; role: OrganisationRole }> {
  const email = options.email.trim().toLowerCase();
  if (!email.includes('@')) throw new AppError('invalid_input', 'Give the person’s directory email address.', { fields: [{ path: 'email', message: 'An email address.' }] });
  if (!isOrganisationRole(options.role)) {
    throw new AppError('invalid_input', 'The trust role must be trust_safeguarding_lead or trust_admin.', { fields: [{ path: 'role', message: 'trust_safeguarding_lead or trust_admin.' }] });
  }
  const role = options.role;
  return deps.storage.transaction(async (tx) => {
    const { organisation } = await trustFor(tx, options.actor, options.trust, 'trust_admin');
    const now = nowIso(deps);
    await tx.organisations.grantRole(organisation.id, email, role, now);
    for (const school of await tx.schools.listByOrganisation(organisation.id)) {
      await tx.audit.append({ schoolId: school.id, actorId: options.actor === OPERATOR ? null : options.actor.personId, action: 'trust.role_granted', detail: { organisationId: organisation.id, role } }, now);
    }
    return { email, role };
  });
}
