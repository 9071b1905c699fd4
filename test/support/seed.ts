import { addPerson } from '../../src/app/people/add-person.ts';
import { addSchool } from '../../src/app/organisations/add-school.ts';
import { OPERATOR, type AppDeps } from '../../src/app/deps.ts';
import type { Storage, School } from '../../src/domain/ports.ts';
import type { Actor, Role } from '../../src/domain/roles.ts';
import { randomIds, systemClock } from '../../src/system.ts';

export function depsFor(storage: Storage): AppDeps {
  return { storage, clock: systemClock, ids: randomIds };
}

export interface SeededSchool {
  school: School;
  staff: Actor;
  staff2: Actor;
  dsl: Actor;
  deputy: Actor;
  head: Actor;
  it: Actor;
  governor: Actor;
  admin: Actor;
}

const PEOPLE: [keyof Omit<SeededSchool, 'school'>, string, Role[]][] = [
  ['staff', 'Sam Teacher', ['staff']],
  ['staff2', 'Alex Teacher', ['staff']],
  ['dsl', 'Dana Lead', ['staff', 'dsl']],
  ['deputy', 'Dev Deputy', ['staff', 'deputy_dsl']],
  ['head', 'Hana Head', ['staff', 'head']],
  ['it', 'Ian Network', ['staff', 'it']],
  ['governor', 'Gail Governor', ['governor']],
  ['admin', 'Ada Admin', ['staff', 'admin']],
];

/** A school with one person in each role; tenant ids are derived from the slug so tests can mint tokens. */
export async function seedSchool(deps: AppDeps, slug: string, tenant?: { entraTenantId?: string; googleDomain?: string; organisationSlug?: string }): Promise<SeededSchool> {
  const school = await addSchool(deps, { name: `${slug} Primary`, slug, ...tenant });
  const result: Partial<SeededSchool> = { school };
  for (const [key, name, roles] of PEOPLE) {
    const email = `${key}@${slug}.example.org`;
    const { person } = await addPerson(deps, { actor: OPERATOR, schoolId: school.id, person: { displayName: name, email, roles } });
    result[key] = { schoolId: school.id, personId: person.id, displayName: person.displayName, roles: person.roles };
  }
  return result as SeededSchool;
}
