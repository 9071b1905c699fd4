import type { CaseStatus } from './case.ts';
import { CASE_STATUS_LABELS, DEFAULT_TIME_ZONE, formatWhen, incidentTypeLabel, URGENCY_LABELS } from './display-labels.ts';
import type { Urgency } from './incident-types.ts';
import { CASE_CHILD_ROLE_LABELS, type CaseChildRole, type PatternRule } from './pupil.ts';

/**
 * What the "A pattern for a pupil" card says, on every platform. It goes to the DSL channel or space, which others
 * may share, so it names no child and quotes no concern: why the pattern was noticed and the case references. The
 * DSL opens the child's chronology from it, in a view only they see.
 */
export const PUPIL_PATTERN_TITLE = 'A pattern for a pupil';

export const PUPIL_PATTERN_EXPLANATION =
  'Several concerns about one pupil can add up to more than each says alone. The pupil is not named here: "Open pupil" shows their chronology to you alone.';

/** The pattern card's words, the same on every platform. */
export interface PupilPatternView {
  alertId: string;
  /** Opaque: "Open pupil" looks the pupil up for the DSL who pressed it; never shown. */
  pupilId: string;
  reason: string;
  /** References of the cases the DSL channel may see, then a count of restricted ones (never their references). */
  references: string;
  acknowledgement?: string;
}

/** What the pattern card is made from: the alert as `preparePupilPatternCard` gives it. */
export interface PatternAlertToShow {
  alert: { id: string; reason: 'count' | 'type'; references: string[]; restrictedCount?: number; acknowledgedBy?: string; acknowledgedAt?: string };
  rule?: Pick<PatternRule, 'days'>;
}

export function pupilPatternViewOf(prepared: PatternAlertToShow, pupilId: string, timeZone: string = DEFAULT_TIME_ZONE): PupilPatternView {
  const { alert } = prepared;
  const restricted = alert.restrictedCount ?? 0;
  const references = [...alert.references, ...(restricted > 0 ? [`${restricted} restricted case${restricted === 1 ? '' : 's'}`] : [])].join(', ');
  return {
    alertId: alert.id,
    pupilId,
    reason: pupilPatternReason(alert.reason, alert.references.length + restricted, prepared.rule),
    references,
    ...(alert.acknowledgedAt ? { acknowledgement: `Acknowledged by ${alert.acknowledgedBy ?? 'a DSL'}, ${formatWhen(alert.acknowledgedAt, timeZone)}` } : {}),
  };
}

/** "3 concerns in 60 days", or "a type the school watches", from the alert's reason and the school's rule. */
export function pupilPatternReason(reason: 'count' | 'type', caseCount: number, rule?: Pick<PatternRule, 'days'>): string {
  if (reason === 'type') return 'A concern of a type the school watches';
  const concerns = `${caseCount} concern${caseCount === 1 ? '' : 's'}`;
  return rule ? `${concerns} in ${rule.days} days` : `${concerns} in the school’s pattern period`;
}

/** What a chronology needs to be shown: the shape `getPupilChronology` answers, in its parts a card shows. */
export interface ChronologyToShow {
  pupil: { name: string; yearGroup?: string; registrationGroup?: string };
  cases: {
    reference: string;
    reportedAt: string;
    types: readonly string[];
    urgency: Urgency;
    status: CaseStatus;
    roles: readonly CaseChildRole[];
    outcome?: { summary: string; by: string; at: string };
    acted: readonly { action: string; by: string; at: string }[];
    notes: readonly { at: string; by: string; text: string }[];
  }[];
  hiddenCases: number;
  protectionStatuses: readonly { label: string }[];
}

/** A chronology in words, for a card on any platform: one entry per case, oldest first. */
export interface ChronologyText {
  title: string;
  subtitle: string;
  statuses: string[];
  cases: { heading: string; lines: string[]; notes: { text: string; by: string }[] }[];
  /** Said when cases the reader may not open are linked to the pupil (counted, never shown). */
  hidden?: string;
}

const ACTED_LABELS: Record<string, string> = {
  acknowledged: 'Acknowledged',
  assigned: 'Assigned',
  escalated: 'Escalated',
  action_recorded: 'Action recorded',
  closed: 'Closed',
  reopened: 'Reopened',
};

export function chronologyText(chronology: ChronologyToShow, timeZone: string = DEFAULT_TIME_ZONE): ChronologyText {
  const { pupil } = chronology;
  const when = (iso: string) => formatWhen(iso, timeZone);
  return {
    title: `Chronology: ${pupil.name}`,
    subtitle: [pupil.yearGroup ? `Year ${pupil.yearGroup}` : '', pupil.registrationGroup ?? ''].filter(Boolean).join(', ') || 'On roll',
    statuses: chronology.protectionStatuses.map((status) => status.label),
    cases: chronology.cases.map((entry) => ({
      heading: `${entry.reference}, ${when(entry.reportedAt)}`,
      lines: [
        `${entry.types.map(incidentTypeLabel).join('; ')}. ${URGENCY_LABELS[entry.urgency]}, ${CASE_STATUS_LABELS[entry.status]}.`,
        `This child: ${entry.roles.map((role) => CASE_CHILD_ROLE_LABELS[role].toLowerCase()).join('; ')}.`,
        ...entry.acted.map((act) => `${ACTED_LABELS[act.action] ?? act.action} by ${act.by}, ${when(act.at)}`),
        ...(entry.outcome ? [`Outcome: ${entry.outcome.summary} (${entry.outcome.by}, ${when(entry.outcome.at)})`] : []),
      ],
      notes: entry.notes.map((note) => ({ text: note.text, by: `${note.by}, ${when(note.at)}` })),
    })),
    ...(chronology.hiddenCases > 0 ? { hidden: `${chronology.hiddenCases} restricted case${chronology.hiddenCases === 1 ? '' : 's'} about this pupil you may not open.` } : {}),
  };
}

/** The children on a case as the DSL's own view of it shows them (never the shared card). */
export interface CasePupilsToShow {
  children: readonly { name: string; role: CaseChildRole; toLink: boolean; pupilId?: string; pupil?: { yearGroup?: string; registrationGroup?: string } }[];
  protectionStatuses: readonly { pupilId: string; label: string }[];
}

export function casePupilsText(pupils: CasePupilsToShow): { children: { name: string; role: string; flag?: string }[]; protectionStatuses: string[] } {
  const nameOf = new Map(pupils.children.flatMap((child) => (child.pupilId ? [[child.pupilId, child.name] as const] : [])));
  return {
    children: pupils.children.map((child) => {
      const where = [child.pupil?.yearGroup ? `Year ${child.pupil.yearGroup}` : '', child.pupil?.registrationGroup ?? ''].filter(Boolean).join(', ');
      return {
        name: where ? `${child.name} (${where})` : child.name,
        role: CASE_CHILD_ROLE_LABELS[child.role],
        ...(child.toLink ? { flag: 'Typed by the reporter, not yet linked to a pupil: link it to the register' } : {}),
      };
    }),
    protectionStatuses: pupils.protectionStatuses.map((status) => `${nameOf.get(status.pupilId) ?? 'A pupil'}: ${status.label}`),
  };
}
