import { analyse } from 'scslre';

/**
 * Whether a regular expression an admin types (the service-account patterns of new-starter rules) runs in time
 * that grows at most in line with the text it reads. Such patterns are built at run time, so the lint that checks
 * DSL Desk's own patterns never sees them: they are checked when they are saved instead.
 *
 * Refused: patterns that scslre finds can backtrack super-linearly (e.g. `(a+)+$`, `.*x.*y`), and a repeated
 * group that holds another repetition (`(a{1,9}){1,9}`), which scslre does not count but which backtracks
 * exponentially just the same.
 */
export function unsafePatternReason(source: string, flags = 'i'): string | undefined {
  let result;
  try {
    result = analyse({ source, flags }, { reportTypes: { Move: false }, assumeRejectingSuffix: true, maxReports: 1 });
  } catch {
    return 'Not a valid regular expression.';
  }
  if (result.reports.length) return 'This pattern can take a very long time on some names (it backtracks). Avoid a repeated group that holds another repetition, such as (a+)+ or (.*x)*.';
  if (hasNestedRepetition(result.parsed.pattern)) return 'This pattern repeats a group that holds another repetition, such as (a{1,9}){1,9}, which can take a very long time. Repeat the inner part only.';
  return undefined;
}

interface Node {
  type: string;
  max?: number;
  element?: Node;
  alternatives?: Node[];
  elements?: Node[];
}

function hasNestedRepetition(node: Node, insideRepeat = false): boolean {
  if (node.type === 'Quantifier') {
    const repeats = (node.max ?? 1) > 1;
    if (repeats && insideRepeat) return true;
    return hasNestedRepetition(node.element!, insideRepeat || repeats);
  }
  for (const alternative of node.alternatives ?? []) if (hasNestedRepetition(alternative, insideRepeat)) return true;
  for (const element of node.elements ?? []) if (hasNestedRepetition(element, insideRepeat)) return true;
  return false;
}
