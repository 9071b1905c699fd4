import { z } from 'zod';
import { NOTIFICATION_EVENTS } from '../domain/case-summary.ts';
import type { OutboxMessage, StorageTx } from '../domain/ports.ts';
import { textField } from '../domain/text.ts';

/**
 * Every kind of outbox message, with the one payload it carries. Payloads are ids and codes only: the
 * handler loads what it needs when it runs, so nothing of a concern waits in the queue. Enqueueing goes
 * through `enqueueOutbox`, which refuses a payload that does not fit its kind; handlers receive the payload
 * parsed (see `parseOutboxMessage`), so no handler reads an untyped field.
 */
export const OUTBOX_KINDS = {
  /** Post the new case's card to the school's case channel (or the restricted notice). */
  caseCreated: 'case.created',
  /** Edit the posted card to show the case as it is now; coalesced, see `enqueueCardRefresh`. */
  cardRefresh: 'case.card_refresh',
  /** A 1:1 message to one person about one case. */
  personNotify: 'person.notify',
  /** Has anyone acknowledged this urgent case yet? */
  urgentCheck: 'case.urgent_check',
  /** Chat has not taken a card or notice for too long: the school's fallback (an email with the reference). */
  deliveryFallback: 'case.delivery_fallback',
} as const;

export const AUP_OUTBOX_KINDS = {
  /** Send the policy card (or, failing chat, a one-time link by email) to one person. */
  deliver: 'aup.deliver',
  /** Remind one person who has not signed yet. */
  remind: 'aup.remind',
  /** Their start date is near and they have not signed: tell the headteacher and their line manager. */
  escalate: 'aup.escalate',
} as const;

/** Remove every copy of a reported email from the school's mailboxes. */
export const REMOVE_EMAIL_KIND = 'email.remove';

/** "A pattern for a pupil": the card to the school's DSL channel or space (references only, no detail). */
export const PUPIL_PATTERN_KIND = 'pupil.pattern';

const id = () => textField().min(1).max(200);
const caseRef = { caseId: id() };
const policyRef = { personId: id(), policyId: id(), cycle: id() };

export const OUTBOX_PAYLOADS = {
  [OUTBOX_KINDS.caseCreated]: z.object(caseRef),
  [OUTBOX_KINDS.cardRefresh]: z.object(caseRef),
  [OUTBOX_KINDS.personNotify]: z.object({ ...caseRef, personId: id(), event: z.enum(NOTIFICATION_EVENTS) }),
  [OUTBOX_KINDS.urgentCheck]: z.object({ ...caseRef, minutes: z.number().nonnegative() }),
  /** `origin` is the id of the card or notice message that is overdue; `event` and `personId` only for a notice. */
  [OUTBOX_KINDS.deliveryFallback]: z.object({ ...caseRef, origin: id(), event: z.enum(NOTIFICATION_EVENTS).optional(), personId: id().optional() }),
  [AUP_OUTBOX_KINDS.deliver]: z.object(policyRef),
  [AUP_OUTBOX_KINDS.remind]: z.object({ ...policyRef, n: z.number().int().positive() }),
  [AUP_OUTBOX_KINDS.escalate]: z.object({ ...policyRef, startDate: id() }),
  [REMOVE_EMAIL_KIND]: z.object({ ...caseRef, emailId: id(), requestedBy: id() }),
  [PUPIL_PATTERN_KIND]: z.object({ pupilId: id(), alertId: id() }),
} as const;

export type OutboxKind = keyof typeof OUTBOX_PAYLOADS;
export type OutboxPayload<K extends OutboxKind> = z.infer<(typeof OUTBOX_PAYLOADS)[K]>;

/** An outbox message whose payload has been checked against its kind's schema. */
export type OutboxMessageOf<K extends OutboxKind> = Omit<OutboxMessage, 'kind' | 'payload'> & { kind: K; payload: OutboxPayload<K> };

export const OUTBOX_KIND_LIST = Object.keys(OUTBOX_PAYLOADS) as OutboxKind[];

export function isOutboxKind(kind: string): kind is OutboxKind {
  return Object.hasOwn(OUTBOX_PAYLOADS, kind);
}

export interface OutboxEnqueue<K extends OutboxKind> {
  schoolId: string;
  kind: K;
  payload: OutboxPayload<K>;
  /** Enqueueing the same key twice is a no-op. */
  dedupeKey?: string;
  runAfter?: string;
}

/** A payload that does not fit its kind, described by field names only (never the values). */
export class OutboxPayloadError extends Error {
  override name = 'OutboxPayloadError';
  readonly kind: string;
  readonly fields: readonly string[];
  constructor(kind: string, fields: readonly string[]) {
    super(fields.length ? `payload does not fit "${kind}" (fields: ${fields.join(', ')})` : `no payload schema for "${kind}"`);
    this.kind = kind;
    this.fields = fields;
  }
}

function fieldsOf(error: z.ZodError): string[] {
  return [...new Set(error.issues.map((issue) => issue.path.join('.') || '(payload)'))];
}

/** Checks `payload` against `kind`'s schema; returns the parsed payload or throws `OutboxPayloadError`. */
export function parseOutboxPayload<K extends OutboxKind>(kind: K, payload: unknown): OutboxPayload<K>;
export function parseOutboxPayload(kind: string, payload: unknown): unknown;
export function parseOutboxPayload(kind: string, payload: unknown): unknown {
  if (!isOutboxKind(kind)) throw new OutboxPayloadError(kind, []);
  const parsed = OUTBOX_PAYLOADS[kind].safeParse(payload);
  if (!parsed.success) throw new OutboxPayloadError(kind, fieldsOf(parsed.error));
  return parsed.data;
}

/** The message with its payload parsed for its kind; throws `OutboxPayloadError` when it does not fit. */
export function parseOutboxMessage<K extends OutboxKind>(kind: K, message: OutboxMessage): OutboxMessageOf<K> {
  if (message.kind !== kind) throw new OutboxPayloadError(message.kind, []);
  return { ...message, kind, payload: parseOutboxPayload(kind, message.payload) };
}

/** The one way onto the outbox: the payload is checked against its kind, in the types and again at run time. */
export async function enqueueOutbox<K extends OutboxKind>(tx: Pick<StorageTx, 'outbox'>, message: OutboxEnqueue<K>, now: string): Promise<void> {
  const payload = parseOutboxPayload(message.kind, message.payload) as Record<string, unknown>;
  await tx.outbox.enqueue({ ...message, payload }, now);
}
