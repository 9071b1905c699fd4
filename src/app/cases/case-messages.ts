import type { Case } from '../../domain/case.ts';
import type { NotificationEvent } from '../../domain/case-summary.ts';
import type { PersonWithRoles, StorageTx } from '../../domain/ports.ts';
import type { AppDeps } from '../deps.ts';
import { enqueueOutbox, OUTBOX_KINDS, PUPIL_PATTERN_KIND } from '../outbox-catalogue.ts';

/**
 * The outbox messages a case change leaves behind for the chat surfaces; their kinds and payloads are in
 * the outbox catalogue.
 */
export { OUTBOX_KINDS };

/**
 * Kinds that keep trying through an outage of any length up to three days: each is how a DSL, a deputy, the
 * head or a reporter learns of a case. Everything else (policy cards, which have reminders) gives up sooner.
 */
export const SAFEGUARDING_KINDS: readonly string[] = [OUTBOX_KINDS.caseCreated, OUTBOX_KINDS.cardRefresh, OUTBOX_KINDS.personNotify, OUTBOX_KINDS.urgentCheck, OUTBOX_KINDS.deliveryFallback, PUPIL_PATTERN_KIND];

/** Card edits for one case are grouped into windows of this length: a wave of reports edits the card once per window. */
export const CARD_REFRESH_WINDOW_MS = 2000;

export const DEFAULT_URGENT_ACKNOWLEDGE_MINUTES = 15;

export async function enqueueCardRefresh(tx: StorageTx, current: Pick<Case, 'schoolId' | 'id'>, now: string): Promise<void> {
  const window = Math.floor(Date.parse(now) / CARD_REFRESH_WINDOW_MS);
  // The dedupe key makes every change inside one window share a single edit, run when the window ends;
  // the handler renders the case as it is then, so the last change in the window is always shown.
  await enqueueOutbox(tx, 
    {
      schoolId: current.schoolId,
      kind: OUTBOX_KINDS.cardRefresh,
      payload: { caseId: current.id },
      dedupeKey: `${OUTBOX_KINDS.cardRefresh}:${current.id}:${window}`,
      runAfter: new Date((window + 1) * CARD_REFRESH_WINDOW_MS).toISOString(),
    },
    now,
  );
}

export async function enqueueNotification(
  tx: StorageTx,
  options: { schoolId: string; caseId: string; personId: string; event: NotificationEvent; occasion: string },
  now: string,
): Promise<void> {
  await enqueueOutbox(tx, 
    {
      schoolId: options.schoolId,
      kind: OUTBOX_KINDS.personNotify,
      payload: { caseId: options.caseId, personId: options.personId, event: options.event },
      dedupeKey: `${OUTBOX_KINDS.personNotify}:${options.event}:${options.caseId}:${options.personId}:${options.occasion}`,
    },
    now,
  );
}

/** What a new case sets going: its card, the headteacher's 1:1 for a restricted case, and the urgent timer. */
export async function enqueueNewCaseMessages(deps: AppDeps, tx: StorageTx, created: Case, now: string): Promise<void> {
  await enqueueOutbox(tx, { schoolId: created.schoolId, kind: OUTBOX_KINDS.caseCreated, payload: { caseId: created.id }, dedupeKey: `${OUTBOX_KINDS.caseCreated}:${created.id}` }, now);
  if (created.restricted) {
    // The DSL may be the subject of an allegation, so restricted cases go to the headteacher in person;
    // an allegation about the headteacher goes to the chair of governors instead, never to a head; when
    // there is nobody in that role (or they are the subject), to the DSLs who are not the subject.
    for (const person of await restrictedCaseRecipients(tx, created)) {
      await enqueueNotification(tx, { schoolId: created.schoolId, caseId: created.id, personId: person.id, event: 'restricted_case', occasion: 'created' }, now);
    }
  }
  if (created.urgency === 'urgent') await enqueueUrgentCheck(deps, tx, created, now);
}

/** Who is told of a restricted case in person: the head, or for an allegation about the head the chair of governors; else the DSLs. */
export async function restrictedCaseRecipients(tx: StorageTx, current: Pick<Case, 'schoolId' | 'subjectPersonId' | 'aboutHeadteacher'>): Promise<PersonWithRoles[]> {
  const eligible = async (role: 'head' | 'dsl' | 'chair_of_governors') => (await tx.people.listWithRole(current.schoolId, role)).filter((p) => p.active && p.id !== current.subjectPersonId);
  const first = await eligible(current.aboutHeadteacher ? 'chair_of_governors' : 'head');
  return first.length ? first : eligible('dsl');
}

/** Starts the clock on an urgent case: if nobody acknowledges it in time, the deputies and head are told. */
export async function enqueueUrgentCheck(deps: AppDeps, tx: StorageTx, current: Pick<Case, 'schoolId' | 'id'>, now: string): Promise<void> {
  const minutes = deps.settings?.urgentAcknowledgeMinutes ?? DEFAULT_URGENT_ACKNOWLEDGE_MINUTES;
  await enqueueOutbox(tx, 
    {
      schoolId: current.schoolId,
      kind: OUTBOX_KINDS.urgentCheck,
      payload: { caseId: current.id, minutes },
      dedupeKey: `${OUTBOX_KINDS.urgentCheck}:${current.id}`,
      runAfter: new Date(Date.parse(now) + minutes * 60_000).toISOString(),
    },
    now,
  );
}
