import { AUP_AUDIENCE_LABELS, type AupAudience } from '../../domain/aup.ts';
import { DEFAULT_TIME_ZONE } from '../../domain/time-zone.ts';
import { schoolMailRouteFor, sendSchoolMail } from '../emails/send-school-mail.ts';
import { createSigningLink } from './create-signing-link.ts';
import { OPERATOR, type AppDeps } from '../deps.ts';

/**
 * When Teams cannot reach a person (no licence, app blocked, no chat yet), their policy goes by email: a
 * one-time signing link made for them, from the school's connected mailbox. False when DSL Desk cannot
 * send email for this school (no sender mailbox, or no Graph or Gmail connection for the school's platform).
 */
export async function emailSigningLink(
  deps: AppDeps,
  options: { schoolId: string; person: { id: string; displayName: string; email: string }; policy: { title: string; version: number; audience: AupAudience }; publicUrl: string; reminder?: number },
): Promise<boolean> {
  const route = await schoolMailRouteFor(deps, options.schoolId);
  if (!route) return false;
  const { url, link } = await createSigningLink(deps, {
    actor: OPERATOR,
    schoolId: options.schoolId,
    personId: options.person.id,
    publicUrl: options.publicUrl,
    input: { audience: options.policy.audience, intendedFor: options.person.displayName, email: options.person.email },
  });
  const timeZone = (await deps.storage.read((reader) => reader.schools.get(options.schoolId)))?.timeZone ?? DEFAULT_TIME_ZONE;
  const expires = new Date(link.expiresAt).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone });
  const subject = options.reminder ? `Reminder: please sign "${options.policy.title}"` : `Please read and sign "${options.policy.title}"`;
  const body = [
    `Hello ${options.person.displayName},`,
    `${options.reminder ? 'This is a reminder: you' : 'You'} need to read and sign "${options.policy.title}" (version ${options.policy.version}), the school's acceptable use policy for ${AUP_AUDIENCE_LABELS[options.policy.audience].toLowerCase()}.`,
    `Open this link to read it and sign. It works once and until ${expires}:`,
    url,
    'If you did not expect this email, tell the school office. This message comes from DSL Desk, your school’s safeguarding and policy service.',
  ].join('\n\n');
  await sendSchoolMail(deps, route, { to: [options.person.email], subject, body });
  return true;
}

/** A plain email from the school's connected mailbox (an escalation to the head); false when not possible. */
export async function emailFromSchool(deps: AppDeps, options: { schoolId: string; to: string; subject: string; body: string }): Promise<boolean> {
  const route = await schoolMailRouteFor(deps, options.schoolId);
  if (!route) return false;
  await sendSchoolMail(deps, route, { to: [options.to], subject: options.subject, body: options.body });
  return true;
}
