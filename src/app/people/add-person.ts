import { AppError } from '../../domain/errors.ts';
import type { PersonWithRoles, StorageTx } from '../../domain/ports.ts';
import type { Actor, Role } from '../../domain/roles.ts';
import { actorIdOf, nowIso, type AppDeps, type Operator } from '../deps.ts';
import { requireAdmin } from './manage-people-auth.ts';

export interface PersonInput {
  displayName: string;
  email: string;
  roles: Role[];
  entraObjectId?: string;
  googleSubject?: string;
}

/**
 * Adds a person to a school, or updates their name and adds roles if the email is already known.
 * Roles are only ever added here; revoking is a deliberate separate act.
 */
export async function addPerson(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string; person: PersonInput }): Promise<{ person: PersonWithRoles; created: boolean }> {
  requireAdmin(options.actor, options.schoolId);
  return deps.storage.transaction((tx) => upsertPerson(deps, tx, options));
}

/** The same, inside a caller's transaction (bulk import uses one per row). */
export async function upsertPerson(deps: AppDeps, tx: StorageTx, options: { actor: Actor | Operator; schoolId: string; person: PersonInput }): Promise<{ person: PersonWithRoles; created: boolean }> {
  const { schoolId, person: input } = options;
  if (!(await tx.schools.get(schoolId))) throw new AppError('not_found', 'That school was not found.');
  const now = nowIso(deps);
  const actorId = actorIdOf(options.actor);
  const email = input.email.trim().toLowerCase();
  let existing = await tx.people.findByEmail(schoolId, email);
  let created = false;
  if (!existing) {
    const fresh: PersonWithRoles = {
      id: deps.ids.newId(),
      schoolId,
      displayName: input.displayName.trim(),
      email,
      entraObjectId: input.entraObjectId?.toLowerCase() ?? null,
      googleSubject: input.googleSubject ?? null,
      active: true,
      createdAt: now,
      updatedAt: now,
      roles: [],
    };
    await tx.people.insert(fresh);
    await tx.audit.append({ schoolId, actorId, action: 'person.created', detail: { personId: fresh.id } }, now);
    existing = fresh;
    created = true;
  } else if (existing.displayName !== input.displayName.trim() || (input.entraObjectId && !existing.entraObjectId) || (input.googleSubject && !existing.googleSubject)) {
    existing = {
      ...existing,
      displayName: input.displayName.trim(),
      entraObjectId: existing.entraObjectId ?? input.entraObjectId?.toLowerCase() ?? null,
      googleSubject: existing.googleSubject ?? input.googleSubject ?? null,
      updatedAt: now,
    };
    await tx.people.update(existing);
    await tx.audit.append({ schoolId, actorId, action: 'person.updated', detail: { personId: existing.id } }, now);
  }
  const roles = new Set(existing.roles);
  for (const role of input.roles) {
    if (await tx.people.grantRole(schoolId, existing.id, role, now)) {
      roles.add(role);
      await tx.audit.append({ schoolId, actorId, action: 'role.granted', detail: { personId: existing.id, role } }, now);
    }
  }
  return { person: { ...existing, roles: [...roles].sort() }, created };
}
