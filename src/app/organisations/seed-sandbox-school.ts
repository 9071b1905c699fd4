import type { AppDeps } from '../deps.ts';
import { nowIso, OPERATOR } from '../deps.ts';
import { publishAup } from '../aup/publish-aup.ts';
import { setAupProfile } from '../aup/manage-aup-settings.ts';
import { addPerson } from '../people/add-person.ts';
import { addSchool } from './add-school.ts';
import type { Role } from '../../domain/roles.ts';
import type { School } from '../../domain/ports.ts';

export const SANDBOX_SCHOOL_SLUG = 'demo-school';

/**
 * The demo school's Microsoft 365 tenant and its people's Entra object ids. They are made up, and the
 * Agents Playground's configuration (scripts/playground) uses the same ones, so a person chatting there
 * is the same demo person the sandbox header names.
 */
export const SANDBOX_TENANT_ID = '5a7d0c3e-0000-4000-8000-00000000d5d5';

/** The demo people of the sandbox, one or two in each role; the email is what the sandbox header names. */
export const SANDBOX_PEOPLE: { email: string; displayName: string; roles: Role[]; entraObjectId: string }[] = [
  { email: 'teacher@demo-school.test', displayName: 'Tess Teacher', roles: ['staff'], entraObjectId: '5a7d0c3e-0000-4000-8000-000000000001' },
  { email: 'ta@demo-school.test', displayName: 'Theo Assistant', roles: ['staff'], entraObjectId: '5a7d0c3e-0000-4000-8000-000000000002' },
  { email: 'dsl@demo-school.test', displayName: 'Dina Safeguarding', roles: ['staff', 'dsl'], entraObjectId: '5a7d0c3e-0000-4000-8000-000000000003' },
  { email: 'deputy@demo-school.test', displayName: 'Dev Deputy', roles: ['staff', 'deputy_dsl'], entraObjectId: '5a7d0c3e-0000-4000-8000-000000000004' },
  { email: 'head@demo-school.test', displayName: 'Harriet Head', roles: ['staff', 'head'], entraObjectId: '5a7d0c3e-0000-4000-8000-000000000005' },
  { email: 'it@demo-school.test', displayName: 'Ivan Network', roles: ['staff', 'it'], entraObjectId: '5a7d0c3e-0000-4000-8000-000000000006' },
  { email: 'governor@demo-school.test', displayName: 'Gwen Governor', roles: ['governor', 'chair_of_governors'], entraObjectId: '5a7d0c3e-0000-4000-8000-000000000007' },
  { email: 'admin@demo-school.test', displayName: 'Ada Office', roles: ['staff', 'admin'], entraObjectId: '5a7d0c3e-0000-4000-8000-000000000008' },
];

/** Creates the sandbox's demo school and people once; later starts leave them as they are. */
export async function seedSandboxSchool(deps: AppDeps, options: { staffAupMarkdown?: string } = {}): Promise<School> {
  const existing = await deps.storage.transaction((tx) => tx.schools.getBySlug(SANDBOX_SCHOOL_SLUG));
  if (existing) return existing;
  const school = await addSchool(deps, { name: 'Demo Primary School (sandbox)', slug: SANDBOX_SCHOOL_SLUG, entraTenantId: SANDBOX_TENANT_ID });
  for (const person of SANDBOX_PEOPLE) {
    const { person: added } = await addPerson(deps, { actor: OPERATOR, schoolId: school.id, person });
    // Governors sign the governors' policy: the office's override, as a school would set it.
    if (person.roles.includes('governor') && !person.roles.includes('staff')) {
      await setAupProfile(deps, { actor: OPERATOR, schoolId: school.id, personId: added.id, changes: { audienceOverride: 'governor' } });
    }
  }
  if (options.staffAupMarkdown) {
    const today = nowIso(deps).slice(0, 10);
    await publishAup(deps, {
      actor: OPERATOR,
      schoolId: school.id,
      // The demo people are asked to sign when the README says so (a simulated new starter), not at first start.
      startCampaign: false,
      policy: {
        audience: 'staff',
        title: 'Staff Acceptable Use Policy',
        markdown: options.staffAupMarkdown,
        acknowledgementWording: 'I have read and agree to follow this policy',
        effectiveDate: today,
        reviewDate: `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`,
      },
    });
  }
  return school;
}
