import { IMMEDIATE_DANGER_GUIDANCE } from '../../../src/domain/safety-guidance.ts';
import { incidentTypesForReporters } from '../../../src/domain/incident-types.ts';
import { CHILD_PICKERS, CONCERN_FORM_INPUT_IDS, FORM_LEVEL_ERROR, INVOLVED_LINE_HELP, NO_CHILD, NOT_ABOUT_STAFF, PUPIL_DATASET, STAFF_DATASET, type ConcernFormInputId } from './concern-form.ts';
import { DEFAULT_TIME_ZONE, formatWhen, LOCATION_LABELS } from './format.ts';
import { CARD_HEADER, cardTemplate, executeActionWithBoundData, type CardJson } from './template.ts';
import { REPORT_SUBMIT } from './verbs.ts';
import type { ConcernFormView } from './views.ts';

interface FieldData {
  value: string;
  hasError: boolean;
  error: string;
}

interface ConcernFormData {
  fields: Record<ConcernFormInputId, FieldData>;
  typeChoices: { title: string; value: string }[];
  subjectChoices: { title: string; value: string }[];
  /** The children already picked in each pupil search, so the box shows their names, not ids. */
  pickedChildren: Record<(typeof CHILD_PICKERS)[number]['input'], { title: string; value: string }[]>;
  locationChoices: { title: string; value: string }[];
  hasFormMessage: boolean;
  formMessage: string;
  hasPrefill: boolean;
  prefillText: string;
  hasPrefillLink: boolean;
  prefillLink: string;
  submitData: Record<string, string>;
  submitFallbackData: Record<string, string>;
  hasSchoolChoices: boolean;
  schoolChoices: { title: string; value: string }[];
  schoolValue: string;
  hasSchoolError: boolean;
  schoolError: string;
}

/** A pupil search: several children may be picked; what is typed is answered by the bot from the register. */
function pupilPicker(label: string, input: (typeof CHILD_PICKERS)[number]['input']): Record<string, unknown> {
  return {
    type: 'Input.ChoiceSet',
    label,
    placeholder: 'Type a child’s name',
    style: 'filtered',
    isMultiSelect: true,
    choices: [{ $data: `\${pickedChildren.${input}}`, title: '${title}', value: '${value}' }],
    'choices.data': { type: 'Data.Query', dataset: PUPIL_DATASET, count: 15 },
  };
}

/** The server's message for an input, in red right under it (the client's own checks use errorMessage). */
function fieldError(id: ConcernFormInputId): Record<string, unknown> {
  return { $when: `\${fields.${id}.hasError}`, type: 'TextBlock', text: `\${fields.${id}.error}`, color: 'attention', wrap: true, spacing: 'none', size: 'small' };
}

function withError(id: ConcernFormInputId, input: Record<string, unknown>): Record<string, unknown>[] {
  return [{ ...input, id, value: `\${fields.${id}.value}` }, fieldError(id)];
}

const concernFormTemplate = cardTemplate<ConcernFormData>('concern form', {
  ...CARD_HEADER,
  fallbackText: 'Report a concern to the DSL. Your Teams app cannot show this form: tell the DSL in person.',
  body: [
    { type: 'TextBlock', text: 'Report a concern to the DSL', size: 'large', weight: 'bolder', style: 'heading', wrap: true },
    { type: 'TextBlock', text: 'Only the DSL team sees this report. Write what you saw or were told, in the words used.', wrap: true, isSubtle: true },
    {
      $when: '${hasFormMessage}',
      type: 'Container',
      style: 'attention',
      items: [{ type: 'TextBlock', text: '${formMessage}', color: 'attention', weight: 'bolder', wrap: true }],
    },
    // Someone in two schools of a trust (peripatetic staff, a trust DSL) says which school the report is for.
    {
      $when: '${hasSchoolChoices}',
      type: 'Input.ChoiceSet',
      id: 'school',
      label: 'Which school is this report for?',
      style: 'expanded',
      isRequired: true,
      errorMessage: 'Choose the school this report is for.',
      value: '${schoolValue}',
      choices: [{ $data: '${schoolChoices}', title: '${title}', value: '${value}' }],
    },
    { $when: '${hasSchoolError}', type: 'TextBlock', text: '${schoolError}', color: 'attention', wrap: true, spacing: 'none', size: 'small' },
    // The most urgent choice first: on a phone the form is several screens long.
    {
      type: 'Container',
      style: 'attention',
      items: [
        { type: 'TextBlock', text: IMMEDIATE_DANGER_GUIDANCE, weight: 'bolder', wrap: true },
        ...withError('childAtImmediateRisk', {
          type: 'Input.Toggle',
          label: 'Is a child at immediate risk? Turning this on marks the case urgent.',
          title: 'Yes, a child is at immediate risk',
          valueOn: 'true',
          valueOff: 'false',
          wrap: true,
        }),
      ],
    },
    {
      $when: '${hasPrefill}',
      type: 'Container',
      style: 'emphasis',
      items: [
        { type: 'TextBlock', text: '${prefillText}', wrap: true },
        { $when: '${hasPrefillLink}', type: 'ActionSet', actions: [{ type: 'Action.OpenUrl', title: 'Open the message', url: '${prefillLink}' }] },
      ],
    },
    ...withError('types', {
      type: 'Input.ChoiceSet',
      label: 'What kind of incident? (choose all that apply)',
      isMultiSelect: true,
      style: 'compact',
      isRequired: true,
      errorMessage: 'Choose at least one incident type.',
      placeholder: 'Choose incident types',
      choices: [{ $data: '${typeChoices}', title: '${title}', value: '${value}' }],
    }),
    ...withError('otherType', {
      type: 'Input.Text',
      label: 'If you chose "Other", say what kind of incident',
      maxLength: 200,
    }),
    ...withError('description', {
      type: 'Input.Text',
      label: 'What happened? What, when, where and how',
      isMultiline: true,
      isRequired: true,
      errorMessage: 'Describe what happened: what, when, where and how.',
      maxLength: 20000,
    }),
    ...withError('location', {
      type: 'Input.ChoiceSet',
      label: 'Where did it happen?',
      style: 'compact',
      placeholder: 'Choose where',
      choices: [{ $data: '${locationChoices}', title: '${title}', value: '${value}' }],
    }),
    ...withError('occurredDate', { type: 'Input.Date', label: 'Date it happened' }),
    ...withError('occurredTime', { type: 'Input.Time', label: 'Time it happened (if you know)' }),
    ...withError('ongoing', { type: 'Input.Toggle', title: 'It is still happening', valueOn: 'true', valueOff: 'false' }),
    // The children, from the school's register (an application/search invoke answered with names, year and
    // class only). One search per role rather than a role beside each child: Adaptive Cards cannot add a row per
    // pick, and three full-width boxes read well on a phone.
    ...withError('childIds', pupilPicker('Which child is it about? Search by name', 'childIds')),
    ...withError('otherChildIds', pupilPicker('Other children involved (if any)', 'otherChildIds')),
    ...withError('witnessChildIds', pupilPicker('Children who saw or heard it (if any)', 'witnessChildIds')),
    ...withError('childNames', {
      type: 'Input.Text',
      label: 'Child not in the list? Type their name (one per line)',
      isMultiline: true,
      maxLength: 2000,
      placeholder: 'e.g. Sam Green (Year 5)',
    }),
    ...withError('involved', {
      type: 'Input.Text',
      label: 'People involved',
      isMultiline: true,
      placeholder: INVOLVED_LINE_HELP,
    }),
    // An allegation about staff: the reporter names the person through a search of our own people records
    // (an application/search invoke), so the case is restricted and never shown to them.
    ...withError('subjectPersonId', {
      type: 'Input.ChoiceSet',
      label: 'Is this about a member of staff? Search for them by name',
      placeholder: 'Type a name (leave empty if not about staff)',
      style: 'filtered',
      choices: [{ $data: '${subjectChoices}', title: '${title}', value: '${value}' }],
      'choices.data': { type: 'Data.Query', dataset: STAFF_DATASET, count: 15 },
    }),
    {
      type: 'TextBlock',
      text: 'Only the DSLs and the headteacher see a report about a member of staff, and never the person it is about. About the headteacher: the chair of governors sees it instead.',
      wrap: true,
      isSubtle: true,
      size: 'small',
      spacing: 'none',
    },
    ...withError('appsInvolved', {
      type: 'Input.Text',
      label: 'Apps or websites involved (separate with commas)',
      placeholder: 'e.g. Snapchat, WhatsApp',
    }),
    { type: 'TextBlock', text: 'Evidence: describe it, do not attach it', weight: 'bolder', wrap: true, spacing: 'medium' },
    { type: 'TextBlock', text: 'Say what the evidence is, where it is (device, app, account) and who has it now. Leave devices as they are.', wrap: true, isSubtle: true, spacing: 'none' },
    {
      type: 'Container',
      style: 'attention',
      items: [
        {
          type: 'TextBlock',
          text: 'Nudes, semi-nudes or child-abuse images: never view, copy, print, save or forward the image, not even to the DSL. Tell the DSL at once.',
          weight: 'bolder',
          wrap: true,
        },
      ],
    },
    ...withError('evidence', {
      type: 'Input.Text',
      label: 'Evidence (a description)',
      isMultiline: true,
      maxLength: 5000,
    }),
    ...withError('url', {
      type: 'Input.Text',
      label: 'Web address, if a website is involved',
      style: 'url',
      maxLength: 2000,
    }),
  ],
  actions: [executeActionWithBoundData('Send to the DSL', REPORT_SUBMIT, 'submitData', 'submitFallbackData', { style: 'positive', associatedInputs: 'auto' })],
});

/**
 * A Teams ChoiceSet has no option groups, so the grouping is in the order (the domain's groups, most urgent
 * first, "Other" last) and in each title's first word ("Contact: Grooming"). One multi-select list, not one per
 * group: a concern often spans groups (grooming and nudes), stays one input to fill, check and give back on
 * an error, and takes one row on a phone instead of six.
 */
const TYPE_CHOICES = incidentTypesForReporters().map(({ type, group }) => ({ title: group.code === 'other' ? type.label : `${group.label}: ${type.label}`, value: type.code }));
const LOCATION_CHOICES = Object.entries(LOCATION_LABELS).map(([value, title]) => ({ title, value }));
const TOGGLES: readonly ConcernFormInputId[] = ['ongoing', 'childAtImmediateRisk'];

function prefillText(prefill: NonNullable<ConcernFormView['prefill']>, timeZone: string): string {
  const from = prefill.senderName?.trim() ? ` from ${prefill.senderName.trim()}` : '';
  const sent = prefill.sentAt ? ` sent ${formatWhen(prefill.sentAt, timeZone)}` : '';
  return `Reporting a message${from}${sent}. The message goes with your report, so you do not need to copy it here.`;
}

/** Only https links are offered: the link comes from the message payload, and the card opens it. */
function safeLink(link: string | undefined): string {
  return link && /^https:\/\/\S+$/.test(link) ? link : '';
}

export function renderConcernForm(view: ConcernFormView): CardJson {
  const timeZone = view.timeZone ?? DEFAULT_TIME_ZONE;
  const fields = Object.fromEntries(
    CONCERN_FORM_INPUT_IDS.map((id) => {
      const raw = view.values[id] ?? '';
      const value = TOGGLES.includes(id) ? (raw === 'true' ? 'true' : 'false') : raw;
      const error = view.errors[id] ?? '';
      return [id, { value, hasError: error.length > 0, error }];
    }),
  ) as Record<ConcernFormInputId, FieldData>;
  const unplaced = Object.entries(view.errors)
    .filter(([id]) => !(CONCERN_FORM_INPUT_IDS as readonly string[]).includes(id) || id === FORM_LEVEL_ERROR)
    .map(([, message]) => message);
  const formMessage = [view.formMessage, ...unplaced].filter((text): text is string => Boolean(text?.trim())).join(' ');
  const submitData: Record<string, string> = { formId: view.formId, ...(view.prefill ? { sourceToken: view.prefill.sourceToken } : {}) };
  const link = safeLink(view.prefill?.link);
  const card = concernFormTemplate({
    fields,
    typeChoices: TYPE_CHOICES,
    // A value only shows as a name when it is one of the static choices: the chosen person comes back with it.
    subjectChoices: [
      { title: 'No: not about a member of staff', value: NOT_ABOUT_STAFF },
      ...(view.subjectChoice && fields.subjectPersonId.value === view.subjectChoice.value ? [view.subjectChoice] : []),
    ],
    pickedChildren: Object.fromEntries(
      CHILD_PICKERS.map(({ input, noneLabel }) => {
        const ids = fields[input].value.split(',').filter(Boolean);
        const offered = (view.childChoices ?? []).filter((choice) => view.listChildren || ids.includes(choice.value));
        return [input, [{ title: noneLabel, value: NO_CHILD }, ...offered]];
      }),
    ) as ConcernFormData['pickedChildren'],
    locationChoices: LOCATION_CHOICES,
    hasFormMessage: formMessage.length > 0,
    formMessage,
    hasPrefill: Boolean(view.prefill),
    prefillText: view.prefill ? prefillText(view.prefill, timeZone) : '',
    hasPrefillLink: link.length > 0,
    prefillLink: link,
    submitData,
    submitFallbackData: { verb: REPORT_SUBMIT, ...submitData },
    hasSchoolChoices: (view.school?.choices.length ?? 0) > 1,
    schoolChoices: view.school?.choices ?? [],
    schoolValue: view.school?.value ?? '',
    hasSchoolError: Boolean(view.school?.error),
    schoolError: view.school?.error ?? '',
  });
  return view.listChildren ? withListedChildren(card) : card;
}

/**
 * The sandbox's form (see ConcernFormView.listChildren): the child lists without their search, so a client without
 * typeahead (the Agents Playground) shows the listed pupils as plain choices.
 */
function withListedChildren(card: CardJson): CardJson {
  const pickers = new Set<string>(CHILD_PICKERS.map((picker) => picker.input));
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (!node || typeof node !== 'object') return node;
    const object = node as Record<string, unknown>;
    if (object.type === 'Input.ChoiceSet' && typeof object.id === 'string' && pickers.has(object.id)) {
      const { 'choices.data': _search, ...rest } = object;
      return { ...rest, placeholder: 'Choose a child' };
    }
    return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, strip(value)]));
  };
  return strip(card) as CardJson;
}
