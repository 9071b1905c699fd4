import { IMMEDIATE_DANGER_GUIDANCE } from '../../../src/domain/safety-guidance.ts';
import { CASE_OPEN, REPORT_START, REPORTS_MINE } from './verbs.ts';
import { CARD_HEADER, cardTemplate, executeAction, executeActionWithBoundData, type CardJson } from './template.ts';
import { DEFAULT_TIME_ZONE, formatWhen, REPORTER_STATUS_LABELS } from './format.ts';
import type { ChannelSetupView, MyReportsView, NotificationView, ReceiptView, RestrictedNoticeView } from './views.ts';

const REPORT_BUTTON = executeAction('Report a concern', REPORT_START, {}, { style: 'positive' });
const MY_REPORTS_BUTTON = executeAction('My reports', REPORTS_MINE, {});

// ---- welcome ------------------------------------------------------------------------------------

const welcomeTemplate = cardTemplate<Record<string, never>>('welcome', {
  ...CARD_HEADER,
  fallbackText: 'DSL Desk: report a safeguarding or online-safety concern to your Designated Safeguarding Lead.',
  body: [
    { type: 'TextBlock', text: 'DSL Desk', size: 'large', weight: 'bolder', style: 'heading', wrap: true },
    { type: 'TextBlock', text: 'Report a safeguarding or online-safety concern about a child straight to the Designated Safeguarding Lead (DSL) team.', wrap: true },
    { type: 'TextBlock', text: 'Only the DSL team sees what you report. Other staff do not, and you can check the status of your reports at any time.', wrap: true, isSubtle: true },
    {
      type: 'Container',
      style: 'attention',
      items: [{ type: 'TextBlock', text: IMMEDIATE_DANGER_GUIDANCE, weight: 'bolder', wrap: true }],
    },
    { type: 'TextBlock', text: 'You can also report a Teams message: open its "..." menu and choose "Report to DSL".', wrap: true, isSubtle: true, size: 'small' },
  ],
  actions: [REPORT_BUTTON, MY_REPORTS_BUTTON],
});

export function renderWelcomeCard(): CardJson {
  return welcomeTemplate({});
}

// ---- receipt ------------------------------------------------------------------------------------

interface ReceiptData {
  reference: string;
  receivedAt: string;
  urgent: boolean;
  joinedExisting: boolean;
}

const receiptTemplate = cardTemplate<ReceiptData>('receipt', {
  ...CARD_HEADER,
  fallbackText: 'Your concern has gone to the DSL. Reference ${reference}.',
  body: [
    { type: 'TextBlock', text: 'Thank you. Your concern has gone to the DSL.', size: 'medium', weight: 'bolder', style: 'heading', wrap: true },
    {
      type: 'FactSet',
      facts: [
        { title: 'Reference', value: '${reference}' },
        { title: 'Received', value: '${receivedAt}' },
      ],
    },
    { $when: '${joinedExisting}', type: 'TextBlock', text: 'Someone had already reported this. Your report has been added to the same case, so the DSL sees both.', wrap: true },
    {
      $when: '${urgent}',
      type: 'Container',
      style: 'attention',
      items: [
        { type: 'TextBlock', text: 'You said a child is at immediate risk, so this is marked urgent.', weight: 'bolder', wrap: true },
        { type: 'TextBlock', text: 'If a child is in immediate danger, call 999 now. Do not wait for the DSL.', wrap: true },
      ],
    },
    { type: 'TextBlock', text: 'What happens next', weight: 'bolder', wrap: true, spacing: 'medium' },
    { type: 'TextBlock', text: '- The DSL team will look at it.\n- You will get a message here when it is picked up, and when it is closed.\n- You will see its status, not the details of what the DSL does.', wrap: true },
    { type: 'TextBlock', text: 'Please do not discuss it with colleagues, and keep any device or evidence as it is unless the DSL tells you otherwise.', wrap: true, isSubtle: true, size: 'small' },
  ],
  actions: [MY_REPORTS_BUTTON],
});

export function renderReceiptCard(view: ReceiptView): CardJson {
  return receiptTemplate({ reference: view.reference, receivedAt: formatWhen(view.receivedAt, view.timeZone ?? DEFAULT_TIME_ZONE), urgent: view.urgent, joinedExisting: view.joinedExisting });
}

// ---- my reports ---------------------------------------------------------------------------------

interface MyReportsData {
  hasReports: boolean;
  isEmpty: boolean;
  reports: { reference: string; status: string; reportedAt: string; updatedAt: string }[];
}

const myReportsTemplate = cardTemplate<MyReportsData>('my reports', {
  ...CARD_HEADER,
  fallbackText: 'Your reports to the DSL and their status.',
  body: [
    { type: 'TextBlock', text: 'My reports', size: 'medium', weight: 'bolder', style: 'heading', wrap: true },
    { $when: '${isEmpty}', type: 'TextBlock', text: 'You have not reported any concerns yet.', wrap: true },
    { $when: '${hasReports}', type: 'TextBlock', text: 'You see the status of each report. The details stay with the DSL team.', wrap: true, isSubtle: true, size: 'small' },
    {
      $data: '${reports}',
      type: 'Container',
      separator: true,
      spacing: 'medium',
      items: [
        { type: 'TextBlock', text: '${reference}', weight: 'bolder', wrap: true },
        { type: 'TextBlock', text: '${status}', wrap: true, spacing: 'none' },
        { type: 'TextBlock', text: 'Reported ${reportedAt}. Last change ${updatedAt}.', isSubtle: true, size: 'small', wrap: true, spacing: 'none' },
      ],
    },
  ],
  actions: [REPORT_BUTTON],
});

export function renderMyReportsCard(view: MyReportsView): CardJson {
  const timeZone = view.timeZone ?? DEFAULT_TIME_ZONE;
  const reports = view.reports.map((report) => ({
    reference: report.reference,
    status: REPORTER_STATUS_LABELS[report.status] ?? report.status,
    reportedAt: formatWhen(report.reportedAt, timeZone),
    updatedAt: formatWhen(report.updatedAt, timeZone),
  }));
  return myReportsTemplate({ hasReports: reports.length > 0, isEmpty: reports.length === 0, reports });
}

// ---- restricted notice (DSL channel) ------------------------------------------------------------

const restrictedNoticeTemplate = cardTemplate<{ reference: string; receivedAt: string }>('restricted notice', {
  ...CARD_HEADER,
  fallbackText: 'A restricted case ${reference} was reported. It is handled by the headteacher.',
  body: [
    {
      type: 'Container',
      style: 'emphasis',
      items: [
        { type: 'TextBlock', text: 'Restricted case', size: 'medium', weight: 'bolder', style: 'heading', wrap: true },
        { type: 'TextBlock', text: 'A restricted case was reported. It is handled by the headteacher, and its details are not shown here.', wrap: true },
      ],
    },
    {
      type: 'FactSet',
      facts: [
        { title: 'Reference', value: '${reference}' },
        { title: 'Received', value: '${receivedAt}' },
      ],
    },
  ],
});

export function renderRestrictedNoticeCard(view: RestrictedNoticeView): CardJson {
  return restrictedNoticeTemplate({ reference: view.reference, receivedAt: formatWhen(view.receivedAt, view.timeZone ?? DEFAULT_TIME_ZONE) });
}

// ---- notification (1:1) -------------------------------------------------------------------------

interface NotificationData {
  title: string;
  lines: string[];
  hasReference: boolean;
  reference: string;
  hasButtons: boolean;
  buttons: { title: string; verb: string; data: { caseId: string }; fallbackData: { verb: string; caseId: string } }[];
}

const notificationTemplate = cardTemplate<NotificationData>('notification', {
  ...CARD_HEADER,
  fallbackText: '${title}',
  body: [
    { type: 'TextBlock', text: '${title}', size: 'medium', weight: 'bolder', style: 'heading', wrap: true },
    { $data: '${lines}', type: 'TextBlock', text: '${$data}', wrap: true },
    { $when: '${hasReference}', type: 'FactSet', facts: [{ title: 'Reference', value: '${reference}' }] },
    {
      $when: '${hasButtons}',
      type: 'ActionSet',
      actions: [{ $data: '${buttons}', ...executeActionWithBoundData('${title}', '${verb}', 'data', 'fallbackData') }],
    },
  ],
});

export function renderNotificationCard(view: NotificationView): CardJson {
  const caseId = view.openCaseId;
  const buttons = caseId
    ? [{ title: 'Open case', verb: CASE_OPEN }, ...(view.caseActions ?? [])].map((button) => ({
        title: button.title,
        verb: button.verb,
        data: { caseId },
        fallbackData: { verb: button.verb, caseId },
      }))
    : [];
  return notificationTemplate({
    title: view.title,
    lines: view.lines.filter((line) => line.trim().length > 0),
    hasReference: Boolean(view.reference),
    reference: view.reference ?? '',
    hasButtons: buttons.length > 0,
    buttons,
  });
}

// ---- channel setup and errors -------------------------------------------------------------------

const channelSetupTemplate = cardTemplate<{ ok: boolean; failed: boolean; message: string }>('channel setup', {
  ...CARD_HEADER,
  fallbackText: '${message}',
  body: [
    { $when: '${ok}', type: 'TextBlock', text: 'This channel now receives cases', size: 'medium', weight: 'bolder', style: 'heading', color: 'good', wrap: true },
    { $when: '${failed}', type: 'TextBlock', text: 'This channel was not set up', size: 'medium', weight: 'bolder', style: 'heading', color: 'attention', wrap: true },
    { type: 'TextBlock', text: '${message}', wrap: true },
  ],
});

export function renderChannelSetupCard(view: ChannelSetupView): CardJson {
  return channelSetupTemplate({ ok: view.ok, failed: !view.ok, message: view.message });
}

const errorTemplate = cardTemplate<{ message: string }>('error', {
  ...CARD_HEADER,
  fallbackText: '${message}',
  body: [
    {
      type: 'Container',
      style: 'attention',
      items: [
        { type: 'TextBlock', text: 'That did not work', weight: 'bolder', wrap: true },
        { type: 'TextBlock', text: '${message}', wrap: true },
      ],
    },
    { type: 'TextBlock', text: 'If a child is in immediate danger, call 999.', wrap: true, isSubtle: true, size: 'small' },
  ],
});

export function renderErrorCard(message: string): CardJson {
  return errorTemplate({ message: message.trim() || 'Something went wrong. Please try again.' });
}
