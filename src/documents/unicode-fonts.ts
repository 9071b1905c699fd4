import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import fontkit from '@pdf-lib/fontkit';
import type { PDFDocument, PDFFont } from 'pdf-lib';

/**
 * DejaVu Sans, embedded (subset to the glyphs used) so names print as typed: Łukasz, Siân, Dafydd ap Gwŷn,
 * Nguyễn. The files come from the dejavu-fonts-ttf package, found through Node's resolver from this module
 * (in the esbuild bundle `import.meta.url` still names this source file, so the same lookup works there).
 * DejaVu Sans covers Latin (with Vietnamese), Greek, Cyrillic, Armenian, Georgian, Hebrew and Arabic letters
 * (drawn unshaped), many symbols and the common emoticons (in black and white); it has no Chinese, Japanese,
 * Korean, Indic or Thai glyphs: those still print as "?" (docs/decisions.md).
 */
const FONT_FILES = { regular: 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf', bold: 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf' } as const;

export type FontWeight = keyof typeof FONT_FILES;

const loaded = new Map<FontWeight, Promise<Uint8Array>>();

/** Where a font file is installed. */
export function unicodeFontPath(weight: FontWeight): string {
  return createRequire(import.meta.url).resolve(FONT_FILES[weight]);
}

function fontBytes(weight: FontWeight): Promise<Uint8Array> {
  let bytes = loaded.get(weight);
  if (!bytes) {
    bytes = readFile(unicodeFontPath(weight));
    // A failed read is not remembered: the next certificate tries again.
    bytes.catch(() => loaded.delete(weight));
    loaded.set(weight, bytes);
  }
  return bytes;
}

/** Embeds the regular and bold Unicode fonts in a document, subset to what is drawn. */
export async function embedUnicodeFonts(pdf: PDFDocument): Promise<Record<FontWeight, PDFFont>> {
  pdf.registerFontkit(fontkit);
  const [regular, bold] = await Promise.all([fontBytes('regular'), fontBytes('bold')]);
  return { regular: await pdf.embedFont(regular, { subset: true }), bold: await pdf.embedFont(bold, { subset: true }) };
}
