import { AUP_AUDIENCE_LABELS, type AupAudience, type AupPolicyVersion } from '../../src/domain/aup.ts';
import { policySummary } from '../../src/domain/aup-summary.ts';
import { DEFAULT_TIME_ZONE } from '../../src/domain/time-zone.ts';
import type { ChatMessageBody, GoogleCard } from './chat-api.ts';
import { ACTION_PARAMETER } from './chat-events.ts';

/**
 * The acceptable use policy as google.apps.card.v1 cards for a person's DM with the Chat app: the card
 * that asks them to sign (also its reminder, and its return with what to fix), the card once signed, and
 * a plain notice (the headteacher's warning about an unsigned starter). The same content as the Teams
 * cards; only the widgets differ.
 */

/** The `action` parameter of the Sign button. */
export const AUP_SIGN_ACTION = 'aup.sign';

/** The names of the card's inputs, as they come back in `commonEventObject.formInputs`. */
export const AUP_CHAT_INPUTS = { agreed: 'agreed', typedName: 'typedName' } as const;

/** The value of the agreement tick box when it is ticked. */
export const AGREED_VALUE = 'true';

export const DEFAULT_ACKNOWLEDGEMENT_WORDING = 'I have read and agree to follow this policy';

/** Chat shows error text in this red; the rest of the card keeps Chat's own colours. */
const ERROR_COLOUR = '#b3261e';

/** The policy version a card offers for signing: what the person reads, and what their signature will refer to. */
export interface AupChatPolicyView {
  policyId: string;
  title: string;
  audience: AupAudience;
  version: number;
  /** YYYY-MM-DD. */
  effectiveDate: string;
  sha256: string;
  /** The policy text; the card shows only its first plain paragraph. */
  markdown: string;
  acknowledgementWording: string;
  /** The policy's read-only page ("Read the full policy"). */
  policyUrl: string;
}

export interface AupChatCardView extends AupChatPolicyView {
  /** Every button's `action.function`: the Chat endpoint's full HTTPS URL. */
  endpointUrl: string;
  /** A reminder says so at the top; `signBefore` (YYYY-MM-DD) is the person's start date, when there is one. */
  reminder?: { signBefore?: string };
  /** Why the card came back: what to fix, or that a newer version replaced the one they tried to sign. */
  notice?: string;
  /** What they had entered, kept when the card comes back. */
  values?: { agreed?: boolean; typedName?: string };
  /** The server's message by each input. */
  errors?: { agreed?: string; typedName?: string };
}

export interface AupChatSignedView {
  policyId: string;
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

/** A stored policy version as the card shows it, with the address of its read-only page. */
export function aupChatPolicyViewOf(
  policy: Pick<AupPolicyVersion, 'id' | 'title' | 'audience' | 'version' | 'effectiveDate' | 'sha256' | 'markdown' | 'acknowledgementWording'>,
  policyUrl: string,
): AupChatPolicyView {
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

/** One card per policy in a DM: the same id when it is replaced by its signed form or its corrected form. */
export function aupCardId(policyId: string): string {
  return `aup-${policyId}`;
}

/** The card that asks a person to read and sign a policy (also its reminder, and its return with a message). */
export function renderAupChatCard(view: AupChatCardView): GoogleCard {
  const summary = policySummary(view.markdown);
  const notice = view.notice?.trim() ?? '';
  const agreedError = view.errors?.agreed?.trim() ?? '';
  const nameError = view.errors?.typedName?.trim() ?? '';
  const wording = view.acknowledgementWording.trim() || DEFAULT_ACKNOWLEDGEMENT_WORDING;
  const top: Widget[] = [];
  if (view.reminder) {
    const text = view.reminder.signBefore
      ? `Reminder: please sign before ${formatDay(view.reminder.signBefore)}.`
      : 'Reminder: please sign this policy as soon as you can.';
    top.push({ decoratedText: { startIcon: { knownIcon: 'CLOCK' }, text: bold(text), wrapText: true } });
  }
  if (notice) top.push({ textParagraph: { text: errorText(notice) } });
  const policy: Widget[] = [
    fact('For', AUP_AUDIENCE_LABELS[view.audience]),
    fact('Version', String(view.version)),
    fact('In force from', formatDay(view.effectiveDate)),
    ...(summary ? [{ textParagraph: { text: escapeCardText(summary) } }] : []),
    { buttonList: { buttons: [{ text: 'Read the full policy', onClick: { openLink: { url: view.policyUrl } } }] } },
    ...hashWidgets(view.sha256),
  ];
  const sign: Widget[] = [
    {
      selectionInput: {
        name: AUP_CHAT_INPUTS.agreed,
        label: 'Your agreement',
        type: 'CHECK_BOX',
        items: [{ text: wording, value: AGREED_VALUE, selected: view.values?.agreed === true }],
      },
    },
    ...(agreedError ? [{ textParagraph: { text: errorText(agreedError) } }] : []),
    {
      textInput: {
        name: AUP_CHAT_INPUTS.typedName,
        label: 'Type your full name',
        type: 'SINGLE_LINE',
        value: view.values?.typedName ?? '',
      },
    },
    ...(nameError ? [{ textParagraph: { text: errorText(nameError) } }] : []),
    { textParagraph: { text: small('Signing records your name, this version and the time. The school keeps the record.') } },
    {
      buttonList: {
        buttons: [
          {
            text: 'Sign',
            type: 'FILLED',
            onClick: {
              action: {
                function: view.endpointUrl,
                parameters: [
                  { key: ACTION_PARAMETER, value: AUP_SIGN_ACTION },
                  { key: 'policyId', value: view.policyId },
                  { key: 'version', value: String(view.version) },
                ],
              },
            },
          },
        ],
      },
    },
  ];
  return {
    header: { title: view.title, subtitle: 'Please read this policy and sign to say you agree to follow it.' },
    sections: [...(top.length ? [{ widgets: top }] : []), { widgets: policy }, { header: 'Sign', widgets: sign }],
  };
}

/** The card once signed: when (school time), which version and fingerprint; nothing left to press or fill in. */
export function renderAupSignedChatCard(view: AupChatSignedView): GoogleCard {
  return {
    header: { title: view.title, subtitle: 'Signed' },
    sections: [
      {
        widgets: [
          { decoratedText: { startIcon: { materialIcon: { name: 'check_circle' } }, text: bold(signedLine(view)), wrapText: true } },
          fact('Name typed', view.typedName),
          fact('You agreed', view.wording),
          ...hashWidgets(view.sha256),
          { buttonList: { buttons: [{ text: 'Read the full policy', onClick: { openLink: { url: view.policyUrl } } }] } },
          { textParagraph: { text: small('Thank you. The school keeps this record; ask the office if you need a copy.') } },
        ],
      },
    ],
  };
}

/** "Signed on Mon, 23 Nov 2026, 08:15 — version 2", in the school's time. */
export function signedLine(view: Pick<AupChatSignedView, 'signedAt' | 'version' | 'timeZone'>): string {
  return `Signed on ${formatWhen(view.signedAt, view.timeZone ?? DEFAULT_TIME_ZONE)} — version ${view.version}`;
}

/** A plain notice: a title and lines of text, nothing to press. */
export function renderNoticeChatCard(view: { title: string; lines: readonly string[] }): GoogleCard {
  return {
    header: { title: view.title },
    sections: [{ widgets: view.lines.map((line) => ({ textParagraph: { text: escapeCardText(line) } })) }],
  };
}

/** A Chat message carrying one card, with a plain-text line for notifications and clients that show no cards. */
export function cardMessage(cardId: string, card: GoogleCard, text?: string): ChatMessageBody {
  return { ...(text ? { text } : {}), cardsV2: [{ cardId, card }] };
}

type Widget = Record<string, unknown>;

function fact(label: string, value: string): Widget {
  return { decoratedText: { topLabel: label, text: escapeCardText(value), wrapText: true } };
}

/** The fingerprint in short, and in full in a collapsed line: the short form is enough to compare by eye. */
function hashWidgets(sha256: string): Widget[] {
  const short = sha256.length > 20 ? `${sha256.slice(0, 8)}…${sha256.slice(-8)}` : sha256;
  return [
    {
      decoratedText: {
        topLabel: 'SHA-256',
        text: escapeCardText(short),
        bottomLabel: 'The fingerprint of this exact version: any change to the wording gives a different one.',
        wrapText: true,
      },
    },
    { textParagraph: { text: small(`Full SHA-256: ${escapeCardText(sha256)}`) } },
  ];
}

/**
 * Card text is Chat's small HTML subset: anything the school typed (titles, wording, names) is escaped so a
 * `<` in a policy title shows as itself and never as markup.
 */
export function escapeCardText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function bold(text: string): string {
  return `<b>${escapeCardText(text)}</b>`;
}

function small(text: string): string {
  return `<i>${text}</i>`;
}

function errorText(text: string): string {
  return `<font color="${ERROR_COLOUR}"><b>${escapeCardText(text)}</b></font>`;
}

const DAY_FORMAT = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const whenFormatters = new Map<string, Intl.DateTimeFormat>();

/** "Tuesday, 1 September 2026" for a calendar date; anything else as it came. */
function formatDay(isoDate: string): string {
  // A calendar date has no zone: noon UTC names the same day wherever a UK school is.
  const noon = /^\d{4}-\d{2}-\d{2}$/.test(isoDate) ? Date.parse(`${isoDate}T12:00:00Z`) : Number.NaN;
  return Number.isNaN(noon) ? isoDate : DAY_FORMAT.format(noon);
}

/** "Mon, 23 Nov 2026, 08:15" in school time, as the Teams card shows it; a value that is not a date as it came. */
function formatWhen(iso: string, timeZone: string): string {
  const epoch = Date.parse(iso);
  if (Number.isNaN(epoch)) return iso;
  let formatter = whenFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    whenFormatters.set(timeZone, formatter);
  }
  return formatter.format(epoch);
}
