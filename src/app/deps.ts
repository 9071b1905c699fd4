import type { AnalysisContext, EmailAnalysis } from '../analysis/index.ts';
import type { Clock, GmailMessageReader, IdGenerator, MailboxAdmin, MailboxReader, Storage } from '../domain/ports.ts';
import { AppError } from '../domain/errors.ts';
import type { CardEditHold } from '../domain/chat.ts';
import type { FallbackThresholds } from '../domain/delivery-fallback.ts';
import type { Actor } from '../domain/roles.ts';

/** What every use case receives: the storage port, the clock and the id generator. */
export interface AppDeps {
  storage: Storage;
  clock: Clock;
  ids: IdGenerator;
  settings?: CaseSettings;
  /** Present when Microsoft 365 mailbox access is configured (ENTRA_CLIENT_ID/SECRET). */
  mailbox?: MailboxReader;
  mailboxAdmin?: MailboxAdmin;
  /** Present when the Gmail add-on is set up (GOOGLE_PROJECT_NUMBER and its OAuth client id). */
  gmailReader?: GmailMessageReader;
  /** Analyses a reported email. In the service: off the request thread, within a time budget (src/workers). */
  analyseEmail?: EmailAnalyser;
}

/**
 * Resolves to the analysis, or to one saying it could not be completed and why; rejects with "invalid_input" only
 * for input that is not an email.
 */
export type EmailAnalyser = (raw: Uint8Array, context: AnalysisContext) => Promise<EmailAnalysis>;

/** School-wide timings the use cases need; defaults apply when a deployment leaves them out. */
export interface CaseSettings {
  /** An urgent case nobody has acknowledged after this many minutes goes to the deputies and the headteacher. */
  urgentAcknowledgeMinutes: number;
  /** Where "forward as phishing" sends a reported email, and from which mailbox. */
  emailForwarding?: { from?: string; securityMailbox?: string; ncscAddress?: string };
  /** How long a case card or notice Teams has not taken waits before the school's email fallback. */
  deliveryFallback?: FallbackThresholds;
  /** How long edits of a shared case card wait while someone works on it (default DEFAULT_CARD_EDIT_HOLD). */
  caseCardHold?: CardEditHold;
}

/** Operators run the CLI on the server itself; they act as DSL Desk, not as a person of a school. */
export const OPERATOR = 'operator' as const;
export type Operator = typeof OPERATOR;

export function actorIdOf(actor: Actor | Operator): string | null {
  return actor === OPERATOR ? null : actor.personId;
}

export function nowIso(deps: Pick<AppDeps, 'clock'>): string {
  return deps.clock.now().toISOString();
}

const CONCURRENT_CHANGE = 'concurrent_change';

/** Someone else saved the same case between our read and our write. */
export function concurrentChange(): AppError {
  return new AppError('conflict', 'Someone else changed this case at the same moment. Reload it and try again.', { internal: CONCURRENT_CHANGE });
}

/** Re-runs a whole transaction when it lost an optimistic-concurrency race; the work is idempotent by design. */
export async function retryOnConcurrentChange<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !(error instanceof AppError) || error.message !== CONCURRENT_CHANGE) throw error;
    }
  }
}
