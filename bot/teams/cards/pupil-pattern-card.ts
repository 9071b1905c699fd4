import { PUPIL_PATTERN_EXPLANATION, PUPIL_PATTERN_TITLE } from '../../../src/domain/pupil-texts.ts';
import { DEFAULT_TIME_ZONE, formatWhen } from './format.ts';
import { CARD_HEADER, cardTemplate, executeAction, type CardJson } from './template.ts';
import { PUPIL_OPEN, PUPIL_PATTERN_ACKNOWLEDGE } from './verbs.ts';

/** The card to the DSL channel: why, and the case references; no name, no concern text. */
export interface PupilPatternView {
  alertId: string;
  /** Opaque: "Open pupil" looks the pupil up for the DSL who pressed it; never shown. */
  pupilId: string;
  reason: string;
  references: string[];
  acknowledgedByName?: string;
  acknowledgedAt?: string;
  timeZone?: string;
}

interface PupilPatternData {
  reason: string;
  references: string;
  acknowledged: boolean;
  notAcknowledged: boolean;
  acknowledgement: string;
  data: { alertId: string; pupilId: string };
}

const pupilPatternTemplate = cardTemplate<PupilPatternData>('pupil pattern', {
  ...CARD_HEADER,
  fallbackText: `${PUPIL_PATTERN_TITLE}. Open DSL Desk to see it.`,
  body: [
    { type: 'TextBlock', text: PUPIL_PATTERN_TITLE, size: 'large', weight: 'bolder', style: 'heading', wrap: true },
    { type: 'TextBlock', text: '${reason}', weight: 'bolder', wrap: true },
    { type: 'FactSet', facts: [{ title: 'Cases', value: '${references}' }] },
    { type: 'TextBlock', text: PUPIL_PATTERN_EXPLANATION, wrap: true, isSubtle: true, size: 'small' },
    { $when: '${acknowledged}', type: 'TextBlock', text: '${acknowledgement}', wrap: true, color: 'good' },
  ],
  actions: [
    { ...executeAction('Acknowledge', PUPIL_PATTERN_ACKNOWLEDGE, { alertId: '${data.alertId}', pupilId: '${data.pupilId}' }, { style: 'positive' }), $when: '${notAcknowledged}' },
    executeAction('Open pupil', PUPIL_OPEN, { alertId: '${data.alertId}', pupilId: '${data.pupilId}' }),
  ],
});

export function renderPupilPatternCard(view: PupilPatternView): CardJson {
  const acknowledged = Boolean(view.acknowledgedAt);
  const who = view.acknowledgedByName ?? 'a DSL';
  return pupilPatternTemplate({
    reason: view.reason,
    references: view.references.join(', '),
    acknowledged,
    notAcknowledged: !acknowledged,
    acknowledgement: acknowledged ? `Acknowledged by ${who}, ${formatWhen(view.acknowledgedAt!, view.timeZone ?? DEFAULT_TIME_ZONE)}` : '',
    data: { alertId: view.alertId, pupilId: view.pupilId },
  });
}
