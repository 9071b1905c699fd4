import { channelCardFor } from '../../../bot/teams/case-cards.ts';
import { CASE_ASSIGN, CASE_ASSIGN_TO_ME, CASE_INPUTS } from '../../../bot/teams/cards/verbs.ts';
import type { CaseCardContext } from '../../../src/app/cases/prepare-case-card.ts';
import { lastCaseActivity, summariseCase } from '../../../src/domain/case-summary.ts';
import type { Case } from '../../../src/domain/case.ts';
import type { CardJson } from '../../../bot/teams/cards/index.ts';
import { allNodes, inputById, libraryProblems, schemaProblems, structuralProblems, verbsOn } from './fixtures/card-checks.ts';
import { at, caseWithMarkers, MARKERS, NAMES } from './fixtures/sample-cases.ts';

/** The channel card as the delivery (shared) or a DSL's invoke answer (personal) builds it, from a case. */
function cardFor(current: Case, options: { forDsl: boolean; viewerId?: string; events?: { action: string; actorId: string | null; at: string }[] }): CardJson {
  const activity = lastCaseActivity((options.events ?? []) as Parameters<typeof lastCaseActivity>[0]);
  const context: CaseCardContext = {
    summary: summariseCase(current, (id) => NAMES[id]),
    handlers: [],
    viewerMayAct: options.forDsl,
    viewerMaySee: options.forDsl,
    viewerIsAssignee: Boolean(options.viewerId && options.viewerId === current.assigneeId),
    ...(activity ? { lastActivity: { label: activity.label, ...(activity.actorId ? { byName: NAMES[activity.actorId]! } : {}), at: activity.at } } : {}),
    assignable: options.forDsl
      ? [
          { personId: 'p-dee', displayName: 'Dee Dsl', roles: ['dsl'] },
          { personId: 'p-hal', displayName: 'Hal Head', roles: ['head', 'staff'] },
        ]
      : [],
  };
  return channelCardFor(context, { forDsl: options.forDsl, inChannel: true });
}

function factsOf(card: CardJson): Record<string, string> {
  const facts = (allNodes(card).find((node) => node.type === 'FactSet')?.facts ?? []) as { title: string; value: string }[];
  return Object.fromEntries(facts.map((fact) => [fact.title, fact.value]));
}

const worked = (): Case => {
  const current = caseWithMarkers('in_progress');
  // Two escalations: one with the agency's reference recorded, one without.
  return { ...current, escalations: [...current.escalations, { agency: 'police_ceop', byId: 'p-dee', at: at(12) }] };
};
const events = [
  { action: 'case.created', actorId: 'p-tess', at: at(0) },
  { action: 'case.note_added', actorId: 'p-dee', at: at(7) },
  { action: 'case.escalated', actorId: 'p-dee', at: at(12) },
  // Opening the case or the card being edited is not an action on it.
  { action: 'case.viewed', actorId: 'p-dan', at: at(13) },
  { action: 'case.card_posted', actorId: null, at: at(14) },
];

describe('the card shows progress', () => {
  it.each([
    ['shared', false],
    ['personal', true],
  ])('the card shows progress: steps done of total, escalations with whether a reference was recorded, assignee, last action and when (%s view)', (_name, forDsl) => {
    const current = worked();
    const card = cardFor(current, { forDsl, events });
    const facts = factsOf(card);
    const total = summariseCase(current, () => undefined).protocolSteps.length;
    expect(total).toBeGreaterThan(1);
    expect(facts['Protocol steps']).toBe(`1 of ${total} done`);
    expect(facts['Escalated to']).toBe('The platform or service provider (reference recorded); Police / CEOP (no reference yet)');
    expect(facts['Assigned to']).toBe('Dan Deputy');
    // In the school's time zone, like "Received": 08:12 UTC on 23 November is 08:12 in London (GMT).
    expect(facts['Last action']).toBe('Escalated by Dee Dsl, Mon, 23 Nov 2026, 08:12');
    // Nothing written on the case reaches a channel card: not the agency's reference, a note or the concern.
    const json = JSON.stringify(card);
    for (const marker of Object.values(MARKERS)) expect(json).not.toContain(marker);
    expect(libraryProblems(card)).toEqual([]);
    expect(schemaProblems(card)).toEqual([]);
    expect(structuralProblems(card)).toEqual([]);
  });

  it('the card shows progress: times follow British Summer Time like the rest of the card', () => {
    const summer = { ...worked(), createdAt: '2026-07-01T07:15:00Z' };
    const card = cardFor(summer, { forDsl: false, events: [{ action: 'case.assigned', actorId: 'p-dee', at: '2026-07-01T07:20:00Z' }] });
    expect(factsOf(card)['Last action']).toBe('Assigned by Dee Dsl, Wed, 1 Jul 2026, 08:20');
    expect(factsOf(card).Received).toBe('Wed, 1 Jul 2026, 08:15');
  });

  it('the card shows progress: DSL Desk\'s own urgent escalation is named without a person', () => {
    const card = cardFor(worked(), { forDsl: false, events: [...events, { action: 'case.urgent_unacknowledged', actorId: null, at: at(15) }] });
    expect(factsOf(card)['Last action']).toBe('Not picked up in time: deputies and head told, Mon, 23 Nov 2026, 08:15');
  });

  it('the card shows progress: no "Assign to me" for the person the case is assigned to; others are offered it', () => {
    const current = worked();
    expect(current.assigneeId).toBe('p-dan');
    expect(verbsOn(cardFor(current, { forDsl: true, viewerId: 'p-dan' }))).not.toContain(CASE_ASSIGN_TO_ME);
    expect(verbsOn(cardFor(current, { forDsl: true, viewerId: 'p-dee' }))).toContain(CASE_ASSIGN_TO_ME);
    // The shared card carries no buttons at all.
    expect(verbsOn(cardFor(current, { forDsl: false }))).not.toContain(CASE_ASSIGN_TO_ME);
  });

  it('the card shows progress: one form open at a time, every form in one set of at most five', () => {
    const card = cardFor(worked(), { forDsl: true, viewerId: 'p-dee' });
    const sets = allNodes(card).filter((node) => node.type === 'ActionSet');
    const withForms = sets.filter((set) => (set.actions as { type: string }[]).some((action) => action.type === 'Action.ShowCard'));
    expect(withForms).toHaveLength(1);
    for (const set of sets) expect((set.actions as unknown[]).length).toBeLessThanOrEqual(5);
    // Nested forms sit inside one of the set's own forms, so opening another form closes them too.
    const topForms = (withForms[0]!.actions as { title: string }[]).map((action) => action.title);
    expect(topForms).toEqual(['Add note', 'Protocol steps', 'Escalate', 'Assign to…', 'Urgency or close']);
    const shown = allNodes(card).filter((node) => node.type === 'Action.ShowCard');
    expect(shown.map((node) => node.title)).toEqual([...topForms, 'Change urgency', 'Close with outcome']);
    expect(card.actions).toBeUndefined();
  });
});

describe('assign to a colleague', () => {
  it('assign to a colleague: the personal view lists who may hold the case by name and role, and saves with its own verb', () => {
    const card = cardFor(worked(), { forDsl: true, viewerId: 'p-dee' });
    const choice = inputById(card, CASE_INPUTS.assignee);
    expect(choice).toMatchObject({ type: 'Input.ChoiceSet', isRequired: true, style: 'compact' });
    expect(choice?.choices).toEqual([
      { title: 'Dee Dsl (DSL)', value: 'p-dee' },
      { title: 'Hal Head (Headteacher)', value: 'p-hal' },
    ]);
    const save = allNodes(card).find((node) => node.type === 'Action.Execute' && node.verb === CASE_ASSIGN);
    expect(save).toMatchObject({ title: 'Assign', associatedInputs: 'auto', data: { caseId: worked().id } });
    expect(libraryProblems(card)).toEqual([]);
    expect(schemaProblems(card)).toEqual([]);
    expect(structuralProblems(card)).toEqual([]);
  });

  it('assign to a colleague: the shared card never carries the list', () => {
    const card = cardFor(worked(), { forDsl: false });
    expect(inputById(card, CASE_INPUTS.assignee)).toBeUndefined();
    expect(JSON.stringify(card)).not.toContain('Hal Head');
  });
});
