import { CONFIRMED_VERDICTS, EMAIL_VERDICT_LABELS, type ConfirmedVerdict, type VerdictDecision } from '../../domain/email-report.ts';
import { AppError, invalidInput } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { enqueueCardRefresh } from '../cases/case-messages.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { emailForAction } from './email-actions.ts';

/**
 * The DSL (or IT, on the security cases it may see) decides what a reported email was: confirming the
 * analysis's suggestion or changing it, always with a reason. Reporters are told only the decided verdict.
 * Deciding again (a second look) replaces the decision; each one is in the chronology.
 */
export async function confirmEmailVerdict(
  deps: AppDeps,
  options: { actor: Actor; caseId: string; emailId: string; verdict: ConfirmedVerdict; reason: string },
): Promise<{ verdict: string; changed: boolean }> {
  const { actor, caseId, emailId } = options;
  if (!(CONFIRMED_VERDICTS as readonly string[]).includes(options.verdict)) {
    throw invalidInput(`Choose the verdict: one of ${CONFIRMED_VERDICTS.join(', ')}.`, [{ path: 'verdict', message: `One of: ${CONFIRMED_VERDICTS.join(', ')}.` }]);
  }
  const reason = options.reason.trim();
  if (!reason) throw invalidInput('Say why you confirm or change the verdict.', [{ path: 'reason', message: 'Say why you confirm or change the verdict.' }]);
  return deps.storage.transaction(async (tx) => {
    const { email, securityCase } = await emailForAction(tx, actor, caseId, emailId);
    if (!securityCase) throw new AppError('invalid_input', 'A verdict is only decided on suspicious-email cases. An upsetting or safeguarding email is dealt with as the concern it is.');
    const now = nowIso(deps);
    const decision: VerdictDecision = { verdict: options.verdict, suggested: email.analysis.verdict, reason, byId: actor.personId, at: now };
    await tx.emails.decideVerdict(actor.schoolId, emailId, decision);
    const changed = decision.verdict !== decision.suggested;
    await tx.audit.append(
      { schoolId: actor.schoolId, actorId: actor.personId, action: 'case.email_verdict_decided', caseId, detail: { emailId, suggested: decision.suggested, verdict: decision.verdict, changed } },
      now,
    );
    await enqueueCardRefresh(tx, { schoolId: actor.schoolId, id: caseId }, now);
    return { verdict: EMAIL_VERDICT_LABELS[decision.verdict], changed };
  });
}
