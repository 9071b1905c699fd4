import type { Severity, SignalCode } from './signal-codes.ts';
import { codepoint, INVISIBLE } from './unicode.ts';

/**
 * Signals and the verdict drawn from them. Each signal is one thing seen in the message with a one-line
 * evidence string, written for a DSL or IT technician reading a card, not for a parser.
 */

export type { Severity } from './signal-codes.ts';

export interface Signal {
  code: string;
  severity: Severity;
  evidence: string;
}

/** `not_analysed`: the analysis could not be completed (too slow, or a structure the parser refuses); never from verdictFor. */
export type Verdict = 'likely_phishing' | 'suspicious' | 'no_threat_found' | 'simulation' | 'not_analysed';

const RANK: Record<Severity, number> = { high: 0, medium: 1, low: 2, info: 3 };
const MAX_EVIDENCE = 200;
/** Repeats of one code beyond this are summarised, so a message with 300 shortened links stays readable. */
const MAX_PER_CODE = 3;

/** One short line: control characters and runs of spaces collapsed, long values cut with an ellipsis. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
  return line.length > MAX_EVIDENCE ? `${line.slice(0, MAX_EVIDENCE - 1)}…` : line;
}

/** Quotes a sender-controlled value for evidence: shortened and with invisible characters made visible. */
export function quote(value: string, max = 60): string {
  const visible = value.replace(INVISIBLE, (c) => `<${codepoint(c)}>`);
  const cut = visible.length > max ? `${visible.slice(0, max - 1)}…` : visible;
  return `"${cut}"`;
}

export class SignalList {
  private readonly items: Signal[] = [];
  private readonly seen = new Set<string>();
  private readonly codes = new Set<string>();

  add(code: SignalCode, severity: Severity, evidence: string): void {
    const line = oneLine(evidence);
    const key = `${code}\u0000${line}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.codes.add(code);
    this.items.push({ code, severity, evidence: line });
  }

  has(code: string): boolean {
    return this.codes.has(code);
  }

  /** Most severe first; within a severity, in the order found. Repeats of a code beyond MAX_PER_CODE are counted, not listed. */
  sorted(): Signal[] {
    // One pass to count and one to keep: a message with 10,000 risky attachments has 10,000 signals of one code.
    const byCode = new Map<string, { count: number; worst: Severity }>();
    for (const item of this.items) {
      const group = byCode.get(item.code) ?? { count: 0, worst: 'info' as Severity };
      if (group.count >= MAX_PER_CODE && RANK[item.severity] < RANK[group.worst]) group.worst = item.severity;
      group.count++;
      byCode.set(item.code, group);
    }
    const seen = new Map<string, number>();
    const kept: Signal[] = [];
    for (const item of this.items) {
      const index = seen.get(item.code) ?? 0;
      seen.set(item.code, index + 1);
      if (index < MAX_PER_CODE) kept.push(item);
      else if (index === MAX_PER_CODE) {
        const group = byCode.get(item.code)!;
        kept.push({ code: item.code, severity: group.worst, evidence: `…and ${group.count - MAX_PER_CODE} more like this` });
      }
    }
    return kept.map((s, i) => ({ s, i })).sort((a, b) => RANK[a.s.severity] - RANK[b.s.severity] || a.i - b.i).map(({ s }) => s);
  }
}

/**
 * The suggested verdict, deliberately simple so a DSL can predict it from the signals:
 *   1. the school's own phishing simulation (recognised and not contradicted by authentication) → "simulation";
 *   2. otherwise any high-severity signal → "likely_phishing";
 *   3. otherwise two or more medium signals → "suspicious";
 *   4. otherwise → "no_threat_found" (which is not "safe": low and info signals are still listed).
 */
export function verdictFor(signals: readonly Signal[], isSimulation: boolean): Verdict {
  if (isSimulation) return 'simulation';
  if (signals.some((s) => s.severity === 'high')) return 'likely_phishing';
  if (signals.filter((s) => s.severity === 'medium').length >= 2) return 'suspicious';
  return 'no_threat_found';
}
