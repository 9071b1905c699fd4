import { depsFor, seedSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

describe.each(enginesUnderTest())('delivery resilience storage on %s', (engine) => {
  let db: TestStorage;

  beforeEach(async () => {
    db = await createTestStorage(engine);
  });
  afterEach(async () => {
    await db.cleanup();
  });

  test('the pacing ledger returns a key\'s recent calls in order and forgets what no longer counts', async () => {
    const { pacing } = db.storage;
    const t0 = Date.parse('2026-11-23T08:00:00.000Z');
    await pacing.record([
      { key: 'teams:conversation:c1', at: t0 + 500, keepUntil: t0 + 500 + 3_600_000 },
      { key: 'teams:conversation:c1', at: t0, keepUntil: t0 + 3_600_000 },
      { key: 'teams:tenant:t1', at: t0, keepUntil: t0 + 1000 },
      { key: 'teams:conversation:c2', at: t0 + 10, keepUntil: t0 + 10 + 3_600_000 },
    ]);
    await pacing.record([]);
    expect(await pacing.recent('teams:conversation:c1', t0 - 1000)).toEqual([t0, t0 + 500]);
    expect(await pacing.recent('teams:conversation:c1', t0 + 1)).toEqual([t0 + 500]);
    expect(await pacing.recent('teams:conversation:unknown', 0)).toEqual([]);
    // The tenant's call stops counting after a second; the conversations' after an hour.
    expect(await pacing.forget(t0 + 2000)).toBe(1);
    expect(await pacing.recent('teams:tenant:t1', 0)).toEqual([]);
    expect(await pacing.recent('teams:conversation:c2', 0)).toEqual([t0 + 10]);
  });

  test('a fallback is recorded once per key; a second insert with the same key is refused', async () => {
    const deps = depsFor(db.storage);
    const { school } = await seedSchool(deps, 'ashgrove');
    const record = { schoolId: school.id, dedupeKey: 'outbox-1', caseId: 'case-1', target: 'channel', state: 'sent' as const, recipients: 2, at: '2026-11-23T08:15:00.000Z' };
    expect(await db.storage.transaction((tx) => tx.deliveryFallbacks.insert(record))).toBe(true);
    expect(await db.storage.transaction((tx) => tx.deliveryFallbacks.insert({ ...record, state: 'unavailable', reason: 'again' }))).toBe(false);
    const stored = await db.storage.read((r) => r.deliveryFallbacks.get(school.id, 'outbox-1'));
    expect(stored).toEqual(record);
    expect(await db.storage.read((r) => r.deliveryFallbacks.listForCase(school.id, 'case-1'))).toEqual([record]);
    expect(await db.storage.read((r) => r.deliveryFallbacks.get('another-school', 'outbox-1'))).toBeUndefined();
  });
});
