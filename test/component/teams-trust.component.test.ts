import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPERATOR } from '../../src/app/deps.ts';
import { getCase } from '../../src/app/cases/get-case.ts';
import { getTrustFigures } from '../../src/app/organisations/get-trust-figures.ts';
import { grantTrustRole } from '../../src/app/organisations/grant-trust-role.ts';
import { setMembershipOverride } from '../../src/app/organisations/manage-membership-rules.ts';
import { publishAup } from '../../src/app/aup/publish-aup.ts';
import { removeEmailCopies } from '../../src/app/emails/remove-reported-email.ts';
import { reportEmail } from '../../src/app/emails/report-email.ts';
import { resolveActor } from '../../src/app/people/resolve-actor.ts';
import { syncDirectory } from '../../src/app/people/sync-directory.ts';
import type { DirectoryReader, DirectoryUser } from '../../src/domain/directory.ts';
import { createGraphMailboxAdmin } from '../../src/integrations/microsoft/graph-mailbox-admin.ts';
import { plainHttpNetworkClient, startFakeGraph, type FakeGraph } from '../fakes/fake-graph.ts';
import { startFakeIdentityProvider, type FakeIdentityProvider } from '../fakes/fake-identity-provider.ts';
import { BOT_APP_ID, startTeamsTestService, type PersonKey, type TeamsTestService } from '../support/teams-test-service.ts';
import { enginesUnderTest } from '../support/test-storage.ts';

const CARD = 'application/vnd.microsoft.card.adaptive';
const SECRET = 'Ottoline Brackenridge was sent a threatening voice note';
const SAMPLE = readFileSync(join(__dirname, '../../samples/emails/headteacher-gift-cards.eml'));
const CLIENT_ID = '9c1b2a3d-0000-4000-8000-00000000e3e3';
const CLIENT_SECRET = 'test-secret-not-real';

const form = (formId: string) => ({ formId, types: 'online_bullying', location: 'outside_school', description: SECRET, involved: 'child: Ottoline Brackenridge', childAtImmediateRisk: 'false' });

/** A directory that answers one page of accounts, then nothing new: enough to tell a baseline from new starters. */
function directoryOf(pages: DirectoryUser[][]): DirectoryReader {
  let read = 0;
  return {
    async readChanges(_tenantId, _deltaLink, onPage) {
      await onPage({ users: pages[Math.min(read, pages.length - 1)] ?? [] });
      read += 1;
      return { deltaLink: `https://graph.example/delta/${read}`, resynced: false };
    },
  };
}

function account(name: string, email: string, department: string): DirectoryUser {
  return {
    objectId: randomUUID(),
    userPrincipalName: email,
    displayName: name,
    mail: email,
    department,
    jobTitle: 'Teacher',
    accountEnabled: true,
    userType: 'Member',
    employeeHireDate: null,
    managerObjectId: null,
    licenceCount: 1,
    removed: false,
  };
}

describe.each(enginesUnderTest())('two schools of one trust on one tenant, through Teams, on %s', (engine) => {
  let t: TeamsTestService;
  let idp: FakeIdentityProvider;
  let graph: FakeGraph;

  beforeEach(async () => {
    t = await startTeamsTestService(engine, { secondSchool: 'elmwood' });
    idp = await startFakeIdentityProvider();
    idp.registerClient({ id: CLIENT_ID, secret: CLIENT_SECRET, audience: 'api://dsl-desk-trust-test' });
    graph = await startFakeGraph(idp);
  });
  afterEach(async () => {
    await t.close();
    await graph.close();
    await idp.close();
  });

  const channelOf = (slug: string) => `19:${slug}-dsl-cases@thread.tacv2`;
  const useChannel = async (dsl: PersonKey, slug: string) => {
    const channel = channelOf(slug);
    const answer = await t.send(dsl, {
      text: '<at>DSL Desk</at> use this channel for cases',
      entities: [{ type: 'mention', text: '<at>DSL Desk</at>', mentioned: { id: `28:${BOT_APP_ID}`, name: 'DSL Desk' } }],
      conversation: { id: `${channel};messageid=100`, conversationType: 'channel', isGroup: true, tenantId: t.tenantId },
      channelData: { tenant: { id: t.tenantId }, team: { id: `19:${slug}-team@thread.tacv2` }, channel: { id: channel } },
    });
    expect(answer.status).toBe(200);
  };
  const referenceIn = (answer: { body: any }) => {
    expect(answer.body?.type).toBe(CARD);
    return /CASE-\d{4}-\d{4}/.exec(JSON.stringify(answer.body.value))![0];
  };

  test('Trusts and local authorities (acceptance): reports reach their own school’s DSL channel, new starters get their own school’s AUP, removal touches one school’s mailboxes, and the trust lead sees figures for both without case content', async () => {
    const oak = t.school.school;
    const elm = t.school2!.school;
    const deps = t.service.deps;

    // Reports from each school reach that school's own DSL channel, and only that one.
    await useChannel('dsl', 'oakfield');
    await useChannel(t.ofSecond('dsl'), 'elmwood');
    const oakReference = referenceIn(await t.press('staff', 'personal', 'report.submit', form('trust-form-oak')));
    const elmReference = referenceIn(await t.press(t.ofSecond('staff'), 'personal', 'report.submit', form('trust-form-elm')));
    const oakCards = await t.waitFor(() => t.connector.activities(channelOf('oakfield')).length > 0 && t.connector.activities(channelOf('oakfield')));
    const elmCards = await t.waitFor(() => t.connector.activities(channelOf('elmwood')).length > 0 && t.connector.activities(channelOf('elmwood')));
    expect(JSON.stringify(oakCards)).toContain(oakReference);
    expect(JSON.stringify(elmCards)).toContain(elmReference);
    expect(oakCards).toHaveLength(1);
    expect(elmCards).toHaveLength(1);
    expect((await deps.storage.read((r) => r.cases.find(oak.id, { limit: 10 }))).map((c) => c.reference)).toEqual([oakReference]);
    expect((await deps.storage.read((r) => r.cases.find(elm.id, { limit: 10 }))).map((c) => c.reference)).toEqual([elmReference]);

    // New starters from the one directory go to their own school's AUP: the membership rule (here, by domain) decides.
    const policyOf = async (schoolId: string, title: string) =>
      (await publishAup(deps, {
        actor: OPERATOR,
        schoolId,
        startCampaign: false,
        policy: { audience: 'staff', title, markdown: `# ${title}\n\nKeep passwords private.\n`, acknowledgementWording: 'I agree', effectiveDate: '2026-09-01', reviewDate: '2027-09-01' },
      })).id;
    const oakPolicy = await policyOf(oak.id, 'Oakfield staff AUP');
    const elmPolicy = await policyOf(elm.id, 'Elmwood staff AUP');
    const nia = account('Nia Newstart', 'nia@oakfield.example.org', 'Year 3');
    const eli = account('Eli Newstart', 'eli@elmwood.example.org', 'Year 5');
    const stranger = account('Vic Visitor', 'vic@forest.example.org', 'Estates');
    for (const school of [oak, elm]) {
      const reader = directoryOf([[], [nia, eli, stranger]]);
      expect(await syncDirectory(deps, { schoolId: school.id, reader })).toMatchObject({ baseline: true });
      expect(await syncDirectory(deps, { schoolId: school.id, reader })).toMatchObject({ baseline: false, newStarters: 1, ignored: 2 });
    }
    const deliveries = await t.db.raw(`select school_id, person_id, policy_id from aup_deliveries where reason = 'new_starter' order by school_id`);
    const niaPerson = await deps.storage.read((r) => r.people.findByEmail(oak.id, 'nia@oakfield.example.org'));
    const eliPerson = await deps.storage.read((r) => r.people.findByEmail(elm.id, 'eli@elmwood.example.org'));
    expect(deliveries).toHaveLength(2);
    expect(deliveries).toEqual(
      expect.arrayContaining([
        { school_id: oak.id, person_id: niaPerson!.id, policy_id: oakPolicy },
        { school_id: elm.id, person_id: eliPerson!.id, policy_id: elmPolicy },
      ]),
    );
    expect(await deps.storage.read((r) => r.people.findByEmail(elm.id, 'nia@oakfield.example.org'))).toBeUndefined();
    expect(await deps.storage.read((r) => r.people.findByEmail(oak.id, 'vic@forest.example.org'))).toBeUndefined();

    // Remove from every mailbox: one tenant, and here one shared domain too; only Oakfield's people's mailboxes are searched.
    await setMembershipOverride(deps, { actor: OPERATOR, trust: 'forest', email: 'pat@forest.example.org', schools: ['oakfield'] });
    await setMembershipOverride(deps, { actor: OPERATOR, trust: 'forest', email: 'kim@forest.example.org', schools: ['elmwood'] });
    const pat = await resolveActor(deps, { provider: 'entra', tenantId: t.tenantId, subject: randomUUID(), email: 'pat@forest.example.org', emailVerified: true });
    await resolveActor(deps, { provider: 'entra', tenantId: t.tenantId, subject: randomUUID(), email: 'kim@forest.example.org', emailVerified: true });
    for (const [mailbox, id] of [
      ['pat@forest.example.org', 'copy-pat'],
      ['kim@forest.example.org', 'copy-kim'],
      ['staff2@oakfield.example.org', 'copy-oak-staff2'],
      ['staff2@elmwood.example.org', 'copy-elm-staff2'],
    ] as const) {
      graph.setOwner(mailbox, randomUUID());
      graph.addMessage({ mailbox, id, mime: SAMPLE });
    }
    const received = await reportEmail(deps, { actor: pat, raw: SAMPLE, choice: 'phishing', channel: 'outlook' });
    const emailId = (await deps.storage.read((r) => r.emails.listForCase(oak.id, received.caseId)))[0]!.id;
    const mailboxAdmin = createGraphMailboxAdmin({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, loginUrl: idp.baseUrl.replace('http://', 'https://'), graphUrl: graph.url, networkClient: plainHttpNetworkClient() });
    const removal = await removeEmailCopies({ ...deps, mailboxAdmin }, { schoolId: oak.id, caseId: received.caseId, emailId, requestedBy: t.school.dsl.personId });
    expect(graph.moved.map((m) => m.mailbox).sort()).toEqual(['pat@forest.example.org', 'staff2@oakfield.example.org']);
    expect(removal).toMatchObject({ found: 2, moved: 2, failed: 0 });

    // The trust safeguarding lead sees each school's figures, and no case content; each school's audit says so.
    await setMembershipOverride(deps, { actor: OPERATOR, trust: 'forest', email: 'lead@forest.example.org', schools: ['oakfield'] });
    await grantTrustRole(deps, { actor: OPERATOR, trust: 'forest', email: 'lead@forest.example.org', role: 'trust_safeguarding_lead' });
    const lead = await resolveActor(deps, { provider: 'entra', tenantId: t.tenantId, subject: randomUUID(), email: 'lead@forest.example.org', emailVerified: true });
    const figures = await getTrustFigures(deps, { actor: lead, trust: 'forest' });
    expect(figures.schools.map((s) => [s.school.slug, s.openCases])).toEqual([
      ['elmwood', 1],
      ['oakfield', 2],
    ]);
    const shown = JSON.stringify(figures);
    for (const hidden of ['Ottoline', 'voice note', oakReference, elmReference, 'gift']) expect(shown).not.toContain(hidden);
    for (const school of [oak, elm]) {
      expect(await t.db.raw(`select actor_id from audit_events where school_id = ? and action = 'trust.figures_viewed'`, [school.id])).toEqual([{ actor_id: lead.personId }]);
    }
    // Being the trust lead opens no case: the lead is not a DSL of either school.
    const oakCaseId = (await deps.storage.read((r) => r.cases.find(oak.id, { limit: 10 }))).find((c) => c.reference === oakReference)!.id;
    await expect(getCase(deps, { actor: lead, caseId: oakCaseId })).rejects.toMatchObject({ code: 'not_found' });
  });

  test('Trusts and local authorities: someone in two schools chooses the school on the Teams form; without a choice the form comes back asking, with what was typed', async () => {
    const deps = t.service.deps;
    await setMembershipOverride(deps, { actor: OPERATOR, trust: 'forest', email: 'pip@forest.example.org', schools: ['oakfield', 'elmwood'] });
    const objectId = randomUUID();
    await resolveActor(deps, { provider: 'entra', tenantId: t.tenantId, subject: objectId, email: 'pip@forest.example.org', emailVerified: true });
    const pip = t.addSender('pip', objectId);

    const opened = await t.press(pip, 'personal', 'report.start', {});
    const choice = JSON.stringify(opened.body.value);
    expect(choice).toContain('Which school is this report for?');
    expect(choice).toContain(t.school.school.id);
    expect(choice).toContain(t.school2!.school.id);
    // Someone in one school never sees the choice.
    expect(JSON.stringify((await t.press('staff', 'personal', 'report.start', {})).body.value)).not.toContain('Which school');

    const unsure = await t.press(pip, 'personal', 'report.submit', form('pip-form-1'));
    expect(JSON.stringify(unsure.body.value)).toContain('Choose the school this report is for.');
    expect(JSON.stringify(unsure.body.value)).toContain('Ottoline');
    expect(await deps.storage.read((r) => r.cases.find(t.school2!.school.id, { limit: 5 }))).toEqual([]);

    const filed = referenceIn(await t.press(pip, 'personal', 'report.submit', { ...form('pip-form-1'), school: t.school2!.school.id }));
    expect((await deps.storage.read((r) => r.cases.find(t.school2!.school.id, { limit: 5 }))).map((c) => c.reference)).toEqual([filed]);
    expect(await deps.storage.read((r) => r.cases.find(t.school.school.id, { limit: 5 }))).toEqual([]);
  });
});
