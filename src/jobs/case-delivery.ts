import type { OUTBOX_KINDS } from '../app/cases/case-messages.ts';
import { requestDeliveryFallback } from '../app/cases/request-delivery-fallback.ts';
import type { AppDeps } from '../app/deps.ts';
import type { OutboxMessageOf } from '../app/outbox-catalogue.ts';
import type { Logger } from '../logger.ts';
import { DeferDelivery, PermanentDeliveryError } from './outbox-dispatcher.ts';

/**
 * What every chat platform's delivery of case cards and notices shares, so the rules live once: a failing
 * card or notice asks for the school's fallback, and one case's posts and edits run one at a time.
 */

/**
 * Runs a card post or a notice; when it fails in a way that is retried, the school's delivery fallback is
 * queued (once per failing message, past its threshold: `requestDeliveryFallback` decides) before the error
 * goes back to the outbox. A permanent failure and a held edit are not a delivery problem to fall back on.
 */
export async function withDeliveryFallback(
  context: { deps: AppDeps; logger: Logger },
  message: OutboxMessageOf<typeof OUTBOX_KINDS.caseCreated> | OutboxMessageOf<typeof OUTBOX_KINDS.personNotify>,
  delivering: Promise<void>,
): Promise<void> {
  try {
    await delivering;
  } catch (error) {
    if (!(error instanceof PermanentDeliveryError) && !(error instanceof DeferDelivery)) {
      await requestDeliveryFallback(context.deps, { message }).catch((fallbackError: unknown) =>
        context.logger.error({ outboxId: message.id, err: { message: (fallbackError as Error).message } }, 'delivery fallback could not be queued'),
      );
    }
    throw error;
  }
}

/**
 * Work for one key (a case) runs one at a time in this process, in the order it was asked for: two edits of a
 * card never race and land out of order (each renders the case as it is when its turn comes).
 */
export class OneAtATimePerKey {
  readonly #queues = new Map<string, Promise<void>>();

  run(key: string, work: () => Promise<void>): Promise<void> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    const settled = run.catch(() => undefined);
    this.#queues.set(key, settled);
    void settled.then(() => {
      if (this.#queues.get(key) === settled) this.#queues.delete(key);
    });
    return run;
  }
}
