import type { AppDeps } from '../deps.ts';
import { nowIso, OPERATOR } from '../deps.ts';
import { publishAup } from '../aup/publish-aup.ts';
import { setAupProfile } from '../aup/manage-aup-settings.ts';
import { addPerson } from '../people/add-person.ts';
import { addNewStarter } from '../aup/welcome-new-starter.ts';
import { addSchool } from './add-school.ts';
import { setGoogleAdmin } from './set-google-admin.ts';
import { importPupils } from '../pupils/import-pupils.ts';
import { PUPIL_CSV_COLUMNS, type PupilSourceRow } from '../../domain/pupil-import.ts';
import { upnCheckLetter, type PupilRecord } from '../../domain/pupil.ts';
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

/**
 * The demo's Google school: a Google Workspace for Education domain, for the local Workspace client
 * (scripts/workspace-client). Its people's Google account ids are made up; in Chat each is `users/<id>`.
 */
export const SANDBOX_GOOGLE_SCHOOL_SLUG = 'demo-google-school';
export const SANDBOX_GOOGLE_DOMAIN = 'oakfield.example.org';

/**
 * Who DSL Desk acts as on the demo's Google domain (the Admin SDK, by the sandbox's stand-in for domain-wide
 * delegation), the mailbox it sends from and the security team's phishing mailbox. Mailboxes, not people.
 */
export const SANDBOX_GOOGLE_ADMIN_EMAIL = `it.admin@${SANDBOX_GOOGLE_DOMAIN}`;
export const SANDBOX_GOOGLE_SENDER_MAILBOX = `dsl-desk@${SANDBOX_GOOGLE_DOMAIN}`;
export const SANDBOX_GOOGLE_SECURITY_MAILBOX = `phishing-reports@${SANDBOX_GOOGLE_DOMAIN}`;

export const SANDBOX_GOOGLE_PEOPLE: { key: 'teacher' | 'dsl' | 'deputy' | 'head' | 'starter'; email: string; displayName: string; roles: Role[]; googleSubject: string }[] = [
  { key: 'teacher', email: 'tom.teacher@oakfield.example.org', displayName: 'Tom Teacher', roles: ['staff'], googleSubject: '110000000000000000001' },
  { key: 'dsl', email: 'dana.dsl@oakfield.example.org', displayName: 'Dana Lead', roles: ['staff', 'dsl'], googleSubject: '110000000000000000002' },
  { key: 'deputy', email: 'dev.deputy@oakfield.example.org', displayName: 'Dev Deputy', roles: ['staff', 'deputy_dsl'], googleSubject: '110000000000000000003' },
  { key: 'head', email: 'hana.head@oakfield.example.org', displayName: 'Hana Head', roles: ['staff', 'head'], googleSubject: '110000000000000000004' },
  { key: 'starter', email: 'nia.new@oakfield.example.org', displayName: 'Nia New', roles: ['staff'], googleSubject: '110000000000000000005' },
];

/** A demo UPN: invented digits (LA 999 is no real local authority) with their right check letter. */
function demoUpn(serial: number): string {
  const rest = `99900012${String(serial).padStart(4, '0')}`;
  return `${upnCheckLetter(rest)}${rest}`;
}

type DemoPupil = Omit<PupilRecord, 'upn'> & { serial: number };

/** The demo schools' pupils, all invented: enough to pick a child in the report form. Sam Green is in both. */
export const SANDBOX_PUPILS: DemoPupil[] = [
  { serial: 1, legalForename: 'Samantha', legalSurname: 'Green', preferredForename: 'Sam', dateOfBirth: '2016-03-14', yearGroup: '5', registrationGroup: '5G' },
  { serial: 2, legalForename: 'Alistair', legalSurname: 'Khan', preferredForename: 'Ali', dateOfBirth: '2016-06-02', yearGroup: '5', registrationGroup: '5G' },
  { serial: 3, legalForename: 'Ffion', legalSurname: 'Evans', dateOfBirth: '2018-01-20', yearGroup: '3', registrationGroup: '3E' },
  { serial: 4, legalForename: 'Leopold', legalSurname: 'Novak', preferredForename: 'Leo', dateOfBirth: '2015-10-11', yearGroup: '6', registrationGroup: '6N' },
  { serial: 5, legalForename: 'Maya', legalSurname: 'Patel', dateOfBirth: '2021-04-30', yearGroup: 'R', registrationGroup: 'Robins' },
  { serial: 6, legalForename: 'Samuel', legalSurname: 'Greenwood', preferredForename: 'Sammy', dateOfBirth: '2017-09-09', yearGroup: '4', registrationGroup: '4W' },
];
export const SANDBOX_GOOGLE_PUPILS: DemoPupil[] = [
  { serial: 101, legalForename: 'Samantha', legalSurname: 'Green', preferredForename: 'Sam', dateOfBirth: '2016-03-14', yearGroup: '5', registrationGroup: 'Oak' },
  { serial: 102, legalForename: 'Noah', legalSurname: 'Adeyemi', dateOfBirth: '2017-02-17', yearGroup: '4', registrationGroup: 'Ash' },
  { serial: 103, legalForename: 'Gwenllian', legalSurname: 'Ŵyn', preferredForename: 'Gwen', dateOfBirth: '2018-07-05', yearGroup: '3', registrationGroup: 'Elm' },
  { serial: 104, legalForename: 'Isabella', legalSurname: 'Rossi', preferredForename: 'Bella', dateOfBirth: '2015-12-24', yearGroup: '6', registrationGroup: 'Oak' },
];

/** The demo pupils of a school, once (a sandbox made before the register existed gets them on its next start). */
async function seedSandboxPupils(deps: AppDeps, schoolId: string, pupils: readonly DemoPupil[]): Promise<void> {
  const current = await deps.storage.read((reader) => reader.pupils.list(schoolId, { includeLeavers: true, includeMerged: true }));
  if (current.length) return;
  const rows: PupilSourceRow[] = pupils.map(({ serial, ...record }, index) => ({ position: `demo pupil ${index + 1}`, values: { ...record, upn: demoUpn(serial) } }));
  await importPupils(deps, { actor: OPERATOR, schoolId, file: { format: 'csv', full: false, rows, labels: PUPIL_CSV_COLUMNS } });
}

/** Creates the sandbox's demo schools and people once; later starts leave them as they are. Returns the Microsoft 365 school. */
export async function seedSandboxSchool(deps: AppDeps, options: { staffAupMarkdown?: string; googleAdmin?: boolean } = {}): Promise<School> {
  const existing = await deps.storage.transaction((tx) => tx.schools.getBySlug(SANDBOX_SCHOOL_SLUG));
  const school = existing ?? await seedSandboxMicrosoftSchool(deps, options);
  // Each school on its own: a sandbox made before the Google school existed gets it on its next start.
  const googleSchool = await seedSandboxGoogleSchool(deps, options);
  await seedSandboxPupils(deps, school.id, SANDBOX_PUPILS);
  await seedSandboxPupils(deps, googleSchool.id, SANDBOX_GOOGLE_PUPILS);
  if (options.googleAdmin) await seedSandboxGoogleAdmin(deps, googleSchool.id);
  return school;
}

/**
 * The Google school's admin, once (a sandbox kept from before gets it on its next start with the local
 * Workspace client): what "Remove from every mailbox" lists the mailboxes as. Only the Google Workspace
 * Directory's own people are in the local client's Admin SDK, so the first read finds nobody new.
 */
async function seedSandboxGoogleAdmin(deps: AppDeps, schoolId: string): Promise<void> {
  const current = await deps.storage.read((reader) => reader.googleDirectory.get(schoolId));
  if (current) return;
  await setGoogleAdmin(deps, { actor: OPERATOR, schoolId, input: { adminEmail: SANDBOX_GOOGLE_ADMIN_EMAIL } });
}

async function seedSandboxMicrosoftSchool(deps: AppDeps, options: { staffAupMarkdown?: string }): Promise<School> {
  const school = await addSchool(deps, { name: 'Demo Primary School (sandbox)', slug: SANDBOX_SCHOOL_SLUG, entraTenantId: SANDBOX_TENANT_ID });
  for (const person of SANDBOX_PEOPLE) {
    const { person: added } = await addPerson(deps, { actor: OPERATOR, schoolId: school.id, person });
    // Governors sign the governors' policy: the office's override, as a school would set it.
    if (person.roles.includes('governor') && !person.roles.includes('staff')) {
      await setAupProfile(deps, { actor: OPERATOR, schoolId: school.id, personId: added.id, changes: { audienceOverride: 'governor' } });
    }
  }
  if (options.staffAupMarkdown) await publishSandboxAup(deps, school.id, options.staffAupMarkdown);
  return school;
}

/** The demo's Google school (Google Workspace domain), with a teacher, a DSL, a deputy, the head and a new starter. */
export async function seedSandboxGoogleSchool(deps: AppDeps, options: { staffAupMarkdown?: string } = {}): Promise<School> {
  const existing = await deps.storage.transaction((tx) => tx.schools.getBySlug(SANDBOX_GOOGLE_SCHOOL_SLUG));
  if (existing) return existing;
  const school = await addSchool(deps, { name: 'Oakfield Primary School (sandbox, Google)', slug: SANDBOX_GOOGLE_SCHOOL_SLUG, googleDomain: SANDBOX_GOOGLE_DOMAIN });
  for (const { email, displayName, roles, googleSubject } of SANDBOX_GOOGLE_PEOPLE) {
    await addPerson(deps, { actor: OPERATOR, schoolId: school.id, person: { email, displayName, roles, googleSubject } });
  }
  if (options.staffAupMarkdown) {
    await publishSandboxAup(deps, school.id, options.staffAupMarkdown);
    // Nia New has just joined: her policy card is queued at once, so it is waiting in her chat with DSL Desk.
    const starter = SANDBOX_GOOGLE_PEOPLE.find((person) => person.key === 'starter')!;
    const startDate = new Date(Date.parse(nowIso(deps)) + 14 * 24 * 60 * 60_000).toISOString().slice(0, 10);
    await addNewStarter(deps, { actor: OPERATOR, schoolId: school.id, input: { displayName: starter.displayName, email: starter.email, startDate } });
  }
  return school;
}

async function publishSandboxAup(deps: AppDeps, schoolId: string, markdown: string): Promise<void> {
  const today = nowIso(deps).slice(0, 10);
  await publishAup(deps, {
    actor: OPERATOR,
    schoolId,
    // The demo people are asked to sign when the README says so (a simulated new starter), not at first start.
    startCampaign: false,
    policy: {
      audience: 'staff',
      title: 'Staff Acceptable Use Policy',
      markdown,
      acknowledgementWording: 'I have read and agree to follow this policy',
      effectiveDate: today,
      reviewDate: `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`,
    },
  });
}
