import type { DetectedType, SniffResult } from './sniff.ts';
import type { SignalCode } from './signal-codes.ts';
import { quote, type Severity } from './signals.ts';
import { findInvisible, findMixedScripts } from './unicode.ts';

/**
 * What each attachment is (by content) and what that means for the report. Names and declared types are the
 * sender's claims; they are only used to notice when the claim and the content disagree, and for script files,
 * which have no signature of their own.
 */

export interface AttachmentInfo {
  filename: string;
  declaredType: string;
  /** By magic bytes, e.g. "pdf", "ooxml", "html", "disk-image", "pe-executable". */
  detectedType: string;
  size: number;
  sha256: string;
  risky: boolean;
  inline: boolean;
  /** Facts found in the content: "macros", "encrypted", "contains setup.exe", "scripted", "active content". */
  details?: string[];
}

export interface AttachmentSignal {
  code: SignalCode;
  severity: Severity;
  evidence: string;
}

const EXECUTABLE: ReadonlySet<DetectedType> = new Set(['pe-executable', 'elf-executable', 'macho-executable', 'jar', 'chm']);
const ARCHIVES: ReadonlySet<DetectedType> = new Set(['zip', 'rar', '7z', 'gzip', 'bzip2', 'xz', 'cab', 'tar']);
const SCRIPT_EXTENSIONS = /\.(js|jse|vbs|vbe|wsf|wsh|ps1|psm1|bat|cmd|sh|py|hta|scr|reg)$/i;

/** Extension → the types a file with that name can genuinely be. */
const EXPECTED: Record<string, DetectedType[]> = {
  pdf: ['pdf'],
  doc: ['ole2', 'rtf'],
  xls: ['ole2'],
  ppt: ['ole2'],
  msg: ['ole2'],
  docx: ['ooxml'],
  docm: ['ooxml'],
  xlsx: ['ooxml'],
  xlsm: ['ooxml'],
  pptx: ['ooxml'],
  pptm: ['ooxml'],
  odt: ['odf'],
  ods: ['odf'],
  odp: ['odf'],
  zip: ['zip', 'ooxml', 'odf', 'jar'],
  rar: ['rar'],
  '7z': ['7z'],
  gz: ['gzip'],
  tgz: ['gzip'],
  jpg: ['jpeg'],
  jpeg: ['jpeg'],
  png: ['png'],
  gif: ['gif'],
  webp: ['webp'],
  heic: ['heic'],
  tif: ['tiff'],
  tiff: ['tiff'],
  txt: ['text'],
  csv: ['text'],
  ics: ['calendar'],
  rtf: ['rtf'],
  iso: ['disk-image'],
  img: ['disk-image', 'binary'],
  vhd: ['disk-image'],
  vhdx: ['disk-image'],
  htm: ['html', 'text', 'xml'],
  html: ['html', 'text', 'xml'],
  svg: ['svg', 'xml'],
  xml: ['xml', 'text', 'svg'],
  eml: ['text'],
  one: ['onenote'],
  lnk: ['lnk-shortcut'],
  url: ['url-shortcut', 'text'],
  exe: ['pe-executable'],
  dll: ['pe-executable'],
  mobileconfig: ['mobileconfig', 'xml'],
};

const DESCRIPTION: Partial<Record<DetectedType, string>> = {
  'pe-executable': 'a Windows program',
  'elf-executable': 'a Linux program',
  'macho-executable': 'a macOS program',
  jar: 'a Java program',
  chm: 'a compiled help file (can run scripts)',
  html: 'a web page',
  svg: 'an SVG image',
  'disk-image': 'a disk image',
  'lnk-shortcut': 'a Windows shortcut',
  'url-shortcut': 'an internet shortcut',
  mobileconfig: 'a device configuration profile',
  onenote: 'a OneNote file',
  calendar: 'a calendar invitation',
  ole2: 'an Office document (97-2003 format)',
  ooxml: 'an Office document',
  pdf: 'a PDF',
  rtf: 'an RTF document',
  zip: 'a ZIP archive',
  text: 'plain text',
  binary: 'unrecognised binary data',
  png: 'a PNG image',
  jpeg: 'a JPEG image',
  gif: 'a GIF image',
};

function extensionOf(filename: string): string {
  const match = /\.([a-z0-9]{1,12})$/i.exec(filename.trim());
  return match ? match[1]!.toLowerCase() : '';
}

/** Signals for one attachment; `risky` is true when any of them is medium or high. */
export function attachmentSignals(info: Omit<AttachmentInfo, 'risky'>, sniffed: SniffResult): AttachmentSignal[] {
  const out: AttachmentSignal[] = [];
  const name = info.filename ? quote(info.filename) : `unnamed ${info.declaredType || 'part'}`;
  const add = (code: SignalCode, severity: Severity, what: string) => out.push({ code, severity, evidence: `${name} is ${what} (sha256 ${sniffed.sha256.slice(0, 12)}…)` });
  const type = sniffed.type;
  const has = (detail: string) => sniffed.details.includes(detail);

  if (EXECUTABLE.has(type)) add('attachment_executable', 'high', DESCRIPTION[type]!);
  else if (type === 'text' && SCRIPT_EXTENSIONS.test(info.filename)) add('attachment_executable', 'high', 'a script file (by its extension; scripts have no signature)');
  if (type === 'html') add('attachment_html', 'high', 'a web page (HTML attachments are a common way to fake a sign-in page)');
  if (type === 'svg' && has('scripted')) add('attachment_html', 'high', 'an SVG image with script in it');
  if (type === 'disk-image') add('attachment_disk_image', 'high', 'a disk image (ISO/IMG/VHD), used to smuggle programs past filters');
  if ((type === 'ole2' || type === 'ooxml' || type === 'zip') && has('macros')) add('attachment_macro_document', 'high', 'an Office document with macros');
  if (type === 'lnk-shortcut' || type === 'url-shortcut') add('attachment_shortcut', 'high', DESCRIPTION[type]!);
  if (type === 'mobileconfig') add('attachment_profile', 'high', 'a device configuration profile (can take over a phone or Mac)');
  if (type === 'onenote') add('attachment_onenote', 'high', 'a OneNote file (used to hide clickable programs)');
  if (type === 'calendar') add('attachment_calendar_invite', 'low', 'a calendar invitation (check its links before accepting)');
  if (ARCHIVES.has(type)) {
    const inner = sniffed.details.filter((d) => d.startsWith('contains '));
    if (inner.length) add('attachment_archive', 'high', `an archive that ${inner.join(', ')}`);
    else add('attachment_archive', 'low', `an archive (${type})`);
    if (has('encrypted')) add('attachment_encrypted_archive', 'medium', 'a password-protected archive (hides its content from scanning)');
  }
  if (type === 'pdf' && (has('active content') || has('embedded file'))) add('attachment_pdf_active_content', 'medium', `a PDF with ${sniffed.details.filter((d) => d !== 'opens automatically').join(' and ')}`);
  if (type === 'rtf' && has('embedded object')) add('attachment_rtf_object', 'medium', 'an RTF document with an embedded object');

  const ext = extensionOf(info.filename);
  const expected = EXPECTED[ext];
  if (expected && type !== 'empty' && !expected.includes(type)) {
    out.push({ code: 'attachment_type_mismatch', severity: 'medium', evidence: `${name} is named .${ext} but is ${DESCRIPTION[type] ?? type} by its content` });
  }

  const invisible = info.filename ? findInvisible(info.filename) : undefined;
  if (invisible) {
    out.push({
      code: 'invisible_characters',
      severity: invisible.bidi ? 'high' : 'medium',
      evidence: `file name ${name} contains ${invisible.bidi ? 'a right-to-left override (disguises the real extension)' : `invisible characters ${invisible.codepoints.join(' ')}`}`,
    });
  }
  const mixed = info.filename ? findMixedScripts(info.filename) : undefined;
  if (mixed) out.push({ code: 'mixed_scripts', severity: 'medium', evidence: `file name ${name} mixes scripts: ${mixed.example}` });
  return out;
}
