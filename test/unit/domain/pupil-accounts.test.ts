import { pupilAccountRuleSchema, upnForAccount } from '../../../src/domain/pupil-accounts.ts';

describe('matching pupil accounts by the school’s rule', () => {
  const rule = pupilAccountRuleSchema.parse({ emailTemplate: '{upn}@Pupils.Oakfield.example' });

  test('an address made from a valid UPN names that pupil, whatever its case', () => {
    expect(upnForAccount(rule, 'f938200119001@pupils.oakfield.example')).toBe('F938200119001');
    expect(upnForAccount(rule, 'F938200119001@PUPILS.OAKFIELD.EXAMPLE')).toBe('F938200119001');
  });

  test('anything else names nobody: another domain, a wrong check letter, a name', () => {
    expect(upnForAccount(rule, 'f938200119001@oakfield.example')).toBeUndefined();
    expect(upnForAccount(rule, 'a938200119001@pupils.oakfield.example')).toBeUndefined();
    expect(upnForAccount(rule, 'sam.green@pupils.oakfield.example')).toBeUndefined();
    expect(upnForAccount(rule, null)).toBeUndefined();
    expect(upnForAccount(rule, `f938200119001${'a'.repeat(100_000)}@pupils.oakfield.example`)).toBeUndefined();
  });

  test('the template is taken literally: characters that mean something in a pattern are just characters', () => {
    const plus = pupilAccountRuleSchema.parse({ emailTemplate: 'pupil+{upn}@oakfield.example' });
    expect(upnForAccount(plus, 'pupil+f938200119001@oakfield.example')).toBe('F938200119001');
    expect(upnForAccount(plus, 'pupilllf938200119001@oakfield.example')).toBeUndefined();
  });

  test('a template must put {upn} in an address', () => {
    expect(pupilAccountRuleSchema.safeParse({ emailTemplate: 'pupils.oakfield.example' }).success).toBe(false);
    expect(pupilAccountRuleSchema.safeParse({ emailTemplate: 'p.{upn}@pupils.oakfield.example' }).success).toBe(true);
    expect(upnForAccount(pupilAccountRuleSchema.parse({ emailTemplate: 'p.{upn}@pupils.oakfield.example' }), 'p.F938200119001@pupils.oakfield.example')).toBe('F938200119001');
  });
});
