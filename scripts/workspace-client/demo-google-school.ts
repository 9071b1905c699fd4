import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  SANDBOX_GOOGLE_ADMIN_EMAIL,
  SANDBOX_GOOGLE_DOMAIN,
  SANDBOX_GOOGLE_PEOPLE,
  SANDBOX_GOOGLE_SECURITY_MAILBOX,
  SANDBOX_GOOGLE_SENDER_MAILBOX,
} from '../../src/app/organisations/seed-sandbox-school.ts';
import { chatUserName } from '../../src/domain/google-workspace.ts';
import { startWorkspaceClient, type WorkspaceClient, type WorkspaceClientOptions } from './workspace-client.ts';

/** Who is who in the demo's Google school (teacher, dsl, deputy, head, starter). */
export type SandboxGooglePersonKey = (typeof SANDBOX_GOOGLE_PEOPLE)[number]['key'];

/** The DSL space of the demo's Google school, as the DSL, the deputy and the head see it. */
export const DEMO_GOOGLE_DSL_SPACE = { id: 'dsl-cases', name: 'spaces/oakfield-dsl-cases', displayName: 'DSL Cases (Oakfield)' };

/** The sample messages in the demo's mailboxes (samples/emails), oldest first. */
export const DEMO_GMAIL_SAMPLES = { giftCards: 'headteacher-gift-cards.eml', rota: 'parents-evening-rota.eml' } as const;

function sample(name: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`../../samples/emails/${name}`, import.meta.url)));
}

/**
 * The Workspace client for the sandbox's Google school: its people (each with a DM with the app, as after
 * an admin install), the DSL space, and everyone's Gmail: the "headteacher needs gift cards" phishing sample in
 * every staff inbox, and an ordinary staff message in Tom Teacher's. Its Admin SDK lists the staff, and with the
 * settings in `env` DSL Desk's sandbox can remove the email from every mailbox and forward it to the security
 * team's mailbox (which has a Gmail page too). `appUrl` is DSL Desk's Chat endpoint; Gmail's is beside it. `alsoInSpace` adds people (by
 * key) to the DSL space besides the DSL, the deputy and the head, to show what a member who is not a DSL sees.
 */
export async function startDemoGoogleSchoolClient(
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
  // Every member of staff got the gift-card email (the sender wrote to the whole staff list), so "Remove from every
  // mailbox" finds a copy in each; Tom also has an ordinary message, which stays.
  const mailboxes: Record<string, Buffer[]> = Object.fromEntries(SANDBOX_GOOGLE_PEOPLE.map((person) => [person.key, [sample(DEMO_GMAIL_SAMPLES.giftCards)]]));
  mailboxes.teacher = [sample(DEMO_GMAIL_SAMPLES.rota), sample(DEMO_GMAIL_SAMPLES.giftCards)];
  const client = await startWorkspaceClient({
    ...clientOptions,
    // The security team's mailbox has a Gmail page (where a forwarded report arrives), but no Chat.
    people: [...people, { ...DEMO_SECURITY_MAILBOX, hasDirectMessage: false }],
    spaces: [{ ...DEMO_GOOGLE_DSL_SPACE, members: spaceMembers }],
    mailboxes,
    workspaceDomain: {
      domain: SANDBOX_GOOGLE_DOMAIN,
      adminEmail: SANDBOX_GOOGLE_ADMIN_EMAIL,
      // The staff's accounts, with the Google ids DSL Desk knows them by (the sender and security mailboxes are not staff).
      users: SANDBOX_GOOGLE_PEOPLE.map((person) => ({ id: person.googleSubject, email: person.email, fullName: person.displayName, creationTime: '2025-08-28T08:00:00Z' })),
    },
  });
  return {
    ...client,
    // The settings that turn on the school-wide Gmail actions against the client's fakes, as a Google school's IT would.
    env: {
      ...client.env,
      GOOGLE_MAILBOX_REMOVAL: 'true',
      REPORT_SENDER_MAILBOX: SANDBOX_GOOGLE_SENDER_MAILBOX,
      SECURITY_REPORT_MAILBOX: SANDBOX_GOOGLE_SECURITY_MAILBOX,
    },
  };
}

/** The security team's phishing mailbox of the demo's Google school (SECURITY_REPORT_MAILBOX in the demo). */
export const DEMO_SECURITY_MAILBOX = {
  id: 'security',
  name: 'users/110000000000000000009',
  displayName: 'Oakfield IT security (phishing reports)',
  email: SANDBOX_GOOGLE_SECURITY_MAILBOX,
};

/** The subject of the phishing sample, as the inbox lists it. */
export const GIFT_CARDS_SUBJECT = 'Quick favour before assembly';

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

  Gmail, the same school (DSL Desk's add-on beside the open message):
  Open ${client.pages.teacher?.gmail ?? '(none)'}  — ${name('teacher')}'s inbox.
      Open "${GIFT_CARDS_SUBJECT}", choose "Phishing or suspicious", add a note and press Report: the case
      card arrives in ${DEMO_GOOGLE_DSL_SPACE.displayName} (set the space up first, above).
      Every member of staff got that email. In the DSL space, press "Remove from all mailboxes" on the case card:
      each inbox loses its copy (the Gmail pages reload; the card shows the count), and "Forward to IT security" sends
      it, attached, from ${SANDBOX_GOOGLE_SENDER_MAILBOX} to the security team's mailbox:
  Open ${client.pages[DEMO_SECURITY_MAILBOX.id]?.gmail ?? '(none)'}  — ${DEMO_SECURITY_MAILBOX.displayName}.
`;
}
