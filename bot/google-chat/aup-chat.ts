import type { AppDeps } from '../../src/app/deps.ts';
import type { DeliveryAttempt } from '../../src/app/chat-delivery.ts';
import type { AUP_OUTBOX_KINDS, OutboxMessageOf } from '../../src/app/outbox-catalogue.ts';
import type { Logger } from '../../src/logger.ts';
import type { ChatApi } from './chat-api.ts';
import type { ChatActionHandler } from './chat-events.ts';

/** Emails a person a one-time signing link when Chat cannot reach them; false when no mailbox is connected. */
export type SendSigningLinkByEmail = (input: { schoolId: string; personId: string; policyId: string; reminder?: number }) => Promise<boolean>;
/** Sends a plain email on behalf of the school; false when DSL Desk cannot send email. */
export type SendEmail = (to: string, subject: string, body: string, from: { schoolId: string }) => Promise<boolean>;

export interface AupChatOptions {
  deps: AppDeps;
  logger: Logger;
  /** Paced Chat API calls, shared with the case cards so the space and project limits hold together. */
  chat: ChatApi;
  /** The Chat endpoint's full HTTPS URL: every button's `action.function`. */
  chatEndpointUrl: string;
  /** The read-only page of a policy version ("Read the full policy"). */
  policyPageUrl: (schoolId: string, policyId: string) => string;
  sendSigningLinkByEmail?: SendSigningLinkByEmail;
  sendEmail?: SendEmail;
}

/** The acceptable use policy in Google Chat: the card's actions (signing) and the delivery of policy cards. */
export interface AupChat {
  /** Handlers by `action` parameter, all named `aup.…`. */
  actions: Record<string, ChatActionHandler>;
  deliverPolicy(message: OutboxMessageOf<typeof AUP_OUTBOX_KINDS.deliver>, attempt: DeliveryAttempt): Promise<void>;
  remindPolicy(message: OutboxMessageOf<typeof AUP_OUTBOX_KINDS.remind>, attempt: DeliveryAttempt): Promise<void>;
  escalatePolicy(message: OutboxMessageOf<typeof AUP_OUTBOX_KINDS.escalate>, attempt: DeliveryAttempt): Promise<void>;
}

export function createAupChat(_options: AupChatOptions): AupChat {
  const notYet = () => Promise.reject(new Error('policy cards in Google Chat are not built yet'));
  return { actions: {}, deliverPolicy: notYet, remindPolicy: notYet, escalatePolicy: notYet };
}
