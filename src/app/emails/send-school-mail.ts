import { composeMail } from '../../domain/outgoing-mail.ts';
import type { School } from '../../domain/ports.ts';
import { nowIso, type AppDeps } from '../deps.ts';

/**
 * How DSL Desk sends email for a school, from its configured sender mailbox (REPORT_SENDER_MAILBOX): Graph for a
 * Microsoft 365 school (its tenant), Gmail by domain-wide delegation (gmail.send) for a Google Workspace school.
 * Undefined when neither is set up for this school.
 */
export type SchoolMailRoute = { provider: 'graph'; tenantId: string; from: string } | { provider: 'gmail'; from: string };

export function schoolMailRoute(deps: AppDeps, school: Pick<School, 'entraTenantId' | 'googleDomain'> | undefined): SchoolMailRoute | undefined {
  const from = deps.settings?.emailForwarding?.from;
  if (!school || !from) return undefined;
  if (school.entraTenantId && deps.mailboxAdmin) return { provider: 'graph', tenantId: school.entraTenantId, from };
  if (school.googleDomain && deps.gmailMailboxes) return { provider: 'gmail', from };
  return undefined;
}

/** The route for a school by id (one read). */
export async function schoolMailRouteFor(deps: AppDeps, schoolId: string): Promise<SchoolMailRoute | undefined> {
  return schoolMailRoute(deps, await deps.storage.read((reader) => reader.schools.get(schoolId)));
}

/** Sends a plain message, or one with the reported .eml as its only attachment, through the school's route. */
export async function sendSchoolMail(
  deps: AppDeps,
  route: SchoolMailRoute,
  message: { to: string[]; subject: string; body: string; attachment?: { name: string; eml: Uint8Array } },
): Promise<void> {
  if (route.provider === 'graph') {
    const admin = deps.mailboxAdmin!;
    if (message.attachment) {
      await admin.sendWithAttachment(route.tenantId, { from: route.from, to: message.to, subject: message.subject, body: message.body, attachmentName: message.attachment.name, eml: message.attachment.eml });
    } else {
      await admin.sendMessage(route.tenantId, { from: route.from, to: message.to, subject: message.subject, body: message.body });
    }
    return;
  }
  const mime = composeMail({ from: route.from, to: message.to, subject: message.subject, body: message.body, date: nowIso(deps), ...(message.attachment ? { attachment: message.attachment } : {}) });
  await deps.gmailMailboxes!.send(route.from, mime);
}
