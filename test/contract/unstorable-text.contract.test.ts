import fc from 'fast-check';
import type { AppDeps } from '../../src/app/deps.ts';
import { OPERATOR } from '../../src/app/deps.ts';
import { createSigningLink } from '../../src/app/aup/create-signing-link.ts';
import { importPeople } from '../../src/app/people/import-people.ts';
import { publishAup } from '../../src/app/aup/publish-aup.ts';
import { getAupPolicy } from '../../src/app/aup/read-aup-policies.ts';
import { canonicalPolicyText, signatureInputSchema } from '../../src/domain/aup.ts';
import { caseSourceSchema, concernSchema } from '../../src/domain/concern.ts';
import { isAppError } from '../../src/domain/errors.ts';
import { hasUnstorableCharacters, UNSTORABLE_TEXT_MESSAGE } from '../../src/domain/text.ts';
import { depsFor, seedSchool, type SeededSchool } from '../support/seed.ts';
import { createTestStorage, enginesUnderTest, type TestStorage } from '../support/test-storage.ts';

const policy = (overrides: Record<string, unknown> = {}) => ({
  audience: 'staff',
  title: 'Staff Acceptable Use Policy',
  markdown: '# AUP\n\nKeep passwords private.\n',
  acknowledgementWording: 'I have read and agree to follow this policy',
  effectiveDate: '2026-09-01',
  reviewDate: '2027-09-01',
  ...overrides,
});

/** Characters PostgreSQL refuses or changes, and their neighbours that both engines must keep. */
const REFUSED = ['\u0000', '\u0001', '\u0008', '\u000b', '\u000c', '\u001b', '\u001f', '\ud800', 'a\udc00b'];
const KEPT = ['\t', '\n', '\r\n', '\u007f', '\u0085', '\u00a0', '\u200b', '\ufeff', '\ufffe', '\uffff', '😀', 'Zoë Ø’Brien'];

describe.each(enginesUnderTest())('text DSL Desk cannot store, on %s', (engine) => {
  let db: TestStorage;
  let deps: AppDeps;
  let a: SeededSchool;

  beforeEach(async () => {
    db = await createTestStorage(engine);
    deps = depsFor(db.storage);
    a = await seedSchool(deps, 'oakfield');
  });
  afterEach(async () => {
    await db.cleanup();
  });

  test.each(REFUSED.map((character) => [JSON.stringify(character), character]))('%s is refused at validation with a message naming the field', async (_name, character) => {
    await expect(publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy({ markdown: `# AUP\n\nKeep${character}passwords private.\n` }) })).rejects.toMatchObject({
      code: 'invalid_input',
      fields: [{ path: 'markdown', message: UNSTORABLE_TEXT_MESSAGE }],
    });
    await expect(createSigningLink(deps, { actor: a.admin, schoolId: a.school.id, input: { audience: 'visitor', intendedFor: `Ann${character}Visitor` }, publicUrl: 'http://127.0.0.1:1' })).rejects.toMatchObject({
      code: 'invalid_input',
      fields: [{ path: 'intendedFor', message: UNSTORABLE_TEXT_MESSAGE }],
    });
    const parsed = concernSchema.safeParse({ types: ['online_bullying'], description: 'Something happened', involved: [{ group: 'child', name: `Pupil${character}` }] });
    expect(parsed.error?.issues).toEqual([expect.objectContaining({ path: ['involved', 0, 'name'], message: UNSTORABLE_TEXT_MESSAGE })]);
    // The description is sealed, so neither engine would refuse it; it is refused all the same, like every text field.
    const described = concernSchema.safeParse({ types: ['online_bullying'], description: `Something${character}happened` });
    expect(described.error?.issues).toEqual([expect.objectContaining({ path: ['description'], message: UNSTORABLE_TEXT_MESSAGE })]);
    // A reported message is evidence: whatever its sender put in it, it stays reportable and is kept as sent.
    const reported = caseSourceSchema.safeParse({ kind: 'teams_message', ref: 'conversation/1', author: `Sen${character}der`, text: `Meet me${character} after school` });
    expect(reported.data).toMatchObject({ author: `Sen${character}der`, text: `Meet me${character} after school` });
    const signature = signatureInputSchema.safeParse({ agreed: true, typedName: `Ann${character}Visitor` });
    expect(signature.error?.issues).toEqual([expect.objectContaining({ path: ['typedName'], message: UNSTORABLE_TEXT_MESSAGE })]);
    const imported = await importPeople(deps, { actor: OPERATOR, schoolId: a.school.id, rows: [{ line: 2, values: { display_name: `Kim${character}Lee`, email: 'kim@oakfield.example.org', roles: 'staff' } }] });
    expect(imported).toMatchObject({ created: 0, updated: 0, errors: [{ line: 2, message: `display_name: ${UNSTORABLE_TEXT_MESSAGE}` }] });
    expect(await db.raw(`select count(*) as n from aup_policies`)).toEqual([{ n: engine === 'postgres' ? '0' : 0 }]);
  });

  test('an id taken from an address with NUL in it is refused the same way by the storage port itself, not a 500 on one engine and "not found" on the other', async () => {
    await expect(getAupPolicy(deps, { actor: a.admin, policyId: 'abc\u0000def' })).rejects.toMatchObject({ code: 'invalid_input', userMessage: UNSTORABLE_TEXT_MESSAGE });
    await expect(db.storage.transaction((tx) => tx.people.findByEmail(a.school.id, 'x\u0000@oakfield.example.org'))).rejects.toMatchObject({ code: 'invalid_input' });
    // A write that skipped validation is refused before it reaches the database, and nothing is written.
    const before = await db.raw('select count(*) as n from people');
    await expect(
      db.storage.transaction(async (tx) => {
        await tx.people.insert({ id: '00000000-0000-4000-8000-00000000abcd', schoolId: a.school.id, displayName: 'Null\u0000Name', email: 'null@oakfield.example.org', entraObjectId: null, googleSubject: null, active: true, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' });
      }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await db.raw('select count(*) as n from people')).toEqual(before);
  });

  test('tabs, line breaks and other unusual but valid characters are stored and read back exactly (the policy text as published: canonical)', async () => {
    const title = `Policy ${KEPT.join(' ')}`;
    const markdown = `# AUP\r\n\r\n${KEPT.join('|')}\n`;
    const published = await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy({ title, markdown }) });
    const stored = await getAupPolicy(deps, { actor: a.admin, policyId: published.id });
    expect(stored.markdown).toBe(canonicalPolicyText(markdown));
    expect(stored.markdown).toContain(KEPT.slice(3).join('|'));
    expect(stored.title).toBe(title);
  });

  test('any string either is refused at validation, naming the field, or comes back from storage unchanged', async () => {
    let version = 0;
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.string({ unit: fc.constantFrom('\u0000', '\ud83d', '\u001b', 'a', '\n'), maxLength: 3 }), async (text, extra) => {
        const markdown = `# AUP ${version++}\n\n${text}${extra}`;
        try {
          const published = await publishAup(deps, { actor: a.admin, schoolId: a.school.id, policy: policy({ markdown }) });
          expect(hasUnstorableCharacters(markdown)).toBe(false);
          expect((await getAupPolicy(deps, { actor: a.admin, policyId: published.id })).markdown).toBe(canonicalPolicyText(markdown));
        } catch (error) {
          if (!isAppError(error)) throw error;
          if (error.code === 'conflict') return; // the same text as the current version, after normalising
          expect(error).toMatchObject({ code: 'invalid_input', fields: [{ path: 'markdown', message: UNSTORABLE_TEXT_MESSAGE }] });
          expect(hasUnstorableCharacters(markdown)).toBe(true);
        }
      }),
      { numRuns: 40, seed: 20_261_010, verbose: 1 },
    );
  }, 60_000);
});
