import { randomUUID } from 'node:crypto';
import { upnCheckLetter, type Pupil } from '../../src/domain/pupil.ts';
import { enginesUnderTest } from '../support/test-storage.ts';
import { startGoogleChatTestService, type ChatPersonKey, type GoogleChatTestService } from '../support/google-chat-test-service.ts';
import { expectValidCard } from '../support/google-card-shape.ts';

jest.setTimeout(90_000);

const SECRET = 'Hyacinth Bucketworth said an older pupil keeps taking her lunch money';

function upnFor(n: number): string {
  const rest = `20120${String(n).padStart(7, '0')}`;
  return `${upnCheckLetter(rest)}${rest}`;
}

function dialogCard(body: any): any {
  return body?.action?.navigations?.[0]?.pushCard ?? body?.action?.navigations?.[0]?.updateCard;
}

/** The parameters of the first button with this text anywhere in the card. */
function buttonParameters(card: unknown, text: string): Record<string, string> | undefined {
  let found: Record<string, string> | undefined;
  const walk = (node: unknown): void => {
    if (found || !node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const object = node as Record<string, any>;
    if (object.text === text && object.onClick?.action?.parameters) {
      found = Object.fromEntries((object.onClick.action.parameters as { key: string; value: string }[]).map((p) => [p.key, p.value]));
      return;
    }
    Object.values(object).forEach(walk);
  };
  walk(card);
  return found;
}

/** The selection input of this name in a card, with its items. */
function selectionNamed(card: unknown, name: string): { type: string; items: { text: string; value: string; selected: boolean }[] } | undefined {
  let found: any;
  const walk = (node: unknown): void => {
    if (found || !node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const object = node as Record<string, any>;
    if (object.selectionInput?.name === name) {
      found = object.selectionInput;
      return;
    }
    Object.values(object).forEach(walk);
  };
  walk(card);
  return found;
}

describe.each(enginesUnderTest())('pupils in Google Chat on %s', (engine) => {
  let t: GoogleChatTestService;
  let sam: Pupil;
  let ffion: Pupil;

  beforeAll(async () => {
    t = await startGoogleChatTestService(engine);
    const at = t.clock.now().toISOString();
    const schoolId = t.school.school.id;
    sam = { id: randomUUID(), schoolId, upn: upnFor(11), legalForename: 'Samantha', legalSurname: 'Green', preferredForename: 'Sam', dateOfBirth: '2016-03-14', yearGroup: '5', registrationGroup: '5G', createdAt: at, updatedAt: at };
    ffion = { id: randomUUID(), schoolId, upn: upnFor(12), legalForename: 'Ffion', legalSurname: 'Llŷr', dateOfBirth: '2015-11-02', yearGroup: '6', createdAt: at, updatedAt: at };
    await t.service.deps.storage.transaction(async (tx) => {
      for (const pupil of [sam, ffion]) await tx.pupils.insert(pupil);
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  async function openForm(from: ChatPersonKey) {
    const opened = await t.click(from, 'report.start', {}, { dialog: 'REQUEST_DIALOG' });
    const form = dialogCard(opened.body);
    return { form, formId: buttonParameters(form, 'Send to the DSL')!.formId! };
  }

  it('"Find child" brings the form back with the matching pupils in each child list, names only, everything typed kept', async () => {
    const { form, formId } = await openForm('staff');
    expectValidCard(form);
    expect(buttonParameters(form, 'Find child')).toEqual({ action: 'report.find_child', formId });

    const found = await t.click('staff', 'report.find_child', { formId }, { dialog: 'SUBMIT_DIALOG', formInputs: { childQuery: ['sam gr'], description: [SECRET] } });
    const again = dialogCard(found.body);
    expectValidCard(again);
    const text = JSON.stringify(again);
    expect(text).toContain(SECRET);
    for (const list of ['childIds', 'otherChildIds', 'witnessChildIds']) {
      const input = selectionNamed(again, list)!;
      expect(input.type).toBe('MULTI_SELECT');
      expect(input.items).toEqual([{ text: 'Sam Green (Year 5, 5G)', value: sam.id, selected: false }]);
    }
    expect(text).not.toMatch(/2016|Samantha|20120/);

    // A second search keeps the child already picked, still picked, beside the new matches.
    const second = await t.click('staff', 'report.find_child', { formId }, { dialog: 'SUBMIT_DIALOG', formInputs: { childQuery: ['ffion'], childIds: [sam.id] } });
    const items = selectionNamed(dialogCard(second.body), 'childIds')!.items;
    expect(items).toEqual([
      { text: 'Sam Green (Year 5, 5G)', value: sam.id, selected: true },
      { text: 'Ffion Llŷr (Year 6)', value: ffion.id, selected: false },
    ]);

    const nobody = await t.click('staff', 'report.find_child', { formId }, { dialog: 'SUBMIT_DIALOG', formInputs: { childQuery: ['zebedee'] } });
    expect(JSON.stringify(dialogCard(nobody.body))).toContain('type their name in the box below');
  });

  it('a report with picked children and a typed name links them with their roles', async () => {
    const { formId } = await openForm('staff');
    const answer = await t.click('staff', 'report.submit', { formId }, { dialog: 'SUBMIT_DIALOG', formInputs: { types: ['online_bullying'], location: ['inside_school'], description: [SECRET], childIds: [sam.id], otherChildIds: [ffion.id], childNames: ['Alex (new in Year 4)'] } });
    expect(answer.body.action.notification.text).toMatch(/has gone to the DSL/);
    const filed = await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 }));
    expect(filed).toHaveLength(1);
    const children = await t.service.deps.storage.read((r) => r.caseChildren.listForCase(t.school.school.id, filed[0]!.id));
    expect(children.map((child) => ({ pupilId: child.pupilId, typedName: child.typedName, role: child.role }))).toEqual([
      { pupilId: sam.id, typedName: undefined, role: 'subject' },
      { pupilId: ffion.id, typedName: undefined, role: 'other_child' },
      { pupilId: undefined, typedName: 'Alex (new in Year 4)', role: 'subject' },
    ]);
  });

  it('with the third concern about the pupil (the first above), one pattern card one pattern card in the DSL space; Acknowledge is for the DSLs; Open pupil is a private dialog', async () => {
    await t.send('dsl', { addedToSpacePayload: { space: t.dslSpace } });
    await t.message('dsl', 'use this space for cases', { space: t.dslSpace });
    for (const [n, from] of (['staff', 'staff2'] as ChatPersonKey[]).entries()) {
      const { formId } = await openForm(from);
      await t.click(from, 'report.submit', { formId }, { dialog: 'SUBMIT_DIALOG', formInputs: { types: ['online_bullying'], location: ['inside_school'], description: [`${SECRET} (${n})`], childIds: [sam.id] } });
    }
    const patterns = () => t.chat.inSpace(t.dslSpace.name).filter((m) => JSON.stringify(m.body).includes('A pattern for a pupil'));
    const posted = await t.waitFor(() => patterns()[0]);
    const card = posted.body.cardsV2![0]!.card;
    expectValidCard(card);
    const text = JSON.stringify(card);
    expect(text).toContain('3 concerns in 60 days');
    expect((text.match(/CASE-\d{4}-\d{4}/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(text).not.toMatch(/Sam|Green|5G|Year 5/);
    expect(text).not.toContain(SECRET);
    const ids = buttonParameters(card, 'Acknowledge')!;
    expect(ids).toEqual({ action: 'pupil_pattern.acknowledge', alertId: expect.any(String), pupilId: sam.id });
    expect(buttonParameters(card, 'Open pupil')).toEqual({ ...ids, action: 'pupil.open' });

    const refusedOpen = await t.click('staff', 'pupil.open', { alertId: ids.alertId!, pupilId: ids.pupilId! }, { space: t.dslSpace, messageName: posted.name, dialog: 'REQUEST_DIALOG' });
    expect(JSON.stringify(refusedOpen.body)).not.toMatch(/Chronology|Sam Green/);
    const opened = await t.click('dsl', 'pupil.open', { alertId: ids.alertId!, pupilId: ids.pupilId! }, { space: t.dslSpace, messageName: posted.name, dialog: 'REQUEST_DIALOG' });
    const chronology = dialogCard(opened.body);
    expectValidCard(chronology);
    expect(JSON.stringify(chronology)).toContain('Chronology: Sam Green');
    expect(opened.body.hostAppDataAction).toBeUndefined();

    const refused = await t.click('staff', 'pupil_pattern.acknowledge', { alertId: ids.alertId!, pupilId: ids.pupilId! }, { space: t.dslSpace, messageName: posted.name });
    expect(refused.body.hostAppDataAction.chatDataAction.createMessageAction.message.privateMessageViewer).toEqual({ name: t.userOf('staff') });
    const acknowledged = await t.click('dsl', 'pupil_pattern.acknowledge', { alertId: ids.alertId!, pupilId: ids.pupilId! }, { space: t.dslSpace, messageName: posted.name });
    const updated = acknowledged.body.hostAppDataAction.chatDataAction.updateMessageAction.message.cardsV2[0].card;
    expectValidCard(updated);
    expect(JSON.stringify(updated)).toMatch(/Acknowledged by Dana Lead/);
    expect(buttonParameters(updated, 'Acknowledge')).toBeUndefined();
    expect(patterns()).toHaveLength(1);
  });

  it('the DSL’s case dialog shows the children by name and role, the typed one flagged; a member of staff cannot open it', async () => {
    const cases = await t.service.deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 10 }));
    const first = cases.find((c) => c.reference.endsWith('0001'))!;
    const refused = await t.click('staff2', 'case.open', { caseId: first.id }, { dialog: 'REQUEST_DIALOG' });
    expect(JSON.stringify(refused.body)).not.toMatch(/Sam Green|Children/);
    const opened = await t.click('dsl', 'case.open', { caseId: first.id }, { dialog: 'REQUEST_DIALOG' });
    const record = dialogCard(opened.body);
    expectValidCard(record);
    const text = JSON.stringify(record);
    expect(text).toContain('Children');
    expect(text).toContain('Sam Green (Year 5, 5G)');
    expect(text).toContain('Ffion Llŷr (Year 6)');
    expect(text).toContain('Another child involved');
    expect(text).toContain('Alex (new in Year 4). Typed by the reporter, not yet linked to a pupil');
  });
});

