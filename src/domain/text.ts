import { z } from 'zod';

/**
 * Control characters other than tab, line feed and carriage return, and UTF-16 surrogates that are not
 * part of a pair. PostgreSQL refuses NUL in text outright (SQLite stores it), and a lone surrogate is
 * silently turned into U+FFFD on the way to either database: refusing both at validation makes the two
 * engines behave the same and keeps what is stored equal to what was sent. Carriage return is allowed
 * because browsers send a textarea's line breaks as CRLF.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSTORABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]|\p{Cs}/u;

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
  return z.string(params).refine((value) => !hasUnstorableCharacters(value), { message: UNSTORABLE_TEXT_MESSAGE });
}
