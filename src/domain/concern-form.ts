import type { ConcernInput, InvolvedGroup, InvolvedPerson } from './concern.ts';
import type { CaseChildRole, PupilChoice, ReportedChild } from './pupil.ts';
import { DEFAULT_TIME_ZONE } from './time-zone.ts';

/**
 * The concern form as the card sends it: every input arrives as a string. Keeping the raw strings lets
 * a rejected form come back with exactly what the reporter typed.
 */
export interface ConcernFormValues {
  /** Incident type codes, comma separated (what a multi-select ChoiceSet sends). */
  types: string;
  otherType: string;
  location: string;
  /** YYYY-MM-DD, in school time. */
  occurredDate: string;
  /** HH:MM, in school time. */
  occurredTime: string;
  ongoing: string;
  /** One person per line; see INVOLVED_LINE_HELP. */
  involved: string;
  description: string;
  /** Comma separated. */
  appsInvolved: string;
  evidence: string;
  url: string;
  childAtImmediateRisk: string;
  /** The member of staff the concern is about, chosen in the people search (their person id). */
  subjectPersonId: string;
  /** The child (or children) the concern is about, picked in the pupil search: pupil ids, comma separated. */
  childIds: string;
  /** Other children involved, picked in the pupil search: pupil ids, comma separated. */
  otherChildIds: string;
  /** Children who saw or heard it, picked in the pupil search: pupil ids, comma separated. */
  witnessChildIds: string;
  /** Children the reporter could not find in the list, one name per line: kept as typed for a DSL to link. */
  childNames: string;
}

export type ConcernFormInputId = keyof ConcernFormValues;

/** The inputs in the order the form shows them: the urgent toggle first, then what happened. */
export const CONCERN_FORM_INPUT_IDS = [
  'childAtImmediateRisk',
  'types',
  'otherType',
  'description',
  'location',
  'occurredDate',
  'occurredTime',
  'ongoing',
  'childIds',
  'otherChildIds',
  'witnessChildIds',
  'childNames',
  'involved',
  'subjectPersonId',
  'appsInvolved',
  'evidence',
  'url',
] as const satisfies readonly ConcernFormInputId[];

/** The dataset Teams asks the bot to search (an `application/search` invoke) as the reporter types a name. */
export const STAFF_DATASET = 'dsl-desk.staff';

/** The dataset Teams asks the bot to search for a child: the school's pupils on roll, names only. */
export const PUPIL_DATASET = 'dsl-desk.pupils';

/** The pupil pickers of the form and the role on the case of each child picked in them, in the form's order. */
export const CHILD_PICKERS: readonly { input: 'childIds' | 'otherChildIds' | 'witnessChildIds'; role: CaseChildRole; noneLabel: string }[] = [
  { input: 'childIds', role: 'subject', noneLabel: 'No particular child' },
  { input: 'otherChildIds', role: 'other_child', noneLabel: 'No other children' },
  { input: 'witnessChildIds', role: 'witness', noneLabel: 'No child saw or heard it' },
];

/** Each pupil search's one fixed choice (a list needs one): no child in that role, the same as leaving it empty. */
export const NO_CHILD = 'none';

/** A pupil as a reporter picks them: the name, then year and class when the register has them. */
export function pupilChoiceTitle(pupil: PupilChoice): string {
  const where = [pupil.yearGroup ? `Year ${pupil.yearGroup}` : '', pupil.registrationGroup ?? ''].filter(Boolean).join(', ');
  return where ? `${pupil.name} (${where})` : pupil.name;
}

/** The people search's one fixed choice: the concern is not about a member of staff (the same as leaving it empty). */
export const NOT_ABOUT_STAFF = 'none';

/** Errors that belong to no single input (shown at the top of the form). */
export const FORM_LEVEL_ERROR = '_form';

/**
 * The line format of "People involved", shown as the input's placeholder. It is forgiving: the word
 * before the colon may be any of the GROUP_WORDS below in any case, bullets and numbering are ignored,
 * a trailing "(...)" is kept as contact details, and a line without a known word is kept whole as "other".
 */
export const INVOLVED_LINE_HELP = 'One person per line, starting with child, staff, parent or other:\nchild: Sam Green (Year 5)\nstaff: Mr Patel\nparent: Jo Green (07700 900123)';

const GROUP_WORDS: Readonly<Record<string, InvolvedGroup>> = {
  child: 'child',
  children: 'child',
  pupil: 'child',
  student: 'child',
  learner: 'child',
  'young person': 'child',
  staff: 'staff',
  teacher: 'staff',
  ta: 'staff',
  'member of staff': 'staff',
  colleague: 'staff',
  parent: 'parent_carer',
  carer: 'parent_carer',
  'parent/carer': 'parent_carer',
  'parent or carer': 'parent_carer',
  parent_carer: 'parent_carer',
  guardian: 'parent_carer',
  other: 'other',
};

const BULLET = /^(?:[-*•·–]|\d{1,3}[.)])\s+/;

/** The lines that name someone: trimmed, bullets kept, blank lines dropped (so line N is person N). */
function involvedLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/**
 * "Name (contact)" at the end of a line: the last "(" before a closing ")" with no other parenthesis between. Found
 * by position rather than with /^(.*?)\s*\((.*)\)$/, whose lazy part retries a long run of spaces from every point.
 */
function trailingContact(text: string): { name: string; contact: string } | undefined {
  if (!text.endsWith(')')) return undefined;
  const open = text.lastIndexOf('(');
  const contact = open < 0 ? '' : text.slice(open + 1, -1);
  if (open < 0 || contact.includes(')')) return undefined;
  return { name: text.slice(0, open), contact };
}

export function parseInvolvedLine(line: string): InvolvedPerson {
  const text = line.trim().replace(BULLET, '');
  const colon = text.indexOf(':');
  const word = colon > 0 ? text.slice(0, colon).trim().toLowerCase().replace(/\s+/g, ' ') : '';
  const group = GROUP_WORDS[word];
  if (!group) return { group: 'other', name: text };
  const rest = text.slice(colon + 1).trim();
  const withContact = trailingContact(rest);
  if (withContact && withContact.name.trim() && withContact.contact.trim()) {
    return { group, name: withContact.name.trim(), contact: withContact.contact.trim() };
  }
  return { group, name: rest };
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** Toggles send 'true'/'false'; anything else means the toggle was not on the card. */
function asToggle(value: unknown): string {
  const text = asText(value).trim().toLowerCase();
  return text === 'true' || text === 'false' ? text : '';
}

function splitList(text: string, separator: RegExp): string[] {
  return text
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

// ---- date and time in school time ---------------------------------------------------------------

const DATE_ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
/** Older clients show Input.Date as a text box, where UK staff type 23/11/2026. */
const DATE_UK = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

function parseDate(text: string): LocalDate | undefined {
  const iso = DATE_ISO.exec(text);
  const uk = iso ? undefined : DATE_UK.exec(text);
  const [year, month, day] = iso ? [Number(iso[1]), Number(iso[2]), Number(iso[3])] : uk ? [Number(uk[3]), Number(uk[2]), Number(uk[1])] : [NaN, NaN, NaN];
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return undefined;
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  return { year, month, day };
}

function parseTime(text: string): { hour: number; minute: number } | undefined {
  const match = TIME.exec(text);
  if (!match) return undefined;
  const hour = Number(match[1]);
  const minute = Number(match[2]);
  if (hour > 23 || minute > 59) return undefined;
  return { hour, minute };
}

const wallClockFormatters = new Map<string, Intl.DateTimeFormat>();

function wallClockFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = wallClockFormatters.get(timeZone);
  if (!formatter) {
    // Throws RangeError for a zone Intl does not know: a misconfigured school, not a reporter's mistake.
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    wallClockFormatters.set(timeZone, formatter);
  }
  return formatter;
}

interface WallClock extends LocalDate {
  hour: number;
  minute: number;
  second: number;
}

function wallClockAt(epochMs: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of wallClockFormatter(timeZone).formatToParts(epochMs)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return { year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0, hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0 };
}

/** Minutes the zone is ahead of UTC at that instant (60 during BST). */
function offsetMinutesAt(epochMs: number, timeZone: string): number {
  const wall = wallClockAt(epochMs, timeZone);
  const wallAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return Math.round((wallAsUtc - Math.floor(epochMs / 1000) * 1000) / 60_000);
}

/**
 * The instant a school-time wall clock reading means. When the clocks go back, 01:30 happens twice and
 * the earlier one is taken; when they go forward, 01:30 never happens and the reading is moved on by
 * the jump (02:30 BST), as a clock that was not changed would show.
 */
function instantOf(date: LocalDate, hour: number, minute: number, timeZone: string): number {
  const naive = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  const offsetsNearby = [offsetMinutesAt(naive - 86_400_000, timeZone), offsetMinutesAt(naive, timeZone), offsetMinutesAt(naive + 86_400_000, timeZone)];
  const matching = [...new Set(offsetsNearby)].map((offset) => naive - offset * 60_000).filter((candidate) => {
    const wall = wallClockAt(candidate, timeZone);
    return wall.year === date.year && wall.month === date.month && wall.day === date.day && wall.hour === hour && wall.minute === minute;
  });
  if (matching.length > 0) return Math.min(...matching);
  return naive - (offsetsNearby[0] ?? 0) * 60_000;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** An ISO 8601 instant written in school time with its offset, e.g. 2026-07-01T08:15:00+01:00. */
export function schoolTimeToIso(date: string, time: string, timeZone: string = DEFAULT_TIME_ZONE): string | undefined {
  const day = parseDate(date.trim());
  const clock = time.trim() ? parseTime(time.trim()) : { hour: 0, minute: 0 };
  if (!day || !clock) return undefined;
  const instant = instantOf(day, clock.hour, clock.minute, timeZone);
  const wall = wallClockAt(instant, timeZone);
  const offset = offsetMinutesAt(instant, timeZone);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${String(wall.year).padStart(4, '0')}-${two(wall.month)}-${two(wall.day)}T${two(wall.hour)}:${two(wall.minute)}:00${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

// ---- reading the form ---------------------------------------------------------------------------

/** A date given without a time is recorded as the start of that day, with this note so nobody reads it as midnight. */
export const NO_TIME_GIVEN_NOTE = 'Date given without a time.';

/**
 * Turns the card's strings into a concern for `concernSchema`. Nothing is validated here: the schema
 * decides, and `formErrors` puts its messages back on the form. A blank input is left out, so the
 * schema's defaults and "required" messages apply; a date or time that cannot be read is passed on as
 * typed, so the schema rejects it rather than it being silently dropped.
 */
export function readConcernForm(inputs: Readonly<Record<string, unknown>>, timeZone: string = DEFAULT_TIME_ZONE): { values: ConcernFormValues; concern: ConcernInput; children: ReportedChild[] } {
  const values: ConcernFormValues = {
    types: splitList(asText(inputs.types), /,/).join(','),
    otherType: asText(inputs.otherType).trim(),
    location: asText(inputs.location).trim(),
    occurredDate: asText(inputs.occurredDate).trim(),
    occurredTime: asText(inputs.occurredTime).trim(),
    ongoing: asToggle(inputs.ongoing),
    involved: involvedLines(asText(inputs.involved)).join('\n'),
    description: asText(inputs.description).trim(),
    appsInvolved: asText(inputs.appsInvolved).trim(),
    evidence: asText(inputs.evidence).trim(),
    url: asText(inputs.url).trim(),
    childAtImmediateRisk: asToggle(inputs.childAtImmediateRisk),
    subjectPersonId: asText(inputs.subjectPersonId).trim(),
    childIds: splitList(asText(inputs.childIds), /,/).join(','),
    otherChildIds: splitList(asText(inputs.otherChildIds), /,/).join(','),
    witnessChildIds: splitList(asText(inputs.witnessChildIds), /,/).join(','),
    childNames: involvedLines(asText(inputs.childNames)).join('\n'),
  };

  const concern: Record<string, unknown> = {};
  const types = splitList(values.types, /,/);
  if (types.length > 0) concern.types = types;
  if (values.otherType) concern.otherType = values.otherType;
  if (values.location) concern.location = values.location;

  const occurred: Record<string, unknown> = {};
  if (values.occurredDate || values.occurredTime) {
    const from = values.occurredDate ? schoolTimeToIso(values.occurredDate, values.occurredTime, timeZone) : undefined;
    occurred.from = from ?? [values.occurredDate, values.occurredTime].filter(Boolean).join(' ');
    if (from && !values.occurredTime) occurred.note = NO_TIME_GIVEN_NOTE;
  }
  if (values.ongoing) occurred.ongoing = values.ongoing === 'true';
  if (Object.keys(occurred).length > 0) concern.occurred = occurred;

  const involved = involvedLines(values.involved).map(parseInvolvedLine);
  if (involved.length > 0) concern.involved = involved;
  if (values.description) concern.description = values.description;
  const apps = splitList(values.appsInvolved, /[,\n]/);
  if (apps.length > 0) concern.appsInvolved = apps;
  if (values.evidence) concern.evidence = values.evidence;
  if (values.url) concern.url = values.url;
  if (values.childAtImmediateRisk) concern.childAtImmediateRisk = values.childAtImmediateRisk === 'true';
  // The people search answers person ids; the schema checks the shape and the use case that they are of this school.
  if (values.subjectPersonId && values.subjectPersonId !== NOT_ABOUT_STAFF) concern.subjectPersonId = values.subjectPersonId;

  return { values, concern: concern as ConcernInput, children: childrenOf(values) };
}

/**
 * The children named on the form, each with their role: a child picked in two pickers keeps the first role
 * (the child it is about before another child involved, before a witness); a typed name is about the child the
 * concern is about, and stays text for a DSL to link. Not validated here: the report use case checks them.
 */
export function childrenOf(values: Pick<ConcernFormValues, 'childIds' | 'otherChildIds' | 'witnessChildIds' | 'childNames'>): ReportedChild[] {
  const picked = new Map<string, CaseChildRole>();
  for (const { input, role } of CHILD_PICKERS) {
    for (const pupilId of splitList(values[input] ?? '', /,/)) if (pupilId !== NO_CHILD && !picked.has(pupilId)) picked.set(pupilId, role);
  }
  const typed = [...new Set(involvedLines(values.childNames ?? ''))];
  return [...[...picked].map(([pupilId, role]) => ({ pupilId, role })), ...typed.map((name) => ({ name, role: 'subject' as const }))];
}

// ---- putting the schema's messages back on the form ---------------------------------------------

export interface FormIssue {
  path: readonly PropertyKey[];
  message: string;
}

/** Where each field of the concern record is typed on the card. */
const INPUT_FOR_FIELD: Readonly<Record<string, ConcernFormInputId>> = {
  types: 'types',
  otherType: 'otherType',
  location: 'location',
  involved: 'involved',
  description: 'description',
  appsInvolved: 'appsInvolved',
  evidence: 'evidence',
  url: 'url',
  childAtImmediateRisk: 'childAtImmediateRisk',
  subjectPersonId: 'subjectPersonId',
};

/**
 * Some schema messages are written for API callers (codes, ISO formats); on the form they are said in
 * terms of what the reporter sees.
 */
function formMessageFor(path: readonly PropertyKey[], message: string): { input: string; message: string } {
  const [field, second, third] = path;
  if (field === 'types') return { input: 'types', message: typeof second === 'number' ? 'Choose incident types from the list.' : message };
  if (field === 'location') return { input: 'location', message: 'Choose where it happened.' };
  if (field === 'occurred') {
    if (second === 'ongoing') return { input: 'ongoing', message };
    if (second === 'to') return { input: 'occurredDate', message };
    return { input: 'occurredDate', message: 'Choose the date it happened, and the time if you know it.' };
  }
  if (field === 'children') return { input: 'childIds', message: `A child named on the form: ${message}` };
  if (field === 'involved' && typeof second === 'number') {
    const text = third === 'group' ? 'Start the line with child, staff, parent or other.' : message;
    return { input: 'involved', message: `Line ${second + 1}: ${text}` };
  }
  if (typeof field === 'string' && INPUT_FOR_FIELD[field]) return { input: INPUT_FOR_FIELD[field], message };
  return { input: FORM_LEVEL_ERROR, message };
}

/**
 * The schema's issues as messages by input id, for the form's red text under each input. Several
 * issues on one input (two bad lines of "People involved") are joined; the same message is said once.
 */
export function formErrors(issues: readonly FormIssue[]): Record<string, string> {
  const byInput = new Map<string, string[]>();
  for (const issue of issues) {
    const { input, message } = formMessageFor(issue.path, issue.message);
    const messages = byInput.get(input) ?? [];
    if (!messages.includes(message)) messages.push(message);
    byInput.set(input, messages);
  }
  return Object.fromEntries([...byInput].map(([input, messages]) => [input, messages.join(' ')]));
}
