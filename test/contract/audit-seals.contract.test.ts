import { randomBytes } from 'node:crypto';
import { reportConcern } from '../../src/app/cases/report-concern.ts';
import { acknowledgeCase } from '../../src/app/cases/acknowledge-case.ts';
import { sealAuditChains } from '../../src/app/audit/seal-audit-chains.ts';
import { auditVerificationFailed, verifyAuditChain } from '../../src/app/audit/verify-audit-chain.ts';
import { auditHash, GENESIS_HASH, type AuditDetail, type AuditEvent } from '../../src/domain/audit.ts';
import { describeSealProblem, sealMac, type AuditSealKeys } from '../../src/domain/audit-seal.ts';
import { concernSchema } from '../../src/domain/concern.ts';
import type { AppDeps } from '../../src/app/deps.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';

const KEYS: AuditSealKeys = { currentKeyId: 'data:test-1', keys: new Map([['data:test-1', randomBytes(32)]]) };

function concern() {
  return concernSchema.parse({ types: ['online_bullying'], description: 'Messages in a class group chat' });
}

describe.each(enginesUnderTest())('audit seals on %s', (engine) => {
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

  async function events(schoolId: string): Promise<AuditEvent[]> {
    const rows = await db.raw('select * from audit_events where school_id = ? order by seq', [schoolId]);
    return rows.map((r) => ({
      id: String(r.id),
      schoolId: String(r.school_id),
      seq: Number(r.seq),
      at: String(r.at),
      actorId: r.actor_id === null ? null : String(r.actor_id),
      action: r.action as AuditEvent['action'],
      caseId: r.case_id === null ? null : String(r.case_id),
      policyId: r.policy_id === null ? null : String(r.policy_id),
      detail: JSON.parse(String(r.detail)) as AuditDetail,
      prevHash: String(r.prev_hash),
      hash: String(r.hash),
    }));
  }

  /**
   * What someone who can write the database (and nothing else) can do: change an event, recompute every hash
   * from there to the end and move the head, so the chain on its own is consistent again.
   */
  async function rewriteChain(schoolId: string, change: (event: AuditEvent) => AuditEvent): Promise<void> {
    let prevHash = GENESIS_HASH;
    for (const original of await events(schoolId)) {
      const { hash: _old, ...rest } = change(original);
      const unsigned = { ...rest, prevHash };
      const hash = auditHash(unsigned);
      await db.raw('update audit_events set actor_id = ?, detail = ?, prev_hash = ?, hash = ? where id = ?', [unsigned.actorId, JSON.stringify(unsigned.detail), prevHash, hash, unsigned.id]);
      prevHash = hash;
    }
    await db.raw('update audit_heads set hash = ? where school_id = ?', [prevHash, schoolId]);
  }

  test('the audit chain resists a database-only attacker: a consistently rewritten chain no longer matches its seal', async () => {
    const receipt = await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'api' });
    await acknowledgeCase(deps, { actor: a.dsl, caseId: receipt.caseId });
    expect(await sealAuditChains(deps, KEYS)).toBe(2);
    // Nothing new: no second seal.
    expect(await sealAuditChains(deps, KEYS)).toBe(0);
    const clean = await verifyAuditChain(deps, KEYS);
    expect(clean).toMatchObject({ seals: 2, unsealedSchools: [] });
    expect(auditVerificationFailed(clean)).toBe(false);

    // The attacker makes the acknowledgement look as if the headteacher did it.
    await rewriteChain(a.school.id, (event) => (event.action === 'case.acknowledged' ? { ...event, actorId: a.head.personId } : event));
    const [acknowledged] = await db.raw("select actor_id from audit_events where action = 'case.acknowledged'");
    expect(acknowledged!.actor_id).toBe(a.head.personId);

    const chainOnly = await verifyAuditChain(deps);
    expect(chainOnly.firstBreak).toBeUndefined(); // the hash chain alone cannot tell
    const sealed = await verifyAuditChain(deps, KEYS);
    expect(sealed.firstBreak).toBeUndefined();
    expect(sealed.sealProblem).toMatchObject({ schoolId: a.school.id, sealSeq: 1, reason: 'seal_head_mismatch' });
    expect(describeSealProblem(sealed.sealProblem!)).toMatch(/the chain was rewritten after it was sealed/);
    expect(auditVerificationFailed(sealed)).toBe(true);
  });

  test('the audit chain resists a database-only attacker: a deleted seal, a forged seal and a seal with an unknown key are named', async () => {
    await reportConcern(deps, { actor: b.staff, concern: concern(), channel: 'api' });
    await sealAuditChains(deps, KEYS);
    await reportConcern(deps, { actor: b.staff, concern: concern(), channel: 'api' });
    await sealAuditChains(deps, KEYS);
    await reportConcern(deps, { actor: b.staff, concern: concern(), channel: 'api' });
    await sealAuditChains(deps, KEYS);
    const seals = await db.raw('select seal_seq, head_seq from audit_seals where school_id = ? order by seal_seq', [b.school.id]);
    expect(seals.map((s) => Number(s.seal_seq))).toEqual([1, 2, 3]);
    expect(auditVerificationFailed(await verifyAuditChain(deps, KEYS))).toBe(false);

    // A seal made with a key DSL Desk does not hold (the attacker's own), for the rewritten head.
    const [last] = await db.raw('select * from audit_seals where school_id = ? and seal_seq = 3', [b.school.id]);
    const attackerKey = randomBytes(32);
    const forged = { schoolId: b.school.id, sealSeq: 3, headSeq: Number(last!.head_seq), headHash: String(last!.head_hash), keyId: 'data:attacker', sealedAt: String(last!.sealed_at) };
    await db.raw('update audit_seals set key_id = ?, mac = ? where school_id = ? and seal_seq = 3', [forged.keyId, sealMac(attackerKey, forged), b.school.id]);
    expect((await verifyAuditChain(deps, KEYS)).sealProblem).toMatchObject({ schoolId: b.school.id, sealSeq: 3, reason: 'seal_unknown_key', keyId: 'data:attacker' });

    // The same, claiming our key id: the signature does not check.
    await db.raw('update audit_seals set key_id = ? where school_id = ? and seal_seq = 3', ['data:test-1', b.school.id]);
    expect((await verifyAuditChain(deps, KEYS)).sealProblem).toMatchObject({ sealSeq: 3, reason: 'seal_forged' });

    // Seal 2 deleted: a gap in the seal numbers.
    await db.raw('delete from audit_seals where school_id = ? and seal_seq = 2', [b.school.id]);
    const gap = await verifyAuditChain(deps, KEYS);
    expect(gap.sealProblem).toMatchObject({ schoolId: b.school.id, sealSeq: 2, headSeq: null, reason: 'seal_missing' });
    expect(describeSealProblem(gap.sealProblem!)).toMatch(/seal #2 is missing/);
  });

  test('the audit chain resists a database-only attacker: seals made with an older key stay valid after the key changes', async () => {
    await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'api' });
    await sealAuditChains(deps, KEYS);
    const rotated: AuditSealKeys = { currentKeyId: 'audit:new', keys: new Map([...KEYS.keys, ['audit:new', randomBytes(32)]]) };
    await reportConcern(deps, { actor: a.staff, concern: concern(), channel: 'api' });
    await sealAuditChains(deps, rotated);
    expect((await db.raw('select key_id from audit_seals where school_id = ? order by seal_seq', [a.school.id])).map((r) => r.key_id)).toEqual(['data:test-1', 'audit:new']);
    expect(auditVerificationFailed(await verifyAuditChain(deps, rotated))).toBe(false);
    // Without the old key, its seal cannot be checked: said, not ignored.
    const onlyNew: AuditSealKeys = { currentKeyId: 'audit:new', keys: new Map([['audit:new', rotated.keys.get('audit:new')!]]) };
    expect((await verifyAuditChain(deps, onlyNew)).sealProblem).toMatchObject({ sealSeq: 1, reason: 'seal_unknown_key', keyId: 'data:test-1' });
  });
});
