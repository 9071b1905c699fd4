import { canViewCase } from '../../domain/case.ts';
import { enqueueNotification } from './case-messages.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/**
 * Runs when an urgent case's acknowledgement time is up. If no DSL has acknowledged it, the deputies and
 * the headteacher are each told in person; the escalation and each message are in the case's chronology.
 */
export async function checkUrgentAcknowledgement(deps: AppDeps, options: { schoolId: string; caseId: string; minutes: number }): Promise<{ escalatedTo: number }> {
  const { schoolId, caseId } = options;
  return deps.storage.transaction(async (tx) => {
    const found = await tx.cases.get(schoolId, caseId, { lock: true });
    if (!found || found.acknowledgedAt || found.status === 'closed' || found.urgency !== 'urgent') return { escalatedTo: 0 };
    const now = nowIso(deps);
    const recipients = new Map<string, string>();
    // An allegation about the headteacher escalates to the chair of governors, never to a head.
    for (const role of found.aboutHeadteacher ? (['deputy_dsl', 'chair_of_governors'] as const) : (['deputy_dsl', 'head'] as const)) {
      for (const person of await tx.people.listWithRole(schoolId, role)) {
        if (!person.active || person.id === found.subjectPersonId) continue;
        // A restricted case is for those who may see it only (the headteacher or chair, and DSLs), never the deputies.
        if (!canViewCase({ schoolId, personId: person.id, displayName: person.displayName, roles: person.roles }, found)) continue;
        recipients.set(person.id, role);
      }
    }
    await tx.audit.append({ schoolId, actorId: null, action: 'case.urgent_unacknowledged', caseId, detail: { minutes: options.minutes, recipients: recipients.size } }, now);
    for (const personId of recipients.keys()) {
      await enqueueNotification(tx, { schoolId, caseId, personId, event: 'urgent_unacknowledged', occasion: 'urgent' }, now);
    }
    return { escalatedTo: recipients.size };
  });
}
