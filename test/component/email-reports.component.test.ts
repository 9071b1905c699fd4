import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { upnCheckLetter, type Pupil } from '../../src/domain/pupil.ts';
import { enginesUnderTest } from '../support/test-storage.ts';
import { startTestService, type TestService } from '../support/test-service.ts';

const SAMPLE = readFileSync(join(__dirname, '../../samples/emails/headteacher-gift-cards.eml'));
const NOTE = 'Looks like Harriet but the address is wrong';

/** A small message of our own, with an image attachment, to check what a safeguarding report keeps. */
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

describe.each(enginesUnderTest())('email reports on %s', (engine) => {
  let t: TestService;
  beforeEach(async () => {
    t = await startTestService(engine, { EMAIL_REPORT_MAX_MB: '1' });
  });
  afterEach(async () => {
    await t.close();
  });

  const post = async (token: string | undefined, body: Buffer | string, options: { choice?: string; note?: string; type?: string; key?: string; children?: string } = {}) =>
    t.request(`/api/v1/email-reports${options.choice ? `?choice=${options.choice}` : ''}`, {
      method: 'POST',
      ...(token ? { token } : {}),
      rawBody: body,
      headers: {
        'content-type': options.type ?? 'message/rfc822',
        ...(options.note ? { 'x-report-note': encodeURIComponent(options.note) } : {}),
        ...(options.key ? { 'idempotency-key': options.key } : {}),
        ...(options.children !== undefined ? { 'x-report-children': options.children } : {}),
      },
    });

  async function addPupil(forename: string, surname: string): Promise<Pupil> {
    const now = new Date().toISOString();
    const rest = `8813${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const pupil: Pupil = { id: randomUUID(), schoolId: t.schoolA.school.id, upn: `${upnCheckLetter(rest)}${rest}`, legalForename: forename, legalSurname: surname, dateOfBirth: '2016-03-04', yearGroup: '5', registrationGroup: '5B', createdAt: now, updatedAt: now };
    await t.service.deps.storage.transaction((tx) => tx.pupils.insert(pupil));
    return pupil;
  }
  const childrenHeader = (children: unknown) => encodeURIComponent(JSON.stringify(children));

  test('a reported email names children: picked and typed on a safeguarding report, added by a later reporter, refused on a phishing report', async () => {
    const ava = await addPupil('Ava', 'Penhaligon');
    const ben = await addPupil('Benedict', 'Trelawny');
    const staff = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const message = messageWithImage('children-1@elsewhere.example.net');

    const phishing = await post(staff, message, { choice: 'phishing', children: childrenHeader([{ pupilId: ava.id }]) });
    expect(phishing.status).toBe(400);
    expect(phishing.body.error.message).toMatch(/phishing report is about the message, not a child/);
    expect(phishing.body.error.fields).toEqual([expect.objectContaining({ path: 'children' })]);
    for (const bad of ['%7Bnot-json', childrenHeader([{ pupilId: 'not-an-id' }]), childrenHeader([{ pupilId: ava.id, name: 'Ava' }])]) {
      const refused = await post(staff, message, { choice: 'safeguarding', children: bad });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('invalid_input');
    }

    const filed = await post(staff, message, { choice: 'safeguarding', note: NOTE, children: childrenHeader([{ pupilId: ava.id }, { name: 'Jo from the bus' }]) });
    expect(filed.status).toBe(201);
    const caseId = filed.body.caseId as string;
    const childRows = async () => t.db.raw(`select pupil_id, typed_name from case_children where case_id = '${caseId}'`);
    expect(await childRows()).toHaveLength(2);

    // A second reporter of the same message names another child: the child joins the case.
    const second = await post(await t.tokenFor(t.schoolA.staff2, t.schoolA), message, { choice: 'safeguarding', children: childrenHeader([{ pupilId: ben.id }, { pupilId: ava.id }]) });
    expect(second.body).toMatchObject({ caseId, joinedExisting: true });
    // The first reporter again, with nothing new but a child: kept too, not dropped as a repeat.
    const third = await addPupil('Cai', 'Rowe');
    const again = await post(staff, message, { choice: 'safeguarding', note: NOTE, children: childrenHeader([{ pupilId: third.id }]) });
    expect(again.body).toMatchObject({ caseId, joinedExisting: true, duplicate: false });
    const rows = await childRows();
    expect(rows.map((row) => row.pupil_id).filter(Boolean).sort()).toEqual([ava.id, ben.id, third.id].sort());

    const dsl = await t.tokenFor(t.schoolA.dsl, t.schoolA);
    const view = await t.request(`/api/v1/cases/${caseId}`, { token: dsl });
    const names = (view.body.pupils.children as { name: string; toLink: boolean }[]).map((child) => [child.name, child.toLink]);
    expect(names).toEqual(expect.arrayContaining([['Ava Penhaligon', false], ['Benedict Trelawny', false], ['Cai Rowe', false], ['Jo from the bus', true]]));
    const audits = await t.db.raw(`select detail from audit_events where case_id = '${caseId}' and action in ('case.created', 'case.reporter_added')`);
    const details = audits.map((row) => (typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail) as { children?: number });
    expect(details.map((detail) => detail.children).sort()).toEqual([1, 1, 2]);
    expect(JSON.stringify(audits)).not.toMatch(/Jo from the bus|Penhaligon/);
  });

  test('a reported email becomes a case with its analysis; a repeat and a second reporter join it', async () => {
    const staff = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const first = await post(staff, SAMPLE, { choice: 'phishing', note: NOTE, key: 'report-0001' });
    expect(first.status).toBe(201);
    expect(first.body.reference).toMatch(/^CASE-\d{4}-0001$/);
    const again = await post(staff, SAMPLE, { choice: 'phishing', note: NOTE, key: 'report-0001' });
    expect(again.status).toBe(200);
    expect(again.body.caseId).toBe(first.body.caseId);
    const other = await post(await t.tokenFor(t.schoolA.staff2, t.schoolA), SAMPLE, { choice: 'phishing' });
    expect(other.body).toMatchObject({ caseId: first.body.caseId, joinedExisting: true });

    const dsl = await t.tokenFor(t.schoolA.dsl, t.schoolA);
    const view = await t.request(`/api/v1/cases/${first.body.caseId}`, { token: dsl });
    expect(view.body.case.reporters).toHaveLength(2);
    expect(view.body.case.concern.description).toBe(NOTE);
    expect(view.body.emails).toHaveLength(1);
    expect(view.body.emails[0].analysis.verdict).toBe('likely_phishing');
    expect(view.body.emails[0].analysis.signals.length).toBeGreaterThan(2);
    expect(view.body.emails[0].contentKept).toBe(true);
    // Stored sealed: the stored bytes are not the message, and neither the analysis (subject, sender) nor the note is readable.
    const rows = await t.db.raw('select content, analysis from email_messages');
    const stored = Buffer.from(rows[0]!.content as Uint8Array);
    expect(stored.byteLength).toBeGreaterThan(SAMPLE.byteLength);
    expect(stored.includes(Buffer.from('Quick favour'))).toBe(false);
    expect(stored.includes(Buffer.from('gift cards'))).toBe(false);
    expect(String(rows[0]!.analysis)).not.toContain('Quick favour');
    expect(String(rows[0]!.analysis)).not.toContain('harriet');
    expect(await t.db.dump('cases')).not.toContain('Looks like Harriet');

    // IT may download it (the download is audited); a member of staff may not.
    const it = await t.tokenFor(t.schoolA.it, t.schoolA);
    const download = await t.request(`/api/v1/cases/${first.body.caseId}/emails/${view.body.emails[0].id}/eml`, { token: it });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/message\/rfc822/);
    expect(String(download.body)).toContain('Quick favour before assembly');
    const refused = await t.request(`/api/v1/cases/${first.body.caseId}/emails/${view.body.emails[0].id}/eml`, { token: staff });
    expect(refused.status).toBe(403);
    const chronology = (await t.request(`/api/v1/cases/${first.body.caseId}`, { token: dsl })).body.chronology.map((e: { action: string }) => e.action);
    expect(chronology).toContain('case.email_downloaded');
  });

  test('a safeguarding report keeps no attachment, only its name, type, size and hash', async () => {
    const staff = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const reported = await post(staff, messageWithImage('img-1@elsewhere.example.net'), { choice: 'safeguarding', note: 'A pupil sent this to a teacher' });
    expect(reported.status).toBe(201);
    const dsl = await t.tokenFor(t.schoolA.dsl, t.schoolA);
    const view = await t.request(`/api/v1/cases/${reported.body.caseId}`, { token: dsl });
    const [email] = view.body.emails;
    expect(email).toMatchObject({ contentKept: false, attachmentsWithheld: true });
    expect(email.analysis.attachments).toEqual([expect.objectContaining({ filename: 'photo.png', size: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
    const rows = await t.db.raw('select content from email_messages');
    expect(rows[0]!.content).toBeNull();
    const download = await t.request(`/api/v1/cases/${reported.body.caseId}/emails/${email.id}/eml`, { token: dsl });
    expect(download.status).toBe(404);
    expect(download.body.error.message).toContain('safeguarding concern');
  });

  test('no images kept from inappropriate content reports either: through the API, and a DSL changing the types purges what a phishing report kept', async () => {
    const staff = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const dsl = await t.tokenFor(t.schoolA.dsl, t.schoolA);
    const inappropriate = await post(staff, messageWithImage('inapp-1@elsewhere.example.net'), { choice: 'inappropriate', note: 'Sent to the office' });
    expect(inappropriate.status).toBe(201);
    const [withheld] = (await t.request(`/api/v1/cases/${inappropriate.body.caseId}`, { token: dsl })).body.emails;
    expect(withheld).toMatchObject({ contentKept: false, attachmentsWithheld: true });
    expect(withheld.analysis.attachments[0]).toMatchObject({ filename: 'photo.png', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await t.request(`/api/v1/cases/${inappropriate.body.caseId}/emails/${withheld.id}/eml`, { token: dsl })).status).toBe(404);

    const phishing = await post(staff, messageWithImage('phish-img-1@elsewhere.example.net'), { choice: 'phishing' });
    const caseUrl = `/api/v1/cases/${phishing.body.caseId}`;
    const [kept] = (await t.request(caseUrl, { token: dsl })).body.emails;
    expect(kept.contentKept).toBe(true);
    const it = await t.tokenFor(t.schoolA.it, t.schoolA);
    expect((await t.request(`${caseUrl}/actions`, { token: it, body: { action: 'change_types', types: ['nudes_semi_nudes'], reason: 'x' } })).status).toBe(403);
    const noReason = await t.request(`${caseUrl}/actions`, { token: dsl, body: { action: 'change_types', types: ['nudes_semi_nudes'] } });
    expect(noReason.status).toBe(400);
    expect((await t.request(`${caseUrl}/actions`, { token: dsl, body: { action: 'change_types', types: ['not_a_type'], reason: 'x' } })).status).toBe(400);
    const changed = await t.request(`${caseUrl}/actions`, { token: dsl, body: { action: 'change_types', types: ['nudes_semi_nudes'], reason: 'The image is of a pupil' } });
    expect(changed.status).toBe(200);
    expect(changed.body.case).toMatchObject({ types: ['nudes_semi_nudes'], urgency: 'urgent' });
    expect(changed.body.emails[0]).toMatchObject({ contentKept: false, attachmentsWithheld: true });
    const purged = changed.body.chronology.find((e: { action: string }) => e.action === 'case.email_purged');
    expect(purged.detail).toMatchObject({ emailId: kept.id, emlSha256: kept.sha256, attachmentSha256: kept.analysis.attachments[0].sha256 });
    expect((await t.request(`${caseUrl}/emails/${kept.id}/eml`, { token: dsl })).status).toBe(404);
    expect((await t.db.raw('select id, content from email_messages')).find((row) => row.id === kept.id)!.content).toBeNull();
  });

  test('a reported email is evidence while its case is open: a DSL places and lifts a legal hold through the API', async () => {
    const staff = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const dsl = await t.tokenFor(t.schoolA.dsl, t.schoolA);
    const filed = await post(staff, SAMPLE, { choice: 'phishing' });
    const caseUrl = `/api/v1/cases/${filed.body.caseId}`;
    expect((await t.request(`${caseUrl}/actions`, { token: await t.tokenFor(t.schoolA.it, t.schoolA), body: { action: 'place_legal_hold', reason: 'x' } })).status).toBe(403);
    expect((await t.request(`${caseUrl}/actions`, { token: dsl, body: { action: 'place_legal_hold' } })).status).toBe(400);
    const held = await t.request(`${caseUrl}/actions`, { token: dsl, body: { action: 'place_legal_hold', reason: 'Police request 2026/77' } });
    expect(held.status).toBe(200);
    expect(held.body.legalHold).toMatchObject({ reason: 'Police request 2026/77' });
    expect((await t.request(`${caseUrl}/actions`, { token: dsl, body: { action: 'place_legal_hold', reason: 'again' } })).status).toBe(409);
    const lifted = await t.request(`${caseUrl}/actions`, { token: dsl, body: { action: 'lift_legal_hold' } });
    expect(lifted.status).toBe(200);
    expect(lifted.body.legalHold).toBeUndefined();
    expect(lifted.body.chronology.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['case.legal_hold_placed', 'case.legal_hold_lifted']));
  });

  test('the same email reported as phishing and as a safeguarding concern makes two cases; IT sees only the phishing one', async () => {
    const eml = messageWithImage('same-1@elsewhere.example.net');
    const phishing = await post(await t.tokenFor(t.schoolA.staff, t.schoolA), eml, { choice: 'phishing' });
    const safeguarding = await post(await t.tokenFor(t.schoolA.staff2, t.schoolA), eml, { choice: 'safeguarding', note: 'The photo is of a pupil' });
    expect(safeguarding.body.caseId).not.toBe(phishing.body.caseId);
    const it = await t.tokenFor(t.schoolA.it, t.schoolA);
    expect((await t.request(`/api/v1/cases/${phishing.body.caseId}`, { token: it })).status).toBe(200);
    const hidden = await t.request(`/api/v1/cases/${safeguarding.body.caseId}`, { token: it });
    expect(hidden.status).toBe(404);
    // And the safeguarding case keeps no message, whatever the other case kept.
    const dsl = await t.tokenFor(t.schoolA.dsl, t.schoolA);
    const view = await t.request(`/api/v1/cases/${safeguarding.body.caseId}`, { token: dsl });
    expect(view.body.emails[0]).toMatchObject({ contentKept: false, attachmentsWithheld: true });
    expect(view.body.case.concern.evidence).toMatch(/not kept/);
  });

  test('a long note in any language arrives whole', async () => {
    const note = 'Ученик получил это сообщение. 生徒がこのメッセージを受け取りました。'.repeat(40).slice(0, 2000);
    const reported = await post(await t.tokenFor(t.schoolA.staff, t.schoolA), SAMPLE, { choice: 'phishing', note });
    expect(reported.status).toBe(201);
    const view = await t.request(`/api/v1/cases/${reported.body.caseId}`, { token: await t.tokenFor(t.schoolA.dsl, t.schoolA) });
    expect(view.body.case.concern.description).toBe(note);
  });

  test('bad uploads get 401, 400 or 413 with a message saying what to send, and never a 500', async () => {
    const staff = await t.tokenFor(t.schoolA.staff, t.schoolA);
    expect((await post(undefined, SAMPLE)).status).toBe(401);
    const wrongType = await post(staff, '{"a":1}', { type: 'application/json' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toContain('message/rfc822');
    const empty = await post(staff, '');
    expect(empty.status).toBe(400);
    const notMail = await post(staff, Buffer.from([0, 1, 2, 3, 255, 254, 0, 0]));
    expect(notMail.status).toBe(400);
    expect(notMail.body.error.message).toMatch(/email message/);
    const badChoice = await post(staff, SAMPLE, { choice: 'spam' });
    expect(badChoice.status).toBe(400);
    const tooLarge = await post(staff, Buffer.concat([SAMPLE, Buffer.alloc(1_200_000, 0x41)]));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.message).toContain('1 MB');
    expect((await t.request('/healthz')).status).toBe(200);
    const rows = await t.db.raw('select count(*) as n from cases');
    expect(Number(rows[0]!.n)).toBe(0);
  });
});

describe('a 35 MB email through the endpoint', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  test('is accepted, analysed and sealed; one byte over the limit is refused', async () => {
    const attachment = Buffer.alloc(24 * 1024 * 1024, 7);
    const head = [
      'From: "Trips Office" <trips@travel-bookings.example.net>',
      'To: staff@oakfield.example.org',
      'Subject: Residential trip photos',
      'Message-ID: <big-1@travel-bookings.example.net>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="big"',
      '',
      '--big',
      'Content-Type: text/plain',
      '',
      'All the photos from the trip are attached.',
      '--big',
      'Content-Type: application/octet-stream; name="photos.bin"',
      'Content-Disposition: attachment; filename="photos.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      '',
    ].join('\r\n');
    const body = Buffer.concat([Buffer.from(head), Buffer.from(attachment.toString('base64').replace(/.{76}/g, '$&\r\n')), Buffer.from('\r\n--big--\r\n')]);
    expect(body.byteLength).toBeGreaterThan(32 * 1024 * 1024);
    expect(body.byteLength).toBeLessThan(35 * 1024 * 1024);
    const staff = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const response = await t.request('/api/v1/email-reports?choice=phishing', { method: 'POST', token: staff, rawBody: body, headers: { 'content-type': 'message/rfc822' } });
    expect(response.status).toBe(201);
    const [email] = await t.service.deps.storage.read((r) => r.emails.listForCase(t.schoolA.school.id, response.body.caseId));
    expect(email).toMatchObject({ size: body.byteLength, contentKept: true });
    expect(email!.analysis.attachments[0]).toMatchObject({ filename: 'photos.bin', size: attachment.byteLength });
    const content = await t.service.deps.storage.read((r) => r.emails.getContent(t.schoolA.school.id, email!.id));
    expect(content?.equals(body)).toBe(true);

    const over = Buffer.concat([body, Buffer.alloc(35 * 1024 * 1024 - body.byteLength + 1, 0x41)]);
    const refused = await t.request('/api/v1/email-reports', { method: 'POST', token: staff, rawBody: over, headers: { 'content-type': 'message/rfc822' } });
    expect(refused.status).toBe(413);
    expect(refused.body.error.message).toContain('35 MB');
  }, 60_000);
});

