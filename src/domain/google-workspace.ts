/**
 * Facts about DSL Desk's one Google Workspace add-on deployment (HTTP runtime) that several parts share:
 * the endpoint paths Google calls, the service agent that signs those calls, and the scopes asked for.
 */

/** Chat events (messages, commands, card clicks, dialogs) arrive here; the URL is PUBLIC_BASE_URL + this path. */
export const GOOGLE_CHAT_PATH = '/api/google/chat';

/** The full URL Google calls for Chat events: also the audience of every token it signs for them. */
export function googleChatEndpointUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/$/, '')}${GOOGLE_CHAT_PATH}`;
}

/**
 * The Workspace add-ons service agent of a Cloud project: the only account whose ID tokens may call our
 * endpoints. The shape matches every add-on project, so it is compared exactly, never by pattern.
 */
export function addonServiceAccountEmail(projectNumber: string): string {
  return `service-${projectNumber}@gcp-sa-gsuiteaddons.iam.gserviceaccount.com`;
}

/** The issuer (and email) of tokens of Chat apps set up in the legacy way, with the project number as audience. */
export const LEGACY_CHAT_ISSUER = 'chat@system.gserviceaccount.com';

/** Posting and editing cards as the app (service account, no domain-wide delegation). */
export const CHAT_BOT_SCOPE = 'https://www.googleapis.com/auth/chat.bot';

/** Read by the admin identity (domain-wide delegation) to find new starters. */
export const ADMIN_REPORTS_SCOPE = 'https://www.googleapis.com/auth/admin.reports.audit.readonly';
export const ADMIN_DIRECTORY_USER_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
/** Read by the admin identity, only when the school turns on importing Gmail's own "Report phishing" alerts. */
export const ALERT_CENTER_SCOPE = 'https://www.googleapis.com/auth/apps.alerts';

/** A Chat user name (`users/<id>`) for a Google account id (the ID token's `sub`): the same number. */
export function chatUserName(googleSubject: string): string {
  return `users/${googleSubject}`;
}

/**
 * The Chat app's commands. The ids are what Chat sends (`appCommandMetadata.appCommandId`); they are set once
 * in the Chat API configuration (npm run package:google writes it) and must never be renumbered, or a
 * school's configured commands would run the wrong action.
 */
export const REPORT_COMMAND_ID = 1;
export const MY_REPORTS_COMMAND_ID = 2;
export const HELP_COMMAND_ID = 3;

export interface ChatSlashCommand {
  id: number;
  /** As typed in Chat, with its slash. */
  command: string;
  /** Shown by Chat next to the command. */
  description: string;
  /** Whether Chat opens a dialog for it (the app answers with the dialog's first card). */
  opensDialog: boolean;
}

export const CHAT_SLASH_COMMANDS: readonly ChatSlashCommand[] = [
  { id: REPORT_COMMAND_ID, command: '/report', description: 'Report a safeguarding or online-safety concern to the DSL team', opensDialog: true },
  { id: MY_REPORTS_COMMAND_ID, command: '/myreports', description: 'See the status of the concerns you have reported', opensDialog: false },
  { id: HELP_COMMAND_ID, command: '/help', description: 'How to use DSL Desk in Chat', opensDialog: false },
];

/**
 * Gmail's add-on events (homepage, the contextual trigger on an open message, and every card button) arrive
 * here: one URL, so one audience for every token Google signs for Gmail. Buttons say what they do in their
 * action parameters (`action`), never in the URL.
 */
export const GOOGLE_GMAIL_PATH = '/api/google/gmail';

/** The full URL Google calls for Gmail add-on events: also the audience of every token it signs for them. */
export function googleGmailEndpointUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/$/, '')}${GOOGLE_GMAIL_PATH}`;
}

/**
 * The user scopes of the add-on deployment. DSL Desk calls no Google API as the user except to read the one
 * message they have open and chose to report, during that request:
 *  - userinfo.email lets Google vouch for the user's account email (the user ID token), which is how DSL Desk
 *    finds the person and school;
 *  - gmail.addons.execute runs the add-on in Gmail;
 *  - gmail.addons.current.message.readonly reads the open message (a sensitive scope, not a restricted one):
 *    the add-on never asks for a scope that could read, move or delete anything else in the mailbox.
 * Chat events carry who acted, and the Chat app writes as itself (CHAT_BOT_SCOPE, service account).
 */
export const USERINFO_EMAIL_SCOPE = 'https://www.googleapis.com/auth/userinfo.email';
export const GMAIL_ADDON_EXECUTE_SCOPE = 'https://www.googleapis.com/auth/gmail.addons.execute';
export const GMAIL_CURRENT_MESSAGE_READ_SCOPE = 'https://www.googleapis.com/auth/gmail.addons.current.message.readonly';
export const ADDON_USER_SCOPES: readonly string[] = [USERINFO_EMAIL_SCOPE, GMAIL_ADDON_EXECUTE_SCOPE, GMAIL_CURRENT_MESSAGE_READ_SCOPE];

/**
 * Domain-wide delegation scopes for the DSL's school-wide actions, used only when the school's IT turns them on
 * (off by default; manifest/google/README.md lists the Admin console steps): moving every copy of a reported
 * message to the Bin (gmail.modify, impersonating each mailbox) and sending as the school's configured
 * reporting mailbox (gmail.send: forwarding a phishing report, emailed notices). The add-on never has them.
 */
export const GMAIL_MODIFY_SCOPE = 'https://www.googleapis.com/auth/gmail.modify';
export const GMAIL_SEND_SCOPE = 'https://www.googleapis.com/auth/gmail.send';

/**
 * The OAuth client id of the sandbox's add-on deployment: the audience of the user ID tokens the local
 * Workspace client signs. A real deployment's id comes from GOOGLE_ADDON_OAUTH_CLIENT_ID.
 */
export const SANDBOX_ADDON_OAUTH_CLIENT_ID = 'dsl-desk-sandbox.apps.googleusercontent.com';

/**
 * The sandbox's fixed access token for the local fake of Chat's REST API (the local Workspace client): the
 * sandbox never asks Google for a token, and the fake accepts only this one.
 */
export const SANDBOX_CHAT_ACCESS_TOKEN = 'dsl-desk-sandbox-chat-token';

/**
 * The sandbox's stand-in for domain-wide delegation, used only against the local Workspace client's fakes of the
 * Admin SDK and Gmail (never sent to Google: the wiring uses it only when both API roots are on this machine).
 * A real delegated token names its mailbox and scopes only inside Google; this one carries them in the clear,
 * `<prefix>:<subject>:<scope>,<scope>`, so the fakes can act as the mailbox it impersonates.
 */
export const SANDBOX_GOOGLE_DELEGATION_TOKEN = 'dsl-desk-sandbox-delegation';

/** The sandbox's delegated token for `subject` (a mailbox or the school's admin) with `scopes`. */
export function sandboxDelegatedToken(subject: string, scopes: readonly string[]): string {
  return `${SANDBOX_GOOGLE_DELEGATION_TOKEN}:${subject.trim().toLowerCase()}:${[...scopes].sort().join(',')}`;
}

/** Who and what a sandbox delegated token stands for; undefined for any other token. */
export function parseSandboxDelegatedToken(token: string): { subject: string; scopes: string[] } | undefined {
  // Scopes are URLs (they hold colons): only the first two colons separate the parts.
  const prefix = `${SANDBOX_GOOGLE_DELEGATION_TOKEN}:`;
  if (!token.startsWith(prefix)) return undefined;
  const rest = token.slice(prefix.length);
  const colon = rest.indexOf(':');
  const subject = colon > 0 ? rest.slice(0, colon) : '';
  if (!subject.includes('@') || /\s/.test(rest)) return undefined;
  return { subject, scopes: rest.slice(colon + 1).split(',').filter(Boolean) };
}
