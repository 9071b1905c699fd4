import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import fontkit from '@pdf-lib/fontkit';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, StandardFonts, type PDFFont, type PDFRef } from 'pdf-lib';
import type { AupAcknowledgement } from '../../../src/domain/aup.ts';
import { CERTIFICATE_PAGE, layOutSignatureCertificate, renderSignatureCertificate, type CertificateInput } from '../../../src/documents/signature-certificate.ts';
import { PdfLayout } from '../../../src/documents/pdf-layout.ts';

const sha256 = 'a'.repeat(64);

function acknowledgement(overrides: Partial<AupAcknowledgement> = {}): AupAcknowledgement {
  return {
    id: 'ack-1',
    schoolId: 's',
    personId: 'p',
    policyId: 'pol',
    policyVersion: 3,
    cycle: '2026',
    audience: 'staff',
    sha256,
    wording: 'I have read and agree to follow this policy',
    typedName: 'Sam Teacher — Zoë',
    surface: 'web_link',
    ipAddress: '192.0.2.10',
    userAgent: 'Mozilla/5.0',
    signedAt: '2026-09-02T07:45:00.000Z',
    ...overrides,
  };
}

const ordinary: CertificateInput = {
  schoolName: 'Oakfield Primary',
  schoolTimeZone: 'Europe/London',
  signerName: 'Sam Teacher',
  policy: { title: 'Staff Acceptable Use Policy', version: 3, sha256, audience: 'staff', effectiveDate: '2026-09-01' },
  acknowledgement: acknowledgement({
    surface: 'teams',
    directoryIdentity: { provider: 'entra', tenantId: '8f3e2a71-1c4b-4d2e-9a5f-0b6c7d8e9f10', objectId: '5c1d8e9a-3b2f-4a6c-8d7e-9f0a1b2c3d4e', userPrincipalName: 'sam.teacher@oakfield.sch.uk' },
  }),
};

const long = 'x'.repeat(300);
const extreme: CertificateInput = {
  schoolName: `The Very Long Named Multi Academy Trust Church of England Voluntary Aided Primary School and Nursery of ${'Saint '.repeat(20)}`,
  schoolTimeZone: 'Europe/London',
  signerName: `Bartholomew ${'Featherstonehaugh-'.repeat(12)}Smith`,
  policy: { title: `Acceptable Use Policy ${'for staff, governors and volunteers '.repeat(6)}`, version: 12, sha256: 'f'.repeat(64), audience: 'staff', effectiveDate: '2026-09-01' },
  acknowledgement: acknowledgement({
    typedName: `Bartholomew ${'Featherstonehaugh'.repeat(8)}`,
    typedEmail: `${'very.long.local.part.'.repeat(10)}@oakfield-primary-school-and-nursery.sch.uk`,
    wording: `I have read and agree to follow this policy. ${'I will report anything that worries me to the DSL. '.repeat(30)}`,
    userAgent: `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ${'Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0 '.repeat(8)}`,
    ipAddress: '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    id: `ack-${long}`,
    directoryIdentity: { provider: 'entra', tenantId: `tenant-${long}`, objectId: `object-${long}`, userPrincipalName: `${long}@oakfield.sch.uk` },
  }),
};

interface Box {
  page: number;
  text: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The font's ToUnicode CMap: glyph code (as written in the content stream) → the text it stands for. */
function toUnicode(font: PDFDict): Map<number, string> {
  const stream = font.lookup(PDFName.of('ToUnicode')) as PDFRawStream;
  const cmap = inflateSync(Buffer.from(stream.contents)).toString('latin1');
  const utf16 = (hex: string) => String.fromCharCode(...(hex.match(/..../g) ?? []).map((h) => parseInt(h, 16)));
  const map = new Map<number, string>();
  for (const [, code, text] of cmap.matchAll(/<([0-9A-Fa-f]+)> *<([0-9A-Fa-f]+)>/g)) map.set(parseInt(code!, 16), utf16(text!));
  for (const [, from, to, text] of cmap.matchAll(/<([0-9A-Fa-f]+)> *<([0-9A-Fa-f]+)> *<([0-9A-Fa-f]+)>/g)) {
    // bfrange: consecutive codes, the last UTF-16 unit counting up.
    for (let code = parseInt(from!, 16), unit = parseInt(text!.slice(-4), 16); code <= parseInt(to!, 16); code += 1, unit += 1) map.set(code, utf16(text!.slice(0, -4)) + String.fromCharCode(unit));
  }
  return map;
}

/**
 * Reads every text-showing operation back from the saved PDF's content streams (independently of the layout
 * code): font and size from Tf, position from Tm, the string from Tj, decoded through the font's ToUnicode
 * CMap (what a PDF reader's copy and search use) and measured with the font's own metrics (DejaVu Sans,
 * embedded here afresh). The box runs from the descender to the ascender.
 */
async function drawnBoxes(bytes: Uint8Array): Promise<Box[]> {
  const doc = await PDFDocument.load(bytes);
  doc.registerFontkit(fontkit);
  const metrics = {
    regular: await doc.embedFont(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'))),
    bold: await doc.embedFont(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'))),
  };
  const boxes: Box[] = [];
  doc.getPages().forEach((page, pageIndex) => {
    const resources = page.node.Resources()!.lookup(PDFName.of('Font'), PDFDict);
    const contents = page.node.Contents()!;
    const refs = contents instanceof PDFArray ? contents.asArray() : [contents];
    const text = refs.map((ref) => inflateSync(Buffer.from((doc.context.lookup(ref as PDFRef) as PDFRawStream).contents)).toString('latin1')).join('\n');
    let font: PDFFont | undefined;
    let decoder = new Map<number, string>();
    let size = 0;
    let x = 0;
    let y = 0;
    for (const line of text.split('\n')) {
      const tf = /^\/(\S+) ([\d.]+) Tf$/.exec(line);
      if (tf) {
        const dict = resources.lookup(PDFName.of(tf[1]!), PDFDict);
        const base = dict.lookup(PDFName.of('BaseFont'), PDFName).decodeText();
        // A subset's name is the font's own followed by a tag: DejaVuSans-Bold-2114.
        const weight = /^DejaVuSans-Bold-/.test(base) ? 'bold' : /^DejaVuSans-\d+$/.test(base) ? 'regular' : undefined;
        if (!weight) throw new Error(`unexpected font ${base}`);
        font = metrics[weight];
        decoder = toUnicode(dict);
        size = Number(tf[2]);
      }
      const tm = /^1 0 0 1 ([-\d.]+) ([-\d.]+) Tm$/.exec(line);
      if (tm) [x, y] = [Number(tm[1]), Number(tm[2])];
      const tj = /^<([0-9A-F]*)> Tj$/.exec(line);
      if (tj && font) {
        const codes = tj[1]!.match(/..../g) ?? [];
        const decoded = codes.map((hex) => decoder.get(parseInt(hex, 16)) ?? '\uFFFD').join('');
        const height = font.heightAtSize(size);
        const descent = height - font.heightAtSize(size, { descender: false });
        boxes.push({ page: pageIndex, text: decoded, x, y: y - descent, width: font.widthOfTextAtSize(decoded, size), height });
      }
    }
  });
  return boxes;
}

/** The lines drawn at one left edge (a column), joined back with spaces: what a reader of that column sees. */
function columnText(boxes: Box[], x: number): string {
  return boxes.filter((b) => Math.abs(b.x - x) < 0.01).map((b) => b.text).join(' ');
}

const LABELS_X = CERTIFICATE_PAGE.margin.left;
const VALUES_X = CERTIFICATE_PAGE.margin.left + 184; // the label column and the gap

function overlapping(boxes: Box[]): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  for (let i = 0; i < boxes.length; i += 1) {
    for (let j = i + 1; j < boxes.length; j += 1) {
      const a = boxes[i]!;
      const b = boxes[j]!;
      if (a.page !== b.page) continue;
      const dx = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
      const dy = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
      if (dx > 0.01 && dy > 0.01) found.push([a.text, b.text]);
    }
  }
  return found;
}

function outsideMargins(boxes: Box[]): string[] {
  const [width, height] = CERTIFICATE_PAGE.size;
  const m = CERTIFICATE_PAGE.margin;
  const e = 0.01;
  return boxes.filter((b) => b.x < m.left - e || b.x + b.width > width - m.right + e || b.y < m.bottom - e || b.y + b.height > height - m.top + e).map((b) => b.text);
}

describe('the certificate', () => {
  test('is a PDF whose metadata names the version, the hash and the record', async () => {
    const bytes = await renderSignatureCertificate(ordinary);
    expect(Buffer.from(bytes.subarray(0, 5)).toString()).toBe('%PDF-');
    const loaded = await PDFDocument.load(bytes);
    expect(loaded.getPageCount()).toBe(1);
    expect(loaded.getSubject()).toBe(`Staff Acceptable Use Policy, version 3, SHA-256 ${sha256}`);
    expect(loaded.getKeywords()).toContain('ack-1');
    expect(loaded.getCreationDate()?.toISOString()).toBe('2026-09-02T07:45:00.000Z');
  });

  test('names print as typed: Łukasz, Siân, Dafydd ap Gwŷn and Nguyễn read back from the PDF as they were typed', async () => {
    const welsh: CertificateInput = {
      ...ordinary,
      schoolName: 'Ysgol Gymraeg Llanfair — Siân’s class',
      signerName: 'Łukasz Wiśniewski',
      acknowledgement: acknowledgement({ surface: 'teams', typedName: 'Dafydd ap Gwŷn', typedEmail: 'siân.øster@oakfield.sch.uk' }),
    };
    const { bytes, drawn } = await layOutSignatureCertificate(welsh);
    const boxes = await drawnBoxes(bytes);
    expect(boxes.map((b) => b.text)).toEqual(drawn.map((d) => d.text));
    const all = boxes.map((b) => b.text).join('\n');
    for (const name of ['Ysgol Gymraeg Llanfair — Siân’s class', 'Łukasz Wiśniewski', 'Dafydd ap Gwŷn', 'siân.øster@oakfield.sch.uk']) expect(all).toContain(name);
    expect(all).not.toContain('?');
    expect(overlapping(boxes)).toEqual([]);
    expect(outsideMargins(boxes)).toEqual([]);
    // Vietnamese typed with combining marks (as some keyboards send it) prints composed.
    const typed = 'Nguyễn Thị Ánh'.normalize('NFD');
    const vietnamese = await drawnBoxes(await renderSignatureCertificate({ ...ordinary, signerName: 'Nguyễn Văn An', acknowledgement: acknowledgement({ typedName: typed }) }));
    const values = columnText(vietnamese, VALUES_X);
    expect(values).toContain('Nguyễn Văn An');
    expect(values).toContain('Nguyễn Thị Ánh');
    // What the font has no glyph for (CJK here) is still a question mark, never a failed certificate; DejaVu
    // does draw the common emoticons, in black and white.
    const beyond = await drawnBoxes(await renderSignatureCertificate({ ...ordinary, signerName: '王小明 😀' }));
    expect(columnText(beyond, VALUES_X)).toContain('??? 😀');
  });

  test('names print as typed: the embedded font is a subset, so the certificate stays small', async () => {
    const bytes = await renderSignatureCertificate(ordinary);
    expect(bytes.length).toBeLessThan(80_000);
  });

  test('the overlap check finds boxes that overlap (so the layout tests below can fail)', () => {
    const box = { page: 0, x: 56, y: 700, width: 100, height: 12 };
    expect(overlapping([{ ...box, text: 'Directory account' }, { ...box, y: 705, text: 'What' }])).toEqual([['Directory account', 'What']]);
    expect(overlapping([{ ...box, text: 'a' }, { ...box, page: 1, text: 'b' }])).toEqual([]);
    expect(overlapping([{ ...box, text: 'a' }, { ...box, y: 688, text: 'b' }])).toEqual([]);
    expect(outsideMargins([{ ...box, x: 40, text: 'left of the margin' }])).toEqual(['left of the margin']);
  });

  test('the certificate lays out a directory account line without drawing over the next heading', async () => {
    const { bytes, drawn } = await layOutSignatureCertificate(ordinary);
    const boxes = await drawnBoxes(bytes);
    expect(boxes.map((b) => b.text)).toEqual(drawn.map((d) => d.text));
    expect(overlapping(boxes)).toEqual([]);
    expect(outsideMargins(boxes)).toEqual([]);
    const account = boxes.find((b) => b.text.startsWith('Directory account'))!;
    const what = boxes.find((b) => b.text === 'What')!;
    expect(what.y + what.height).toBeLessThan(account.y);
  });

  test('the certificate wraps long names, account ids, emails and hashes inside the margins, never overlapping, over pages as needed', async () => {
    const { bytes, drawn } = await layOutSignatureCertificate(extreme);
    const boxes = await drawnBoxes(bytes);
    expect(boxes.map((b) => [b.page, b.text])).toEqual(drawn.map((d) => [d.page, d.text]));
    expect(boxes.length).toBeGreaterThan(60);
    expect(new Set(boxes.map((b) => b.page)).size).toBeGreaterThan(1);
    expect(overlapping(boxes)).toEqual([]);
    expect(outsideMargins(boxes)).toEqual([]);
    // Nothing is lost in the wrapping: the value lines of an unbroken id join back into the id.
    const all = boxes.filter((b) => b.x === VALUES_X).map((b) => b.text).join('');
    expect(all).toContain(`object-${long}`);
    expect(all).toContain(`${long}@oakfield.sch.uk`);
    expect(all).toContain('f'.repeat(64));
    // A heading is never the last line of a page.
    for (const heading of ['Who', 'What', 'When', 'How']) {
      const index = boxes.findIndex((b) => b.text === heading && b.x === CERTIFICATE_PAGE.margin.left);
      expect(index).toBeGreaterThanOrEqual(0);
      expect(boxes[index + 1]!.page).toBe(boxes[index]!.page);
    }
  });

  test('the certificate shows the time in the school’s zone as well as UTC, and labels identifiers in words', async () => {
    const summer = await drawnBoxes(await renderSignatureCertificate(ordinary));
    const labels = columnText(summer, LABELS_X);
    const values = columnText(summer, VALUES_X);
    expect(labels).toContain('School time (Europe/London)');
    expect(values).toContain('Wednesday 2 September 2026 at 08:45:00 BST (Europe/London)');
    expect(labels).toContain('Coordinated Universal Time (UTC)');
    expect(values).toContain('2026-09-02T07:45:00.000Z');
    expect(labels).toContain('Directory account (Microsoft Entra object id)');
    expect(labels).toContain('School directory (Microsoft Entra tenant id)');
    expect(labels).toContain('Sign-in name (Microsoft 365 user principal name)');
    expect(labels).toContain('Policy fingerprint (SHA-256 of the policy text)');
    expect(labels).toContain('Signature record id');
    expect(values).toContain('Sam Teacher — Zoë');
    expect(values.replace(/ /g, '')).toContain(sha256);
    const winter = await drawnBoxes(await renderSignatureCertificate({ ...ordinary, acknowledgement: acknowledgement({ signedAt: '2026-12-01T16:05:09.000Z' }) }));
    expect(columnText(winter, VALUES_X)).toContain('Tuesday 1 December 2026 at 16:05:09 GMT (Europe/London)');
    const elsewhere = await drawnBoxes(await renderSignatureCertificate({ ...ordinary, schoolTimeZone: 'Asia/Kolkata' }));
    expect(columnText(elsewhere, VALUES_X)).toContain('Wednesday 2 September 2026 at 13:15:00 GMT+5:30 (Asia/Kolkata)');
  });
});

describe('PdfLayout', () => {
  test('wraps by measured width and breaks a token wider than the line between characters', async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    const style = { font, size: 10 };
    const lines = PdfLayout.wrap(`Account ${'W'.repeat(120)} ends here`, style, 150);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(font.widthOfTextAtSize(line, 10)).toBeLessThanOrEqual(150);
    expect(lines.join('')).toContain('W'.repeat(120));
    expect(lines[0]).toBe('Account');
    expect(lines.at(-1)).toMatch(/ends here$/);
    expect(PdfLayout.wrap('Zoë — 😀 ok', style, 400)).toEqual(['Zoë — ? ok']);
  });
});
