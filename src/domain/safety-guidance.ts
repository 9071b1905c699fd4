/**
 * The one sentence every reporting surface shows first: the Teams form and message-action dialog, the Outlook
 * report dialog and task pane, the help and terms pages, and the Gmail and Chat forms when they come. One
 * constant, so no surface drifts into softer wording ("act now", "tell your DSL") that leaves a child waiting
 * for a DSL to read a report.
 */
export const IMMEDIATE_DANGER_GUIDANCE = 'If a child is in immediate danger, call 999 first, then report it.';
