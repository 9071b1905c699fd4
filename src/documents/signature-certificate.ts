import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import type { AupAcknowledgement, AupPolicyVersion } from '../domain/aup.ts';
import { AUP_AUDIENCE_LABELS } from '../domain/aup.ts';

const SURFACE_LABELS: Record<AupAcknowledgement['surface'], string> = {
  teams: 'Microsoft Teams (DSL Desk card)',
  google_chat: 'Google Chat (DSL Desk card)',
  web: 'DSL Desk signing page (signed in with the school account)',
  web_link: 'DSL Desk signing page (one-time link)',
};

/**
 * A one-page certificate of one signature: who signed, what exactly (title, version, SHA-256 of the text,
 * the words agreed to), when (UTC) and how. Plain standard fonts so any PDF reader shows it; the same
 * facts are in the document's metadata for machine checks.
 */
export async function renderSignatureCertificate(input: { schoolName: string; policy: Pick<AupPolicyVersion, 'title' | 'version' | 'sha256' | 'audience' | 'effectiveDate'>; acknowledgement: AupAcknowledgement; signerName: string }): Promise<Uint8Array> {
  const { policy, acknowledgement } = input;
  const pdf = await PDFDocument.create();
  pdf.setTitle(`Acceptable use policy signature: ${input.signerName}`);
  pdf.setSubject(`${policy.title}, version ${policy.version}, SHA-256 ${policy.sha256}`);
  pdf.setKeywords(['DSL Desk', 'acceptable use policy', policy.sha256, acknowledgement.id]);
  pdf.setProducer('DSL Desk');
  pdf.setCreationDate(new Date(acknowledgement.signedAt));
  const page = pdf.addPage([595, 842]);
  const regular = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  let y = 780;
  const line = (text: string, options: { font?: typeof regular; size?: number; gap?: number } = {}) => {
    const size = options.size ?? 11;
    // Standard fonts cover Latin-1 only; anything else is shown as '?' rather than failing the certificate.
    const safe = text.replace(/[^\x20-\x7E\xA0-\xFF]/g, '?');
    page.drawText(safe, { x: 56, y, size, font: options.font ?? regular, color: rgb(0.1, 0.1, 0.1), maxWidth: 483 });
    y -= options.gap ?? size + 8;
  };
  line('Certificate of acknowledgement', { font: bold, size: 20, gap: 34 });
  line(input.schoolName, { font: bold, size: 13, gap: 28 });
  line('Who', { font: bold });
  line(`Name typed: ${acknowledgement.typedName}`);
  line(`Person: ${input.signerName}`);
  if (acknowledgement.directoryIdentity) {
    const id = acknowledgement.directoryIdentity;
    line(`Directory account: ${id.userPrincipalName ?? id.objectId} (${id.provider === 'entra' ? 'Microsoft Entra' : 'Google Workspace'} tenant ${id.tenantId})`);
  }
  if (acknowledgement.typedEmail) line(`Email typed: ${acknowledgement.typedEmail}`);
  y -= 10;
  line('What', { font: bold });
  line(`${policy.title}, version ${policy.version} (${AUP_AUDIENCE_LABELS[policy.audience]}), effective ${policy.effectiveDate}`);
  line(`SHA-256 of the policy text: ${policy.sha256}`, { size: 9 });
  line(`Words agreed to: "${acknowledgement.wording}"`);
  y -= 10;
  line('When', { font: bold });
  line(`${acknowledgement.signedAt} (UTC, DSL Desk's server clock)`);
  y -= 10;
  line('How', { font: bold });
  line(SURFACE_LABELS[acknowledgement.surface]);
  if (acknowledgement.ipAddress) line(`From IP address ${acknowledgement.ipAddress}`);
  if (acknowledgement.userAgent) line(`Browser: ${acknowledgement.userAgent}`, { size: 9 });
  y -= 20;
  line(`Signature record ${acknowledgement.id}. The school's audit log holds this signature in its tamper-evident chain.`, { size: 9 });
  return pdf.save();
}
