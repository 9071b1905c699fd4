import { AppError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { emailForAction, requireSchoolMailbox } from './email-actions.ts';
import { schoolMailRoute, sendSchoolMail } from './send-school-mail.ts';

export const FORWARD_TARGETS = ['security', 'ncsc'] as const;
export type ForwardTarget = (typeof FORWARD_TARGETS)[number];

/**
 * Forwards the reported message, unmodified, as the only attachment of a new email whose subject starts
 * "Phishing:" (the format Defender's third-party reporting mailbox accepts), to the school's security
 * mailbox and/or the NCSC's Suspicious Email Reporting Service (NCSC_REPORT_ADDRESS, report@phishing.gov.uk
 * by default). Any size DSL Desk accepted is sent: a large message goes through a Graph upload session, or
 * Gmail's media upload for a Google Workspace school (sent as REPORT_SENDER_MAILBOX by domain-wide delegation).
 */
export async function forwardReportedEmail(deps: AppDeps, options: { actor: Actor; caseId: string; emailId: string; to: ForwardTarget[] }): Promise<{ sentTo: string[] }> {
  const forwarding = deps.settings?.emailForwarding ?? {};
  const { actor, caseId, emailId } = options;
  const targets = [...new Set(options.to)];
  const addresses = targets.map((target) => (target === 'security' ? forwarding.securityMailbox : forwarding.ncscAddress));
  const { email, reference, content, school, securityCase } = await deps.storage.read(async (reader) => {
    const found = await emailForAction(reader, actor, caseId, emailId);
    const school = await reader.schools.get(actor.schoolId);
    return { ...found, content: found.email.contentKept ? await reader.emails.getContent(actor.schoolId, emailId) : undefined, school };
  });
  // Whether DSL Desk can reach the school's mail at all comes first: it is what IT must fix before any setting.
  requireSchoolMailbox(deps, school);
  if (!forwarding.from) throw new AppError('unavailable', 'Forwarding is not set up: IT sets REPORT_SENDER_MAILBOX, the school mailbox DSL Desk sends from.');
  const missing = targets.filter((_target, index) => !addresses[index]);
  if (missing.length > 0) {
    throw new AppError(
      'unavailable',
      missing.includes('security')
        ? 'Forwarding to the security team is not set up: IT sets SECURITY_REPORT_MAILBOX (the school’s or trust’s phishing reporting mailbox).'
        : 'Forwarding to the NCSC is not set up: IT sets NCSC_REPORT_ADDRESS (report@phishing.gov.uk).',
    );
  }
  if (!securityCase) throw new AppError('invalid_input', 'Only suspicious-email cases are forwarded for phishing analysis. An upsetting or safeguarding email is never sent on.');
  if (!content) throw new AppError('invalid_input', email.attachmentsWithheld ? 'This email may carry images of a child, so it was not kept and cannot be forwarded. Never forward images of children.' : 'The message itself is no longer kept (its retention ended), so it cannot be forwarded.');
  const route = schoolMailRoute(deps, school);
  if (!route) throw new AppError('invalid_input', 'This school is not linked to a Microsoft 365 tenant or a Google Workspace domain, so DSL Desk cannot send from its mailbox.');
  await sendSchoolMail(deps, route, {
    to: addresses as string[],
    subject: `Phishing: ${email.analysis.subject ?? reference}`.slice(0, 250),
    body: `Reported to the school's DSL as suspicious (DSL Desk case ${reference}). The original message is attached unmodified.`,
    attachment: { name: `${reference}-reported-email.eml`, eml: content },
  });
  await deps.storage.transaction((tx) =>
    tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'case.email_forwarded', caseId, detail: { emailId, to: targets.join(','), size: content.byteLength } }, nowIso(deps)),
  );
  return { sentTo: targets };
}
