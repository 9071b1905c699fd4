import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyseReportedEmail } from '../../src/analysis/index.ts';
import { changeCaseTypes } from '../../src/app/cases/change-case-types.ts';
import { closeCase } from '../../src/app/cases/close-case.ts';
import { confirmEmailVerdict } from '../../src/app/emails/confirm-email-verdict.ts';
import type { AppDeps } from '../../src/app/deps.ts';
import { dropExpiredEmails } from '../../src/app/emails/drop-expired-emails.ts';
import { getCase } from '../../src/app/cases/get-case.ts';
import { liftLegalHold } from '../../src/app/emails/lift-legal-hold.ts';
import { placeLegalHold } from '../../src/app/emails/place-legal-hold.ts';
import { prepareNotification } from '../../src/app/cases/prepare-notification.ts';
import { reopenCase } from '../../src/app/cases/reopen-case.ts';
import { reportEmail } from '../../src/app/emails/report-email.ts';
import { tellReportersVerdict } from '../../src/app/emails/tell-reporters-verdict.ts';
import { verifyAuditChain } from '../../src/app/audit/verify-audit-chain.ts';
import type { AuditEvent } from '../../src/domain/audit.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

const SAMPLE = readFileSync(join(__dirname, '../../samples/emails/headteacher-gift-cards.eml'));
const DAY = 86_400_000;

/** A message with one PNG attached (a 1×1 image stands in for a photo). */
function messageWithImage(messageId: string): Buffer {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201e2e0d1ea0000000049454e44ae426082', 'hex');
  return Buffer.from(
    [
      'From: "Unknown" <someone@elsewhere.example.net>',
      'To: staff@oakfield.example.org',
      'Subject: look at this',
      `Message-ID: <${messageId}>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'see attached',
      '--b1',
      'Content-Type: image/png; name="photo.png"',
      'Content-Disposition: attachment; filename="photo.png"',
      'Content-Transfer-Encoding: base64',
      '',
      png.toString('base64'),
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

describe.each(enginesUnderTest())('reported emails as evidence on %s', (engine) => {
  let db: TestStorage;
  let deps: AppDeps;
  let school: SeededSchool;
  let now: number;

  beforeEach(async () => {
    db = await createTestStorage(engine);
    now = Date.parse('2026-03-02T09:00:00.000Z');
    deps = { ...depsFor(db.storage), clock: { now: () => new Date(now) } };
    school = await seedSchool(deps, 'oakfield');
  });
  afterEach(async () => {
    await db.cleanup();
  });

  const eventsOf = (caseId: string): Promise<AuditEvent[]> => db.storage.read((r) => r.audit.listForCase(school.school.id, caseId));
  const emailsOf = (caseId: string) => db.storage.read((r) => r.emails.listForCase(school.school.id, caseId));
  const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: { code?: string; message?: string }) => ({ code: error.code, message: error.message }));

  test('the same message reported again is analysed once: the later reporters join the case with the first analysis, and other bytes are analysed afresh', async () => {
    const analysed: number[] = [];
    const counting: AppDeps = {
      ...deps,
      analyseEmail: async (raw, context) => {
        analysed.push(raw.byteLength);
        return analyseReportedEmail(raw, context);
      },
    };
    const first = await reportEmail(counting, { actor: school.staff, raw: SAMPLE, choice: 'phishing', channel: 'gmail' });
    const second = await reportEmail(counting, { actor: school.staff2, raw: SAMPLE, choice: 'phishing', channel: 'gmail' });
    // The same bytes for another reason: its own case (never joined to the phishing one), still not analysed again.
    const safeguarding = await reportEmail(counting, { actor: school.staff2, raw: SAMPLE, choice: 'safeguarding', channel: 'gmail' });
    expect(analysed).toEqual([SAMPLE.byteLength]);
    expect(second).toMatchObject({ caseId: first.caseId, joinedExisting: true, verdict: first.verdict });
    expect(safeguarding.caseId).not.toBe(first.caseId);
    const stored = await db.storage.read((r) => r.emails.listForCase(school.school.id, safeguarding.caseId));
    expect(stored).toHaveLength(1);
    expect(stored[0]!.analysis.messageId).toBe((await db.storage.read((r) => r.emails.listForCase(school.school.id, first.caseId)))[0]!.analysis.messageId);
    expect(stored[0]!.contentKept).toBe(false);

    // One byte different (another copy of a similar message): analysed on its own, and still joined by Message-ID.
    const altered = Buffer.from(SAMPLE.toString('latin1').replace('Subject:', 'X-Forwarded-Copy: 1\r\nSubject:'), 'latin1');
    const third = await reportEmail(counting, { actor: school.dsl, raw: altered, choice: 'phishing', channel: 'gmail' });
    expect(analysed).toEqual([SAMPLE.byteLength, altered.byteLength]);
    expect(third).toMatchObject({ caseId: first.caseId, joinedExisting: true });
  });

  test('the DSL decides the verdict: reporters are told only once a DSL or IT has confirmed or changed it with a reason', async () => {
    const filed = await reportEmail(deps, { actor: school.staff, raw: SAMPLE, choice: 'phishing', channel: 'outlook' });
    await reportEmail(deps, { actor: school.staff2, raw: SAMPLE, choice: 'phishing', channel: 'outlook' });
    const [email] = await emailsOf(filed.caseId);
    expect(email!.analysis.verdict).toBe('likely_phishing');
    expect(email!.decision).toBeUndefined();
    const target = { caseId: filed.caseId, emailId: email!.id };

    // The analysis's suggestion alone is never told.
    const refused = await failure(tellReportersVerdict(deps, { actor: school.dsl, ...target }));
    expect(refused).toMatchObject({ code: 'invalid_transition' });
    expect(refused!.message).toContain('Confirm or change the verdict');
    expect(await db.raw(`select id from outbox where kind = 'person.notify'`)).toHaveLength(0);
    // Nor does a queued notice go out for a case with no decision.
    expect(await prepareNotification(deps, { schoolId: school.school.id, caseId: filed.caseId, personId: school.staff.personId, event: 'email_verdict', platform: 'teams' })).toBeUndefined();

    // Staff cannot decide; a decision needs a reason; "not analysed" is not a verdict anyone can decide.
    expect(await failure(confirmEmailVerdict(deps, { actor: school.staff, ...target, verdict: 'no_threat_found', reason: 'looks fine' }))).toMatchObject({ code: 'forbidden' });
    expect(await failure(confirmEmailVerdict(deps, { actor: school.dsl, ...target, verdict: 'likely_phishing', reason: '  ' }))).toMatchObject({ code: 'invalid_input' });
    expect(await failure(confirmEmailVerdict(deps, { actor: school.dsl, ...target, verdict: 'not_analysed' as never, reason: 'why not' }))).toMatchObject({ code: 'invalid_input' });

    // IT looks and changes it: it was the school's own phishing exercise.
    const decided = await confirmEmailVerdict(deps, { actor: school.it, ...target, verdict: 'simulation', reason: 'Our phishing exercise for this term, sent by the trust' });
    expect(decided).toEqual({ verdict: 'Our own phishing simulation', changed: true });
    const [stored] = await emailsOf(filed.caseId);
    expect(stored!.decision).toMatchObject({ verdict: 'simulation', suggested: 'likely_phishing', byId: school.it.personId, reason: 'Our phishing exercise for this term, sent by the trust' });

    const told = await tellReportersVerdict(deps, { actor: school.dsl, ...target });
    expect(told).toEqual({ told: 2, verdict: 'Our own phishing simulation' });
    const notice = await prepareNotification(deps, { schoolId: school.school.id, caseId: filed.caseId, personId: school.staff2.personId, event: 'email_verdict', platform: 'teams' });
    expect(notice!.text.title).toBe(`Well spotted: ${filed.reference} was a practice phishing email`);

    const events = await eventsOf(filed.caseId);
    const decision = events.find((e) => e.action === 'case.email_verdict_decided')!;
    expect(decision).toMatchObject({ actorId: school.it.personId, detail: { emailId: email!.id, suggested: 'likely_phishing', verdict: 'simulation', changed: true } });
    expect(events.find((e) => e.action === 'case.reporters_told_verdict')!.detail).toMatchObject({ verdict: 'simulation', reporters: 2 });
    // The reason is the DSL's writing: sealed with the email, never in the audit log or the table in clear.
    expect(JSON.stringify(events)).not.toContain('phishing exercise');
    expect(await db.dump('email_messages')).not.toContain('phishing exercise');
  });

  test('the DSL decides the verdict: confirming the suggestion is recorded as a decision, not a change', async () => {
    const filed = await reportEmail(deps, { actor: school.staff, raw: SAMPLE, choice: 'phishing', channel: 'outlook' });
    const [email] = await emailsOf(filed.caseId);
    expect(await confirmEmailVerdict(deps, { actor: school.deputy, caseId: filed.caseId, emailId: email!.id, verdict: 'likely_phishing', reason: 'Sender address is not Harriet’s' })).toEqual({
      verdict: 'Likely phishing',
      changed: false,
    });
    expect((await tellReportersVerdict(deps, { actor: school.deputy, caseId: filed.caseId, emailId: email!.id })).verdict).toBe('Likely phishing');
  });

  test('no images kept from inappropriate content reports either: only names, types, sizes and hashes stay', async () => {
    const filed = await reportEmail(deps, { actor: school.staff, raw: messageWithImage('nude-1@elsewhere.example.net'), choice: 'inappropriate', note: 'A parent forwarded this', channel: 'outlook' });
    const [email] = await emailsOf(filed.caseId);
    expect(email).toMatchObject({ contentKept: false, attachmentsWithheld: true });
    expect(email!.analysis.attachments).toEqual([expect.objectContaining({ filename: 'photo.png', detectedType: 'png', declaredType: 'image/png', size: 70, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
    expect(await db.storage.read((r) => r.emails.getContent(school.school.id, email!.id))).toBeUndefined();
    expect((await db.raw('select content from email_messages'))[0]!.content).toBeNull();
    const view = await getCase(deps, { actor: school.dsl, caseId: filed.caseId });
    expect(view.case.concern.evidence).toMatch(/inappropriate or upsetting content: the email and its attachments were not kept/);
  });

  test('no images kept from inappropriate content reports either: changing a case to a type that forbids images purges its stored message, audited with hashes', async () => {
    // Reported as phishing, so the message was kept; the DSL then finds it carries a nude image of a pupil.
    const filed = await reportEmail(deps, { actor: school.staff, raw: messageWithImage('kept-1@elsewhere.example.net'), choice: 'phishing', channel: 'outlook' });
    const [email] = await emailsOf(filed.caseId);
    expect(email!.contentKept).toBe(true);

    expect(await failure(changeCaseTypes(deps, { actor: school.it, caseId: filed.caseId, types: ['nudes_semi_nudes'], reason: 'x' }))).toMatchObject({ code: 'forbidden' });
    expect(await failure(changeCaseTypes(deps, { actor: school.dsl, caseId: filed.caseId, types: ['nudes_semi_nudes'], reason: ' ' }))).toMatchObject({ code: 'invalid_input' });
    expect(await failure(changeCaseTypes(deps, { actor: school.dsl, caseId: filed.caseId, types: ['staff_allegation'], reason: 'about a teacher' }))).toMatchObject({ code: 'invalid_input' });

    // A type that does not forbid images keeps the message.
    await changeCaseTypes(deps, { actor: school.dsl, caseId: filed.caseId, types: ['suspicious_email', 'hacking_or_viruses'], reason: 'The attachment is malware' });
    expect((await emailsOf(filed.caseId))[0]!.contentKept).toBe(true);

    const changed = await changeCaseTypes(deps, { actor: school.dsl, caseId: filed.caseId, types: ['nudes_semi_nudes'], reason: 'The photo is of a Year 9 pupil' });
    expect(changed.types).toEqual(['nudes_semi_nudes']);
    expect(changed.urgency).toBe('urgent');
    expect(changed.typeChanges!.at(-1)).toMatchObject({ from: ['suspicious_email', 'hacking_or_viruses'], to: ['nudes_semi_nudes'], reason: 'The photo is of a Year 9 pupil', byId: school.dsl.personId });
    const [after] = await emailsOf(filed.caseId);
    expect(after).toMatchObject({ contentKept: false, attachmentsWithheld: true });
    expect(after!.analysis.attachments[0]!.sha256).toBe(email!.analysis.attachments[0]!.sha256);
    expect(await db.storage.read((r) => r.emails.getContent(school.school.id, email!.id))).toBeUndefined();
    expect((await db.raw('select content, attachments_withheld from email_messages'))[0]).toMatchObject({ content: null });

    const events = await eventsOf(filed.caseId);
    const typesChanged = events.findIndex((e) => e.action === 'case.types_changed' && e.detail.to === 'nudes_semi_nudes');
    const purged = events.findIndex((e) => e.action === 'case.email_purged');
    expect(typesChanged).toBeGreaterThan(-1);
    expect(purged).toBeGreaterThan(typesChanged);
    expect(events[purged]).toMatchObject({
      actorId: school.dsl.personId,
      detail: {
        emailId: email!.id,
        emlSha256: email!.sha256,
        emlSize: email!.size,
        attachments: 1,
        attachmentSha256: email!.analysis.attachments[0]!.sha256,
        reason: 'types_forbid_images',
      },
    });
    expect(events.filter((e) => e.action === 'case.email_purged')).toHaveLength(1);
    // IT no longer sees the case at all: it is not a security case any more.
    expect(await failure(getCase(deps, { actor: school.it, caseId: filed.caseId }))).toMatchObject({ code: 'not_found' });
    expect((await verifyAuditChain(deps)).firstBreak).toBeUndefined();
  });

  test('a reported email is evidence while its case is open: retention counts from closure, a legal hold stops it, and every drop is audited with hashes', async () => {
    const filed = await reportEmail(deps, { actor: school.staff, raw: SAMPLE, choice: 'phishing', channel: 'outlook' });
    const [email] = await emailsOf(filed.caseId);
    const retention = { retentionDays: 30 };

    // Open for 200 days: nothing goes, however old the report.
    now += 200 * DAY;
    expect(await dropExpiredEmails(deps, retention)).toBe(0);
    await closeCase(deps, { actor: school.dsl, caseId: filed.caseId, outcome: 'Blocked the sender; staff reminded.' });
    now += 29 * DAY;
    expect(await dropExpiredEmails(deps, retention)).toBe(0);

    // A legal hold: staff and IT may not place one, and nothing is dropped while it stands.
    expect(await failure(placeLegalHold(deps, { actor: school.it, caseId: filed.caseId, reason: 'x' }))).toMatchObject({ code: 'forbidden' });
    expect(await failure(placeLegalHold(deps, { actor: school.staff, caseId: filed.caseId, reason: 'x' }))).toMatchObject({ code: 'not_found' });
    expect(await failure(placeLegalHold(deps, { actor: school.dsl, caseId: filed.caseId, reason: '' }))).toMatchObject({ code: 'invalid_input' });
    await placeLegalHold(deps, { actor: school.dsl, caseId: filed.caseId, reason: 'Police asked us to keep it (crime ref 12/3456)' });
    expect(await failure(placeLegalHold(deps, { actor: school.dsl, caseId: filed.caseId, reason: 'again' }))).toMatchObject({ code: 'invalid_transition' });
    expect((await getCase(deps, { actor: school.dsl, caseId: filed.caseId })).legalHold).toMatchObject({ reason: 'Police asked us to keep it (crime ref 12/3456)', byId: school.dsl.personId });
    now += 400 * DAY;
    expect(await dropExpiredEmails(deps, retention)).toBe(0);
    expect((await emailsOf(filed.caseId))[0]!.contentKept).toBe(true);

    await liftLegalHold(deps, { actor: school.head, caseId: filed.caseId });
    expect(await failure(liftLegalHold(deps, { actor: school.head, caseId: filed.caseId }))).toMatchObject({ code: 'invalid_transition' });
    // Reopened, it is evidence again: the clock starts over at the next closure.
    await reopenCase(deps, { actor: school.dsl, caseId: filed.caseId, reason: 'The sender wrote again' });
    expect(await dropExpiredEmails(deps, retention)).toBe(0);
    await closeCase(deps, { actor: school.dsl, caseId: filed.caseId, outcome: 'Blocked again.' });
    now += 30 * DAY;
    expect(await dropExpiredEmails(deps, retention)).toBe(1);
    expect(await dropExpiredEmails(deps, retention)).toBe(0);

    const [after] = await emailsOf(filed.caseId);
    expect(after).toMatchObject({ contentKept: false, attachmentsWithheld: false });
    expect(after!.analysis.verdict).toBe('likely_phishing');
    const events = await eventsOf(filed.caseId);
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['case.legal_hold_placed', 'case.legal_hold_lifted', 'case.email_dropped']));
    const dropped = events.filter((e) => e.action === 'case.email_dropped');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ actorId: null, detail: { emailId: email!.id, emlSha256: email!.sha256, emlSize: SAMPLE.byteLength, reason: 'retention', retentionDays: 30 } });
    expect(JSON.stringify(events)).not.toContain('crime ref');
    expect(await db.dump('case_legal_holds')).not.toContain('crime ref');
    expect((await verifyAuditChain(deps)).firstBreak).toBeUndefined();
  });
});
