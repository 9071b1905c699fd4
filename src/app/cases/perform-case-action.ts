import { parseCaseCommand, type CaseAction, type CaseCommand } from '../../domain/case-command.ts';
import { isAppError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { acknowledgeCase } from './acknowledge-case.ts';
import { addCaseNote } from './add-case-note.ts';
import { assignCase } from './assign-case.ts';
import { changeCaseTypes } from './change-case-types.ts';
import { changeCaseUrgency } from './change-case-urgency.ts';
import { closeCase } from './close-case.ts';
import { confirmEmailVerdict } from '../emails/confirm-email-verdict.ts';
import type { AppDeps } from '../deps.ts';
import { firstEmailId } from '../emails/email-actions.ts';
import { escalateCase } from './escalate-case.ts';
import { forwardReportedEmail } from '../emails/forward-reported-email.ts';
import { liftLegalHold } from '../emails/lift-legal-hold.ts';
import { placeLegalHold } from '../emails/place-legal-hold.ts';
import { recordActionTaken } from './record-action-taken.ts';
import { reopenCase } from './reopen-case.ts';
import { requestEmailRemoval } from '../emails/remove-reported-email.ts';
import { tellReportersVerdict } from '../emails/tell-reporters-verdict.ts';
import { tickProtocolStep } from './tick-protocol-step.ts';

/**
 * What happened: the action and the case, and for the actions whose effect is not on the case card yet
 * (an email search queued, a forward sent, reporters told) a short message for the person who acted.
 */
export interface CaseActionResult {
  action: CaseAction;
  caseId: string;
  message?: string;
}

/**
 * Performs one action on a case, from a command any surface has built (REST, Teams, Chat). A command not yet
 * validated is validated here (AppError invalid_input with a message per field). Who may do what is decided
 * by the use case each action reaches, as it always was; each writes its own audit event.
 */
export async function performCaseAction(deps: AppDeps, input: { actor: Actor; caseId: string; command: CaseCommand | unknown }): Promise<CaseActionResult> {
  const command = parseCaseCommand(input.command);
  const target = { actor: input.actor, caseId: input.caseId };
  const done = (message?: string): CaseActionResult => ({ action: command.action, caseId: input.caseId, ...(message ? { message } : {}) });
  const emailIdOf = async (emailId: string | undefined) => emailId ?? (await firstEmailId(deps, target));
  switch (command.action) {
    case 'acknowledge':
      await acknowledgeCase(deps, target);
      return done();
    case 'assign':
      await assignCase(deps, { ...target, assigneeId: command.assigneeId });
      return done();
    case 'note':
      await addCaseNote(deps, { ...target, text: command.text });
      return done();
    case 'tick_step':
      await tickProtocolStep(deps, { ...target, step: command.step });
      return done();
    case 'tick_steps':
      for (const step of command.steps) {
        await tickProtocolStep(deps, { ...target, step }).catch((error: unknown) => {
          // Ticking a step someone already ticked is not an error for the person who ticks it again.
          if (!isAppError(error) || error.code !== 'invalid_transition') throw error;
        });
      }
      return done();
    case 'escalate':
      await escalateCase(deps, { ...target, agency: command.agency, ...(command.reference ? { reference: command.reference } : {}) });
      return done();
    case 'change_urgency':
      await changeCaseUrgency(deps, { ...target, urgency: command.urgency, reason: command.reason });
      return done();
    case 'record_action':
      await recordActionTaken(deps, { ...target, action: command.actionTaken });
      return done();
    case 'close':
      await closeCase(deps, { ...target, outcome: command.outcome });
      return done();
    case 'reopen':
      await reopenCase(deps, { ...target, reason: command.reason });
      return done();
    case 'change_types':
      await changeCaseTypes(deps, { ...target, types: command.types, reason: command.reason });
      return done();
    case 'place_legal_hold':
      await placeLegalHold(deps, { ...target, reason: command.reason });
      return done();
    case 'lift_legal_hold':
      await liftLegalHold(deps, target);
      return done();
    case 'email_verdict':
      await confirmEmailVerdict(deps, { ...target, emailId: await emailIdOf(command.emailId), verdict: command.verdict, reason: command.reason });
      return done();
    case 'email_forward':
      await forwardReportedEmail(deps, { ...target, emailId: await emailIdOf(command.emailId), to: [command.to] });
      return done(command.to === 'ncsc' ? 'Forwarded, unmodified, to the NCSC’s Suspicious Email Reporting Service.' : 'Forwarded, unmodified, to the school’s security reporting mailbox.');
    case 'email_remove': {
      const { provider } = await requestEmailRemoval(deps, { ...target, emailId: await emailIdOf(command.emailId) });
      return done(
        provider === 'gmail'
          ? 'Searching every mailbox for this email, a batch at a time; each copy goes to the Bin. The case card shows how far it has got.'
          : 'Searching every mailbox for this email; each copy goes to Deleted Items. The case shows how many were found.',
      );
    }
    case 'email_tell_reporters': {
      const told = await tellReportersVerdict(deps, { ...target, emailId: await emailIdOf(command.emailId) });
      return done(`Told ${told.told} reporter(s): ${told.verdict}.`);
    }
  }
}
