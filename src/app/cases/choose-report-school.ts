import { AppError } from '../../domain/errors.ts';
import { actorForSchool, type Actor } from '../../domain/roles.ts';
import type { AppDeps } from '../deps.ts';

/**
 * The actor in the school a report is for (`school`: an id or a slug). Someone in two schools of a trust
 * must name one; someone in one school may name it, and naming another is refused rather than filed there.
 */
export async function chooseReportSchool(deps: AppDeps, actor: Actor, school: string | undefined): Promise<Actor> {
  if (school === undefined || (actor.memberships?.length ?? 0) > 1 || school === actor.schoolId) return actorForSchool(actor, school);
  const own = await deps.storage.read((reader) => reader.schools.get(actor.schoolId));
  if (own?.slug === school) return actor;
  throw new AppError('invalid_input', 'You are not a member of that school in DSL Desk. Leave the school out, or ask the school office to add you.', { fields: [{ path: 'schoolId', message: 'Not one of your schools.' }] });
}
