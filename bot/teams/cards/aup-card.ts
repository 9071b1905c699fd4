import { AUP_AUDIENCE_LABELS, type AupAudience, type AupPolicyVersion } from '../../../src/domain/aup.ts';
import { policySummary } from '../../../src/domain/aup-summary.ts';
import { DEFAULT_TIME_ZONE, formatWhen } from './format.ts';
import { CARD_HEADER, cardTemplate, executeAction, type CardJson } from './template.ts';
import { AUP_INPUTS, AUP_SIGN } from './verbs.ts';

/** The policy version a card offers for signing: what the person reads, and what their signature will refer to. */
export interface AupPolicyView {
  policyId: string;
  title: string;
  audience: AupAudience;
  version: number;
  /** YYYY-MM-DD. */
  effectiveDate: string;
  sha256: string;
  /** The policy text; the card shows only its first plain paragraph. */
  markdown: string;
  /** The words the person agrees to by ticking the box. */
  acknowledgementWording: string;
  /** The policy's read-only page ("Read the full policy"). */
  policyUrl: string;
}

export interface AupCardView extends AupPolicyView {
  /** A reminder says so at the top; `signBefore` (YYYY-MM-DD) is the person's start date, when there is one. */
  reminder?: { signBefore?: string };
  /** Why the card came back: what to fix, or that a newer version replaced the one they tried to sign. */
  notice?: string;
  /** What they had entered, kept when the card comes back. */
  values?: { agreed?: boolean; typedName?: string };
  /** The server's message by each input. */
  errors?: { agreed?: string; typedName?: string };
}

export interface AupSignedView {
  title: string;
  version: number;
  sha256: string;
  /** ISO instant (server UTC); shown in the school's time zone. */
  signedAt: string;
  typedName: string;
  wording: string;
  policyUrl: string;
  timeZone?: string;
}

export const DEFAULT_ACKNOWLEDGEMENT_WORDING = 'I have read and agree to follow this policy';
const DAY_FORMAT = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

interface HashData {
  hashShort: string;
  hashFull: string;
}

interface AupCardData extends HashData {
  policyId: string;
  title: string;
  facts: { title: string; value: string }[];
  hasSummary: boolean;
  summary: string;
  policyUrl: string;
  wording: string;
  agreedValue: string;
  typedName: string;
  hasReminder: boolean;
  reminderText: string;
  hasNotice: boolean;
  notice: string;
  hasAgreedError: boolean;
  agreedError: string;
  hasNameError: boolean;
  nameError: string;
}

interface AupSignedData extends HashData {
  title: string;
  signedLine: string;
  typedName: string;
  wording: string;
  policyUrl: string;
}

/** The fingerprint in short, and in full behind a button: the short form is enough to compare by eye. */
const hashBlock = [
  { type: 'FactSet', facts: [{ title: 'SHA-256', value: '${hashShort}' }], spacing: 'medium' },
  {
    type: 'ActionSet',
    spacing: 'none',
    actions: [
      {
        type: 'Action.ShowCard',
        title: 'Show the full SHA-256',
        card: {
          type: 'AdaptiveCard',
          body: [
            { type: 'TextBlock', text: 'The SHA-256 fingerprint of this exact version. Any change to the wording gives a different fingerprint.', wrap: true, isSubtle: true, size: 'small' },
            { type: 'TextBlock', text: '${hashFull}', wrap: true, fontType: 'monospace', size: 'small' },
          ],
        },
      },
    ],
  },
];

const aupTemplate = cardTemplate<AupCardData>('policy', {
  ...CARD_HEADER,
  fallbackText: 'Please read and sign "${title}". Your Teams app cannot show this card: ask the school office for a signing link.',
  body: [
    { $when: '${hasReminder}', type: 'Container', style: 'warning', items: [{ type: 'TextBlock', text: '${reminderText}', weight: 'bolder', wrap: true }] },
    { $when: '${hasNotice}', type: 'Container', style: 'attention', items: [{ type: 'TextBlock', text: '${notice}', color: 'attention', weight: 'bolder', wrap: true }] },
    { type: 'TextBlock', text: '${title}', size: 'large', weight: 'bolder', style: 'heading', wrap: true },
    { type: 'TextBlock', text: 'Please read this policy and sign to say you agree to follow it.', wrap: true, isSubtle: true, spacing: 'none' },
    { type: 'FactSet', facts: [{ $data: '${facts}', title: '${title}', value: '${value}' }] },
    { $when: '${hasSummary}', type: 'TextBlock', text: '${summary}', wrap: true },
    { type: 'ActionSet', actions: [{ type: 'Action.OpenUrl', title: 'Read the full policy', url: '${policyUrl}' }] },
    ...hashBlock,
    {
      type: 'Input.Toggle',
      id: AUP_INPUTS.agreed,
      label: 'Your agreement',
      title: '${wording}',
      valueOn: 'true',
      valueOff: 'false',
      value: '${agreedValue}',
      isRequired: true,
      errorMessage: 'Tick the box to agree before you sign.',
      wrap: true,
      spacing: 'medium',
    },
    { $when: '${hasAgreedError}', type: 'TextBlock', text: '${agreedError}', color: 'attention', wrap: true, spacing: 'none', size: 'small' },
    {
      type: 'Input.Text',
      id: AUP_INPUTS.typedName,
      label: 'Type your full name',
      value: '${typedName}',
      maxLength: 200,
      isRequired: true,
      errorMessage: 'Type your full name to sign.',
    },
    { $when: '${hasNameError}', type: 'TextBlock', text: '${nameError}', color: 'attention', wrap: true, spacing: 'none', size: 'small' },
    { type: 'TextBlock', text: 'Signing records your name, this version and the time. The school keeps the record.', wrap: true, isSubtle: true, size: 'small' },
  ],
  actions: [executeAction('Sign', AUP_SIGN, { policyId: '${policyId}' }, { style: 'positive', associatedInputs: 'auto' })],
});

const aupSignedTemplate = cardTemplate<AupSignedData>('signed policy', {
  ...CARD_HEADER,
  fallbackText: '${signedLine}',
  body: [
    { type: 'TextBlock', text: '${title}', size: 'medium', weight: 'bolder', style: 'heading', wrap: true },
    { type: 'Container', style: 'good', items: [{ type: 'TextBlock', text: '${signedLine}', weight: 'bolder', wrap: true }] },
    {
      type: 'FactSet',
      facts: [
        { title: 'Name typed', value: '${typedName}' },
        { title: 'You agreed', value: '${wording}' },
      ],
    },
    ...hashBlock,
    { type: 'ActionSet', actions: [{ type: 'Action.OpenUrl', title: 'Read the full policy', url: '${policyUrl}' }] },
    { type: 'TextBlock', text: 'Thank you. The school keeps this record; ask the office if you need a copy.', wrap: true, isSubtle: true, size: 'small' },
  ],
});

/** A stored policy version as the card shows it, with the address of its read-only page. */
export function aupPolicyViewOf(
  policy: Pick<AupPolicyVersion, 'id' | 'title' | 'audience' | 'version' | 'effectiveDate' | 'sha256' | 'markdown' | 'acknowledgementWording'>,
  policyUrl: string,
): AupPolicyView {
  return {
    policyId: policy.id,
    title: policy.title,
    audience: policy.audience,
    version: policy.version,
    effectiveDate: policy.effectiveDate,
    sha256: policy.sha256,
    markdown: policy.markdown,
    acknowledgementWording: policy.acknowledgementWording,
    policyUrl,
  };
}

/** The card that asks a person to read and sign a policy (also its reminder, and its return with a message). */
export function renderAupCard(view: AupCardView): CardJson {
  const summary = policySummary(view.markdown);
  const agreedError = view.errors?.agreed?.trim() ?? '';
  const nameError = view.errors?.typedName?.trim() ?? '';
  const notice = view.notice?.trim() ?? '';
  return aupTemplate({
    policyId: view.policyId,
    title: view.title,
    facts: [
      { title: 'For', value: AUP_AUDIENCE_LABELS[view.audience] },
      { title: 'Version', value: String(view.version) },
      { title: 'In force from', value: formatDay(view.effectiveDate) },
    ],
    hasSummary: summary.length > 0,
    summary,
    policyUrl: view.policyUrl,
    wording: view.acknowledgementWording.trim() || DEFAULT_ACKNOWLEDGEMENT_WORDING,
    agreedValue: view.values?.agreed ? 'true' : 'false',
    typedName: view.values?.typedName ?? '',
    hasReminder: Boolean(view.reminder),
    reminderText: view.reminder?.signBefore
      ? `Reminder: please sign before ${formatDay(view.reminder.signBefore)}.`
      : 'Reminder: please sign this policy as soon as you can.',
    hasNotice: notice.length > 0,
    notice,
    hasAgreedError: agreedError.length > 0,
    agreedError,
    hasNameError: nameError.length > 0,
    nameError,
    ...hashOf(view.sha256),
  });
}

/** The card once signed: when (school time), which version and fingerprint; nothing left to press or fill in. */
export function renderAupSignedCard(view: AupSignedView): CardJson {
  return aupSignedTemplate({
    title: view.title,
    signedLine: `Signed on ${formatWhen(view.signedAt, view.timeZone ?? DEFAULT_TIME_ZONE)} — version ${view.version}`,
    typedName: view.typedName,
    wording: view.wording,
    policyUrl: view.policyUrl,
    ...hashOf(view.sha256),
  });
}

function hashOf(sha256: string): HashData {
  return { hashShort: sha256.length > 20 ? `${sha256.slice(0, 8)}…${sha256.slice(-8)}` : sha256, hashFull: sha256 };
}

/** "Tuesday, 1 September 2026" for a calendar date; anything else as it came. */
function formatDay(isoDate: string): string {
  // A calendar date has no zone: noon UTC names the same day wherever a UK school is.
  const noon = /^\d{4}-\d{2}-\d{2}$/.test(isoDate) ? Date.parse(`${isoDate}T12:00:00Z`) : Number.NaN;
  if (Number.isNaN(noon)) return isoDate;
  return DAY_FORMAT.format(noon);
}

/** The summary is shared with the other chat surfaces. */
export { policySummary };
