import { DateTime } from 'luxon';

/**
 * The RFC 822 messages DSL Desk sends through Gmail (Graph takes JSON instead): a plain notice, or the
 * "Phishing:" forward whose only attachment is the reported message, unmodified. No MIME library is a
 * dependency and the shape is small and fixed, so it is written here: every text part is base64 (any
 * character, any line length), header words are RFC 2047 encoded when not plain ASCII, and line breaks in
 * header values are removed so nothing can add a header.
 */
export interface OutgoingMail {
  from: string;
  to: string[];
  subject: string;
  body: string;
  /** ISO instant for the Date header. */
  date: string;
  attachment?: { name: string; eml: Uint8Array };
}

export function composeMail(mail: OutgoingMail): Uint8Array {
  const headers = [
    `From: ${headerValue(mail.from)}`,
    `To: ${mail.to.map(headerValue).join(', ')}`,
    `Subject: ${encodeWords(headerValue(mail.subject))}`,
    `Date: ${DateTime.fromISO(mail.date, { zone: 'utc' }).toRFC2822()}`,
    'MIME-Version: 1.0',
  ];
  const text = ['Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: base64', '', base64Lines(Buffer.from(mail.body, 'utf8'))];
  if (!mail.attachment) return Buffer.from([...headers, ...text, ''].join('\r\n'), 'utf8');
  // Every part is base64, whose lines never start with '-': a fixed boundary cannot occur inside a part.
  const boundary = '=_dsl-desk-part';
  const name = headerValue(mail.attachment.name).replace(/["\\]/g, '_');
  const lines = [
    ...headers,
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    ...text,
    `--${boundary}`,
    // The Defender / NCSC reporting format: the reported message as an .eml attachment.
    `Content-Type: message/rfc822; name="${name}"`,
    `Content-Disposition: attachment; filename="${name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(Buffer.from(mail.attachment.eml)),
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

function headerValue(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').trim();
}

/** RFC 2047 encoded words for a header value that is not plain printable ASCII, in chunks under the line limit. */
function encodeWords(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  const words: string[] = [];
  let chunk = '';
  for (const character of value) {
    if (Buffer.byteLength(chunk + character, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += character;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, 'utf8').toString('base64')}?=`).join('\r\n ');
}

function base64Lines(bytes: Buffer): string {
  return (bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}
