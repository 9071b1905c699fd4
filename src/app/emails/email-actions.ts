import { canViewCase } from '../../domain/case.ts';
import { isSecurityOnly } from '../../domain/incident-types.ts';
import type { StoredEmail } from '../../domain/email-report.ts';
import { AppError, forbidden, notFound } from '../../domain/errors.ts';
import type { School, StorageTx } from '../../domain/ports.ts';
import { hasAnyRole, type Actor } from '../../domain/roles.ts';
import type { AppDeps } from '../deps.ts';

/** The DSLs, deputies, head and IT act on reported emails; IT only on the security cases it may see. */
export const EMAIL_ACTION_ROLES = ['dsl', 'deputy_dsl', 'head', 'it'] as const;

/** Loads a reported email of a case the actor may act on, inside the caller's transaction. */
export async function emailForAction(tx: StorageTx, actor: Actor, caseId: string, emailId: string): Promise<{ email: StoredEmail; reference: string; securityCase: boolean }> {
  if (!hasAnyRole(actor, EMAIL_ACTION_ROLES)) throw forbidden('Only the DSLs and IT can act on reported emails.');
  const header = await tx.cases.getHeader(actor.schoolId, caseId);
  if (!header || !canViewCase(actor, header)) throw notFound('That case');
  const email = (await tx.emails.listForCase(actor.schoolId, caseId)).find((e) => e.id === emailId);
  if (!email) throw notFound('That email');
  return { email, reference: header.reference, securityCase: isSecurityOnly(header.types) };
}

export function requireMailboxAdmin(deps: AppDeps): NonNullable<AppDeps['mailboxAdmin']> {
  if (!deps.mailboxAdmin) {
    throw new AppError('unavailable', 'This DSL Desk is not connected to the school’s mailboxes (ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET with the Mail.ReadWrite and Mail.Send application permissions). Ask IT to connect it.');
  }
  return deps.mailboxAdmin;
}

/**
 * The mailbox connection for the school's platform: Graph for a Microsoft 365 school, Gmail by domain-wide
 * delegation for a Google Workspace school. Refuses, saying what IT must set, when it is missing.
 */
export function requireSchoolMailbox(deps: AppDeps, school: Pick<School, 'entraTenantId' | 'googleDomain'> | undefined): void {
  if (school?.googleDomain && !school.entraTenantId) {
    if (!deps.gmailMailboxes) {
      throw new AppError(
        'unavailable',
        'This DSL Desk is not connected to the school’s Gmail: IT sets GOOGLE_SERVICE_ACCOUNT_KEY_FILE and, in the Google Admin console, authorises its client ID for the Gmail scopes by domain-wide delegation (see the Google set-up guide).',
      );
    }
    return;
  }
  requireMailboxAdmin(deps);
}

/** The case's reported email a card button means (a case holds one message, reported by many). */
export async function firstEmailId(deps: AppDeps, options: { actor: Actor; caseId: string }): Promise<string> {
  const email = await deps.storage.read(async (reader) => {
    const header = await reader.cases.getHeader(options.actor.schoolId, options.caseId);
    if (!header || !canViewCase(options.actor, header)) return undefined;
    return (await reader.emails.listForCase(options.actor.schoolId, options.caseId))[0];
  });
  if (!email) throw notFound('A reported email on that case');
  return email.id;
}
