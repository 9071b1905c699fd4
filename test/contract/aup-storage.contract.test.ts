import type { AppDeps } from '../../src/app/deps.ts';
import { OPERATOR } from '../../src/app/deps.ts';
import { publishAup } from '../../src/app/aup/publish-aup.ts';
import { acknowledgeAup } from '../../src/app/aup/acknowledge-aup.ts';
import { getSignatureForCertificate } from '../../src/app/aup/get-signature-certificate.ts';
import { policySha256 } from '../../src/domain/aup.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

const policy = (markdown: string, audience = 'staff') => ({
  audience,
  title: 'Staff Acceptable Use Policy',
  markdown,
  acknowledgementWording: 'I have read and agree to follow this policy',
  effectiveDate: '2026-09-01',
  reviewDate: '2027-09-01',
});

describe.each(enginesUnderTest())('acceptable use policies on %s', (engine) => {
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

  test('versions count up per school and audience; old versions never change; each publication is audited', async () => {
    const v1 = await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy('# AUP\n\nKeep passwords private.\n') });
    const v2 = await publishAup(deps, { actor: a.dsl, schoolId: a.school.id, policy: policy('# AUP\n\nKeep passwords private.\nLock your screen.\n') });
    const visitors = await publishAup(deps, { actor: OPERATOR, schoolId: a.school.id, policy: policy('# Visitors\n\nWi-Fi is for school business.\n', 'visitor') });
    const other = await publishAup(deps, { actor: b.head, schoolId: b.school.id, policy: policy('# AUP\n\nElmwood rules.\n') });
    expect([v1.version, v2.version, visitors.version, other.version]).toEqual([1, 2, 1, 1]);
    const stored = await db.storage.read((r) => r.aupPolicies.get(a.school.id, v1.id));
    expect(stored).toEqual(v1);
    expect(stored!.sha256).toBe(policySha256('# AUP\n\nKeep passwords private.\n'));
    expect((await db.storage.read((r) => r.aupPolicies.current(a.school.id, 'staff')))!.id).toBe(v2.id);
    expect(await db.storage.read((r) => r.aupPolicies.get(b.school.id, v1.id))).toBeUndefined();
    const audit = await db.raw(`select action, policy_id from audit_events where action = 'aup.published' order by seq`);
    expect(audit.map((row) => row.policy_id)).toEqual(expect.arrayContaining([v1.id, v2.id, visitors.id]));
    const verification = await db.storage.verifyAudit();
    expect(verification.firstBreak).toBeUndefined();
  });

  test('only admins, the head and the DSL publish; bad input lists what to fix; the same text twice is refused', async () => {
    await expect(publishAup(deps, { actor: a.staff, schoolId: a.school.id, policy: policy('# AUP\n') })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(publishAup(deps, { actor: a.admin, schoolId: b.school.id, policy: policy('# AUP\n') })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: { ...policy('# AUP\n'), audience: 'pupils', title: '' } })).rejects.toMatchObject({
      code: 'invalid_input',
      fields: expect.arrayContaining([expect.objectContaining({ path: 'audience' }), expect.objectContaining({ path: 'title' })]),
    });
    await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy('# AUP\n\nOne rule.\n') });
    await expect(publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy('# AUP\r\n\r\nOne rule.   \r\n') })).rejects.toMatchObject({ code: 'conflict' });
  });

  test('two publishers at once get consecutive versions', async () => {
    const results = await Promise.all([1, 2, 3].map((n) => publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy(`# AUP\n\nRule ${n}.\n`) })));
    expect(results.map((r) => r.version).sort()).toEqual([1, 2, 3]);
  });

  test('a signature records who, what, when and how, sealed; signing twice keeps the first; an old version is refused', async () => {
    const v1 = await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy('# AUP\n\nKeep passwords private.\n') });
    const identity = { provider: 'entra' as const, tenantId: 'tenant-oak', objectId: 'oid-staff', userPrincipalName: 'staff@oakfield.example.org' };
    const first = await acknowledgeAup(deps, { actor: a.staff, policyId: v1.id, signature: { agreed: true, typedName: 'Sam Teacher' }, surface: 'teams', directoryIdentity: identity });
    expect(first.alreadySigned).toBe(false);
    expect(first.acknowledgement).toMatchObject({ personId: a.staff.personId, policyVersion: 1, sha256: v1.sha256, wording: 'I have read and agree to follow this policy', typedName: 'Sam Teacher', surface: 'teams', directoryIdentity: identity });
    const again = await acknowledgeAup(deps, { actor: a.staff, policyId: v1.id, signature: { agreed: true, typedName: 'Samuel Teacher' }, surface: 'teams' });
    expect(again).toMatchObject({ alreadySigned: true, acknowledgement: { id: first.acknowledgement.id, typedName: 'Sam Teacher' } });
    expect(await db.dump('aup_signatures')).not.toContain('Sam Teacher');

    await expect(acknowledgeAup(deps, { actor: a.staff2, policyId: v1.id, signature: { agreed: false, typedName: '' }, surface: 'web_link' })).rejects.toMatchObject({
      code: 'invalid_input',
      fields: expect.arrayContaining([expect.objectContaining({ path: 'agreed' }), expect.objectContaining({ path: 'typedName' })]),
    });
    const v2 = await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy('# AUP\n\nKeep passwords private.\nLock your screen.\n') });
    await expect(acknowledgeAup(deps, { actor: a.staff2, policyId: v1.id, signature: { agreed: true, typedName: 'Alex Teacher' }, surface: 'teams' })).rejects.toMatchObject({ code: 'conflict', userMessage: expect.stringContaining('version 2') });
    await acknowledgeAup(deps, { actor: a.staff2, policyId: v2.id, signature: { agreed: true, typedName: 'Alex Teacher' }, surface: 'web_link', ipAddress: '192.0.2.10', userAgent: 'Mozilla/5.0' });
    expect((await db.storage.read((r) => r.aupAcknowledgements.forPolicy(a.school.id, v2.id))).map((ack) => ack.typedName)).toEqual(['Alex Teacher']);
    expect((await db.storage.read((r) => r.aupAcknowledgements.forPerson(a.school.id, a.staff.personId))).map((ack) => ack.policyVersion)).toEqual([1]);
    const audit = await db.raw(`select policy_id from audit_events where action = 'aup.acknowledged' order by seq`);
    expect(audit.map((row) => row.policy_id)).toEqual([v1.id, v2.id]);
    // The certificate's facts: for the signer and the school's admins, nobody else.
    const forSigner = await getSignatureForCertificate(deps, { actor: a.staff, acknowledgementId: first.acknowledgement.id, policyId: v1.id });
    expect(forSigner).toMatchObject({ schoolName: 'oakfield Primary', signerName: 'Sam Teacher', policy: { version: 1 } });
    await expect(getSignatureForCertificate(deps, { actor: a.admin, acknowledgementId: first.acknowledgement.id, policyId: v1.id })).resolves.toBeDefined();
    await expect(getSignatureForCertificate(deps, { actor: a.staff2, acknowledgementId: first.acknowledgement.id, policyId: v1.id })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(getSignatureForCertificate(deps, { actor: b.admin, acknowledgementId: first.acknowledgement.id, policyId: v1.id })).rejects.toMatchObject({ code: 'not_found' });
    // Another school cannot sign this school's policy.
    await expect(acknowledgeAup(deps, { actor: b.staff, policyId: v2.id, signature: { agreed: true, typedName: 'Sam Other' }, surface: 'teams' })).rejects.toMatchObject({ code: 'not_found' });
  });
});
