import type { ChatPlatform } from '../domain/chat.ts';
import type { AppDeps } from './deps.ts';
import { AUP_OUTBOX_KINDS, OUTBOX_KINDS, PUPIL_PATTERN_KIND, type OutboxMessageOf } from './outbox-catalogue.ts';

/** What a delivery is told about the attempt it is running (the outbox dispatcher's attempt). */
export interface DeliveryAttempt {
  /** A failure now is the last: the delivery records "not delivered" before the message is given up. */
  final: boolean;
  /** When the attempt started. */
  now: Date;
}

/**
 * The port through which cards and notices reach people on a chat platform. The outbox handlers call it
 * with the parsed payload of each message; one implementation per platform (Teams today; Google Chat slots
 * in beside it), chosen per school by `chooseChatPlatform`. An implementation throws the dispatcher's
 * retryable, permanent or defer errors to steer retries, and records "not delivered" on the case itself.
 */
export interface ChatDelivery {
  readonly platform: ChatPlatform;
  /** Post the new case's card to the school's case channel or space (or edit it, when already posted). */
  postCaseCard(message: OutboxMessageOf<typeof OUTBOX_KINDS.caseCreated>, attempt: DeliveryAttempt): Promise<void>;
  /** Edit the posted card to show the case as it is now. */
  refreshCaseCard(message: OutboxMessageOf<typeof OUTBOX_KINDS.cardRefresh>, attempt: DeliveryAttempt): Promise<void>;
  /** A 1:1 notice to one person about one case. */
  notifyPerson(message: OutboxMessageOf<typeof OUTBOX_KINDS.personNotify>, attempt: DeliveryAttempt): Promise<void>;
  /** The policy card to one person (or, failing chat, the signing link by email). */
  deliverPolicy(message: OutboxMessageOf<typeof AUP_OUTBOX_KINDS.deliver>, attempt: DeliveryAttempt): Promise<void>;
  /** A reminder to one person who has not signed yet. */
  remindPolicy(message: OutboxMessageOf<typeof AUP_OUTBOX_KINDS.remind>, attempt: DeliveryAttempt): Promise<void>;
  /** The headteacher's and line manager's warning that a starter has not signed. */
  escalatePolicy(message: OutboxMessageOf<typeof AUP_OUTBOX_KINDS.escalate>, attempt: DeliveryAttempt): Promise<void>;
  /** "A pattern for a pupil" to the school's case channel or space: the references, no detail, and Acknowledge. */
  postPupilPattern?(message: OutboxMessageOf<typeof PUPIL_PATTERN_KIND>, attempt: DeliveryAttempt): Promise<void>;
}

/**
 * Which of the available platforms carries a school's cards and notices. With one platform there is no
 * choice. With several: the platform of the school's case channel (or space) when it has one; otherwise
 * the platform the school's identity is on (its Microsoft 365 tenant for Teams, its Google domain for Chat);
 * otherwise the first available.
 */
export async function chooseChatPlatform(deps: Pick<AppDeps, 'storage'>, options: { schoolId: string; available: readonly ChatPlatform[] }): Promise<ChatPlatform | undefined> {
  const { schoolId, available } = options;
  if (available.length <= 1) return available[0];
  return deps.storage.read(async (reader) => {
    for (const platform of available) {
      if (await reader.chat.getCaseChannel(schoolId, platform)) return platform;
    }
    const school = await reader.schools.get(schoolId);
    if (school?.entraTenantId && available.includes('teams')) return 'teams';
    if (school?.googleDomain && available.includes('google_chat')) return 'google_chat';
    return available[0];
  });
}
