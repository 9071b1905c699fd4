import { CONFIRMED_VERDICTS, EMAIL_VERDICT_LABELS } from '../../../src/domain/email-report.ts';
import { ESCALATION_AGENCIES, URGENCIES } from '../../../src/domain/incident-types.ts';
import { agencyLabel, CASE_STATUS_LABELS, DEFAULT_TIME_ZONE, formatWhen, incidentTypeLabel, reporterSummary, URGENCY_LABELS } from './format.ts';
import { CARD_HEADER, cardTemplate, executeAction, type CardJson } from './template.ts';
import {
  CASE_ACKNOWLEDGE,
  CASE_ADD_NOTE,
  CASE_ASSIGN,
  CASE_ASSIGN_TO_ME,
  CASE_CHANGE_URGENCY,
  CASE_CLOSE,
  CASE_ESCALATE,
  CASE_INPUTS,
  CASE_OPEN,
  CASE_REFRESH,
  CASE_TICK_STEPS,
  EMAIL_FORWARD,
  EMAIL_REMOVE,
  EMAIL_TELL_REPORTERS,
  EMAIL_FORWARD_NCSC,
  EMAIL_DECIDE_VERDICT,
  stepInputId,
} from './verbs.ts';
import type { ChannelCaseView } from './views.ts';

/** Teams refreshes a card automatically for at most 60 listed users. */
export const MAX_REFRESH_USER_IDS = 60;

interface ChannelCaseData {
  caseId: string;
  reference: string;
  typeLabels: string[];
  headerStyle: 'attention' | 'warning' | 'emphasis';
  isUrgent: boolean;
  facts: { title: string; value: string }[];
  hasDeliveryWarning: boolean;
  deliveryWarning: string;
  showWorkingActions: boolean;
  showAcknowledge: boolean;
  showAssignToMe: boolean;
  hasAssignChoices: boolean;
  hasNoAssignChoices: boolean;
  assignChoices: { title: string; value: string }[];
  showClosedActions: boolean;
  showRefresh: boolean;
  showEmailActions: boolean;
  verdict: string;
  verdictChoices: { title: string; value: string }[];
  hasEmailSignals: boolean;
  emailSignals: string[];
  hasSteps: boolean;
  hasNoSteps: boolean;
  steps: { id: string; label: string; value: 'true' | 'false' }[];
  agencyChoices: { title: string; value: string }[];
  urgency: string;
  urgencyChoices: { title: string; value: string }[];
  refreshUserIds: string[];
}

const caseData = { caseId: '${caseId}' };
const saveButton = (title: string, verb: string): Record<string, unknown> => executeAction(title, verb, caseData, { style: 'positive', associatedInputs: 'auto' });

const noteCard = {
  type: 'AdaptiveCard',
  body: [
    {
      type: 'Input.Text',
      id: CASE_INPUTS.note,
      label: 'Note for the case record',
      isMultiline: true,
      isRequired: true,
      errorMessage: 'Write the note before saving it.',
      maxLength: 20000,
    },
  ],
  actions: [saveButton('Save note', CASE_ADD_NOTE)],
};

const stepsCard = {
  type: 'AdaptiveCard',
  body: [
    { $when: '${hasSteps}', type: 'TextBlock', text: 'Turn on each step that is done, then save.', wrap: true, size: 'small', isSubtle: true },
    { $when: '${hasNoSteps}', type: 'TextBlock', text: 'There is no checklist for this case.', wrap: true },
    { $data: '${steps}', type: 'Input.Toggle', id: '${id}', title: '${label}', value: '${value}', valueOn: 'true', valueOff: 'false', wrap: true },
  ],
  actions: [{ $when: '${hasSteps}', ...saveButton('Save steps', CASE_TICK_STEPS) }],
};

const escalateCard = {
  type: 'AdaptiveCard',
  body: [
    {
      type: 'Input.ChoiceSet',
      id: CASE_INPUTS.agency,
      label: 'Escalated to',
      style: 'compact',
      isRequired: true,
      errorMessage: 'Choose who the case was escalated to.',
      placeholder: 'Choose an agency',
      choices: [{ $data: '${agencyChoices}', title: '${title}', value: '${value}' }],
    },
    { type: 'Input.Text', id: CASE_INPUTS.agencyReference, label: 'Their reference, if they gave one', maxLength: 200 },
  ],
  actions: [saveButton('Record escalation', CASE_ESCALATE)],
};

const urgencyCard = {
  type: 'AdaptiveCard',
  body: [
    {
      type: 'Input.ChoiceSet',
      id: CASE_INPUTS.urgency,
      label: 'New urgency',
      style: 'compact',
      isRequired: true,
      errorMessage: 'Choose the new urgency.',
      value: '${urgency}',
      choices: [{ $data: '${urgencyChoices}', title: '${title}', value: '${value}' }],
    },
    { type: 'Input.Text', id: CASE_INPUTS.urgencyReason, label: 'Why is it changing?', isRequired: true, errorMessage: 'Say why the urgency is changing.', maxLength: 500 },
  ],
  actions: [saveButton('Change urgency', CASE_CHANGE_URGENCY)],
};

const closeCard = {
  type: 'AdaptiveCard',
  body: [
    {
      type: 'Input.Text',
      id: CASE_INPUTS.outcome,
      label: 'Outcome: summarise the investigation and what was decided',
      isMultiline: true,
      isRequired: true,
      errorMessage: 'Summarise the investigation and outcome before closing.',
      maxLength: 5000,
    },
  ],
  actions: [saveButton('Close case', CASE_CLOSE)],
};

/** The analysis only suggests: a DSL or IT decides the verdict, with a reason, before reporters are told. */
const verdictCard = {
  type: 'AdaptiveCard',
  body: [
    {
      type: 'Input.ChoiceSet',
      id: CASE_INPUTS.verdict,
      label: 'Verdict',
      style: 'compact',
      isRequired: true,
      errorMessage: 'Choose the verdict.',
      value: '${verdict}',
      choices: [{ $data: '${verdictChoices}', title: '${title}', value: '${value}' }],
    },
    { type: 'Input.Text', id: CASE_INPUTS.verdictReason, label: 'Why? (confirming or changing the suggestion)', isRequired: true, errorMessage: 'Say why you confirm or change the verdict.', maxLength: 500 },
  ],
  actions: [saveButton('Decide verdict', EMAIL_DECIDE_VERDICT)],
};

const urgencyOrCloseCard = {
  type: 'AdaptiveCard',
  body: [],
  actions: [
    { type: 'Action.ShowCard', title: 'Change urgency', card: urgencyCard },
    { type: 'Action.ShowCard', title: 'Close with outcome', card: closeCard },
  ],
};

const assignCard = {
  type: 'AdaptiveCard',
  body: [
    {
      $when: '${hasAssignChoices}',
      type: 'Input.ChoiceSet',
      id: CASE_INPUTS.assignee,
      label: 'Assign to',
      style: 'compact',
      isRequired: true,
      errorMessage: 'Choose who should have the case.',
      placeholder: 'Choose a DSL or deputy',
      choices: [{ $data: '${assignChoices}', title: '${title}', value: '${value}' }],
    },
    { $when: '${hasNoAssignChoices}', type: 'TextBlock', text: 'Nobody else in DSL Desk can be given this case.', wrap: true },
  ],
  actions: [{ $when: '${hasAssignChoices}', ...saveButton('Assign', CASE_ASSIGN) }],
};

const openCaseButton = executeAction('Open case', CASE_OPEN, caseData);

const channelCaseTemplate = cardTemplate<ChannelCaseData>('channel case', {
  ...CARD_HEADER,
  fallbackText: 'Case ${reference}. Open DSL Desk to see it.',
  refresh: {
    action: { type: 'Action.Execute', verb: CASE_REFRESH, data: caseData },
    userIds: '${refreshUserIds}',
  },
  body: [
    {
      type: 'Container',
      style: '${headerStyle}',
      bleed: true,
      items: [
        { $when: '${isUrgent}', type: 'TextBlock', text: 'URGENT', color: 'attention', weight: 'bolder', size: 'small', wrap: true },
        { type: 'TextBlock', text: '${reference}', size: 'large', weight: 'bolder', style: 'heading', wrap: true, spacing: 'none' },
        { $data: '${typeLabels}', type: 'TextBlock', text: '${$data}', wrap: true, spacing: 'none' },
      ],
    },
    { type: 'FactSet', facts: [{ $data: '${facts}', title: '${title}', value: '${value}' }] },
    { $when: '${hasEmailSignals}', type: 'TextBlock', text: 'Strongest signs', weight: 'bolder', size: 'small', wrap: true },
    { $data: '${emailSignals}', type: 'TextBlock', text: '• ${$data}', size: 'small', wrap: true, spacing: 'none' },
    { $when: '${hasDeliveryWarning}', type: 'TextBlock', text: '${deliveryWarning}', color: 'warning', wrap: true, size: 'small' },
    {
      $when: '${showWorkingActions}',
      type: 'ActionSet',
      actions: [
        { $when: '${showAcknowledge}', ...executeAction('Acknowledge', CASE_ACKNOWLEDGE, caseData, { style: 'positive' }) },
        { $when: '${showAssignToMe}', ...executeAction('Assign to me', CASE_ASSIGN_TO_ME, caseData) },
        openCaseButton,
      ],
    },
    {
      // Every form in one set: opening one closes the others, so only one form is open at a time. Five at
      // most (what renderers show by default; Teams allows six), so the set still fits a phone; the two
      // rarer forms sit one level down, in a set of their own inside "Urgency or close".
      $when: '${showWorkingActions}',
      type: 'ActionSet',
      actions: [
        { type: 'Action.ShowCard', title: 'Add note', card: noteCard },
        { type: 'Action.ShowCard', title: 'Protocol steps', card: stepsCard },
        { type: 'Action.ShowCard', title: 'Escalate', card: escalateCard },
        { type: 'Action.ShowCard', title: 'Assign to…', card: assignCard },
        { type: 'Action.ShowCard', title: 'Urgency or close', card: urgencyOrCloseCard },
      ],
    },
    {
      $when: '${showEmailActions}',
      type: 'ActionSet',
      actions: [
        { type: 'Action.ShowCard', title: 'Decide verdict', card: verdictCard },
        executeAction('Tell reporters', EMAIL_TELL_REPORTERS, caseData),
        executeAction('Remove from all mailboxes', EMAIL_REMOVE, caseData),
        executeAction('Forward to IT security', EMAIL_FORWARD, caseData),
        executeAction('Forward to the NCSC', EMAIL_FORWARD_NCSC, caseData),
      ],
    },
    { $when: '${showClosedActions}', type: 'ActionSet', actions: [openCaseButton] },
    {
      // For clients that do not fetch per-person views by themselves (older and some mobile clients): the
      // button asks for this person's view, which has the DSL buttons only if our records say they may act.
      $when: '${showRefresh}',
      type: 'ActionSet',
      actions: [executeAction('Show my options', CASE_REFRESH, caseData)],
    },
  ],
});

/**
 * How far the case has got, in facts that may sit in the channel: steps done of the checklist, who it was
 * escalated to (and whether their reference was recorded, never the reference), and the last thing done
 * with who and when. Nothing that was written (notes, outcome, the concern) is read.
 */
function progressFacts(view: ChannelCaseView, timeZone: string): { title: string; value: string }[] {
  const facts: { title: string; value: string }[] = [];
  const steps = view.protocolSteps;
  if (steps.length > 0) facts.push({ title: 'Protocol steps', value: `${steps.filter((step) => step.done).length} of ${steps.length} done` });
  const escalations = view.escalations ?? [];
  if (escalations.length > 0) {
    facts.push({
      title: 'Escalated to',
      value: escalations.map((escalation) => `${agencyLabel(escalation.agency)} (${escalation.hasReference ? 'reference recorded' : 'no reference yet'})`).join('; '),
    });
  }
  if (view.lastActivity) {
    const { label, byName, at } = view.lastActivity;
    facts.push({ title: 'Last action', value: `${label}${byName ? ` by ${byName}` : ''}, ${formatWhen(at, timeZone)}` });
  }
  return facts;
}

const AGENCY_CHOICES = ESCALATION_AGENCIES.map((agency) => ({ title: agency.label, value: agency.code }));
const VERDICT_CHOICES = CONFIRMED_VERDICTS.map((verdict) => ({ title: EMAIL_VERDICT_LABELS[verdict], value: verdict }));
const URGENCY_CHOICES = URGENCIES.map((urgency) => ({ title: URGENCY_LABELS[urgency], value: urgency }));

/**
 * The DSL channel's card. It shows only what may sit in a channel: the reference, the type labels
 * (never the reporter's "other" wording), urgency, when it came in, who reported it, who has it, and how
 * far it has got (see progressFacts).
 * Buttons appear only on a rendering for someone who may act; everyone in the channel sees the rest.
 */
export function renderChannelCaseCard(view: ChannelCaseView): CardJson {
  const timeZone = view.timeZone ?? DEFAULT_TIME_ZONE;
  const facts = [
    { title: 'Urgency', value: URGENCY_LABELS[view.urgency] },
    { title: 'Received', value: formatWhen(view.receivedAt, timeZone) },
    { title: 'Reported by', value: reporterSummary(view.reporterName, view.reporterCount) },
    { title: 'Status', value: CASE_STATUS_LABELS[view.status] },
    ...(view.email ? [{ title: 'Email verdict', value: view.email.verdictLabel }] : []),
    ...(view.email?.removal ? [{ title: 'Every mailbox', value: view.email.removal }] : []),
    ...(view.acknowledgedByName ? [{ title: 'Picked up by', value: view.acknowledgedByName }] : []),
    { title: 'Assigned to', value: view.assigneeName ?? 'Nobody yet' },
    ...progressFacts(view, timeZone),
    ...(view.pupils && view.pupils.children > 0
      ? [{ title: 'Children', value: `${view.pupils.children}${view.pupils.toLink > 0 ? ` (${view.pupils.toLink} typed, to link)` : ''}` }]
      : []),
    ...(view.pupils?.protectionStatuses.length ? [{ title: 'Protection status', value: view.pupils.protectionStatuses.join('; ') }] : []),
  ];
  const working = view.forDsl && !view.closed;
  const assignChoices = working ? (view.assignable ?? []).map((person) => ({ title: `${person.displayName} (${person.roleLabel})`, value: person.personId })) : [];
  return channelCaseTemplate({
    caseId: view.caseId,
    reference: view.reference,
    typeLabels: view.types.map(incidentTypeLabel),
    headerStyle: view.urgency === 'urgent' ? 'attention' : view.urgency === 'high' ? 'warning' : 'emphasis',
    isUrgent: view.urgency === 'urgent',
    facts,
    showEmailActions: Boolean(view.forDsl && view.email),
    verdict: view.email?.verdict ?? '',
    verdictChoices: VERDICT_CHOICES,
    hasEmailSignals: Boolean(view.email?.signals.length),
    emailSignals: view.email?.signals ?? [],
    hasDeliveryWarning: Boolean(view.deliveryWarning?.trim()),
    deliveryWarning: view.deliveryWarning?.trim() ?? '',
    showWorkingActions: working,
    showAcknowledge: working && view.status === 'new' && !view.acknowledgedByName,
    showAssignToMe: working && !view.viewerIsAssignee,
    hasAssignChoices: assignChoices.length > 0,
    hasNoAssignChoices: assignChoices.length === 0,
    assignChoices,
    showClosedActions: view.forDsl && view.closed,
    showRefresh: !view.forDsl,
    hasSteps: view.protocolSteps.length > 0,
    hasNoSteps: view.protocolSteps.length === 0,
    steps: view.protocolSteps.map((step) => ({ id: stepInputId(step.key), label: step.label, value: step.done ? 'true' : 'false' })),
    agencyChoices: AGENCY_CHOICES,
    urgency: view.urgency,
    urgencyChoices: URGENCY_CHOICES,
    refreshUserIds: [...new Set(view.refreshUserIds)].slice(0, MAX_REFRESH_USER_IDS),
  });
}
