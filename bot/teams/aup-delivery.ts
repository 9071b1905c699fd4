import { AUP_OUTBOX_KINDS, deliveryKeyOf, type DeliveryKey } from '../../src/app/aup/aup-messages.ts';
import type { ChatDelivery } from '../../src/app/chat-delivery.ts';
import type { OutboxMessageOf } from '../../src/app/outbox-catalogue.ts';
import { prepareAupDelivery, prepareAupReminder, recordAupDelivered, recordAupDeliveryFailed, recordAupReminderSent, type AupDeliveryContext } from '../../src/app/aup/deliver-aup.ts';
import type { AppDeps } from '../../src/app/deps.ts';
import { escalationText, prepareEscalation, recordEscalation } from '../../src/app/aup/escalate-unsigned-starter.ts';
import { readAupForSigning } from '../../src/app/aup/read-current-aup.ts';
import type { ConversationAddress } from '../../src/domain/chat.ts';
import { isDirectoryRefusal, type DirectoryRefusalCode, type TeamsAppInstaller } from '../../src/domain/directory.ts';
import type { OutboxMessage } from '../../src/domain/ports.ts';
import { DEFAULT_MAX_ATTEMPTS, PermanentDeliveryError, RetryableDeliveryError } from '../../src/jobs/outbox-dispatcher.ts';
import type { Logger } from '../../src/logger.ts';
import { aupPolicyViewOf, renderAupCard, renderNotificationCard, type AupCardView, type AupPolicyView, type CardJson } from './cards/index.ts';
import { cardActivity, TeamsCallError, type PacedConnector } from './paced-calls.ts';

/** A person's policy, as the delivery and reminder handlers have it. */
export type AupRecipientContext = Omit<AupDeliveryContext, 'resumed'>;

/**
 * Makes a one-time signing link for the person and emails it to them; false when DSL Desk cannot send
 * email (no mailbox connected). `reminder` is set when it is the nth reminder rather than the first request.
 */
export type SendSigningLinkByEmail = (context: AupRecipientContext, options?: { reminder?: number }) => Promise<boolean>;

/** Sends a plain email on behalf of the school (whose mailbox connection sends it); false when DSL Desk cannot send email. */
export type SendEmail = (to: string, subject: string, body: string, from: { schoolId: string }) => Promise<boolean>;

export interface AupTeamsDeliveryOptions {
  deps: AppDeps;
  logger: Logger;
  /** Bot Connector calls, paced with the campaign's share of the tenant's requests. */
  connector: PacedConnector;
  /** The read-only page of a policy version ("Read the full policy"). */
  policyPageUrl: (schoolId: string, policyId: string) => string;
  /** Installs DSL Desk's Teams app for someone who has never opened it, so the bot may message them. */
  installer?: TeamsAppInstaller;
  /** DSL Desk's app id in the school's Teams app catalogue. */
  teamsAppCatalogId?: string;
  /** The Bot Connector to use for a chat found through Graph, until the school's own is known from a message. */
  teamsServiceUrl: string;
  sendSigningLinkByEmail?: SendSigningLinkByEmail;
  sendEmail?: SendEmail;
}

/** Why chat was not possible, for the person's delivery record: a code and words the office can act on. */
interface ChatFailure {
  code: string;
  reason: string;
}

type Reach = { address: ConversationAddress; foundThroughGraph: boolean } | { failure: ChatFailure };

const NOT_REACHED = 'DSL Desk could not reach them in Teams.';
const NOT_REACHED_NO_EMAIL = 'DSL Desk could not reach them in Teams and no mailbox is connected to email a signing link.';
const APP_BLOCKED = 'The school’s Teams admin has blocked DSL Desk.';
const NO_EMAIL = 'No mailbox is connected to email them a signing link.';

/** What Microsoft 365's refusals mean to the office, once trying again has not helped. */
const REFUSAL_REASONS: Record<DirectoryRefusalCode, string> = {
  no_teams_licence: 'Microsoft 365 says this person has no Teams licence.',
  app_blocked: APP_BLOCKED,
  permission_missing: 'DSL Desk is not allowed to add its Teams app for staff yet: IT needs to grant it admin consent.',
  user_not_found: 'Microsoft Teams does not know this person yet.',
  unavailable: 'Microsoft 365 did not answer, however many times DSL Desk asked.',
};

/**
 * The Teams side of getting policies signed: the card to each person (in their chat with the bot, in a
 * chat opened by installing the app for them, or else as a one-time link by email), their reminders, and
 * the headteacher's warning when a starter has not signed. Each handler reloads the delivery first, so a
 * message run twice, or after the person signed, sends nothing more.
 */
export class AupTeamsDelivery implements Pick<ChatDelivery, 'deliverPolicy' | 'remindPolicy' | 'escalatePolicy'> {
  readonly #options: AupTeamsDeliveryOptions;

  constructor(options: AupTeamsDeliveryOptions) {
    this.#options = options;
  }

  async deliverPolicy(message: OutboxMessageOf<typeof AUP_OUTBOX_KINDS.deliver>): Promise<void> {
    const { deps } = this.#options;
    const key = deliveryKeyOf(message);
    const context = await prepareAupDelivery(deps, key, 'teams');
    if (!context) return;
    const reach = await this.#reach(message, context);
    if ('failure' in reach) return this.#fallBack(key, context, reach.failure);
    let activityId: string | undefined;
    try {
      activityId = await this.#send(reach.address, this.#card(context), context);
    } catch (error) {
      return this.#fallBack(key, context, this.#chatFailure(message, error));
    }
    await recordAupDelivered(deps, key, {
      channel: 'teams',
      conversationId: reach.address.conversationId,
      ...(activityId ? { activityId } : {}),
      // A chat found through Graph is remembered as theirs, so reminders and later policies go straight there.
      ...(reach.foundThroughGraph && context.person.entraObjectId ? { personalConversation: reach.address, chatUserId: context.person.entraObjectId } : {}),
    });
    this.#options.logger.info({ outboxId: message.id, policyId: key.policyId, personId: key.personId, foundThroughGraph: reach.foundThroughGraph, resumed: context.resumed }, 'policy card sent in teams');
  }

  async remindPolicy(message: OutboxMessageOf<typeof AUP_OUTBOX_KINDS.remind>): Promise<void> {
    const { deps, sendSigningLinkByEmail } = this.#options;
    const key = deliveryKeyOf(message);
    const { n } = message.payload;
    if (!Number.isInteger(n) || n < 1) throw new PermanentDeliveryError('a reminder without its number');
    const context = await prepareAupReminder(deps, key, n, 'teams');
    if (!context) return;
    if (context.delivery.channel === 'teams') {
      const address = context.chatUser?.personalConversation ?? this.#deliveredTo(context);
      if (address) {
        const { signBefore } = await readAupForSigning(deps, { schoolId: key.schoolId, policyId: key.policyId, personId: key.personId });
        try {
          await this.#send(address, this.#card(context, { reminder: signBefore ? { signBefore } : {} }), context);
          await recordAupReminderSent(deps, key, n);
          return;
        } catch (error) {
          // A chat that refuses for good (the app was removed): the link by email instead, where possible.
          this.#chatFailure(message, error);
        }
      }
    } else if (context.delivery.channel !== 'email_link') {
      return;
    }
    if (sendSigningLinkByEmail && (await sendSigningLinkByEmail(context, { reminder: n }))) {
      await recordAupReminderSent(deps, key, n);
      return;
    }
    this.#options.logger.warn({ outboxId: message.id, policyId: key.policyId, personId: key.personId, reminder: n }, 'policy reminder could not be sent');
  }

  async escalatePolicy(message: OutboxMessageOf<typeof AUP_OUTBOX_KINDS.escalate>): Promise<void> {
    const { deps, sendEmail } = this.#options;
    const key = deliveryKeyOf(message);
    const prepared = await prepareEscalation(deps, key, message.payload.startDate, 'teams');
    if (!prepared) return;
    const text = escalationText(prepared);
    const card = renderNotificationCard({ title: text.title, lines: [text.body] });
    const told: { personId: string; via: string }[] = [];
    const notTold: { personId: string; reason: string }[] = [];
    for (const recipient of prepared.recipients) {
      const address = recipient.chatUser?.personalConversation;
      if (address) {
        try {
          await this.#options.connector.call(address, (connector) => connector.send({ ...cardActivity(card), summary: text.title }));
          told.push({ personId: recipient.personId, via: 'teams' });
          continue;
        } catch (error) {
          // Until someone has been told, the whole warning can wait for Teams; after that, a retry would tell them twice.
          if (told.length === 0) this.#chatFailure(message, error);
        }
      }
      if (sendEmail && (await sendEmail(recipient.email, text.title, text.body, { schoolId: key.schoolId }))) {
        told.push({ personId: recipient.personId, via: 'email' });
        continue;
      }
      notTold.push({ personId: recipient.personId, reason: address ? 'teams_refused' : 'no_chat_or_email' });
    }
    await recordEscalation(deps, key, told, notTold);
    if (told.length === 0) this.#options.logger.warn({ outboxId: message.id, policyId: key.policyId, personId: key.personId, recipients: prepared.recipients.length }, 'unsigned starter: nobody could be told');
  }

  /** Their chat with the bot, or one opened by installing DSL Desk's Teams app for them through Graph. */
  async #reach(message: Omit<OutboxMessage, 'payload'>, context: AupRecipientContext): Promise<Reach> {
    const personal = context.chatUser?.personalConversation;
    if (personal) return { address: personal, foundThroughGraph: false };
    const { installer, teamsAppCatalogId, teamsServiceUrl } = this.#options;
    const tenantId = context.school.entraTenantId;
    const objectId = context.person.entraObjectId;
    if (!installer || !teamsAppCatalogId || !tenantId || !objectId) return { failure: { code: 'no_chat', reason: NOT_REACHED } };
    try {
      await installer.installForUser(tenantId, objectId, teamsAppCatalogId);
      const chatId = await installer.findChatWithApp(tenantId, objectId, teamsAppCatalogId);
      return { address: { platform: 'teams', conversationId: chatId, serviceUrl: context.knownServiceUrl ?? teamsServiceUrl, tenantId }, foundThroughGraph: true };
    } catch (error) {
      if (!isDirectoryRefusal(error)) throw error;
      if (error.retryable && !isLastAttempt(message)) throw new RetryableDeliveryError(`microsoft 365 refused: ${error.code}`, error.retryAfterMs);
      return { failure: { code: error.code, reason: REFUSAL_REASONS[error.code] } };
    }
  }

  /**
   * What a failed Bot Connector call means here: a Teams hiccup is retried (throws RetryableDeliveryError)
   * until the last attempt; a refusal, or the last attempt, is a reason to use email instead.
   */
  #chatFailure(message: Omit<OutboxMessage, 'payload'>, error: unknown): ChatFailure {
    if (error instanceof RetryableDeliveryError) {
      if (!isLastAttempt(message)) throw error;
      return { code: 'teams_busy', reason: NOT_REACHED };
    }
    if (!(error instanceof TeamsCallError)) throw error;
    const { failure } = error;
    if (failure.retryable && !isLastAttempt(message)) throw new RetryableDeliveryError(`teams answered ${failure.code}`, failure.retryAfterMs);
    return { code: failure.code, reason: failure.code === 'BotDisabledByAdmin' ? APP_BLOCKED : NOT_REACHED };
  }

  /** Chat is not possible: a one-time link by email, or else the delivery is recorded as failed, with why. */
  async #fallBack(key: DeliveryKey, context: AupRecipientContext, failure: ChatFailure): Promise<void> {
    const { deps, logger, sendSigningLinkByEmail } = this.#options;
    if (sendSigningLinkByEmail && (await sendSigningLinkByEmail(context))) {
      await recordAupDelivered(deps, key, { channel: 'email_link', chatFailure: failure });
      logger.info({ policyId: key.policyId, personId: key.personId, code: failure.code }, 'policy sent as a signing link by email');
      return;
    }
    const reason = failure.reason === NOT_REACHED ? NOT_REACHED_NO_EMAIL : `${failure.reason} ${NO_EMAIL}`;
    await recordAupDeliveryFailed(deps, key, { code: failure.code, reason });
    logger.warn({ policyId: key.policyId, personId: key.personId, code: failure.code }, 'policy not delivered');
  }

  async #send(address: ConversationAddress, card: CardJson, context: AupRecipientContext): Promise<string | undefined> {
    return this.#options.connector.call(address, (connector) => connector.send({ ...cardActivity(card), summary: `Please read and sign: ${context.policy.title}` }));
  }

  #card(context: AupRecipientContext, extra: Omit<AupCardView, keyof AupPolicyView> = {}): CardJson {
    return renderAupCard({ ...aupPolicyViewOf(context.policy, this.#options.policyPageUrl(context.school.id, context.policy.id)), ...extra });
  }

  /** The chat the first card went to, when it was not remembered as theirs. */
  #deliveredTo(context: AupRecipientContext): ConversationAddress | undefined {
    const { conversationId } = context.delivery;
    if (!conversationId) return undefined;
    return { platform: 'teams', conversationId, serviceUrl: context.knownServiceUrl ?? this.#options.teamsServiceUrl, ...(context.school.entraTenantId ? { tenantId: context.school.entraTenantId } : {}) };
  }
}

function isLastAttempt(message: Omit<OutboxMessage, 'payload'>): boolean {
  return message.attempts >= DEFAULT_MAX_ATTEMPTS;
}
