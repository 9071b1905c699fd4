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

/** Characters that cannot be part of an address's local part as it appears in text or a link. */
const NOT_LOCAL = new Set([' ', '\t', '\r', '\n', '<', '>', '(', ')', '[', ']', ',', ';', ':', '"', '@', '/', '?', '&', '=']);
const DOMAIN_CHARS = /[a-z0-9.-]/;
const MAX_LOCAL = 64;
const MAX_DOMAIN = 255;

/** ASCII letters lower-cased, every other character left as it is: positions stay those of the original. */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (run) => run.toLowerCase());
}

/**
 * A set of addresses (our own people's) found and replaced in text, as written and percent-encoded in links. A
 * message can list thousands of recipients: each "@" (or "%40") in the text is looked up by the domain after it
 * and the local part before it, so the time follows the text, not the number of addresses.
 */
export class AddressSet {
  private readonly forms: { separator: string; byDomain: Map<string, Set<string>> }[] = [
    { separator: '@', byDomain: new Map() },
    { separator: '%40', byDomain: new Map() },
  ];

  constructor(addresses: Iterable<string>) {
    for (const raw of addresses) {
      const address = asciiLower(raw);
      const at = address.lastIndexOf('@');
      if (at < 1 || at === address.length - 1 || at > MAX_LOCAL || address.length - at - 1 > MAX_DOMAIN) continue;
      const local = address.slice(0, at);
      const domain = address.slice(at + 1);
      this.add(0, local, domain);
      this.add(1, asciiLower(encodeURIComponent(local)), asciiLower(encodeURIComponent(domain)));
    }
  }

  private add(form: number, local: string, domain: string): void {
    const byDomain = this.forms[form]!.byDomain;
    let locals = byDomain.get(domain);
    if (!locals) byDomain.set(domain, (locals = new Set()));
    locals.add(local);
  }

  get empty(): boolean {
    return this.forms[0]!.byDomain.size === 0;
  }

  /** `text` with every address of the set (overlapping ones merged) replaced by `replacement`. */
  replaceAll(text: string, replacement: string): string {
    const lower = asciiLower(text);
    const ranges: [number, number][] = [];
    for (const { separator, byDomain } of this.forms) {
      if (!byDomain.size) continue;
      for (let p = lower.indexOf(separator); p >= 0; p = lower.indexOf(separator, p + 1)) {
        const domainStart = p + separator.length;
        let end = domainStart;
        while (end < lower.length && end - domainStart < MAX_DOMAIN && DOMAIN_CHARS.test(lower[end]!)) end++;
        let start = p;
        while (start > 0 && p - start < MAX_LOCAL && !NOT_LOCAL.has(lower[start - 1]!)) start--;
        if (start === p || end === domainStart) continue;
        // The longest address ending at a label boundary: the domain up to a "." or "-" or the end of the run.
        for (let q = end; q > domainStart; q--) {
          if (q !== end && lower[q] !== '.' && lower[q] !== '-') continue;
          const locals = byDomain.get(lower.slice(domainStart, q));
          if (!locals) continue;
          let t = start;
          while (t < p && !locals.has(lower.slice(t, p))) t++;
          if (t < p) {
            ranges.push([t, q]);
            break;
          }
        }
      }
    }
    if (!ranges.length) return text;
    ranges.sort((a, b) => a[0] - b[0]);
    let out = '';
    let from = 0;
    for (const [start, end] of ranges) {
      if (end <= from) continue;
      out += text.slice(from, Math.max(from, start)) + (start >= from ? replacement : '');
      from = end;
    }
    return out + text.slice(from);
  }
}
