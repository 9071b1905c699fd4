import { fillSqliteDisk } from '../support/test-storage.ts';
import { startTeamsTestService, type TeamsTestService } from '../support/teams-test-service.ts';

// Longer than a page once sealed, so storing it needs new pages: what a full disk refuses.
const LONG_DESCRIPTION = 'Messages to a pupil from an adult they met in an online game, asking for photos. '.repeat(80);
const form = (formId: string) => ({ formId, types: 'online_bullying', location: 'outside_school', description: LONG_DESCRIPTION, childAtImmediateRisk: 'false' });

/** The Teams surface when the database cannot take a write: the person is told, and a retry of the same form files once. */
describe('Teams with a full SQLite disk', () => {
  let t: TeamsTestService;
  beforeAll(async () => {
    t = await startTeamsTestService('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  test('sending the form says nothing was saved and keeps the card; sending it again once space returns files one case', async () => {
    // Linked once before the disk fills, so the failure below is the report's own.
    await t.send('staff', { type: 'message', text: 'hello', conversation: { id: t.personalConversationOf('staff'), conversationType: 'personal' } });
    const freeSpace = await fillSqliteDisk(t.db);

    const refused = await t.press('staff', 'personal', 'report.submit', form('teams-disk-full-1'));
    // The invoke is answered (Teams shows the message and leaves the form as it was), not failed with a 500.
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: expect.stringContaining('Nothing was saved') });
    expect(await t.db.raw('select count(*) as n from cases')).toEqual([{ n: 0 }]);

    await freeSpace();
    const filed = await t.press('staff', 'personal', 'report.submit', form('teams-disk-full-1'));
    const again = await t.press('staff', 'personal', 'report.submit', form('teams-disk-full-1'));
    const referenceOf = (answer: { body: any }) => /CASE-\d{4}-\d{4}/.exec(JSON.stringify(answer.body))?.[0];
    expect(referenceOf(filed)).toMatch(/^CASE-/);
    expect(referenceOf(again)).toBe(referenceOf(filed));
    expect(await t.db.raw('select count(*) as n from cases')).toEqual([{ n: 1 }]);
  }, 60_000);
});
