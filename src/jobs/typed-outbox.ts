import { chooseChatPlatform, type ChatDelivery } from '../app/chat-delivery.ts';
import type { AppDeps } from '../app/deps.ts';
import { AUP_OUTBOX_KINDS, OUTBOX_KINDS, OutboxPayloadError, PUPIL_PATTERN_KIND, parseOutboxMessage, type OutboxKind, type OutboxMessageOf } from '../app/outbox-catalogue.ts';
import type { ChatPlatform } from '../domain/chat.ts';
import { PermanentDeliveryError, type OutboxAttempt, type OutboxHandler } from './outbox-dispatcher.ts';

/**
 * A handler that receives its kind's parsed payload. A message whose payload does not fit its kind never
 * reaches `handler`: it is failed permanently, the reason naming the kind and the fields (never their values).
 */
export function typedHandler<K extends OutboxKind>(kind: K, handler: (message: OutboxMessageOf<K>, attempt: OutboxAttempt) => Promise<void>): OutboxHandler {
  return async (message, attempt) => {
    let parsed: OutboxMessageOf<K>;
    try {
      parsed = parseOutboxMessage(kind, message);
    } catch (error) {
      if (error instanceof OutboxPayloadError) throw new PermanentDeliveryError(error.message);
      throw error;
    }
    return handler(parsed, attempt);
  };
}

/** The kinds a chat delivery carries, each to its method of the port. */
export const CHAT_DELIVERY_KINDS = [
  OUTBOX_KINDS.caseCreated,
  OUTBOX_KINDS.cardRefresh,
  OUTBOX_KINDS.personNotify,
  AUP_OUTBOX_KINDS.deliver,
  AUP_OUTBOX_KINDS.remind,
  AUP_OUTBOX_KINDS.escalate,
  PUPIL_PATTERN_KIND,
] as const;

/**
 * The outbox handlers for cards, notices and policy cards, each going to the school's chat delivery: the
 * platform is chosen per message's school among those configured. A school no configured platform serves
 * leaves nothing to do (the same as a school without a case channel).
 */
export function chatDeliveryHandlers(options: {
  deliveries: Partial<Record<ChatPlatform, ChatDelivery>>;
  /** Picks the platform for a school among those available (default: `chooseChatPlatform`). */
  choose?: (schoolId: string, available: readonly ChatPlatform[]) => Promise<ChatPlatform | undefined>;
  deps?: Pick<AppDeps, 'storage'>;
}): Record<(typeof CHAT_DELIVERY_KINDS)[number], OutboxHandler> {
  const available = Object.keys(options.deliveries) as ChatPlatform[];
  const choose =
    options.choose ??
    ((schoolId: string, platforms: readonly ChatPlatform[]) => {
      if (platforms.length <= 1) return Promise.resolve(platforms[0]);
      if (!options.deps) throw new Error('choosing among chat platforms needs storage');
      return chooseChatPlatform(options.deps, { schoolId, available: platforms });
    });
  const deliveryFor = async (schoolId: string): Promise<ChatDelivery | undefined> => {
    const platform = await choose(schoolId, available);
    return platform ? options.deliveries[platform] : undefined;
  };
  const route = <K extends (typeof CHAT_DELIVERY_KINDS)[number]>(kind: K, send: (delivery: ChatDelivery, message: OutboxMessageOf<K>, attempt: OutboxAttempt) => Promise<void>) =>
    typedHandler(kind, async (message, attempt) => {
      const delivery = await deliveryFor(message.schoolId);
      if (delivery) await send(delivery, message, attempt);
    });
  return {
    [OUTBOX_KINDS.caseCreated]: route(OUTBOX_KINDS.caseCreated, (d, m, a) => d.postCaseCard(m, a)),
    [OUTBOX_KINDS.cardRefresh]: route(OUTBOX_KINDS.cardRefresh, (d, m, a) => d.refreshCaseCard(m, a)),
    [OUTBOX_KINDS.personNotify]: route(OUTBOX_KINDS.personNotify, (d, m, a) => d.notifyPerson(m, a)),
    [AUP_OUTBOX_KINDS.deliver]: route(AUP_OUTBOX_KINDS.deliver, (d, m, a) => d.deliverPolicy(m, a)),
    [AUP_OUTBOX_KINDS.remind]: route(AUP_OUTBOX_KINDS.remind, (d, m, a) => d.remindPolicy(m, a)),
    [AUP_OUTBOX_KINDS.escalate]: route(AUP_OUTBOX_KINDS.escalate, (d, m, a) => d.escalatePolicy(m, a)),
    // A platform whose surface has no pattern card yet leaves the message done: the alert waits in DSL Desk for the DSLs.
    [PUPIL_PATTERN_KIND]: route(PUPIL_PATTERN_KIND, async (d, m, a) => {
      if (d.postPupilPattern) await d.postPupilPattern(m, a);
    }),
  };
}
