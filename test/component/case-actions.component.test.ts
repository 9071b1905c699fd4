import type { AppDeps } from '../../src/app/deps.ts';
import { getCase } from '../../src/app/cases/get-case.ts';
import { reportConcern } from '../../src/app/cases/report-concern.ts';
import { concernSchema } from '../../src/domain/concern.ts';
import type { Actor } from '../../src/domain/roles.ts';
import { startTeamsTestService, type TeamsTestService } from '../support/teams-test-service.ts';
import { startTestService, type TestService } from '../support/test-service.ts';
import { enginesUnderTest } from '../support/test-storage.ts';

const concern = concernSchema.parse({ types: ['online_bullying'], location: 'outside_school', description: 'Messages sent to a pupil late at night.', involved: [{ group: 'child', name: 'Pupil One' }] });

/** The same six actions, as the REST API takes them and as the Teams case card sends them. */
const steps = (deputyId: string) => [
  { rest: { action: 'acknowledge' }, teams: ['case.acknowledge', {}] },
  { rest: { action: 'assign', assigneeId: deputyId }, teams: ['case.assign', { assigneeId: deputyId }] },
  { rest: { action: 'note', text: 'Spoke to the form tutor.' }, teams: ['case.add_note', { note: 'Spoke to the form tutor.' }] },
  { rest: { action: 'change_urgency', urgency: 'low', reason: 'A second pupil is involved.' }, teams: ['case.change_urgency', { urgency: 'low', urgencyReason: 'A second pupil is involved.' }] },
  { rest: { action: 'escalate', agency: 'police_ceop', reference: 'CEOP-77' }, teams: ['case.escalate', { agency: 'police_ceop', agencyReference: 'CEOP-77' }] },
  { rest: { action: 'close', outcome: 'Resolved with the family.' }, teams: ['case.close', { outcome: 'Resolved with the family.' }] },
] as const;

/** What the actions wrote to the case's audit trail, without who, when or the ids that differ between the two services. */
async function actionTrail(deps: AppDeps, dsl: Actor, caseId: string, people: Record<string, string>): Promise<unknown[]> {
  const view = await getCase(deps, { actor: dsl, caseId });
  // Ids made when the action ran (a note's id) differ between the services; people are named by their part.
  const named = (key: string, value: unknown) => (typeof value === 'string' && people[value] ? people[value] : key.endsWith('Id') && typeof value === 'string' ? '<id>' : value);
  return view.chronology
    .filter((event) => event.actorId === dsl.personId && !/viewed|opened|access/.test(event.action))
    .map((event) => ({ action: event.action, detail: Object.fromEntries(Object.entries(event.detail).map(([key, value]) => [key, named(key, value)])) }));
}

describe.each(enginesUnderTest())('one way to act on a case on %s', (engine) => {
  let api: TestService;
  let teams: TeamsTestService;
  beforeAll(async () => {
    api = await startTestService(engine);
    teams = await startTeamsTestService(engine);
  });
  afterAll(async () => {
    await teams?.close();
    await api?.close();
  });

  test('one way to act on a case: the same command from REST and from a Teams card writes the same audit events', async () => {
    const restCase = await reportConcern(api.service.deps, { actor: api.schoolA.staff, concern, channel: 'api' });
    const teamsCase = await reportConcern(teams.service.deps, { actor: teams.school.staff, concern, channel: 'api' });
    const token = await api.tokenFor(api.schoolA.dsl, api.schoolA);

    for (const step of steps(api.schoolA.deputy.personId)) {
      const answer = await api.request(`/api/v1/cases/${restCase.caseId}/actions`, { token, body: step.rest });
      expect([step.rest.action, answer.status, answer.status === 200 ? '' : answer.body.error?.message]).toEqual([step.rest.action, 200, '']);
    }
    for (const step of steps(teams.school.deputy.personId)) {
      const [verb, data] = step.teams;
      const answer = await teams.press('dsl', 'personal', verb, { ...data, caseId: teamsCase.caseId });
      expect(answer.body?.type).toBe('application/vnd.microsoft.card.adaptive');
    }

    const fromRest = await actionTrail(api.service.deps, api.schoolA.dsl, restCase.caseId, { [api.schoolA.deputy.personId]: 'deputy' });
    const fromTeams = await actionTrail(teams.service.deps, teams.school.dsl, teamsCase.caseId, { [teams.school.deputy.personId]: 'deputy' });
    expect(fromRest.map((event) => (event as { action: string }).action)).toEqual(expect.arrayContaining(['case.acknowledged', 'case.closed']));
    expect(fromRest.length).toBeGreaterThanOrEqual(6);
    expect(fromTeams).toEqual(fromRest);
  });

  test('one way to act on a case: an invalid command is refused the same way from both, with the field message', async () => {
    const restCase = await reportConcern(api.service.deps, { actor: api.schoolA.staff, concern, channel: 'api' });
    const teamsCase = await reportConcern(teams.service.deps, { actor: teams.school.staff, concern, channel: 'api' });
    const token = await api.tokenFor(api.schoolA.dsl, api.schoolA);
    const rest = await api.request(`/api/v1/cases/${restCase.caseId}/actions`, { token, body: { action: 'change_urgency', urgency: 'high', reason: ' ' } });
    expect(rest.status).toBe(400);
    expect(rest.body.error.fields).toEqual([{ path: 'reason', message: 'Say why the urgency is changing.' }]);
    const card = await teams.press('dsl', 'personal', 'case.change_urgency', { caseId: teamsCase.caseId, urgency: 'high', urgencyReason: ' ' });
    expect(card.body.type).toBe('application/vnd.microsoft.activity.message');
    expect(card.body.value).toBe('Say why the urgency is changing.');
    expect((await getCase(teams.service.deps, { actor: teams.school.dsl, caseId: teamsCase.caseId })).case.urgency).toBe((await getCase(api.service.deps, { actor: api.schoolA.dsl, caseId: restCase.caseId })).case.urgency);
  });
});
