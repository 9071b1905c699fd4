import { CHOICE_LABELS, choiceFromDialogOptions, cleanNote, DIALOG_OPTION_ORDER, isReportChoice, NOTE_MAX_LENGTH, REPORT_CHOICES } from '../../../addon/outlook/src/choices.ts';
import { MOVE_SPAM_ITEM_TO, moveAfterReport, isPhishingMoveSetting } from '../../../addon/outlook/src/move-target.ts';

describe("choice mapping (Outlook's pre-report dialog → the server's choice)", () => {
  it('maps each single option, in the manifest order', () => {
    expect(choiceFromDialogOptions([true, false, false])).toBe('phishing');
    expect(choiceFromDialogOptions([false, true, false])).toBe('safeguarding');
    expect(choiceFromDialogOptions([false, false, true])).toBe('inappropriate');
  });

  it('reads no tick (or no options at all) as "suspicious": the plain meaning of the Report button', () => {
    expect(choiceFromDialogOptions([false, false, false])).toBe('phishing');
    expect(choiceFromDialogOptions([])).toBe('phishing');
    expect(choiceFromDialogOptions(undefined)).toBe('phishing');
  });

  it('lets the most protective choice win when several are ticked', () => {
    expect(choiceFromDialogOptions([true, true, false])).toBe('safeguarding');
    expect(choiceFromDialogOptions([true, false, true])).toBe('inappropriate');
    expect(choiceFromDialogOptions([true, true, true])).toBe('safeguarding');
    expect(choiceFromDialogOptions([false, true, true])).toBe('safeguarding');
  });

  it('ignores values that are not true and options beyond the three', () => {
    expect(choiceFromDialogOptions(['yes', 1, null, true])).toBe('phishing');
  });

  it('has a label for every choice and the dialog order covers each once', () => {
    expect([...DIALOG_OPTION_ORDER].sort()).toEqual([...REPORT_CHOICES].sort());
    for (const choice of REPORT_CHOICES) expect(CHOICE_LABELS[choice]).toMatch(/\S/);
    expect(isReportChoice('safeguarding')).toBe(true);
    expect(isReportChoice('spam')).toBe(false);
  });
});

describe('notes', () => {
  it('trims, and keeps a long note within the server limit', () => {
    expect(cleanNote('  he asked for gift cards \n')).toBe('he asked for gift cards');
    expect(cleanNote(undefined)).toBe('');
    const long = cleanNote('x'.repeat(NOTE_MAX_LENGTH + 50));
    expect(long).toHaveLength(NOTE_MAX_LENGTH);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('where a reported message goes', () => {
  it("moves phishing where the school chose", () => {
    expect(moveAfterReport('phishing', 'junk', 'sent')).toMatchObject({ moveItemTo: MOVE_SPAM_ITEM_TO.JunkFolder, postProcessingAction: 'moveToSpamFolder' });
    expect(moveAfterReport('phishing', 'deleted', 'sent')).toMatchObject({ moveItemTo: MOVE_SPAM_ITEM_TO.DeletedItemsFolder, postProcessingAction: 'delete' });
    expect(moveAfterReport('phishing', 'keep', 'sent')).toMatchObject({ moveItemTo: MOVE_SPAM_ITEM_TO.NoMove, postProcessingAction: 'noMove' });
  });

  it('never moves a safeguarding concern or inappropriate content (possible evidence), nor anything after a failed report', () => {
    for (const setting of ['junk', 'deleted', 'keep'] as const) {
      expect(moveAfterReport('safeguarding', setting, 'sent').moveItemTo).toBe('noMove');
      expect(moveAfterReport('inappropriate', setting, 'sent').moveItemTo).toBe('noMove');
      expect(moveAfterReport('phishing', setting, 'failed').moveItemTo).toBe('noMove');
    }
  });

  it('uses the values of Office.MailboxEnums.MoveSpamItemTo', () => {
    expect(MOVE_SPAM_ITEM_TO).toEqual({ JunkFolder: 'junkFolder', DeletedItemsFolder: 'deletedItemsFolder', NoMove: 'noMove' });
    expect(isPhishingMoveSetting('junk')).toBe(true);
    expect(isPhishingMoveSetting('archive')).toBe(false);
  });
});
