import {
  classifyDirectoryUser,
  DEFAULT_SERVICE_ACCOUNT_PATTERNS,
  DIRECTORY_REFUSAL_MESSAGES,
  DIRECTORY_REFUSALS,
  DirectoryRefusal,
  isDirectoryRefusal,
  mergeDirectoryUser,
  starterRulesSchema,
  type DirectoryUser,
  type StarterRules,
} from '../../../src/domain/directory.ts';

const rules: StarterRules = { serviceAccountPatterns: DEFAULT_SERVICE_ACCOUNT_PATTERNS };

const person = (overrides: Partial<DirectoryUser> = {}): DirectoryUser => ({
  objectId: 'f1b7c2d0-0000-4000-8000-000000000001',
  userPrincipalName: 'amy.adams@oakfield.example.org',
  displayName: 'Amy Adams',
  mail: 'amy.adams@oakfield.example.org',
  department: 'Science',
  jobTitle: 'Teacher of Chemistry',
  accountEnabled: true,
  userType: 'Member',
  employeeHireDate: '2026-09-01',
  managerObjectId: null,
  licenceCount: 1,
  removed: false,
  ...overrides,
});

const verdictFor = (overrides: Partial<DirectoryUser>) => classifyDirectoryUser(person(overrides), rules);

describe('who is a new member of staff', () => {
  test('an enabled member with a sign-in name is a person, licensed or not, whatever their hire date', () => {
    expect(verdictFor({})).toEqual({ kind: 'person' });
    // Unlicensed is still a person: Teams will refuse the app, and that refusal is what the office needs to see.
    expect(verdictFor({ licenceCount: 0 })).toEqual({ kind: 'person' });
    expect(verdictFor({ licenceCount: null, employeeHireDate: null, mail: null, department: null })).toEqual({ kind: 'person' });
  });

  test('guests are ignored, whether Graph calls them Guest or only their #EXT# sign-in name gives them away', () => {
    expect(verdictFor({ userType: 'Guest' })).toEqual({ kind: 'ignored', reason: 'guest' });
    expect(verdictFor({ userPrincipalName: 'sam_trust-it.example.org#EXT#@oakfield.onmicrosoft.com' })).toEqual({ kind: 'ignored', reason: 'guest' });
    expect(verdictFor({ userType: null, userPrincipalName: 'sam_trust-it.example.org#ext#@oakfield.onmicrosoft.com' })).toEqual({ kind: 'ignored', reason: 'guest' });
  });

  test('a disabled account is ignored; an account whose state is unknown is a person', () => {
    expect(verdictFor({ accountEnabled: false })).toEqual({ kind: 'ignored', reason: 'disabled' });
    expect(verdictFor({ accountEnabled: null })).toEqual({ kind: 'person' });
    expect(verdictFor({ userType: null })).toEqual({ kind: 'person' });
  });

  test('a removed account is ignored before anything else is looked at', () => {
    expect(verdictFor({ removed: true })).toEqual({ kind: 'ignored', reason: 'removed' });
    expect(verdictFor({ removed: true, userType: 'Guest', accountEnabled: false })).toEqual({ kind: 'ignored', reason: 'removed' });
  });

  test('an account without a sign-in name cannot be reached and is ignored', () => {
    expect(verdictFor({ userPrincipalName: null })).toEqual({ kind: 'ignored', reason: 'no_sign_in_name' });
    expect(verdictFor({ userPrincipalName: '   ' })).toEqual({ kind: 'ignored', reason: 'no_sign_in_name' });
  });

  test.each([
    ['svc-backup@oakfield.example.org', 'Backup service'],
    ['service.sims@oakfield.example.org', 'SIMS'],
    ['sa_intune@oakfield.example.org', 'Intune'],
    ['admin@oakfield.example.org', 'Oakfield IT'],
    ['admin.jsmith@oakfield.example.org', 'John Smith'],
    ['adm-jsmith@oakfield.example.org', 'John Smith'],
    ['jsmith-admin@oakfield.example.org', 'John Smith'],
    ['breakglass01@oakfield.onmicrosoft.com', 'Emergency access'],
    ['Sync_DC01_1a2b3c4d5e6f@oakfield.onmicrosoft.com', 'On-Premises Directory Synchronization Service Account'],
    ['room12@oakfield.example.org', 'Room 12'],
    ['hall@oakfield.example.org', 'Conference Room (Hall)'],
    ['scanner1@oakfield.example.org', 'Office scanner'],
    ['scan-to-email@oakfield.example.org', 'Scan to email'],
    ['printer.staffroom@oakfield.example.org', 'Staff room printer'],
    ['noreply@oakfield.example.org', 'Oakfield Primary'],
    ['do-not-reply@oakfield.example.org', 'Oakfield Primary'],
    ['test.pupil@oakfield.example.org', 'Test Pupil'],
    ['testuser1@oakfield.example.org', 'A Tester'],
    ['shared.office@oakfield.example.org', 'School Office'],
    ['mailbox-finance@oakfield.example.org', 'Finance'],
    ['exam07@oakfield.example.org', 'Exam candidate'],
    ['office@oakfield.example.org', 'Oakfield Office'],
    ['wonde.sync@oakfield.example.org', 'Wonde'],
  ])('%s (%s) is a service account', (userPrincipalName, displayName) => {
    expect(verdictFor({ userPrincipalName, displayName })).toEqual({ kind: 'ignored', reason: 'service' });
  });

  test.each([
    ['m.scanlon@oakfield.example.org', 'Mary Scanlon'],
    ['testa.g@oakfield.example.org', 'Giulia Testa'],
    ['adamson.p@oakfield.example.org', 'Pat Adamson'],
    ['roomana.b@oakfield.example.org', 'Roomana Begum'],
    ['sam.service@oakfield.example.org', 'Sam Service'],
    ['head@oakfield.example.org', 'Mrs Head'],
    ['officer.k@oakfield.example.org', 'Kate Officer'],
    ['sarah.syncox@oakfield.example.org', 'Sarah Syncox'],
    ['printz.a@oakfield.example.org', 'Ann Printz'],
  ])('%s (%s) is a person, not a service account', (userPrincipalName, displayName) => {
    expect(verdictFor({ userPrincipalName, displayName })).toEqual({ kind: 'person' });
  });

  test('patterns match the display name as well as the sign-in name, ignoring case, and a school can add its own', () => {
    expect(verdictFor({ userPrincipalName: 'r101@oakfield.example.org', displayName: 'ROOM 101' })).toEqual({ kind: 'ignored', reason: 'service' });
    const own: StarterRules = { serviceAccountPatterns: [...DEFAULT_SERVICE_ACCOUNT_PATTERNS, '^minibus'] };
    expect(classifyDirectoryUser(person({ userPrincipalName: 'minibus2@oakfield.example.org', displayName: 'Minibus 2' }), own)).toEqual({ kind: 'ignored', reason: 'service' });
    expect(classifyDirectoryUser(person({ userPrincipalName: 'minibus2@oakfield.example.org', displayName: 'Minibus 2' }), rules)).toEqual({ kind: 'person' });
    // The domain part is not matched: an "admin" subdomain does not make everyone in it a service account.
    expect(verdictFor({ userPrincipalName: 'amy.adams@admin.oakfield.example.org' })).toEqual({ kind: 'person' });
    // No patterns at all: nobody is a service account.
    expect(classifyDirectoryUser(person({ userPrincipalName: 'svc-backup@oakfield.example.org' }), { serviceAccountPatterns: [] })).toEqual({ kind: 'person' });
  });

  test('rules from settings must be valid regular expressions; the defaults are', () => {
    expect(starterRulesSchema.safeParse({ serviceAccountPatterns: DEFAULT_SERVICE_ACCOUNT_PATTERNS }).success).toBe(true);
    const bad = starterRulesSchema.safeParse({ serviceAccountPatterns: ['^svc', '(unclosed'] });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('not a valid regular expression');
    expect(starterRulesSchema.safeParse({ serviceAccountPatterns: [''] }).success).toBe(false);
  });
});

describe('merging what a delta page said with what was known', () => {
  test('a property the page left out keeps its previous value; one it sent, even as null, replaces it', () => {
    const before = person({ managerObjectId: 'boss-1', jobTitle: 'Teacher of Chemistry' });
    const merged = mergeDirectoryUser(before, { objectId: before.objectId, removed: false, jobTitle: 'Head of Science', department: null });
    expect(merged).toEqual({ ...before, jobTitle: 'Head of Science', department: null });
    expect(Object.values(merged)).not.toContain(undefined);
  });

  test('a first sighting fills everything the page did not give with null', () => {
    const merged = mergeDirectoryUser(undefined, { objectId: 'new-1', removed: false, userPrincipalName: 'new@oakfield.example.org', accountEnabled: true });
    expect(merged).toEqual({
      objectId: 'new-1',
      userPrincipalName: 'new@oakfield.example.org',
      displayName: null,
      mail: null,
      department: null,
      jobTitle: null,
      accountEnabled: true,
      userType: null,
      employeeHireDate: null,
      managerObjectId: null,
      licenceCount: null,
      removed: false,
    });
    // Nothing said it was disabled or a guest: it counts as a person.
    expect(classifyDirectoryUser(merged, rules)).toEqual({ kind: 'person' });
  });

  test('an update that leaves accountEnabled out does not undo a known disablement; one that states it does', () => {
    const disabled = person({ accountEnabled: false });
    const renamed = mergeDirectoryUser(disabled, { objectId: disabled.objectId, removed: false, displayName: 'Amy Adams-Lee' });
    expect(renamed.accountEnabled).toBe(false);
    expect(classifyDirectoryUser(renamed, rules)).toEqual({ kind: 'ignored', reason: 'disabled' });
    const enabled = mergeDirectoryUser(renamed, { objectId: disabled.objectId, removed: false, accountEnabled: true });
    expect(classifyDirectoryUser(enabled, rules)).toEqual({ kind: 'person' });
  });

  test('removal keeps the last known details; reappearing restores the account', () => {
    const before = person();
    const removed = mergeDirectoryUser(before, { objectId: before.objectId, removed: true });
    expect(removed).toEqual({ ...before, removed: true });
    expect(classifyDirectoryUser(removed, rules)).toEqual({ kind: 'ignored', reason: 'removed' });
    const restored = mergeDirectoryUser(removed, { objectId: before.objectId, removed: false });
    expect(restored).toEqual(before);
  });

  test('a full account is also a change, and a change for another account is refused', () => {
    const before = person({ jobTitle: 'Teacher' });
    const full = person({ jobTitle: null, licenceCount: 0 });
    expect(mergeDirectoryUser(before, full)).toEqual(full);
    expect(() => mergeDirectoryUser(before, { objectId: 'someone-else', removed: false })).toThrow('different account');
  });
});

describe('refusals', () => {
  test('every refusal has an office-safe message; only an outage or a person Teams has not caught up with is retryable by default', () => {
    for (const code of DIRECTORY_REFUSALS) {
      const refusal = new DirectoryRefusal(code);
      expect(refusal.message).toBe(DIRECTORY_REFUSAL_MESSAGES[code]);
      expect(refusal.message.length).toBeGreaterThan(20);
      expect(isDirectoryRefusal(refusal)).toBe(true);
      expect(refusal.retryable).toBe(code === 'unavailable' || code === 'user_not_found');
    }
    expect(new DirectoryRefusal('no_teams_licence').message).toContain('no Teams licence');
    const throttled = new DirectoryRefusal('unavailable', undefined, { retryAfterMs: 30_000, detail: 'graph 429' });
    expect(throttled).toMatchObject({ code: 'unavailable', retryable: true, retryAfterMs: 30_000, detail: 'graph 429', name: 'DirectoryRefusal' });
    expect(new DirectoryRefusal('unavailable', 'Not accepted.', { retryable: false }).retryable).toBe(false);
    expect(isDirectoryRefusal(new Error('x'))).toBe(false);
  });
});
