/**
 * The incident types of the concern record (product §1), as one documented list. Each type carries its
 * label, the urgency it implies, the protocol the DSL works through (product §2), and who may see it:
 * `safeguarding` types are for the DSL roles only; `security` types are also visible to IT, without the
 * names of the people involved.
 */
export const URGENCIES = ['urgent', 'high', 'normal', 'low'] as const;
export type Urgency = (typeof URGENCIES)[number];

export type IncidentAudience = 'safeguarding' | 'security';

export interface ProtocolStep {
  code: string;
  label: string;
}

export interface Protocol {
  code: string;
  title: string;
  steps: readonly ProtocolStep[];
}

export const PROTOCOLS = {
  self_generated_images: {
    code: 'self_generated_images',
    title: 'Nudes and semi-nudes',
    steps: [
      { code: 'not_viewed_or_copied', label: 'Confirmed nobody has viewed, copied, printed, shared or saved the image' },
      { code: 'device_secured', label: 'Device secured without searching it for images' },
      { code: 'risk_assessed', label: 'Risk assessment completed' },
      { code: 'referral_considered', label: "Referral to children's social care and/or police considered" },
      { code: 'child_supported', label: 'Support arranged for the child' },
      { code: 'parents_informed', label: 'Parents/carers informed, unless that would put the child at risk' },
      { code: 'school_systems_isolated', label: 'If on school systems: access blocked and the content isolated' },
    ],
  },
  online_sexual_abuse: {
    code: 'online_sexual_abuse',
    title: 'Child-abuse images, online sexual abuse and grooming',
    steps: [
      { code: 'devices_secured', label: 'Devices secured and left untouched' },
      { code: 'police_or_ceop_contacted', label: 'Police (101, or 999 if a child is in immediate danger) or CEOP contacted' },
      { code: 'urls_reported_to_iwf', label: 'Web addresses reported to the Internet Watch Foundation' },
      { code: 'copies_deleted_on_police_advice', label: 'Copies deleted only after police advice' },
      { code: 'lado_if_staff_involved', label: 'LADO contacted if a member of staff is involved' },
      { code: 'child_supported', label: 'Support arranged for the child' },
    ],
  },
  extremism: {
    code: 'extremism',
    title: 'Extremism and radicalisation',
    steps: [
      { code: 'dsl_informed_immediately', label: 'DSL informed immediately' },
      { code: 'prevent_referral_considered', label: 'Prevent referral considered' },
      { code: 'content_blocked', label: 'Access to the material blocked on school systems' },
    ],
  },
  online_bullying: {
    code: 'online_bullying',
    title: 'Online bullying and harassment',
    steps: [
      { code: 'evidence_kept', label: 'Evidence kept (not deleted) and described on the case' },
      { code: 'people_identified', label: 'Those involved identified' },
      { code: 'removal_requested', label: 'Removal of the content requested' },
      { code: 'platform_contacted', label: 'Platform or service provider contacted' },
      { code: 'sanctions_applied', label: 'Sanctions applied under the behaviour policy' },
      { code: 'parents_informed', label: 'Parents/carers informed' },
      { code: 'police_if_criminal', label: 'Police informed if a crime may have been committed' },
    ],
  },
  phishing_and_data: {
    code: 'phishing_and_data',
    title: 'Suspicious email, phishing and data loss',
    steps: [
      { code: 'links_not_opened', label: 'Reporter told not to open links or attachments' },
      { code: 'it_informed', label: 'IT informed' },
      { code: 'exposure_assessed', label: 'Whether personal data may be exposed has been assessed' },
      { code: 'ico_decision_recorded', label: 'Data-protection lead decided on reporting to the ICO (within 72 hours)' },
    ],
  },
  filtering_failure: {
    code: 'filtering_failure',
    title: 'Web filtering failure or bypass',
    steps: [
      { code: 'url_recorded', label: 'Web address recorded on the case' },
      { code: 'it_informed', label: 'IT informed' },
      { code: 'filtering_provider_informed', label: 'Filtering provider informed' },
    ],
  },
  staff_allegation: {
    code: 'staff_allegation',
    title: "Allegation about a member of staff's online conduct",
    steps: [
      { code: 'headteacher_informed', label: 'Headteacher informed (or chair of governors if it concerns the headteacher)' },
      { code: 'lado_consulted', label: 'LADO consulted within one working day' },
      { code: 'no_internal_investigation', label: 'No investigation started before LADO advice' },
      { code: 'evidence_preserved', label: 'Evidence preserved' },
    ],
  },
  general: {
    code: 'general',
    title: 'General online-safety incident',
    steps: [
      { code: 'facts_recorded', label: 'Facts recorded on the case' },
      { code: 'people_identified', label: 'Those involved identified' },
      { code: 'parents_informed', label: 'Parents/carers informed where appropriate' },
      { code: 'sanctions_or_support', label: 'Sanctions or support agreed' },
      { code: 'policy_review_considered', label: 'Need to review the online-safety policy considered' },
    ],
  },
} as const satisfies Record<string, Protocol>;

export type ProtocolCode = keyof typeof PROTOCOLS;

export interface IncidentType {
  code: string;
  label: string;
  defaultUrgency: Urgency;
  protocol: ProtocolCode;
  audience: IncidentAudience;
  /** Cases of this type are restricted to the headteacher and DSLs and never shown to their subject. */
  restricted?: boolean;
  /** Images are never asked for, stored or shown: the case keeps metadata and a hash only. */
  neverStoreImages?: boolean;
  /** The reporter must say what it is ("other"). */
  needsDetail?: boolean;
  /** The reporter must give the web address (filtering failures). */
  needsUrl?: boolean;
}

export const INCIDENT_TYPES = [
  { code: 'age_inappropriate_content', label: 'Accessing age-inappropriate sites, apps or social media', defaultUrgency: 'normal', protocol: 'general', audience: 'safeguarding' },
  { code: 'account_access_without_permission', label: "Accessing someone else's account without permission", defaultUrgency: 'normal', protocol: 'general', audience: 'safeguarding' },
  { code: 'chain_or_threatening_messages', label: 'Forwarding chain messages or threatening material', defaultUrgency: 'normal', protocol: 'general', audience: 'safeguarding' },
  { code: 'images_posted_without_permission', label: "Posting images without everyone's permission", defaultUrgency: 'high', protocol: 'general', audience: 'safeguarding' },
  { code: 'online_bullying', label: 'Online bullying or harassment', defaultUrgency: 'high', protocol: 'online_bullying', audience: 'safeguarding' },
  { code: 'disrepute', label: 'Material bringing a person or the school into disrepute', defaultUrgency: 'normal', protocol: 'general', audience: 'safeguarding' },
  { code: 'hate_material', label: 'Racist, sexist, homophobic, religious or other hate material', defaultUrgency: 'high', protocol: 'general', audience: 'safeguarding' },
  { code: 'online_gambling', label: 'Online gambling', defaultUrgency: 'normal', protocol: 'general', audience: 'safeguarding' },
  { code: 'nudes_semi_nudes', label: 'Nudes or semi-nudes', defaultUrgency: 'urgent', protocol: 'self_generated_images', audience: 'safeguarding', neverStoreImages: true },
  { code: 'child_abuse_images', label: 'Child-abuse images', defaultUrgency: 'urgent', protocol: 'online_sexual_abuse', audience: 'safeguarding', neverStoreImages: true },
  { code: 'bypassing_security', label: 'Deliberately bypassing security', defaultUrgency: 'normal', protocol: 'filtering_failure', audience: 'security' },
  { code: 'grooming', label: 'Grooming', defaultUrgency: 'urgent', protocol: 'online_sexual_abuse', audience: 'safeguarding' },
  { code: 'hacking_or_viruses', label: 'Hacking or spreading viruses', defaultUrgency: 'high', protocol: 'phishing_and_data', audience: 'security' },
  { code: 'pornographic_material', label: 'Pornographic images and media', defaultUrgency: 'high', protocol: 'general', audience: 'safeguarding' },
  { code: 'terrorist_or_extremist_material', label: 'Terrorist or extremist material', defaultUrgency: 'urgent', protocol: 'extremism', audience: 'safeguarding' },
  { code: 'violent_material', label: 'Violent images and media', defaultUrgency: 'high', protocol: 'general', audience: 'safeguarding' },
  { code: 'drug_or_bomb_making_material', label: 'Drug or bomb-making material', defaultUrgency: 'high', protocol: 'general', audience: 'safeguarding' },
  { code: 'impersonation_account', label: "An account created in someone else's name", defaultUrgency: 'normal', protocol: 'general', audience: 'safeguarding' },
  { code: 'copyright_breach', label: 'Copyright breach', defaultUrgency: 'low', protocol: 'general', audience: 'safeguarding' },
  { code: 'other_aup_breach', label: 'Other breach of the Acceptable Use Policy', defaultUrgency: 'normal', protocol: 'general', audience: 'safeguarding' },
  { code: 'other', label: 'Other (say what)', defaultUrgency: 'normal', protocol: 'general', audience: 'safeguarding', needsDetail: true },
  { code: 'suspicious_email', label: 'Suspicious email or phishing', defaultUrgency: 'normal', protocol: 'phishing_and_data', audience: 'security' },
  { code: 'personal_data_exposure', label: 'Loss or exposure of personal data', defaultUrgency: 'high', protocol: 'phishing_and_data', audience: 'security' },
  { code: 'filtering_failure', label: 'A failure or bypass of web filtering', defaultUrgency: 'normal', protocol: 'filtering_failure', audience: 'security', needsUrl: true },
  { code: 'staff_allegation', label: "Allegation about a member of staff's online conduct", defaultUrgency: 'urgent', protocol: 'staff_allegation', audience: 'safeguarding', restricted: true },
] as const satisfies readonly IncidentType[];

export type IncidentTypeCode = (typeof INCIDENT_TYPES)[number]['code'];

export const INCIDENT_TYPE_CODES = INCIDENT_TYPES.map((type) => type.code) as [IncidentTypeCode, ...IncidentTypeCode[]];

const BY_CODE: ReadonlyMap<string, IncidentType> = new Map(INCIDENT_TYPES.map((type) => [type.code, type]));

export function incidentType(code: IncidentTypeCode): IncidentType {
  const type = BY_CODE.get(code);
  if (!type) throw new Error(`Unknown incident type ${code}`);
  return type;
}

export function isIncidentTypeCode(value: string): value is IncidentTypeCode {
  return BY_CODE.has(value);
}

export const URGENCY_RANK: Record<Urgency, number> = { urgent: 3, high: 2, normal: 1, low: 0 };

/** The checklist for a set of types: each protocol once, in the order the types were given. */
export function protocolsFor(types: readonly IncidentTypeCode[]): Protocol[] {
  const seen = new Set<ProtocolCode>();
  const result: Protocol[] = [];
  for (const code of types) {
    const protocol = incidentType(code).protocol;
    if (!seen.has(protocol)) {
      seen.add(protocol);
      result.push(PROTOCOLS[protocol]);
    }
  }
  return result;
}

/** A step is addressed as `<protocol>.<step>` so the same step name in two protocols stays distinct. */
export function protocolStepKeys(types: readonly IncidentTypeCode[]): string[] {
  return protocolsFor(types).flatMap((protocol) => protocol.steps.map((step) => `${protocol.code}.${step.code}`));
}

/** True when a type's protocol forbids keeping images (nudes, child-abuse images): only names, sizes and hashes stay. */
export function forbidsKeepingImages(types: readonly IncidentTypeCode[]): boolean {
  return types.some((code) => incidentType(code).neverStoreImages === true);
}

/** True when every type is a security type, so IT may see the case. */
export function isSecurityOnly(types: readonly IncidentTypeCode[]): boolean {
  return types.length > 0 && types.every((code) => incidentType(code).audience === 'security');
}

export const ESCALATION_AGENCIES = [
  { code: 'police_ceop', label: 'Police / CEOP' },
  { code: 'childrens_social_care', label: "Children's social care" },
  { code: 'lado', label: 'LADO' },
  { code: 'iwf', label: 'Internet Watch Foundation' },
  { code: 'prevent', label: 'Prevent' },
  { code: 'platform', label: 'The platform or service provider' },
  { code: 'ico', label: "Information Commissioner's Office" },
] as const;
export type EscalationAgency = (typeof ESCALATION_AGENCIES)[number]['code'];
export const ESCALATION_AGENCY_CODES = ESCALATION_AGENCIES.map((a) => a.code) as [EscalationAgency, ...EscalationAgency[]];

/** Actions the DSL records over the life of a case (product §1, "immediate action taken"). */
export const ACTIONS_TAKEN = [
  { code: 'reported_to_dsl', label: 'Reported to the DSL / online-safety lead' },
  { code: 'safeguarding_advice_sought', label: 'Safeguarding advice sought' },
  { code: 'referred_to_social_care', label: "Referral to children's social care / local safeguarding team" },
  { code: 'reported_to_police_ceop', label: 'Reported to police and/or CEOP' },
  { code: 'policy_review', label: 'Online-safety policy to be reviewed' },
  { code: 'parents_informed', label: 'Parents/carers informed' },
  { code: 'reported_to_platform', label: 'Reported to the social network or platform' },
  { code: 'other_actions', label: 'Other actions (warnings, sanctions, debrief, support)' },
  { code: 'wider_community_response', label: 'Response in the wider community (letters, newsletter, assembly, lessons)' },
] as const;
export type ActionTaken = (typeof ACTIONS_TAKEN)[number]['code'];
export const ACTION_TAKEN_CODES = ACTIONS_TAKEN.map((a) => a.code) as [ActionTaken, ...ActionTaken[]];

/**
 * How the types are offered to a reporter: in groups, most urgent group first, the types in each group
 * most serious first, "Other" last. The groups follow the "4 Cs" of online risk staff learn in Keeping
 * Children Safe in Education (content, contact, conduct, commerce), plus the school's systems and data.
 * An allegation about a member of staff sits near the top (second), never after "Other".
 */
export const INCIDENT_TYPE_GROUPS = [
  { code: 'contact', label: 'Contact', types: ['grooming', 'staff_allegation', 'chain_or_threatening_messages'] },
  {
    code: 'content',
    label: 'Content',
    types: ['child_abuse_images', 'terrorist_or_extremist_material', 'pornographic_material', 'violent_material', 'hate_material', 'drug_or_bomb_making_material', 'age_inappropriate_content'],
  },
  {
    code: 'conduct',
    label: 'Conduct',
    types: ['nudes_semi_nudes', 'online_bullying', 'images_posted_without_permission', 'impersonation_account', 'account_access_without_permission', 'disrepute', 'copyright_breach'],
  },
  { code: 'commerce', label: 'Commerce', types: ['online_gambling'] },
  { code: 'security', label: 'School systems', types: ['suspicious_email', 'personal_data_exposure', 'hacking_or_viruses', 'filtering_failure', 'bypassing_security'] },
  { code: 'other', label: 'Other', types: ['other_aup_breach', 'other'] },
] as const satisfies readonly { code: string; label: string; types: readonly IncidentTypeCode[] }[];

export type IncidentTypeGroupCode = (typeof INCIDENT_TYPE_GROUPS)[number]['code'];

/** Every type once, in the order a reporter is offered them, with its group. */
export function incidentTypesForReporters(): { type: IncidentType & { code: IncidentTypeCode }; group: (typeof INCIDENT_TYPE_GROUPS)[number] }[] {
  return INCIDENT_TYPE_GROUPS.flatMap((group) => group.types.map((code) => ({ type: incidentType(code) as IncidentType & { code: IncidentTypeCode }, group })));
}
