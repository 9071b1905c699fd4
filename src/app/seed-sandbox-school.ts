import type { AppDeps } from './deps.ts';
import { OPERATOR } from './deps.ts';
import { addPerson } from './add-person.ts';
import { addSchool } from './add-school.ts';
import type { Role } from '../domain/roles.ts';
import type { School } from '../domain/ports.ts';

export const SANDBOX_SCHOOL_SLUG = 'demo-school';

/** The demo people of the sandbox, one or two in each role; the email is what the sandbox header names. */
export const SANDBOX_PEOPLE: { email: string; displayName: string; roles: Role[] }[] = [
  { email: 'teacher@demo-school.test', displayName: 'Tess Teacher', roles: ['staff'] },
  { email: 'ta@demo-school.test', displayName: 'Theo Assistant', roles: ['staff'] },
  { email: 'dsl@demo-school.test', displayName: 'Dina Safeguarding', roles: ['staff', 'dsl'] },
  { email: 'deputy@demo-school.test', displayName: 'Dev Deputy', roles: ['staff', 'deputy_dsl'] },
  { email: 'head@demo-school.test', displayName: 'Harriet Head', roles: ['staff', 'head'] },
  { email: 'it@demo-school.test', displayName: 'Ivan Network', roles: ['staff', 'it'] },
  { email: 'governor@demo-school.test', displayName: 'Gwen Governor', roles: ['governor'] },
  { email: 'admin@demo-school.test', displayName: 'Ada Office', roles: ['staff', 'admin'] },
];

/** Creates the sandbox's demo school and people once; later starts leave them as they are. */
export async function seedSandboxSchool(deps: AppDeps): Promise<School> {
  const existing = await deps.storage.transaction((tx) => tx.schools.getBySlug(SANDBOX_SCHOOL_SLUG));
  if (existing) return existing;
  const school = await addSchool(deps, { name: 'Demo Primary School (sandbox)', slug: SANDBOX_SCHOOL_SLUG });
  for (const person of SANDBOX_PEOPLE) await addPerson(deps, { actor: OPERATOR, schoolId: school.id, person });
  return school;
}
