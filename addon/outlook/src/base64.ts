/**
 * Base64 to bytes, for the .eml that `item.getAsFileAsync` returns. Written out rather than using atob:
 * classic Outlook on Windows runs the spam-reporting handler in a JavaScript-only runtime where browser
 * globals may be missing, and atob would build a 47 MB binary string for a 35 MB message.
 */

const TABLE = (() => {
  const table = new Int16Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i += 1) table[alphabet.charCodeAt(i)] = i;
  // The URL-safe alphabet, in case a host ever sends it.
  table['-'.charCodeAt(0)] = 62;
  table['_'.charCodeAt(0)] = 63;
  return table;
})();

export class Base64Error extends Error {
  override name = 'Base64Error';
}

/** Decodes standard or URL-safe base64; whitespace is ignored, padding is optional. Throws Base64Error on anything else. */
export function decodeBase64(text: string): Uint8Array {
  // Count the significant characters first so the output is allocated once.
  let significant = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 0x3d) {
      padding += 1;
      continue;
    }
    if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) continue;
    if (padding > 0) throw new Base64Error('base64 has characters after its padding');
    if (code > 255 || TABLE[code] === -1) throw new Base64Error(`base64 has an invalid character at position ${i}`);
    significant += 1;
  }
  if (padding > 2 || significant % 4 === 1) throw new Base64Error('base64 has the wrong length');
  const out = new Uint8Array(Math.floor((significant * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let written = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    const value = code < 256 ? TABLE[code]! : -1;
    if (value < 0) continue;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[written] = (buffer >> bits) & 0xff;
      written += 1;
    }
  }
  return out;
}
