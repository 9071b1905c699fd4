import { acknowledgeCase } from '../../src/app/cases/acknowledge-case.ts';
import { addCaseNote } from '../../src/app/cases/add-case-note.ts';
import { closeCase } from '../../src/app/cases/close-case.ts';
import { findCases } from '../../src/app/cases/find-cases.ts';
import { getCase } from '../../src/app/cases/get-case.ts';
import { listMyReports } from '../../src/app/cases/list-my-reports.ts';
import { reportConcern } from '../../src/app/cases/report-concern.ts';
import { verifyAuditChain } from '../../src/app/audit/verify-audit-chain.ts';
import { concernSchema, type ConcernInput } from '../../src/domain/concern.ts';
import { AppError } from '../../src/domain/errors.ts';
import { randomBytes } from 'node:crypto';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';
import type { AppDeps } from '../../src/app/deps.ts';

const SECRET_DESCRIPTION = 'Pupil Zebedee Quartermaine was sent messages by an adult stranger';
const SECRET_NAME = 'Zebedee Quartermaine';

function concern(overrides: Partial<ConcernInput> = {}) {
  return concernSchema.parse({
    types: ['online_bullying'],
    description: SECRET_DESCRIPTION,
    involved: [{ group: 'child', name: SECRET_NAME }],
    ...overrides,
  });
}

describe.each(enginesUnderTest())('storage contract on %s', (engine) => {
  let db: TestStorage;
  let deps: AppDeps;
  let a: SeededSchool;
  let b: SeededSchool;

  beforeEach(async () => {
    db = await createTestStorage(engine);
    deps = depsFor(db.storage);
    a = await seedSchool(deps, 'oakfield');
    b = await seedSchool(deps, 'elmwood');
  });
  afterEach(async () => {
    await db.cleanup();
  });

  test('migrations are idempotent', async () => {
    expect(await db.storage.migrate()).toEqual([]);
  });

  test('a report becomes a case with a per-school reference and reads back decrypted', async () => {
    const receipt = await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'api' });
    expect(receipt.reference).toMatch(/^CASE-\d{4}-0001$/);
    const second = await reportConcern(deps, { actor: b.staff, concern: concern(), channel: 'api' });
    expect(second.reference).toMatch(/^CASE-\d{4}-0001$/);
    const view = await getCase(deps, { actor: a.dsl, caseId: receipt.caseId });
    expect(view.case.concern.description).toBe(SECRET_DESCRIPTION);
    expect(view.case.concern.involved[0]?.name).toBe(SECRET_NAME);
    expect(view.case.reporters.map((r) => r.personId)).toEqual([a.staff.personId]);
    expect(view.chronology.map((e) => e.action)).toEqual(['case.created', 'case.viewed']);
  });

  test('concern text, names and notes are encrypted at rest', async () => {
    const receipt = await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'api' });
    await addCaseNote(deps, { actor: a.dsl, caseId: receipt.caseId, text: 'Spoke to Zebedee and his mother' });
    await closeCase(deps, { actor: a.dsl, caseId: receipt.caseId, outcome: 'Outcome mentioning Quartermaine family' });
    for (const table of ['cases', 'audit_events', 'outbox', 'case_reporters']) {
      const stored = await db.dump(table);
      expect(stored).not.toContain('Zebedee');
      expect(stored).not.toContain('Quartermaine');
      expect(stored).not.toContain('stranger');
    }
    expect(await db.dump('cases')).toMatch(/"v1\.test-1\./);
  });

  test('concurrent duplicate submissions with one idempotency key create one case', async () => {
    const key = `key-${randomBytes(4).toString('hex')}`;
    const receipts = await Promise.all(Array.from({ length: 12 }, () => reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'api', idempotencyKey: key })));
    expect(new Set(receipts.map((r) => r.caseId)).size).toBe(1);
    expect(receipts.filter((r) => !r.duplicate)).toHaveLength(1);
    const rows = await db.raw('select count(*) as n from cases where school_id = ?', [a.school.id]);
    expect(Number(rows[0]!.n)).toBe(1);
    // The same key from another person is their own key, not a collision.
    const other = await reportConcern(deps, { actor: a.staff2, concern: concern(), channel: 'api', idempotencyKey: key });
    expect(other.caseId).not.toBe(receipts[0]!.caseId);
  });

  test('concurrent reports get distinct references', async () => {
    const receipts = await Promise.all(Array.from({ length: 15 }, () => reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'api' })));
    expect(new Set(receipts.map((r) => r.reference)).size).toBe(15);
  });

  test('reports of the same message join one case with several reporters', async () => {
    const source = { kind: 'email' as const, ref: '<abc123@phish.example>' };
    const first = await reportConcern(deps, { actor: a.staff, concern: concern({ types: ['suspicious_email'] }), source, channel: 'outlook' });
    const joined = await Promise.all([
      reportConcern(deps, { actor: a.staff2, concern: concern({ types: ['suspicious_email'] }), source, channel: 'outlook' }),
      reportConcern(deps, { actor: a.deputy, concern: concern({ types: ['suspicious_email'] }), source, channel: 'outlook' }),
    ]);
    const again = await reportConcern(deps, { actor: a.staff, concern: concern({ types: ['suspicious_email'] }), source, channel: 'outlook' });
    expect(joined.every((r) => r.caseId === first.caseId && r.joinedExisting)).toBe(true);
    expect(again).toMatchObject({ caseId: first.caseId, duplicate: true });
    const view = await getCase(deps, { actor: a.dsl, caseId: first.caseId });
    expect(view.case.reporters).toHaveLength(3);
    // The same message id in another school is another school's case.
    const elsewhere = await reportConcern(deps, { actor: b.staff, concern: concern({ types: ['suspicious_email'] }), source, channel: 'outlook' });
    expect(elsewhere.caseId).not.toBe(first.caseId);
  });

  test('schools are isolated from each other', async () => {
    const receipt = await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'api' });
    await expect(getCase(deps, { actor: b.dsl, caseId: receipt.caseId })).rejects.toMatchObject({ code: 'not_found' });
    await expect(acknowledgeCase(deps, { actor: b.dsl, caseId: receipt.caseId })).rejects.toMatchObject({ code: 'not_found' });
    expect((await findCases(deps, { actor: b.dsl, filter: { limit: 50 } })).cases).toEqual([]);
    expect((await findCases(deps, { actor: a.dsl, filter: { limit: 50 } })).cases.map((c) => c.id)).toEqual([receipt.caseId]);
    expect(await db.storage.transaction((tx) => tx.cases.get(b.school.id, receipt.caseId))).toBeUndefined();
    expect(await listMyReports(deps, { actor: b.staff })).toEqual([]);
  });

  test('a stale version is refused, so concurrent edits never overwrite each other', async () => {
    const receipt = await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'api' });
    const current = (await db.storage.transaction((tx) => tx.cases.get(a.school.id, receipt.caseId)))!;
    const saved = await db.storage.transaction((tx) => tx.cases.update({ ...current, status: 'acknowledged', version: 2 }, 1));
    const stale = await db.storage.transaction((tx) => tx.cases.update({ ...current, status: 'closed', version: 2 }, 1));
    expect([saved, stale]).toEqual([true, false]);
    // Concurrent notes through the use case all land, by retrying on the newer version.
    await Promise.all(Array.from({ length: 6 }, (_, i) => addCaseNote(deps, { actor: a.dsl, caseId: receipt.caseId, text: `note ${i}` })));
    const view = await getCase(deps, { actor: a.dsl, caseId: receipt.caseId });
    expect(view.case.notes).toHaveLength(6);
  });

  test('the audit chain verifies, and names the row that was edited', async () => {
    const receipt = await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'api' });
    await acknowledgeCase(deps, { actor: a.dsl, caseId: receipt.caseId });
    const clean = await verifyAuditChain(deps);
    expect(clean.firstBreak).toBeUndefined();
    expect(clean.events).toBeGreaterThan(10);
    const [row] = await db.raw("select id, seq from audit_events where action = 'case.acknowledged'");
    await db.raw('update audit_events set actor_id = ? where id = ?', [a.head.personId, row!.id]);
    const broken = await verifyAuditChain(deps);
    expect(broken.firstBreak).toMatchObject({ schoolId: a.school.id, seq: Number(row!.seq), eventId: row!.id, reason: 'hash_mismatch' });
  });

  test('the audit chain detects removed rows, in the middle and at the end', async () => {
    await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'api' });
    const [last] = await db.raw('select seq from audit_heads where school_id = ?', [a.school.id]);
    await db.raw('delete from audit_events where school_id = ? and seq = ?', [a.school.id, Number(last!.seq)]);
    expect((await verifyAuditChain(deps)).firstBreak).toMatchObject({ reason: 'head_mismatch', schoolId: a.school.id });
    await db.raw('delete from audit_events where school_id = ? and seq = 3', [a.school.id]);
    expect((await verifyAuditChain(deps)).firstBreak).toMatchObject({ reason: 'sequence_gap', seq: 3 });
  });

  test('reading a case writes an access event; restricted cases hide from deputies and the subject', async () => {
    const allegation = await reportConcern(deps, {
      actor: a.staff,
      concern: concern({ types: ['staff_allegation'], subjectPersonId: a.dsl.personId }),
      channel: 'api',
    });
    const view = await getCase(deps, { actor: a.head, caseId: allegation.caseId });
    expect(view.case.restricted).toBe(true);
    expect(view.case.urgency).toBe('urgent');
    await expect(getCase(deps, { actor: a.dsl, caseId: allegation.caseId })).rejects.toMatchObject({ code: 'not_found' });
    await expect(getCase(deps, { actor: a.deputy, caseId: allegation.caseId })).rejects.toMatchObject({ code: 'not_found' });
    expect((await findCases(deps, { actor: a.dsl, filter: { limit: 10 } })).cases).toEqual([]);
    const viewed = await db.raw("select actor_id from audit_events where action = 'case.viewed' and case_id = ?", [allegation.caseId]);
    expect(viewed.map((r) => r.actor_id)).toEqual([a.head.personId]);
  });

  test('the outbox is shared safely: concurrent claims never hand out one message twice', async () => {
    for (let i = 0; i < 10; i += 1) await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'api' });
    const now = new Date();
    const claims = await Promise.all(['one', 'two', 'three'].map((owner) => db.storage.outbox.claim({ owner, kinds: ['case.created'], limit: 4, leaseMs: 60_000, now })));
    const ids = claims.flat().map((m) => m.id);
    expect(ids.length).toBe(10);
    expect(new Set(ids).size).toBe(10);
    const first = claims[0]![0]!;
    await db.storage.outbox.complete(first.id, 'one', now.toISOString());
    const second = claims[1]![0]!;
    await db.storage.outbox.fail(second.id, 'two', 'HTTP 429', new Date(now.getTime() + 1000).toISOString());
    const third = claims[2]![0]!;
    await db.storage.outbox.fail(third.id, 'three', 'HTTP 403', null);
    expect(await db.storage.outbox.counts()).toEqual({ pending: 8, done: 1, failed: 1 });
    // Leases expire: after the lease, unfinished messages are claimable again, including the retried one.
    const later = await db.storage.outbox.claim({ owner: 'four', kinds: ['case.created'], limit: 20, leaseMs: 60_000, now: new Date(now.getTime() + 61_000) });
    expect(later.map((m) => m.id).sort()).toEqual(ids.filter((id) => id !== first.id && id !== third.id).sort());
    expect(later.find((m) => m.id === second.id)?.attempts).toBe(2);
  });

  test('input errors are typed and carry no concern text', async () => {
    const receipt = await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'api' });
    const error = await closeCase(deps, { actor: a.dsl, caseId: receipt.caseId, outcome: '  ' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('invalid_input');
    expect(JSON.stringify(error)).not.toContain('Zebedee');
  });
});
