/**
 * Where a reported message goes after a successful report (event.completed's moveItemTo).
 *
 * Only phishing reports move, to where the school configured (Junk by default). A safeguarding concern or
 * inappropriate content stays where it is: it is not spam, it may be evidence the DSL or the police need, and
 * the UK guidance for staff is not to delete such material. The DSL and IT can still remove a message from
 * every mailbox from the case. After a failed report nothing moves, so the person can try again.
 */
import type { ReportChoice } from './choices.ts';

/** The school's setting for phishing reports. */
export const PHISHING_MOVE_SETTINGS = ['junk', 'deleted', 'keep'] as const;
export type PhishingMoveSetting = (typeof PHISHING_MOVE_SETTINGS)[number];

/** Office.MailboxEnums.MoveSpamItemTo's values (Mailbox 1.14). */
export const MOVE_SPAM_ITEM_TO = { JunkFolder: 'junkFolder', DeletedItemsFolder: 'deletedItemsFolder', NoMove: 'noMove' } as const;
export type MoveSpamItemTo = (typeof MOVE_SPAM_ITEM_TO)[keyof typeof MOVE_SPAM_ITEM_TO];

/** The older `postProcessingAction` strings, for classic Outlook on Windows builds before 2308. */
export type PostProcessingAction = 'moveToSpamFolder' | 'delete' | 'noMove';

export interface MoveDecision {
  moveItemTo: MoveSpamItemTo;
  postProcessingAction: PostProcessingAction;
  /** A short sentence for the thank-you dialog. */
  sentence: string;
}

export function isPhishingMoveSetting(value: unknown): value is PhishingMoveSetting {
  return typeof value === 'string' && (PHISHING_MOVE_SETTINGS as readonly string[]).includes(value);
}

const KEEP: MoveDecision = { moveItemTo: MOVE_SPAM_ITEM_TO.NoMove, postProcessingAction: 'noMove', sentence: 'The email stays where it is: do not forward or delete it.' };

export function moveAfterReport(choice: ReportChoice, setting: PhishingMoveSetting, outcome: 'sent' | 'failed'): MoveDecision {
  if (outcome === 'failed' || choice !== 'phishing') return KEEP;
  if (setting === 'junk') return { moveItemTo: MOVE_SPAM_ITEM_TO.JunkFolder, postProcessingAction: 'moveToSpamFolder', sentence: 'The email has been moved to your Junk Email folder.' };
  if (setting === 'deleted') return { moveItemTo: MOVE_SPAM_ITEM_TO.DeletedItemsFolder, postProcessingAction: 'delete', sentence: 'The email has been moved to Deleted Items.' };
  return { ...KEEP, sentence: 'The email stays where it is; do not open its links or attachments.' };
}
