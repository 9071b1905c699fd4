import { AppError } from '../../domain/errors.ts';
import type { OnBehalfOfTokens } from './on-behalf-of.ts';

export interface GraphMailOptions {
  /** https://graph.microsoft.com, or a national cloud's (or a local fake's) address. */
  graphUrl: string;
  tokens: OnBehalfOfTokens;
  timeoutMs?: number;
}

export interface FetchMessageRequest {
  /** The reporter's own Entra token, as they sent it to us. */
  userAssertion: string;
  tenantId: string;
  /** The mailbox the message sits in (a shared one such as office@); the reporter's own when absent. */
  mailbox?: string;
  /** The REST id of the message (Office.js convertToRestId). */
  messageId: string;
  maxBytes: number;
}

/**
 * Reads a message's MIME ($value) from Graph as the reporter. Streams it and stops at the size limit, so a
 * huge message is refused without being held in memory whole.
 */
export async function fetchMessageMime(options: GraphMailOptions, request: FetchMessageRequest): Promise<Uint8Array> {
  const token = await options.tokens(request.userAssertion, request.tenantId);
  const owner = request.mailbox ? `users/${encodeURIComponent(request.mailbox)}` : 'me';
  const url = `${options.graphUrl.replace(/\/$/, '')}/v1.0/${owner}/messages/${encodeURIComponent(request.messageId)}/$value`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
  } catch (error) {
    throw new AppError('unavailable', 'Microsoft 365 did not answer while fetching the email. Try again in a minute; your note is kept.', { cause: error, internal: 'graph unreachable' });
  }
  if (response.status === 401 || response.status === 403) {
    throw new AppError('forbidden', 'Microsoft 365 says you cannot read that mailbox, so DSL Desk cannot fetch the email for you. Report it from the mailbox you can open.', { internal: `graph ${response.status}` });
  }
  if (response.status === 404) throw new AppError('not_found', 'Microsoft 365 could not find that email any more (it may have been moved or deleted).');
  if (!response.ok || !response.body) {
    throw new AppError('unavailable', 'Microsoft 365 could not give DSL Desk the email just now. Try again in a minute; your note is kept.', { internal: `graph ${response.status}` });
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > request.maxBytes) throw tooLarge(request.maxBytes);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > request.maxBytes) throw tooLarge(request.maxBytes);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('unavailable', 'Microsoft 365 stopped sending the email part way. Try again in a minute; your note is kept.', { cause: error, internal: 'graph body interrupted' });
  }
  return Buffer.concat(chunks, size);
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `This email is larger than the ${Math.round(maxBytes / (1024 * 1024))} MB DSL Desk accepts. Tell your DSL or IT team about it directly.`);
}
