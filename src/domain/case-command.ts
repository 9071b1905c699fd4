import { z } from 'zod';
import { CONFIRMED_VERDICTS } from './email-report.ts';
import { invalidInput } from './errors.ts';
import { ACTION_TAKEN_CODES, ESCALATION_AGENCY_CODES, INCIDENT_TYPE_CODES, URGENCIES } from './incident-types.ts';
import { textField } from './text.ts';

/**
 * Every action a person can take on a case, as one command whatever surface it came from (the REST API,
 * a Teams card, a Chat card). Each surface translates its own input into a command; the command is
 * validated here, once, with messages that are safe to show to the person who acted; the use cases it
 * reaches still decide who may do it.
 */

/** A required piece of text: the same message when it is missing and when it is blank. */
const requiredText = (message: string, max: number, tooLong: string) => textField({ message }).trim().min(1, message).max(max, tooLong);
const reasonText = (message: string) => requiredText(message, 2000, 'Keep the reason under 2,000 characters.');
/** Which reported email of the case: the first one when none is named (cards act on the case's email). */
const emailIdField = textField({ message: 'Give the id of the reported email.' }).trim().min(1, 'Give the id of the reported email.').max(100).optional();

const acknowledge = z.strictObject({ action: z.literal('acknowledge') });
/** The person by their id; an id that names no one in the school is refused by the use case ("not found in your school"). */
const assign = z.strictObject({ action: z.literal('assign'), assigneeId: requiredText('Choose who should have the case.', 100, 'Choose who should have the case.') });
const note = z.strictObject({ action: z.literal('note'), text: requiredText('Write the note before saving it.', 20000, 'Keep a note under 20,000 characters.') });
const tickStep = z.strictObject({ action: z.literal('tick_step'), step: textField({ message: 'Give the step as <protocol>.<step>.' }).min(3, 'Give the step as <protocol>.<step>.').max(120, 'Give the step as <protocol>.<step>.') });
/** Several steps at once (a card's checklist): a step someone already ticked is not an error for whoever ticks it again. */
const tickSteps = z.strictObject({
  action: z.literal('tick_steps'),
  steps: z.array(textField({ message: 'Give each step as <protocol>.<step>.' }).min(3, 'Give each step as <protocol>.<step>.').max(120, 'Give each step as <protocol>.<step>.'), { message: 'Give the steps to tick.' }).max(100, 'Tick at most 100 steps at once.'),
});
const escalate = z.strictObject({
  action: z.literal('escalate'),
  agency: z.enum(ESCALATION_AGENCY_CODES, { message: 'Choose who the case was escalated to.' }),
  reference: textField().trim().max(200, 'Keep the reference under 200 characters.').optional(),
});
const changeUrgency = z.strictObject({
  action: z.literal('change_urgency'),
  urgency: z.enum(URGENCIES, { message: 'Choose the new urgency.' }),
  reason: reasonText('Say why the urgency is changing.'),
});
const recordAction = z.strictObject({ action: z.literal('record_action'), actionTaken: z.enum(ACTION_TAKEN_CODES, { message: `actionTaken must be one of: ${ACTION_TAKEN_CODES.join(', ')}` }) });
const close = z.strictObject({ action: z.literal('close'), outcome: requiredText('Summarise the investigation and outcome before closing.', 20000, 'Keep the outcome under 20,000 characters.') });
const reopen = z.strictObject({ action: z.literal('reopen'), reason: reasonText('Say why the case is being reopened.') });
const changeTypes = z.strictObject({
  action: z.literal('change_types'),
  types: z
    .array(z.enum(INCIDENT_TYPE_CODES, { message: `types must be some of: ${INCIDENT_TYPE_CODES.join(', ')}` }), { message: 'Choose at least one incident type.' })
    .min(1, 'Choose at least one incident type.')
    .max(INCIDENT_TYPE_CODES.length),
  reason: reasonText('Say why the incident types are changing.'),
});
const placeLegalHold = z.strictObject({ action: z.literal('place_legal_hold'), reason: reasonText('Say why the case is placed under a legal hold.') });
const liftLegalHold = z.strictObject({ action: z.literal('lift_legal_hold') });
const emailVerdict = z.strictObject({
  action: z.literal('email_verdict'),
  emailId: emailIdField,
  verdict: z.enum(CONFIRMED_VERDICTS, { message: 'Choose the verdict.' }),
  reason: reasonText('Say why you confirm or change the verdict.'),
});
export const EMAIL_FORWARD_TARGETS = ['security', 'ncsc'] as const;
const emailForward = z.strictObject({ action: z.literal('email_forward'), emailId: emailIdField, to: z.enum(EMAIL_FORWARD_TARGETS, { message: 'Choose where to forward the email: security or ncsc.' }) });
const emailRemove = z.strictObject({ action: z.literal('email_remove'), emailId: emailIdField });
const emailTellReporters = z.strictObject({ action: z.literal('email_tell_reporters'), emailId: emailIdField });

/** The actions on the case record itself: what the REST API's case actions accept. */
export const CASE_RECORD_COMMANDS = [acknowledge, assign, note, tickStep, escalate, changeUrgency, recordAction, close, reopen, changeTypes, placeLegalHold, liftLegalHold] as const;
/** The actions the case cards offer beyond those: a checklist of steps, and the reported email's actions. */
export const CASE_CARD_COMMANDS = [tickSteps, emailVerdict, emailForward, emailRemove, emailTellReporters] as const;

const actionsOf = (options: readonly { shape: { action: z.ZodLiteral<string> } }[]) => options.map((option) => option.shape.action.value);
export const CASE_RECORD_ACTIONS = actionsOf(CASE_RECORD_COMMANDS);
export const CASE_ACTIONS = [...CASE_RECORD_ACTIONS, ...actionsOf(CASE_CARD_COMMANDS)];

export const caseCommandSchema = z.discriminatedUnion('action', [...CASE_RECORD_COMMANDS, ...CASE_CARD_COMMANDS], { message: `action must be one of: ${CASE_ACTIONS.join(', ')}` });

export type CaseCommand = z.infer<typeof caseCommandSchema>;
export type CaseAction = CaseCommand['action'];

/**
 * A command from raw input, or AppError invalid_input: the first problem as the message (what a card shows),
 * and every problem by its field path (what an API client or a form shows by each field).
 */
export function parseCaseCommand(input: unknown): CaseCommand {
  const result = caseCommandSchema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join('.') : 'action',
    message: issue.code === 'unrecognized_keys' ? `Remove the unknown field(s): ${issue.keys.join(', ')}.` : issue.message,
  }));
  throw invalidInput(fields[0]!.message, fields);
}
