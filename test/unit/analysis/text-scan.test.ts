import fc from 'fast-check';
import { AddressSet, addressesIn, withoutUrlsAndAddresses } from '../../../src/analysis/text-scan.ts';
import { trimTrailing } from '../../../src/domain/text.ts';

/**
 * The linear scanners give the same answers as the patterns they replaced (run here on short strings only: on long
 * ones those patterns are the problem). test/unit/analysis/adversarial.test.ts shows the long runs.
 */

// Characters that matter to the old patterns, so that generated strings hit their edge cases often.
const alphabet = fc.constantFrom('a', 'B', '7', '@', '.', '-', '_', ' ', '\t', '\n', '\u00a0', '\u2003', '<', '>', '"', "'", '(', ')', '/', ':', 'h', 't', 'p', 's', 'w', 'x', 'é', '%');
const text = fc.array(alphabet, { maxLength: 40 }).map((chars) => chars.join(''));

describe('the same answers as the old patterns', () => {
  test('addresses in a display name', () => {
    fc.assert(
      fc.property(text, (value) => {
        const old = [...value.matchAll(/[^\s<>"'()]+@([a-z0-9.-]+\.[a-z]{2,})/gi)].map((m) => ({ address: m[0], domain: m[1] }));
        expect(addressesIn(value)).toEqual(old);
      }),
      { numRuns: 3000 },
    );
  });

  test('URLs and addresses removed for the fingerprint', () => {
    const old = (value: string) =>
      value
        .replace(/\b(?:https?:\/\/|www\.)\S+/gi, ' ')
        .replace(/[^\s<>"'()]+@[^\s<>"'()]+/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
    fc.assert(
      fc.property(text, (value) => {
        expect(withoutUrlsAndAddresses(value).replace(/\s+/g, ' ').trim()).toBe(old(value));
      }),
      { numRuns: 3000 },
    );
  });

  test('trailing characters trimmed', () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(trimTrailing(value, '.,;:!?)]}>')).toBe(value.replace(/[.,;:!?)\]}>]+$/, ''));
        expect(trimTrailing(value, '/')).toBe(value.replace(/\/+$/, ''));
      }),
    );
  });

  test('own addresses replaced wherever they occur as addresses, written or percent-encoded, in any case', () => {
    const part = fc.array(fc.constantFrom('a', 'b', '.', '-'), { minLength: 1, maxLength: 4 }).map((c) => c.join(''));
    const address = fc.tuple(part.filter((l) => /^[ab]/.test(l)), part.filter((d) => /^[ab]/.test(d) && /[ab]$/.test(d))).map(([l, d]) => `${l}@${d}`);
    const around = fc.constantFrom(' ', '<', '>', '"', '(', ')', '/', '?', '=', '&', ',');
    fc.assert(
      fc.property(fc.array(address, { minLength: 1, maxLength: 4 }), fc.array(fc.oneof(address, around, part), { maxLength: 12 }), fc.boolean(), (own, pieces, encode) => {
        const written = pieces.map((piece) => (encode && own.includes(piece) ? encodeURIComponent(piece) : piece));
        const value = written.join(' ');
        const result = new AddressSet(own.map((o) => o.toUpperCase())).replaceAll(value, '#');
        // Every own address that stood on its own is gone, and text that held none anywhere is unchanged.
        for (const phrase of own) expect(` ${result} `).not.toContain(` ${encode ? encodeURIComponent(phrase) : phrase} `);
        if (!own.some((o) => value.includes(o) || value.includes(encodeURIComponent(o)))) expect(result).toBe(value);
      }),
      { numRuns: 3000 },
    );
  });
});
