import { canActOnCase, canViewCase, openCase, seesInvolvedPeople, typesWithAllegation } from '../../../src/domain/case.ts';
import { protocolsFor } from '../../../src/domain/incident-types.ts';
import { ROLES } from '../../../src/domain/roles.ts';
import { IMMEDIATE_DANGER_GUIDANCE } from '../../../src/domain/safety-guidance.ts';
import { renderConcernForm, renderWelcomeCard } from '../../../bot/teams/cards/index.ts';
import { missingImmediateDangerGuidance } from '../../../scripts/build-addin.ts';
import { fillManifest, SANDBOX_MANIFEST_VALUES, templatePath } from '../../../manifest/outlook/outlook-manifest.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { actor, allegationCase, at, concern } from './builders.ts';

const ROOT = join(__dirname, '../../..');

describe('allegations about staff from every surface: the domain', () => {
  it('naming a member of staff makes any report a restricted allegation with the LADO step on its checklist', () => {
    const created = openCase({ id: 'c-1', schoolId: 'school-1', reference: 'CASE-2026-0001', concern: concern({ types: ['online_bullying'], subjectPersonId: '0b1c2d3e-0000-4000-8000-000000000009' }), reporter: { personId: 'p-staff', reportedAt: at(0), channel: 'teams' }, now: at(0) });
    expect(created.types).toEqual(['online_bullying', 'staff_allegation']);
    expect(created.restricted).toBe(true);
    expect(created.urgency).toBe('urgent');
    expect(created.aboutHeadteacher).toBeUndefined();
    expect(protocolsFor(created.types).flatMap((p) => p.steps.map((s) => `${p.code}.${s.code}`))).toContain('staff_allegation.lado_consulted');
    expect(typesWithAllegation(['staff_allegation'], 'p-x')).toEqual(['staff_allegation']);
    expect(typesWithAllegation(['grooming'], undefined)).toEqual(['grooming']);
  });

  it('an allegation about the headteacher is for the DSLs and the chair of governors; no head sees it', () => {
    const aboutHead = { ...allegationCase('p-head'), aboutHeadteacher: true };
    const chair = actor('p-chair', ['governor', 'chair_of_governors']);
    const coHead = actor('p-cohead', ['staff', 'head']);
    const dsl = actor('p-dsl', ['staff', 'dsl']);
    const deputy = actor('p-deputy', ['staff', 'deputy_dsl']);
    expect([canViewCase(chair, aboutHead), canActOnCase(chair, aboutHead)]).toEqual([true, true]);
    expect(seesInvolvedPeople(chair)).toBe(true);
    expect(canViewCase(actor('p-head', ['staff', 'head']), aboutHead)).toBe(false);
    expect(canViewCase(coHead, aboutHead)).toBe(false);
    expect([canViewCase(dsl, aboutHead), canActOnCase(dsl, aboutHead)]).toEqual([true, true]);
    expect(canViewCase(deputy, aboutHead)).toBe(false);
    // The chair of governors sees no other case: not an allegation about another member of staff, not an ordinary one.
    expect(canViewCase(chair, allegationCase('p-teacher'))).toBe(false);
    expect(canViewCase(chair, { ...allegationCase('p-teacher'), restricted: false, types: ['online_bullying'] })).toBe(false);
    // A chair who is the subject sees nothing either.
    expect(canViewCase(chair, { ...allegationCase('p-chair'), aboutHeadteacher: true })).toBe(false);
    expect(ROLES).toContain('chair_of_governors');
  });
});

describe('999 first, everywhere: one sentence in every surface', () => {
  it('the Teams concern form and the welcome card say it first', () => {
    const form = renderConcernForm({ formId: 'f-1', values: {}, errors: {} }) as { body: unknown[] };
    const firstInputAt = form.body.findIndex((node) => JSON.stringify(node).includes('"Input.'));
    const guidanceAt = form.body.findIndex((node) => JSON.stringify(node).includes(IMMEDIATE_DANGER_GUIDANCE));
    expect(guidanceAt).toBeGreaterThan(-1);
    expect(guidanceAt).toBeLessThanOrEqual(firstInputAt);
    expect(JSON.stringify(renderWelcomeCard())).toContain(IMMEDIATE_DANGER_GUIDANCE);
  });

  it('the add-in build refuses an Outlook surface that does not say it word for word', () => {
    const manifest = fillManifest(readFileSync(templatePath(ROOT), 'utf8'), { ...SANDBOX_MANIFEST_VALUES, PUBLIC_HOSTNAME: 'dsl-desk.example' });
    expect(missingImmediateDangerGuidance(ROOT, manifest)).toEqual([]);
    const softened = manifest.replace(IMMEDIATE_DANGER_GUIDANCE, 'If a child is in danger, act now.');
    expect(missingImmediateDangerGuidance(ROOT, softened)).toEqual(['the report dialog (Dialog.Text)']);
  });
});
