import type { PatternRule } from './pupil.ts';

/**
 * What the "A pattern for a pupil" card says, on every platform. It goes to the DSL channel or space, which others
 * may share, so it names no child and quotes no concern: why the pattern was noticed and the case references. The
 * DSL opens the child's chronology from it, in a view only they see.
 */
export const PUPIL_PATTERN_TITLE = 'A pattern for a pupil';

export const PUPIL_PATTERN_EXPLANATION =
  'Several concerns about one pupil can add up to more than each says alone. The pupil is not named here: "Open pupil" shows their chronology to you alone.';

/** "3 concerns in 60 days", or "a type the school watches", from the alert's reason and the school's rule. */
export function pupilPatternReason(reason: 'count' | 'type', caseCount: number, rule?: Pick<PatternRule, 'days'>): string {
  if (reason === 'type') return 'A concern of a type the school watches';
  const concerns = `${caseCount} concern${caseCount === 1 ? '' : 's'}`;
  return rule ? `${concerns} in ${rule.days} days` : `${concerns} in the school’s pattern period`;
}
