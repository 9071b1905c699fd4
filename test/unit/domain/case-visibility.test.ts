import { canActOnCase, canViewCase, caseDetailFor, seesInvolvedPeople, type Case } from '../../../src/domain/case.ts';
import type { Actor } from '../../../src/domain/roles.ts';
import type { IncidentTypeCode } from '../../../src/domain/incident-types.ts';
import { actor, allegationCase, makeCase, people } from './builders.ts';

const { staff, dsl, deputy, head, it: itPerson, governor, admin } = people;

type Access = 'none' | 'view' | 'act';
function access(who: Actor, current: Case): Access {
  const view = canViewCase(who, current);
  const act = canActOnCase(who, current);
  // Acting always implies seeing.
  if (act) expect(view).toBe(true);
  return act ? 'act' : view ? 'view' : 'none';
}

const ROLE_ACTORS: [string, Actor][] = [
  ['staff', staff],
  ['dsl', dsl],
  ['deputy_dsl', deputy],
  ['head', head],
  ['it', itPerson],
  ['governor', governor],
  ['admin', admin],
];

describe('a safeguarding (non-restricted) case', () => {
  const expected: Record<string, Access> = { staff: 'none', dsl: 'act', deputy_dsl: 'act', head: 'act', it: 'none', governor: 'none', admin: 'none' };
  it.each(ROLE_ACTORS)('%s', (role, who) => {
    expect(access(who, makeCase({ types: ['online_bullying'] }))).toBe(expected[role]);
  });
});

describe('a restricted case (allegation about a member of staff)', () => {
  const expected: Record<string, Access> = { staff: 'none', dsl: 'act', deputy_dsl: 'none', head: 'act', it: 'none', governor: 'none', admin: 'none' };
  it.each(ROLE_ACTORS)('%s', (role, who) => {
    expect(access(who, allegationCase('p-someone-else'))).toBe(expected[role]);
  });

  it('is never visible to its subject, even when the subject is a DSL or the headteacher', () => {
    expect(access(dsl, allegationCase(dsl.personId))).toBe('none');
    expect(access(head, allegationCase(head.personId))).toBe('none');
    const headAndDsl = actor('p-head-dsl', ['staff', 'head', 'dsl']);
    expect(access(headAndDsl, allegationCase(headAndDsl.personId))).toBe('none');
    expect(access(staff, allegationCase(staff.personId))).toBe('none');
  });

  it('other DSLs and the head still see it when a DSL is the subject', () => {
    const current = allegationCase(dsl.personId);
    expect(access(people.dsl2, current)).toBe('act');
    expect(access(head, current)).toBe('act');
    expect(access(deputy, current)).toBe('none');
  });

  it('a case of mixed types including an allegation is restricted too', () => {
    const current = makeCase({ types: ['suspicious_email', 'staff_allegation'] });
    expect(access(deputy, current)).toBe('none');
    expect(access(itPerson, current)).toBe('none');
    expect(access(head, current)).toBe('act');
  });
});

describe('a case whose subject is the viewer, even if not restricted', () => {
  it('is hidden from them', () => {
    const current = makeCase({ types: ['online_bullying'] }, { subjectPersonId: deputy.personId });
    expect(access(deputy, current)).toBe('none');
    expect(access(dsl, current)).toBe('act');
  });
});

describe('security-only cases', () => {
  const securityOnly: IncidentTypeCode[][] = [['suspicious_email'], ['filtering_failure'], ['hacking_or_viruses'], ['suspicious_email', 'personal_data_exposure'], ['bypassing_security']];
  it.each(securityOnly.map((types) => [types.join('+'), types] as const))('IT sees %s but cannot act', (_label, types) => {
    const current = makeCase({ types, url: 'http://blocked.example' });
    expect(access(itPerson, current)).toBe('view');
    expect(access(dsl, current)).toBe('act');
    expect(access(deputy, current)).toBe('act');
    expect(access(staff, current)).toBe('none');
    expect(access(governor, current)).toBe('none');
  });

  it.each<[string, IncidentTypeCode[]]>([
    ['mixed security and safeguarding', ['suspicious_email', 'online_bullying']],
    ['mixed, security first', ['filtering_failure', 'pornographic_material']],
    ['safeguarding only', ['grooming']],
    ['age-inappropriate content', ['age_inappropriate_content']],
  ])('IT does not see a %s case', (_label, types) => {
    expect(access(itPerson, makeCase({ types, url: 'http://blocked.example' }))).toBe('none');
  });
});

describe('another school', () => {
  it.each([
    ['dsl', people.otherSchoolDsl],
    ['head', people.otherSchoolHead],
    ['it', people.otherSchoolIt],
  ] as const)('its %s sees nothing of ours', (_role, who) => {
    expect(access(who, makeCase({ types: ['online_bullying'] }))).toBe('none');
    expect(access(who, makeCase({ types: ['suspicious_email'] }))).toBe('none');
    expect(access(who, allegationCase())).toBe('none');
  });
});

describe('governors and admins', () => {
  it('without a DSL role see no case at all', () => {
    for (const who of [governor, admin, actor('p-gov-admin', ['governor', 'admin'])]) {
      for (const current of [makeCase(), makeCase({ types: ['suspicious_email'] }), allegationCase()]) {
        expect(access(who, current)).toBe('none');
      }
    }
  });

  it('with a DSL role, act as that role', () => {
    expect(access(actor('p-admin-deputy', ['admin', 'deputy_dsl']), makeCase())).toBe('act');
    expect(access(actor('p-admin-deputy', ['admin', 'deputy_dsl']), allegationCase())).toBe('none');
  });

  it('a person with no roles sees nothing', () => {
    expect(access(actor('p-nobody', []), makeCase({ types: ['suspicious_email'] }))).toBe('none');
  });
});

describe('caseDetailFor', () => {
  const withNames = (types: IncidentTypeCode[]): Case =>
    makeCase({
      types,
      involved: [
        { group: 'staff', name: 'Mr Office Manager', contact: 'office@school.example' },
        { group: 'other', name: 'Unknown sender' },
      ],
    });

  it.each([
    ['dsl', dsl],
    ['deputy_dsl', deputy],
    ['head', head],
  ] as const)('%s sees the names of the people involved', (_role, who) => {
    const current = withNames(['suspicious_email']);
    expect(seesInvolvedPeople(who)).toBe(true);
    expect(caseDetailFor(who, current).concern.involved).toEqual([
      { group: 'staff', name: 'Mr Office Manager', contact: 'office@school.example' },
      { group: 'other', name: 'Unknown sender' },
    ]);
  });

  it("IT's view hides names and contacts but keeps groups and the rest of the case", () => {
    const current = withNames(['suspicious_email']);
    const before = structuredClone(current);
    const seen = caseDetailFor(itPerson, current);
    expect(seesInvolvedPeople(itPerson)).toBe(false);
    expect(seen.concern.involved).toEqual([
      { group: 'staff', name: '(hidden)' },
      { group: 'other', name: '(hidden)' },
    ]);
    expect(JSON.stringify(seen)).not.toContain('Mr Office Manager');
    expect(JSON.stringify(seen)).not.toContain('office@school.example');
    expect(seen.reference).toBe(current.reference);
    expect(seen.types).toEqual(['suspicious_email']);
    expect(seen.status).toBe(current.status);
    // The stored case is not changed by building IT's view.
    expect(current).toEqual(before);
  });

  it('other roles without a DSL role get the hidden-names view too', () => {
    for (const who of [staff, governor, admin]) {
      expect(caseDetailFor(who, withNames(['online_bullying'])).concern.involved.every((p) => p.name === '(hidden)')).toBe(true);
    }
  });

  it('an IT person who also holds a DSL role sees names', () => {
    const itDeputy = actor('p-it-deputy', ['staff', 'it', 'deputy_dsl']);
    expect(caseDetailFor(itDeputy, withNames(['suspicious_email'])).concern.involved[0]?.name).toBe('Mr Office Manager');
  });
});
