import { PDFDocument } from 'pdf-lib';
import { renderSignatureCertificate } from '../../../src/documents/signature-certificate.ts';

describe('signature certificate', () => {
  test('is a one-page PDF whose metadata names the version, the hash and the record', async () => {
    const sha256 = 'a'.repeat(64);
    const bytes = await renderSignatureCertificate({
      schoolName: 'Oakfield Primary',
      signerName: 'Sam Teacher',
      policy: { title: 'Staff Acceptable Use Policy', version: 3, sha256, audience: 'staff', effectiveDate: '2026-09-01' },
      acknowledgement: {
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
      },
    });
    expect(Buffer.from(bytes.subarray(0, 5)).toString()).toBe('%PDF-');
    const loaded = await PDFDocument.load(bytes);
    expect(loaded.getPageCount()).toBe(1);
    expect(loaded.getSubject()).toBe(`Staff Acceptable Use Policy, version 3, SHA-256 ${sha256}`);
    expect(loaded.getKeywords()).toContain('ack-1');
    expect(loaded.getCreationDate()?.toISOString()).toBe('2026-09-02T07:45:00.000Z');
  });
});
