import { CASE_ACTIONS, caseCommandSchema, parseCaseCommand } from '../../../src/domain/case-command.ts';
import { AppError } from '../../../src/domain/errors.ts';
import { UNSTORABLE_TEXT_MESSAGE } from '../../../src/domain/text.ts';

const PERSON = '0f8fad5b-d9cb-469f-a165-70867728950e';

/** Each action with a valid command, then invalid ones with the field and message the person is shown. */
const CASES: [string, Record<string, unknown>, [Record<string, unknown>, string, string][]][] = [
  ['acknowledge', { action: 'acknowledge' }, [[{ action: 'acknowledge', note: 'x' }, 'action', 'Remove the unknown field(s): note.']]],
  ['assign', { action: 'assign', assigneeId: PERSON }, [[{ action: 'assign', assigneeId: ' ' }, 'assigneeId', 'Choose who should have the case.'], [{ action: 'assign' }, 'assigneeId', 'Choose who should have the case.']]],
  ['note', { action: 'note', text: 'Spoke to the class teacher.' }, [[{ action: 'note', text: '  ' }, 'text', 'Write the note before saving it.'], [{ action: 'note' }, 'text', 'Write the note before saving it.'], [{ action: 'note', text: 'a\u0000b' }, 'text', UNSTORABLE_TEXT_MESSAGE]]],
  ['tick_step', { action: 'tick_step', step: 'online_sexual_abuse.devices_secured' }, [[{ action: 'tick_step', step: 'x' }, 'step', 'Give the step as <protocol>.<step>.']]],
  ['tick_steps', { action: 'tick_steps', steps: ['grooming.a', 'grooming.b'] }, [[{ action: 'tick_steps' }, 'steps', 'Give the steps to tick.']]],
  ['escalate', { action: 'escalate', agency: 'police_ceop', reference: 'CEOP-1' }, [[{ action: 'escalate', agency: 'the moon' }, 'agency', 'Choose who the case was escalated to.']]],
  ['change_urgency', { action: 'change_urgency', urgency: 'high', reason: 'New information.' }, [[{ action: 'change_urgency', urgency: 'soon', reason: 'x' }, 'urgency', 'Choose the new urgency.'], [{ action: 'change_urgency', urgency: 'high', reason: '' }, 'reason', 'Say why the urgency is changing.']]],
  ['record_action', { action: 'record_action', actionTaken: 'parents_informed' }, [[{ action: 'record_action', actionTaken: 'nothing' }, 'actionTaken', 'actionTaken must be one of']]],
  ['close', { action: 'close', outcome: 'Resolved with the family.' }, [[{ action: 'close', outcome: ' ' }, 'outcome', 'Summarise the investigation and outcome before closing.']]],
  ['reopen', { action: 'reopen', reason: 'A new report.' }, [[{ action: 'reopen' }, 'reason', 'Say why the case is being reopened.']]],
  ['change_types', { action: 'change_types', types: ['grooming'], reason: 'Clearer now.' }, [[{ action: 'change_types', types: [], reason: 'x' }, 'types', 'Choose at least one incident type.']]],
  ['place_legal_hold', { action: 'place_legal_hold', reason: 'Police request.' }, [[{ action: 'place_legal_hold', reason: '' }, 'reason', 'Say why the case is placed under a legal hold.']]],
  ['lift_legal_hold', { action: 'lift_legal_hold' }, [[{ action: 'lift_legal_hold', reason: 'x' }, 'action', 'Remove the unknown field(s): reason.']]],
  ['email_verdict', { action: 'email_verdict', verdict: 'likely_phishing', reason: 'Spoofed sender.' }, [[{ action: 'email_verdict', reason: 'x' }, 'verdict', 'Choose the verdict.'], [{ action: 'email_verdict', verdict: 'suspicious' }, 'reason', 'Say why you confirm or change the verdict.']]],
  ['email_forward', { action: 'email_forward', to: 'ncsc' }, [[{ action: 'email_forward', to: 'everyone' }, 'to', 'Choose where to forward the email: security or ncsc.']]],
  ['email_remove', { action: 'email_remove', emailId: 'e-1' }, [[{ action: 'email_remove', emailId: ' ' }, 'emailId', 'Give the id of the reported email.']]],
  ['email_tell_reporters', { action: 'email_tell_reporters' }, [[{ action: 'email_tell_reporters', to: 'x' }, 'action', 'Remove the unknown field(s): to.']]],
];

function refusal(input: unknown): AppError {
  try {
    parseCaseCommand(input);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('the command was accepted');
}

describe('case commands: one schema for every surface', () => {
  test('case commands: every action has a valid and an invalid example here', () => {
    expect(CASES.map(([action]) => action).sort()).toEqual([...CASE_ACTIONS].sort());
  });

  test.each(CASES)('case commands: %s is accepted when valid and refused with a message by the field', (action, valid, invalids) => {
    expect(parseCaseCommand(valid).action).toBe(action);
    for (const [input, path, message] of invalids) {
      const error = refusal(input);
      expect(error.code).toBe('invalid_input');
      // Unknown fields are reported on the command itself (path "action"), named in the message.
      const field = error.fields.find((f) => f.path === path);
      expect(field?.message ?? '').toContain(message);
      expect(error.userMessage).toContain(message);
    }
  });

  test('case commands: text is trimmed, and an unknown action is refused with the list of actions', () => {
    expect(parseCaseCommand({ action: 'note', text: '  Spoke to mum.  ' })).toEqual({ action: 'note', text: 'Spoke to mum.' });
    const unknown = refusal({ action: 'delete' });
    expect(unknown.fields).toEqual([{ path: 'action', message: expect.stringContaining('action must be one of: acknowledge') }]);
    expect(caseCommandSchema.safeParse('acknowledge').success).toBe(false);
  });
});
