import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { ICON_BACKGROUND, renderColorIcon, renderOutlineIcon } from '../../../scripts/make-icons.ts';

const APP_PACKAGE = resolve(__dirname, '../../../appPackage');
const read = (name: string): Buffer => readFileSync(join(APP_PACKAGE, name));

/** The header fields straight from the bytes: signature, then the IHDR chunk. */
function header(bytes: Buffer): { width: number; height: number; bitDepth: number; colorType: number } {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(bytes.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20), bitDepth: bytes[24]!, colorType: bytes[25]! };
}

function pixels(bytes: Buffer): { r: number; g: number; b: number; a: number }[] {
  const png = PNG.sync.read(bytes);
  const out = [];
  for (let i = 0; i < png.data.length; i += 4) out.push({ r: png.data[i]!, g: png.data[i + 1]!, b: png.data[i + 2]!, a: png.data[i + 3]! });
  return out;
}

const hex = ({ r, g, b }: { r: number; g: number; b: number }): string => `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`.toUpperCase();

describe('Teams app icons', () => {
  test('color.png is 192×192, opaque, on the manifest accent colour, with a white symbol', () => {
    const bytes = read('color.png');
    expect(header(bytes)).toMatchObject({ width: 192, height: 192, bitDepth: 8 });
    const all = pixels(bytes);
    expect(all).toHaveLength(192 * 192);
    expect(all.every((p) => p.a === 255)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(APP_PACKAGE, 'manifest.json'), 'utf8')) as { accentColor: string };
    expect(manifest.accentColor.toUpperCase()).toBe(ICON_BACKGROUND.toUpperCase());
    for (const corner of [0, 191, 192 * 191, 192 * 192 - 1]) expect(hex(all[corner]!)).toBe(ICON_BACKGROUND.toUpperCase());
    expect(hex(all[96 * 192 + 60]!)).toBe('#FFFFFF'); // inside the shield, left of the tick
    const white = all.filter((p) => p.r === 255 && p.g === 255 && p.b === 255).length;
    expect(white / all.length).toBeGreaterThan(0.1);
    expect(white / all.length).toBeLessThan(0.5);
  });

  test('outline.png is 32×32 with an alpha channel, and every pixel is white or fully transparent', () => {
    const bytes = read('outline.png');
    expect(header(bytes)).toMatchObject({ width: 32, height: 32, bitDepth: 8, colorType: 6 });
    const all = pixels(bytes);
    expect(all).toHaveLength(32 * 32);
    const offending = all.filter((p) => p.a !== 0 && (p.r !== 255 || p.g !== 255 || p.b !== 255));
    expect(offending).toEqual([]);
    for (const corner of [0, 31, 32 * 31, 32 * 32 - 1]) expect(all[corner]!.a).toBe(0);
    expect(all.filter((p) => p.a === 255).length).toBeGreaterThan(60); // a visible stroke, not a faint smudge
    expect(all.filter((p) => p.a === 0).length).toBeGreaterThan(32 * 32 * 0.5);
  });

  test('the committed icons are what scripts/make-icons.ts draws', () => {
    expect(PNG.sync.read(read('color.png')).data.equals(renderColorIcon().data)).toBe(true);
    expect(PNG.sync.read(read('outline.png')).data.equals(renderOutlineIcon().data)).toBe(true);
  });
});
