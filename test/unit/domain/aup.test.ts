import { aupPolicyInputSchema, audienceFor, canonicalPolicyText, checkSignable, newPolicyVersion, policySha256, type AupPolicyInput } from '../../../src/domain/aup.ts';
import { AppError } from '../../../src/domain/errors.ts';

const input = (overrides: Partial<AupPolicyInput> = {}): AupPolicyInput =>
  aupPolicyInputSchema.parse({
    audience: 'staff',
    title: 'Staff Acceptable Use Policy',
    markdown: '# Staff AUP\n\nI will keep my passwords private.\n',
    acknowledgementWording: 'I have read and agree to follow this policy',
    effectiveDate: '2026-09-01',
    reviewDate: '2027-09-01',
    ...overrides,
  });

describe('AUP policies', () => {
  test('the hash ignores line endings, trailing spaces and Unicode form, and nothing else', () => {
    const base = '# Staff AUP\n\nI will keep my passwords private.\n';
    expect(policySha256('# Staff AUP\r\n\r\nI will keep my passwords private.   \r\n\r\n')).toBe(policySha256(base));
    expect(policySha256('Café policy')).toBe(policySha256('Cafe\u0301 policy'));
    expect(policySha256(base.replace('private', 'secret'))).not.toBe(policySha256(base));
    expect(policySha256(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(canonicalPolicyText('\n\nA  \nB\n\n')).toBe('A\nB\n');
  });

  test('versions count up per audience; republishing the same text is refused; old versions are untouched', () => {
    const first = newPolicyVersion(input(), { id: 'p1', schoolId: 's', publishedAt: '2026-09-01T08:00:00.000Z', publishedById: 'admin' });
    expect(first).toMatchObject({ version: 1, sha256: policySha256(input().markdown) });
    const second = newPolicyVersion(input({ markdown: '# Staff AUP\n\nI will lock my screen.\n' }), { id: 'p2', schoolId: 's', latest: first, publishedAt: '2026-10-01T08:00:00.000Z', publishedById: 'admin' });
    expect(second.version).toBe(2);
    expect(first.markdown).toBe('# Staff AUP\n\nI will keep my passwords private.\n');
    expect(() => newPolicyVersion(input({ markdown: '# Staff AUP\r\n\r\nI will lock my screen.' }), { id: 'p3', schoolId: 's', latest: second, publishedAt: 'x', publishedById: null })).toThrow(/same as version 2/);
  });

  test('input is checked with messages that say what to fix', () => {
    const result = aupPolicyInputSchema.safeParse({ audience: 'pupils', title: '', markdown: '   \n', acknowledgementWording: '', effectiveDate: '2026-09-01', reviewDate: '2026-08-01' });
    expect(result.success).toBe(false);
    const messages = result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(messages).toEqual(expect.arrayContaining([expect.stringContaining('audience must be one of'), expect.stringContaining('title: Give the policy a title.')]));
    // Cross-field checks speak once the fields themselves are right.
    const dates = aupPolicyInputSchema.safeParse({ ...input(), reviewDate: '2026-08-01' });
    expect(dates.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual(['reviewDate: The review date must be after the date the policy takes effect.']);
    const blank = aupPolicyInputSchema.safeParse({ ...input(), markdown: ' \r\n \n' });
    expect(blank.error!.issues.map((issue) => issue.message)).toEqual(['The policy text is empty.']);
  });

  test('signing an old version is refused with the new version named; the current one is accepted', () => {
    const current = { id: 'p2', version: 2, title: 'Staff Acceptable Use Policy' };
    expect(checkSignable(current, { id: 'p2', version: 2 })).toBeUndefined();
    const stale = checkSignable(current, { id: 'p1', version: 1 });
    expect(stale).toBeInstanceOf(AppError);
    expect(stale!.code).toBe('conflict');
    expect(stale!.userMessage).toContain('version 2');
    expect(checkSignable(undefined, { id: 'p1', version: 1 })?.code).toBe('not_found');
  });

  test('audience: override, then the first matching rule (case-insensitive), then the default', () => {
    const rules = {
      rules: [
        { field: 'accountType' as const, equals: 'Supply', audience: 'supply' as const },
        { field: 'group' as const, equals: 'Governing Board', audience: 'governor' as const },
        { field: 'department' as const, equals: 'Volunteers', audience: 'volunteer' as const },
      ],
      defaultAudience: 'staff' as const,
    };
    expect(audienceFor({ accountType: ' supply ' }, rules)).toBe('supply');
    expect(audienceFor({ group: ['Year 3', 'governing board'] }, rules)).toBe('governor');
    expect(audienceFor({ department: 'Maths' }, rules)).toBe('staff');
    expect(audienceFor({ accountType: 'Supply' }, rules, 'visitor')).toBe('visitor');
  });
});
