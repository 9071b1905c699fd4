import { randomBytes } from 'node:crypto';
import { OAuth2Client } from 'google-auth-library';
import { gmail, type gmail_v1 } from 'googleapis/build/src/apis/gmail/index.js';
import { AppError } from '../../domain/errors.ts';
import { googleRetryAfter, googleStatusOf, isGoogleRateLimit } from './google-api-errors.ts';
import type { GmailMessageReader } from '../../domain/ports.ts';

export interface GmailMessageReaderOptions {
  /** https://gmail.googleapis.com/ in production (GOOGLE_GMAIL_API_ROOT_URL); a local fake in the tests (origin only). */
  rootUrl: string;
  /** Per call. The add-on's tokens live minutes and Gmail waits about 30 s for the card, so this is short. Default 10 s. */
  timeoutMs?: number;
}

/** Gmail's header for the per-message token the add-on event carries (`gmail.accessToken`). */
const GMAIL_ACCESS_TOKEN_HEADER = 'X-Goog-Gmail-Access-Token';

type Step = 'raw' | 'full' | 'attachment';

/**
 * Reads the message open in Gmail as the user, through the add-on's own scope
 * (gmail.addons.current.message.readonly): the user's OAuth token as the bearer and Gmail's per-message token
 * in X-Goog-Gmail-Access-Token, both from the event, during its request.
 *
 * `format: 'raw'` gives the message byte for byte. Where Gmail refuses raw (403), the message is rebuilt from
 * `format: 'full'`: every header of every part as Gmail gives it, each body re-encoded as base64, each
 * attachment fetched by its attachmentId. The rebuilt message carries the same sender, subject, Message-ID,
 * authentication headers and attachments, which is all the analysis and the case need.
 *
 * Each call is made once (googleapis' retries off): the card tells the user what to do instead. Errors never
 * carry Google's own text, the message or a token.
 */
export function createGmailMessageReader(options: GmailMessageReaderOptions): GmailMessageReader {
  // Node's own fetch: gaxios would otherwise load node-fetch by a dynamic import on the first call.
  const api = gmail({ version: 'v1', rootUrl: options.rootUrl, timeout: options.timeoutMs ?? 10_000, retry: false, fetchImplementation: fetch });

  return {
    async fetchOpenMessage(request) {
      const auth = new OAuth2Client({ transporterOptions: { fetchImplementation: (input, init) => fetch(input, init) } });
      auth.setCredentials({ access_token: request.userOAuthToken });
      const callOptions = { headers: { [GMAIL_ACCESS_TOKEN_HEADER]: request.gmailAccessToken } };
      const call = async <T>(step: Step, work: () => Promise<T>): Promise<T> => {
        try {
          return await work();
        } catch (error) {
          throw describeGmailError(step, error);
        }
      };

      let refusedRaw = false;
      try {
        const { data } = await api.users.messages.get({ userId: 'me', id: request.messageId, format: 'raw', auth }, callOptions);
        if (typeof data.sizeEstimate === 'number' && data.sizeEstimate > request.maxBytes) throw tooLarge(request.maxBytes);
        if (typeof data.raw !== 'string' || data.raw.length === 0) throw unreadable('raw message without raw data');
        return checkedSize(Buffer.from(data.raw, 'base64url'), request.maxBytes);
      } catch (error) {
        if (error instanceof AppError) throw error;
        if (googleStatusOf(error) !== 403 || isGoogleRateLimit(error)) throw describeGmailError('raw', error);
        refusedRaw = true;
      }

      // Raw refused: rebuild the message from its parts.
      const { data } = await call('full', () => api.users.messages.get({ userId: 'me', id: request.messageId, format: 'full', auth }, callOptions));
      if (typeof data.sizeEstimate === 'number' && data.sizeEstimate > request.maxBytes) throw tooLarge(request.maxBytes);
      if (!data.payload) throw unreadable(`full message without payload (raw refused: ${refusedRaw})`);
      let fetchedBytes = 0;
      const fetchAttachment = async (attachmentId: string): Promise<Buffer> => {
        const { data: attachment } = await call('attachment', () =>
          api.users.messages.attachments.get({ userId: 'me', messageId: request.messageId, id: attachmentId, auth }, callOptions));
        const bytes = Buffer.from(attachment.data ?? '', 'base64url');
        fetchedBytes += bytes.length;
        if (fetchedBytes > request.maxBytes) throw tooLarge(request.maxBytes);
        return bytes;
      };
      const rebuilt = await rebuildMessage(data.payload, fetchAttachment);
      return checkedSize(rebuilt, request.maxBytes);
    },
  };
}

/**
 * RFC 822 bytes from Gmail's `full` payload. Header values are written as Gmail gives them (UTF-8 where they
 * hold more than ASCII, which mail parsers read as RFC 6532 headers); a leaf body's transfer encoding is
 * replaced by base64, since Gmail gives the decoded bytes.
 */
export async function rebuildMessage(payload: gmail_v1.Schema$MessagePart, fetchAttachment: (attachmentId: string) => Promise<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await writePart(payload, chunks, fetchAttachment);
  return Buffer.concat(chunks);
}

async function writePart(part: gmail_v1.Schema$MessagePart, out: Buffer[], fetchAttachment: (attachmentId: string) => Promise<Buffer>): Promise<void> {
  const headers = (part.headers ?? []).filter((header): header is { name: string; value?: string | null } => typeof header.name === 'string' && header.name !== '');
  const mimeType = (part.mimeType ?? 'text/plain').toLowerCase();
  const children = part.parts ?? [];
  const line = (text: string) => out.push(Buffer.from(`${text}\r\n`, 'utf8'));
  const writeHeaders = (list: { name: string; value?: string | null }[]) => {
    for (const header of list) line(`${header.name}: ${(header.value ?? '').replace(/\r?\n/g, ' ')}`);
    line('');
  };

  if (mimeType.startsWith('multipart/')) {
    const contentType = headers.find((header) => header.name.toLowerCase() === 'content-type');
    let boundary = boundaryOf(contentType?.value ?? '');
    let written = headers;
    if (!boundary) {
      boundary = `=_dsl-desk-${randomBytes(12).toString('hex')}`;
      written = [...headers.filter((header) => header !== contentType), { name: 'Content-Type', value: `${mimeType}; boundary="${boundary}"` }];
    }
    writeHeaders(written);
    for (const child of children) {
      line(`--${boundary}`);
      await writePart(child, out, fetchAttachment);
      line('');
    }
    line(`--${boundary}--`);
    return;
  }

  const withoutEncoding = headers.filter((header) => header.name.toLowerCase() !== 'content-transfer-encoding');
  if (mimeType === 'message/rfc822' && children.length > 0 && !part.body?.data && !part.body?.attachmentId) {
    // An attached message Gmail has opened into its parts: write the inner message itself (7bit/8bit, never base64).
    writeHeaders(withoutEncoding);
    await writePart(children[0]!, out, fetchAttachment);
    return;
  }
  const body = part.body?.attachmentId
    ? await fetchAttachment(part.body.attachmentId)
    : Buffer.from(part.body?.data ?? '', 'base64url');
  writeHeaders([...withoutEncoding, { name: 'Content-Transfer-Encoding', value: 'base64' }]);
  const encoded = body.toString('base64');
  for (let index = 0; index < encoded.length; index += 76) line(encoded.slice(index, index + 76));
}

function boundaryOf(contentType: string): string | undefined {
  const match = /(?:^|;)\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

function checkedSize(bytes: Buffer, maxBytes: number): Uint8Array {
  if (bytes.length > maxBytes) throw tooLarge(maxBytes);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `This email is larger than the ${Math.round(maxBytes / (1024 * 1024))} MB DSL Desk accepts, so it was not reported. Tell your DSL or IT team about it directly, and keep the email.`, {
    internal: 'gmail message over EMAIL_REPORT_MAX_MB',
  });
}

function unreadable(internal: string): AppError {
  return new AppError('unavailable', 'Gmail did not give DSL Desk this message in a form it could read. Try again in a few minutes; if it keeps happening, tell your DSL or IT team about the email directly.', { internal });
}

/** One user-safe error per case the card explains. `internal` names the step and status only. */
export function describeGmailError(step: Step, error: unknown): AppError {
  // A quota is a quota whether Google says 429 or 403 with a rate-limit reason.
  const status = isGoogleRateLimit(error) ? 429 : googleStatusOf(error);
  const internal = `gmail ${step === 'attachment' ? 'attachments.get' : `messages.get ${step}`} answered ${status ?? 'no response'}`;
  switch (status) {
    case 401:
      return new AppError('unauthenticated', 'Gmail’s permission for DSL Desk to read this message ran out before it could be fetched. Open the message again and press Report again.', { internal });
    case 403:
      return new AppError('forbidden', 'Gmail did not let DSL Desk read this message, so it was not reported. Open the message again and press Report; if it happens again, tell your DSL or IT team about the email directly.', { internal });
    case 404:
      return new AppError('not_found', 'Gmail could not find this message any more (it may have been deleted or moved). If you still have it, open it and press Report again.', { internal });
    case 429: {
      const retryAfterSeconds = googleRetryAfter(error).retryAfterSeconds || 60;
      return new AppError('rate_limited', 'Gmail is busy just now, so the message was not reported yet. Try again in a minute.', { internal, retryAfterSeconds });
    }
    default:
      return new AppError('unavailable', 'Gmail could not be reached just now, so the message was not reported yet. Try again in a few minutes; if it is urgent, tell your DSL or IT team directly.', {
        internal: status === undefined ? `gmail ${step} call failed or timed out` : internal,
      });
  }
}
