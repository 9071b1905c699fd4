import { remove as removeConfusables } from 'confusables';

/**
 * Unicode tricks used to make a name or a domain look like someone else's: homoglyphs from other scripts,
 * combining marks, invisible characters and digit swaps. Everything here works on short strings (display
 * names, subjects, host names, file names), never on message bodies.
 */

/**
 * Digits and ASCII pairs that read as letters at a glance. The confusables table maps other scripts to
 * Latin but leaves ASCII alone, so these are added on top: 0/o, 1/l, 5/s (and a few more seen in real
 * look-alike domains), plus the two-letter shapes "rn" (m) and "vv" (w).
 */
const DIGIT_SWAPS: Record<string, string> = { '0': 'o', '1': 'l', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', $: 's', '@': 'a', '|': 'l' };
const LETTER_PAIRS: [RegExp, string][] = [
  [/rn/g, 'm'],
  [/vv/g, 'w'],
];

/**
 * Characters that render as nothing (or reorder text) and have no business in a name, subject, file name
 * or host: zero-width spaces and joiners, bidi controls, soft hyphen, word joiner, fillers and tag characters.
 * ZWJ between emoji is legitimate and is excused in findInvisible.
 */
// The class lists invisible code points one by one on purpose, some of them joiners, hence the lint exception.
// eslint-disable-next-line no-misleading-character-class
export const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\u3164\uFEFF\uFFA0\u{E0000}-\u{E007F}]/gu;
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u;
// Emoji, skin-tone modifiers and the emoji presentation selector: the neighbours that make a ZWJ legitimate.
// eslint-disable-next-line no-misleading-character-class
const PICTOGRAPHIC = /[\p{Extended_Pictographic}\u{1F3FB}-\u{1F3FF}\uFE0F]/u;

/** Scripts whose letters are commonly passed off as Latin ones. */
const LOOKALIKE_SCRIPTS: [string, RegExp][] = [
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Cherokee', /\p{Script=Cherokee}/u],
  ['Coptic', /\p{Script=Coptic}/u],
  ['Georgian', /\p{Script=Georgian}/u],
  ['Lisu', /\p{Script=Lisu}/u],
];
const LATIN = /\p{Script=Latin}/u;
const NON_ASCII = /[\u0080-\u{10FFFF}]/u;

export interface InvisibleFinding {
  /** e.g. "U+200B" */
  codepoints: string[];
  /** Right-to-left overrides and friends: can make "gpj.exe" read as "exe.jpg". */
  bidi: boolean;
}

export function codepoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Invisible characters in `text`, ignoring zero-width joiners that glue emoji together. */
export function findInvisible(text: string): InvisibleFinding | undefined {
  if (!NON_ASCII.test(text)) return undefined;
  const found = new Set<string>();
  let bidi = false;
  for (const match of text.matchAll(INVISIBLE)) {
    const char = match[0];
    const at = match.index ?? 0;
    if (char === '\u200D') {
      const before = text.slice(Math.max(0, at - 2), at);
      const after = text.slice(at + 1, at + 3);
      if (PICTOGRAPHIC.test(before) && PICTOGRAPHIC.test(after)) continue;
    }
    if (BIDI.test(char)) bidi = true;
    found.add(codepoint(char));
  }
  return found.size ? { codepoints: [...found], bidi } : undefined;
}

/** Combining marks that survive NFC composition: legitimate accents compose into one letter, tricks do not. */
export function findCombiningMarks(text: string): string[] {
  if (!NON_ASCII.test(text)) return [];
  const found = new Set<string>();
  for (const match of text.normalize('NFC').matchAll(/\p{M}/gu)) found.add(codepoint(match[0]));
  return [...found];
}

export interface MixedScriptFinding {
  word: string;
  scripts: string[];
  /** The first non-Latin look-alike letter, for the evidence line, e.g. "Cyrillic а (U+0430)". */
  example: string;
}

/** A single word that mixes Latin letters with letters of a look-alike script, e.g. "pаypal" with a Cyrillic "а". */
export function findMixedScripts(text: string): MixedScriptFinding | undefined {
  if (!NON_ASCII.test(text)) return undefined;
  for (const word of text.split(/[^\p{L}\p{M}]+/u)) {
    if (!word || !LATIN.test(word) || !NON_ASCII.test(word)) continue;
    const scripts = new Set<string>();
    let example = '';
    for (const char of word) {
      for (const [name, pattern] of LOOKALIKE_SCRIPTS) {
        if (pattern.test(char)) {
          scripts.add(name);
          if (!example) example = `${name} ${char} (${codepoint(char)})`;
        }
      }
    }
    if (scripts.size) return { word, scripts: ['Latin', ...scripts], example };
  }
  return undefined;
}

/** The first character of a look-alike script in `text`, described for evidence ("Cyrillic а (U+0430)"). */
export function describeLookalikeChar(text: string): string | undefined {
  if (!NON_ASCII.test(text)) return undefined;
  for (const char of text) {
    for (const [name, pattern] of LOOKALIKE_SCRIPTS) if (pattern.test(char)) return `${name} ${char} (${codepoint(char)})`;
  }
  return undefined;
}

/**
 * What a string looks like to a hurried reader: invisible characters and combining marks removed, letters of
 * other scripts mapped to the Latin letters they imitate, accents dropped, lower-cased. Digits are left alone
 * here (see deepSkeleton) so that "Year 5" stays "year 5" when comparing names.
 */
export function skeleton(text: string): string {
  return fold(text).toLowerCase();
}

function fold(text: string): string {
  let out = text.normalize('NFKC');
  if (NON_ASCII.test(out)) {
    out = out.replace(INVISIBLE, '');
    out = removeConfusables(out.normalize('NFD').replace(/\p{M}/gu, ''));
  }
  return out;
}

/**
 * skeleton() plus the digit and letter-pair swaps, and a capital I read as l ("PayPaI"); used for host labels
 * and brand names, where these swaps are the trick rather than part of a real name.
 */
export function deepSkeleton(text: string): string {
  let out = fold(text).replace(/I/g, 'l').toLowerCase().replace(/[0134578$@|]/g, (c) => DIGIT_SWAPS[c] ?? c);
  for (const [pattern, letter] of LETTER_PAIRS) out = out.replace(pattern, letter);
  return out;
}

/** Lower-cased, accents folded, punctuation turned into single spaces: for comparing people's names. */
export function nameKey(text: string): string {
  return skeleton(text)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function hasNonAscii(text: string): boolean {
  return NON_ASCII.test(text);
}
