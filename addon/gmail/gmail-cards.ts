// Type-only: the Card v1 types check every card at compile time; nothing of googleapis is loaded here.
import type { chat_v1 } from 'googleapis/build/src/apis/chat/v1.js';
import { EMAIL_REPORT_CHOICE_LABELS, EMAIL_REPORT_CHOICES, type EmailReportChoice } from '../../src/domain/email-report.ts';
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
export const GMAIL_INPUTS = { choice: 'choice', note: 'note' } as const;
/** The `action` parameter of the Report button. */
export const REPORT_ACTION = 'report';

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
