import type { IncidentTypeCode } from './incident-types.ts';

/**
 * An email a member of staff reported ("Report to DSL" in Outlook): what they chose it was, and what
 * DSL Desk keeps of it. The analysis itself is computed by src/analysis; the case keeps this summary.
 */
export const EMAIL_REPORT_CHOICES = ['phishing', 'safeguarding', 'inappropriate'] as const;
export type EmailReportChoice = (typeof EMAIL_REPORT_CHOICES)[number];

export const EMAIL_REPORT_CHOICE_LABELS: Record<EmailReportChoice, string> = {
  phishing: 'Phishing or suspicious',
  safeguarding: 'A safeguarding concern about a child',
  inappropriate: 'Inappropriate or upsetting content',
};

/** The incident type a choice files under; the DSL can refine it on the case. */
export function concernTypeForChoice(choice: EmailReportChoice): { types: IncidentTypeCode[]; otherType?: string } {
  switch (choice) {
    case 'phishing':
      return { types: ['suspicious_email'] };
    case 'safeguarding':
      return { types: ['other'], otherType: 'A safeguarding concern about a child, reported from an email' };
    case 'inappropriate':
      return { types: ['other'], otherType: 'Inappropriate or upsetting content in an email' };
  }
}

/**
 * Attachments and inline images of a safeguarding report are never kept: they may be images of a child.
 * Only their names, types, sizes and hashes stay, with the "do not view or forward" guidance.
 */
export function withholdsAttachments(choice: EmailReportChoice, types: readonly IncidentTypeCode[]): boolean {
  return choice === 'safeguarding' || types.includes('nudes_semi_nudes') || types.includes('child_abuse_images');
}

export const EMAIL_VERDICTS = ['likely_phishing', 'suspicious', 'no_threat_found', 'simulation', 'not_analysed'] as const;
export type EmailVerdict = (typeof EMAIL_VERDICTS)[number];

export const EMAIL_VERDICT_LABELS: Record<EmailVerdict, string> = {
  likely_phishing: 'Likely phishing',
  suspicious: 'Suspicious',
  no_threat_found: 'No threat found',
  simulation: 'Our own phishing simulation',
  not_analysed: 'Not analysed: check it by hand',
};

export interface EmailSignal {
  code: string;
  severity: 'high' | 'medium' | 'low' | 'info';
  evidence: string;
}

export interface EmailAttachmentRecord {
  filename: string;
  detectedType: string;
  declaredType: string;
  size: number;
  sha256: string;
  risky: boolean;
}

/** What the case keeps of the analysis (encrypted with the email). */
export interface EmailAnalysisSummary {
  verdict: EmailVerdict;
  signals: EmailSignal[];
  attachments: EmailAttachmentRecord[];
  messageId?: string;
  subject?: string;
  fromName?: string;
  fromAddress?: string;
  sentAt?: string;
}

/** A reported email as stored: the analysis always, the .eml itself unless it was withheld or has expired. */
export interface StoredEmail {
  id: string;
  schoolId: string;
  caseId: string;
  reporterId: string;
  sha256: string;
  size: number;
  /** False when the message was not kept (a safeguarding report) or its retention ended. */
  contentKept: boolean;
  attachmentsWithheld: boolean;
  analysis: EmailAnalysisSummary;
  createdAt: string;
  expiresAt: string;
}
