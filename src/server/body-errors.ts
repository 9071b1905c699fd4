import { AppError } from '../domain/errors.ts';

/** What to tell the sender for each way a body cannot be read; the API says JSON, the signing form says "go back". */
export interface BodyErrorMessages {
  notParsable: string;
  tooLarge: string;
  undecodable: string;
  unsupportedEncoding: string;
}

/**
 * Turns a failure of one of express's body parsers (json, raw, text, urlencoded) into our error, or
 * undefined when the error did not come from reading a body.
 *
 * body-parser tags most failures with a `type`, but a body whose bytes do not match its Content-Encoding
 * (corrupt gzip, deflate or Brotli) reaches us as zlib's own error with only `status: 400` added: matching
 * on `type` alone turned those into 500s. So any error body-parser marked as the client's (`expose` and a
 * 4xx `status`) is the client's, whatever its type.
 */
export function bodyReadError(error: unknown, messages: BodyErrorMessages): AppError | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { type, status, expose } = error as { type?: unknown; status?: unknown; expose?: unknown };
  const cause = { cause: error, internal: `body not read: ${typeof type === 'string' ? type : 'decoding failed'}` };
  switch (type) {
    case 'entity.parse.failed':
      return new AppError('invalid_input', messages.notParsable, { ...cause, fields: [{ path: 'body', message: messages.notParsable }] });
    case 'entity.too.large':
    case 'parameters.too.many':
      return new AppError('payload_too_large', messages.tooLarge, cause);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', messages.unsupportedEncoding, cause);
  }
  if (expose === true && typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError('invalid_input', messages.undecodable, { ...cause, fields: [{ path: 'body', message: messages.undecodable }] });
  }
  return undefined;
}

/** The API's wording: people reach it through programs, so the messages name headers. */
export const API_BODY_MESSAGES: BodyErrorMessages = {
  notParsable: 'The body is not valid JSON. Check quotes and commas; nothing was saved.',
  tooLarge: 'The request is too large. Shorten the text or describe attachments instead of including them.',
  undecodable: 'The body could not be decoded: its bytes do not match its Content-Encoding. Send it uncompressed, or compressed correctly; nothing was saved.',
  unsupportedEncoding: 'Send the body as UTF-8, uncompressed or compressed with gzip, deflate or br.',
};
