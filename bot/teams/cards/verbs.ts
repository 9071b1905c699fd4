/**
 * The verbs of every button DSL Desk puts on a card, and the ids of the inputs those buttons send.
 * A verb is part of the contract with cards already sitting in chats and channels: a card posted
 * months ago still sends the verb it was rendered with, so a verb is never renamed, only added.
 */
export const REPORT_START = 'report.start';
export const REPORT_SUBMIT = 'report.submit';
export const REPORTS_MINE = 'reports.mine';

export const CASE_OPEN = 'case.open';
export const CASE_ACKNOWLEDGE = 'case.acknowledge';
export const CASE_ASSIGN_TO_ME = 'case.assign_to_me';
/** "Assign to…": the form sends the chosen person's id as `assigneeId`. */
export const CASE_ASSIGN = 'case.assign';
export const CASE_ADD_NOTE = 'case.add_note';
export const CASE_TICK_STEPS = 'case.tick_steps';
export const CASE_ESCALATE = 'case.escalate';
export const CASE_CHANGE_URGENCY = 'case.change_urgency';
export const CASE_CLOSE = 'case.close';
export const CASE_REFRESH = 'case.refresh';

export const CHANNEL_USE_FOR_CASES = 'channel.use_for_cases';

/** Actions on a reported email (the case's first email), for the DSLs and IT. */
export const EMAIL_REMOVE = 'email.remove';
export const EMAIL_FORWARD = 'email.forward';
export const EMAIL_TELL_REPORTERS = 'email.tell_reporters';
export const EMAIL_FORWARD_NCSC = 'email.forward_ncsc';
/** "Decide verdict": the form sends `verdict` and `verdictReason`. */
export const EMAIL_DECIDE_VERDICT = 'email.decide_verdict';
export const EMAIL_VERBS = [EMAIL_REMOVE, EMAIL_FORWARD, EMAIL_TELL_REPORTERS, EMAIL_FORWARD_NCSC, EMAIL_DECIDE_VERDICT] as const;

/** Signing an acceptable use policy; the button's data carries only {policyId}. */
export const AUP_SIGN = 'aup.sign';

/** Input ids on the policy card: the tick sends 'true' or 'false', the name what was typed. */
export const AUP_INPUTS = {
  agreed: 'agreed',
  typedName: 'typedName',
} as const;

export const CASE_VERBS = [
  CASE_OPEN,
  CASE_ACKNOWLEDGE,
  CASE_ASSIGN_TO_ME,
  CASE_ASSIGN,
  CASE_ADD_NOTE,
  CASE_TICK_STEPS,
  CASE_ESCALATE,
  CASE_CHANGE_URGENCY,
  CASE_CLOSE,
  CASE_REFRESH,
] as const;
export type CaseVerb = (typeof CASE_VERBS)[number];

/** "A pattern for a pupil": the buttons' data carries only {alertId, pupilId}, never a name. */
export const PUPIL_PATTERN_ACKNOWLEDGE = 'pupil_pattern.acknowledge';
/** The pupil's chronology, to the DSL who pressed it alone. */
export const PUPIL_OPEN = 'pupil.open';

export const CARD_VERBS = [REPORT_START, REPORT_SUBMIT, REPORTS_MINE, ...CASE_VERBS, CHANNEL_USE_FOR_CASES, ...EMAIL_VERBS, AUP_SIGN, PUPIL_PATTERN_ACKNOWLEDGE, PUPIL_OPEN] as const;
export type CardVerb = (typeof CARD_VERBS)[number];

export function isCardVerb(value: unknown): value is CardVerb {
  return typeof value === 'string' && (CARD_VERBS as readonly string[]).includes(value);
}

/** The DSL-only verbs: a card for someone who may not act on the case carries none of them. */
export const DSL_ACTION_VERBS: readonly CaseVerb[] = [CASE_ACKNOWLEDGE, CASE_ASSIGN_TO_ME, CASE_ASSIGN, CASE_ADD_NOTE, CASE_TICK_STEPS, CASE_ESCALATE, CASE_CHANGE_URGENCY, CASE_CLOSE];

/** Input ids on the DSL channel card's forms; the button's data carries only {caseId}. */
export const CASE_INPUTS = {
  note: 'note',
  agency: 'agency',
  agencyReference: 'agencyReference',
  urgency: 'urgency',
  urgencyReason: 'urgencyReason',
  outcome: 'outcome',
  assignee: 'assigneeId',
  verdict: 'verdict',
  verdictReason: 'verdictReason',
} as const;

/** Each protocol step is one toggle, `step:<protocol>.<step>`, sending 'true' or 'false'. */
export const STEP_INPUT_PREFIX = 'step:';

export function stepInputId(stepKey: string): string {
  return `${STEP_INPUT_PREFIX}${stepKey}`;
}

/** The steps a "Save ticks" submission marks as done, in the order the card listed them. */
export function tickedSteps(inputs: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(inputs)
    .filter(([id, value]) => id.startsWith(STEP_INPUT_PREFIX) && (value === true || value === 'true'))
    .map(([id]) => id.slice(STEP_INPUT_PREFIX.length))
    .filter((key) => key.length > 0);
}
