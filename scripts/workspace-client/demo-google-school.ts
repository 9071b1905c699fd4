import { SANDBOX_GOOGLE_PEOPLE } from '../../src/app/organisations/seed-sandbox-school.ts';
import { chatUserName } from '../../src/domain/google-workspace.ts';
import { startWorkspaceClient, type WorkspaceClient, type WorkspaceClientOptions } from './workspace-client.ts';

/** Who is who in the demo's Google school (teacher, dsl, deputy, head, starter). */
export type SandboxGooglePersonKey = (typeof SANDBOX_GOOGLE_PEOPLE)[number]['key'];

/** The DSL space of the demo's Google school, as the DSL, the deputy and the head see it. */
export const DEMO_GOOGLE_DSL_SPACE = { id: 'dsl-cases', name: 'spaces/oakfield-dsl-cases', displayName: 'DSL Cases (Oakfield)' };

/**
 * The Workspace client for the sandbox's Google school: its people (each with a DM with the app, as after
 * an admin install) and the DSL space. `appUrl` is DSL Desk's Chat endpoint. `alsoInSpace` adds people (by
 * key) to the DSL space besides the DSL, the deputy and the head, to show what a member who is not a DSL sees.
 */
export function startDemoGoogleSchoolClient(
  options: Omit<WorkspaceClientOptions, 'people' | 'spaces'> & { alsoInSpace?: SandboxGooglePersonKey[] },
): Promise<WorkspaceClient> {
  const { alsoInSpace = [], ...clientOptions } = options;
  const people = SANDBOX_GOOGLE_PEOPLE.map((person) => ({
    id: person.key,
    name: chatUserName(person.googleSubject),
    displayName: person.displayName,
    email: person.email,
  }));
  const spaceMembers = SANDBOX_GOOGLE_PEOPLE.filter(
    (person) => person.roles.some((role) => role === 'dsl' || role === 'deputy_dsl' || role === 'head') || alsoInSpace.includes(person.key),
  ).map((person) => person.key);
  return startWorkspaceClient({ ...clientOptions, people, spaces: [{ ...DEMO_GOOGLE_DSL_SPACE, members: spaceMembers }] });
}

/** The lines of the demo banner that point at the Google school's pages. */
export function googleBannerLines(client: WorkspaceClient): string {
  const name = (key: string) => SANDBOX_GOOGLE_PEOPLE.find((person) => person.key === key)?.displayName ?? key;
  return `
  Google Chat, the demo's Google school (Oakfield, local Workspace client: ${client.url}):
  Open ${client.pages.teacher?.dm ?? '(none)'}  — you are ${name('teacher')}, a teacher.
      Type "report" (or /report) to report a concern; "my reports" lists yours.
  Open ${client.pages.dsl?.spaces[DEMO_GOOGLE_DSL_SPACE.id] ?? '(none)'}  — you are ${name('dsl')}, the DSL, in ${DEMO_GOOGLE_DSL_SPACE.displayName}.
      Press "Add DSL Desk to this space", then send "use this space for cases"; cards arrive here, Acknowledge them.
  Open ${client.pages.starter?.dm ?? '(none)'}  — you are ${name('starter')}, a new starter: the policy card arrives in this DM.
`;
}
