import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AUP_AUDIENCES, type AupAudience } from './aup-audiences.ts';
import { textField } from './text.ts';
import { AppError } from './errors.ts';
import { trimTrailing } from './text.ts';

/**
 * Acceptable Use Policies: one versioned policy per audience per school. A version, once published,
 * never changes; the SHA-256 of its canonical text is what a signature proves was agreed to.
 */
export { AUP_AUDIENCES, type AupAudience };

export const AUP_AUDIENCE_LABELS: Record<AupAudience, string> = {
  staff: 'Staff',
  supply: 'Supply and temporary staff',
  visitor: 'Visitors',
  governor: 'Governors',
  volunteer: 'Volunteers',
  external_group: 'External groups using school systems',
};

const isoDate = z.iso.date({ message: 'Give a date such as 2026-09-01.' });

export const aupPolicyInputSchema = z
  .strictObject({
    audience: z.enum(AUP_AUDIENCES, { message: `audience must be one of: ${AUP_AUDIENCES.join(', ')}` }),
    title: textField({ message: 'Give the policy a title.' }).trim().min(1, 'Give the policy a title.').max(200, 'Keep the title under 200 characters.'),
    markdown: textField({ message: 'Give the policy text (markdown).' }).min(1, 'The policy text is empty.').max(200_000, 'Keep the policy under 200,000 characters.'),
    acknowledgementWording: textField({ message: 'Give the words people agree to, such as "I have read and agree to follow this policy".' })
      .trim()
      .min(1, 'Give the words people agree to, such as "I have read and agree to follow this policy".')
      .max(1000, 'Keep the agreement wording under 1,000 characters.'),
    effectiveDate: isoDate,
    reviewDate: isoDate,
  })
  .superRefine((policy, ctx) => {
    if (policy.reviewDate <= policy.effectiveDate) ctx.addIssue({ code: 'custom', path: ['reviewDate'], message: 'The review date must be after the date the policy takes effect.' });
    if (canonicalPolicyText(policy.markdown).trim() === '') ctx.addIssue({ code: 'custom', path: ['markdown'], message: 'The policy text is empty.' });
  });
export type AupPolicyInput = z.infer<typeof aupPolicyInputSchema>;

export interface AupPolicyVersion extends AupPolicyInput {
  id: string;
  schoolId: string;
  /** 1, 2, 3… per school and audience. */
  version: number;
  /** SHA-256 (hex) of the canonical text: what a signature refers to. */
  sha256: string;
  publishedAt: string;
  publishedById: string | null;
}

/**
 * The text a hash is taken of: Unicode NFC, LF line endings, no trailing spaces, one final newline. The
 * same policy saved on Windows or a Mac, or pasted from Word, hashes the same; any change of wording does not.
 */
export function canonicalPolicyText(markdown: string): string {
  const lines = markdown.normalize('NFC').replace(/\r\n?/g, '\n').split('\n').map((line) => trimTrailing(line, ' \t'));
  while (lines.length && lines.at(-1) === '') lines.pop();
  while (lines.length && lines[0] === '') lines.shift();
  return `${lines.join('\n')}\n`;
}

export function policySha256(markdown: string): string {
  return createHash('sha256').update(canonicalPolicyText(markdown), 'utf8').digest('hex');
}

/** A new version after `latest` (or the first): the text is stored canonical, so what is shown is what was hashed. */
export function newPolicyVersion(input: AupPolicyInput, options: { id: string; schoolId: string; latest?: Pick<AupPolicyVersion, 'version' | 'sha256'>; publishedAt: string; publishedById: string | null }): AupPolicyVersion {
  const markdown = canonicalPolicyText(input.markdown);
  const sha256 = policySha256(markdown);
  if (options.latest && options.latest.sha256 === sha256) {
    throw new AppError('conflict', `This text is the same as version ${options.latest.version}, which is already published. Change the policy before publishing a new version.`);
  }
  return { ...input, markdown, id: options.id, schoolId: options.schoolId, version: (options.latest?.version ?? 0) + 1, sha256, publishedAt: options.publishedAt, publishedById: options.publishedById };
}

/** Signing is only for the current version: an old card or link gets a clear message and the new version. */
export function checkSignable(current: Pick<AupPolicyVersion, 'id' | 'version' | 'title'> | undefined, signing: Pick<AupPolicyVersion, 'id' | 'version'>): AppError | undefined {
  if (!current) return new AppError('not_found', 'This policy is no longer in use. Ask the school office which policy you should sign.');
  if (current.id !== signing.id) {
    return new AppError('conflict', `A newer version of "${current.title}" (version ${current.version}) has replaced version ${signing.version}. Please read version ${current.version} and sign that instead.`);
  }
  return undefined;
}

/** What a school says decides a person's audience; the first matching rule wins, else the default. */
export const AUDIENCE_RULE_FIELDS = ['department', 'jobTitle', 'group', 'accountType'] as const;
export type AudienceRuleField = (typeof AUDIENCE_RULE_FIELDS)[number];

export interface AudienceRule {
  field: AudienceRuleField;
  /** Compared case-insensitively, ignoring surrounding spaces. */
  equals: string;
  audience: AupAudience;
}

export interface AudienceRules {
  rules: AudienceRule[];
  defaultAudience: AupAudience;
}

export type DirectoryFacts = Partial<Record<AudienceRuleField, string | string[] | null>>;

/** The audience for a person: their override, else the first rule that matches their directory facts, else the default. */
export function audienceFor(facts: DirectoryFacts, rules: AudienceRules, override?: AupAudience | null): AupAudience {
  if (override) return override;
  const norm = (value: string) => value.trim().toLowerCase();
  for (const rule of rules.rules) {
    const value = facts[rule.field];
    const values = Array.isArray(value) ? value : value ? [value] : [];
    if (values.some((candidate) => norm(candidate) === norm(rule.equals))) return rule.audience;
  }
  return rules.defaultAudience;
}

/** Where a signature was given. */
export const SIGNING_SURFACES = ['teams', 'google_chat', 'web', 'web_link'] as const;
export type SigningSurface = (typeof SIGNING_SURFACES)[number];

/**
 * A signature: who (the directory identity, and the name they typed), what (the exact version, its hash
 * and the wording they agreed to), when (server UTC) and how (the surface; for a web page, IP and browser).
 */
export interface AupAcknowledgement {
  id: string;
  schoolId: string;
  /** The person in our records; null for someone signing through a one-time link without an account. */
  personId: string | null;
  policyId: string;
  policyVersion: number;
  /** The yearly cycle it counts for: everyone signs again each year, so one signature per version per cycle. */
  cycle: string;
  audience: AupAudience;
  sha256: string;
  wording: string;
  typedName: string;
  typedEmail?: string;
  surface: SigningSurface;
  directoryIdentity?: { provider: 'entra' | 'google'; tenantId: string; objectId: string; userPrincipalName?: string };
  ipAddress?: string;
  userAgent?: string;
  /** The one-time link it was given through, if any. */
  signingLinkId?: string;
  signedAt: string;
}

export const signatureInputSchema = z.strictObject({
  agreed: z.literal(true, { message: 'Tick "I have read and agree to follow this policy" to sign.' }),
  typedName: textField({ message: 'Type your full name to sign.' })
    .trim()
    .min(2, 'Type your full name to sign.')
    .max(200, 'Keep your name under 200 characters.'),
  typedEmail: z.email({ message: 'Give a valid email address.' }).optional(),
});
export type SignatureInput = z.infer<typeof signatureInputSchema>;
