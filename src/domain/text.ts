import { z } from 'zod';

/**
 * Control characters other than tab, line feed and carriage return, and UTF-16 surrogates that are not
 * part of a pair. PostgreSQL refuses NUL in text outright (SQLite stores it), and a lone surrogate is
 * silently turned into U+FFFD on the way to either database: refusing both at validation makes the two
 * engines behave the same and keeps what is stored equal to what was sent. Carriage return is allowed
 * because browsers send a textarea's line breaks as CRLF.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSTORABLE = /[\u0000-\u0008\v\f\u000E-\u001F\p{Cs}]/u;

/** What a person is told when a field holds such a character; the field itself is named by the path. */
export const UNSTORABLE_TEXT_MESSAGE = 'Remove the control characters (such as NUL) from this field: only tabs and line breaks are allowed.';

/** True when the text holds a character DSL Desk refuses to store (see UNSTORABLE). */
export function hasUnstorableCharacters(value: string): boolean {
  return UNSTORABLE.test(value);
}

/**
 * A string field of user text or an id: `z.string()` that also refuses control characters (other than
 * tab and line breaks) and lone surrogates. Use it for every string that may reach storage; chain
 * `.trim()`, `.min()`, `.max()` as on z.string().
 */
export function textField(params?: Parameters<typeof z.string>[0]) {
  // eslint-disable-next-line no-restricted-syntax -- the one place a bare z.string() is wrapped
  return z.string(params).refine((value) => !hasUnstorableCharacters(value), { message: UNSTORABLE_TEXT_MESSAGE });
}

/**
 * Text kept as evidence exactly as someone else wrote it (the reported message's own text and its sender's
 * name): never refused for its characters, because a message someone sent a child must stay reportable
 * whatever it holds. It is only ever stored inside the sealed case document (encrypted JSON), which both
 * engines keep byte for byte, so it cannot make them differ.
 */
export function evidenceText(params?: Parameters<typeof z.string>[0]) {
  // eslint-disable-next-line no-restricted-syntax -- evidence is kept as sent; see above
  return z.string(params);
}

/**
 * Text helpers for values people and mail clients send us. `/x+$/` is retried from every position of a long run of
 * x that does not reach the end, so its time grows with the square of the run; these look at each character once.
 */

/** JavaScript's \s, as a predicate. */
export function isSpace(char: string): boolean {
  const code = char.charCodeAt(0);
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}

/** `text` without any of `chars` (and, with `spaces`, any whitespace) at its end. */
export function trimTrailing(text: string, chars: string, spaces = false): string {
  let end = text.length;
  while (end > 0 && (chars.includes(text[end - 1]!) || (spaces && isSpace(text[end - 1]!)))) end--;
  return end === text.length ? text : text.slice(0, end);
}
