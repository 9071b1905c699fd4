import { CASE_STATUS_LABELS, URGENCY_LABELS } from './format.ts';
import { CARD_HEADER, cardTemplate, executeAction, type CardJson } from './template.ts';
import { CASE_REFRESH } from './verbs.ts';
import type { CaseDetailView } from './views.ts';

interface Section {
  heading: string;
  entries: { text: string; detail: string; hasDetail: boolean }[];
}

interface CaseDetailData {
  caseId: string;
  reference: string;
  isRestricted: boolean;
  isUrgent: boolean;
  summaryFacts: { title: string; value: string }[];
  description: string;
  hasLink: boolean;
  link: string;
  sections: Section[];
  hasOutcome: boolean;
  outcomeSummary: string;
  outcomeBy: string;
}

const caseDetailTemplate = cardTemplate<CaseDetailData>('case detail', {
  ...CARD_HEADER,
  fallbackText: 'Case ${reference}.',
  body: [
    { $when: '${isRestricted}', type: 'TextBlock', text: 'RESTRICTED: for the headteacher and DSL only. Do not forward.', color: 'attention', weight: 'bolder', size: 'small', wrap: true },
    { $when: '${isUrgent}', type: 'TextBlock', text: 'URGENT', color: 'attention', weight: 'bolder', size: 'small', wrap: true },
    { type: 'TextBlock', text: '${reference}', size: 'large', weight: 'bolder', style: 'heading', wrap: true, spacing: 'none' },
    { type: 'FactSet', facts: [{ $data: '${summaryFacts}', title: '${title}', value: '${value}' }] },
    { type: 'TextBlock', text: 'What happened', weight: 'bolder', wrap: true, spacing: 'medium' },
    { type: 'TextBlock', text: '${description}', wrap: true, spacing: 'small' },
    { $when: '${hasLink}', type: 'ActionSet', actions: [{ type: 'Action.OpenUrl', title: 'Open the reported message', url: '${link}' }] },
    {
      $data: '${sections}',
      type: 'Container',
      separator: true,
      spacing: 'medium',
      items: [
        { type: 'TextBlock', text: '${heading}', weight: 'bolder', wrap: true },
        {
          $data: '${entries}',
          type: 'Container',
          spacing: 'small',
          items: [
            { type: 'TextBlock', text: '${text}', wrap: true },
            { $when: '${hasDetail}', type: 'TextBlock', text: '${detail}', wrap: true, isSubtle: true, size: 'small', spacing: 'none' },
          ],
        },
      ],
    },
    {
      $when: '${hasOutcome}',
      type: 'Container',
      style: 'emphasis',
      separator: true,
      spacing: 'medium',
      items: [
        { type: 'TextBlock', text: 'Outcome', weight: 'bolder', wrap: true },
        { type: 'TextBlock', text: '${outcomeSummary}', wrap: true },
        { type: 'TextBlock', text: '${outcomeBy}', wrap: true, isSubtle: true, size: 'small', spacing: 'none' },
      ],
    },
  ],
  actions: [executeAction('Back to the case card', CASE_REFRESH, { caseId: '${caseId}' })],
});

function entry(text: string, detail = ''): Section['entries'][number] {
  return { text, detail, hasDetail: detail.length > 0 };
}

function section(heading: string, entries: Section['entries'], emptyText?: string): Section[] {
  if (entries.length > 0) return [{ heading, entries }];
  return emptyText ? [{ heading, entries: [entry(emptyText)] }] : [];
}

/** "Open case": the whole record, for the DSL roles only. Every value is already in words. */
export function renderCaseDetailCard(view: CaseDetailView): CardJson {
  const types = view.otherType ? [...view.typeLabels, `Other: ${view.otherType}`] : view.typeLabels;
  const summaryFacts = [
    { title: 'Type', value: types.join('; ') },
    { title: 'Urgency', value: `${URGENCY_LABELS[view.urgency]}: ${view.urgencyReason}` },
    { title: 'Status', value: CASE_STATUS_LABELS[view.status] },
    ...(view.acknowledged ? [{ title: 'Picked up by', value: view.acknowledged }] : []),
    { title: 'Assigned to', value: view.assigneeName ?? 'Nobody yet' },
    // A reported email has no place, time or people of its own: those rows would only say "unknown".
    ...(view.fromEmail ? [] : [{ title: 'Where', value: view.location }, { title: 'When', value: view.occurred || 'Not given' }]),
    ...(view.appsInvolved.length > 0 ? [{ title: 'Apps', value: view.appsInvolved.join(', ') }] : []),
    ...(view.url ? [{ title: 'Web address', value: view.url }] : []),
    ...(view.source ? [{ title: 'Reported from', value: view.source.kind }] : []),
    ...(view.protectionStatuses?.length ? [{ title: 'Protection status', value: view.protectionStatuses.join('; ') }] : []),
  ];
  const sections: Section[] = [
    ...section('Children', (view.children ?? []).map((child) => entry(child.name, [child.role, child.flag].filter(Boolean).join('. ')))),
    ...(view.fromEmail && view.involved.length === 0
      ? []
      : section(
          'People involved',
          view.involved.map((person) => entry(`${person.group}: ${person.name}`, person.contact ?? '')),
          'Nobody named.',
        )),
    ...section('Evidence (as described)', view.evidence ? [entry(view.evidence)] : [], 'None described.'),
    ...section(
      'Reported by',
      view.reporters.map((reporter) => entry(reporter.name, `${reporter.at} via ${reporter.channel}`)),
    ),
    ...(view.emails ?? []).flatMap((email) => [
      ...section(`Reported email: ${email.verdict}`, [
        ...(email.subject || email.from ? [entry(email.subject ?? '(no subject)', email.from ? `From ${email.from}` : '')] : []),
        ...(email.withheld ? [entry('Reported as a safeguarding concern: the message and its attachments were not kept. Do not look for it, view, copy or forward it; tell the DSL if you see it again.')] : []),
        ...email.signals.map((signal) => entry(signal.label, `${signal.strength}: ${signal.evidence}`)),
      ]),
      ...section('Attachments (not opened; names and fingerprints only)', email.attachments.map((attachment) => entry(attachment.name, attachment.detail))),
    ]),
    ...section(
      'What later reporters added',
      view.furtherReports.map((report) => entry(report.summary, `${report.reporter}, ${report.at}`)),
    ),
    ...section('Notes', view.notes.map((note) => entry(note.text, `${note.author}, ${note.at}`)), 'No notes yet.'),
    ...section(
      'Protocol steps',
      view.protocolSteps.map((step) => entry(`${step.done ? '✔' : '○'} ${step.label}`, step.done && step.by ? `${step.by}, ${step.at ?? ''}`.replace(/, $/, '') : '')),
    ),
    ...section(
      'Escalations',
      view.escalations.map((escalation) => entry(escalation.reference ? `${escalation.agency} (ref. ${escalation.reference})` : escalation.agency, `${escalation.by}, ${escalation.at}`)),
    ),
    ...section('Actions taken', view.actionsTaken.map((action) => entry(action.action, `${action.by}, ${action.at}`))),
    ...section(
      'Urgency changes',
      view.urgencyChanges.map((change) => entry(`${change.from} to ${change.to}: ${change.reason}`, `${change.by}, ${change.at}`)),
    ),
    ...section('Reopened', view.reopenings.map((reopening) => entry(reopening.reason, `${reopening.by}, ${reopening.at}`))),
  ];
  const link = view.source?.link && /^https:\/\/\S+$/.test(view.source.link) ? view.source.link : '';
  return caseDetailTemplate({
    caseId: view.caseId,
    reference: view.reference,
    isRestricted: view.restricted,
    isUrgent: view.urgency === 'urgent',
    summaryFacts,
    description: view.description,
    hasLink: link.length > 0,
    link,
    sections,
    hasOutcome: Boolean(view.outcome),
    outcomeSummary: view.outcome?.summary ?? '',
    outcomeBy: view.outcome ? `${view.outcome.by}, ${view.outcome.at}` : '',
  });
}
