import { createHash } from 'node:crypto';
import { addressParser, decodeWords } from 'postal-mime';
import { analyseEmail, isUnreadableStructure, type AnalysisContext, type EmailAnalysis } from './email-analysis.ts';

/**
 * The analysis of a message that could not be analysed: it took longer than its time budget, or its MIME structure
 * is one the parser refuses (nested more than 64 levels deep). The report still becomes a case, so the message is
 * read only as far as its top header block, by a simple bounded scan, for the sender, subject and Message-ID the
 * case and later reporters need. Returns undefined when that block has none of an email's usual headers.
 */

/** The header block is looked for in this much of the message; longer blocks are read this far. */
const HEADER_SCAN_LIMIT = 2 * 1024 * 1024;
/** Each header kept is decoded this far (a real Subject or display name is far shorter). */
const FIELD_LIMIT = 2000;
const WANTED = new Set(['from', 'subject', 'message-id', 'date', 'to']);

function topHeaders(bytes: Uint8Array): Map<string, string> {
  const end = Math.min(bytes.byteLength, HEADER_SCAN_LIMIT);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('utf8');
  const headers = new Map<string, string>();
  let name = '';
  for (const line of text.split('\n')) {
    const content = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (content === '') break;
    if ((content[0] === ' ' || content[0] === '\t') && name) {
      const value = headers.get(name);
      if (value !== undefined) headers.set(name, `${value} ${content.trim()}`);
      continue;
    }
    const colon = content.indexOf(':');
    name = colon > 0 ? content.slice(0, colon).trim().toLowerCase() : '';
    if (WANTED.has(name) && !headers.has(name)) headers.set(name, content.slice(colon + 1).trim());
    else name = '';
  }
  return headers;
}

/** The sender, from a From header of any length: a long one gives only its address, found by position. */
function sender(value: string | undefined): { name?: string; address?: string } | undefined {
  if (!value) return undefined;
  if (value.length > FIELD_LIMIT) {
    const open = value.lastIndexOf('<');
    const close = value.lastIndexOf('>');
    const address = open >= 0 && close > open ? value.slice(open + 1, close).trim() : '';
    return address.includes('@') && address.length <= 320 ? { address } : undefined;
  }
  const first = addressParser(value)[0];
  if (!first || ('group' in first && first.group)) return undefined;
  return { ...(first.name ? { name: first.name } : {}), ...(first.address ? { address: first.address } : {}) };
}

export function unfinishedAnalysis(raw: Uint8Array, reason: string): EmailAnalysis | undefined {
  const headers = topHeaders(raw);
  if (!headers.size) return undefined;
  const from = sender(headers.get('from'));
  const subject = headers.has('subject') ? decodeWords(headers.get('subject')!.slice(0, FIELD_LIMIT)) : undefined;
  const messageId = headers.get('message-id')?.slice(0, FIELD_LIMIT);
  const date = headers.get('date')?.slice(0, FIELD_LIMIT);
  return {
    verdict: 'not_analysed',
    signals: [{ code: 'analysis_incomplete', severity: 'medium', evidence: `analysis could not be completed: ${reason}. Treat the message as suspicious and check it by hand` }],
    message: {
      ...(messageId ? { messageId } : {}),
      ...(subject !== undefined ? { subject } : {}),
      ...(from && (from.name || from.address) ? { from } : {}),
      ...(date ? { date } : {}),
      size: raw.byteLength,
    },
    links: [],
    attachments: [],
    // Only identical copies join each other without a Message-ID: the text was never read.
    contentFingerprint: createHash('sha256').update(raw).digest('hex'),
  };
}

/**
 * For reported emails: analyseEmail, except that a message whose structure the parser refuses still gets an
 * analysis (saying it could not be completed, and why), so that the report is filed like any other. Input that
 * is not an email at all is still refused.
 */
export async function analyseReportedEmail(raw: Uint8Array, context: AnalysisContext): Promise<EmailAnalysis> {
  try {
    return await analyseEmail(raw, context);
  } catch (error) {
    const unfinished = isUnreadableStructure(error) ? unfinishedAnalysis(raw, 'its MIME structure could not be read (broken, or nested more than 64 levels deep)') : undefined;
    if (unfinished) return unfinished;
    throw error;
  }
}
