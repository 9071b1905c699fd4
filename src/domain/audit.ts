import { createHash } from 'node:crypto';
import type { CaseAuditAction } from './case.ts';

/**
 * Audit events: who did what, when, to which case or policy. They never carry concern text, only ids
 * and codes. Each school's events form a hash chain so that an edited or removed row is detectable.
 */
export type AuditAction =
  | CaseAuditAction
  | 'case.created'
  | 'case.reporter_added'
  | 'case.viewed'
  | 'case.list_viewed'
  | 'case.card_viewed'
  | 'case.card_posted'
  | 'case.email_downloaded'
  | 'case.email_removal_requested'
  | 'case.email_removed'
  | 'case.email_forwarded'
  | 'case.reporters_told_verdict'
  | 'case.email_verdict_decided'
  | 'case.email_purged'
  | 'case.email_dropped'
  | 'case.legal_hold_placed'
  | 'case.legal_hold_lifted'
  | 'case.delivery_failed'
  | 'case.delivery_fallback'
  | 'case.notification_sent'
  | 'case.urgent_unacknowledged'
  | 'case.child_linked'
  | 'case.child_unlinked'
  | 'pupil.merged'
  | 'pupil.chronology_viewed'
  | 'pupil.protection_status_recorded'
  | 'pupil.protection_status_ended'
  | 'pupil.pattern_raised'
  | 'pupil.pattern_acknowledged'
  | 'school.pupil_pattern_rule_set'
  | 'school.case_channel_set'
  | 'aup.published'
  | 'aup.acknowledged'
  | 'aup.campaign_started'
  | 'aup.sent'
  | 'aup.not_delivered'
  | 'aup.reminded'
  | 'aup.escalated'
  | 'aup.new_starter'
  | 'aup.link_created'
  | 'aup.settings_changed'
  | 'aup.profile_changed'
  | 'aup.certificate_downloaded'
  | 'aup.status_exported'
  | 'audit.access_listed'
  | 'directory.synced'
  | 'email.alerts_imported'
  | 'school.google_admin_set'
  | 'school.created'
  | 'trust.membership_changed'
  | 'trust.role_granted'
  | 'trust.figures_viewed'
  | 'pupil.viewed'
  | 'pupil.imported'
  | 'pupil.directory_linked'
  | 'pupil.account_rule_set'
  | 'person.created'
  | 'person.updated'
  | 'role.granted'
  | 'role.revoked';

/**
 * Access events: someone read something without changing it. Opening a case, listing cases, a case card
 * shown to a person (Teams' refresh), downloading a reported email or a signature's certificate, and
 * exporting who has signed a policy. The DSL and head list them by case, person and date ("who opened what").
 */
export const ACCESS_ACTIONS = [
  'case.viewed',
  'case.list_viewed',
  'case.card_viewed',
  'case.email_downloaded',
  'pupil.chronology_viewed',
  'aup.certificate_downloaded',
  'aup.status_exported',
  'audit.access_listed',
  'pupil.viewed',
] as const satisfies readonly AuditAction[];
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

export type AuditDetail = Record<string, string | number | boolean | null>;

export interface AuditEventInput {
  schoolId: string;
  /** The person who acted; null for DSL Desk itself (operators' CLI, jobs). */
  actorId: string | null;
  action: AuditAction;
  caseId?: string | null;
  policyId?: string | null;
  detail?: AuditDetail;
}

export interface AuditEvent {
  id: string;
  schoolId: string;
  seq: number;
  at: string;
  actorId: string | null;
  action: AuditAction;
  caseId: string | null;
  policyId: string | null;
  detail: AuditDetail;
  prevHash: string;
  hash: string;
}

/** The first link of every school's chain points at this. */
export const GENESIS_HASH = '0'.repeat(64);

/** The bytes that are hashed: every field but the hash itself, in a fixed order. */
export function canonicalAuditPayload(event: Omit<AuditEvent, 'hash'>): string {
  const detail = Object.keys(event.detail)
    .sort()
    .map((key) => [key, event.detail[key]]);
  return JSON.stringify([event.id, event.schoolId, event.seq, event.at, event.actorId, event.action, event.caseId, event.policyId, detail, event.prevHash]);
}

export function auditHash(event: Omit<AuditEvent, 'hash'>): string {
  return createHash('sha256').update(canonicalAuditPayload(event)).digest('hex');
}

/** Why a chain is broken, naming the first bad row. */
export interface AuditBreak {
  schoolId: string;
  seq: number;
  eventId: string | null;
  reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'sequence_gap' | 'head_mismatch';
}

/** Walks one school's events in sequence order and returns the first broken link, if any. */
export function findFirstBreak(schoolId: string, events: Iterable<AuditEvent>, head: { seq: number; hash: string } | undefined): AuditBreak | undefined {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (const event of events) {
    if (event.seq !== expectedSeq) return { schoolId, seq: expectedSeq, eventId: null, reason: 'sequence_gap' };
    if (event.prevHash !== prevHash) return { schoolId, seq: event.seq, eventId: event.id, reason: 'prev_hash_mismatch' };
    const { hash, ...rest } = event;
    if (auditHash(rest) !== hash) return { schoolId, seq: event.seq, eventId: event.id, reason: 'hash_mismatch' };
    prevHash = hash;
    expectedSeq += 1;
  }
  const lastSeq = expectedSeq - 1;
  if (head && (head.seq !== lastSeq || head.hash !== prevHash)) {
    // Rows removed from the end leave the chain consistent but shorter than its recorded head.
    return { schoolId, seq: lastSeq + 1, eventId: null, reason: 'head_mismatch' };
  }
  return undefined;
}
