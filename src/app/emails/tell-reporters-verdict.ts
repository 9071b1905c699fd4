import { EMAIL_VERDICT_LABELS } from '../../domain/email-report.ts';
import { AppError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { enqueueNotification } from '../cases/case-messages.ts';
import { nowIso, type AppDeps } from '../deps.ts';
import { emailForAction } from './email-actions.ts';

/**
 * Tells everyone who reported the email what it turned out to be, in a short, kind 1:1 message: the verdict a
 * DSL or IT decided, never the analysis's suggestion alone.
 */
export async function tellReportersVerdict(deps: AppDeps, options: { actor: Actor; caseId: string; emailId: string }): Promise<{ told: number; verdict: string }> {
  const { actor, caseId, emailId } = options;
  return deps.storage.transaction(async (tx) => {
    const { email, securityCase } = await emailForAction(tx, actor, caseId, emailId);
    // The verdict is about phishing; a reporter of a safeguarding or upsetting email must never hear "looks safe".
    if (!securityCase) throw new AppError('invalid_input', 'Telling reporters the verdict is only for suspicious-email cases. Tell the reporter of a safeguarding concern yourself.');
    if (!email.decision) {
      throw new AppError(
        'invalid_transition',
        `The analysis only suggests "${EMAIL_VERDICT_LABELS[email.analysis.verdict]}". Confirm or change the verdict, with a reason, before the reporters are told.`,
      );
    }
    const found = await tx.cases.get(actor.schoolId, caseId);
    if (!found) throw new AppError('not_found', 'That case was not found.');
    const now = nowIso(deps);
    const { verdict } = email.decision;
    for (const reporter of found.reporters) {
      await enqueueNotification(tx, { schoolId: actor.schoolId, caseId, personId: reporter.personId, event: 'email_verdict', occasion: verdict }, now);
    }
    await tx.audit.append({ schoolId: actor.schoolId, actorId: actor.personId, action: 'case.reporters_told_verdict', caseId, detail: { emailId, verdict, reporters: found.reporters.length } }, now);
    return { told: found.reporters.length, verdict: EMAIL_VERDICT_LABELS[verdict] };
  });
}
