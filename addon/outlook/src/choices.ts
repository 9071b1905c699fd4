/**
 * What the reporter says about an email, and how Outlook's pre-report dialog maps onto it.
 * Pure: shared by the spam-reporting handler, the task pane and the tests.
 */

/** The server's `choice` values (POST /api/v1/email-reports?choice=…). */
export const REPORT_CHOICES = ['phishing', 'safeguarding', 'inappropriate'] as const;
export type ReportChoice = (typeof REPORT_CHOICES)[number];

/** Labels, as the manifest's pre-report dialog and the task pane show them. */
export const CHOICE_LABELS: Readonly<Record<ReportChoice, string>> = {
  phishing: 'Phishing or suspicious',
  safeguarding: 'A safeguarding concern about a child',
  inappropriate: 'Inappropriate or upsetting content',
};

/** Whether the pane asks "Which child?": a phishing report is about the message, not a child (the server refuses children with it). */
export function choiceNamesChildren(choice: ReportChoice | undefined): boolean {
  return choice === 'safeguarding' || choice === 'inappropriate';
}

/**
 * The pre-report dialog's options in the manifest's order (ReportingOptions/Option). Outlook passes
 * `event.options` as one boolean per option, in this order.
 */
export const DIALOG_OPTION_ORDER: readonly ReportChoice[] = ['phishing', 'safeguarding', 'inappropriate'];

/**
 * When someone ticks more than one box, the most protective reading wins: a safeguarding concern about a
 * child goes to the DSL and keeps attachments out of storage, so it outranks "inappropriate", which
 * outranks "phishing". No tick at all means the plain meaning of the Report button: suspicious.
 */
const PRIORITY: readonly ReportChoice[] = ['safeguarding', 'inappropriate', 'phishing'];

export function isReportChoice(value: unknown): value is ReportChoice {
  return typeof value === 'string' && (REPORT_CHOICES as readonly string[]).includes(value);
}

/** Maps Outlook's `event.options` (booleans, in dialog order) to one choice. */
export function choiceFromDialogOptions(options: readonly unknown[] | undefined | null): ReportChoice {
  const ticked = new Set<ReportChoice>();
  (options ?? []).forEach((value, index) => {
    const choice = DIALOG_OPTION_ORDER[index];
    if (value === true && choice) ticked.add(choice);
  });
  return PRIORITY.find((choice) => ticked.has(choice)) ?? 'phishing';
}

/** The server accepts notes up to this many characters. */
export const NOTE_MAX_LENGTH = 2000;

/** Trims a note and keeps it within the server's limit (the report matters more than the note's last words). */
export function cleanNote(note: unknown): string {
  if (typeof note !== 'string') return '';
  const trimmed = note.trim();
  return trimmed.length <= NOTE_MAX_LENGTH ? trimmed : `${trimmed.slice(0, NOTE_MAX_LENGTH - 1)}…`;
}
