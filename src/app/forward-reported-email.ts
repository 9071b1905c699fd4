import { AppError } from '../domain/errors.ts';
import type { Actor } from '../domain/roles.ts';
import { nowIso, type AppDeps } from './deps.ts';
import { emailForAction, requireMailboxAdmin } from './email-actions.ts';

export const FORWARD_TARGETS = ['security', 'ncsc'] as const;
export type ForwardTarget = (typeof FORWARD_TARGETS)[number];

/** Graph's sendMail takes at most about 4 MB in one request; larger messages are downloaded and sent by hand. */
const MAX_FORWARD_BYTES = 2_800_000;

/**
 * Forwards the reported message, unmodified, as the only attachment of a new email whose subject starts
 * "Phishing:" (the format Defender's third-party reporting mailbox accepts), to the school's security
 * mailbox and/or the NCSC's suspicious email reporting service.
 */
export async function forwardReportedEmail(deps: AppDeps, options: { actor: Actor; caseId: string; emailId: string; to: ForwardTarget[] }): Promise<{ sentTo: string[] }> {
  const admin = requireMailboxAdmin(deps);
  const forwarding = deps.settings?.emailForwarding ?? {};
  const { actor, caseId, emailId } = options;
  const addresses = [...new Set(options.to)].map((target) => (target === 'security' ? forwarding.securityMailbox : forwarding.ncscAddress));
  if (addresses.some((address) => !address) || !forwarding.from) {
    throw new AppError('unavailable', 'Forwarding is not set up: IT sets REPORT_SENDER_MAILBOX and SECURITY_REPORT_MAILBOX (and NCSC_REPORT_ADDRESS to use the NCSC service).');
  }
  const { email, reference, content, tenantId, securityCase } = await deps.storage.read(async (reader) => {
    const found = await emailForAction(reader, actor, caseId, emailId);
    const school = await reader.schools.get(actor.schoolId);
    return { ...found, content: found.email.contentKept ? await reader.emails.getContent(actor.schoolId, emailId) : undefined, tenantId: school?.entraTenantId ?? undefined };
  });
  if (!securityCase) throw new AppError('invalid_input', 'Only suspicious-email cases are forwarded for phishing analysis. An upsetting or safeguarding email is never sent on.');
  if (!content) throw new AppError('invalid_input', email.attachmentsWithheld ? 'This email was reported as a safeguarding concern, so it was not kept and cannot be forwarded. Never forward images of children.' : 'The message itself is no longer kept (its retention ended), so it cannot be forwarded.');
  if (content.byteLength > MAX_FORWARD_BYTES) throw new AppError('payload_too_large', 'This email is too large to forward from DSL Desk. Download it from the case and forward it as an attachment yourself.');
  if (!tenantId) throw new AppError('invalid_input', 'This school is not linked to a Microsoft 365 tenant, so DSL Desk cannot send from its mailbox.');
  const to = addresses as string[];
  await admin.sendWithAttachment(tenantId, {
    from: forwarding.from!,
    to,
    subject: `Phishing: ${email.analysis.subject ?? reference}`.slice(0, 250),
    body: `Reported to the school's DSL as suspicious (DSL Desk case ${reference}). The original message is attached unmodified.`,
    attachmentName: `${reference}-reported-email.eml`,
    eml: content,
  });
  await deps.storage.transaction((tx) =>
    tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'case.email_forwarded', caseId, detail: { emailId, to: options.to.join(',') } }, nowIso(deps)),
  );
  return { sentTo: options.to };
}
