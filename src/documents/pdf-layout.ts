import { rgb, type PDFDocument, type PDFFont, type PDFPage } from 'pdf-lib';

/** Where one line of text was drawn: page index and its box in PDF points (origin bottom left). */
export interface DrawnText {
  page: number;
  text: string;
  x: number;
  /** Bottom of the box: the baseline plus the font's descent (negative), so descenders are inside. */
  y: number;
  width: number;
  height: number;
}

export interface PageSetup {
  size: [number, number];
  margin: { top: number; right: number; bottom: number; left: number };
}

export interface TextStyle {
  font: PDFFont;
  size: number;
  /** Extra space between wrapped lines, on top of the font's own height. */
  leading?: number;
}

/** One column of a block: text in a style, wrapped inside [x, x + width) from the content box's left. */
export interface Column {
  text: string;
  style: TextStyle;
  offset: number;
  width: number;
}

const INK = rgb(0.1, 0.1, 0.1);

/**
 * Flowing text layout on pdf-lib pages. Every line is wrapped by its measured width
 * (`font.widthOfTextAtSize`), a word wider than the column (an account id, a hash, an address) is broken
 * between characters, the cursor moves down by the real height of what was drawn, and a new page starts
 * when the next line would cross the bottom margin. Nothing is drawn anywhere else, so no two lines overlap
 * and all stay inside the margins; `drawn` lists every box for checks.
 */
export class PdfLayout {
  readonly drawn: DrawnText[] = [];
  private page: PDFPage;
  private pageIndex = 0;
  /** The top of the next line (PDF y grows upwards). */
  private cursor: number;

  private readonly pdf: PDFDocument;
  readonly setup: PageSetup;

  constructor(pdf: PDFDocument, setup: PageSetup) {
    this.pdf = pdf;
    this.setup = setup;
    this.page = pdf.addPage(setup.size);
    this.cursor = this.top;
  }

  get contentWidth(): number {
    return this.setup.size[0] - this.setup.margin.left - this.setup.margin.right;
  }

  private get top(): number {
    return this.setup.size[1] - this.setup.margin.top;
  }

  private get bottom(): number {
    return this.setup.margin.bottom;
  }

  /** Height one line of this style takes, descenders included, plus its leading. */
  static lineHeight(style: TextStyle): number {
    return style.font.heightAtSize(style.size) + (style.leading ?? style.size * 0.25);
  }

  /**
   * The text as the font can encode it. Composed first (NFC: "e" + combining marks becomes "ễ"), because
   * pdf-lib places each glyph on its own and would not stack a combining mark; a character the font still has
   * no glyph for (with DejaVu Sans: CJK, Indic scripts, emoji) becomes '?' rather than failing.
   */
  static encodable(font: PDFFont, text: string): string {
    const known = new Set(font.getCharacterSet());
    let out = '';
    for (const char of text.normalize('NFC').replace(/[\r\n\t]+/g, ' ')) out += known.has(char.codePointAt(0)!) ? char : '?';
    return out;
  }

  /**
   * Splits text into lines no wider than `width`: at spaces where it can, and between characters inside
   * a word that is wider than the whole line on its own.
   */
  static wrap(text: string, style: TextStyle, width: number): string[] {
    const { font, size } = style;
    const measure = (s: string) => font.widthOfTextAtSize(s, size);
    const lines: string[] = [];
    let current = '';
    for (const word of PdfLayout.encodable(font, text).split(' ').filter((w) => w.length > 0)) {
      const candidate = current ? `${current} ${word}` : word;
      if (measure(candidate) <= width) {
        current = candidate;
        continue;
      }
      if (current) lines.push(current);
      current = '';
      // The word alone: if it does not fit either, cut it into the longest pieces that do.
      let rest = word;
      while (measure(rest) > width) {
        let cut = 1;
        while (cut < rest.length && measure(rest.slice(0, cut + 1)) <= width) cut += 1;
        lines.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
      current = rest;
    }
    if (current) lines.push(current);
    return lines.length > 0 ? lines : [''];
  }

  /** Vertical space; at the top of a page it is dropped (a page never starts with a gap). */
  space(points: number): void {
    if (this.cursor >= this.top) return;
    this.cursor = Math.max(this.cursor - points, this.bottom);
  }

  /**
   * A paragraph across the full width. `keepWithNext` is the height that must fit below it on the same
   * page (a heading is never left alone at the foot of a page).
   */
  paragraph(text: string, style: TextStyle, options: { keepWithNext?: number } = {}): void {
    this.block([{ text, style, offset: 0, width: this.contentWidth }], options);
  }

  /**
   * Columns side by side (a label and its value): each wraps inside its own width; the block is as tall as
   * its tallest column. A block that fits on one page is never split; a taller one flows line by line.
   */
  block(columns: Column[], options: { keepWithNext?: number } = {}): void {
    const wrapped = columns.map((column) => ({ column, lines: PdfLayout.wrap(column.text, column.style, column.width), height: PdfLayout.lineHeight(column.style) }));
    const blockHeight = Math.max(...wrapped.map((w) => w.lines.length * w.height));
    const needed = blockHeight + (options.keepWithNext ?? 0);
    if (this.cursor - needed < this.bottom && needed <= this.top - this.bottom) this.newPage();
    const rows = Math.max(...wrapped.map((w) => w.lines.length));
    let rowTop = this.cursor;
    for (let row = 0; row < rows; row += 1) {
      const rowHeight = Math.max(...wrapped.filter((w) => row < w.lines.length).map((w) => w.height));
      if (rowTop - rowHeight < this.bottom) {
        this.newPage();
        rowTop = this.cursor;
      }
      for (const { column, lines } of wrapped) {
        const line = lines[row];
        if (line === undefined) continue;
        this.drawLine(line, column.style, this.setup.margin.left + column.offset, rowTop);
      }
      rowTop -= rowHeight;
    }
    this.cursor = rowTop;
  }

  /** How much room is left on this page. */
  get remaining(): number {
    return this.cursor - this.bottom;
  }

  private newPage(): void {
    this.page = this.pdf.addPage(this.setup.size);
    this.pageIndex += 1;
    this.cursor = this.top;
  }

  private drawLine(text: string, style: TextStyle, x: number, top: number): void {
    const { font, size } = style;
    const glyphHeight = font.heightAtSize(size);
    const descent = glyphHeight - font.heightAtSize(size, { descender: false });
    // The glyph box sits at the top of the line's slot; the leading is below it.
    const boxBottom = top - glyphHeight;
    const baseline = boxBottom + descent;
    if (!text) return;
    this.page.drawText(text, { x, y: baseline, size, font, color: INK });
    this.drawn.push({ page: this.pageIndex, text, x, y: boxBottom, width: font.widthOfTextAtSize(text, size), height: glyphHeight });
  }
}
