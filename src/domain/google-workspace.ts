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

/** A Chat user name (`users/<id>`) for a Google account id (the ID token's `sub`): the same number. */
export function chatUserName(googleSubject: string): string {
  return `users/${googleSubject}`;
}
