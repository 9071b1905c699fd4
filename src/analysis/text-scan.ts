/**
 * Small linear scanners for sender-controlled text. A regular expression such as `[^\s<>]+@\S+` retried at every
 * position of a long run without spaces scans the rest of the run each time: its cost grows with the square of the
 * run (64 KB took seconds, 10 MB never finished). These helpers split text once and look at each piece once.
 */

import { isSpace } from '../domain/text.ts';

/** Characters that end an address or a URL token, as the display-name and fingerprint rules always treated them. */
const ADDRESS_STOPS = new Set(['<', '>', '"', "'", '(', ')']);

/** Runs of characters that are neither whitespace nor in `stops`, with where each starts. */
function* pieces(text: string, stops: ReadonlySet<string>): Generator<{ start: number; value: string }> {
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const char = text[i];
    const boundary = char === undefined || isSpace(char) || stops.has(char);
    if (boundary) {
      if (start >= 0) yield { start, value: text.slice(start, i) };
      start = -1;
    } else if (start < 0) start = i;
  }
}

/** Longest address a mail system accepts (RFC 5321 path limit); a longer piece is not an address. */
const MAX_ADDRESS = 320;
const DOMAIN_CHAR = /[a-z0-9.-]/i;
const LETTER = /[a-z]/i;

/**
 * Addresses written into text such as a display name ("service@paypal.com" <x@evil.example>): each piece between
 * spaces, quotes, brackets and parentheses that holds an "@" followed by a domain with a top-level part of two or
 * more letters. Returns the address and its domain, as `/[^\s<>"'()]+@([a-z0-9.-]+\.[a-z]{2,})/gi` did.
 */
export function addressesIn(text: string): { address: string; domain: string }[] {
  const found: { address: string; domain: string }[] = [];
  for (const { value } of pieces(text, ADDRESS_STOPS)) {
    if (value.length > MAX_ADDRESS) continue;
    const at = value.lastIndexOf('@');
    if (at < 1) continue;
    let end = at + 1;
    while (end < value.length && DOMAIN_CHAR.test(value[end]!)) end++;
    const run = value.slice(at + 1, end);
    // The longest prefix of the domain characters that ends in ".xx" (two or more letters, something before the dot).
    let cut = -1;
    for (let i = run.length; i > 0; ) {
      let j = i;
      while (j > 0 && LETTER.test(run[j - 1]!)) j--;
      if (i - j >= 2 && j >= 2 && run[j - 1] === '.') {
        cut = i;
        break;
      }
      // A shorter cut inside the same run of letters fails for the same reason: step past the run at once.
      i = j === i ? i - 1 : j;
    }
    if (cut < 0) continue;
    found.push({ address: value.slice(0, at + 1 + cut), domain: run.slice(0, cut) });
  }
  return found;
}

const WORD_CHAR = /\w/;
const URL_STARTS = ['http://', 'https://', 'www.'];

/** Where a URL starts in a piece of text without whitespace, as `\b(?:https?:\/\/|www\.)\S+` finds it; -1 if none. */
function urlStart(lowerToken: string): number {
  let best = -1;
  for (const prefix of URL_STARTS) {
    let from = 0;
    for (;;) {
      const at = lowerToken.indexOf(prefix, from);
      if (at < 0 || (best >= 0 && at >= best)) break;
      if ((at === 0 || !WORD_CHAR.test(lowerToken[at - 1]!)) && at + prefix.length < lowerToken.length) {
        best = at;
        break;
      }
      from = at + 1;
    }
  }
  return best;
}

/**
 * Text with URLs and anything that looks like an address replaced by a space, whitespace collapsed: the part of a
 * message that stays the same when a mailing tool personalises links and addresses per recipient.
 */
export function withoutUrlsAndAddresses(text: string): string {
  const out: string[] = [];
  let start = -1;
  const flush = (end: number) => {
    if (start < 0) return;
    let token = text.slice(start, end);
    start = -1;
    const url = urlStart(token.toLowerCase());
    if (url >= 0) token = `${token.slice(0, url)} `;
    // Within what is left, a piece between quotes, brackets or parentheses with an "@" inside it is an address.
    let kept = '';
    let piece = '';
    const closePiece = () => {
      const at = piece.indexOf('@', 1);
      kept += at >= 1 && at < piece.length - 1 ? ' ' : piece;
      piece = '';
    };
    for (const char of token) {
      if (ADDRESS_STOPS.has(char) || char === ' ') {
        closePiece();
        kept += char;
      } else piece += char;
    }
    closePiece();
    out.push(kept);
  };
  for (let i = 0; i <= text.length; i++) {
    const char = text[i];
    if (char === undefined || isSpace(char)) flush(i);
    else if (start < 0) start = i;
  }
  return out.join(' ');
}

/**
 * Finds many fixed strings in one pass (Aho–Corasick): the time is the text's length plus the strings' total
 * length, however many strings there are. A message can list thousands of recipients, and each of their
 * addresses must be removed from every evidence line and link.
 */
export class PhraseMatcher {
  private readonly next: Map<string, number>[] = [new Map()];
  private readonly fail: number[] = [0];
  /** Length of the longest phrase ending at each state (0: none). */
  private readonly longest: number[] = [0];

  constructor(phrases: Iterable<string>) {
    for (const phrase of phrases) {
      if (!phrase) continue;
      let state = 0;
      for (let k = 0; k < phrase.length; k++) {
        const char = phrase[k]!;
        let to = this.next[state]!.get(char);
        if (to === undefined) {
          to = this.next.length;
          this.next.push(new Map());
          this.fail.push(0);
          this.longest.push(0);
          this.next[state]!.set(char, to);
        }
        state = to;
      }
      this.longest[state] = Math.max(this.longest[state]!, phrase.length);
    }
    const queue: number[] = [...this.next[0]!.values()];
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      for (const [char, to] of this.next[state]!) {
        let f = this.fail[state]!;
        while (f > 0 && !this.next[f]!.has(char)) f = this.fail[f]!;
        const target = this.next[f]!.get(char);
        this.fail[to] = target !== undefined && target !== to ? target : 0;
        this.longest[to] = Math.max(this.longest[to]!, this.longest[this.fail[to]!]!);
        queue.push(to);
      }
    }
  }

  get empty(): boolean {
    return this.next[0]!.size === 0;
  }

  /**
   * `text` with every occurrence of a phrase (overlapping ones merged) replaced by `replacement`. Phrases are
   * given in lower case; the text is compared with its letters lower-cased one UTF-16 unit at a time, so the
   * positions found are positions in `text` itself.
   */
  replaceAll(text: string, replacement: string): string {
    const ranges: [number, number][] = [];
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const original = text[i]!;
      const folded = original.toLowerCase();
      const char = folded.length === 1 ? folded : original;
      while (state > 0 && !this.next[state]!.has(char)) state = this.fail[state]!;
      state = this.next[state]!.get(char) ?? 0;
      const length = this.longest[state]!;
      if (!length) continue;
      let start = i + 1 - length;
      while (ranges.length && start <= ranges[ranges.length - 1]![1]) start = Math.min(start, ranges.pop()![0]);
      ranges.push([start, i + 1]);
    }
    if (!ranges.length) return text;
    let out = '';
    let from = 0;
    for (const [start, end] of ranges) {
      out += text.slice(from, start) + replacement;
      from = end;
    }
    return out + text.slice(from);
  }
}
