import { z } from 'zod';
import type { ChatPlatform, DeliveryState } from './chat.ts';
import type { IncidentTypeCode } from './incident-types.ts';
import { PROTECTION_STATUS_LABELS, PROTECTION_STATUSES, type CaseChild, type CaseChildRole, type PatternRule, type ProtectionStatus } from './pupil.ts';
import { textField } from './text.ts';

/**
 * Children on cases as DSL Desk keeps them (migration 0018_case_children): every link is kept with its history,
 * so a chronology can say who linked a child and when, and an unlinked child stays on record with the reason.
 */
export interface StoredCaseChild extends CaseChild {
  id: string;
  schoolId: string;
  /** Who named the child on the case (the reporter, or a DSL adding them later) and when. */
  addedBy: string | null;
  addedAt: string;
  /** Why a DSL linked the pupil (sealed): only for a link made after the report. */
  linkReason?: string;
  /** A DSL took the child off the case: kept, with who, when and why (sealed). */
  unlinkedAt?: string;
  unlinkedBy?: string;
  unlinkReason?: string;
  /** When the link was moved here from another record of the same child (a merge): that record's id. */
  mergedFromPupilId?: string;
}

/** A typed name nobody has matched to a pupil yet, still on the case: the DSL sees it flagged. */
export function isToLink(child: Pick<StoredCaseChild, 'pupilId' | 'unlinkedAt'>): boolean {
  return !child.pupilId && !child.unlinkedAt;
}

export function isCurrentLink(child: Pick<StoredCaseChild, 'unlinkedAt'>): boolean {
  return !child.unlinkedAt;
}

/** "A pattern for a pupil", raised once for one set of cases and acknowledged by a DSL. */
export interface PupilPatternAlert {
  id: string;
  schoolId: string;
  pupilId: string;
  reason: 'count' | 'type';
  /** The cases that made the pattern, oldest first. */
  caseIds: string[];
  createdAt: string;
  acknowledgedBy?: string;
  acknowledgedAt?: string;
  /** The card posted to the school's case channel or space, once a surface recorded it. */
  card?: PupilPatternCardRecord;
}

/** Where a pattern card went and whether it arrived (as a case card's record, without a case version). */
export interface PupilPatternCardRecord {
  platform: ChatPlatform;
  conversationId: string;
  activityId?: string;
  state: DeliveryState;
  failure?: string;
  updatedAt: string;
}

/** A stored protection status: the domain's status, plus who ended it. */
export interface StoredProtectionStatus extends ProtectionStatus {
  schoolId: string;
  endedBy?: string;
  endedAt?: string;
}

/** Whether a status applies on a day (YYYY-MM-DD): started on or before it, not ended before it. */
export function isStatusCurrent(status: Pick<ProtectionStatus, 'from' | 'to'>, today: string): boolean {
  return status.from <= today && (!status.to || status.to >= today);
}

/** The school's rule for "small worries add up", with who last set it. */
export interface StoredPatternRule extends PatternRule {
  updatedBy?: string;
  updatedAt?: string;
}

/** A case of a pupil, as the pattern rule weighs it. */
export interface PatternCase {
  caseId: string;
  createdAt: string;
  types: readonly IncidentTypeCode[];
}

/**
 * The cases that make a pattern when `newest` arrives: those inside the rule's window (by count) or, for a type the
 * school always wants to hear about, the newest alone with the recent ones for context. Oldest first.
 */
export function casesInWindow(rule: PatternRule, cases: readonly PatternCase[], now: Date): PatternCase[] {
  const since = now.getTime() - rule.days * 86_400_000;
  return cases.filter((c) => Date.parse(c.createdAt) >= since).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.caseId.localeCompare(b.caseId));
}

/** Who records and ends protection statuses and acknowledges pattern cards: the DSL and deputies. */
export const PROTECTION_STATUS_ROLES = ['dsl', 'deputy_dsl'] as const;

/**
 * The roles that count towards "small worries add up": a concern about the child, or in which they were involved.
 * A child who only saw or heard something (a witness) is on the chronology but does not make a pattern.
 */
export const PATTERN_CHILD_ROLES: readonly CaseChildRole[] = ['subject', 'other_child'];

const isoDate = z.iso.date({ message: 'Give the date as YYYY-MM-DD.' });

/** Why a DSL links, unlinks or merges: kept sealed, shown to the DSLs only. */
export const changeReasonSchema = textField({ message: 'Give a reason.' }).trim().min(1, 'Give a reason.').max(1000, 'Keep the reason under 1,000 characters.');

export const protectionStatusInputSchema = z
  .strictObject({
    kind: z.enum(PROTECTION_STATUSES, { message: `kind must be one of: ${PROTECTION_STATUSES.join(', ')}` }),
    detail: textField().trim().min(1).max(300, 'Keep the detail under 300 characters.').optional(),
    from: isoDate,
    to: isoDate.optional(),
  })
  .superRefine((input, ctx) => {
    if (input.kind === 'other' && !input.detail) ctx.addIssue({ code: 'custom', path: ['detail'], message: 'Say what the status is.' });
    if (input.kind !== 'other' && input.detail) ctx.addIssue({ code: 'custom', path: ['detail'], message: 'Only an "other" status takes a detail.' });
    if (input.to && input.to < input.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'The end date must be on or after the start date.' });
  });
export type ProtectionStatusInput = z.infer<typeof protectionStatusInputSchema>;

export const endProtectionStatusSchema = z.strictObject({ to: isoDate });

/** A label of a status for a DSL's card or case view (never on the shared card). */
export function protectionStatusLabel(status: Pick<ProtectionStatus, 'kind' | 'from'>): string {
  return `${PROTECTION_STATUS_LABELS[status.kind]} since ${status.from}`;
}

/** Two records of one child made one: the links moved from `fromPupilId` to `intoPupilId`. */
export interface PupilMerge {
  id: string;
  schoolId: string;
  fromPupilId: string;
  intoPupilId: string;
  reason: string;
  mergedBy: string;
  mergedAt: string;
}
