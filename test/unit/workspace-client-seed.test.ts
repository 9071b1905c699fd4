import { createTestStorage, type TestStorage } from '../support/test-storage.ts';
import { depsFor } from '../support/seed.ts';
import {
  SANDBOX_GOOGLE_DOMAIN, SANDBOX_GOOGLE_PEOPLE, SANDBOX_GOOGLE_SCHOOL_SLUG, SANDBOX_SCHOOL_SLUG, seedSandboxGoogleSchool, seedSandboxSchool,
} from '../../src/app/organisations/seed-sandbox-school.ts';

describe('the sandbox seed\'s Google school', () => {
  let test: TestStorage;
  beforeEach(async () => {
    test = await createTestStorage('sqlite');
  });
  afterEach(() => test.cleanup());

  it('adds the Google school next to the Microsoft 365 one, with its people found by Google account id, once', async () => {
    const deps = depsFor(test.storage);
    const school = await seedSandboxSchool(deps, { staffAupMarkdown: '# Staff AUP\n\nBe kind online.' });
    expect(school.slug).toBe(SANDBOX_SCHOOL_SLUG);
    await seedSandboxSchool(deps, { staffAupMarkdown: '# Staff AUP' });
    const schools = await test.storage.transaction((tx) => tx.schools.list());
    expect(schools.map((s) => s.slug).sort()).toEqual([SANDBOX_GOOGLE_SCHOOL_SLUG, SANDBOX_SCHOOL_SLUG].sort());
    const google = schools.find((s) => s.slug === SANDBOX_GOOGLE_SCHOOL_SLUG)!;
    expect(google.googleDomain).toBe(SANDBOX_GOOGLE_DOMAIN);
    const dsl = SANDBOX_GOOGLE_PEOPLE.find((p) => p.key === 'dsl')!;
    const found = await test.storage.transaction((tx) => tx.people.findByGoogleSubject(google.id, dsl.googleSubject));
    expect(found?.email).toBe(dsl.email);
    expect(found?.roles).toContain('dsl');
    const people = await test.storage.transaction((tx) => tx.people.list(google.id));
    expect(people).toHaveLength(SANDBOX_GOOGLE_PEOPLE.length);
    expect(people.every((person) => person.email.endsWith(`@${SANDBOX_GOOGLE_DOMAIN}`))).toBe(true);
    const policies = await test.storage.transaction((tx) => tx.aupPolicies.list(google.id));
    expect(policies).toHaveLength(1);
  });

  it('is added on its own to a sandbox made before it existed', async () => {
    const deps = depsFor(test.storage);
    const first = await seedSandboxGoogleSchool(deps);
    const again = await seedSandboxGoogleSchool(deps);
    expect(again.id).toBe(first.id);
  });
});
