import { notFound } from '../../domain/errors.ts';
import type { PersonWithRoles } from '../../domain/ports.ts';
import type { Actor, Role } from '../../domain/roles.ts';
import { actorIdOf, nowIso, type AppDeps, type Operator } from '../deps.ts';
import { requireAdmin } from './manage-people-auth.ts';

/** Gives a person a role in their school (idempotent). */
export async function grantRole(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string; personId: string; role: Role }): Promise<PersonWithRoles> {
  requireAdmin(options.actor, options.schoolId);
  return deps.storage.transaction(async (tx) => {
    const person = await tx.people.get(options.schoolId, options.personId);
    if (!person) throw notFound('That person');
    const now = nowIso(deps);
    if (await tx.people.grantRole(options.schoolId, person.id, options.role, now)) {
      await tx.audit.append({ schoolId: options.schoolId, actorId: actorIdOf(options.actor), action: 'role.granted', detail: { personId: person.id, role: options.role } }, now);
    }
    return (await tx.people.get(options.schoolId, person.id))!;
  });
}

/** Takes a role away (idempotent). */
export async function revokeRole(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string; personId: string; role: Role }): Promise<PersonWithRoles> {
  requireAdmin(options.actor, options.schoolId);
  return deps.storage.transaction(async (tx) => {
    const person = await tx.people.get(options.schoolId, options.personId);
    if (!person) throw notFound('That person');
    if (await tx.people.revokeRole(options.schoolId, person.id, options.role)) {
      await tx.audit.append({ schoolId: options.schoolId, actorId: actorIdOf(options.actor), action: 'role.revoked', detail: { personId: person.id, role: options.role } }, nowIso(deps));
    }
    return (await tx.people.get(options.schoolId, person.id))!;
  });
}
