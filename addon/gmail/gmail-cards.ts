// Type-only: the Card v1 types check every card at compile time; nothing of googleapis is loaded here.
import type { chat_v1 } from 'googleapis/build/src/apis/chat/v1.js';
import { EMAIL_REPORT_CHOICE_LABELS, EMAIL_REPORT_CHOICES, type EmailReportChoice } from '../../src/domain/email-report.ts';
import type { PupilChoice } from '../../src/domain/pupil.ts';
import { IMMEDIATE_DANGER_GUIDANCE } from '../../src/domain/safety-guidance.ts';

export type GmailCard = chat_v1.Schema$GoogleAppsCardV1Card;
type Widget = chat_v1.Schema$GoogleAppsCardV1Widget;
type Section = chat_v1.Schema$GoogleAppsCardV1Section;

/** What the add-on answers to every event: a card pushed (a trigger) or updated (after Report), and maybe a notification. */
export interface GmailRenderAction {
  action: {
    navigations: ({ pushCard: GmailCard } | { updateCard: GmailCard })[];
    notification?: { text: string };
  };
}

/** The card inputs' names, as the events send them back in formInputs. */
export const GMAIL_INPUTS = { choice: 'choice', note: 'note', childQuery: 'childQuery', childId: 'childId' } as const;
/** The `action` parameter of the Report button. */
export const REPORT_ACTION = 'report';
/** The `action` parameter of the Find child button: the card again, with the pupils who match the name typed. */
export const FIND_CHILD_ACTION = 'find_child';
/** The child list's choice that keeps the name as typed (for the DSL to link) rather than a pupil of the list. */
export const TYPED_CHILD = 'typed';

export function pushCard(card: GmailCard): GmailRenderAction {
  return { action: { navigations: [{ pushCard: card }] } };
}

export function updateCard(card: GmailCard, notification?: string): GmailRenderAction {
  return { action: { navigations: [{ updateCard: card }], ...(notification ? { notification: { text: notification } } : {}) } };
}

const HEADER = { title: 'DSL Desk', subtitle: 'Report to your school’s safeguarding team' };

const text = (value: string): Widget => ({ textParagraph: { text: value } });
const dangerLine = (): Widget => text(`<b>${IMMEDIATE_DANGER_GUIDANCE}</b>`);

/** Escapes what the user typed or Google named before it goes into a card's HTML-ish text. */
function escape(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export function homepageCard(): GmailCard {
  return {
    header: HEADER,
    sections: [
      { widgets: [dangerLine()] },
      {
        header: 'What DSL Desk is',
        widgets: [
          text('DSL Desk sends concerns straight to your school’s designated safeguarding lead (DSL) team, who look at every report and keep a record of it.'),
          text('<b>To report an email, open the message.</b> DSL Desk shows beside it: choose what worries you, add a note if you like, and press Report.'),
        ],
      },
    ],
  };
}

export interface ReportFormView {
  /** The Gmail endpoint's full URL: every button's action function. */
  endpointUrl: string;
  choice?: EmailReportChoice | undefined;
  note?: string | undefined;
  /** Why the last Report did not go through, and what to do (shown at the top; the inputs keep what was typed). */
  problem?: string | undefined;
  choiceError?: string | undefined;
  noteError?: string | undefined;
  /** The child's name as typed in "Child (optional)". */
  childQuery?: string | undefined;
  /** The pupils who matched it (after Find child): name, year and class only. */
  childMatches?: PupilChoice[] | undefined;
  /** The pupil picked from them, or TYPED_CHILD. */
  childId?: string | undefined;
  /** What Find child found (nobody, too few letters, a problem). */
  childMessage?: string | undefined;
}

/** "Sam Green, Year 5, 5G": enough to tell two children of the same name apart, and no more. */
export function describePupil(pupil: PupilChoice): string {
  const year = pupil.yearGroup ? (/^\d+$/.test(pupil.yearGroup) ? `Year ${pupil.yearGroup}` : pupil.yearGroup) : undefined;
  return [pupil.name, year, pupil.registrationGroup].filter(Boolean).join(', ');
}

/** "Child (optional)": a name, Find child, and the pupils who match as a list to pick from (as the Chat form does). */
function childWidgets(view: ReportFormView): Widget[] {
  const widgets: Widget[] = [
    text('<b>Child (optional)</b>: for a safeguarding or inappropriate-content report, the child the email is about. Only the DSLs see who you name.'),
    {
      textInput: {
        name: GMAIL_INPUTS.childQuery,
        label: 'Child (optional)',
        type: 'SINGLE_LINE',
        hintText: 'Type their name, then Find child',
        ...(view.childQuery ? { value: view.childQuery } : {}),
      },
    },
    {
      buttonList: {
        buttons: [{ text: 'Find child', onClick: { action: { function: view.endpointUrl, parameters: [{ key: 'action', value: FIND_CHILD_ACTION }] } } }],
      },
    },
  ];
  if (view.childMessage) widgets.push(text(escape(view.childMessage)));
  if (view.childMatches?.length) {
    const picked = view.childId && view.childMatches.some((pupil) => pupil.id === view.childId) ? view.childId : view.childMatches.length === 1 ? view.childMatches[0]!.id : undefined;
    widgets.push({
      selectionInput: {
        name: GMAIL_INPUTS.childId,
        label: 'Which child?',
        type: 'RADIO_BUTTON',
        items: [
          ...view.childMatches.map((pupil) => ({ text: describePupil(pupil), value: pupil.id, selected: picked === pupil.id })),
          { text: 'None of these: send the name as I typed it', value: TYPED_CHILD, selected: !picked },
        ],
      },
    });
  }
  return widgets;
}

/** The contextual card on an open message: the three choices, a note, Report, what happens next and the 999 line. */
export function reportFormCard(view: ReportFormView): GmailCard {
  const widgets: Widget[] = [];
  if (view.problem) widgets.push(text(`<font color="#b3261e"><b>Not reported yet.</b> ${escape(view.problem)}</font>`));
  if (view.choiceError) widgets.push(text(`<font color="#b3261e">${escape(view.choiceError)}</font>`));
  widgets.push({
    selectionInput: {
      name: GMAIL_INPUTS.choice,
      label: 'What is this email?',
      type: 'RADIO_BUTTON',
      items: EMAIL_REPORT_CHOICES.map((choice) => ({ text: EMAIL_REPORT_CHOICE_LABELS[choice], value: choice, selected: view.choice === choice })),
    },
  });
  if (view.noteError) widgets.push(text(`<font color="#b3261e">${escape(view.noteError)}</font>`));
  widgets.push({
    textInput: {
      name: GMAIL_INPUTS.note,
      label: 'A note for the DSL (optional)',
      type: 'MULTIPLE_LINE',
      hintText: 'What worries you about it, who it was sent to, anything the DSL should know.',
      ...(view.note ? { value: view.note } : {}),
    },
  });
  widgets.push(...childWidgets(view));
  widgets.push({
    buttonList: {
      buttons: [{ text: 'Report', onClick: { action: { function: view.endpointUrl, parameters: [{ key: 'action', value: REPORT_ACTION }] } } }],
    },
  });
  return {
    header: { ...HEADER, subtitle: 'Report this email' },
    sections: [
      { widgets: [dangerLine()] },
      { widgets },
      {
        header: 'What happens next',
        collapsible: false,
        widgets: [
          text('Your DSL team sees your report straight away, with the email attached (for a safeguarding or inappropriate-content report, without its attachments). Reports of the same email from other staff join one case.'),
          text('They may contact you. Your note is seen only by the people who handle the case.'),
        ],
      },
    ],
  };
}

export interface ReportResultView {
  reference: string;
  choice: EmailReportChoice;
  /** This press repeated an earlier one: nothing new was filed. */
  duplicate: boolean;
  /** Someone had already reported this email: the report joined their case. */
  joinedExisting: boolean;
}

/** After Report: the reference, what happens next, and what to do with the email now. */
export function reportResultCard(view: ReportResultView): GmailCard {
  const filed = view.duplicate
    ? `You had already reported this email: it is case <b>${escape(view.reference)}</b>. Nothing new was filed.`
    : view.joinedExisting
      ? `Reported. Others had reported this email too, so your report joined case <b>${escape(view.reference)}</b>.`
      : `Reported as case <b>${escape(view.reference)}</b>.`;
  const withTheEmail: Section =
    view.choice === 'phishing'
      ? {
          header: 'What to do with the email',
          widgets: [
            text('Don’t click its links, open its attachments or reply to it.'),
            text('DSL Desk cannot move or delete it for you. To remove it from your inbox, press <b>Delete</b> (the bin icon) at the top of the message. Your DSL or IT team can remove every copy from the school’s mailboxes.'),
          ],
        }
      : {
          header: 'What to do with the email',
          widgets: [
            text('<b>Don’t forward, copy or delete it</b>, and don’t show it to anyone else: keep it for the DSL, who may need to see it.'),
          ],
        };
  return {
    header: { ...HEADER, subtitle: EMAIL_REPORT_CHOICE_LABELS[view.choice] },
    sections: [
      { widgets: [dangerLine()] },
      {
        widgets: [
          text(filed),
          text('Your DSL team has been told. They look at every report and may contact you; you don’t need to do anything else.'),
        ],
      },
      withTheEmail,
    ],
  };
}

/** A problem the form cannot fix (no school for this account, DSL Desk not set up): what it is and who can fix it. */
export function problemCard(message: string): GmailCard {
  return {
    header: { ...HEADER, subtitle: 'Not reported' },
    sections: [
      { widgets: [dangerLine()] },
      { widgets: [text(escape(message)), text('Until then, tell your DSL team about the email directly, and keep the email.')] },
    ],
  };
}

/** A report that took longer than Gmail waits: it is still being filed, and a second press will not file it twice. */
export function stillFilingCard(endpointUrl: string, choice: EmailReportChoice, note?: string): GmailCard {
  const form = reportFormCard({ endpointUrl, choice, note });
  return {
    header: { ...HEADER, subtitle: 'Still being filed' },
    sections: [
      { widgets: [dangerLine()] },
      {
        widgets: [
          text('DSL Desk is still filing your report. In a minute, press <b>Report</b> again to see its reference: it will not be filed twice.'),
        ],
      },
      ...(form.sections ?? []).slice(1),
    ],
  };
}
