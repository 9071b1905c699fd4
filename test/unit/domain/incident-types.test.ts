import {
  ACTION_TAKEN_CODES,
  ESCALATION_AGENCY_CODES,
  INCIDENT_TYPE_CODES,
  INCIDENT_TYPE_GROUPS,
  INCIDENT_TYPES,
  incidentTypesForReporters,
  incidentType,
  isIncidentTypeCode,
  isSecurityOnly,
  PROTOCOLS,
  protocolsFor,
  protocolStepKeys,
  URGENCIES,
  URGENCY_RANK,
  type IncidentType,
  type IncidentTypeCode,
} from '../../../src/domain/incident-types.ts';

const ALL: readonly IncidentType[] = INCIDENT_TYPES;

describe('the incident-type list', () => {
  it.each(ALL.map((t) => [t.code, t] as const))('%s has a label, an existing protocol, a valid urgency and an audience', (_code, type) => {
    expect(type.label.trim().length).toBeGreaterThan(3);
    expect(Object.keys(PROTOCOLS)).toContain(type.protocol);
    expect(URGENCIES).toContain(type.defaultUrgency);
    expect(['safeguarding', 'security']).toContain(type.audience);
    expect(type.code).toMatch(/^[a-z][a-z_]*$/);
    expect(incidentType(type.code as IncidentTypeCode)).toBe(type);
  });

  it('has unique codes and unique labels', () => {
    expect(new Set(ALL.map((t) => t.code)).size).toBe(ALL.length);
    expect(new Set(ALL.map((t) => t.label)).size).toBe(ALL.length);
    expect(INCIDENT_TYPE_CODES).toEqual(ALL.map((t) => t.code));
  });

  it('covers every type of the product list (§1): 20 listed items (nudes and child-abuse images as two), 3 more, and staff allegations', () => {
    expect(ALL).toHaveLength(25);
    for (const code of [
      'age_inappropriate_content',
      'account_access_without_permission',
      'online_bullying',
      'hate_material',
      'nudes_semi_nudes',
      'child_abuse_images',
      'bypassing_security',
      'grooming',
      'terrorist_or_extremist_material',
      'copyright_breach',
      'other',
      'suspicious_email',
      'personal_data_exposure',
      'filtering_failure',
      'staff_allegation',
    ]) {
      expect(isIncidentTypeCode(code)).toBe(true);
    }
  });

  it('follows the product urgency rules: grooming, nudes, child-abuse images and extremism are urgent', () => {
    const urgent = ALL.filter((t) => t.defaultUrgency === 'urgent').map((t) => t.code).sort();
    expect(urgent).toEqual(['child_abuse_images', 'grooming', 'nudes_semi_nudes', 'staff_allegation', 'terrorist_or_extremist_material']);
  });

  it('only staff allegations are restricted', () => {
    expect(ALL.filter((t) => t.restricted).map((t) => t.code)).toEqual(['staff_allegation']);
  });

  it('never stores images for nudes and child-abuse images', () => {
    expect(ALL.filter((t) => t.neverStoreImages).map((t) => t.code).sort()).toEqual(['child_abuse_images', 'nudes_semi_nudes']);
  });

  it('"other" needs detail and a filtering failure needs its URL; nothing else does', () => {
    expect(ALL.filter((t) => t.needsDetail).map((t) => t.code)).toEqual(['other']);
    expect(ALL.filter((t) => t.needsUrl).map((t) => t.code)).toEqual(['filtering_failure']);
  });

  it('routes types to the product protocols (§2)', () => {
    const protocolOf = (code: IncidentTypeCode) => incidentType(code).protocol;
    expect(protocolOf('nudes_semi_nudes')).toBe('self_generated_images');
    expect(protocolOf('child_abuse_images')).toBe('online_sexual_abuse');
    expect(protocolOf('grooming')).toBe('online_sexual_abuse');
    expect(protocolOf('terrorist_or_extremist_material')).toBe('extremism');
    expect(protocolOf('online_bullying')).toBe('online_bullying');
    expect(protocolOf('suspicious_email')).toBe('phishing_and_data');
    expect(protocolOf('personal_data_exposure')).toBe('phishing_and_data');
    expect(protocolOf('filtering_failure')).toBe('filtering_failure');
    expect(protocolOf('staff_allegation')).toBe('staff_allegation');
  });

  it('incidentType throws for an unknown code and isIncidentTypeCode says no', () => {
    expect(() => incidentType('nope' as IncidentTypeCode)).toThrow('Unknown incident type nope');
    expect(isIncidentTypeCode('nope')).toBe(false);
    expect(isIncidentTypeCode('')).toBe(false);
  });

  it('ranks urgencies urgent > high > normal > low', () => {
    expect(URGENCY_RANK.urgent).toBeGreaterThan(URGENCY_RANK.high);
    expect(URGENCY_RANK.high).toBeGreaterThan(URGENCY_RANK.normal);
    expect(URGENCY_RANK.normal).toBeGreaterThan(URGENCY_RANK.low);
  });
});

describe('PROTOCOLS', () => {
  it.each(Object.entries(PROTOCOLS))('%s is keyed by its own code and has distinct, labelled steps', (key, protocol) => {
    expect(protocol.code).toBe(key);
    expect(protocol.steps.length).toBeGreaterThan(0);
    expect(new Set(protocol.steps.map((s) => s.code)).size).toBe(protocol.steps.length);
    for (const step of protocol.steps) {
      expect(step.code).toMatch(/^[a-z][a-z_]*$/);
      expect(step.label.length).toBeGreaterThan(3);
    }
  });

  it('every protocol is used by at least one type', () => {
    const used = new Set(ALL.map((t) => t.protocol));
    expect([...used].sort()).toEqual(Object.keys(PROTOCOLS).sort());
  });
});

describe('protocolsFor', () => {
  it('returns each protocol once, in the order the types were given', () => {
    expect(protocolsFor(['grooming', 'child_abuse_images']).map((p) => p.code)).toEqual(['online_sexual_abuse']);
    expect(protocolsFor(['online_bullying', 'hate_material', 'disrepute', 'grooming', 'child_abuse_images']).map((p) => p.code)).toEqual([
      'online_bullying',
      'general',
      'online_sexual_abuse',
    ]);
    expect(protocolsFor(['suspicious_email', 'online_bullying']).map((p) => p.code)).toEqual(['phishing_and_data', 'online_bullying']);
  });

  it('returns nothing for no types', () => {
    expect(protocolsFor([])).toEqual([]);
  });
});

describe('protocolStepKeys', () => {
  it('addresses each step as `<protocol>.<step>`', () => {
    expect(protocolStepKeys(['filtering_failure'])).toEqual(['filtering_failure.url_recorded', 'filtering_failure.it_informed', 'filtering_failure.filtering_provider_informed']);
  });

  it('keeps the same step name in two protocols distinct, and never repeats a key', () => {
    const keys = protocolStepKeys(['nudes_semi_nudes', 'online_bullying', 'disrepute']);
    expect(keys).toContain('self_generated_images.parents_informed');
    expect(keys).toContain('online_bullying.parents_informed');
    expect(new Set(keys).size).toBe(keys.length);
    const both = protocolStepKeys(['suspicious_email', 'personal_data_exposure', 'filtering_failure']);
    expect(both).toContain('phishing_and_data.it_informed');
    expect(both).toContain('filtering_failure.it_informed');
    expect(both).toHaveLength(PROTOCOLS.phishing_and_data.steps.length + PROTOCOLS.filtering_failure.steps.length);
  });

  it('every key has one dot and names a real step', () => {
    const keys = protocolStepKeys(INCIDENT_TYPE_CODES);
    expect(keys).toHaveLength(Object.values(PROTOCOLS).reduce((n, p) => n + p.steps.length, 0));
    for (const key of keys) {
      const [protocol, step, ...rest] = key.split('.');
      expect(rest).toEqual([]);
      expect(PROTOCOLS[protocol as keyof typeof PROTOCOLS].steps.map((s) => s.code)).toContain(step);
    }
  });
});

describe('isSecurityOnly', () => {
  it.each<[IncidentTypeCode[], boolean]>([
    [['suspicious_email'], true],
    [['filtering_failure'], true],
    [['hacking_or_viruses', 'personal_data_exposure', 'bypassing_security'], true],
    [['suspicious_email', 'online_bullying'], false],
    [['grooming'], false],
    [['staff_allegation'], false],
    [[], false],
  ])('%j → %s', (types, expected) => {
    expect(isSecurityOnly(types)).toBe(expected);
  });

  it('the security types are exactly the email, data, filtering and hacking ones', () => {
    expect(ALL.filter((t) => t.audience === 'security').map((t) => t.code).sort()).toEqual([
      'bypassing_security',
      'filtering_failure',
      'hacking_or_viruses',
      'personal_data_exposure',
      'suspicious_email',
    ]);
  });
});

describe('escalation agencies and actions taken', () => {
  it('offers the escalations named in product §4', () => {
    for (const code of ['police_ceop', 'childrens_social_care', 'lado', 'iwf', 'prevent', 'platform']) expect(ESCALATION_AGENCY_CODES).toContain(code);
    expect(new Set(ESCALATION_AGENCY_CODES).size).toBe(ESCALATION_AGENCY_CODES.length);
  });

  it('offers the nine immediate actions of product §1', () => {
    expect(ACTION_TAKEN_CODES).toHaveLength(9);
    expect(new Set(ACTION_TAKEN_CODES).size).toBe(9);
    expect(ACTION_TAKEN_CODES).toEqual(expect.arrayContaining(['reported_to_dsl', 'reported_to_police_ceop', 'parents_informed', 'wider_community_response']));
  });
});

describe('the most urgent choice comes first: how reporters are offered the types', () => {
  it('the most urgent choice comes first: every type is in exactly one group', () => {
    const grouped = INCIDENT_TYPE_GROUPS.flatMap((group) => [...group.types]);
    expect(new Set(grouped).size).toBe(grouped.length);
    expect([...grouped].sort()).toEqual(INCIDENT_TYPES.map((type) => type.code).sort());
    expect(incidentTypesForReporters().map(({ type }) => type.code)).toEqual(grouped);
  });

  it('the most urgent choice comes first: groups run contact, content, conduct, commerce, security; "Other" is last', () => {
    expect(INCIDENT_TYPE_GROUPS.map((group) => group.code)).toEqual(['contact', 'content', 'conduct', 'commerce', 'security', 'other']);
    const order = incidentTypesForReporters().map(({ type }) => type.code);
    expect(order.at(-1)).toBe('other');
    expect(order.indexOf('staff_allegation')).toBeLessThan(3);
  });
});
