import { unsafePatternReason } from '../../../src/app/pattern-safety.ts';
import { classifyDirectoryUser, DEFAULT_SERVICE_ACCOUNT_PATTERNS } from '../../../src/domain/directory.ts';

describe('admin-supplied service-account patterns are checked before they are saved', () => {
  test('the shipped patterns are all accepted', () => {
    for (const pattern of DEFAULT_SERVICE_ACCOUNT_PATTERNS) expect([pattern, unsafePatternReason(pattern)]).toEqual([pattern, undefined]);
  });

  test.each(['^svc', 'minibus$', '^(?:kiosk|signage)\\d*$', 'room-?\\d{1,3}'])('%s is accepted', (pattern) => {
    expect(unsafePatternReason(pattern)).toBeUndefined();
  });

  test.each([
    ['(a+)+$', 'backtracks'],
    ['^(\\w+\\s?)+$', 'backtracks'],
    ['.*x.*y', 'backtracks'],
    ['(a{1,9}){1,9}', 'repeats a group that holds another repetition'],
    ['(unclosed', 'Not a valid regular expression.'],
  ])('%s is refused with a reason', (pattern, reason) => {
    expect(unsafePatternReason(pattern)).toContain(reason);
  });

  test('a name longer than Entra allows is read only as far as Entra’s limit', () => {
    // Even a pattern saved before the check existed reads at most 64 and 256 characters.
    const user = { objectId: 'o1', userPrincipalName: `${'a'.repeat(100_000)}@oakfield.example.org`, displayName: 'b'.repeat(100_000), userType: 'Member', accountEnabled: true };
    expect(classifyDirectoryUser(user as never, { serviceAccountPatterns: [`^a{64}$`] })).toEqual({ kind: 'ignored', reason: 'service' });
  });
});
