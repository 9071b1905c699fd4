import { DEFAULT_FALLBACK_THRESHOLDS, fallbackAfterMinutes, type OverdueDelivery } from '../domain/delivery-fallback.ts';
import { NOTIFICATION_EVENTS, type NotificationEvent } from '../domain/case-summary.ts';
import type { OutboxMessage } from '../domain/ports.ts';
import { OUTBOX_KINDS } from './case-messages.ts';
import { nowIso, type AppDeps } from './deps.ts';

/** What an outbox message was trying to deliver, when it is one the school's fallback covers. */
export function overdueDeliveryOf(message: Pick<OutboxMessage, 'kind' | 'payload'>): OverdueDelivery | undefined {
  if (message.kind === OUTBOX_KINDS.caseCreated) return { kind: 'channel_card' };
  const event = String(message.payload.event) as NotificationEvent;
  if (message.kind === OUTBOX_KINDS.personNotify && NOTIFICATION_EVENTS.includes(event)) return { kind: 'notice', event, personId: String(message.payload.personId) };
  return undefined;
}

/**
 * Called when a case card or a 1:1 notice failed again: once it has been failing longer than its threshold,
 * queues the school's fallback for it. The fallback's dedupe key is the message's own id, so however many
 * attempts, instances and restarts notice the same overdue message, one fallback is queued. The original
 * message keeps trying. Returns whether the threshold has passed.
 */
export async function requestDeliveryFallback(deps: AppDeps, options: { message: OutboxMessage }): Promise<boolean> {
  const { message } = options;
  const delivery = overdueDeliveryOf(message);
  if (!delivery) return false;
  const thresholds = deps.settings?.deliveryFallback ?? DEFAULT_FALLBACK_THRESHOLDS;
  const failingForMs = deps.clock.now().getTime() - Date.parse(message.createdAt);
  // Cheap first: most failures are retried long before any threshold, and need no read at all.
  if (failingForMs < Math.min(thresholds.urgentMinutes, thresholds.caseMinutes, thresholds.noticeMinutes) * 60_000) return false;
  const caseId = String(message.payload.caseId);
  return deps.storage.transaction(async (tx) => {
    const header = await tx.cases.getHeader(message.schoolId, caseId);
    if (!header) return false;
    if (failingForMs < fallbackAfterMinutes(delivery, header.urgency, thresholds) * 60_000) return false;
    await tx.outbox.enqueue(
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
