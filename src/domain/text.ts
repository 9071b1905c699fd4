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
