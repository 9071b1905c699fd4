import { z } from 'zod';

/**
 * The Gmail add-on event (HTTP runtime) as Google posts it to the Gmail endpoint: the homepage trigger, the
 * contextual trigger on an open message, and every card button. Only the fields DSL Desk reads are named;
 * Google adds others, which pass through unread.
 */
const stringInputs = z.looseObject({ stringInputs: z.looseObject({ value: z.array(z.string()).max(20) }).optional() });

export const gmailEventSchema = z.looseObject({
  commonEventObject: z.looseObject({
    hostApp: z.literal('GMAIL'),
    platform: z.string().optional(),
    userLocale: z.string().max(40).optional(),
    timeZone: z.looseObject({ id: z.string().max(80).optional(), offset: z.number().optional() }).optional(),
    /** Card inputs by name (`choice`, `note`), as sent by a button press. */
    formInputs: z.record(z.string().max(100), stringInputs).optional(),
    /** The pressed button's `action.parameters`. */
    parameters: z.record(z.string().max(100), z.string().max(500)).optional(),
  }),
  authorizationEventObject: z.looseObject({
    /** The user's OAuth token for the add-on's scopes: the bearer for reading the open message. */
    userOAuthToken: z.string().max(4096).optional(),
    /** Google-signed ID token of the user (audience: the add-on's OAuth client id): who is reporting. */
    userIdToken: z.string().max(8192).optional(),
    systemIdToken: z.string().max(8192).optional(),
  }).optional(),
  gmail: z.looseObject({
    messageId: z.string().min(1).max(200).optional(),
    threadId: z.string().max(200).optional(),
    /** Gmail's per-message token (X-Goog-Gmail-Access-Token). */
    accessToken: z.string().max(4096).optional(),
  }).optional(),
});

export type GmailEvent = z.infer<typeof gmailEventSchema>;

/** The first value of a card input, if any. */
export function formInput(event: GmailEvent, name: string): string | undefined {
  return event.commonEventObject.formInputs?.[name]?.stringInputs?.value[0];
}
