import { AppError } from '../../../src/domain/errors.ts';
import { membershipOf, parseRuleCondition, type MembershipRule } from '../../../src/domain/organisation.ts';
import { actorForSchool, type Actor } from '../../../src/domain/roles.ts';

const rule = (id: string, position: number, when: string, schoolId: string): MembershipRule => ({ id, organisationId: 'org', position, ...parseRuleCondition(when), schoolId, createdAt: '2026-01-01T00:00:00Z' });

describe('Trusts and local authorities: membership rules', () => {
  const schoolIds = ['oak', 'elm'];
  const rules = [
    rule('r1', 1, 'department=Oakfield', 'oak'),
    rule('r2', 2, 'company=Elmwood Academy', 'elm'),
    rule('r3', 3, 'office=Peripatetic', 'oak'),
    rule('r4', 4, 'office=Peripatetic', 'elm'),
    rule('r5', 5, 'domain=elmwood.org.uk', 'elm'),
    rule('r6', 6, 'extensionAttribute3=OAK', 'oak'),
    rule('r7', 7, 'group=Elmwood staff', 'elm'),
  ];

  test.each([
    [{ email: 'a@trust.org.uk', department: ' oakfield ' }, ['oak'], 'rule'],
    [{ email: 'b@trust.org.uk', company: 'ELMWOOD ACADEMY' }, ['elm'], 'rule'],
    [{ email: 'c@trust.org.uk', office: 'Peripatetic' }, ['oak', 'elm'], 'rule'],
    [{ email: 'd@staff.elmwood.org.uk' }, ['elm'], 'rule'],
    [{ email: 'e@notelmwood.org.uk' }, [], 'none'],
    [{ email: 'f@trust.org.uk', extensionAttributes: { extensionAttribute3: 'oak' } }, ['oak'], 'rule'],
    [{ email: 'g@trust.org.uk', groups: ['Elmwood Staff'] }, ['elm'], 'rule'],
    [{ email: 'h@trust.org.uk', department: 'Estates' }, [], 'none'],
  ])('the facts %j place the person in %j', (facts, expected, reason) => {
    expect(membershipOf(facts, { schoolIds, rules, overrides: [] })).toMatchObject({ schoolIds: expected, reason });
  });

  test('an override wins over the rules, and names two schools when it says so', () => {
    const overrides = [
      { organisationId: 'org', email: 'a@trust.org.uk', schoolId: 'elm', createdAt: '' },
      { organisationId: 'org', email: 'a@trust.org.uk', schoolId: 'oak', createdAt: '' },
    ];
    expect(membershipOf({ email: 'A@Trust.org.uk', department: 'Oakfield' }, { schoolIds, rules, overrides })).toEqual({ schoolIds: ['elm', 'oak'], reason: 'override', ruleIds: [] });
  });

  test('a school on its own with no rules keeps everyone; a trust with no rules places no one', () => {
    expect(membershipOf({ email: 'x@a.org' }, { schoolIds: ['oak'], rules: [], overrides: [] })).toMatchObject({ schoolIds: ['oak'], reason: 'only_school' });
    expect(membershipOf({ email: 'x@a.org' }, { schoolIds, rules: [], overrides: [] })).toMatchObject({ schoolIds: [], reason: 'none' });
  });

  test('a rule is fact=value with a known fact', () => {
    expect(parseRuleCondition('office = Main building')).toEqual({ fact: 'office', value: 'Main building' });
    for (const bad of ['department', '=Oakfield', 'shoe=9', 'department=', 'extensionAttribute16=x']) expect(() => parseRuleCondition(bad)).toThrow(AppError);
  });

  test('the school of a report: one school needs no choice; two need one of theirs', () => {
    const single: Actor = { schoolId: 'oak', personId: 'p1', displayName: 'Sam', roles: ['staff'] };
    expect(actorForSchool(single, undefined)).toBe(single);
    expect(() => actorForSchool(single, 'elm')).toThrow(/not a member of that school/);
    const two: Actor = {
      ...single,
      memberships: [
        { schoolId: 'elm', schoolSlug: 'elmwood', schoolName: 'Elmwood', personId: 'p2', displayName: 'Sam', roles: ['staff', 'dsl'] },
        { schoolId: 'oak', schoolSlug: 'oakfield', schoolName: 'Oakfield', personId: 'p1', displayName: 'Sam', roles: ['staff'] },
      ],
    };
    expect(() => actorForSchool(two, undefined)).toThrow(/more than one school: Elmwood \(elmwood\), Oakfield \(oakfield\)/);
    expect(actorForSchool(two, 'elmwood')).toMatchObject({ schoolId: 'elm', personId: 'p2', roles: ['staff', 'dsl'] });
    expect(() => actorForSchool(two, 'beech')).toThrow(/not one of your schools/);
  });
});
