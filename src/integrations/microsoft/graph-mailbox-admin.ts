import { AppError } from '../../domain/errors.ts';
import type { MailboxAdmin, MessageCopy } from '../../domain/ports.ts';
import { createGraphAppClient, type GraphAppCredentials } from './graph-app-client.ts';

export type GraphMailboxAdminOptions = GraphAppCredentials;

/** Graph attaches files under 3 MB in the request itself; its request limit (4 MB) must also hold the base64. */
const INLINE_ATTACHMENT_MAX_BYTES = 2_800_000;
/** Upload-session ranges: at most 4 MB each; a multiple of 320 KiB, as Graph's upload sessions prefer. */
const UPLOAD_CHUNK_BYTES = 320 * 1024 * 10;

/**
 * DSL Desk's own access to a school's mailboxes (application permissions Mail.ReadWrite, Mail.Send,
 * User.Read.All, granted by the school's admin), used only for the DSL's tenant-wide actions on a
 * reported email: find its copies, move them to Deleted Items, and forward it for analysis.
 */
export function createGraphMailboxAdmin(options: GraphMailboxAdminOptions): MailboxAdmin {
  const { call } = createGraphAppClient({
    ...options,
    notConsentedMessage: 'DSL Desk is not allowed to act on the school’s mailboxes yet. Ask IT to grant admin consent for its mail permissions.',
  });
  const failed = (what: string, response: Response) =>
    new AppError(response.status === 403 ? 'forbidden' : 'unavailable', `Microsoft 365 refused to ${what} (${response.status}). Ask IT to check DSL Desk's mail permissions.`, { internal: `graph ${response.status} on ${what}` });

  return {
    async findCopies(tenantId, internetMessageId, scope) {
      const copies: MessageCopy[] = [];
      const domains = new Set(scope.domains.map((domain) => domain.toLowerCase()));
      const mailboxes = scope.mailboxes ? new Set(scope.mailboxes.map((address) => address.toLowerCase())) : undefined;
      let mailboxesSearched = 0;
      let mailboxesFailed = 0;
      let next: string | undefined = '/v1.0/users?$select=id,mail,userPrincipalName&$top=999';
      while (next) {
        const page = await call(tenantId, next);
        if (!page.ok) throw failed('list the school’s mailboxes', page);
        const body = (await page.json()) as { value: { id: string; mail?: string | null; userPrincipalName?: string | null }[]; '@odata.nextLink'?: string };
        for (const user of body.value) {
          if (!user.mail || !domains.has(user.mail.split('@')[1]?.toLowerCase() ?? '')) continue;
          if (mailboxes && !mailboxes.has(user.mail.toLowerCase()) && !mailboxes.has(user.userPrincipalName?.toLowerCase() ?? '')) continue;
          mailboxesSearched += 1;
          // OData string literals escape a quote by doubling it.
          const filter = encodeURIComponent(`internetMessageId eq '${internetMessageId.replaceAll("'", "''")}'`);
          try {
            const found = await call(tenantId, `/v1.0/users/${encodeURIComponent(user.id)}/messages?$filter=${filter}&$select=id`);
            // A user without an Exchange mailbox answers 404: nothing to find there.
            if (found.status === 404) continue;
            if (!found.ok) throw failed('search a mailbox', found);
            for (const message of ((await found.json()) as { value: { id: string }[] }).value) copies.push({ mailbox: user.id, messageId: message.id });
          } catch {
            // One mailbox that cannot be searched must not stop the others; it is counted and reported.
            mailboxesFailed += 1;
          }
        }
        next = body['@odata.nextLink'];
      }
      return { copies, mailboxesSearched, mailboxesFailed };
    },
    async moveToDeletedItems(tenantId, copy) {
      const response = await call(tenantId, `/v1.0/users/${encodeURIComponent(copy.mailbox)}/messages/${encodeURIComponent(copy.messageId)}/move`, {
        method: 'POST',
        body: JSON.stringify({ destinationId: 'deleteditems' }),
      });
      if (!response.ok) throw failed('move a copy to Deleted Items', response);
    },
    async sendMessage(tenantId, message) {
      const response = await call(tenantId, `/v1.0/users/${encodeURIComponent(message.from)}/sendMail`, {
        method: 'POST',
        body: JSON.stringify({
          message: { subject: message.subject, body: { contentType: 'Text', content: message.body }, toRecipients: message.to.map((address) => ({ emailAddress: { address } })) },
          saveToSentItems: false,
        }),
      });
      if (response.status !== 202 && !response.ok) throw failed('send a notice', response);
    },
    async sendWithAttachment(tenantId, message) {
      const envelope = { subject: message.subject, body: { contentType: 'Text', content: message.body }, toRecipients: message.to.map((address) => ({ emailAddress: { address } })) };
      if (message.eml.byteLength <= INLINE_ATTACHMENT_MAX_BYTES) {
        const response = await call(tenantId, `/v1.0/users/${encodeURIComponent(message.from)}/sendMail`, {
          method: 'POST',
          body: JSON.stringify({
            message: { ...envelope, attachments: [{ '@odata.type': '#microsoft.graph.fileAttachment', name: message.attachmentName, contentType: 'message/rfc822', contentBytes: Buffer.from(message.eml).toString('base64') }] },
            saveToSentItems: true,
          }),
        });
        if (response.status !== 202 && !response.ok) throw failed('send the report', response);
        return;
      }
      await sendThroughUploadSession(tenantId, message.from, envelope, message.attachmentName, message.eml);
    },
  };

  /**
   * A message too large for one sendMail request (Graph takes about 4 MB per request, and base64 adds a third):
   * a draft, an upload session on its attachments, the bytes PUT in ranges to the session's own URL (which
   * carries its own authorisation, so no token is sent with it), then send. The draft is deleted if anything fails.
   */
  async function sendThroughUploadSession(tenantId: string, from: string, envelope: object, name: string, eml: Uint8Array): Promise<void> {
    const mailbox = `/v1.0/users/${encodeURIComponent(from)}`;
    const draftResponse = await call(tenantId, `${mailbox}/messages`, { method: 'POST', body: JSON.stringify(envelope) });
    if (!draftResponse.ok) throw failed('prepare the report', draftResponse);
    const draft = (await draftResponse.json()) as { id: string };
    const draftPath = `${mailbox}/messages/${encodeURIComponent(draft.id)}`;
    try {
      const sessionResponse = await call(tenantId, `${draftPath}/attachments/createUploadSession`, {
        method: 'POST',
        body: JSON.stringify({ AttachmentItem: { attachmentType: 'file', name, size: eml.byteLength, contentType: 'message/rfc822' } }),
      });
      if (!sessionResponse.ok) throw failed('start uploading the report', sessionResponse);
      const { uploadUrl } = (await sessionResponse.json()) as { uploadUrl: string };
      let start = 0;
      while (start < eml.byteLength) {
        const end = Math.min(start + UPLOAD_CHUNK_BYTES, eml.byteLength) - 1;
        const chunk = eml.subarray(start, end + 1);
        const put = await fetch(uploadUrl, {
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(chunk.byteLength), 'content-range': `bytes ${start}-${end}/${eml.byteLength}` },
          body: chunk,
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
        if (!put.ok) throw failed('upload the report', put);
        if (put.status === 201) {
          await put.body?.cancel();
          break;
        }
        // Graph says where it wants the next range to start; follow it rather than our own count.
        const next = ((await put.json()) as { nextExpectedRanges?: string[] }).nextExpectedRanges?.[0];
        start = next ? Number.parseInt(next, 10) : end + 1;
      }
      const sent = await call(tenantId, `${draftPath}/send`, { method: 'POST' });
      if (sent.status !== 202 && !sent.ok) throw failed('send the report', sent);
    } catch (error) {
      await call(tenantId, draftPath, { method: 'DELETE' }).catch(() => undefined);
      throw error;
    }
  }
}
