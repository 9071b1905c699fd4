import type { NotificationEvent } from '../../domain/case-summary.ts';
import { AppError } from '../../domain/errors.ts';
import type { AppDeps } from '../deps.ts';
import { prepareNotification, recordNotificationSent } from './prepare-notification.ts';
import { schoolMailRoute, sendSchoolMail } from '../emails/send-school-mail.ts';

/**
 * Whether 1:1 notices can go by email here (a sender mailbox and a mailbox connection are configured: Graph for
 * Microsoft 365 schools, Gmail by delegation for Google schools). Whether a given school can is schoolMailRoute.
 */
export function canNotifyByEmail(deps: AppDeps): boolean {
  return Boolean((deps.mailboxAdmin || deps.gmailMailboxes) && deps.settings?.emailForwarding?.from);
}

/**
 * A 1:1 notice by email, for people DSL Desk cannot reach in chat (the school does not use Teams, or they
 * have never opened the app). Same words as the chat message: the reference and status, never the detail.
 */
export async function sendNotificationEmail(deps: AppDeps, options: { schoolId: string; caseId: string; personId: string; event: NotificationEvent }): Promise<boolean> {
  if (!canNotifyByEmail(deps)) throw new AppError('unavailable', 'Email notices are not set up (REPORT_SENDER_MAILBOX and the mailbox connection).');
  const prepared = await prepareNotification(deps, { ...options, platform: 'teams' });
  if (!prepared) return false;
  const { email, route } = await deps.storage.read(async (reader) => ({
    email: (await reader.people.get(options.schoolId, options.personId))?.email,
    route: schoolMailRoute(deps, await reader.schools.get(options.schoolId)),
  }));
  if (!email || !route) return false;
  await sendSchoolMail(deps, route, {
    to: [email],
    subject: prepared.text.title,
    body: [...prepared.text.lines, '', 'This message comes from DSL Desk, your school’s safeguarding reporting service. It never contains the details of a case.'].join('\n\n'),
  });
  await recordNotificationSent(deps, { ...options, platform: 'email' });
  return true;
}
