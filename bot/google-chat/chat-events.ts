import { z } from 'zod';
import { evidenceText, textField } from '../../src/domain/text.ts';
import type { Actor } from '../../src/domain/roles.ts';
import type { GoogleCard, ChatMessageBody } from './chat-api.ts';

/**
 * Google Chat events in the Workspace add-on format (the HTTP runtime every new Chat app is registered
 * with): `{ commonEventObject, authorizationEventObject, chat: { user, eventTime, <one payload> } }`. The
 * kind of event is whichever payload is present; the legacy `type` envelope is never mixed in, because
 * answering an add-on event in the legacy shape breaks dialogs ("Could not load dialog").
 */

const chatUser = z.object({
  name: textField().regex(/^users\/[^/]+$/, 'a Chat user name is users/<id>'),
  displayName: textField().optional(),
  email: textField().optional(),
  type: textField().optional(),
  domainId: textField().optional(),
}).passthrough();

const space = z.object({
  name: textField().regex(/^spaces\/[^/]+$/, 'a Chat space name is spaces/<id>'),
  type: textField().optional(),
  spaceType: textField().optional(),
  singleUserBotDm: z.boolean().optional(),
  displayName: textField().optional(),
}).passthrough();

const message = z.object({
  name: textField().optional(),
  text: evidenceText().optional(),
  argumentText: evidenceText().optional(),
  sender: chatUser.optional(),
  space: space.optional(),
  thread: z.object({ name: textField().optional() }).passthrough().optional(),
  slashCommand: z.object({ commandId: z.union([textField(), z.number()]) }).passthrough().optional(),
}).passthrough();

// Kept as typed here; the use case validates each field and says what to fix, with the input kept.
const stringInputs = z.object({ value: z.array(evidenceText()) }).passthrough();
const formInput = z.object({ stringInputs: stringInputs.optional() }).passthrough();

export const chatEventSchema = z.object({
  commonEventObject: z.object({
    hostApp: textField().optional(),
    platform: textField().optional(),
    userLocale: textField().optional(),
    timeZone: z.object({ id: textField().optional(), offset: z.number().optional() }).passthrough().optional(),
    formInputs: z.record(textField(), formInput).optional(),
    parameters: z.record(textField(), textField()).optional(),
    invokedFunction: textField().optional(),
  }).passthrough(),
  authorizationEventObject: z.object({ systemIdToken: textField().optional() }).passthrough().optional(),
  chat: z.object({
    user: chatUser,
    eventTime: textField().optional(),
    messagePayload: z.object({ message, space: space.optional() }).passthrough().optional(),
    addedToSpacePayload: z.object({ space, interactionAdd: z.boolean().optional() }).passthrough().optional(),
    removedFromSpacePayload: z.object({ space }).passthrough().optional(),
    buttonClickedPayload: z.object({
      message: message.optional(),
      space: space.optional(),
      isDialogEvent: z.boolean().optional(),
      dialogEventType: textField().optional(),
    }).passthrough().optional(),
    appCommandPayload: z.object({
      appCommandMetadata: z.object({ appCommandId: z.union([textField(), z.number()]), appCommandType: textField().optional() }).passthrough(),
      message: message.optional(),
      space: space.optional(),
      isDialogEvent: z.boolean().optional(),
      dialogEventType: textField().optional(),
    }).passthrough().optional(),
    widgetUpdatedPayload: z.object({ space: space.optional() }).passthrough().optional(),
  }).passthrough(),
}).passthrough();

export type ChatEvent = z.infer<typeof chatEventSchema>;
export type ChatUserRef = z.infer<typeof chatUser>;
export type ChatSpaceRef = z.infer<typeof space>;

/** The first value of a text (or selection) input of a submitted card or dialog. */
export function formValue(event: ChatEvent, name: string): string | undefined {
  return event.commonEventObject.formInputs?.[name]?.stringInputs?.value[0];
}

/** Every value of a multi-select input. */
export function formValues(event: ChatEvent, name: string): string[] {
  return event.commonEventObject.formInputs?.[name]?.stringInputs?.value ?? [];
}

/**
 * Every button DSL Desk puts on a Chat card calls the Chat endpoint URL (a full HTTPS URL, as add-ons
 * require) with the parameter `action` naming what to do (`case.acknowledge`, `aup.sign`, …) and the
 * other parameters it needs (`caseId`, `version`, …). Ids and codes only, never concern text.
 */
export const ACTION_PARAMETER = 'action';

/** What a handler of one `action` is given: the event, who clicked (resolved against our records), where. */
export interface ChatActionContext {
  event: ChatEvent;
  /** The person who acted, resolved from the verified Chat user through our own records. */
  actor: Actor;
  user: ChatUserRef;
  /** The space the action happened in (a DM with the app, or a named space). */
  space?: ChatSpaceRef;
  /** The card message the button was on, when it was on a message (not in a dialog). */
  messageName?: string;
  parameters: Record<string, string>;
  isDialogEvent: boolean;
  now: Date;
}

/** The synchronous answer to a Chat event, in the add-on format. */
export type ChatResponse = Record<string, unknown>;
export type ChatActionHandler = (context: ChatActionContext) => Promise<ChatResponse>;

/** A new message in the space of the event, as the app. */
export function replyWithMessage(body: ChatMessageBody): ChatResponse {
  return { hostAppDataAction: { chatDataAction: { createMessageAction: { message: body } } } };
}

/** Replaces the card message the clicked button was on (the app's own message), for everyone in the space. */
export function updateThisMessage(body: ChatMessageBody): ChatResponse {
  return { hostAppDataAction: { chatDataAction: { updateMessageAction: { message: body } } } };
}

/** Opens a dialog showing this card. */
export function openDialog(card: GoogleCard): ChatResponse {
  return { action: { navigations: [{ pushCard: card }] } };
}

/** Shows this card in the dialog already open (the next step, or the same form with its errors). */
export function updateDialog(card: GoogleCard): ChatResponse {
  return { action: { navigations: [{ updateCard: card }] } };
}

/** Closes the open dialog, with a short notification to the person who submitted it. */
export function closeDialog(notification?: string): ChatResponse {
  return {
    action: {
      navigations: [{ endNavigation: { action: 'CLOSE_DIALOG' } }],
      ...(notification ? { notification: { text: notification } } : {}),
    },
  };
}

/** Acknowledge with nothing: the answer comes later through the Chat API (over 30 s of work, or another space). */
export const NO_RESPONSE: ChatResponse = {};
