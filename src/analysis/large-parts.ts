import { ContentSniffer, type SniffResult } from './sniff.ts';

/**
 * Keeps memory flat for big messages (reports go up to 35 MB, nearly all of it one or two base64 attachments).
 * The MIME parser decodes every attachment into memory, through several intermediate copies, before we can hash
 * it. So before parsing, this walks the MIME structure of the raw bytes, and each base64 attachment body larger than
 * the threshold is decoded in slices straight into a hash and a content sniffer, then replaced in the copy given to
 * the parser by a short placeholder. The parser sees the same structure and headers (names, types, disposition);
 * only those bodies are swapped for a token that maps back to the streamed result.
 *
 * The walk follows the same rules as the parser: header block, blank line, body up to a line "--boundary" of any
 * open multipart (innermost first, trailing spaces allowed), "--boundary--" closing it. A message/rfc822 part that
 * is not itself encoded is entered like a message.
 */

export interface PreparedMessage {
  /** What to hand to the parser: the original bytes when nothing was replaced. */
  bytes: Uint8Array;
  /** Placeholder text → the streamed result for the body it replaced. */
  replaced: Map<string, SniffResult>;
}

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const NL_DASHES = Buffer.from('\n--', 'latin1');
const MAX_HEADER_BLOCK = 2 * 1024 * 1024;
const DECODE_SLICE = 1024 * 1024;

interface PartHeaders {
  contentType: string;
  boundary?: string;
  encoding: string;
  disposition: string;
}

function parsePartHeaders(block: string): PartHeaders {
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  const field = (name: string) => new RegExp(`^${name}[ \\t]*:(.*)$`, 'im').exec(unfolded)?.[1]?.trim() ?? '';
  const contentTypeField = field('content-type');
  const contentType = (contentTypeField.split(';')[0] ?? '').trim().toLowerCase() || 'text/plain';
  const boundaryMatch = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(contentTypeField);
  const boundary = boundaryMatch ? (boundaryMatch[1] ?? boundaryMatch[2]) : undefined;
  return {
    contentType,
    ...(boundary ? { boundary } : {}),
    encoding: field('content-transfer-encoding').toLowerCase(),
    disposition: (field('content-disposition').split(';')[0] ?? '').trim().toLowerCase(),
  };
}

const BASE64_VALUES = (() => {
  const table = new Int8Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  table[0x3d] = -2; // "="
  return table;
})();

/**
 * Decodes base64 bytes straight into the sniffer through one reusable output buffer, so a 30 MB body leaves no
 * garbage behind (no intermediate strings). Line breaks and stray characters are skipped; "=" ends a unit and a
 * partial unit is flushed the way the parser and Node's decoder do it (some encoders pad every line).
 */
function streamBase64(source: Buffer, start: number, end: number, sniffer: ContentSniffer): void {
  const out = Buffer.allocUnsafe(DECODE_SLICE);
  let used = 0;
  let acc = 0;
  let count = 0;
  const flushPartial = () => {
    if (count === 2) out[used++] = (acc >> 4) & 0xff;
    else if (count === 3) {
      out[used++] = (acc >> 10) & 0xff;
      out[used++] = (acc >> 2) & 0xff;
    }
    acc = 0;
    count = 0;
  };
  for (let i = start; i < end; i++) {
    const value = BASE64_VALUES[source[i]!]!;
    if (value >= 0) {
      acc = (acc << 6) | value;
      if (++count === 4) {
        out[used++] = (acc >> 16) & 0xff;
        out[used++] = (acc >> 8) & 0xff;
        out[used++] = acc & 0xff;
        acc = 0;
        count = 0;
      }
    } else if (value === -2) flushPartial();
    if (used > DECODE_SLICE - 4) {
      sniffer.update(out.subarray(0, used));
      used = 0;
    }
  }
  flushPartial();
  if (used) sniffer.update(out.subarray(0, used));
}

/**
 * Returns `raw` unchanged when it holds no base64 body of at least `threshold` bytes; otherwise a copy with those
 * bodies replaced. `marker` must be unpredictable to the sender (so a message cannot carry a fake placeholder).
 */
export function replaceLargeParts(raw: Uint8Array, threshold: number, marker: string): PreparedMessage {
  const replaced = new Map<string, SniffResult>();
  if (raw.byteLength < threshold) return { bytes: raw, replaced };
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const length = buf.length;
  const boundaries: Buffer[] = [];
  const cuts: { start: number; end: number; token: string }[] = [];

  type Mode = 'headers' | 'body' | 'skip';
  let mode: Mode = 'headers';
  let headerStart = 0;
  let bodyStart = 0;
  let candidate = false;

  const closeBody = (end: number) => {
    if (mode === 'body' && candidate && end - bodyStart >= threshold) {
      const token = `${marker}${cuts.length}`;
      const sniffer = new ContentSniffer();
      streamBase64(buf, bodyStart, end, sniffer);
      replaced.set(token, sniffer.finish());
      cuts.push({ start: bodyStart, end, token });
    }
  };

  /** Index of the open boundary this line is, or -1. */
  const boundaryAt = (lineStart: number, contentEnd: number): { index: number; terminator: boolean } | undefined => {
    if (contentEnd - lineStart < 3 || buf[lineStart] !== DASH || buf[lineStart + 1] !== DASH) return undefined;
    for (let i = boundaries.length - 1; i >= 0; i--) {
      const b = boundaries[i]!;
      const after = lineStart + 2 + b.length;
      if (after > contentEnd || buf.compare(b, 0, b.length, lineStart + 2, after) !== 0) continue;
      let end = after;
      let terminator = false;
      if (end + 2 <= contentEnd && buf[end] === DASH && buf[end + 1] === DASH) {
        terminator = true;
        end += 2;
      }
      let ok = true;
      for (let j = end; j < contentEnd; j++) if (buf[j] !== 0x20 && buf[j] !== 0x09) ok = false;
      if (ok) return { index: i, terminator };
    }
    return undefined;
  };

  let pos = 0;
  while (pos < length) {
    // In a body, jump straight to the next line that starts with "--": only those can be boundaries.
    if (mode !== 'headers' && !(buf[pos] === DASH && buf[pos + 1] === DASH)) {
      if (!boundaries.length) break;
      const next = buf.indexOf(NL_DASHES, pos);
      if (next < 0) break;
      pos = next + 1;
    }
    let lineEnd = buf.indexOf(LF, pos);
    if (lineEnd < 0) lineEnd = length;
    let contentEnd = lineEnd;
    while (contentEnd > pos && (buf[contentEnd - 1] === CR || buf[contentEnd - 1] === LF)) contentEnd--;
    const next = lineEnd + 1;

    if (mode === 'headers') {
      if (contentEnd === pos) {
        const headers = parsePartHeaders(buf.toString('latin1', headerStart, pos));
        if (headers.contentType.startsWith('multipart/') && headers.boundary) {
          boundaries.push(Buffer.from(headers.boundary, 'latin1'));
          mode = 'skip'; // preamble
        } else if (headers.contentType === 'message/rfc822' && !['base64', 'quoted-printable'].includes(headers.encoding) && headers.disposition !== 'attachment') {
          headerStart = next; // an attached message: its own header block follows
        } else {
          mode = 'body';
          bodyStart = next;
          const inlineText = (headers.contentType === 'text/plain' || headers.contentType === 'text/html') && headers.disposition !== 'attachment';
          const inlineMessage = headers.contentType === 'message/rfc822' && headers.disposition !== 'attachment';
          candidate = headers.encoding === 'base64' && !inlineText && !inlineMessage;
        }
      } else if (pos - headerStart > MAX_HEADER_BLOCK) {
        return { bytes: raw, replaced: new Map() }; // not a shape we should second-guess; the parser will refuse it
      }
      pos = next;
      continue;
    }

    const boundary = boundaryAt(pos, contentEnd);
    if (boundary) {
      closeBody(pos);
      if (boundary.terminator) {
        boundaries.length = boundary.index;
        mode = 'skip'; // epilogue of the closed multipart, up to the enclosing boundary
      } else {
        boundaries.length = boundary.index + 1;
        mode = 'headers';
        headerStart = next;
      }
    }
    pos = next;
  }
  closeBody(length);

  if (!cuts.length) return { bytes: raw, replaced };
  const pieces: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    pieces.push(buf.subarray(from, cut.start), Buffer.from(`${Buffer.from(cut.token, 'latin1').toString('base64')}\r\n`, 'latin1'));
    from = cut.end;
  }
  pieces.push(buf.subarray(from));
  return { bytes: Buffer.concat(pieces), replaced };
}
