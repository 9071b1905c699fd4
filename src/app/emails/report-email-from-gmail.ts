import type { EmailReportChoice } from '../../domain/email-report.ts';
import { AppError } from '../../domain/errors.ts';
import type { ReportedChild } from '../../domain/pupil.ts';
import type { Actor } from '../../domain/roles.ts';
import type { AppDeps } from '../deps.ts';
import { reportEmail, type EmailReportReceipt } from './report-email.ts';

export interface ReportEmailFromGmailOptions {
  actor: Actor;
  /** From the add-on event: the user's OAuth token and Gmail's per-message token. Both expire within minutes. */
  userOAuthToken: string;
  gmailAccessToken: string;
  /** Gmail's id of the open message (not its Message-ID header). */
  messageId: string;
  choice: EmailReportChoice;
  note?: string;
  /** The children the email is about: only for a safeguarding or inappropriate-content report. */
  children?: ReportedChild[];
  idempotencyKey?: string;
  maxBytes: number;
}

/**
 * Report in the Gmail add-on: DSL Desk reads the open message as the user, during the request (the tokens
 * expire), then files it exactly as an email reported from Outlook: one case per message, reports joining,
 * attachments withheld for safeguarding and inappropriate-content reports, the message sealed, the analysis.
 */
export async function reportEmailFromGmail(deps: AppDeps, options: ReportEmailFromGmailOptions): Promise<EmailReportReceipt> {
  if (!deps.gmailReader) {
    throw new AppError('unavailable', 'This DSL Desk is not set up to read messages from Gmail. Tell your DSL or IT team about the email directly.', {
      internal: 'no Gmail reader configured',
    });
  }
  const raw = await deps.gmailReader.fetchOpenMessage({
    userOAuthToken: options.userOAuthToken,
    gmailAccessToken: options.gmailAccessToken,
    messageId: options.messageId,
    maxBytes: options.maxBytes,
  });
  return reportEmail(deps, {
    actor: options.actor,
    raw,
    choice: options.choice,
    channel: 'gmail',
    ...(options.note ? { note: options.note } : {}),
    ...(options.children?.length ? { children: options.children } : {}),
    ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
  });
}
