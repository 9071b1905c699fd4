import type { PupilPatternCardRecord } from '../../domain/case-children.ts';
import type { AppDeps } from '../deps.ts';

/** A chat surface records where it posted (or failed to post) a pattern card, so later edits go to the same card. */
export async function recordPupilPatternCard(deps: AppDeps, options: { schoolId: string; alertId: string; card: PupilPatternCardRecord }): Promise<boolean> {
  return deps.storage.transaction((tx) => tx.pupilPatterns.saveCard(options.schoolId, options.alertId, options.card));
}
