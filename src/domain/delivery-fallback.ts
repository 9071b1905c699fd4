import type { NotificationEvent } from './case-summary.ts';
import type { Urgency } from './incident-types.ts';
import type { Role } from './roles.ts';

/**
 * When Teams has not taken a case card or a 1:1 notice for too long, the school's fallback is used once: an
 * email with the reference only (never anything of the concern), while the card itself keeps trying.
 */
export interface DeliveryFallbackRecord {
  schoolId: string;
  /** One fallback per overdue outbox message, however many instances notice it. */
  dedupeKey: string;
  caseId: string;
  /** What Teams did not deliver: 'channel' or 'person:<personId>'. */
  target: string;
  /** 'sent', or 'unavailable' when no email could go (the reason says why, in words the DSLs can act on). */
  state: 'sent' | 'unavailable';
  /** How many mailboxes it went to. */
  recipients: number;
  reason?: string;
  at: string;
}

/** How long each kind of undelivered message waits before the fallback, in minutes (configurable). */
export interface FallbackThresholds {
  /** An urgent case's card, an urgent escalation, a restricted case's notice on an urgent case. */
  urgentMinutes: number;
  /** Any other case card or restricted-case notice. */
  caseMinutes: number;
  /** A reporter's "picked up"/"closed"/verdict notice: they lose nothing by hearing an hour later. */
  noticeMinutes: number;
}

export const DEFAULT_FALLBACK_THRESHOLDS: FallbackThresholds = { urgentMinutes: 15, caseMinutes: 60, noticeMinutes: 240 };

/** What an overdue message was, as far as choosing its threshold and its recipients goes. */
export type OverdueDelivery = { kind: 'channel_card' } | { kind: 'notice'; event: NotificationEvent; personId: string };

/** Minutes an overdue delivery waits before the fallback is used. */
export function fallbackAfterMinutes(delivery: OverdueDelivery, urgency: Urgency, thresholds: FallbackThresholds): number {
  if (delivery.kind === 'notice') {
    if (delivery.event === 'urgent_unacknowledged') return thresholds.urgentMinutes;
    if (delivery.event !== 'restricted_case') return thresholds.noticeMinutes;
  }
  return urgency === 'urgent' ? thresholds.urgentMinutes : thresholds.caseMinutes;
}

/**
 * Who the fallback email goes to. A channel card: the people the channel is for (DSLs and deputies), or for a
 * restricted case the DSLs and the headteacher, never the subject. A notice: the person it was for, in the
 * same words it would have had in Teams.
 */
export function fallbackRecipientRoles(delivery: OverdueDelivery, restricted: boolean): readonly Role[] {
  if (delivery.kind === 'notice') return [];
  return restricted ? ['dsl', 'head'] : ['dsl', 'deputy_dsl'];
}

/** The fallback email for a channel card: the reference and a pointer to DSL Desk, nothing of the concern. */
export function channelFallbackEmail(reference: string, urgency: Urgency, restricted: boolean, minutesWaiting: number): { subject: string; body: string } {
  const what = restricted ? 'A restricted case' : urgency === 'urgent' ? 'An urgent case' : 'A new case';
  return {
    subject: `${what}: ${reference} (Teams is not delivering)`,
    body: [
      `${what}, ${reference}, was reported ${minutesWaiting} minutes ago, but Microsoft Teams has not accepted its card in the case channel yet.`,
      'Open the case in DSL Desk. DSL Desk keeps trying to post the card and will post it as soon as Teams accepts it.',
      'This message comes from DSL Desk, your school’s safeguarding reporting service. It never contains the details of a case.',
    ].join('\n\n'),
  };
}
