import { createHash } from 'node:crypto';
import { analyseEmail, attachmentMetadataOnly } from '../../../src/analysis/index.ts';
import { ContentSniffer, sniff } from '../../../src/analysis/sniff.ts';
import { codes, eml, school, samples, signal, zip, type TestAttachment } from './eml.ts';

async function withAttachment(attachment: TestAttachment) {
  return analyseEmail(eml({ from: '"Acme" <a@acme.co.uk>', attachments: [attachment] }), school());
}

const sha256 = (content: Buffer | string) => createHash('sha256').update(content).digest('hex');

describe('attachments are judged by their content', () => {
  test('an HTML page named as a PDF: web page (high) and a type mismatch', async () => {
    const result = await withAttachment({ filename: 'Remittance.pdf', contentType: 'application/pdf', content: samples.html() });
    expect(result.attachments[0]).toMatchObject({ filename: 'Remittance.pdf', declaredType: 'application/pdf', detectedType: 'html', risky: true, sha256: sha256(samples.html()) });
    expect(signal(result, 'attachment_html')).toMatchObject({ severity: 'high' });
    expect(signal(result, 'attachment_type_mismatch')!.evidence).toContain('named .pdf but is a web page');
    expect(result.verdict).toBe('likely_phishing');
  });

  test('a real PDF without active content raises nothing', async () => {
    const result = await withAttachment({ filename: 'Letter.pdf', contentType: 'application/pdf', content: samples.pdf(false) });
    expect(result.attachments[0]).toMatchObject({ detectedType: 'pdf', risky: false });
    expect(codes(result).filter((c) => c.startsWith('attachment_'))).toEqual([]);
  });

  test('a PDF with JavaScript is medium', async () => {
    const result = await withAttachment({ filename: 'Invoice.pdf', content: samples.pdf(true) });
    expect(signal(result, 'attachment_pdf_active_content')).toMatchObject({ severity: 'medium' });
  });

  test('an ISO disk image (CD001), whatever its name', async () => {
    const result = await withAttachment({ filename: 'photos.zip', content: samples.iso() });
    expect(result.attachments[0]!.detectedType).toBe('disk-image');
    expect(codes(result)).toEqual(expect.arrayContaining(['attachment_disk_image', 'attachment_type_mismatch']));
  });

  test('an OLE2 document with a VBA project is a macro document; without it is not', async () => {
    const withMacros = await withAttachment({ filename: 'Timesheet.xls', content: samples.ole2(true) });
    expect(signal(withMacros, 'attachment_macro_document')).toMatchObject({ severity: 'high' });
    const plain = await withAttachment({ filename: 'Timesheet.xls', content: samples.ole2(false) });
    expect(plain.attachments[0]).toMatchObject({ detectedType: 'ole2', risky: false });
    expect(codes(plain)).not.toContain('attachment_macro_document');
  });

  test('OOXML with vbaProject.bin is a macro document, even renamed .docx; plain .docx is fine', async () => {
    const withMacros = await withAttachment({ filename: 'Policy.docx', content: samples.docx(true) });
    expect(withMacros.attachments[0]).toMatchObject({ detectedType: 'ooxml', details: ['macros'] });
    expect(codes(withMacros)).toContain('attachment_macro_document');
    const plain = await withAttachment({ filename: 'Policy.docx', content: samples.docx(false) });
    expect(plain.attachments[0]).toMatchObject({ detectedType: 'ooxml', risky: false });
  });

  test('a Windows program (MZ) named as an image', async () => {
    const result = await withAttachment({ filename: 'scan.jpg', contentType: 'image/jpeg', content: samples.exe() });
    expect(result.attachments[0]!.detectedType).toBe('pe-executable');
    expect(codes(result)).toEqual(expect.arrayContaining(['attachment_executable', 'attachment_type_mismatch']));
  });

  test('a script file has no signature: its extension decides', async () => {
    const result = await withAttachment({ filename: 'update.js', contentType: 'text/plain', content: 'var s = new ActiveXObject("WScript.Shell");' });
    expect(signal(result, 'attachment_executable')!.evidence).toContain('script');
    const text = await withAttachment({ filename: 'notes.txt', contentType: 'text/plain', content: 'Bring wellies.' });
    expect(codes(text)).not.toContain('attachment_executable');
  });

  test('a Windows shortcut (LNK)', async () => {
    const result = await withAttachment({ filename: 'Payslip.pdf.lnk', content: samples.lnk() });
    expect(signal(result, 'attachment_shortcut')).toMatchObject({ severity: 'high' });
  });

  test('a calendar invitation is noted (low), not alarming', async () => {
    const result = await withAttachment({ filename: 'invite.ics', contentType: 'text/calendar', content: samples.ics() });
    expect(result.attachments[0]).toMatchObject({ detectedType: 'calendar', risky: false });
    expect(signal(result, 'attachment_calendar_invite')).toMatchObject({ severity: 'low' });
    expect(result.verdict).toBe('no_threat_found');
  });

  test('a configuration profile (mobileconfig)', async () => {
    const result = await withAttachment({ filename: 'wifi.mobileconfig', content: samples.mobileconfig() });
    expect(signal(result, 'attachment_profile')).toMatchObject({ severity: 'high' });
  });

  test('an archive holding a program is high; a plain archive is low; a password-protected one medium', async () => {
    const risky = await withAttachment({ filename: 'docs.zip', content: zip([{ name: 'Invoice.pdf.exe', content: samples.exe() }]) });
    expect(signal(risky, 'attachment_archive')).toMatchObject({ severity: 'high' });
    expect(signal(risky, 'attachment_archive')!.evidence).toContain('contains Invoice.pdf.exe');
    const plain = await withAttachment({ filename: 'photos.zip', content: zip([{ name: 'a.jpg', content: 'x' }]) });
    expect(signal(plain, 'attachment_archive')).toMatchObject({ severity: 'low' });
    expect(codes(plain)).not.toContain('attachment_encrypted_archive');
    const locked = await withAttachment({ filename: 'records.zip', content: zip([{ name: 'pupils.csv', content: 'x', encrypted: true }]) });
    expect(signal(locked, 'attachment_encrypted_archive')).toMatchObject({ severity: 'medium' });
  });

  test('an RTF document with an embedded object is medium; plain RTF is nothing', async () => {
    const result = await withAttachment({ filename: 'Order.doc', content: '{\\rtf1\\ansi{\\object\\objemb{\\*\\objdata 0105000002000000}}}' });
    expect(result.attachments[0]!.detectedType).toBe('rtf');
    expect(signal(result, 'attachment_rtf_object')).toMatchObject({ severity: 'medium' });
    const plain = await withAttachment({ filename: 'Order.rtf', content: '{\\rtf1\\ansi Hello}' });
    expect(codes(plain).filter((c) => c.startsWith('attachment_'))).toEqual([]);
  });

  test('a OneNote file and a scripted SVG', async () => {
    expect(codes(await withAttachment({ filename: 'Shared.one', content: samples.onenote() }))).toContain('attachment_onenote');
    expect(signal(await withAttachment({ filename: 'logo.svg', contentType: 'image/svg+xml', content: samples.svg(true) }), 'attachment_html')!.evidence).toContain('SVG');
    expect(codes(await withAttachment({ filename: 'logo.svg', contentType: 'image/svg+xml', content: samples.svg(false) }))).not.toContain('attachment_html');
  });

  test('an inline image is marked inline and raises nothing', async () => {
    const result = await withAttachment({ filename: 'logo.png', contentType: 'image/png', content: samples.png(), inline: true, contentId: 'logo@acme' });
    expect(result.attachments[0]).toMatchObject({ detectedType: 'png', inline: true, risky: false, size: samples.png().length });
    expect(result.signals.filter((s) => s.code.startsWith('attachment_'))).toEqual([]);
  });

  test('a right-to-left override in a file name (invoice‮fdp.exe) is high', async () => {
    const result = await withAttachment({ filename: 'invoice\u202Efdp.exe', content: samples.exe() });
    const invisible = signal(result, 'invisible_characters')!;
    expect(invisible.severity).toBe('high');
    expect(invisible.evidence).toContain('<U+202E>');
  });

  test('metadata only: names, types, sizes and hashes survive, content details do not', async () => {
    const result = await withAttachment({ filename: 'docs.zip', content: zip([{ name: 'run.exe', content: samples.exe() }]) });
    const kept = attachmentMetadataOnly(result).attachments[0]!;
    expect(Object.keys(kept).sort()).toEqual(['declaredType', 'detectedType', 'filename', 'inline', 'risky', 'sha256', 'size']);
  });

  test('streaming in small chunks finds the same as reading whole (needles split across chunks, ZIP directory at the end)', () => {
    const padding = Buffer.alloc(70_000, 0x20);
    for (const content of [Buffer.concat([Buffer.from(samples.pdf(true).replace('%%EOF', '')), padding, Buffer.from('/S /JavaScript')]), Buffer.concat([samples.docx(true)]), samples.ole2(true), samples.iso()]) {
      const streamed = new ContentSniffer();
      for (let at = 0; at < content.length; at += 7) streamed.update(content.subarray(at, at + 7));
      expect(streamed.finish()).toEqual(sniff(content));
    }
  });

  test('sniffing recognises signatures directly', () => {
    expect(sniff(Buffer.from('Rar!\x1a\x07\x01\x00', 'latin1')).type).toBe('rar');
    expect(sniff(Buffer.from('{\\rtf1\\ansi', 'latin1')).type).toBe('rtf');
    expect(sniff(Buffer.from('[InternetShortcut]\r\nURL=https://x.example/', 'latin1')).type).toBe('url-shortcut');
    expect(sniff(Buffer.alloc(0))).toMatchObject({ type: 'empty', size: 0, sha256: sha256('') });
  });
});
