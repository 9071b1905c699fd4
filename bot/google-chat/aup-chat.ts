import { acknowledgeAup } from '../../src/app/aup/acknowledge-aup.ts';
import { deliveryKeyOf, type DeliveryKey } from '../../src/app/aup/aup-messages.ts';
import type { DeliveryAttempt } from '../../src/app/chat-delivery.ts';
import { prepareAupDelivery, prepareAupReminder, recordAupDelivered, recordAupDeliveryFailed, recordAupReminderSent, type AupDeliveryContext } from '../../src/app/aup/deliver-aup.ts';
import type { AppDeps } from '../../src/app/deps.ts';
import { escalationText, prepareEscalation, recordEscalation } from '../../src/app/aup/escalate-unsigned-starter.ts';
import type { AUP_OUTBOX_KINDS, OutboxMessageOf } from '../../src/app/outbox-catalogue.ts';
import { readAupForSigning } from '../../src/app/aup/read-current-aup.ts';
import type { ChatUser } from '../../src/domain/chat.ts';
import { AppError, isAppError } from '../../src/domain/errors.ts';
import { chatUserName } from '../../src/domain/google-workspace.ts';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../src/jobs/outbox-dispatcher.ts';
import type { Logger } from '../../src/logger.ts';
import { AGREED_VALUE, AUP_CHAT_INPUTS, AUP_SIGN_ACTION, aupCardId, aupChatPolicyViewOf, cardMessage, renderAupChatCard, renderAupSignedChatCard, renderNoticeChatCard, type AupChatCardView } from './aup-card.ts';
import { ChatCallError, type ChatApi, type ChatMessageBody } from './chat-api.ts';
import { formValue, formValues, updateThisMessage, type ChatActionContext, type ChatActionHandler, type ChatResponse } from './chat-events.ts';

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

/** Why Chat was not possible, for the person's delivery record: a code and words the office can act on. */
interface ChatFailure {
  code: string;
  reason: string;
}

type Recipient = Omit<AupDeliveryContext, 'resumed'>;

const NOT_REACHED = 'DSL Desk could not reach them in Google Chat.';
const NOT_REACHED_NO_EMAIL = 'DSL Desk could not reach them in Google Chat and no mailbox is connected to email a signing link.';
const NO_EMAIL = 'No mailbox is connected to email them a signing link.';
/** Codes shared with Teams where they mean the same, so a person who opens the DM later is sent the policy again. */
const NO_DM: ChatFailure = { code: 'no_chat', reason: 'DSL Desk’s Chat app has no direct message with them yet: the school’s Google admin installs it for staff, or they open DSL Desk in Chat.' };
const NO_GOOGLE_ACCOUNT: ChatFailure = { code: 'no_chat', reason: 'DSL Desk does not know their Google account yet (they have not signed in, and the directory has not linked it).' };
const APP_NOT_ALLOWED: ChatFailure = { code: 'app_blocked', reason: 'Google Chat does not let DSL Desk’s app message them: the school’s Google admin needs to install it for them.' };

/**
 * The Google Chat side of getting policies signed: the card to each person in their DM with the app (the
 * school's admin installs the app for everyone, which opens those DMs), or else a one-time link by email;
 * their reminders; the headteacher's warning when a starter has not signed; and "Sign" on the card. The
 * use cases are the Teams ones: each handler reloads the delivery first, so a message run twice, or after
 * the person signed, sends nothing more, and every card carries a `requestId` made from its outbox message,
 * so a send repeated after a crash returns the card already posted instead of a second one.
 */
export function createAupChat(options: AupChatOptions): AupChat {
  const { deps, logger, chat, chatEndpointUrl, policyPageUrl, sendSigningLinkByEmail, sendEmail } = options;

  const policyCard = (context: Recipient, extra: Omit<AupChatCardView, keyof ReturnType<typeof aupChatPolicyViewOf> | 'endpointUrl'> = {}): ChatMessageBody =>
    cardMessage(
      aupCardId(context.policy.id),
      renderAupChatCard({ ...aupChatPolicyViewOf(context.policy, policyPageUrl(context.school.id, context.policy.id)), endpointUrl: chatEndpointUrl, ...extra }),
      `Please read and sign: ${context.policy.title}`,
    );

  /**
   * What a failed Chat call means here: a Chat hiccup (429, 5xx, no write slot yet) is retried by the
   * outbox with backoff until its last attempt; a refusal, or the last attempt, is a reason to use email.
   */
  const chatFailure = (error: unknown, attempt: DeliveryAttempt): ChatFailure => {
    if (error instanceof RetryableDeliveryError) {
      if (!attempt.final) throw error;
      return { code: 'chat_busy', reason: NOT_REACHED };
    }
    if (!(error instanceof ChatCallError)) throw error;
    if (error.retryable && !attempt.final) throw error.toDeliveryError();
    if (error.status === 403) return APP_NOT_ALLOWED;
    if (error.status === 404) return NO_DM;
    return { code: error.retryable ? 'chat_busy' : 'chat_refused', reason: NOT_REACHED };
  };

  /** The person's DM with the app: the one remembered from their own messages, else Chat's own answer for their account. */
  const findDm = async (person: { googleSubject: string | null }, chatUser: ChatUser | undefined): Promise<{ space: string } | { failure: ChatFailure }> => {
    const remembered = chatUser?.personalConversation?.conversationId;
    if (remembered) return { space: remembered };
    const user = person.googleSubject ? chatUserName(person.googleSubject) : chatUser?.userId ? asChatUserName(chatUser.userId) : undefined;
    if (!user) return { failure: NO_GOOGLE_ACCOUNT };
    const dm = await chat.findDirectMessage(user);
    return dm ? { space: dm.name } : { failure: NO_DM };
  };

  /** Chat is not possible: a one-time link by email, or else the delivery is recorded as failed, with why. */
  const fallBack = async (key: DeliveryKey, failure: ChatFailure): Promise<void> => {
    if (sendSigningLinkByEmail && (await sendSigningLinkByEmail({ schoolId: key.schoolId, personId: key.personId, policyId: key.policyId }))) {
      await recordAupDelivered(deps, key, { channel: 'email_link', chatFailure: failure });
      logger.info({ policyId: key.policyId, personId: key.personId, code: failure.code }, 'policy sent as a signing link by email');
      return;
    }
    const reason = failure.reason === NOT_REACHED ? NOT_REACHED_NO_EMAIL : `${failure.reason} ${NO_EMAIL}`;
    await recordAupDeliveryFailed(deps, key, { code: failure.code, reason });
    logger.warn({ policyId: key.policyId, personId: key.personId, code: failure.code }, 'policy not delivered');
  };

  async function deliverPolicy(message: OutboxMessageOf<typeof AUP_OUTBOX_KINDS.deliver>, attempt: DeliveryAttempt): Promise<void> {
    const key = deliveryKeyOf(message);
    const context = await prepareAupDelivery(deps, key, 'google_chat');
    if (!context) return;
    let dm: Awaited<ReturnType<typeof findDm>>;
    try {
      dm = await findDm(context.person, context.chatUser);
    } catch (error) {
      return fallBack(key, chatFailure(error, attempt));
    }
    if ('failure' in dm) return fallBack(key, dm.failure);
    let posted: { name: string };
    try {
      posted = await chat.createMessage({ space: dm.space, message: policyCard(context), requestId: requestIdOf(message.id) });
    } catch (error) {
      return fallBack(key, chatFailure(error, attempt));
    }
    await recordAupDelivered(deps, key, { channel: 'google_chat', conversationId: dm.space, activityId: posted.name });
    logger.info({ outboxId: message.id, policyId: key.policyId, personId: key.personId, resumed: context.resumed }, 'policy card sent in google chat');
  }

  async function remindPolicy(message: OutboxMessageOf<typeof AUP_OUTBOX_KINDS.remind>, attempt: DeliveryAttempt): Promise<void> {
    const key = deliveryKeyOf(message);
    const { n } = message.payload;
    if (!Number.isInteger(n) || n < 1) throw new PermanentDeliveryError('a reminder without its number');
    const context = await prepareAupReminder(deps, key, n, 'google_chat');
    if (!context) return;
    if (context.delivery.channel === 'google_chat') {
      // The DM the first card went to, unless they have since written to the app from another one.
      const space = context.chatUser?.personalConversation?.conversationId ?? context.delivery.conversationId;
      if (space) {
        const { signBefore } = await readAupForSigning(deps, { schoolId: key.schoolId, policyId: key.policyId, personId: key.personId });
        try {
          await chat.createMessage({ space, message: policyCard(context, { reminder: signBefore ? { signBefore } : {} }), requestId: requestIdOf(message.id) });
          await recordAupReminderSent(deps, key, n);
          return;
        } catch (error) {
          // A DM that refuses for good (the app was uninstalled): the link by email instead, where possible.
          chatFailure(error, attempt);
        }
      }
    } else if (context.delivery.channel !== 'email_link') {
      return;
    }
    if (sendSigningLinkByEmail && (await sendSigningLinkByEmail({ schoolId: key.schoolId, personId: key.personId, policyId: key.policyId, reminder: n }))) {
      await recordAupReminderSent(deps, key, n);
      return;
    }
    logger.warn({ outboxId: message.id, policyId: key.policyId, personId: key.personId, reminder: n }, 'policy reminder could not be sent');
  }

  async function escalatePolicy(message: OutboxMessageOf<typeof AUP_OUTBOX_KINDS.escalate>, attempt: DeliveryAttempt): Promise<void> {
    const key = deliveryKeyOf(message);
    const prepared = await prepareEscalation(deps, key, message.payload.startDate, 'google_chat');
    if (!prepared) return;
    const text = escalationText(prepared);
    const body = cardMessage(`aup-escalation-${key.policyId}-${key.personId}`, renderNoticeChatCard({ title: text.title, lines: [text.body] }), text.title);
    const told: { personId: string; via: string }[] = [];
    const notTold: { personId: string; reason: string }[] = [];
    for (const recipient of prepared.recipients) {
      let reason = 'no_chat_or_email';
      try {
        const dm = await findDm(recipient, recipient.chatUser);
        if ('space' in dm) {
          // One request id per recipient: a retry after a partial run finds the warnings already posted.
          await chat.createMessage({ space: dm.space, message: body, requestId: requestIdOf(message.id, recipient.personId) });
          told.push({ personId: recipient.personId, via: 'google_chat' });
          continue;
        }
      } catch (error) {
        // Until someone has been told, the whole warning can wait for Chat; after that, a retry would email them twice.
        if (told.length === 0) chatFailure(error, attempt);
        else if (!(error instanceof ChatCallError || error instanceof RetryableDeliveryError)) throw error;
        reason = 'google_chat_refused';
      }
      if (sendEmail && (await sendEmail(recipient.email, text.title, text.body, { schoolId: key.schoolId }))) {
        told.push({ personId: recipient.personId, via: 'email' });
        continue;
      }
      notTold.push({ personId: recipient.personId, reason });
    }
    await recordEscalation(deps, key, told, notTold);
    if (told.length === 0) logger.warn({ outboxId: message.id, policyId: key.policyId, personId: key.personId, recipients: prepared.recipients.length }, 'unsigned starter: nobody could be told');
  }

  /**
   * "Sign" on a policy card. The signature is the person who pressed it, as our records know them from
   * their verified Chat identity, whoever the card was first sent to. The answer replaces the card: signed
   * (also when they had signed already), back with their input and a message by each field to fix, or the
   * current version to sign when a newer one has replaced the card's.
   */
  async function signPolicy(context: ChatActionContext): Promise<ChatResponse> {
    const { actor, parameters, event, user } = context;
    const policyId = parameters.policyId;
    if (!policyId) throw new AppError('invalid_input', 'This button is out of date. Ask the school office to send you the policy again.');
    const agreed = formValues(event, AUP_CHAT_INPUTS.agreed).includes(AGREED_VALUE);
    const typedName = formValue(event, AUP_CHAT_INPUTS.typedName) ?? '';
    const read = () => readAupForSigning(deps, { schoolId: actor.schoolId, policyId });
    const cardFor = (policy: Parameters<typeof aupChatPolicyViewOf>[0], extra: Omit<AupChatCardView, keyof ReturnType<typeof aupChatPolicyViewOf> | 'endpointUrl'>) =>
      updateThisMessage(
        cardMessage(aupCardId(policy.id), renderAupChatCard({ ...aupChatPolicyViewOf(policy, policyPageUrl(actor.schoolId, policy.id)), endpointUrl: chatEndpointUrl, ...extra })),
      );
    const signing = await read();
    const { policy } = signing;
    // The card names its version too: a card whose version is not its policy's was not made by DSL Desk.
    if (parameters.version !== undefined && parameters.version !== String(policy.version)) {
      throw new AppError('invalid_input', 'This button is out of date. Ask the school office to send you the policy again.');
    }
    const googleSubject = user.name.slice('users/'.length);
    try {
      const { acknowledgement } = await acknowledgeAup(deps, {
        actor,
        policyId,
        signature: { agreed, typedName },
        surface: 'google_chat',
        ...(signing.googleDomain
          ? { directoryIdentity: { provider: 'google' as const, tenantId: signing.googleDomain, objectId: googleSubject, ...(user.email ? { userPrincipalName: user.email } : {}) } }
          : {}),
      });
      return updateThisMessage(
        cardMessage(
          aupCardId(policy.id),
          renderAupSignedChatCard({
            policyId: policy.id,
            title: policy.title,
            version: acknowledgement.policyVersion,
            sha256: acknowledgement.sha256,
            signedAt: acknowledgement.signedAt,
            typedName: acknowledgement.typedName,
            wording: acknowledgement.wording,
            policyUrl: policyPageUrl(actor.schoolId, policy.id),
            timeZone: signing.timeZone,
          }),
        ),
      );
    } catch (error) {
      if (!isAppError(error)) throw error;
      if (error.code === 'invalid_input') {
        const fieldError = (path: string) => error.fields.find((field) => field.path === path)?.message;
        const agreedError = fieldError(AUP_CHAT_INPUTS.agreed);
        const nameError = fieldError(AUP_CHAT_INPUTS.typedName);
        return cardFor(policy, {
          notice: `${error.userMessage} What you typed is still here.`,
          values: { agreed, typedName },
          errors: { ...(agreedError ? { agreed: agreedError } : {}), ...(nameError ? { typedName: nameError } : {}) },
        });
      }
      if (error.code === 'conflict') {
        // Read again: the version that replaced the card's may be newer than the one seen before signing.
        const { current } = await read();
        if (current) return cardFor(current, { notice: error.userMessage });
      }
      throw error;
    }
  }

  return { actions: { [AUP_SIGN_ACTION]: signPolicy }, deliverPolicy, remindPolicy, escalatePolicy };
}

/**
 * Chat's `requestId` for a card: made from the outbox message (and, for a warning to several people, the
 * recipient), so every retry and every restart of the same message asks for the same card, and Chat
 * returns the one it already posted instead of posting it again.
 */
export function requestIdOf(outboxId: string, recipientId?: string): string {
  return `dsl-desk-${outboxId}${recipientId ? `-${recipientId}` : ''}`;
}

/** A remembered Chat user id as Chat names users (`users/…`), whichever form it was kept in. */
function asChatUserName(userId: string): string {
  return userId.startsWith('users/') ? userId : chatUserName(userId);
}
