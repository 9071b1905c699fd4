import { addSchool } from '../../src/app/organisations/add-school.ts';
import { startRemoval, type MailboxRemoval } from '../../src/domain/mailbox-removal.ts';
import { depsFor } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

describe.each(enginesUnderTest())('"remove from every mailbox" progress on %s', (engine) => {
  let db: TestStorage;
  beforeEach(async () => {
    db = await createTestStorage(engine);
  });
  afterEach(async () => {
    await db.cleanup();
  });

  test('a run is saved after each batch and read back exactly, per school and email; a new run replaces a finished one', async () => {
    const school = await addSchool(depsFor(db.storage), { name: 'Oakfield Primary', slug: 'oakfield', googleDomain: 'oakfield.example.org' });
    const other = await addSchool(depsFor(db.storage), { name: 'Elmwood Primary', slug: 'elmwood', googleDomain: 'elmwood.example.org' });
    const get = (schoolId: string, emailId: string) => db.storage.read((r) => r.mailboxRemovals.get(schoolId, emailId));
    const save = (removal: MailboxRemoval) => db.storage.transaction((tx) => tx.mailboxRemovals.save(removal));

    const started = startRemoval({ schoolId: school.id, caseId: 'case-1', emailId: 'email-1', provider: 'gmail', requestedBy: 'person-dsl', now: '2026-11-23T09:00:00.000Z' });
    await save(started);
    expect(await get(school.id, 'email-1')).toEqual({
      schoolId: school.id,
      caseId: 'case-1',
      emailId: 'email-1',
      provider: 'gmail',
      state: 'running',
      cursor: { pageToken: null, index: 0 },
      mailboxesTotal: null,
      mailboxesSearched: 0,
      mailboxesFailed: 0,
      found: 0,
      moved: 0,
      failed: 0,
      requestedBy: 'person-dsl',
      startedAt: '2026-11-23T09:00:00.000Z',
      updatedAt: '2026-11-23T09:00:00.000Z',
      finishedAt: null,
    });
    // Another school's email of the same id is its own.
    expect(await get(other.id, 'email-1')).toBeUndefined();

    const batch: MailboxRemoval = { ...started, mailboxesTotal: 300, cursor: { pageToken: 'Q0FFU0FB-page-2', index: 17 }, mailboxesSearched: 117, mailboxesFailed: 3, found: 4, moved: 3, failed: 1, updatedAt: '2026-11-23T09:01:00.000Z' };
    await save(batch);
    expect(await get(school.id, 'email-1')).toEqual(batch);

    const finished: MailboxRemoval = { ...batch, state: 'finished', cursor: { pageToken: null, index: 0 }, mailboxesSearched: 297, updatedAt: '2026-11-23T09:05:00.000Z', finishedAt: '2026-11-23T09:05:00.000Z' };
    await save(finished);
    await save(startRemoval({ schoolId: school.id, caseId: 'case-1', emailId: 'email-2', provider: 'graph', requestedBy: 'person-it', now: '2026-11-23T09:10:00.000Z' }));
    expect((await db.storage.read((r) => r.mailboxRemovals.listForCase(school.id, 'case-1'))).map((removal) => [removal.emailId, removal.state])).toEqual([
      ['email-2', 'running'],
      ['email-1', 'finished'],
    ]);
    expect(await db.storage.read((r) => r.mailboxRemovals.listForCase(other.id, 'case-1'))).toEqual([]);

    // Asked again once finished: the same row starts over.
    const again = startRemoval({ schoolId: school.id, caseId: 'case-1', emailId: 'email-1', provider: 'gmail', requestedBy: 'person-dsl', now: '2026-11-24T08:00:00.000Z' });
    await save(again);
    expect(await get(school.id, 'email-1')).toEqual(again);
    const rows = await db.raw('select count(*) as n from mailbox_removals');
    expect(Number(rows[0]!.n)).toBe(2);
  });

  test('a save inside a transaction that fails leaves the last saved progress', async () => {
    const school = await addSchool(depsFor(db.storage), { name: 'Oakfield Primary', slug: 'oakfield', googleDomain: 'oakfield.example.org' });
    const started = startRemoval({ schoolId: school.id, caseId: 'case-1', emailId: 'email-1', provider: 'gmail', requestedBy: 'person-dsl', now: '2026-11-23T09:00:00.000Z' });
    await db.storage.transaction((tx) => tx.mailboxRemovals.save({ ...started, mailboxesSearched: 25, cursor: { pageToken: null, index: 25 } }));
    await expect(
      db.storage.transaction(async (tx) => {
        await tx.mailboxRemovals.save({ ...started, mailboxesSearched: 50, cursor: { pageToken: null, index: 50 } });
        throw new Error('the batch’s audit event could not be written');
      }),
    ).rejects.toThrow('could not be written');
    expect(await db.storage.read((r) => r.mailboxRemovals.get(school.id, 'email-1'))).toMatchObject({ mailboxesSearched: 25, cursor: { pageToken: null, index: 25 } });
  });
});
