import type { GoogleSigner } from './google-signer.ts';
import { postSignedEvent, type FormInputs } from './chat-events.ts';

/**
 * Gmail's add-on events as Google sends them to an HTTP add-on endpoint (Workspace add-ons, HTTP runtime):
 * `{ commonEventObject, authorizationEventObject: { userOAuthToken, userIdToken, systemIdToken }, gmail? }`.
 * The homepage has no `gmail`; the contextual trigger on an open message and every click while a message is
 * open carry `gmail: { messageId, threadId, accessToken }`. A click carries the button's parameters and the
 * card's inputs. Sandbox and tests only.
 */

/** The person using Gmail, as the user's ID token names them. */
export interface GmailUser {
  /** The Google account id (the token's `sub`). */
  subject: string;
  email: string;
}

/** The open message, as Gmail passes it to the add-on. */
export interface OpenMessage {
  messageId: string;
  threadId: string;
}

/** The short-lived tokens Gmail hands the add-on for one event (from the fake Gmail API in the sandbox). */
export interface GmailEventTokens {
  /** The user's access token for the deployment's scopes. */
  userOAuthToken: string;
  /** The per-message token for X-Goog-Gmail-Access-Token; only when a message is open. */
  gmailAccessToken?: string;
}

export type GmailEventObject = {
  commonEventObject: Record<string, unknown>;
  authorizationEventObject: { userOAuthToken: string; userIdToken: string; systemIdToken: string };
  gmail?: { messageId: string; threadId: string; accessToken: string };
};

const TIME_ZONE = 'Europe/London';

/** The time zone's offset from UTC at `now`, in milliseconds, as Gmail sends it. */
export function timeZoneOffsetMs(timeZone: string, now: Date): number {
  const name = new Intl.DateTimeFormat('en-GB', { timeZone, timeZoneName: 'longOffset' }).formatToParts(now)
    .find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) * 60_000;
}

export interface GmailEventInput {
  user: GmailUser;
  tokens: GmailEventTokens;
  /** The message open in Gmail; absent on the homepage. */
  message?: OpenMessage;
  /** A button click: its action parameters (a map, as Google sends them). */
  parameters?: Record<string, string>;
  /** The card's inputs at the click. */
  formInputs?: FormInputs;
  now?: Date;
}

/** The event without its ID tokens (added when it is sent, fresh each time). */
export function gmailEvent(input: GmailEventInput): Omit<GmailEventObject, 'authorizationEventObject'> & { authorizationEventObject: { userOAuthToken: string } } {
  const now = input.now ?? new Date();
  const common: Record<string, unknown> = {
    hostApp: 'GMAIL',
    platform: 'WEB',
    userLocale: 'en-GB',
    timeZone: { id: TIME_ZONE, offset: timeZoneOffsetMs(TIME_ZONE, now) },
    ...(input.formInputs && Object.keys(input.formInputs).length ? { formInputs: input.formInputs } : {}),
    ...(input.parameters && Object.keys(input.parameters).length ? { parameters: input.parameters } : {}),
  };
  if (input.message && !input.tokens.gmailAccessToken) throw new Error('an event on an open message needs its Gmail access token');
  return {
    commonEventObject: common,
    authorizationEventObject: { userOAuthToken: input.tokens.userOAuthToken },
    ...(input.message ? { gmail: { messageId: input.message.messageId, threadId: input.message.threadId, accessToken: input.tokens.gmailAccessToken! } } : {}),
  };
}

export interface SendGmailEventOptions {
  signer: GoogleSigner;
  projectNumber: string;
  /** The add-on's OAuth client id: the audience of the user's ID token. */
  oauthClientId: string;
  /** The endpoint URL the deployment names: the audience of the system ID token. Default: the URL posted to. */
  audience?: string;
  /** Send this system token instead of a fresh one (tests of refused tokens). */
  systemIdToken?: string;
  /** Default 30 s. */
  timeoutMs?: number;
}

export interface SentGmailEvent {
  status: number;
  /** The add-on's answer, parsed when JSON. */
  body: unknown;
}

/** The user's ID token as Google signs it for a Workspace add-on: aud = the add-on's OAuth client id. */
export function mintUserIdToken(signer: GoogleSigner, user: GmailUser, oauthClientId: string): Promise<string> {
  return signer.mintToken({ aud: oauthClientId, azp: oauthClientId, sub: user.subject, email: user.email, email_verified: true });
}

/**
 * POSTs a Gmail event as Google does: a fresh system ID token (aud = the endpoint URL, email = the project's
 * add-on service agent) in the Authorization header and in authorizationEventObject.systemIdToken, and a
 * fresh user ID token beside the user's OAuth token.
 */
export async function sendGmailEvent(url: string, event: ReturnType<typeof gmailEvent>, user: GmailUser, options: SendGmailEventOptions): Promise<SentGmailEvent> {
  const systemIdToken = options.systemIdToken ?? await options.signer.mintAddonToken({ audience: options.audience ?? url, projectNumber: options.projectNumber });
  const userIdToken = await mintUserIdToken(options.signer, user, options.oauthClientId);
  const signed: GmailEventObject = { ...event, authorizationEventObject: { ...event.authorizationEventObject, userIdToken, systemIdToken } };
  return postSignedEvent(url, signed, systemIdToken, { userAgent: 'Google-Apps-Script-Addons', timeoutMs: options.timeoutMs ?? 30_000 });
}
