/**
 * Where DSL Desk talks to people in chat (Teams today, Google Chat later): the school's case channel,
 * each person's own chat with the bot, and the cards already posted for a case so they can be edited.
 * These are addresses, not content: nothing of a concern is kept here.
 */
export const CHAT_PLATFORMS = ['teams', 'google_chat'] as const;
export type ChatPlatform = (typeof CHAT_PLATFORMS)[number];

/** A conversation as the platform names it, enough to post into it again later without a user present. */
export interface ConversationAddress {
  platform: ChatPlatform;
  conversationId: string;
  /** Where the platform's connector for this conversation lives (Teams gives one per region). */
  serviceUrl: string;
  tenantId?: string;
  /** Teams only: the team and channel, when the conversation is a channel. */
  teamId?: string;
  channelId?: string;
  /** The bot's own id in that conversation, as the platform addressed it. */
  botId?: string;
}

/** The channel (or space) where a school's DSLs receive case cards. One per school and platform. */
export interface CaseChannel {
  schoolId: string;
  address: ConversationAddress;
  setById: string;
  setAt: string;
}

/** A person's identity on a chat platform and, once they have talked to the bot, their own chat with it. */
export interface ChatUser {
  schoolId: string;
  personId: string;
  platform: ChatPlatform;
  /** The platform's id for the person (a Teams MRI such as 29:…), used for mentions and card refreshes. */
  userId: string;
  personalConversation?: ConversationAddress;
  updatedAt: string;
}

export const DELIVERY_STATES = ['posted', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** A card DSL Desk posted about a case, or tried to: where it went and whether it arrived. */
export interface CaseCardRecord {
  schoolId: string;
  caseId: string;
  /** 'channel' or 'person:<personId>'. */
  target: string;
  platform: ChatPlatform;
  conversationId: string;
  activityId?: string;
  state: DeliveryState;
  /** The case version the card shows, so a late edit never overwrites a newer one. */
  renderedVersion: number;
  /** Why it was not delivered, in words a DSL understands (for example "the bot was removed from the team"). */
  failure?: string;
  updatedAt: string;
  /** When a person last acted on the card from their own view; edits for everyone wait until it has been quiet. */
  workedAt?: string;
}

/** How long edits of a shared case card wait while people are working on it (see cardEditDueAt). */
export interface CardEditHold {
  /** An edit waits until nobody has acted on the card for this long. */
  quietMs: number;
  /** ...but never longer than this after the change it shows, so the channel's picture is never stale for ever. */
  maxHoldMs: number;
}

/** Three minutes of quiet: enough to type a note or an outcome after pressing a button; at most 30 minutes stale. */
export const DEFAULT_CARD_EDIT_HOLD: CardEditHold = { quietMs: 180_000, maxHoldMs: 30 * 60_000 };

/**
 * When an edit of the shared card may be made. Editing the message re-renders the card for everyone and
 * wipes whatever a person was typing in its forms, so while someone is working the card (they acted on it
 * less than `quietMs` ago) the edit is held; a held edit goes at the latest `maxHoldMs` after `changedAt`
 * (when the first change it shows was made). Returns `now` when it may go now.
 */
export function cardEditDueAt(options: { now: Date; workedAt?: string; changedAt: string; hold: CardEditHold }): Date {
  const { now, workedAt, changedAt, hold } = options;
  if (!workedAt) return now;
  const quietAt = Date.parse(workedAt) + hold.quietMs;
  const latest = Date.parse(changedAt) + hold.maxHoldMs;
  return new Date(Math.max(now.getTime(), Math.min(quietAt, latest)));
}

export const CHANNEL_TARGET = 'channel';

export function personTarget(personId: string): string {
  return `person:${personId}`;
}
