/**
 * A printable QR code with its caption underneath: the QR code's own SVG (from `qrcode`) placed in a larger
 * SVG, the caption's lines below it as text, wrapped to the code's width. Printed at reception, the sheet
 * says who it is for, which policy and until when, without anyone having to scan it.
 */
const WIDTH = 480;
const FONT_SIZE = 15;
const LINE_HEIGHT = 21;
/** Characters per line that fit the width at this font size (a sans-serif averages about 0.55 em). */
const LINE_CHARACTERS = Math.floor(WIDTH / (FONT_SIZE * 0.55)) - 4;

export function captionedQrSvg(qrSvg: string, caption: readonly string[]): string {
  const match = /<svg\s[^>]*viewBox="([^"]+)"[^>]*>([\s\S]*)<\/svg>/.exec(qrSvg);
  if (!match) throw new Error('The QR code could not be drawn as SVG.');
  const lines = caption.flatMap((line) => wrap(line, LINE_CHARACTERS));
  const height = WIDTH + 12 + lines.length * LINE_HEIGHT + 12;
  const text = lines
    .map((line, i) => `<text x="${WIDTH / 2}" y="${WIDTH + 12 + (i + 1) * LINE_HEIGHT - 5}" text-anchor="middle">${escapeXml(line)}</text>`)
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    `<svg x="0" y="0" width="${WIDTH}" height="${WIDTH}" viewBox="${match[1]}" shape-rendering="crispEdges">${match[2]}</svg>` +
    `<g font-family="Arial, Helvetica, sans-serif" font-size="${FONT_SIZE}" fill="#000000">${text}</g>` +
    `</svg>\n`
  );
}

/** Splits a line at spaces so no piece is longer than `width` (a longer word stands alone). */
export function wrap(line: string, width: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(/\s+/).filter(Boolean)) {
    if (current && current.length + 1 + word.length > width) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) out.push(current);
  return out;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
