import type { ChronologyText } from '../../../src/domain/pupil-texts.ts';
import { CARD_HEADER, cardTemplate, type CardJson } from './template.ts';

interface ChronologyData {
  title: string;
  subtitle: string;
  hasStatuses: boolean;
  statuses: string;
  hasCases: boolean;
  noCases: boolean;
  cases: { heading: string; lines: { text: string }[]; hasNotes: boolean; notes: { text: string; by: string }[] }[];
  hasHidden: boolean;
  hidden: string;
}

const chronologyTemplate = cardTemplate<ChronologyData>('pupil chronology', {
  ...CARD_HEADER,
  fallbackText: 'A pupil’s chronology. Open DSL Desk to see it.',
  body: [
    { type: 'TextBlock', text: 'For the DSL team only. Do not forward.', color: 'attention', weight: 'bolder', size: 'small', wrap: true },
    { type: 'TextBlock', text: '${title}', size: 'large', weight: 'bolder', style: 'heading', wrap: true, spacing: 'none' },
    { type: 'TextBlock', text: '${subtitle}', isSubtle: true, wrap: true, spacing: 'none' },
    { $when: '${hasStatuses}', type: 'Container', style: 'attention', items: [{ type: 'TextBlock', text: '${statuses}', weight: 'bolder', wrap: true }] },
    { $when: '${noCases}', type: 'TextBlock', text: 'No cases are linked to this pupil.', wrap: true },
    {
      $data: '${cases}',
      type: 'Container',
      separator: true,
      spacing: 'medium',
      items: [
        { type: 'TextBlock', text: '${heading}', weight: 'bolder', wrap: true },
        { $data: '${lines}', type: 'TextBlock', text: '${text}', wrap: true, spacing: 'none' },
        {
          $when: '${hasNotes}',
          type: 'Container',
          spacing: 'small',
          items: [{ $data: '${notes}', type: 'TextBlock', text: '${text} (${by})', wrap: true, isSubtle: true, size: 'small' }],
        },
      ],
    },
    { $when: '${hasHidden}', type: 'TextBlock', text: '${hidden}', wrap: true, isSubtle: true, size: 'small', separator: true },
  ],
});

/** "Open pupil": the child's chronology, oldest case first, for the DSL who asked (in their own chat only). */
export function renderPupilChronologyCard(text: ChronologyText): CardJson {
  return chronologyTemplate({
    title: text.title,
    subtitle: text.subtitle,
    hasStatuses: text.statuses.length > 0,
    statuses: `Protection status: ${text.statuses.join('; ')}`,
    hasCases: text.cases.length > 0,
    noCases: text.cases.length === 0,
    cases: text.cases.map((entry) => ({ heading: entry.heading, lines: entry.lines.map((line) => ({ text: line })), hasNotes: entry.notes.length > 0, notes: entry.notes })),
    hasHidden: Boolean(text.hidden),
    hidden: text.hidden ?? '',
  });
}
