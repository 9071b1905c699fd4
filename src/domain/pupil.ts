import { z } from 'zod';
import { INCIDENT_TYPE_CODES, type IncidentTypeCode } from './incident-types.ts';
import type { Role } from './roles.ts';
import { textField } from './text.ts';

/**
 * The pupil register: every child on roll (and who has left), keyed by the Unique Pupil Number, so that every
 * concern about a child adds to one chronology. Names and dates of birth are special-category data: sealed at
 * rest like case content, shown in full only to the DSLs, deputies and the head, every view an access event.
 * Staff who report see only what they need to pick a child (preferred name, year and registration group).
 */

/** Who sees a pupil's record (legal name, date of birth, chronology, status) and links, unlinks and merges. */
export const PUPIL_RECORD_ROLES: readonly Role[] = ['dsl', 'deputy_dsl', 'head'];

/** What a child was to a case. */
export const CASE_CHILD_ROLES = ['subject', 'other_child', 'witness'] as const;
export type CaseChildRole = (typeof CASE_CHILD_ROLES)[number];
export const CASE_CHILD_ROLE_LABELS: Record<CaseChildRole, string> = {
  subject: 'The child the concern is about',
  other_child: 'Another child involved',
  witness: 'A child who saw or heard it',
};

/** Child-protection statuses a DSL records, with dates (Working Together to Safeguard Children). */
export const PROTECTION_STATUSES = ['early_help', 'child_in_need', 'child_protection_plan', 'looked_after', 'previously_looked_after', 'other'] as const;
export type ProtectionStatusKind = (typeof PROTECTION_STATUSES)[number];
export const PROTECTION_STATUS_LABELS: Record<ProtectionStatusKind, string> = {
  early_help: 'Early help',
  child_in_need: 'Child in need',
  child_protection_plan: 'Child protection plan',
  looked_after: 'Looked after',
  previously_looked_after: 'Previously looked after',
  other: 'Other',
};

/** Letters of the UPN check character (0 → A … 22 → Z; I, O and S are never used). */
const UPN_LETTERS = 'ABCDEFGHJKLMNPQRTUVWXYZ';

/**
 * Whether a Unique Pupil Number is well formed and its check letter right: a letter, then 12 digits (a
 * permanent UPN) or 11 digits and a letter (a temporary one). The check letter is the sum of the characters in
 * positions 2–13 times their position, modulo 23; a temporary UPN's last letter counts as its place in the same
 * alphabet.
 */
export function isValidUpn(value: string): boolean {
  const upn = value.trim().toUpperCase();
  if (!/^[A-Z]\d{11}[0-9A-Z]$/.test(upn)) return false;
  let sum = 0;
  for (let position = 2; position <= 13; position += 1) {
    const character = upn[position - 1]!;
    const digit = /\d/.test(character) ? Number(character) : UPN_LETTERS.indexOf(character);
    if (digit < 0) return false;
    sum += digit * position;
  }
  return UPN_LETTERS[sum % 23] === upn[0];
}

/** The check letter a UPN's other twelve characters call for (fixtures, and a clear message on a typo). */
export function upnCheckLetter(rest: string): string {
  let sum = 0;
  for (let position = 2; position <= 13; position += 1) {
    const character = rest[position - 2]!.toUpperCase();
    sum += (/\d/.test(character) ? Number(character) : UPN_LETTERS.indexOf(character)) * position;
  }
  return UPN_LETTERS[sum % 23]!;
}

const isoDate = z.iso.date({ message: 'Give the date as YYYY-MM-DD.' });

/** One pupil as an import gives it (CTF or CSV), before it is stored. */
export const pupilRecordSchema = z.strictObject({
  upn: textField({ message: 'Give the pupil’s UPN (13 characters).' })
    .trim()
    .toUpperCase()
    .refine(isValidUpn, 'The UPN is not valid: 13 characters, a check letter then 12 digits (or 11 digits and a letter), with the right check letter.'),
  legalForename: textField().trim().min(1, 'Give the pupil’s legal forename.').max(100),
  legalSurname: textField().trim().min(1, 'Give the pupil’s legal surname.').max(100),
  preferredForename: textField().trim().max(100).optional(),
  preferredSurname: textField().trim().max(100).optional(),
  dateOfBirth: isoDate,
  /** As the MIS gives it: N1, N2, R, 1 … 14, X. */
  yearGroup: textField().trim().max(10).optional(),
  registrationGroup: textField().trim().max(50).optional(),
  /** Set for a pupil who has left (the CTF's leaving date). */
  leftOn: isoDate.optional(),
});
export type PupilRecord = z.infer<typeof pupilRecordSchema>;

/** A pupil as DSL Desk keeps them: the record, sealed, and what it needs in the clear to list and match. */
export interface Pupil extends PupilRecord {
  id: string;
  schoolId: string;
  /** The pupil's account in the school's Microsoft 365 or Google directory, when the school's rule matched one. */
  directoryAccount?: string;
  /** When this record was merged into another (two records for one child): the one that stays. */
  mergedInto?: string;
  createdAt: string;
  updatedAt: string;
}

/** What a member of staff picking a child sees: enough to choose the right one, nothing more. */
export interface PupilChoice {
  id: string;
  /** Preferred forename and surname (legal ones when none are preferred). */
  name: string;
  yearGroup?: string;
  registrationGroup?: string;
}

export function pupilChoiceOf(pupil: Pick<Pupil, 'id' | 'legalForename' | 'legalSurname' | 'preferredForename' | 'preferredSurname' | 'yearGroup' | 'registrationGroup'>): PupilChoice {
  return {
    id: pupil.id,
    name: `${pupil.preferredForename || pupil.legalForename} ${pupil.preferredSurname || pupil.legalSurname}`,
    ...(pupil.yearGroup ? { yearGroup: pupil.yearGroup } : {}),
    ...(pupil.registrationGroup ? { registrationGroup: pupil.registrationGroup } : {}),
  };
}

/** A child on a case: a pupil of the register, or a name typed that matched nobody (for a DSL to link). */
export interface CaseChild {
  caseId: string;
  role: CaseChildRole;
  pupilId?: string;
  /** Only when no pupil was picked: the name as typed, sealed; the DSL sees it flagged to link. */
  typedName?: string;
  linkedBy?: string;
  linkedAt: string;
}

/** A child named on a report: picked from the register, or typed. */
export const reportedChildSchema = z
  .strictObject({
    pupilId: z.uuid({ message: 'Pick the child from the list (pupilId is the id the pupil search gave).' }).optional(),
    name: textField().trim().min(1).max(200, 'Keep the child’s name under 200 characters.').optional(),
    role: z.enum(CASE_CHILD_ROLES, { message: `role must be one of: ${CASE_CHILD_ROLES.join(', ')}` }).default('subject'),
  })
  .refine((child) => Boolean(child.pupilId) !== Boolean(child.name), { message: 'Give either the child picked from the list or their name, not both.' });
export type ReportedChild = z.infer<typeof reportedChildSchema>;

/** A child-protection status with its dates, recorded by a DSL. */
export interface ProtectionStatus {
  id: string;
  pupilId: string;
  kind: ProtectionStatusKind;
  /** Only for `other`: what it is. */
  detail?: string;
  from: string;
  to?: string;
  recordedBy: string;
  recordedAt: string;
}

/**
 * "Small worries add up": a pupil with `count` or more concerns within `days` (any type), or any concern of one
 * of `alwaysTypes`, gets the DSLs a pattern card. The school sets it; 3 in 60 days by default.
 */
export const patternRuleSchema = z.strictObject({
  count: z.number().int().min(2, 'A pattern needs at least 2 concerns.').max(50),
  days: z.number().int().min(1).max(730, 'Look back at most two years.'),
  alwaysTypes: z.array(z.enum(INCIDENT_TYPE_CODES)).max(50).default([]),
});
export type PatternRule = z.infer<typeof patternRuleSchema> & { alwaysTypes: IncidentTypeCode[] };
export const DEFAULT_PATTERN_RULE: PatternRule = { count: 3, days: 60, alwaysTypes: [] };

/**
 * Whether a pupil's concerns (the times they were reported, newest last) make a pattern under the rule when a new
 * one arrives at `now`: the count within the window, or a type the school always wants to hear about.
 */
export function makesPattern(rule: PatternRule, reportedAt: string[], newTypes: readonly IncidentTypeCode[], now: Date): { pattern: boolean; reason?: 'count' | 'type' } {
  if (newTypes.some((type) => rule.alwaysTypes.includes(type))) return { pattern: true, reason: 'type' };
  const since = now.getTime() - rule.days * 86_400_000;
  const within = reportedAt.filter((at) => Date.parse(at) >= since).length;
  return within >= rule.count ? { pattern: true, reason: 'count' } : { pattern: false };
}
