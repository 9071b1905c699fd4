import { parse } from 'csv-parse/sync';
import type { PersonRow } from '../app/people/import-people.ts';

/** The columns a people CSV may have; the first two are required. */
type CsvError = Error & { code: string; index?: number };

export const PEOPLE_CSV_COLUMNS = ['display_name', 'email', 'roles', 'entra_object_id', 'google_subject'] as const;
const REQUIRED = ['display_name', 'email'];

export interface PeopleCsv {
  rows: PersonRow[];
  /** A problem with the whole file (no header, a required column missing): nothing can be imported. */
  problem?: string;
}

/**
 * Reads a people CSV line by line, so one malformed line is reported with its number and what to fix, and
 * never swallows the lines after it (a quote left open would otherwise run to the end of the file). Each
 * record is one line: a person's name, email and roles never need a line break inside a cell. A byte-order
 * mark, CRLF or CR line ends and blank lines are accepted.
 */
export function readPeopleCsv(text: string): PeopleCsv {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const headerIndex = lines.findIndex((line) => line.trim() !== '');
  if (headerIndex < 0) return { rows: [], problem: `The file is empty: its first line must name the columns (${PEOPLE_CSV_COLUMNS.join(',')}).` };
  const header = cellsOf(lines[headerIndex]!);
  if ('problem' in header) return { rows: [], problem: `line ${headerIndex + 1} (the column names): ${header.problem}` };
  const columns = header.cells.map((cell) => cell.toLowerCase());
  const missing = REQUIRED.filter((column) => !columns.includes(column));
  if (missing.length) {
    return {
      rows: [],
      problem: `line ${headerIndex + 1} must name the columns: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing (found: ${columns.join(',') || 'nothing'}; expected ${PEOPLE_CSV_COLUMNS.join(',')}).`,
    };
  }
  const rows: PersonRow[] = [];
  for (let index = headerIndex + 1; index < lines.length; index += 1) {
    const text = lines[index]!;
    if (text.trim() === '') continue;
    const line = index + 1;
    const parsed = cellsOf(text, columns);
    if ('problem' in parsed) {
      rows.push({ line, values: {}, problem: parsed.problem });
      continue;
    }
    const { cells } = parsed;
    if (cells.length > columns.length) {
      rows.push({ line, values: {}, problem: `has ${cells.length} cells but the first line names ${columns.length} columns: put a name with a comma in double quotes ("Smith, Sam"), or remove the extra commas` });
      continue;
    }
    const absent = columns.slice(cells.length).filter((column) => REQUIRED.includes(column) || column === 'roles');
    if (absent.length) {
      rows.push({ line, values: {}, problem: `has ${cells.length} cell${cells.length === 1 ? '' : 's'} but the first line names ${columns.length} columns: ${absent.join(', ')} ${absent.length > 1 ? 'are' : 'is'} missing (leave an empty cell between commas rather than leaving it out)` });
      continue;
    }
    rows.push({ line, values: Object.fromEntries(columns.map((column, i) => [column, cells[i]])) });
  }
  return { rows };
}

function cellsOf(line: string, columns: string[] = []): { cells: string[] } | { problem: string } {
  try {
    const records = parse(line, { trim: true, relax_column_count: true }) as string[][];
    return { cells: records[0] ?? [] };
  } catch (error) {
    // csv-parse's CsvError (its sync and stream entry points each carry their own class): known by its code.
    if (!(error instanceof Error) || typeof (error as CsvError).code !== 'string') throw error;
    const { code } = error as CsvError;
    if (code === 'CSV_QUOTE_NOT_CLOSED') return { problem: 'a double quote (") opens a cell and is never closed: close it, or remove it (a cell cannot run over several lines)' };
    if (code === 'INVALID_OPENING_QUOTE' || code === 'CSV_INVALID_CLOSING_QUOTE' || code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE') {
      return { problem: `a stray double quote (") ${cellName(error, columns)}: remove it, or put the whole cell in double quotes and double each quote inside ("Sam ""Sammy"" Smith")` };
    }
    return { problem: `cannot be read as CSV (${error.message}): check its commas and quotes` };
  }
}

function cellName(error: Error, columns: string[]): string {
  const { index } = error as CsvError;
  if (typeof index !== 'number') return 'on the line';
  return columns[index] ? `in cell ${index + 1} (${columns[index]})` : `in cell ${index + 1}`;
}
