import { DateTime } from 'luxon';
import { PDFDocument } from 'pdf-lib';
import type { AupAcknowledgement, AupPolicyVersion } from '../domain/aup.ts';
import { AUP_AUDIENCE_LABELS } from '../domain/aup.ts';
import { DEFAULT_TIME_ZONE } from '../domain/time-zone.ts';
import { PdfLayout, type DrawnText, type PageSetup, type TextStyle } from './pdf-layout.ts';
import { embedUnicodeFonts } from './unicode-fonts.ts';

const SURFACE_LABELS: Record<AupAcknowledgement['surface'], string> = {
  teams: 'Microsoft Teams (DSL Desk card)',
  google_chat: 'Google Chat (DSL Desk card)',
  web: 'DSL Desk signing page (signed in with the school account)',
  web_link: 'DSL Desk signing page (one-time link)',
};

/** A4 portrait with 2 cm margins. */
export const CERTIFICATE_PAGE: PageSetup = { size: [595, 842], margin: { top: 56, right: 56, bottom: 56, left: 56 } };
const LABEL_WIDTH = 170;
const COLUMN_GAP = 14;

export interface CertificateInput {
  schoolName: string;
  /** The school's time zone (IANA name, e.g. Europe/London): the signing time is shown in it as well as in UTC. */
  schoolTimeZone?: string;
  policy: Pick<AupPolicyVersion, 'title' | 'version' | 'sha256' | 'audience' | 'effectiveDate'>;
  acknowledgement: AupAcknowledgement;
  signerName: string;
}

/** "Wednesday 2 September 2026 at 08:45:00 BST (Europe/London)"; UTC if the zone is unknown. */
export function localSigningTime(signedAt: string, timeZone: string): string {
  let local = DateTime.fromISO(signedAt, { zone: timeZone });
  if (!local.isValid) local = DateTime.fromISO(signedAt, { zone: 'UTC' });
  return `${local.setLocale('en-GB').toFormat("cccc d LLLL yyyy 'at' HH:mm:ss ZZZZ")} (${local.zoneName})`;
}

/**
 * The facts of one signature, as label and value pairs under Who / What / When / How. Identifiers are
 * labelled in words, with the technical name in brackets, so a reader knows what each long string is.
 */
export function certificateSections(input: CertificateInput): Array<{ heading: string; rows: Array<[string, string]> }> {
  const { policy, acknowledgement: ack } = input;
  const zone = input.schoolTimeZone ?? DEFAULT_TIME_ZONE;
  const who: Array<[string, string]> = [
    ['Name typed when signing', ack.typedName],
    ['Person in the school’s records', input.signerName],
  ];
  if (ack.directoryIdentity) {
    const id = ack.directoryIdentity;
    if (id.provider === 'entra') {
      if (id.userPrincipalName) who.push(['Sign-in name (Microsoft 365 user principal name)', id.userPrincipalName]);
      who.push(['Directory account (Microsoft Entra object id)', id.objectId]);
      who.push(['School directory (Microsoft Entra tenant id)', id.tenantId]);
    } else {
      if (id.userPrincipalName) who.push(['Sign-in name (Google account email)', id.userPrincipalName]);
      who.push(['Directory account (Google account id)', id.objectId]);
      who.push(['School directory (Google Workspace)', id.tenantId]);
    }
  }
  if (ack.typedEmail) who.push(['Email address typed when signing', ack.typedEmail]);
  const how: Array<[string, string]> = [['Signed through', SURFACE_LABELS[ack.surface]]];
  if (ack.ipAddress) how.push(['From network address (IP address)', ack.ipAddress]);
  if (ack.userAgent) how.push(['Browser (user agent)', ack.userAgent]);
  how.push(['Signature record id', ack.id]);
  return [
    { heading: 'Who', rows: who },
    {
      heading: 'What',
      rows: [
        ['Policy', `${policy.title}, version ${policy.version}`],
        ['For', AUP_AUDIENCE_LABELS[policy.audience]],
        ['In force from', policy.effectiveDate],
        ['Policy fingerprint (SHA-256 of the policy text)', policy.sha256],
        ['Words agreed to', `“${ack.wording}”`],
      ],
    },
    {
      heading: 'When',
      rows: [
        [`School time (${zone})`, localSigningTime(ack.signedAt, zone)],
        ['Coordinated Universal Time (UTC)', `${ack.signedAt} (DSL Desk’s server clock)`],
      ],
    },
    { heading: 'How', rows: how },
  ];
}

/**
 * A certificate of one signature: who signed, what exactly (title, version, SHA-256 of the text, the words
 * agreed to), when (in the school's time and UTC) and how. An embedded Unicode font (DejaVu Sans, subset) so
 * every name prints as typed in any PDF reader; the same facts are in the document's metadata for machine checks. Laid out by `PdfLayout`: every value
 * wraps inside its column, however long, and a second page starts if one is not enough.
 */
export async function renderSignatureCertificate(input: CertificateInput): Promise<Uint8Array> {
  return (await layOutSignatureCertificate(input)).bytes;
}

/** The certificate and where each line of it was drawn (for checks). */
export async function layOutSignatureCertificate(input: CertificateInput): Promise<{ bytes: Uint8Array; drawn: DrawnText[] }> {
  const { policy, acknowledgement } = input;
  const pdf = await PDFDocument.create();
  pdf.setTitle(`Acceptable use policy signature: ${input.signerName}`);
  pdf.setSubject(`${policy.title}, version ${policy.version}, SHA-256 ${policy.sha256}`);
  pdf.setKeywords(['DSL Desk', 'acceptable use policy', policy.sha256, acknowledgement.id]);
  pdf.setProducer('DSL Desk');
  pdf.setCreationDate(new Date(acknowledgement.signedAt));
  const { regular, bold } = await embedUnicodeFonts(pdf);
  const layout = new PdfLayout(pdf, CERTIFICATE_PAGE);
  const title: TextStyle = { font: bold, size: 20 };
  const school: TextStyle = { font: bold, size: 13 };
  const heading: TextStyle = { font: bold, size: 12 };
  const label: TextStyle = { font: bold, size: 9.5, leading: 3 };
  const value: TextStyle = { font: regular, size: 10.5, leading: 3.5 };
  const note: TextStyle = { font: regular, size: 9, leading: 3 };
  const valueOffset = LABEL_WIDTH + COLUMN_GAP;

  layout.paragraph('Certificate of acknowledgement', title);
  layout.space(6);
  layout.paragraph(input.schoolName, school);
  for (const section of certificateSections(input)) {
    layout.space(14);
    // A heading stays with at least its first row.
    layout.paragraph(section.heading, heading, { keepWithNext: PdfLayout.lineHeight(value) + 4 });
    layout.space(4);
    for (const [name, text] of section.rows) {
      layout.block([
        { text: name, style: label, offset: 0, width: LABEL_WIDTH },
        { text, style: value, offset: valueOffset, width: layout.contentWidth - valueOffset },
      ]);
      layout.space(5);
    }
  }
  layout.space(18);
  layout.paragraph('The school’s audit log holds this signature in its tamper-evident chain, under the signature record id above.', note);
  return { bytes: await pdf.save(), drawn: layout.drawn };
}
