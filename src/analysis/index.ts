// The email-analysis module: pure (no network, no storage, no clock), used by the report endpoint and the CLI.
export { analyseEmail, attachmentMetadataOnly, schoolDomainsOf, type AnalysisContext, type AttachmentInfo, type AuthenticationResults, type Brand, type EmailAnalysis, type Link, type Severity, type Signal, type Verdict } from './email-analysis.ts';
export { analyseReportedEmail, unfinishedAnalysis } from './reported-email.ts';
export { DEFAULT_TENANT_AUTHSERV_IDS } from './authentication.ts';
export { DEFAULT_BRANDS } from './brands.ts';
export { SIGNAL_CODES, type SignalCode } from './signal-codes.ts';
