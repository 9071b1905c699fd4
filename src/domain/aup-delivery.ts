import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { textField } from './text.ts';
import { AUDIENCE_RULE_FIELDS, AUP_AUDIENCES, type AudienceRules, type AupAudience, type DirectoryFacts } from './aup.ts';

/**
 * Getting the right policy in front of each person, and knowing where that stands: who was sent what,
 * how, whether it arrived, and when they were reminded. One delivery per person, policy version and
 * yearly cycle: the key a restart or a second campaign can never send twice under.
 */
export const AUP_DELIVERY_STATES = ['queued', 'sending', 'sent', 'failed', 'signed'] as const;
export type AupDeliveryState = (typeof AUP_DELIVERY_STATES)[number];

/** Why a person was asked to sign. */
export const AUP_DELIVERY_REASONS = ['new_starter', 'published', 'yearly', 'requested'] as const;
export type AupDeliveryReason = (typeof AUP_DELIVERY_REASONS)[number];

/** How the request reached them: a card in chat, or a one-time link by email when chat was not possible. */
export const AUP_DELIVERY_CHANNELS = ['teams', 'google_chat', 'email_link'] as const;
export type AupDeliveryChannel = (typeof AUP_DELIVERY_CHANNELS)[number];

export interface AupDelivery {
  schoolId: string;
  personId: string;
  policyId: string;
  /** The yearly re-acknowledgement cycle (e.g. '2026' for the year from 1 September 2026). */
  cycle: string;
  campaignId: string | null;
  reason: AupDeliveryReason;
  state: AupDeliveryState;
  channel: AupDeliveryChannel | null;
  /** Why it could not be delivered in chat (a code, and words the office can act on). */
  failureCode: string | null;
  failureReason: string | null;
  conversationId: string | null;
  activityId: string | null;
  sentAt: string | null;
  signedAt: string | null;
  remindersSent: number;
  escalatedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function newDelivery(fields: Pick<AupDelivery, 'schoolId' | 'personId' | 'policyId' | 'cycle' | 'campaignId' | 'reason'>, at: string): AupDelivery {
  return {
    ...fields,
    state: 'queued',
    channel: null,
    failureCode: null,
    failureReason: null,
    conversationId: null,
    activityId: null,
    sentAt: null,
    signedAt: null,
    remindersSent: 0,
    escalatedAt: null,
    createdAt: at,
    updatedAt: at,
  };
}

/** Whether a delivery still needs sending: once sent (or signed) it is never sent again, whatever restarts. */
export function needsSending(delivery: Pick<AupDelivery, 'state'>): boolean {
  return delivery.state === 'queued' || delivery.state === 'sending';
}

/** Deliveries that did not reach their person, grouped by why. */
export interface DeliveryFailureGroup {
  code: string;
  reason: string;
  count: number;
}

/**
 * The failures among these deliveries grouped by their code, most common first: failed ones, and one-time links
 * whose email could not be sent (they count as sent, but the person was not reached that way).
 */
export function groupDeliveryFailures(deliveries: readonly Pick<AupDelivery, 'state' | 'channel' | 'failureCode' | 'failureReason'>[]): DeliveryFailureGroup[] {
  const failures = new Map<string, DeliveryFailureGroup>();
  for (const delivery of deliveries) {
    if (delivery.state !== 'failed' && !(delivery.channel === 'email_link' && delivery.failureCode)) continue;
    const code = delivery.failureCode ?? 'unknown';
    const entry = failures.get(code) ?? { code, reason: delivery.failureReason ?? '', count: 0 };
    entry.count += 1;
    failures.set(code, entry);
  }
  return [...failures.values()].sort((a, b) => b.count - a.count);
}

/** A campaign asks everyone in an audience to sign: when a version is published, and every year. */
export const AUP_CAMPAIGN_REASONS = ['published', 'yearly'] as const;
export type AupCampaignReason = (typeof AUP_CAMPAIGN_REASONS)[number];

export interface AupCampaign {
  id: string;
  schoolId: string;
  policyId: string;
  cycle: string;
  reason: AupCampaignReason;
  recipients: number;
  createdAt: string;
  createdById: string | null;
}

export interface AupCampaignProgress {
  campaign: AupCampaign;
  policyTitle: string;
  policyVersion: number;
  audience: AupAudience;
  queued: number;
  sent: number;
  signed: number;
  failed: number;
  /** Failures grouped by their reason, most common first. */
  failures: DeliveryFailureGroup[];
}

/** What DSL Desk knows about a person that decides their audience, their deadline and who hears if they miss it. */
export interface AupProfile {
  schoolId: string;
  personId: string;
  /** Facts from the school's directory (or typed in by the office). */
  directory: DirectoryFacts & { userPrincipalName?: string | null; managerObjectId?: string | null };
  /** Set by the office when the rules would pick the wrong audience. */
  audienceOverride: AupAudience | null;
  /** First day of contact with pupils (local date): unsigned two working days before it, the head is told. */
  startDate: string | null;
  lineManagerId: string | null;
  /** Where the person came from: the directory watcher, or the office by hand. */
  source: 'directory' | 'office';
  updatedAt: string;
}

const timeOfDay = textField().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Give the time as HH:MM, such as 08:00.');

export const aupSettingsSchema = z.strictObject({
  audienceRules: z.strictObject({
    rules: z
      .array(
        z.strictObject({
          field: z.enum(AUDIENCE_RULE_FIELDS, { message: `field must be one of: ${AUDIENCE_RULE_FIELDS.join(', ')}` }),
          equals: textField().trim().min(1, 'Say what the field must equal.').max(200),
          audience: z.enum(AUP_AUDIENCES, { message: `audience must be one of: ${AUP_AUDIENCES.join(', ')}` }),
        }),
      )
      .max(200, 'Keep to 200 rules or fewer.'),
    defaultAudience: z.enum(AUP_AUDIENCES, { message: `defaultAudience must be one of: ${AUP_AUDIENCES.join(', ')}` }),
  }),
  /** Working days after the card went out on which unsigned people are reminded. */
  reminderDays: z.array(z.number().int().min(1).max(60)).max(10, 'Keep to 10 reminders or fewer.'),
  /** Working days before a start date at which the head and line manager are told of a missing signature. */
  escalationWorkingDays: z.number().int().min(0).max(20),
  schoolDay: z.strictObject({
    start: timeOfDay,
    end: timeOfDay,
    workingDays: z.array(z.number().int().min(1).max(7)).min(1, 'Give at least one working day.'),
    closures: z.array(z.iso.date({ message: 'Give closure dates such as 2026-12-21.' })).max(400),
  }),
  /** 'MM-DD': the day each year everyone signs again (the start of the school year by default). */
  reacknowledgeOn: textField().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'Give the day as MM-DD, such as 09-01.'),
  /** Patterns (regular expressions) for service and shared accounts that are never sent a policy. */
  serviceAccountPatterns: z.array(textField().min(1).max(200)).max(100),
  /** New accounts in the directory are sent their policy automatically. */
  newStartersFromDirectory: z.boolean(),
});
export type AupSettings = z.infer<typeof aupSettingsSchema>;

export const DEFAULT_AUP_SETTINGS: Omit<AupSettings, 'serviceAccountPatterns'> = {
  audienceRules: { rules: [], defaultAudience: 'staff' },
  reminderDays: [1, 3, 7],
  escalationWorkingDays: 2,
  schoolDay: { start: '08:00', end: '16:30', workingDays: [1, 2, 3, 4, 5], closures: [] },
  reacknowledgeOn: '09-01',
  newStartersFromDirectory: true,
};

export function audienceRulesOf(settings: Pick<AupSettings, 'audienceRules'>): AudienceRules {
  return settings.audienceRules;
}

/**
 * A one-time signing link for someone without an account (supply staff, a visitor at reception). The link
 * carries 32 random bytes; only their SHA-256 is stored, so the database cannot recreate a link and an
 * altered link matches nothing.
 */
export interface AupSigningLink {
  id: string;
  schoolId: string;
  audience: AupAudience;
  /** Who the office made it for, as they typed it; the signer types their own name and email again. */
  intendedFor: string;
  email: string | null;
  /** Set when the link was sent to a person DSL Desk knows (a new starter Teams could not reach). */
  personId: string | null;
  createdById: string | null;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  acknowledgementId: string | null;
}

export const signingLinkInputSchema = z.strictObject({
  audience: z.enum(AUP_AUDIENCES, { message: `audience must be one of: ${AUP_AUDIENCES.join(', ')}` }),
  intendedFor: textField({ message: 'Give the name of the person the link is for.' }).trim().min(2, 'Give the name of the person the link is for.').max(200),
  email: z.email({ message: 'Give a valid email address, or leave it out.' }).optional(),
  /** How long the link works: at most 30 days; 7 by default. */
  validHours: z.number().int().min(1, 'A link must work for at least an hour.').max(24 * 30, 'A link can work for 30 days at most.').optional(),
});
export type SigningLinkInput = z.infer<typeof signingLinkInputSchema>;

export const DEFAULT_LINK_VALID_HOURS = 24 * 7;

export function newLinkToken(): string {
  return randomBytes(32).toString('base64url');
}

export function linkTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A token as a link carries it: 43 base64url characters. Anything else is refused before a lookup. */
export function isWellFormedLinkToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}
