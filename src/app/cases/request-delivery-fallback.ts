import { DEFAULT_FALLBACK_THRESHOLDS, fallbackAfterMinutes, type OverdueDelivery } from '../../domain/delivery-fallback.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { enqueueOutbox, OUTBOX_KINDS, type OutboxMessageOf, type OutboxPayload } from '../outbox-catalogue.ts';

/** A card or notice message the school's fallback covers. */
export type FallbackCoveredMessage = OutboxMessageOf<typeof OUTBOX_KINDS.caseCreated> | OutboxMessageOf<typeof OUTBOX_KINDS.personNotify>;

/** What an outbox message was trying to deliver: the channel card, or one person's notice. */
export function overdueDeliveryOf(message: FallbackCoveredMessage): OverdueDelivery {
  if (message.kind === OUTBOX_KINDS.personNotify) return { kind: 'notice', event: message.payload.event, personId: message.payload.personId };
  return { kind: 'channel_card' };
}

/** What a queued fallback was for: a notice when it names the event and person, else the channel card. */
export function fallbackDeliveryOf(payload: OutboxPayload<typeof OUTBOX_KINDS.deliveryFallback>): OverdueDelivery {
  return payload.event && payload.personId ? { kind: 'notice', event: payload.event, personId: payload.personId } : { kind: 'channel_card' };
}

/**
 * Called when a case card or a 1:1 notice failed again: once it has been failing longer than its threshold,
 * queues the school's fallback for it. The fallback's dedupe key is the message's own id, so however many
 * attempts, instances and restarts notice the same overdue message, one fallback is queued. The original
 * message keeps trying. Returns whether the threshold has passed.
 */
export async function requestDeliveryFallback(deps: AppDeps, options: { message: FallbackCoveredMessage }): Promise<boolean> {
  const { message } = options;
  const delivery = overdueDeliveryOf(message);
  const thresholds = deps.settings?.deliveryFallback ?? DEFAULT_FALLBACK_THRESHOLDS;
  const failingForMs = deps.clock.now().getTime() - Date.parse(message.createdAt);
  // Cheap first: most failures are retried long before any threshold, and need no read at all.
  if (failingForMs < Math.min(thresholds.urgentMinutes, thresholds.caseMinutes, thresholds.noticeMinutes) * 60_000) return false;
  const { caseId } = message.payload;
  return deps.storage.transaction(async (tx) => {
    const header = await tx.cases.getHeader(message.schoolId, caseId);
    if (!header) return false;
    if (failingForMs < fallbackAfterMinutes(delivery, header.urgency, thresholds) * 60_000) return false;
    await enqueueOutbox(
      tx,
      {
        schoolId: message.schoolId,
        kind: OUTBOX_KINDS.deliveryFallback,
        payload: { caseId, origin: message.id, ...(delivery.kind === 'notice' ? { event: delivery.event, personId: delivery.personId } : {}) },
        dedupeKey: `${OUTBOX_KINDS.deliveryFallback}:${message.id}`,
      },
      nowIso(deps),
    );
    return true;
  });
}
