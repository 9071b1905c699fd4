/**
 * Hostile reported emails: messages shaped to make a careless parser or pattern take time that grows faster than
 * their size. Used by the adversarial analysis tests, the component test and `npm run bench` (hostile-email).
 * Every message is a valid .eml that a real mail client could deliver.
 */

export interface HostileEmail {
  name: string;
  raw: Buffer;
}

const CRLF = '\r\n';
const TO = '"Bob Jones" <bob.jones@oakfield.sch.uk>';

/**
 * Runs of one character class with nothing to end them: the shape that makes `[^\s]+@...` or `\s*\n\s*` scan the
 * rest of the run from every position. Each class is tried in every field the analysis reads.
 */
export const RUN_CLASSES: readonly [string, string][] = [
  ['letters', 'a'],
  ['digits', '7'],
  ['at signs', '@'],
  ['address-like', 'a@'],
  ['domain-like', 'a.'],
  ['dots', '.'],
  ['hyphens', '-'],
  ['underscores', '_'],
  ['slashes', '/'],
  ['less-than signs', '<'],
  ['greater-than signs', '>'],
  ['equals signs', '='],
  ['semicolons', ';'],
  ['ampersands', '&'],
  ['entity-like', '&amp'],
  ['double quotes', '"'],
  ['single quotes', "'"],
  ['brackets', '['],
  ['parentheses', '('],
  ['punctuation', '!'],
  ['commas', ','],
  ['url-like', 'http://'],
  ['www-like', 'www.'],
  ['tag-like', '<a '],
  ['br-like', '<br'],
  ['comment-like', '<!--'],
  ['spaces', ' '],
  ['tabs', '\t'],
  ['non-breaking spaces', '\u00a0'],
  ['em spaces', '\u2003'],
  ['ideographic spaces', '\u3000'],
  ['line separators', '\u2028'],
  ['newlines', '\n'],
  ['zero-width spaces', '\u200b'],
  ['combining marks', 'e\u0301'],
  ['cyrillic letters', '\u0430'],
  ['emoji', '\u{1F600}'],
];

function run(unit: string, length: number): string {
  return unit.repeat(Math.max(1, Math.ceil(length / unit.length))).slice(0, length);
}

/** RFC 2047 encoded word: lets any run (spaces, quotes, newlines, Unicode) sit in a header as the parser will decode it. */
function encoded(value: string): string {
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

function base64Lines(content: Buffer | string): string {
  const b64 = (typeof content === 'string' ? Buffer.from(content, 'utf8') : content).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join(CRLF);
}

function headers(extra: string[] = [], subject = 'Invoice overdue'): string[] {
  return [`From: "Accounts Team" <accounts@billing-example.net>`, `To: ${TO}`, `Subject: ${subject}`, 'Date: Mon, 3 Feb 2025 09:00:00 +0000', 'MIME-Version: 1.0', ...extra];
}

function textPart(type: string, body: string): string {
  return [`Content-Type: ${type}; charset=utf-8`, 'Content-Transfer-Encoding: base64', '', base64Lines(body)].join(CRLF);
}

/** One message per character class, the run in the display name, subject, a header, the text body and the HTML body. */
export function runEmails(options: { bodyRun?: number; headerRun?: number } = {}): HostileEmail[] {
  const bodyRun = options.bodyRun ?? 256 * 1024;
  const headerRun = options.headerRun ?? 64 * 1024;
  return RUN_CLASSES.map(([name, unit], index) => {
    const inHeader = run(unit, headerRun);
    const inBody = run(unit, bodyRun);
    const lines = [
      `From: ${encoded(`PayPal ${inHeader}`)} <service@paypa1-example.net>`,
      `To: ${TO}`,
      `Reply-To: ${encoded(inHeader)} <reply@example.org>`,
      `Subject: ${encoded(`Your account ${inHeader}`)}`,
      'Date: Mon, 3 Feb 2025 09:00:00 +0000',
      `Message-ID: <run-${index}@hostile.example>`,
      'MIME-Version: 1.0',
      `Authentication-Results: mx.example.net; spf=pass ${inHeader}; dmarc=fail header.from=paypa1-example.net; compauth=fail reason=000`,
      `X-Hostile: ${encoded(inHeader)}`,
      'Content-Type: multipart/alternative; boundary="alt-1"',
      '',
      '--alt-1',
      textPart('text/plain', `Please verify at https://paypa1-example.net/login ${inBody} and buy gift cards`),
      '--alt-1',
      textPart('text/html', `<p>Please <a href="https://paypa1-example.net/login">www.paypal.com</a></p>${inBody}<a href=${inBody}`),
      '--alt-1--',
      '',
    ];
    return { name: `a run of ${bodyRun / 1024} KB of ${name}`, raw: Buffer.from(lines.join(CRLF), 'utf8') };
  });
}

/** 10,000 parts in one multipart (attachments with the same risky shape, so signals repeat thousands of times). */
export function manyPartsEmail(parts = 10_000): HostileEmail {
  const body: string[] = [...headers(['Content-Type: multipart/mixed; boundary="mix"']), '', 'Preamble.'];
  body.push('--mix', textPart('text/plain', 'Open the attached invoices.'));
  for (let i = 0; i < parts - 1; i++) {
    body.push('--mix', `Content-Type: text/html; name="invoice-${i}.html"`, `Content-Disposition: attachment; filename="invoice-${i}.html"`, 'Content-Transfer-Encoding: base64', '', base64Lines(`<form action="https://collect-${i}.example/p"><input type=password></form>`));
  }
  body.push('--mix--', '');
  return { name: `${parts.toLocaleString('en-GB')} MIME parts`, raw: Buffer.from(body.join(CRLF), 'latin1') };
}

/** Multiparts nested `depth` levels deep, each with a small text part, and the same depth of attached messages. */
export function deepNestingEmails(depth = 100): HostileEmail[] {
  let multipart = textPart('text/plain', 'Innermost part.');
  for (let level = depth; level > 0; level--) multipart = [`Content-Type: multipart/mixed; boundary="b${level}"`, '', `--b${level}`, textPart('text/plain', `Level ${level}.`), `--b${level}`, multipart, `--b${level}--`, ''].join(CRLF);
  let message = [...headers([], 'Innermost'), 'Content-Type: text/plain', '', 'Innermost message.'].join(CRLF);
  for (let level = depth; level > 0; level--) message = [...headers([`Message-ID: <nest-${level}@hostile.example>`], `Fwd: level ${level}`), 'Content-Type: message/rfc822', '', message].join(CRLF);
  return [
    { name: `${depth} levels of nested multiparts`, raw: Buffer.from([...headers(['Message-ID: <nest@hostile.example>']), multipart].join(CRLF), 'latin1') },
    { name: `${depth} levels of attached messages`, raw: Buffer.from(message, 'latin1') },
  ];
}

/** A single header of `size` bytes (unfolded), a folded one, and as many small headers as fit. */
export function bigHeaderEmails(size = 1024 * 1024): HostileEmail[] {
  const body = ['Content-Type: text/plain', '', 'Hello.', ''];
  const manyRecipients = Array.from({ length: Math.floor(size / 40) }, (_, i) => `"Person ${i}" <p${i}@oakfield.sch.uk>`).join(`,${CRLF} `);
  const manyHeaders = Array.from({ length: Math.floor(size / 32) }, (_, i) => `X-Filler-${i}: value ${i}`);
  const authResults = Array.from({ length: Math.floor(size / 48) }, (_, i) => `dkim=pass header.d=d${i}.example`).join('; ');
  return [
    { name: `a ${size / 1024} KB Subject without spaces`, raw: Buffer.from([...headers([], run('x', size)), ...body].join(CRLF), 'latin1') },
    { name: `a ${size / 1024} KB folded To header`, raw: Buffer.from([...headers([]).map((h) => (h.startsWith('To:') ? `To: ${manyRecipients}` : h)), ...body].join(CRLF), 'latin1') },
    { name: `${manyHeaders.length.toLocaleString('en-GB')} headers`, raw: Buffer.from([...headers(manyHeaders), ...body].join(CRLF), 'latin1') },
    { name: `a ${size / 1024} KB Authentication-Results`, raw: Buffer.from([`Authentication-Results: mx.google.com; ${authResults}`, ...headers([]), ...body].join(CRLF), 'latin1') },
  ];
}

/** A display name of `size` characters: one word, many words, and an address-like run. */
export function longDisplayNameEmails(size = 100 * 1024): HostileEmail[] {
  const words = run('Jane Smith PayPal Headteacher ', size);
  return [
    { name: `a ${size / 1024} KB display name without spaces`, raw: Buffer.from([`From: ${encoded(run('x', size))} <a@example.net>`, ...headers([]).slice(1), 'Content-Type: text/plain', '', 'Hi.'].join(CRLF), 'utf8') },
    { name: `a ${size / 1024} KB display name of words`, raw: Buffer.from([`From: ${encoded(words)} <a@example.net>`, ...headers([]).slice(1), 'Content-Type: text/plain', '', 'Hi.'].join(CRLF), 'utf8') },
    { name: `a ${size / 1024} KB address-like display name`, raw: Buffer.from([`From: ${encoded(run('a@b.', size))} <a@example.net>`, ...headers([]).slice(1), 'Content-Type: text/plain', '', 'Hi.'].join(CRLF), 'utf8') },
  ];
}

/** A message of `megabytes` MB: one attachment, and one text body without whitespace. */
export function largeEmails(megabytes = 35): HostileEmail[] {
  const bytes = megabytes * 1024 * 1024;
  // Base64 with a CRLF every 76 characters: the whole message stays just under `megabytes` (the service's limit).
  const attachment = Buffer.alloc(Math.floor(((bytes / 78) * 76 * 3) / 4) - 16 * 1024, 0x41);
  attachment.write('%PDF-1.7\n', 0, 'latin1');
  const withAttachment = [
    ...headers(['Content-Type: multipart/mixed; boundary="mix"']),
    '',
    '--mix',
    textPart('text/plain', 'See attached.'),
    '--mix',
    'Content-Type: application/pdf; name="statement.pdf"',
    'Content-Disposition: attachment; filename="statement.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(attachment),
    '--mix--',
    '',
  ].join(CRLF);
  const noWhitespace = [...headers([]), 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', run('a@', bytes - 1024)].join(CRLF);
  return [
    { name: `a ${megabytes} MB message with one attachment`, raw: Buffer.from(withAttachment, 'latin1') },
    { name: `a ${megabytes} MB text body without whitespace`, raw: Buffer.from(noWhitespace, 'latin1') },
  ];
}

/** The whole adversarial set. */
export function hostileEmails(options: { bodyRun?: number; headerRun?: number; large?: boolean } = {}): HostileEmail[] {
  return [
    ...runEmails(options),
    manyPartsEmail(),
    ...deepNestingEmails(),
    ...bigHeaderEmails(),
    ...longDisplayNameEmails(),
    ...(options.large === false ? [] : largeEmails()),
  ];
}
