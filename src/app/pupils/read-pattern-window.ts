import type { PatternRule } from '../../domain/pupil.ts';
import type { AppDeps } from '../deps.ts';
import { patternRuleOf } from './children-on-cases.ts';

/**
 * The period of the school's pattern rule, for the pattern card to say "3 concerns in 60 days". DSL Desk itself
 * reads it to render the card (no person asks, nothing of a pupil is read), as `preparePupilPatternCard` does.
 */
export async function readPatternWindow(deps: AppDeps, options: { schoolId: string }): Promise<Pick<PatternRule, 'days'>> {
  const rule = await deps.storage.read((reader) => patternRuleOf(reader, options.schoolId));
  return { days: rule.days };
}
