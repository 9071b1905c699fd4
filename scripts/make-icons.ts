/**
 * Draws the two Teams app icons from simple shapes and writes them to appPackage/:
 *   color.png   192×192, a white shield with a tick on a full-bleed DSL Desk purple background;
 *   outline.png  32×32, the same shield as a white outline with a white tick on a transparent background.
 *
 * The drawing is plain geometry (no fonts, no external images), anti-aliased by supersampling, so the
 * output is the same on every machine. Run after changing the shapes or the colour, and commit the PNGs:
 *
 *   node scripts/make-icons.ts
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PNG } from 'pngjs';

/** The background of color.png; appPackage/manifest.json's accentColor must be the same colour. */
export const ICON_BACKGROUND = '#4B2A85';

export const COLOR_ICON_SIZE = 192;
export const OUTLINE_ICON_SIZE = 32;

export interface Rgba {
  width: number;
  height: number;
  /** Row-major RGBA, 4 bytes per pixel. */
  data: Buffer;
}

type Point = readonly [number, number];

// The shield lives on a 24×24 design grid (the usual icon grid): a peak at the top centre, straight
// shoulders down to y = 11, then sides that curve in to a point at the bottom.
const CENTRE_X = 12;
const PEAK_Y = 1.5;
const SHOULDER_Y = 5;
const HALF_WIDTH = 8.5;
const WAIST_Y = 11;
const POINT_Y = 22.5;
const TICK: readonly Point[] = [
  [7.6, 12.1],
  [10.6, 15.1],
  [16.4, 9.1],
];

function insideShield(x: number, y: number): boolean {
  const dx = Math.abs(x - CENTRE_X);
  if (dx > HALF_WIDTH) return false;
  const top = PEAK_Y + (SHOULDER_Y - PEAK_Y) * (dx / HALF_WIDTH);
  if (y < top || y > POINT_Y) return false;
  if (y <= WAIST_Y) return true;
  const t = (y - WAIST_Y) / (POINT_Y - WAIST_Y);
  return dx <= HALF_WIDTH * (1 - t * t);
}

/** Points of the shield at least `inset` grid units from its edge (an erosion, so the stroke is even). */
function insideShieldBy(x: number, y: number, inset: number): boolean {
  if (!insideShield(x, y)) return false;
  for (let step = 0; step < 24; step += 1) {
    const angle = (step / 24) * Math.PI * 2;
    if (!insideShield(x + Math.cos(angle) * inset, y + Math.sin(angle) * inset)) return false;
  }
  return true;
}

function distanceToSegment(x: number, y: number, [ax, ay]: Point, [bx, by]: Point): number {
  const vx = bx - ax;
  const vy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)));
  return Math.hypot(x - (ax + t * vx), y - (ay + t * vy));
}

function onTick(x: number, y: number, thickness: number): boolean {
  for (let i = 1; i < TICK.length; i += 1) {
    if (distanceToSegment(x, y, TICK[i - 1]!, TICK[i]!) <= thickness / 2) return true;
  }
  return false;
}

/**
 * Renders `size`×`size` pixels, the 24-unit design grid drawn `gridPixels` wide and centred. `paint`
 * says whether a point of the grid is "ink"; the result is each pixel's ink coverage from 0 to 1.
 */
function coverage(size: number, gridPixels: number, paint: (x: number, y: number) => boolean): Float64Array {
  const samples = 5; // 5×5 samples per pixel
  const scale = 24 / gridPixels;
  const offset = (size - gridPixels) / 2;
  const out = new Float64Array(size * size);
  for (let py = 0; py < size; py += 1) {
    for (let px = 0; px < size; px += 1) {
      let hits = 0;
      for (let sy = 0; sy < samples; sy += 1) {
        for (let sx = 0; sx < samples; sx += 1) {
          const x = (px + (sx + 0.5) / samples - offset) * scale;
          const y = (py + (sy + 0.5) / samples - offset) * scale;
          if (paint(x, y)) hits += 1;
        }
      }
      out[py * size + px] = hits / (samples * samples);
    }
  }
  return out;
}

function hexToRgb(hex: string): [number, number, number] {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!match) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [parseInt(match[1]!, 16), parseInt(match[2]!, 16), parseInt(match[3]!, 16)];
}

/** 192×192, opaque: the background colour everywhere, a white shield, the tick cut out of it. */
export function renderColorIcon(): Rgba {
  const size = COLOR_ICON_SIZE;
  // The shield fills the middle 120 px, leaving the outer band as background (Teams' guidance for
  // the colour icon: a full-bleed background with the symbol well inside it).
  const ink = coverage(size, 120, (x, y) => insideShield(x, y) && !onTick(x, y, 2.4));
  const background = hexToRgb(ICON_BACKGROUND);
  const data = Buffer.alloc(size * size * 4);
  ink.forEach((amount, i) => {
    for (let c = 0; c < 3; c += 1) data[i * 4 + c] = Math.round(background[c]! + (255 - background[c]!) * amount);
    data[i * 4 + 3] = 255;
  });
  return { width: size, height: size, data };
}

/** 32×32: white only, on transparent; the shield's outline and the tick, anti-aliased through alpha. */
export function renderOutlineIcon(): Rgba {
  const size = OUTLINE_ICON_SIZE;
  const gridPixels = 30;
  const stroke = (2 * 24) / gridPixels; // 2 px
  const ink = coverage(size, gridPixels, (x, y) => (insideShield(x, y) && !insideShieldBy(x, y, stroke)) || onTick(x, y, stroke));
  const data = Buffer.alloc(size * size * 4);
  ink.forEach((amount, i) => {
    data.fill(255, i * 4, i * 4 + 3);
    data[i * 4 + 3] = Math.round(255 * amount);
  });
  return { width: size, height: size, data };
}

/** PNG bytes: RGB for the opaque colour icon, RGBA for the outline icon (which needs its alpha). */
export function encodePng(image: Rgba, { alpha }: { alpha: boolean }): Buffer {
  const png = new PNG({ width: image.width, height: image.height, colorType: alpha ? 6 : 2, inputHasAlpha: true });
  image.data.copy(png.data);
  return PNG.sync.write(png, { colorType: alpha ? 6 : 2, inputHasAlpha: true });
}

export function writeIcons(appPackageDir: string): string[] {
  const color = join(appPackageDir, 'color.png');
  const outline = join(appPackageDir, 'outline.png');
  writeFileSync(color, encodePng(renderColorIcon(), { alpha: false }));
  writeFileSync(outline, encodePng(renderOutlineIcon(), { alpha: true }));
  return [color, outline];
}

const invokedAs = process.argv[1] ? resolve(process.argv[1]) : '';
if (/[\\/]scripts[\\/]make-icons\.ts$/.test(invokedAs)) {
  const appPackageDir = resolve(dirname(invokedAs), '..', 'appPackage');
  for (const file of writeIcons(appPackageDir)) console.log(`wrote ${file}`);
}
