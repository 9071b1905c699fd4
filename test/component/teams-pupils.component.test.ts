import { randomUUID } from 'node:crypto';
import { PUPIL_DATASET } from '../../bot/teams/cards/concern-form.ts';
import { recordProtectionStatus } from '../../src/app/pupils/record-protection-status.ts';
import { upnCheckLetter, type Pupil } from '../../src/domain/pupil.ts';
import { libraryProblems, schemaProblems, structuralProblems } from '../unit/bot/fixtures/card-checks.ts';
import { enginesUnderTest } from '../support/test-storage.ts';
import { BOT_APP_ID, startTeamsTestService, type PersonKey, type TeamsTestService } from '../support/teams-test-service.ts';

const CARD = 'application/vnd.microsoft.card.adaptive';
const SECRET = 'Persephone Underhill said her older cousin took her phone';

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

function upnFor(n: number): string {
  const rest = `20120${String(n).padStart(7, '0')}`;
  return `${upnCheckLetter(rest)}${rest}`;
}

/** Every Action.Execute verb on a card. */
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

describe.each(enginesUnderTest())('pupils in Teams on %s', (engine) => {
  let t: TeamsTestService;
  let sam: Pupil;
  let ffion: Pupil;
  beforeEach(async () => {
    t = await startTeamsTestService(engine);
    const at = t.clock.now().toISOString();
    const schoolId = t.school.school.id;
    sam = { id: randomUUID(), schoolId, upn: upnFor(1), legalForename: 'Samantha', legalSurname: 'Green', preferredForename: 'Sam', dateOfBirth: '2016-03-14', yearGroup: '5', registrationGroup: '5G', createdAt: at, updatedAt: at };
    ffion = { id: randomUUID(), schoolId, upn: upnFor(2), legalForename: 'Ffion', legalSurname: 'Llŷr', dateOfBirth: '2015-11-02', yearGroup: '6', createdAt: at, updatedAt: at };
    const leaver: Pupil = { id: randomUUID(), schoolId, upn: upnFor(3), legalForename: 'Samuel', legalSurname: 'Gone', dateOfBirth: '2014-01-01', leftOn: '2026-07-20', createdAt: at, updatedAt: at };
    await t.service.deps.storage.transaction(async (tx) => {
      for (const pupil of [sam, ffion, leaver]) await tx.pupils.insert(pupil);
    });
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
  const search = (from: PersonKey, queryText: string) => t.send(from, { type: 'invoke', name: 'application/search', value: { queryText, queryOptions: { skip: 0, top: 15 }, dataset: PUPIL_DATASET } });

  test('the form searches the school’s pupils: Teams’ search response, names, year and class only, no leavers', async () => {
    const formCard = cardOf(await t.press('staff', 'personal', 'report.start', {}));
    const text = JSON.stringify(formCard);
    expect(text).toContain(`"choices.data":{"type":"Data.Query","dataset":"${PUPIL_DATASET}"`);
    for (const id of ['childIds', 'otherChildIds', 'witnessChildIds', 'childNames']) expect(text).toContain(`"id":"${id}"`);
    expect(libraryProblems(formCard as never)).toEqual([]);
    expect(schemaProblems(formCard as never)).toEqual([]);
    expect(structuralProblems(formCard as never)).toEqual([]);

    const answer = await search('staff', 'sam');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ type: 'application/vnd.microsoft.search.searchResponse', value: { results: [{ title: 'Sam Green (Year 5, 5G)', value: sam.id }] } });
    // No date of birth, no UPN, no legal forename the child does not use.
    expect(JSON.stringify(answer.body)).not.toMatch(/2016|Samantha|20120/);
    // Accents folded: "llyr" finds Ffion Llŷr.
    expect((await search('staff', 'llyr')).body.value.results).toEqual([{ title: 'Ffion Llŷr (Year 6)', value: ffion.id }]);
  });

  test('a bad form comes back with the picked children by name and the typed name kept', async () => {
    await setUpChannel();
    const back = cardOf(await t.press('staff', 'personal', 'report.submit', form('form-bad', { description: '', childIds: sam.id, witnessChildIds: ffion.id, childNames: 'Alex (new in Year 4)' })));
    const text = JSON.stringify(back);
    expect(text).toContain('Describe what happened');
    expect(text).toContain('{"title":"Sam Green (Year 5, 5G)","value":"' + sam.id + '"}');
    expect(text).toContain('{"title":"Ffion Llŷr (Year 6)","value":"' + ffion.id + '"}');
    expect(text).toContain('Alex (new in Year 4)');
    expect(verbsOf(back)).toContain('report.submit');
    expect(schemaProblems(back as never)).toEqual([]);
  });

  const onlyCase = async () => (await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 })))[0]!;
  const childrenOf = (caseId: string) => t.service.deps.storage.read((r) => r.caseChildren.listForCase(t.school.school.id, caseId));
  const reference = (answer: { body: any }) => /CASE-\d{4}-\d{4}/.exec(JSON.stringify(cardOf(answer)))![0];
  const patternCards = () => t.connector.stored(t.channelConversation).filter((activity: any) => JSON.stringify(activity).includes('A pattern for a pupil'));

  test('a report with a picked child and a typed name: the case links the pupil with their role and keeps the name for a DSL to link', async () => {
    await setUpChannel();
    const receipt = await t.press('staff', 'personal', 'report.submit', form('form-children', { childIds: `${sam.id},none`, witnessChildIds: `${ffion.id},${sam.id}`, childNames: 'Alex (new in Year 4)' }));
    expect(reference(receipt)).toMatch(/^CASE-/);
    const children = await childrenOf((await onlyCase()).id);
    expect(children.map((child) => ({ pupilId: child.pupilId, typedName: child.typedName, role: child.role }))).toEqual([
      { pupilId: sam.id, typedName: undefined, role: 'subject' },
      { pupilId: ffion.id, typedName: undefined, role: 'witness' },
      { pupilId: undefined, typedName: 'Alex (new in Year 4)', role: 'subject' },
    ]);
  });

  test('the third concern about a pupil posts one pattern card with the references and no name; Acknowledge is for the DSLs; Open pupil is private', async () => {
    await setUpChannel();
    const references: string[] = [];
    for (const [n, from] of (['staff', 'staff2', 'staff'] as PersonKey[]).entries()) {
      references.push(reference(await t.press(from, 'personal', 'report.submit', form(`form-sam-${n}`, { childIds: sam.id }))));
    }
    const [card] = await t.waitFor(() => (patternCards().length > 0 ? patternCards() : undefined));
    const content = (card as any).activity.attachments[0].content;
    const text = JSON.stringify(content);
    for (const ref of references) expect(text).toContain(ref);
    expect(text).toContain('3 concerns in 60 days');
    expect(text).not.toMatch(/Sam|Green|5G|Year 5/);
    expect(text).not.toContain(SECRET);
    expect(libraryProblems(content)).toEqual([]);
    expect(schemaProblems(content)).toEqual([]);
    expect(structuralProblems(content)).toEqual([]);
    expect(verbsOf(content)).toEqual(['pupil_pattern.acknowledge', 'pupil.open']);
    const data = (content.actions as any[])[0].data as { alertId: string; pupilId: string };

    // Open pupil: the chronology to the DSL alone, in their own chat; the channel gets a short answer.
    const callsBefore = t.connector.calls.length;
    const opened = await t.press('dsl', 'channel', 'pupil.open', data);
    expect(opened.body.type).toBe('application/vnd.microsoft.activity.message');
    expect(opened.body.value).toMatch(/in your chat with DSL Desk/);
    const calls = t.connector.calls.slice(callsBefore);
    expect(calls.find((c) => c.route === 'create')?.body).toMatchObject({ isGroup: false, members: [{ id: t.teamsIdOf('dsl') }] });
    const sent = calls.find((c) => c.route === 'send')!;
    expect(sent.conversationId).not.toContain(t.channelConversation);
    const [chronology] = t.connector.activities(sent.conversationId!) as any[];
    expect(JSON.stringify(chronology)).toContain('Chronology: Sam Green');
    for (const ref of references) expect(JSON.stringify(chronology)).toContain(ref);
    expect(JSON.stringify(chronology)).toContain('This child: the child the concern is about');
    expect([...libraryProblems(chronology.attachments[0].content), ...schemaProblems(chronology.attachments[0].content)]).toEqual([]);
    expect(JSON.stringify(t.connector.stored(t.channelConversation))).not.toContain('Chronology');
    // A member of staff gets nothing of it.
    const refusedOpen = await t.press('staff', 'channel', 'pupil.open', data);
    expect(JSON.stringify(refusedOpen.body)).not.toMatch(/Chronology|Sam/);

    // Acknowledge: refused for a member of staff, done by the DSL, then the card says who and when.
    const refused = await t.press('staff', 'channel', 'pupil_pattern.acknowledge', data);
    expect(refused.body.type).toBe('application/vnd.microsoft.activity.message');
    const acknowledged = cardOf(await t.press('dsl', 'channel', 'pupil_pattern.acknowledge', data));
    expect(JSON.stringify(acknowledged)).toMatch(/Acknowledged by Dana Lead/);
    expect(verbsOf(acknowledged)).toEqual(['pupil.open']);
    expect(schemaProblems(acknowledged)).toEqual([]);
    expect(patternCards()).toHaveLength(1);
    // The outbox edits the posted card to say so too (the acknowledgement is queued like any card change).
    const edited = await t.waitFor(() => patternCards().find((stored) => stored.edits > 0));
    expect(JSON.stringify(edited.activity)).toMatch(/Acknowledged by Dana Lead/);
    expect(patternCards()).toHaveLength(1);
  });

  test('the DSL’s own views show the children and the protection status; the shared card and the reporter never do', async () => {
    await setUpChannel();
    await recordProtectionStatus(t.service.deps, { actor: t.school.dsl, pupilId: sam.id, status: { kind: 'child_protection_plan', from: '2026-09-01' } });
    await t.press('staff', 'personal', 'report.submit', form('form-views', { childIds: sam.id, childNames: 'Alex (new in Year 4)' }));
    const caseId = (await onlyCase()).id;
    const [posted] = await t.waitFor(() => t.connector.stored(t.channelConversation).length > 0 && t.connector.stored(t.channelConversation));
    expect(JSON.stringify(posted!.activity)).not.toMatch(/Children|Protection|Sam Green|Alex/);

    // The DSL's own view of the card (Teams' refresh): counts and the status label, no names.
    const own = cardOf(await t.press('dsl', 'channel', 'case.refresh', { caseId }));
    const ownText = JSON.stringify(own);
    expect(ownText).toContain('{"title":"Children","value":"2 (1 typed, to link)"}');
    expect(ownText).toContain('{"title":"Protection status","value":"Child protection plan"}');
    expect(ownText).not.toContain('Sam Green');
    expect(schemaProblems(own)).toEqual([]);
    // A member of staff looking at the same card sees none of it.
    expect(JSON.stringify(await t.press('staff2', 'channel', 'case.refresh', { caseId }))).not.toMatch(/Children|Protection/);

    // "Open case" in the DSL's own chat: the children by name and role, the typed one flagged, the status by child.
    const record = cardOf(await t.press('dsl', 'personal', 'case.open', { caseId }));
    const recordText = JSON.stringify(record);
    expect(recordText).toContain('Sam Green (Year 5, 5G)');
    expect(recordText).toContain('The child the concern is about');
    expect(recordText).toContain('"text":"Alex (new in Year 4)"');
    expect(recordText).toContain('"text":"The child the concern is about. Typed by the reporter, not yet linked to a pupil: link it to the register"');
    expect(recordText).toContain('Sam Green: Child protection plan since 2026-09-01');
    expect([...libraryProblems(record), ...schemaProblems(record), ...structuralProblems(record)]).toEqual([]);
  });
});

