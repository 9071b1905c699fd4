/**
 * The fixed Microsoft 365 tenant that the Agents Playground pretends to be when it talks to DSL Desk.
 *
 * Every id here is chosen by us and matches DSL Desk's sandbox school (SANDBOX_TENANT_ID and
 * SANDBOX_PEOPLE in src/app/organisations/seed-sandbox-school.ts), so a person chatting in the playground is the same
 * demo person the sandbox knows, and tests can name who acts. The harness test checks the two agree. The ids are valid lower-case GUIDs; the user and
 * conversation ids follow Teams' shapes (`29:` users, `28:` bots, `a:` personal chats, `19:…@thread` chats
 * and channels). `.m365agentsplayground.yml` next to this file is rendered from these values
 * (`renderPlaygroundConfig`); the harness test checks that the two still agree.
 */

export const PLAYGROUND_TENANT_ID = '5a7d0c3e-0000-4000-8000-00000000d5d5';

/** The bot as the playground presents it: activities arrive with this `recipient`, mentions name it. */
export const PLAYGROUND_BOT = { id: '28:5a7d0c3e-0000-4000-8000-0000000000b0', name: 'DSL Desk' } as const;

export interface PlaygroundPerson {
  /** Channel account id (`from.id`). */
  id: string;
  name: string;
  givenName: string;
  surname: string;
  /** Entra object id (`from.aadObjectId`): what DSL Desk should match people on. */
  aadObjectId: string;
  /** Also the user principal name; the same address as the sandbox's demo person. */
  email: string;
  /** The person's roles in DSL Desk's sandbox school, for reference. */
  roles: readonly string[];
}

/**
 * The playground needs exactly six people: the current user (who types in the web page) and five more.
 * They are the sandbox school's people with the same emails, so a DSL Desk sandbox can pair them up.
 */
export const PLAYGROUND_PEOPLE = {
  teacher: { id: '29:tess-teacher', name: 'Tess Teacher', givenName: 'Tess', surname: 'Teacher', aadObjectId: '5a7d0c3e-0000-4000-8000-000000000001', email: 'teacher@demo-school.test', roles: ['staff'] },
  dsl: { id: '29:dina-safeguarding', name: 'Dina Safeguarding', givenName: 'Dina', surname: 'Safeguarding', aadObjectId: '5a7d0c3e-0000-4000-8000-000000000003', email: 'dsl@demo-school.test', roles: ['staff', 'dsl'] },
  deputy: { id: '29:dev-deputy', name: 'Dev Deputy', givenName: 'Dev', surname: 'Deputy', aadObjectId: '5a7d0c3e-0000-4000-8000-000000000004', email: 'deputy@demo-school.test', roles: ['staff', 'deputy_dsl'] },
  head: { id: '29:harriet-head', name: 'Harriet Head', givenName: 'Harriet', surname: 'Head', aadObjectId: '5a7d0c3e-0000-4000-8000-000000000005', email: 'head@demo-school.test', roles: ['staff', 'head'] },
  ta: { id: '29:theo-assistant', name: 'Theo Assistant', givenName: 'Theo', surname: 'Assistant', aadObjectId: '5a7d0c3e-0000-4000-8000-000000000002', email: 'ta@demo-school.test', roles: ['staff'] },
  it: { id: '29:ivan-network', name: 'Ivan Network', givenName: 'Ivan', surname: 'Network', aadObjectId: '5a7d0c3e-0000-4000-8000-000000000006', email: 'it@demo-school.test', roles: ['staff', 'it'] },
} as const satisfies Record<string, PlaygroundPerson>;

export type PlaygroundPersonKey = keyof typeof PLAYGROUND_PEOPLE;

/** Who types in the web page unless told otherwise: a member of staff who reports concerns. */
export const DEFAULT_CURRENT_USER: PlaygroundPersonKey = 'teacher';

/**
 * Conversation ids. They stay the same on every start because the config file fixes them (without a
 * config file the playground makes a new personal chat id each time). In a team the General channel's id
 * is the team id. A new post in a channel becomes the thread `<channel id>;messageid=<post id>`.
 */
export const PLAYGROUND_CONVERSATIONS = {
  /** The current user's personal chat with the bot. Other people's personal chats are not in the web page. */
  personalChat: 'a:dsl-desk-personal-chat',
  groupChat: '19:dsl-desk-staff-room@thread.v2',
  team: '19:dsl-desk-general@thread.tacv2',
  generalChannel: '19:dsl-desk-general@thread.tacv2',
  casesChannel: '19:dsl-desk-cases@thread.tacv2',
} as const;

export const PLAYGROUND_NAMES = {
  team: 'Safeguarding Team',
  generalChannel: 'General',
  casesChannel: 'DSL Cases',
  groupChat: 'Staff Room',
  teamAadGroupId: '5a7d0c3e-0000-4000-8000-000000000201',
} as const;

function personYaml(person: PlaygroundPerson, indent: string, first: string): string {
  const lines = [
    `id: "${person.id}"`,
    `name: ${person.name}`,
    `userPrincipleName: ${person.email}`,
    `aadObjectId: ${person.aadObjectId}`,
    `givenName: ${person.givenName}`,
    `surname: ${person.surname}`,
    `email: ${person.email}`,
  ];
  return lines.map((line, i) => `${i === 0 ? first : indent}${line}`).join('\n');
}

/**
 * The playground's config file (format version 0.1.1) for these people, with `currentUser` as the one who
 * types in the web page. The playground wants exactly five other users. (`userPrincipleName` is spelled
 * as the playground spells it.)
 */
export function renderPlaygroundConfig(currentUser: PlaygroundPersonKey = DEFAULT_CURRENT_USER): string {
  const others = (Object.keys(PLAYGROUND_PEOPLE) as PlaygroundPersonKey[]).filter((key) => key !== currentUser);
  return `# Microsoft 365 Agents Playground configuration for DSL Desk: a fixed tenant, people and conversations.
# Rendered from scripts/playground/identities.ts (renderPlaygroundConfig); change that file, not this one.
version: "0.1.1"
tenantId: ${PLAYGROUND_TENANT_ID}
bot:
  id: "${PLAYGROUND_BOT.id}"
  name: ${PLAYGROUND_BOT.name}
currentUser:
${personYaml(PLAYGROUND_PEOPLE[currentUser], '  ', '  ')}
users:
${others.map((key) => personYaml(PLAYGROUND_PEOPLE[key], '    ', '  - ')).join('\n')}
personalChat:
  id: "${PLAYGROUND_CONVERSATIONS.personalChat}"
groupChat:
  id: "${PLAYGROUND_CONVERSATIONS.groupChat}"
  name: ${PLAYGROUND_NAMES.groupChat}
team:
  id: "${PLAYGROUND_CONVERSATIONS.team}"
  name: ${PLAYGROUND_NAMES.team}
  aadGroupId: ${PLAYGROUND_NAMES.teamAadGroupId}
  channels:
    - id: "${PLAYGROUND_CONVERSATIONS.casesChannel}"
      name: ${PLAYGROUND_NAMES.casesChannel}
`;
}
