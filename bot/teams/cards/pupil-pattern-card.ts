import { PUPIL_PATTERN_EXPLANATION, PUPIL_PATTERN_TITLE, type PupilPatternView } from '../../../src/domain/pupil-texts.ts';
import { CARD_HEADER, cardTemplate, executeAction, type CardJson } from './template.ts';
import { PUPIL_OPEN, PUPIL_PATTERN_ACKNOWLEDGE } from './verbs.ts';

export type { PupilPatternView };

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

/** "A pattern for a pupil" for the case channel: why, and the case references; no name, no concern text. */
export function renderPupilPatternCard(view: PupilPatternView): CardJson {
  const acknowledged = Boolean(view.acknowledgement);
  return pupilPatternTemplate({
    reason: view.reason,
    references: view.references,
    acknowledged,
    notAcknowledged: !acknowledged,
    acknowledgement: view.acknowledgement ?? '',
    data: { alertId: view.alertId, pupilId: view.pupilId },
  });
}
