import { getCase } from '../../src/app/cases/get-case.ts';
import { grantRole } from '../../src/app/people/grant-role.ts';
import { listAccessEvents } from '../../src/app/cases/list-access-events.ts';
import { OPERATOR } from '../../src/app/deps.ts';
import { addPerson } from '../../src/app/people/add-person.ts';
import { addSchool } from '../../src/app/organisations/add-school.ts';
import { STAFF_DATASET } from '../../bot/teams/cards/concern-form.ts';
import { enginesUnderTest } from '../support/test-storage.ts';
import { BOT_APP_ID, startTeamsTestService, type TeamsTestService } from '../support/teams-test-service.ts';

const CARD = 'application/vnd.microsoft.card.adaptive';
const SECRET = 'Marigold Featherstonehaugh was messaged privately late at night';

const cardOf = (answer: { body: any }) => {
  expect(answer.body?.type).toBe(CARD);
  return answer.body.value as Record<string, unknown>;
};

const form = (formId: string, overrides: Record<string, string> = {}) => ({
  formId,
  types: 'online_bullying',
  location: 'inside_school',
  description: SECRET,
  childAtImmediateRisk: 'false',
  ...overrides,
});

function verbsOf(card: unknown): string[] {
  const verbs: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'Action.Execute' && typeof record.verb === 'string') verbs.push(record.verb);
    for (const [key, value] of Object.entries(record)) if (key !== 'refresh' && key !== 'fallback') walk(value);
  };
  walk(card);
  return verbs;
}

describe.each(enginesUnderTest())('allegations about staff in Teams on %s', (engine) => {
  let t: TeamsTestService;
  beforeEach(async () => {
    t = await startTeamsTestService(engine);
  });
  afterEach(async () => {
    await t.close();
  });

  const setUpChannel = async () => {
    const answer = await t.send('dsl', {
      text: '<at>DSL Desk</at> use this channel for cases',
      entities: [{ type: 'mention', text: '<at>DSL Desk</at>', mentioned: { id: `28:${BOT_APP_ID}`, name: 'DSL Desk' } }],
      conversation: { id: `${t.channelConversation};messageid=100`, conversationType: 'channel', isGroup: true, tenantId: t.tenantId },
      channelData: { tenant: { id: t.tenantId }, team: { id: '19:team@thread.tacv2' }, channel: { id: t.channelConversation } },
    });
    expect(answer.status).toBe(200);
  };
  const search = (from: 'staff' | 'dsl', queryText: string, dataset = STAFF_DATASET) =>
    t.send(from, { type: 'invoke', name: 'application/search', value: { queryText, queryOptions: { skip: 0, top: 15 }, dataset } });
  const personalMessages = (person: Parameters<TeamsTestService['personalConversationOf']>[0]) => t.connector.activities(t.personalConversationOf(person));
  const onlyCase = async () => (await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 })))[0]!;

  test('allegations about staff from every surface: the form searches our own people records and Teams gets its search response format', async () => {
    // Someone of the same name in another school of the deployment is never offered.
    const other = await addSchool(t.service.deps, { name: 'Elsewhere Primary', slug: 'elsewhere' });
    await addPerson(t.service.deps, { actor: OPERATOR, schoolId: other.id, person: { displayName: 'Alex Teacherton', email: 'alex@elsewhere.example.org', roles: ['staff'] } });

    const form = cardOf(await t.press('staff', 'personal', 'report.start', {}));
    const picker = JSON.stringify(form);
    expect(picker).toContain(`"choices.data":{"type":"Data.Query","dataset":"${STAFF_DATASET}"`);
    expect(picker).toContain('"id":"subjectPersonId"');

    const answer = await search('staff', 'alex');
    // The invoke response Teams expects: HTTP 200 with the search response as the body.
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      type: 'application/vnd.microsoft.search.searchResponse',
      value: { results: [{ title: 'Alex Teacher', value: t.school.staff2.personId }] },
    });
    // Names and ids only: no email, no roles.
    expect(JSON.stringify(answer.body)).not.toMatch(/@|staff2|roles/);
    // One letter lists nobody; an unknown dataset is answered in Teams' error format.
    expect((await search('staff', 'a')).body.value.results).toEqual([]);
    expect((await search('staff', 'alex', 'somebody-elses')).body).toMatchObject({ type: 'application/vnd.microsoft.error', value: { code: 'NotFound' } });
  });

  test('allegations about staff from every surface: naming the DSL in the Teams form restricts the case, and the DSL never sees it', async () => {
    await setUpChannel();
    await t.send('head', { type: 'installationUpdate', action: 'add' });
    const receipt = cardOf(await t.press('staff', 'personal', 'report.submit', form('form-about-dsl', { subjectPersonId: t.school.dsl.personId })));
    const reference = /CASE-\d{4}-\d{4}/.exec(JSON.stringify(receipt))![0];
    const created = await onlyCase();
    expect(created.restricted).toBe(true);
    expect(created.types).toEqual(['online_bullying', 'staff_allegation']);
    expect(created.subjectPersonId).toBe(t.school.dsl.personId);

    // The head is told in person; the DSL (the subject) can neither open it nor work its card.
    await t.waitFor(() => personalMessages('head').find((a) => JSON.stringify(a).includes(reference)));
    await expect(getCase(t.service.deps, { actor: t.school.dsl, caseId: created.id })).rejects.toMatchObject({ code: 'not_found' });
    const dslCard = cardOf(await t.press('dsl', 'channel', 'case.refresh', { caseId: created.id }));
    expect(verbsOf(dslCard)).toEqual([]);
    expect(JSON.stringify(dslCard)).not.toContain('Marigold');
    expect(personalMessages('dsl').some((a) => JSON.stringify(a).includes(reference))).toBe(false);
    const opened = await getCase(t.service.deps, { actor: t.school.head, caseId: created.id });
    expect(opened.protocols.map((p) => p.code)).toContain('staff_allegation');
  });

  test('allegations about staff from every surface: an allegation about the headteacher goes to the chair of governors, not to the head; the LADO step is on the checklist', async () => {
    await setUpChannel();
    await grantRole(t.service.deps, { actor: OPERATOR, schoolId: t.school.school.id, personId: t.school.governor.personId, role: 'chair_of_governors' });
    const chair = { ...t.school.governor, roles: [...t.school.governor.roles, 'chair_of_governors' as const] };
    for (const who of ['head', 'governor'] as const) await t.send(who, { type: 'installationUpdate', action: 'add' });

    // The form comes back with a mistake to fix: the chosen person is still shown by name.
    const back = cardOf(await t.press('staff', 'personal', 'report.submit', form('form-about-head', { subjectPersonId: t.school.head.personId, description: '' })));
    expect(JSON.stringify(back)).toContain(`{"title":"Hana Head","value":"${t.school.head.personId}"}`);

    const receipt = cardOf(await t.press('staff', 'personal', 'report.submit', form('form-about-head', { subjectPersonId: t.school.head.personId })));
    const reference = /CASE-\d{4}-\d{4}/.exec(JSON.stringify(receipt))![0];
    const created = await onlyCase();
    expect(created.aboutHeadteacher).toBe(true);

    const toChair = await t.waitFor(() => personalMessages('governor').find((a) => JSON.stringify(a).includes(reference)));
    expect(verbsOf((toChair as any).attachments[0].content)).toEqual(expect.arrayContaining(['case.open', 'case.acknowledge']));
    expect(personalMessages('head').some((a) => JSON.stringify(a).includes(reference))).toBe(false);
    await expect(getCase(t.service.deps, { actor: t.school.head, caseId: created.id })).rejects.toMatchObject({ code: 'not_found' });

    const asChair = await getCase(t.service.deps, { actor: chair, caseId: created.id });
    expect(asChair.canAct).toBe(true);
    const checklist = asChair.protocols.find((p) => p.code === 'staff_allegation')!;
    expect(checklist.steps.map((s) => s.code)).toContain('lado_consulted');
    // The chair works the checklist from the card: the LADO step is ticked and recorded.
    cardOf(await t.press('governor', 'personal', 'case.tick_steps', { caseId: created.id, 'step:staff_allegation.lado_consulted': 'true' }));
    const after = await getCase(t.service.deps, { actor: t.school.dsl, caseId: created.id });
    expect(after.case.protocolTicks).toEqual([expect.objectContaining({ step: 'staff_allegation.lado_consulted', byId: t.school.governor.personId })]);
  });

  test('every access is logged: a card refresh (case.refresh) is an access event, like opening the case', async () => {
    await setUpChannel();
    cardOf(await t.press('staff', 'personal', 'report.submit', form('form-refresh')));
    const created = await onlyCase();
    cardOf(await t.press('dsl', 'channel', 'case.refresh', { caseId: created.id }));
    cardOf(await t.press('staff2', 'channel', 'case.refresh', { caseId: created.id }));
    const { entries } = await listAccessEvents(t.service.deps, { actor: t.school.dsl, schoolId: t.school.school.id, filter: { caseReference: created.reference } });
    const refreshes = entries.filter((e) => e.action === 'case.card_viewed');
    expect(refreshes.map((e) => [e.personId, e.detail.mayView])).toEqual([
      [t.school.dsl.personId, true],
      [t.school.staff2.personId, false],
    ]);
    expect(refreshes[0]).toMatchObject({ caseReference: created.reference, detail: { surface: 'teams', trigger: 'manual' } });
  });
});
