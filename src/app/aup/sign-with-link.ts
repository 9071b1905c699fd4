import { checkSignable, type AupAcknowledgement, type AupPolicyVersion, type SignatureInput } from '../../domain/aup.ts';
import { isWellFormedLinkToken, linkTokenHash, type AupSigningLink } from '../../domain/aup-delivery.ts';
import { AppError, isAppError, type FieldIssue } from '../../domain/errors.ts';
import type { StorageTx } from '../../domain/ports.ts';
import { parseSignature, recordSignature } from './acknowledge-aup.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/**
 * Why a link cannot be used, as the internal message of the AppError thrown, so a page can answer with
 * the matching status (404, 410, 409) while the person reads the user message.
 */
export const SIGNING_LINK_PROBLEMS = {
  invalid: 'signing_link_invalid',
  expired: 'signing_link_expired',
  used: 'signing_link_used',
  policyReplaced: 'signing_link_policy_replaced',
} as const;
export type SigningLinkProblem = keyof typeof SIGNING_LINK_PROBLEMS;

/** Which of the problems above an error is, if any. */
export function signingLinkProblemOf(error: unknown): SigningLinkProblem | undefined {
  if (!isAppError(error)) return undefined;
  return (Object.keys(SIGNING_LINK_PROBLEMS) as SigningLinkProblem[]).find((problem) => SIGNING_LINK_PROBLEMS[problem] === error.message);
}

function invalidLink(): AppError {
  return new AppError('not_found', 'This signing link is not valid. Ask the school office for a new one.', { internal: SIGNING_LINK_PROBLEMS.invalid });
}

function expiredLink(): AppError {
  // No "gone" code exists; the page turns this internal message into 410.
  return new AppError('conflict', 'This signing link has expired. Ask the school office for a new one.', { internal: SIGNING_LINK_PROBLEMS.expired });
}

function usedLink(): AppError {
  return new AppError('conflict', 'This link has already been used to sign. Each link works once; if you need to sign again, ask the school office for a new one.', {
    internal: SIGNING_LINK_PROBLEMS.used,
  });
}

/** The link a token names, if it still works at `now`; the right refusal otherwise. */
async function usableLink(reader: Pick<StorageTx, 'aupSigningLinks'>, token: string, now: Date): Promise<AupSigningLink> {
  // A malformed token is refused before any lookup; a tampered one matches no hash.
  if (!isWellFormedLinkToken(token)) throw invalidLink();
  const link = await reader.aupSigningLinks.findByTokenHash(linkTokenHash(token));
  if (!link) throw invalidLink();
  if (link.usedAt) throw usedLink();
  if (Date.parse(link.expiresAt) <= now.getTime()) throw expiredLink();
  return link;
}

export interface OpenedSigningLink {
  link: AupSigningLink;
  /** The version to read and sign: the current one for the link's audience. */
  policy: AupPolicyVersion;
  schoolName: string;
  /** The school's time zone: the page shows times in it. */
  schoolTimeZone: string;
}

async function openWith(reader: Pick<StorageTx, 'aupSigningLinks' | 'aupPolicies' | 'schools'>, token: string, now: Date): Promise<OpenedSigningLink> {
  const link = await usableLink(reader, token, now);
  const policy = await reader.aupPolicies.current(link.schoolId, link.audience);
  const school = await reader.schools.get(link.schoolId);
  if (!policy || !school) throw new AppError('not_found', 'There is no policy to sign with this link. Ask the school office which policy you should sign.');
  return { link, policy, schoolName: school.name, schoolTimeZone: school.timeZone };
}

/** What the signing page shows for a token: refused with a message a visitor understands when it cannot be used. */
export async function openSigningLink(deps: AppDeps, options: { token: string }): Promise<OpenedSigningLink> {
  const now = deps.clock.now();
  return deps.storage.read((reader) => openWith(reader, options.token, now));
}

export interface SignWithLinkOptions {
  token: string;
  /** The tick, the name and the email the person typed. Validated here; the email is required. */
  signature: unknown;
  /** The version shown on the page: if it is no longer current, signing is refused and the new one named. */
  policyId: string;
  ipAddress?: string;
  userAgent?: string;
}

export interface SignedWithLink {
  acknowledgement: AupAcknowledgement;
  policy: AupPolicyVersion;
  schoolName: string;
  schoolTimeZone: string;
}

/**
 * Records a signature through a one-time link: the link is checked, the signature written and the link
 * marked used, all in one transaction, so two racing submits leave exactly one signature.
 */
export async function signWithLink(deps: AppDeps, options: SignWithLinkOptions): Promise<SignedWithLink> {
  const signature = parseLinkSignature(options.signature);
  return deps.storage.transaction(async (tx) => {
    const { link, policy: current, schoolName, schoolTimeZone } = await openWith(tx, options.token, deps.clock.now());
    const shown = await tx.aupPolicies.get(link.schoolId, options.policyId);
    if (!shown || shown.audience !== link.audience) {
      throw new AppError('conflict', `Please read "${current.title}" (version ${current.version}) below and sign that.`, { internal: SIGNING_LINK_PROBLEMS.policyReplaced });
    }
    const stale = checkSignable(current, shown);
    if (stale) throw new AppError(stale.code, stale.userMessage, { internal: SIGNING_LINK_PROBLEMS.policyReplaced });
    const { acknowledgement } = await recordSignature(deps, tx, {
      schoolId: link.schoolId,
      personId: link.personId,
      policy: current,
      signature,
      surface: 'web_link',
      ...(options.ipAddress ? { ipAddress: options.ipAddress } : {}),
      ...(options.userAgent ? { userAgent: options.userAgent } : {}),
      signingLinkId: link.id,
    });
    // The second of two racing submits finds the link taken: throwing rolls its signature back.
    if (!(await tx.aupSigningLinks.markUsed(link.schoolId, link.id, nowIso(deps), acknowledgement.id))) throw usedLink();
    return { acknowledgement, policy: current, schoolName, schoolTimeZone };
  });
}

/**
 * The tick, the name and, through a link, the email too: someone without an account is known only by what
 * they type. Every problem is reported at once, so the page can show them all.
 */
function parseLinkSignature(input: unknown): SignatureInput & { typedEmail: string } {
  const given = input && typeof input === 'object' ? { ...(input as Record<string, unknown>) } : {};
  if (typeof given.typedEmail === 'string') given.typedEmail = given.typedEmail.trim();
  const emailMissing = given.typedEmail === undefined || given.typedEmail === '';
  if (emailMissing) delete given.typedEmail;
  const fields: FieldIssue[] = [];
  let signature: SignatureInput | undefined;
  try {
    signature = parseSignature(given);
  } catch (error) {
    if (!isAppError(error) || error.code !== 'invalid_input') throw error;
    fields.push(...error.fields);
  }
  if (emailMissing) fields.push({ path: 'typedEmail', message: 'Type your email address to sign.' });
  if (fields.length || !signature?.typedEmail) {
    throw new AppError('invalid_input', 'To sign, tick the box and type your full name and email address.', { fields });
  }
  return { ...signature, typedEmail: signature.typedEmail };
}
