import { DateTime } from 'luxon';
import { AUP_AUDIENCE_LABELS } from '../../domain/aup.ts';
import { DEFAULT_LINK_VALID_HOURS, linkTokenHash, newLinkToken, signingLinkInputSchema, type AupSigningLink } from '../../domain/aup-delivery.ts';
import { AppError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { requireAupManager } from './aup-context.ts';
import { actorIdOf, nowIso, type AppDeps, type Operator } from '../deps.ts';
import { trimTrailing } from '../../domain/text.ts';

export interface CreateSigningLinkOptions {
  actor: Actor | Operator;
  schoolId: string;
  /** What the office typed: audience, who it is for, their email and how long it works (signingLinkInputSchema). */
  input: unknown;
  /** The person DSL Desk knows the link is for, when there is one (a new starter chat could not reach). */
  personId?: string | null;
  /** Where people reach DSL Desk (config.publicUrl). */
  publicUrl: string;
}

export interface CreatedSigningLink {
  link: AupSigningLink;
  /** The version the link opens today (a newer one published before it is used replaces it). */
  policy: { title: string; version: number };
  school: { name: string; timeZone: string };
  /** The link to hand over; it carries the token, so this is the only moment it exists. */
  url: string;
  token: string;
}

/** The address a token opens: the signing page. */
export function signingLinkUrl(publicUrl: string, token: string): string {
  return `${trimTrailing(publicUrl, '/')}/aup/sign/${token}`;
}

/**
 * Makes a one-time signing link for someone without an account (supply staff, a visitor at reception). Only
 * the token's hash is stored, so the link (and a QR code of it) can only be produced now. The audit event
 * holds ids, the audience and the expiry, never the name or email typed.
 */
export async function createSigningLink(deps: AppDeps, options: CreateSigningLinkOptions): Promise<CreatedSigningLink> {
  const { actor, schoolId } = options;
  requireAupManager(actor, schoolId, 'make signing links');
  const parsed = signingLinkInputSchema.safeParse(options.input);
  if (!parsed.success) {
    throw new AppError('invalid_input', 'The signing link needs a few fixes before it can be made.', {
      fields: parsed.error.issues.map((issue) => ({
        path: issue.path.join('.') || 'body',
        message: issue.code === 'unrecognized_keys' ? `Remove the unknown field(s): ${issue.keys.join(', ')}.` : issue.message,
      })),
    });
  }
  const input = parsed.data;
  const token = newLinkToken();
  const { link, policy, school } = await deps.storage.transaction(async (tx) => {
    const school = await tx.schools.get(schoolId);
    if (!school) throw new AppError('not_found', 'That school was not found.');
    // The signer reads whatever version is current when they open the link; without one there is nothing to sign.
    const policy = await tx.aupPolicies.current(schoolId, input.audience);
    if (!policy) {
      throw new AppError('conflict', `There is no published policy for ${AUP_AUDIENCE_LABELS[input.audience].toLowerCase()} yet. Publish one first.`);
    }
    const personId = options.personId ?? null;
    if (personId && !(await tx.people.get(schoolId, personId))) throw new AppError('not_found', 'That person was not found in this school.');
    const now = deps.clock.now();
    const created: AupSigningLink = {
      id: deps.ids.newId(),
      schoolId,
      audience: input.audience,
      intendedFor: input.intendedFor,
      email: input.email ?? null,
      personId,
      createdById: actorIdOf(actor),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + (input.validHours ?? DEFAULT_LINK_VALID_HOURS) * 3_600_000).toISOString(),
      usedAt: null,
      acknowledgementId: null,
    };
    await tx.aupSigningLinks.insert(created, linkTokenHash(token));
    await tx.audit.append(
      {
        schoolId,
        actorId: actorIdOf(actor),
        action: 'aup.link_created',
        detail: { linkId: created.id, audience: created.audience, expiresAt: created.expiresAt, personId },
      },
      nowIso(deps),
    );
    return { link: created, policy: { title: policy.title, version: policy.version }, school: { name: school.name, timeZone: school.timeZone } };
  });
  return { link, policy, school, url: signingLinkUrl(options.publicUrl, token), token };
}

/**
 * Why nobody but this machine could open a link made with this address, if so: the address was never set
 * (PUBLIC_BASE_URL; the service's own HOST:PORT is only a guess), or it names this machine itself.
 */
export function whyLinkOnlyWorksHere(publicUrl: string, configured: boolean): string | undefined {
  let host: string;
  try {
    host = new URL(publicUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return `${publicUrl} is not a web address.`;
  }
  const local = host === 'localhost' || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === '0.0.0.0' || host === '::';
  if (!configured) return `PUBLIC_BASE_URL is not set, so the link would point at ${publicUrl}, which only this machine can open.`;
  if (local) return `PUBLIC_BASE_URL is ${publicUrl}, which only this machine can open.`;
  return undefined;
}

/**
 * The words printed with a link and its QR code: who it is for, which policy, and when it stops working in
 * the school's own time (the zone named, so nobody has to guess whether it is UTC).
 */
export function signingLinkCaption(created: Pick<CreatedSigningLink, 'link' | 'policy' | 'school'>): string[] {
  const { link, policy, school } = created;
  const expires = DateTime.fromISO(link.expiresAt, { zone: 'utc' }).setZone(school.timeZone).setLocale('en-GB');
  return [
    `For: ${link.intendedFor}${link.email ? ` (${link.email})` : ''}, ${AUP_AUDIENCE_LABELS[link.audience].toLowerCase()}`,
    `Policy: ${policy.title}, version ${policy.version}, ${school.name}`,
    `Works once, until ${expires.toFormat('cccc d LLLL yyyy, HH:mm')} ${school.timeZone} time (${expires.offsetNameShort ?? expires.toFormat('ZZ')})`,
  ];
}
