import type { AupDelivery } from '../../domain/aup-delivery.ts';
import type { StorageTx } from '../../domain/ports.ts';
import { AUP_OUTBOX_KINDS, enqueueOutbox, type OutboxPayload } from '../outbox-catalogue.ts';

/**
 * The outbox messages that get policies signed. Ids only: the handler loads the person and the policy when
 * it runs. The dedupe keys are the restart guarantee: a campaign started twice, or a watcher that sees a
 * new starter twice, leaves one message per person, version and cycle.
 */
export { AUP_OUTBOX_KINDS };

export interface DeliveryKey {
  schoolId: string;
  personId: string;
  policyId: string;
  cycle: string;
}

export function deliveryKeyOf(message: { schoolId: string; payload: OutboxPayload<typeof AUP_OUTBOX_KINDS.deliver> }): DeliveryKey {
  return { schoolId: message.schoolId, personId: message.payload.personId, policyId: message.payload.policyId, cycle: message.payload.cycle };
}

/** `occasion` marks a deliberate second send (after the person became reachable), which the first's key would swallow. */
export async function enqueueDeliveries(tx: StorageTx, deliveries: readonly AupDelivery[], now: string, occasion?: string): Promise<void> {
  for (const delivery of deliveries) {
    await enqueueOutbox(tx, 
      {
        schoolId: delivery.schoolId,
        kind: AUP_OUTBOX_KINDS.deliver,
        payload: { personId: delivery.personId, policyId: delivery.policyId, cycle: delivery.cycle },
        dedupeKey: `${AUP_OUTBOX_KINDS.deliver}:${delivery.policyId}:${delivery.cycle}:${delivery.personId}${occasion ? `:${occasion}` : ''}`,
      },
      now,
    );
  }
}

export async function enqueueReminder(tx: StorageTx, key: DeliveryKey, n: number, at: Date, now: string): Promise<void> {
  await enqueueOutbox(tx, 
    {
      schoolId: key.schoolId,
      kind: AUP_OUTBOX_KINDS.remind,
      payload: { personId: key.personId, policyId: key.policyId, cycle: key.cycle, n },
      dedupeKey: `${AUP_OUTBOX_KINDS.remind}:${key.policyId}:${key.cycle}:${key.personId}:${n}`,
      runAfter: at.toISOString(),
    },
    now,
  );
}

export async function enqueueEscalation(tx: StorageTx, key: DeliveryKey, startDate: string, at: Date, now: string): Promise<void> {
  await enqueueOutbox(tx, 
    {
      schoolId: key.schoolId,
      kind: AUP_OUTBOX_KINDS.escalate,
      payload: { personId: key.personId, policyId: key.policyId, cycle: key.cycle, startDate },
      // A changed start date is a new escalation; the handler checks the date is still the person's.
      dedupeKey: `${AUP_OUTBOX_KINDS.escalate}:${key.policyId}:${key.cycle}:${key.personId}:${startDate}`,
      runAfter: at.toISOString(),
    },
    now,
  );
}
