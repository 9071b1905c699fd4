import type { EmailReportChoice } from '../../domain/email-report.ts';
import { AppError } from '../../domain/errors.ts';
import type { ReportedChild } from '../../domain/pupil.ts';
import type { Actor } from '../../domain/roles.ts';
import type { AppDeps } from '../deps.ts';
import { reportEmail, type EmailReportReceipt } from './report-email.ts';

export interface ReportEmailFromMailboxOptions {
  actor: Actor;
  /** The reporter's own Entra token and tenant: Graph reads the mailbox as them, never as DSL Desk. */
  userAssertion: string;
  tenantId: string;
  mailbox?: string;
  messageId: string;
  choice: EmailReportChoice;
  note?: string;
  subjectPersonId?: string;
  /** The children the email is about: only for a safeguarding or inappropriate-content report. */
  children?: ReportedChild[];
  idempotencyKey?: string;
  maxBytes: number;
}

/**
 * The Report button on clients without integrated spam reporting: the add-in sends the message's id and
 * DSL Desk fetches the message from Microsoft 365 on the reporter's behalf, then files it like any other.
 */
export async function reportEmailFromMailbox(deps: AppDeps, options: ReportEmailFromMailboxOptions): Promise<EmailReportReceipt> {
  if (!deps.mailbox) {
    throw new AppError('unavailable', 'This DSL Desk cannot fetch emails from Microsoft 365 (it is not set up with ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET). Use the Report button in Outlook, which sends the email itself.');
  }
  const raw = await deps.mailbox.fetchMessage({
    userAssertion: options.userAssertion,
    tenantId: options.tenantId,
    ...(options.mailbox ? { mailbox: options.mailbox } : {}),
    messageId: options.messageId,
    maxBytes: options.maxBytes,
  });
  return reportEmail(deps, {
    actor: options.actor,
    raw,
    choice: options.choice,
    channel: 'outlook',
    ...(options.note ? { note: options.note } : {}),
    ...(options.children?.length ? { children: options.children } : {}),
    ...(options.subjectPersonId ? { subjectPersonId: options.subjectPersonId } : {}),
    ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
  });
}
