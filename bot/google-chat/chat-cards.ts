import type { CaseDetailView } from '../../src/app/cases/get-case.ts';
import type { CaseCardContext } from '../../src/app/cases/prepare-case-card.ts';
import type { PreparedNotification } from '../../src/app/cases/prepare-notification.ts';
import type { CaseStatus } from '../../src/domain/case.ts';
import { CHILD_PICKERS, CONCERN_FORM_INPUT_IDS, FORM_LEVEL_ERROR, INVOLVED_LINE_HELP, NO_CHILD, NOT_ABOUT_STAFF, type ConcernFormValues } from '../../src/domain/concern-form.ts';
import { defang } from '../../src/domain/defang.ts';
import {
  agencyLabel,
  CASE_STATUS_LABELS,
  DEFAULT_TIME_ZONE,
  formatWhen,
  incidentTypeLabel,
  INVOLVED_GROUP_LABELS,
  LOCATION_LABELS,
  REPORTER_STATUS_LABELS,
  reporterSummary,
  URGENCY_LABELS,
} from '../../src/domain/display-labels.ts';
import { CONFIRMED_VERDICTS, EMAIL_VERDICT_LABELS } from '../../src/domain/email-report.ts';
import { emailRemovalLabel } from '../../src/domain/mailbox-removal.ts';
import { ESCALATION_AGENCIES, incidentTypesForReporters, URGENCIES } from '../../src/domain/incident-types.ts';
import { IMMEDIATE_DANGER_GUIDANCE } from '../../src/domain/safety-guidance.ts';
import { casePupilsText, chronologyText, PUPIL_PATTERN_EXPLANATION, PUPIL_PATTERN_TITLE, type ChronologyToShow, type PupilPatternView } from '../../src/domain/pupil-texts.ts';
import type { GoogleCard } from './chat-api.ts';
import { ACTION_PARAMETER } from './chat-events.ts';

/**
 * Every card DSL Desk shows in Google Chat, as google.apps.card.v1 JSON: the concern form (a dialog), the
 * receipt, "My reports", the DSL space's case card (no concern text: the same facts as the Teams channel card),
 * the case's action forms (dialogs, so a card edit never wipes what a DSL is typing) and "Open case" (a dialog,
 * only for those who may see the case). Text that came from people is escaped: Chat reads a few HTML tags.
 */

/** The `action` parameter of each button (see ACTION_PARAMETER). Part of the contract with cards already posted. */
export const CHAT_ACTIONS = {
  reportStart: 'report.start',
  reportSubmit: 'report.submit',
  reportFindStaff: 'report.find_staff',
  reportFindChild: 'report.find_child',
  reportsMine: 'reports.mine',
  help: 'help',
  caseOpen: 'case.open',
  caseAcknowledge: 'case.acknowledge',
  caseAssignToMe: 'case.assign_to_me',
  caseAssign: 'case.assign',
  caseAddNote: 'case.add_note',
  caseTickSteps: 'case.tick_steps',
  caseEscalate: 'case.escalate',
  caseChangeUrgency: 'case.change_urgency',
  caseClose: 'case.close',
  caseReopen: 'case.reopen',
  emailRemove: 'email.remove',
  emailForward: 'email.forward',
  emailForwardNcsc: 'email.forward_ncsc',
  emailTellReporters: 'email.tell_reporters',
  emailDecideVerdict: 'email.decide_verdict',
  pupilPatternAcknowledge: 'pupil_pattern.acknowledge',
  pupilOpen: 'pupil.open',
  /** Opens the dialog of one case form: the `form` parameter names it (see CASE_FORMS). */
  caseForm: 'case.form',
} as const;

/** The case's forms, each a dialog opened from the card and sent to its action. */
export const CASE_FORMS = {
  note: { title: 'Add a note', submit: CHAT_ACTIONS.caseAddNote },
  steps: { title: 'Protocol steps', submit: CHAT_ACTIONS.caseTickSteps },
  escalate: { title: 'Record an escalation', submit: CHAT_ACTIONS.caseEscalate },
  assign: { title: 'Assign to…', submit: CHAT_ACTIONS.caseAssign },
  urgency: { title: 'Change urgency', submit: CHAT_ACTIONS.caseChangeUrgency },
  close: { title: 'Close with outcome', submit: CHAT_ACTIONS.caseClose },
  reopen: { title: 'Reopen the case', submit: CHAT_ACTIONS.caseReopen },
  verdict: { title: 'Decide the email verdict', submit: CHAT_ACTIONS.emailDecideVerdict },
} as const;
export type CaseFormName = keyof typeof CASE_FORMS;

/** Input names of the case forms. */
export const CASE_FORM_INPUTS = {
  note: 'note',
  steps: 'steps',
  agency: 'agency',
  agencyReference: 'agencyReference',
  assignee: 'assigneeId',
  urgency: 'urgency',
  urgencyReason: 'urgencyReason',
  outcome: 'outcome',
  reopenReason: 'reopenReason',
  verdict: 'verdict',
  verdictReason: 'verdictReason',
} as const;

/** The staff search box of the concern form: typed here, found with "Find", chosen in `subjectPersonId`. */
export const STAFF_QUERY_INPUT = 'subjectQuery';

/** The pupil search box of the concern form: typed here, found with "Find child", picked in the three child lists. */
export const CHILD_QUERY_INPUT = 'childQuery';

/** The labels of the form's child lists (the role each gives the child on the case). */
const CHILD_PICKER_LABELS: Record<(typeof CHILD_PICKERS)[number]['input'], string> = {
  childIds: 'The child (or children) it is about',
  otherChildIds: 'Other children involved',
  witnessChildIds: 'Children who saw or heard it',
};

type Widget = Record<string, unknown>;
type Section = { header?: string; collapsible?: boolean; uncollapsibleWidgetsCount?: number; widgets: Widget[] };

/** Chat reads <b>, <i>, <font> and links in text: everything people typed is shown as text, never as markup. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const ERROR_COLOUR = '#B3261E';

function paragraph(text: string): Widget {
  return { textParagraph: { text: escapeText(text) } };
}

function strong(text: string): Widget {
  return { textParagraph: { text: `<b>${escapeText(text)}</b>` } };
}

function errorText(text: string): Widget {
  return { textParagraph: { text: `<font color="${ERROR_COLOUR}">${escapeText(text)}</font>` } };
}

function fact(label: string, value: string): Widget {
  return { decoratedText: { topLabel: escapeText(label), text: escapeText(value), wrapText: true } };
}

function section(widgets: (Widget | undefined | false)[], header?: string): Section {
  return { ...(header ? { header: escapeText(header) } : {}), widgets: widgets.filter((widget): widget is Widget => Boolean(widget)) };
}

function card(options: { title: string; subtitle?: string; sections: Section[]; footer?: Record<string, unknown> }): GoogleCard {
  return {
    header: { title: escapeText(options.title), ...(options.subtitle ? { subtitle: escapeText(options.subtitle) } : {}) },
    sections: options.sections.filter((s) => s.widgets.length > 0),
    ...(options.footer ? { fixedFooter: options.footer } : {}),
  };
}

/** Buttons and their actions: every one calls the Chat endpoint's full URL with `action` and ids only. */
export class ChatCardKit {
  readonly endpointUrl: string;

  constructor(endpointUrl: string) {
    this.endpointUrl = endpointUrl;
  }

  action(action: string, parameters: Record<string, string> = {}, options: { dialog?: boolean } = {}): Record<string, unknown> {
    return {
      function: this.endpointUrl,
      parameters: [{ key: ACTION_PARAMETER, value: action }, ...Object.entries(parameters).map(([key, value]) => ({ key, value }))],
      ...(options.dialog ? { interaction: 'OPEN_DIALOG' } : {}),
    };
  }

  button(text: string, action: string, parameters: Record<string, string> = {}, options: { dialog?: boolean; filled?: boolean } = {}): Widget {
    return {
      text: escapeText(text),
      onClick: { action: this.action(action, parameters, options) },
      ...(options.filled ? { type: 'FILLED' } : {}),
    };
  }

  buttons(buttons: (Widget | undefined | false)[]): Widget | undefined {
    const present = buttons.filter((button): button is Widget => Boolean(button));
    return present.length ? { buttonList: { buttons: present } } : undefined;
  }
}

// ---- staff: the concern form, the receipt, my reports, help --------------------------------------

export interface ChatConcernFormView {
  formId: string;
  values: Partial<ConcernFormValues> & { subjectQuery?: string; childQuery?: string };
  errors: Record<string, string>;
  formMessage?: string;
  /** People found by "Find" (or the one already chosen), offered in the "member of staff" list. */
  staffChoices?: { title: string; value: string }[];
  /** Pupils found by "Find child" and those already picked, offered in each of the child lists. */
  childChoices?: { title: string; value: string }[];
  /** Someone in two or more schools of a trust says which school the report is for. */
  school?: { choices: { title: string; value: string }[]; value?: string; error?: string };
}

const TYPE_ITEMS = incidentTypesForReporters().map(({ type, group }) => ({ text: group.code === 'other' ? type.label : `${group.label}: ${type.label}`, value: type.code }));
const LOCATION_ITEMS = Object.entries(LOCATION_LABELS).map(([value, text]) => ({ text, value }));

function textInput(name: string, label: string, value: string | undefined, options: { multiline?: boolean; hint?: string } = {}): Widget {
  return {
    textInput: {
      name,
      label: escapeText(label),
      type: options.multiline ? 'MULTIPLE_LINE' : 'SINGLE_LINE',
      ...(value ? { value } : {}),
      ...(options.hint ? { hintText: escapeText(options.hint) } : {}),
    },
  };
}

function switchInput(name: string, text: string, on: boolean, label?: string): Widget {
  return { selectionInput: { name, ...(label ? { label: escapeText(label) } : {}), type: 'SWITCH', items: [{ text: escapeText(text), value: 'true', selected: on }] } };
}

function selection(name: string, label: string, type: 'RADIO_BUTTON' | 'DROPDOWN' | 'MULTI_SELECT' | 'CHECK_BOX', items: { text: string; value: string; selected?: boolean }[]): Widget {
  return {
    selectionInput: {
      name,
      label: escapeText(label),
      type,
      items: items.map((item) => ({ text: escapeText(item.text), value: item.value, selected: Boolean(item.selected) })),
    },
  };
}

/** The concern form: the same fields, order, rules and 999 guidance as on Teams; a message under each field to fix. */
export function concernFormCard(kit: ChatCardKit, view: ChatConcernFormView): GoogleCard {
  const v = view.values;
  const fieldError = (id: string) => (view.errors[id] ? errorText(view.errors[id]) : undefined);
  const unplaced = Object.entries(view.errors)
    .filter(([id]) => !(CONCERN_FORM_INPUT_IDS as readonly string[]).includes(id) || id === FORM_LEVEL_ERROR)
    .map(([, message]) => message);
  const formMessage = [view.formMessage, ...unplaced].filter((text): text is string => Boolean(text?.trim())).join(' ');
  const types = new Set((v.types ?? '').split(',').filter(Boolean));
  const chosenStaff = v.subjectPersonId && v.subjectPersonId !== NOT_ABOUT_STAFF ? v.subjectPersonId : '';
  const staffItems = [
    { text: 'No: not about a member of staff', value: NOT_ABOUT_STAFF, selected: !chosenStaff },
    ...(view.staffChoices ?? []).map((choice) => ({ text: choice.title, value: choice.value, selected: choice.value === chosenStaff })),
  ];
  return card({
    title: 'Report a concern to the DSL',
    subtitle: 'Only the DSL team sees this report.',
    sections: [
      section([
        formMessage ? errorText(formMessage) : undefined,
        paragraph('Write what you saw or were told, in the words used.'),
        view.school && view.school.choices.length > 1
          ? selection('school', 'Which school is this report for?', 'RADIO_BUTTON', view.school.choices.map((c) => ({ text: c.title, value: c.value, selected: c.value === view.school?.value })))
          : undefined,
        view.school?.error ? errorText(view.school.error) : undefined,
      ]),
      // The most urgent choice first: on a phone the form is several screens long.
      section([
        { textParagraph: { text: `<b><font color="${ERROR_COLOUR}">${escapeText(IMMEDIATE_DANGER_GUIDANCE)}</font></b>` } },
        switchInput('childAtImmediateRisk', 'Yes, a child is at immediate risk', v.childAtImmediateRisk === 'true', 'Is a child at immediate risk? Turning this on marks the case urgent.'),
        fieldError('childAtImmediateRisk'),
      ]),
      section([
        selection('types', 'What kind of incident? (choose all that apply)', 'MULTI_SELECT', TYPE_ITEMS.map((item) => ({ ...item, selected: types.has(item.value) }))),
        fieldError('types'),
        textInput('otherType', 'If you chose "Other", say what kind of incident', v.otherType),
        fieldError('otherType'),
        textInput('description', 'What happened? What, when, where and how', v.description, { multiline: true }),
        fieldError('description'),
        selection('location', 'Where did it happen?', 'RADIO_BUTTON', LOCATION_ITEMS.map((item) => ({ ...item, selected: item.value === v.location }))),
        fieldError('location'),
        textInput('occurredDate', 'Date it happened', v.occurredDate, { hint: 'DD/MM/YYYY' }),
        fieldError('occurredDate'),
        textInput('occurredTime', 'Time it happened (if you know)', v.occurredTime, { hint: 'HH:MM, 24-hour' }),
        fieldError('occurredTime'),
        switchInput('ongoing', 'It is still happening', v.ongoing === 'true'),
        fieldError('ongoing'),
        textInput('involved', 'People involved', v.involved, { multiline: true, hint: INVOLVED_LINE_HELP }),
        fieldError('involved'),
      ]),
      // The children, from the school's register: "Find child" brings the dialog back with the pupils whose names
      // match (name, year and class only), offered in a list per role; a child not found is typed.
      section(
        [
          textInput(CHILD_QUERY_INPUT, 'A child involved? Type part of their name, then Find child', v.childQuery),
          kit.buttons([kit.button('Find child', CHAT_ACTIONS.reportFindChild, { formId: view.formId })]),
          fieldError(CHILD_QUERY_INPUT),
          ...CHILD_PICKERS.flatMap(({ input }) => {
            const picked = new Set((v[input] ?? '').split(',').filter((id) => id && id !== NO_CHILD));
            const choices = view.childChoices ?? [];
            if (choices.length === 0) return [fieldError(input)];
            return [selection(input, CHILD_PICKER_LABELS[input], 'MULTI_SELECT', choices.map((choice) => ({ text: choice.title, value: choice.value, selected: picked.has(choice.value) }))), fieldError(input)];
          }),
          textInput('childNames', 'Child not in the list? Type their name (one per line)', v.childNames, { multiline: true, hint: 'e.g. Sam Green (Year 5)' }),
          fieldError('childNames'),
        ],
        'Children involved',
      ),
      // An allegation about staff: the reporter finds the person among our own records, so the case is
      // restricted and never shown to them.
      section(
        [
          textInput(STAFF_QUERY_INPUT, 'Is this about a member of staff? Type part of their name, then Find', v.subjectQuery),
          kit.buttons([kit.button('Find', CHAT_ACTIONS.reportFindStaff, { formId: view.formId })]),
          selection('subjectPersonId', 'Member of staff', 'DROPDOWN', staffItems),
          fieldError('subjectPersonId'),
          paragraph('Only the DSLs and the headteacher see a report about a member of staff, and never the person it is about. About the headteacher: the chair of governors sees it instead.'),
        ],
        'About a member of staff?',
      ),
      section(
        [
          textInput('appsInvolved', 'Apps or websites involved (separate with commas)', v.appsInvolved, { hint: 'e.g. Snapchat, WhatsApp' }),
          fieldError('appsInvolved'),
          paragraph('Say what the evidence is, where it is (device, app, account) and who has it now. Leave devices as they are.'),
          {
            textParagraph: {
              text: `<b><font color="${ERROR_COLOUR}">Nudes, semi-nudes or child-abuse images: never view, copy, print, save or forward the image, not even to the DSL. Tell the DSL at once.</font></b>`,
            },
          },
          textInput('evidence', 'Evidence (a description)', v.evidence, { multiline: true }),
          fieldError('evidence'),
          textInput('url', 'Web address, if a website is involved', v.url),
          fieldError('url'),
          paragraph('Reporting a message from a Chat space or DM? Copy or describe it in "What happened": Chat does not let apps act on a message.'),
        ],
        'Evidence: describe it, do not attach it',
      ),
    ],
    footer: { primaryButton: kit.button('Send to the DSL', CHAT_ACTIONS.reportSubmit, { formId: view.formId }, { filled: true }) },
  });
}

export function receiptCard(view: { reference: string; receivedAt: string; urgent: boolean; joinedExisting: boolean; timeZone?: string }): GoogleCard {
  const timeZone = view.timeZone ?? DEFAULT_TIME_ZONE;
  return card({
    title: 'Thank you. Your concern has gone to the DSL.',
    subtitle: `Reference ${view.reference}`,
    sections: [
      section([
        fact('Reference', view.reference),
        fact('Received', formatWhen(view.receivedAt, timeZone)),
        view.urgent ? strong('You said a child is at immediate risk: the DSLs on duty have been alerted. If a child is in immediate danger, call 999.') : undefined,
        view.joinedExisting ? paragraph('Someone had already reported this. Your report has been added to the same case, so the DSL sees both.') : undefined,
        paragraph('You will get a message here when it is picked up. Type "my reports" to see its status.'),
      ]),
    ],
  });
}

export function myReportsCard(kit: ChatCardKit, view: { reports: { reference: string; status: CaseStatus; reportedAt: string; updatedAt: string }[]; timeZone?: string }): GoogleCard {
  const timeZone = view.timeZone ?? DEFAULT_TIME_ZONE;
  return card({
    title: 'My reports',
    sections: [
      section([
        view.reports.length === 0 ? paragraph('You have not reported any concerns yet.') : paragraph('You see the status of each report. The details stay with the DSL team.'),
        ...view.reports.map((report) => ({
          decoratedText: {
            topLabel: escapeText(report.reference),
            text: escapeText(REPORTER_STATUS_LABELS[report.status]),
            bottomLabel: escapeText(`Reported ${formatWhen(report.reportedAt, timeZone)}. Last change ${formatWhen(report.updatedAt, timeZone)}.`),
            wrapText: true,
          },
        })),
        kit.buttons([kit.button('Report a concern', CHAT_ACTIONS.reportStart, {}, { dialog: true })]),
      ]),
    ],
  });
}

/** "help", and the welcome when the app is added: how to report, how DSLs set up their space. */
export function helpCard(kit: ChatCardKit, options: { inSpace: boolean }): GoogleCard {
  return card({
    title: 'DSL Desk',
    subtitle: 'Report a safeguarding concern to your DSL',
    sections: [
      section([
        paragraph(IMMEDIATE_DANGER_GUIDANCE),
        options.inSpace
          ? paragraph('To report a concern, open a chat with DSL Desk (search for it in Chat) and type "report". DSLs: mention DSL Desk here with "use this space for cases" to receive new cases in this space.')
          : paragraph('Type "report" (or use /report) to tell the DSL about a concern, "my reports" to see where your reports are, and "help" for this message. To report a message from a space or chat, copy or describe it in the form.'),
        options.inSpace ? undefined : kit.buttons([kit.button('Report a concern', CHAT_ACTIONS.reportStart, {}, { dialog: true, filled: true }), kit.button('My reports', CHAT_ACTIONS.reportsMine)]),
      ]),
    ],
  });
}

/** A short card for a dialog that cannot show what was asked (not allowed, out of date). */
export function messageCard(title: string, text: string): GoogleCard {
  return card({ title, sections: [section([paragraph(text)])] });
}

// ---- the DSL space: the case card ---------------------------------------------------------------

/**
 * The facts the case card shows: the same as the Teams channel card, and only what may sit in a space
 * (reference, type labels, urgency, when, who reported, who has it, how far it has got). Nothing written.
 */
function caseFacts(context: CaseCardContext, timeZone: string): { title: string; value: string }[] {
  const { summary } = context;
  const facts = [
    { title: 'Urgency', value: URGENCY_LABELS[summary.urgency] },
    { title: 'Received', value: formatWhen(summary.receivedAt, timeZone) },
    { title: 'Reported by', value: reporterSummary(summary.reporterName, summary.reporterCount) },
    { title: 'Status', value: CASE_STATUS_LABELS[summary.status] },
    ...(summary.email ? [{ title: 'Email verdict', value: `${EMAIL_VERDICT_LABELS[summary.email.verdict]}${summary.email.decided ? ' (decided)' : ' (suggested)'}` }] : []),
    ...(context.emailRemoval ? [{ title: 'Every mailbox', value: emailRemovalLabel(context.emailRemoval) }] : []),
    ...(summary.acknowledgedByName ? [{ title: 'Picked up by', value: summary.acknowledgedByName }] : []),
    { title: 'Assigned to', value: summary.assigneeName ?? 'Nobody yet' },
  ];
  const steps = summary.protocolSteps;
  if (steps.length > 0) facts.push({ title: 'Protocol steps', value: `${steps.filter((step) => step.done).length} of ${steps.length} done` });
  if (summary.escalations.length > 0) {
    facts.push({ title: 'Escalated to', value: summary.escalations.map((e) => `${agencyLabel(e.agency)} (${e.hasReference ? 'reference recorded' : 'no reference yet'})`).join('; ') });
  }
  if (context.lastActivity) {
    const { label, byName, at } = context.lastActivity;
    facts.push({ title: 'Last action', value: `${label}${byName ? ` by ${byName}` : ''}, ${formatWhen(at, timeZone)}` });
  }
  return facts;
}

/**
 * The DSL space's card for a case. Chat shows one card to everyone in the space, so the buttons are on it for
 * all to see; who may use them is decided by the use cases when pressed. A restricted case shows only that it exists.
 */
export function caseCard(kit: ChatCardKit, context: CaseCardContext, timeZone: string = DEFAULT_TIME_ZONE): GoogleCard {
  const { summary } = context;
  if (summary.restricted) return restrictedNoticeCard(summary.reference, summary.receivedAt, timeZone);
  const caseId = { caseId: summary.caseId };
  const closed = summary.status === 'closed';
  const warning = context.card?.state === 'failed' ? context.card.failure?.trim() : undefined;
  const form = (name: CaseFormName) => ({ ...caseId, form: name });
  return card({
    title: `${summary.urgency === 'urgent' ? 'URGENT: ' : ''}${summary.reference}`,
    subtitle: summary.types.map(incidentTypeLabel).join('; '),
    sections: [
      section([
        ...caseFacts(context, timeZone).map((f) => fact(f.title, f.value)),
        ...(summary.email?.topSignals.length ? [strong('Strongest signs'), ...summary.email.topSignals.map((signal) => paragraph(`• ${signal}`))] : []),
        warning ? errorText(warning) : undefined,
      ]),
      section(
        closed
          ? [kit.buttons([kit.button('Open case', CHAT_ACTIONS.caseOpen, caseId, { dialog: true }), kit.button('Reopen', CHAT_ACTIONS.caseForm, form('reopen'), { dialog: true })])]
          : [
              kit.buttons([
                summary.status === 'new' && !summary.acknowledgedByName ? kit.button('Acknowledge', CHAT_ACTIONS.caseAcknowledge, caseId, { filled: true }) : undefined,
                kit.button('Assign to me', CHAT_ACTIONS.caseAssignToMe, caseId),
                kit.button('Open case', CHAT_ACTIONS.caseOpen, caseId, { dialog: true }),
              ]),
              kit.buttons([
                kit.button('Add note', CHAT_ACTIONS.caseForm, form('note'), { dialog: true }),
                kit.button('Protocol steps', CHAT_ACTIONS.caseForm, form('steps'), { dialog: true }),
                kit.button('Escalate', CHAT_ACTIONS.caseForm, form('escalate'), { dialog: true }),
                kit.button('Assign to…', CHAT_ACTIONS.caseForm, form('assign'), { dialog: true }),
                kit.button('Urgency', CHAT_ACTIONS.caseForm, form('urgency'), { dialog: true }),
                kit.button('Close', CHAT_ACTIONS.caseForm, form('close'), { dialog: true }),
              ]),
            ],
      ),
      summary.email && !closed
        ? section(
            [
              kit.buttons([
                kit.button('Decide verdict', CHAT_ACTIONS.caseForm, form('verdict'), { dialog: true }),
                kit.button('Tell reporters', CHAT_ACTIONS.emailTellReporters, caseId),
                kit.button('Remove from all mailboxes', CHAT_ACTIONS.emailRemove, caseId),
                kit.button('Forward to IT security', CHAT_ACTIONS.emailForward, caseId),
                kit.button('Forward to the NCSC', CHAT_ACTIONS.emailForwardNcsc, caseId),
              ]),
            ],
            'Reported email',
          )
        : section([]),
    ],
  });
}

/**
 * The text over the case card in the DSL space. Chat shows it above the card and in notifications, so it follows
 * the case: "New high case …" only while nobody has picked the case up, then the status the card shows (a stale
 * "New" over an acknowledged card would send a second DSL to a case already in hand). An urgent case that is
 * still new mentions the DSLs on duty who use Chat. Reference, urgency and status only: nothing written.
 */
export function caseCardText(context: CaseCardContext): string {
  const { summary } = context;
  if (summary.restricted) return `Restricted case ${summary.reference}`;
  const waiting = summary.status === 'new' && !summary.acknowledgedByName;
  if (!waiting) return `${URGENCY_LABELS[summary.urgency]} case ${summary.reference}: ${CASE_STATUS_LABELS[summary.status === 'new' ? 'acknowledged' : summary.status]}`;
  if (summary.urgency !== 'urgent') return `New ${summary.urgency} case ${summary.reference}`;
  const mentioned = context.handlers.flatMap((handler) => (handler.chatUserId?.startsWith('users/') ? [`<${handler.chatUserId}>`] : []));
  return `Urgent case ${summary.reference}${mentioned.length ? `: ${mentioned.join(' ')}` : ''}`;
}

/** Fields an edit of the case card's message changes: the card and the text over it. */
export const CASE_CARD_UPDATE_MASK = 'text,cardsV2';

export function restrictedNoticeCard(reference: string, receivedAt: string, timeZone: string = DEFAULT_TIME_ZONE): GoogleCard {
  return card({
    title: 'Restricted case',
    subtitle: reference,
    sections: [section([paragraph('A restricted case was reported. It is handled by the headteacher, and its details are not shown here.'), fact('Received', formatWhen(receivedAt, timeZone))])],
  });
}

/** One of the case's forms, as a dialog. `values` and `error` bring it back with what was typed and what to fix. */
export function caseFormCard(
  kit: ChatCardKit,
  options: { form: CaseFormName; context: CaseCardContext; values?: Record<string, string>; error?: string },
): GoogleCard {
  const { form, context } = options;
  const { summary } = context;
  const values = options.values ?? {};
  const caseId = { caseId: summary.caseId };
  const fields: Widget[] = [];
  switch (form) {
    case 'note':
      fields.push(textInput(CASE_FORM_INPUTS.note, 'Note for the case record', values.note, { multiline: true }));
      break;
    case 'steps':
      if (summary.protocolSteps.length === 0) fields.push(paragraph('There is no checklist for this case.'));
      else {
        fields.push(paragraph('Tick each step that is done, then save.'));
        fields.push(selection(CASE_FORM_INPUTS.steps, 'Steps', 'CHECK_BOX', summary.protocolSteps.map((step) => ({ text: step.label, value: step.key, selected: step.done }))));
      }
      break;
    case 'escalate':
      fields.push(selection(CASE_FORM_INPUTS.agency, 'Escalated to', 'RADIO_BUTTON', ESCALATION_AGENCIES.map((a) => ({ text: a.label, value: a.code, selected: a.code === values.agency }))));
      fields.push(textInput(CASE_FORM_INPUTS.agencyReference, 'Their reference, if they gave one', values.agencyReference));
      break;
    case 'assign':
      if (context.assignable.length === 0) fields.push(paragraph('Nobody else in DSL Desk can be given this case.'));
      else fields.push(selection(CASE_FORM_INPUTS.assignee, 'Assign to', 'RADIO_BUTTON', context.assignable.map((p) => ({ text: p.displayName, value: p.personId, selected: p.personId === values.assigneeId }))));
      break;
    case 'urgency':
      fields.push(selection(CASE_FORM_INPUTS.urgency, 'New urgency', 'RADIO_BUTTON', URGENCIES.map((u) => ({ text: URGENCY_LABELS[u], value: u, selected: u === (values.urgency ?? summary.urgency) }))));
      fields.push(textInput(CASE_FORM_INPUTS.urgencyReason, 'Why is the urgency changing?', values.urgencyReason));
      break;
    case 'close':
      fields.push(textInput(CASE_FORM_INPUTS.outcome, 'Outcome: what was done, and why the case can close', values.outcome, { multiline: true }));
      break;
    case 'reopen':
      fields.push(textInput(CASE_FORM_INPUTS.reopenReason, 'Why is the case being reopened?', values.reopenReason, { multiline: true }));
      break;
    case 'verdict':
      fields.push(selection(CASE_FORM_INPUTS.verdict, 'Verdict', 'RADIO_BUTTON', CONFIRMED_VERDICTS.map((v) => ({ text: EMAIL_VERDICT_LABELS[v], value: v, selected: v === (values.verdict ?? summary.email?.verdict) }))));
      fields.push(textInput(CASE_FORM_INPUTS.verdictReason, 'Why? (confirming or changing the suggestion)', values.verdictReason));
      break;
  }
  const canSave = !(form === 'steps' && summary.protocolSteps.length === 0) && !(form === 'assign' && context.assignable.length === 0);
  return card({
    title: CASE_FORMS[form].title,
    subtitle: summary.reference,
    sections: [section([options.error ? errorText(options.error) : undefined, ...fields])],
    ...(canSave ? { footer: { primaryButton: kit.button('Save', CASE_FORMS[form].submit, caseId, { filled: true }) } } : {}),
  });
}

/**
 * "Open case": the whole record, for the person who asked and may see it (getCase has checked and audited).
 * A dialog only they see, never an edit of the shared card. What came from a reported email is defanged.
 */
export function caseDetailCard(record: CaseDetailView, timeZone: string = DEFAULT_TIME_ZONE): GoogleCard {
  const current = record.case;
  const concern = current.concern;
  const who = (personId: string | null | undefined) => (personId ? (record.names[personId] ?? 'Someone no longer listed') : 'DSL Desk');
  const when = (iso: string) => formatWhen(iso, timeZone);
  const ticks = new Map(current.protocolTicks.map((tick) => [tick.step, tick]));
  const steps = record.protocols.flatMap((protocol) => protocol.steps.map((step) => ({ key: `${protocol.code}.${step.code}`, label: step.label })));
  // The children and their protection status: only in a DSL's, deputy's or head's view (getCase gives them only then).
  const pupils = record.pupils ? casePupilsText(record.pupils) : undefined;
  return card({
    title: `${current.restricted ? 'Restricted case ' : 'Case '}${current.reference}`,
    subtitle: `${URGENCY_LABELS[current.urgency]} · ${CASE_STATUS_LABELS[current.status]}`,
    sections: [
      section([
        fact('Incident types', current.types.map(incidentTypeLabel).join('; ')),
        concern.otherType ? fact('Other type', concern.otherType) : undefined,
        fact('Reported by', current.reporters.map((r) => `${who(r.personId)} (${when(r.reportedAt)})`).join('; ')),
        current.assigneeId ? fact('Assigned to', who(current.assigneeId)) : undefined,
        current.acknowledgedById && current.acknowledgedAt ? fact('Picked up by', `${who(current.acknowledgedById)}, ${when(current.acknowledgedAt)}`) : undefined,
        pupils?.protectionStatuses.length ? fact('Protection status', pupils.protectionStatuses.join('\n')) : undefined,
      ]),
      section(
        (pupils?.children ?? []).map((child) => fact(child.role, child.flag ? `${child.name}. ${child.flag}` : child.name)),
        pupils?.children.length ? 'Children' : undefined,
      ),
      section(
        [
          paragraph(concern.description),
          fact('Where', LOCATION_LABELS[concern.location]),
          concern.occurred?.from ? fact('When', `${when(concern.occurred.from)}${concern.occurred.ongoing ? ' (still happening)' : ''}`) : undefined,
          concern.involved.length ? fact('People involved', concern.involved.map((p) => `${INVOLVED_GROUP_LABELS[p.group]}: ${p.name}${p.contact ? ` (${p.contact})` : ''}`).join('\n')) : undefined,
          concern.appsInvolved.length ? fact('Apps or websites', concern.appsInvolved.join(', ')) : undefined,
          concern.evidence ? fact('Evidence', concern.evidence) : undefined,
          concern.url ? fact('Web address', defang(concern.url)) : undefined,
        ],
        'What was reported',
      ),
      section(
        current.furtherReports.map((report) => fact(`${who(report.personId)}, ${when(report.reportedAt)}`, report.concern.description)),
        current.furtherReports.length ? 'Further reports' : undefined,
      ),
      section(
        steps.map((step) => {
          const tick = ticks.get(step.key);
          return fact(step.label, tick ? `Done by ${who(tick.byId)}, ${when(tick.at)}` : 'Not done');
        }),
        steps.length ? 'Protocol steps' : undefined,
      ),
      section(
        [
          ...current.escalations.map((e) => fact('Escalated', `${agencyLabel(e.agency)}${e.reference ? ` (ref ${e.reference})` : ''}, by ${who(e.byId)}, ${when(e.at)}`)),
          ...current.notes.map((note) => fact(`Note by ${who(note.authorId)}, ${when(note.at)}`, note.text)),
          current.outcome ? fact(`Outcome by ${who(current.outcome.byId)}, ${when(current.outcome.at)}`, current.outcome.summary) : undefined,
        ],
        current.notes.length || current.escalations.length || current.outcome ? 'Notes and decisions' : undefined,
      ),
      section(
        record.emails.map(({ analysis, decision }) =>
          fact(
            analysis.subject ? defang(analysis.subject) : 'Reported email',
            decision ? `${EMAIL_VERDICT_LABELS[decision.verdict]} (decided: ${defang(decision.reason)})` : `${EMAIL_VERDICT_LABELS[analysis.verdict]} (suggested by the analysis; not yet confirmed)`,
          ),
        ),
        record.emails.length ? 'Reported emails' : undefined,
      ),
      section([paragraph('Opening this case was recorded in its access log.')]),
    ],
  });
}

/** A 1:1 notice: status words only for reporters; "Open case" for those who handle the case. */
export function notificationCard(kit: ChatCardKit, prepared: PreparedNotification): GoogleCard {
  const caseId = { caseId: prepared.caseId };
  return card({
    title: prepared.text.title,
    sections: [
      section([
        ...prepared.text.lines.map(paragraph),
        prepared.text.offersCase
          ? kit.buttons([kit.button('Acknowledge', CHAT_ACTIONS.caseAcknowledge, caseId, { filled: true }), kit.button('Open case', CHAT_ACTIONS.caseOpen, caseId, { dialog: true })])
          : undefined,
      ]),
    ],
  });
}

// ---- a pattern for a pupil ------------------------------------------------------------------------

/** The pattern card in the DSL space: why, and the case references; no name, no concern text. */
export function pupilPatternCard(kit: ChatCardKit, view: PupilPatternView): GoogleCard {
  const ids = { alertId: view.alertId, pupilId: view.pupilId };
  const acknowledged = view.acknowledgement;
  return card({
    title: PUPIL_PATTERN_TITLE,
    sections: [
      section([
        strong(view.reason),
        fact('Cases', view.references),
        paragraph(PUPIL_PATTERN_EXPLANATION),
        acknowledged ? paragraph(acknowledged) : undefined,
        kit.buttons([
          acknowledged ? undefined : kit.button('Acknowledge', CHAT_ACTIONS.pupilPatternAcknowledge, ids, { filled: true }),
          kit.button('Open pupil', CHAT_ACTIONS.pupilOpen, ids, { dialog: true }),
        ]),
      ]),
    ],
  });
}

/** "Open pupil": the child's chronology in a dialog only the DSL who asked sees (getPupilChronology authorised and audited it). */
export function pupilChronologyCard(chronology: ChronologyToShow, timeZone: string = DEFAULT_TIME_ZONE): GoogleCard {
  const text = chronologyText(chronology, timeZone);
  return card({
    title: text.title,
    subtitle: text.subtitle,
    sections: [
      section([
        errorText('For the DSL team only. Do not forward.'),
        text.statuses.length > 0 ? strong(`Protection status: ${text.statuses.join('; ')}`) : undefined,
        text.cases.length === 0 ? paragraph('No cases are linked to this pupil.') : undefined,
      ]),
      ...text.cases.map((entry) => section([...entry.lines.map(paragraph), ...entry.notes.map((note) => fact(note.by, note.text))], entry.heading)),
      section([text.hidden ? paragraph(text.hidden) : undefined]),
    ],
  });
}
