import type { PersonWithRoles } from '../../domain/ports.ts';
import type { Actor } from '../../domain/roles.ts';
import type { AppDeps, Operator } from '../deps.ts';
import { requireAdmin } from './manage-people-auth.ts';

/** The school's people and their roles, for its administrators. */
export async function findPeople(deps: AppDeps, options: { actor: Actor | Operator; schoolId: string }): Promise<PersonWithRoles[]> {
  requireAdmin(options.actor, options.schoolId);
  return deps.storage.transaction((tx) => tx.people.list(options.schoolId));
}
