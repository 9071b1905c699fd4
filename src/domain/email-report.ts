import { forbidsKeepingImages, type IncidentTypeCode } from './incident-types.ts';

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

/** Whether a report with this choice may name children: a phishing report is about the message, not a child. */
export function choiceNamesChildren(choice: EmailReportChoice): boolean {
  return choice !== 'phishing';
}

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
 * Attachments and inline images of a safeguarding or "inappropriate content" report are never kept: they may
 * be images of a child (an email reported as inappropriate may carry nudes). Only their names, types, sizes
 * and hashes stay, with the "do not view or forward" guidance. Nor when the types' protocol forbids images.
 */
export function withholdsAttachments(choice: EmailReportChoice, types: readonly IncidentTypeCode[]): boolean {
  return choice !== 'phishing' || forbidsKeepingImages(types);
}

export const EMAIL_VERDICTS = ['likely_phishing', 'suspicious', 'no_threat_found', 'simulation', 'not_analysed'] as const;
export type EmailVerdict = (typeof EMAIL_VERDICTS)[number];

/** What a DSL or IT may decide a reported email was; "not analysed" is only ever a suggestion. */
export const CONFIRMED_VERDICTS = ['likely_phishing', 'suspicious', 'no_threat_found', 'simulation'] as const;
export type ConfirmedVerdict = (typeof CONFIRMED_VERDICTS)[number];

/** The verdict a person decided, with why: what reporters are told. The analysis only suggests. */
export interface VerdictDecision {
  verdict: ConfirmedVerdict;
  /** The analysis's suggestion at the time, so "confirmed" and "changed" can be told apart. */
  suggested: EmailVerdict;
  reason: string;
  byId: string;
  at: string;
}

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
  /** False when the message was not kept (a safeguarding or inappropriate-content report), was purged, or its retention ended. */
  contentKept: boolean;
  attachmentsWithheld: boolean;
  analysis: EmailAnalysisSummary;
  /** Absent until a DSL or IT confirms or changes the suggested verdict. */
  decision?: VerdictDecision;
  createdAt: string;
}

/** A legal hold on a case's reported emails: nothing is dropped for retention while it stands. */
export interface LegalHold {
  caseId: string;
  reason: string;
  byId: string;
  at: string;
}

/**
 * What an audit event may say about a message that was removed: the fingerprints of the .eml and of each
 * attachment, never their content. Joined into one value, as audit details are flat.
 */
export function removedEvidenceDetail(email: Pick<StoredEmail, 'id' | 'sha256' | 'size' | 'analysis'>): Record<string, string | number> {
  return {
    emailId: email.id,
    emlSha256: email.sha256,
    emlSize: email.size,
    attachments: email.analysis.attachments.length,
    attachmentSha256: email.analysis.attachments.map((attachment) => attachment.sha256).join(','),
  };
}

/** The .eml of a closed case may go once the retention period has run from the case's closure. */
export function retentionCutoff(now: string, retentionDays: number): string {
  return new Date(Date.parse(now) - retentionDays * 86_400_000).toISOString();
}
