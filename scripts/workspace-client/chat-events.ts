import { randomBytes } from 'node:crypto';
import type { GoogleSigner } from './google-signer.ts';

/**
 * Google Chat events as Chat sends them to an app registered as a Workspace add-on (HTTP runtime):
 * `{ commonEventObject, authorizationEventObject: { systemIdToken }, chat: { user, eventTime, <one payload> } }`.
 * The kind of event is the payload present: messagePayload, appCommandPayload, addedToSpacePayload,
 * buttonClickedPayload (card clicks and dialog steps). Sandbox and tests only.
 */

/** A person as Chat describes the user of an event. */
export interface ChatPerson {
  /** `users/<id>`. */
  name: string;
  displayName: string;
  email: string;
  /** The Workspace customer (domain) id. */
  domainId?: string;
}

/** A space as Chat describes it in events. */
export interface ChatSpace {
  /** `spaces/<id>`. */
  name: string;
  /** DIRECT_MESSAGE for a person's DM with the app, SPACE for a named space. */
  spaceType: 'DIRECT_MESSAGE' | 'SPACE';
  displayName?: string;
}

/** A card input's value as Chat puts it in `commonEventObject.formInputs`. */
export type FormInputValue =
  | { stringInputs: { value: string[] } }
  | { dateInput: { msSinceEpoch: string } }
  | { dateTimeInput: { msSinceEpoch: string; hasDate: boolean; hasTime: boolean } }
  | { timeInput: { hours: number; minutes: number } };

export type FormInputs = Record<string, FormInputValue>;

/** What a card button's `onClick.action` holds. */
export interface CardAction {
  function: string;
  parameters?: { key: string; value: string }[];
  interaction?: string;
  loadIndicator?: string;
}

export type ChatEventObject = Record<string, unknown> & {
  commonEventObject: Record<string, unknown>;
  chat: Record<string, unknown> & { user: Record<string, unknown>; eventTime: string };
  authorizationEventObject?: { systemIdToken?: string };
};

interface Common {
  user: ChatPerson;
  space: ChatSpace;
  now?: Date;
}

function userResource(person: ChatPerson): Record<string, unknown> {
  return { name: person.name, displayName: person.displayName, email: person.email, type: 'HUMAN', ...(person.domainId ? { domainId: person.domainId } : {}) };
}

function spaceResource(space: ChatSpace): Record<string, unknown> {
  const dm = space.spaceType === 'DIRECT_MESSAGE';
  return {
    name: space.name,
    type: dm ? 'DM' : 'ROOM',
    spaceType: space.spaceType,
    ...(dm ? { singleUserBotDm: true } : { displayName: space.displayName ?? space.name }),
  };
}

function commonEventObject(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { hostApp: 'CHAT', platform: 'WEB', userLocale: 'en-GB', timeZone: { id: 'Europe/London', offset: 0 }, ...extra };
}

function envelope(input: Common, payload: Record<string, unknown>, common: Record<string, unknown> = {}): ChatEventObject {
  return {
    commonEventObject: commonEventObject(common),
    chat: { user: userResource(input.user), eventTime: (input.now ?? new Date()).toISOString(), ...payload },
  };
}

function messageResource(input: Common & { text: string; argumentText?: string; name?: string }): Record<string, unknown> {
  const id = randomBytes(6).toString('hex');
  return {
    name: input.name ?? `${input.space.name}/messages/${id}`,
    sender: userResource(input.user),
    createTime: (input.now ?? new Date()).toISOString(),
    text: input.text,
    argumentText: input.argumentText ?? input.text,
    thread: { name: `${input.space.name}/threads/${id}` },
    space: spaceResource(input.space),
  };
}

/** A person writes a message to the app: in their DM with it, or in a space (where Chat passes only @mentions of the app). */
export function messageEvent(input: Common & { text: string; messageName?: string }): ChatEventObject {
  const message = messageResource({ ...input, ...(input.messageName ? { name: input.messageName } : {}) });
  return envelope(input, { messagePayload: { message, space: spaceResource(input.space) } });
}

/**
 * A slash command (`/report …`) or quick command. A command registered as opening a dialog arrives with
 * isDialogEvent and REQUEST_DIALOG, and must be answered with a dialog.
 */
export function appCommandEvent(input: Common & {
  commandId: string | number;
  commandType?: 'SLASH_COMMAND' | 'QUICK_COMMAND';
  /** The command as typed, e.g. "/report"; its arguments follow. */
  text?: string;
  opensDialog?: boolean;
}): ChatEventObject {
  const commandType = input.commandType ?? 'SLASH_COMMAND';
  const text = input.text ?? '';
  const argumentText = commandType === 'SLASH_COMMAND' ? text.replace(/^\/\S+\s*/, '') : '';
  const message = commandType === 'SLASH_COMMAND'
    ? { ...messageResource({ ...input, text, argumentText }), slashCommand: { commandId: String(input.commandId) } }
    : undefined;
  return envelope(input, {
    appCommandPayload: {
      appCommandMetadata: { appCommandId: Number(input.commandId) || input.commandId, appCommandType: commandType },
      space: spaceResource(input.space),
      ...(message ? { message } : {}),
      ...(input.opensDialog ? { isDialogEvent: true, dialogEventType: 'REQUEST_DIALOG' } : {}),
    },
  });
}

/** The app is added to a space (or installed, which opens the person's DM with it). */
export function addedToSpaceEvent(input: Common & { interactionAdd?: boolean }): ChatEventObject {
  return envelope(input, { addedToSpacePayload: { space: spaceResource(input.space), ...(input.interactionAdd ? { interactionAdd: true } : {}) } });
}

/** The app is removed from a space. */
export function removedFromSpaceEvent(input: Common): ChatEventObject {
  return envelope(input, { removedFromSpacePayload: { space: spaceResource(input.space) } });
}

/**
 * A click on a card button, in a message or in a dialog. Chat sends the button's parameters in
 * `commonEventObject.parameters` (a map) and the card's inputs in `formInputs`. In a dialog the click is a
 * SUBMIT_DIALOG step; a button with `interaction: OPEN_DIALOG` on a message asks for a dialog (REQUEST_DIALOG).
 */
export function buttonClickEvent(input: Common & {
  action: CardAction;
  formInputs?: FormInputs;
  /** The message the card is on (absent for a click inside a dialog opened by a command). */
  message?: { name: string; text?: string; cardsV2?: unknown[]; sender?: Record<string, unknown> };
  dialog?: 'REQUEST_DIALOG' | 'SUBMIT_DIALOG' | 'CANCEL_DIALOG';
}): ChatEventObject {
  const parameters = Object.fromEntries((input.action.parameters ?? []).map(({ key, value }) => [key, value]));
  const dialogType = input.dialog ?? (input.action.interaction === 'OPEN_DIALOG' ? 'REQUEST_DIALOG' : undefined);
  return envelope(input, {
    buttonClickedPayload: {
      space: spaceResource(input.space),
      ...(input.message ? { message: { ...input.message, space: spaceResource(input.space) } } : {}),
      ...(dialogType ? { isDialogEvent: true, dialogEventType: dialogType } : {}),
    },
  }, {
    invokedFunction: input.action.function,
    parameters,
    ...(input.formInputs && Object.keys(input.formInputs).length ? { formInputs: input.formInputs } : {}),
  });
}

/** A dialog opened by a button (REQUEST_DIALOG) or submitted from it (SUBMIT_DIALOG). */
export function dialogEvent(input: Parameters<typeof buttonClickEvent>[0] & { dialog: 'REQUEST_DIALOG' | 'SUBMIT_DIALOG' | 'CANCEL_DIALOG' }): ChatEventObject {
  return buttonClickEvent(input);
}

/** Text values of a form as Chat sends them. */
export function stringInputs(values: Record<string, string | string[]>): FormInputs {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, { stringInputs: { value: Array.isArray(value) ? value : [value] } }]));
}

export interface SendEventOptions {
  signer: GoogleSigner;
  projectNumber: string;
  /** The audience Google signs for: the endpoint URL configured for the app. Default: the URL posted to. */
  audience?: string;
  /** Send this token instead of a fresh one (tests of refused tokens). */
  token?: string;
  /** Default 30 s: Chat waits that long for a synchronous answer. */
  timeoutMs?: number;
}

export interface SentEvent {
  status: number;
  /** The app's synchronous answer, parsed when JSON. */
  body: unknown;
}

/**
 * POSTs an event to the app as Chat does: a Google-signed ID token (audience = the endpoint URL, email =
 * the project's add-on service agent) both in the Authorization header and in
 * authorizationEventObject.systemIdToken. Returns the app's synchronous answer.
 */
export async function sendEvent(appUrl: string, event: ChatEventObject, options: SendEventOptions): Promise<SentEvent> {
  const token = options.token ?? await options.signer.mintAddonToken({ audience: options.audience ?? appUrl, projectNumber: options.projectNumber });
  const signed = { ...event, authorizationEventObject: { ...event.authorizationEventObject, systemIdToken: token } };
  return postSignedEvent(appUrl, signed, token, { userAgent: 'Google-Dynamite', timeoutMs: options.timeoutMs ?? 30_000 });
}

/**
 * POSTs a signed Workspace add-on event (Chat or Gmail) as Google does, with the system ID token in Authorization,
 * and reads the app's synchronous answer: JSON when it is JSON, the text otherwise (the client shows it as a failure).
 */
export async function postSignedEvent(url: string, event: unknown, systemIdToken: string, options: { userAgent: string; timeoutMs: number }): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${systemIdToken}`, 'user-agent': options.userAgent },
    body: JSON.stringify(event),
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const text = await response.text();
  let body: unknown = text || undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: kept as text.
  }
  return { status: response.status, body };
}
