import { createHash, type Hash } from 'node:crypto';

/**
 * What an attachment really is, from its bytes rather than its name or declared type (both are chosen by the
 * sender). Works as a stream so a 30 MB attachment is hashed and classified without being held whole: it keeps
 * the first 64 KB (where almost every signature lives), the last 256 KB (ZIP directory, disk-image footers),
 * and searches the rest only for the few strings that matter for the type found at the start.
 */

export type DetectedType =
  | 'empty'
  | 'html'
  | 'svg'
  | 'xml'
  | 'disk-image'
  | 'ole2'
  | 'ooxml'
  | 'odf'
  | 'pe-executable'
  | 'elf-executable'
  | 'macho-executable'
  | 'jar'
  | 'lnk-shortcut'
  | 'url-shortcut'
  | 'calendar'
  | 'mobileconfig'
  | 'zip'
  | 'rar'
  | '7z'
  | 'gzip'
  | 'bzip2'
  | 'xz'
  | 'cab'
  | 'tar'
  | 'pdf'
  | 'rtf'
  | 'onenote'
  | 'chm'
  | 'png'
  | 'jpeg'
  | 'gif'
  | 'webp'
  | 'tiff'
  | 'heic'
  | 'text'
  | 'binary';

export interface SniffResult {
  type: DetectedType;
  /** Extra facts: "macros", "scripted", "encrypted", "active content", inner file names worth naming. */
  details: string[];
  size: number;
  sha256: string;
}

const HEAD_SIZE = 64 * 1024;
const TAIL_SIZE = 256 * 1024;

const ascii = (s: string) => Buffer.from(s, 'latin1');
const utf16 = (s: string) => Buffer.from(s, 'utf16le');

/** Strings searched through the whole body, per type found at the start. */
const NEEDLES: Partial<Record<DetectedType, { needle: Buffer; detail: string }[]>> = {
  zip: [{ needle: ascii('vbaProject.bin'), detail: 'macros' }],
  ooxml: [{ needle: ascii('vbaProject.bin'), detail: 'macros' }],
  // Every VBA project, in Word, Excel or PowerPoint files, has a stream with this (UTF-16) name.
  ole2: [{ needle: utf16('_VBA_PROJECT'), detail: 'macros' }],
  pdf: [
    // A script action is always "/S /JavaScript"; the shorter "/JS" key turns up by chance in compressed streams.
    { needle: ascii('/JavaScript'), detail: 'active content' },
    { needle: ascii('/Launch'), detail: 'active content' },
    { needle: ascii('/EmbeddedFile'), detail: 'embedded file' },
    { needle: ascii('/OpenAction'), detail: 'opens automatically' },
  ],
  svg: [
    { needle: ascii('<script'), detail: 'scripted' },
    { needle: ascii('<foreignObject'), detail: 'scripted' },
    { needle: ascii('javascript:'), detail: 'scripted' },
  ],
  rtf: [{ needle: ascii('\\objdata'), detail: 'embedded object' }],
};

/** File names inside an archive that would run something when opened. */
export const RISKY_EXTENSIONS = /\.(exe|scr|com|pif|bat|cmd|js|jse|vbs|vbe|wsf|wsh|hta|lnk|url|iso|img|vhd|vhdx|msi|msix|appx|jar|ps1|dll|cpl|chm|one|reg|html?|svg|xll|docm|xlsm|pptm|dotm|xlam|apk|sh|py)$/i;

function startsWith(buf: Uint8Array, at: number, bytes: readonly number[]): boolean {
  if (buf.length < at + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}

function startsWithText(buf: Uint8Array, at: number, text: string): boolean {
  if (buf.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

function looksLikeText(head: Uint8Array): boolean {
  const n = Math.min(head.length, 4096);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i]!;
    if (b === 0) return false;
    if (b < 9 || (b > 13 && b < 32)) control++;
  }
  return control <= n / 100;
}

interface ZipEntry {
  name: string;
  encrypted: boolean;
}

/** ZIP entry names from the central directory (found via the end record in the tail), or from local headers in the head. */
function zipEntries(head: Buffer, tail: Buffer, total: number): ZipEntry[] {
  const entries: ZipEntry[] = [];
  const eocd = tail.lastIndexOf(ascii('PK\x05\x06'));
  if (eocd >= 0 && eocd + 22 <= tail.length) {
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    const tailStart = total - tail.length;
    let at = cdOffset - tailStart;
    if (cdOffset !== 0xffffffff && at >= 0 && at + cdSize <= tail.length) {
      while (at + 46 <= tail.length && tail.readUInt32LE(at) === 0x02014b50 && entries.length < 10_000) {
        const flags = tail.readUInt16LE(at + 8);
        const nameLength = tail.readUInt16LE(at + 28);
        const extraLength = tail.readUInt16LE(at + 30);
        const commentLength = tail.readUInt16LE(at + 32);
        entries.push({ name: tail.toString('utf8', at + 46, Math.min(tail.length, at + 46 + nameLength)), encrypted: (flags & 1) === 1 });
        at += 46 + nameLength + extraLength + commentLength;
      }
      if (entries.length) return entries;
    }
  }
  let at = 0;
  while (at + 30 <= head.length && head.readUInt32LE(at) === 0x04034b50 && entries.length < 1000) {
    const flags = head.readUInt16LE(at + 6);
    const compressed = head.readUInt32LE(at + 18);
    const nameLength = head.readUInt16LE(at + 26);
    const extraLength = head.readUInt16LE(at + 28);
    entries.push({ name: head.toString('utf8', at + 30, Math.min(head.length, at + 30 + nameLength)), encrypted: (flags & 1) === 1 });
    if (flags & 8) break; // sizes come after the data: cannot skip ahead without inflating
    at += 30 + nameLength + extraLength + compressed;
  }
  return entries;
}

function classifyHead(head: Buffer): DetectedType {
  if (head.length === 0) return 'empty';
  if (startsWith(head, 0, [0x4d, 0x5a])) return 'pe-executable';
  if (startsWith(head, 0, [0x7f, 0x45, 0x4c, 0x46])) return 'elf-executable';
  if (startsWith(head, 0, [0xcf, 0xfa, 0xed, 0xfe]) || startsWith(head, 0, [0xce, 0xfa, 0xed, 0xfe]) || startsWith(head, 0, [0xfe, 0xed, 0xfa, 0xce]) || startsWith(head, 0, [0xfe, 0xed, 0xfa, 0xcf])) return 'macho-executable';
  if (startsWith(head, 0, [0x4c, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00])) return 'lnk-shortcut';
  if (startsWith(head, 0, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return 'ole2';
  if (startsWith(head, 0, [0xe4, 0x52, 0x5c, 0x7b, 0x8c, 0xd8, 0xa7, 0x4d])) return 'onenote';
  if (startsWithText(head, 0, 'PK\x03\x04') || startsWithText(head, 0, 'PK\x05\x06')) return 'zip';
  if (startsWithText(head, 0, 'Rar!\x1a\x07')) return 'rar';
  if (startsWith(head, 0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return '7z';
  if (startsWith(head, 0, [0x1f, 0x8b])) return 'gzip';
  if (startsWithText(head, 0, 'BZh')) return 'bzip2';
  if (startsWith(head, 0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  if (startsWithText(head, 0, 'MSCF')) return 'cab';
  if (startsWithText(head, 0, 'ITSF')) return 'chm';
  if (startsWithText(head, 0, 'vhdxfile') || startsWithText(head, 0, 'conectix')) return 'disk-image';
  // ISO 9660 ("CD001") and UDF volume descriptors start at sector 16 (0x8000) and the next ones.
  for (const at of [0x8001, 0x8801, 0x9001]) {
    if (startsWithText(head, at, 'CD001') || startsWithText(head, at, 'BEA01') || startsWithText(head, at, 'NSR02') || startsWithText(head, at, 'NSR03')) return 'disk-image';
  }
  // A FAT-formatted disk image (.img): boot-sector signature plus the file-system name.
  if (head.length >= 512 && head[510] === 0x55 && head[511] === 0xaa && (startsWithText(head, 54, 'FAT1') || startsWithText(head, 82, 'FAT32'))) return 'disk-image';
  if (startsWithText(head, 257, 'ustar')) return 'tar';
  if (startsWith(head, 0, [0x89, 0x50, 0x4e, 0x47])) return 'png';
  if (startsWith(head, 0, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWithText(head, 0, 'GIF8')) return 'gif';
  if (startsWithText(head, 0, 'RIFF') && startsWithText(head, 8, 'WEBP')) return 'webp';
  if (startsWithText(head, 0, 'II*\x00') || startsWithText(head, 0, 'MM\x00*')) return 'tiff';
  if (startsWithText(head, 4, 'ftyp') && /^(heic|heix|mif1|msf1|avif)/.test(head.toString('latin1', 8, 12))) return 'heic';
  const pdfAt = head.subarray(0, 1024).indexOf('%PDF-');
  if (pdfAt >= 0) return 'pdf';
  if (startsWithText(head, 0, '{\\rtf')) return 'rtf';
  // Signed configuration profiles are PKCS#7 (DER) with the plist inside in clear.
  if (head.includes('PayloadType') && head.includes('<plist')) return 'mobileconfig';
  if (!looksLikeText(head)) return 'binary';
  let text = head.toString('utf8', 0, Math.min(head.length, 4096));
  text = text.replace(/^\uFEFF/, '').replace(/^\s+/, '');
  if (/^BEGIN:VCALENDAR/i.test(text)) return 'calendar';
  if (/^\[InternetShortcut\]/i.test(text)) return 'url-shortcut';
  const markup = text.replace(/^(<!--[\s\S]*?-->\s*)+/, '');
  if (/^<\?xml/i.test(markup) || /^<svg\b/i.test(markup)) {
    if (/<svg\b/i.test(text)) return 'svg';
    if (/<html\b/i.test(text)) return 'html';
    return 'xml';
  }
  if (/^<(!doctype\s+html|html|head|body|script|iframe|form|meta|title|div|table|p|a|img|style|link|center|font|h[1-6])\b/i.test(markup)) return 'html';
  return 'text';
}

/** Streaming classifier and hasher for one attachment. */
export class ContentSniffer {
  private readonly hash: Hash = createHash('sha256');
  private headParts: Buffer[] = [];
  private headLength = 0;
  private head: Buffer | undefined;
  private type: DetectedType | undefined;
  /** Streaming: the last bytes seen, at the end of a fixed buffer (allocated on first use) that is shifted, not reallocated. */
  private tailBuffer: Buffer | undefined;
  private tailLength = 0;
  /** One-shot: the caller's whole content, which stays valid until finish(). */
  private whole: Buffer | undefined;
  private carry: Buffer = Buffer.alloc(0);
  private total = 0;
  private readonly found = new Set<string>();

  update(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.hash.update(buf);
    this.total += buf.length;
    this.keepTail(buf);
    if (!this.head) {
      const take = buf.subarray(0, HEAD_SIZE - this.headLength);
      this.headParts.push(Buffer.from(take));
      this.headLength += take.length;
      if (this.headLength < HEAD_SIZE) return;
      this.decide();
      this.search(buf.subarray(take.length));
      return;
    }
    this.search(buf);
  }

  /**
   * Takes the whole content at once (it must stay unchanged until finish()): nothing is copied, which matters for
   * the many small images and documents of ordinary mail. update() copies what it keeps, since streamed chunks are
   * reused by the caller.
   */
  updateWhole(content: Uint8Array): void {
    const buf = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    this.whole = buf;
    this.hash.update(buf);
    this.total = buf.length;
    this.headParts = [buf.subarray(0, HEAD_SIZE)];
    this.decide();
    this.search(buf.subarray(HEAD_SIZE));
  }

  finish(): SniffResult {
    if (!this.head) this.decide();
    const head = this.head!;
    let type = this.type!;
    const details = [...this.found];
    if (type === 'zip' || type === 'ooxml') {
      const entries = zipEntries(head, this.tail, this.total);
      const names = entries.map((e) => e.name);
      if (names.includes('[Content_Types].xml')) type = 'ooxml';
      else if (names.includes('mimetype') && head.includes('application/vnd.oasis.opendocument')) type = 'odf';
      else if (names.some((n) => n.toUpperCase() === 'META-INF/MANIFEST.MF') && names.some((n) => n.endsWith('.class'))) type = 'jar';
      if (names.some((n) => /(^|\/)vbaProject\.bin$/i.test(n)) && !details.includes('macros')) details.push('macros');
      if (entries.some((e) => e.encrypted)) details.push('encrypted');
      // Inside an Office or OpenDocument file the parts are the document itself; in a plain archive they are files to open.
      if (type === 'zip') for (const name of names.filter((n) => RISKY_EXTENSIONS.test(n)).slice(0, 3)) details.push(`contains ${name.split('/').pop()}`);
    }
    if (type === 'binary' && this.tail.length >= 512) {
      const footer = this.tail.subarray(this.tail.length - 512);
      if (startsWithText(footer, 0, 'conectix') || startsWithText(footer, 0, 'koly')) type = 'disk-image';
    }
    return { type, details: [...new Set(details)], size: this.total, sha256: this.hash.digest('hex') };
  }

  private decide(): void {
    this.head = this.headParts.length === 1 ? this.headParts[0]! : Buffer.concat(this.headParts);
    this.headParts = [];
    this.type = classifyHead(this.head);
    this.search(this.head);
  }

  private get tail(): Buffer {
    if (this.whole) return this.whole.subarray(Math.max(0, this.whole.length - TAIL_SIZE));
    return this.tailBuffer ? this.tailBuffer.subarray(TAIL_SIZE - this.tailLength) : Buffer.alloc(0);
  }

  private keepTail(buf: Buffer): void {
    this.tailBuffer ??= Buffer.allocUnsafe(TAIL_SIZE);
    if (buf.length >= TAIL_SIZE) {
      buf.copy(this.tailBuffer, 0, buf.length - TAIL_SIZE);
      this.tailLength = TAIL_SIZE;
      return;
    }
    const keep = Math.min(this.tailLength, TAIL_SIZE - buf.length);
    this.tailBuffer.copy(this.tailBuffer, TAIL_SIZE - buf.length - keep, TAIL_SIZE - keep, TAIL_SIZE);
    buf.copy(this.tailBuffer, TAIL_SIZE - buf.length);
    this.tailLength = keep + buf.length;
  }

  /** Looks for this type's needles in `buf`, including across the boundary with the previous chunk. */
  private search(buf: Buffer): void {
    const needles = this.type ? NEEDLES[this.type] : undefined;
    if (!needles || buf.length === 0) return;
    const longest = Math.max(...needles.map((n) => n.needle.length));
    const seam = this.carry.length ? Buffer.concat([this.carry, buf.subarray(0, longest - 1)]) : undefined;
    for (const { needle, detail } of needles) {
      if (this.found.has(detail)) continue;
      if (buf.includes(needle) || (seam && seam.includes(needle))) this.found.add(detail);
    }
    this.carry = Buffer.from(buf.subarray(Math.max(0, buf.length - (longest - 1))));
  }
}

/** Classifies and hashes a whole buffer in one go. */
export function sniff(content: Uint8Array): SniffResult {
  const sniffer = new ContentSniffer();
  sniffer.updateWhole(content);
  return sniffer.finish();
}
