import type { AppDeps } from '../../src/app/deps.ts';
import { recordAupDelivered, recordAupReminderSent } from '../../src/app/aup/deliver-aup.ts';
import { recordEscalation } from '../../src/app/aup/escalate-unsigned-starter.ts';
import { publishAup } from '../../src/app/aup/publish-aup.ts';
import { addNewStarter } from '../../src/app/aup/welcome-new-starter.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

/**
 * A starter's reminder, the warning that they have not signed and the record of the card reaching them can all
 * be written at once (several outbox workers, several instances). Each reads the delivery and writes it back:
 * unless the read locks the row, one of them overwrites the other's change (a reminder counted away) or finds
 * the row changed under it and records nothing (the warning never marked as given).
 */
describe.each(enginesUnderTest())('one AUP delivery changed by several workers at once on %s', (engine) => {
  let db: TestStorage;
  let deps: AppDeps;
  let a: SeededSchool;
  beforeEach(async () => {
    db = await createTestStorage(engine);
    deps = { ...depsFor(db.storage), clock: { now: () => new Date('2026-10-06T08:00:00Z') } };
    a = await seedSchool(deps, 'oakfield');
  });
  afterEach(async () => {
    await db.cleanup();
  });

  test('every change is kept: reminders counted, the warning marked, whatever the order', async () => {
    const policy = await publishAup(deps, {
      actor: a.admin,
      schoolId: a.school.id,
      startCampaign: false,
      policy: { audience: 'staff', title: 'Staff AUP', markdown: '# AUP\n\nKeep passwords private.\n', acknowledgementWording: 'I agree', effectiveDate: '2026-09-01', reviewDate: '2027-09-01' },
    });
    const starters = [];
    for (let i = 0; i < 8; i++) {
      const { personId } = await addNewStarter(deps, { actor: a.admin, schoolId: a.school.id, input: { displayName: `Starter ${i}`, email: `starter${i}@oakfield.example.org` } });
      const delivery = (await db.storage.read((r) => r.aupDeliveries.listForPerson(a.school.id, personId))).find((d) => d.policyId === policy.id)!;
      const key = { schoolId: a.school.id, personId, policyId: policy.id, cycle: delivery.cycle };
      await recordAupDelivered(deps, key, { channel: 'teams', conversationId: `a:chat-${i}` });
      starters.push(key);
    }
    // Each starter's reminder and warning are written at the same moment, all starters together.
    await Promise.all(starters.flatMap((key) => [recordAupReminderSent(deps, key, 1), recordEscalation(deps, key, [{ personId: a.head.personId, via: 'teams' }], [])]));
    for (const key of starters) {
      const delivery = (await db.storage.read((r) => r.aupDeliveries.listForPerson(a.school.id, key.personId))).find((d) => d.policyId === policy.id)!;
      expect({ personId: key.personId, remindersSent: delivery.remindersSent, escalated: Boolean(delivery.escalatedAt) }).toEqual({ personId: key.personId, remindersSent: 1, escalated: true });
    }
  });
});
