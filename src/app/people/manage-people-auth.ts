import { forbidden } from '../../domain/errors.ts';
import { hasAnyRole, type Actor } from '../../domain/roles.ts';
import { OPERATOR, type Operator } from '../deps.ts';

/** People and roles are configured by the school's admins, or by an operator on the server. */
export function requireAdmin(actor: Actor | Operator, schoolId: string): void {
  if (actor === OPERATOR) return;
  if (actor.schoolId !== schoolId || !hasAnyRole(actor, ['admin'])) throw forbidden("Only your school's DSL Desk administrators can manage people and roles.");
}
