import { canViewCase } from '../../domain/case.ts';
import { AppError, forbidden, notFound } from '../../domain/errors.ts';
import { hasAnyRole, type Actor } from '../../domain/roles.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/**
 * The reported .eml itself, for the DSLs and IT (to inspect headers, or hand to the police). Every
 * download is recorded in the case's chronology, in the same transaction as the read.
 */
export async function downloadReportedEmail(deps: AppDeps, options: { actor: Actor; caseId: string; emailId: string }): Promise<{ content: Buffer; reference: string }> {
  const { actor, caseId, emailId } = options;
  if (!hasAnyRole(actor, ['dsl', 'deputy_dsl', 'head', 'it'])) throw forbidden('Only the DSLs and IT can download reported emails.');
  return deps.storage.transaction(async (tx) => {
    const header = await tx.cases.getHeader(actor.schoolId, caseId);
    if (!header || !canViewCase(actor, header)) throw notFound('That case');
    const email = (await tx.emails.listForCase(actor.schoolId, caseId)).find((e) => e.id === emailId);
    if (!email) throw notFound('That email');
    const expired = new AppError('not_found', 'The message itself is no longer kept: its retention period has ended. Its analysis stays on the case.');
    if (!email.contentKept) {
      if (email.attachmentsWithheld) throw new AppError('not_found', 'This email may carry images of a child (a safeguarding concern, inappropriate content, or a type whose protocol forbids keeping images), so the message itself was not kept. Its analysis is on the case.');
      throw expired;
    }
    const content = await tx.emails.getContent(actor.schoolId, emailId);
    if (!content) throw expired;
    await tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'case.email_downloaded', caseId, detail: { emailId, size: email.size } }, nowIso(deps));
    return { content, reference: header.reference };
  });
}
