import { PROTECTION_STATUS_ROLES, type PupilPatternAlert } from '../../domain/case-children.ts';
import { invalidTransition, notFound } from '../../domain/errors.ts';
import { hasAnyRole, type Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { enqueueOutbox, PUPIL_PATTERN_KIND } from '../outbox-catalogue.ts';

/**
 * A DSL or deputy says "I have seen this pattern": audited, and the card in the channel is edited to show who
 * acknowledged it (the same outbox kind, which posts or edits).
 */
export async function acknowledgePupilPattern(deps: AppDeps, options: { actor: Actor; alertId: string }): Promise<PupilPatternAlert> {
  const { actor, alertId } = options;
  if (!hasAnyRole(actor, PROTECTION_STATUS_ROLES)) throw notFound('That pattern');
  return deps.storage.transaction(async (tx) => {
    const now = nowIso(deps);
    const alert = await tx.pupilPatterns.get(actor.schoolId, alertId);
    if (!alert) throw notFound('That pattern');
    if (alert.acknowledgedAt || !(await tx.pupilPatterns.acknowledge(actor.schoolId, alertId, actor.personId, now))) throw invalidTransition('This pattern has already been acknowledged.');
    await tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'pupil.pattern_acknowledged', detail: { pupilId: alert.pupilId, alertId } }, now);
    await enqueueOutbox(tx, { schoolId: actor.schoolId, kind: PUPIL_PATTERN_KIND, payload: { pupilId: alert.pupilId, alertId }, dedupeKey: `${PUPIL_PATTERN_KIND}:${alertId}:acknowledged` }, now);
    return { ...alert, acknowledgedBy: actor.personId, acknowledgedAt: now };
  });
}
