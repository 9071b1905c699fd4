import { Base64Error, decodeBase64 } from '../../../addon/outlook/src/base64.ts';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

describe('decodeBase64 (the .eml from getAsFileAsync)', () => {
  it('decodes what Node encodes, for every length remainder', () => {
    for (const sample of ['', 'a', 'ab', 'abc', 'abcd', 'From: Head <head@example.test>\r\nSubject: £5 café 🙂\r\n\r\nBody']) {
      expect(text(decodeBase64(Buffer.from(sample, 'utf8').toString('base64')))).toBe(sample);
    }
  });

  it('decodes arbitrary bytes exactly', () => {
    const bytes = Buffer.from(Array.from({ length: 4099 }, (_, i) => (i * 31 + 7) % 256));
    expect(Buffer.from(decodeBase64(bytes.toString('base64'))).equals(bytes)).toBe(true);
  });

  it('ignores line breaks and spaces, as MIME-style base64 has them', () => {
    const encoded = Buffer.from('A message long enough to wrap over more than one line of base64 output.').toString('base64');
    const wrapped = encoded.replace(/(.{16})/g, '$1\r\n ');
    expect(text(decodeBase64(wrapped))).toBe('A message long enough to wrap over more than one line of base64 output.');
  });

  it('accepts missing padding and the URL-safe alphabet', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x01]);
    expect(Buffer.from(decodeBase64(bytes.toString('base64').replace(/=+$/, ''))).equals(bytes)).toBe(true);
    expect(Buffer.from(decodeBase64(bytes.toString('base64url'))).equals(bytes)).toBe(true);
  });

  it('refuses text that is not base64', () => {
    expect(() => decodeBase64('abc$')).toThrow(Base64Error);
    expect(() => decodeBase64('YQ==YQ==')).toThrow(Base64Error);
    expect(() => decodeBase64('Y')).toThrow(Base64Error);
    expect(() => decodeBase64('YQ===')).toThrow(Base64Error);
    expect(() => decodeBase64('é')).toThrow(Base64Error);
  });

  // Speed is measured by the benchmarks, not here; a decoder that went quadratic would hit the test's timeout.
  it('decodes a large message byte for byte', () => {
    const bytes = Buffer.alloc(8 * 1024 * 1024, 0x41);
    bytes.writeUInt32BE(0xdeadbeef, bytes.length - 4);
    const decoded = Buffer.from(decodeBase64(bytes.toString('base64')));
    expect(decoded.byteLength).toBe(bytes.byteLength);
    expect(decoded.equals(bytes)).toBe(true);
  });
});
