import { parse } from 'csv-parse/sync';
import { PUPIL_CSV_COLUMNS, type PupilField, type PupilFile, type PupilSourceRow } from '../../domain/pupil-import.ts';

type CsvError = Error & { code: string };

const REQUIRED: PupilField[] = ['upn', 'legalForename', 'legalSurname', 'dateOfBirth'];
const FIELD_BY_COLUMN = new Map(Object.entries(PUPIL_CSV_COLUMNS).map(([field, column]) => [column, field as PupilField]));

/**
 * Reads a pupil CSV (columns upn, legal_forename, legal_surname, preferred_forename, preferred_surname,
 * date_of_birth, year_group, registration_group, leaving_date; the first four required) line by line, so one
 * malformed line is reported with its number and never swallows the lines after it. A byte-order mark, CRLF or CR
 * line ends, blank lines and columns in any order are accepted; unknown columns are ignored.
 */
export function readPupilsCsv(text: string): PupilFile {
  const empty = (problem: string): PupilFile => ({ format: 'csv', rows: [], full: false, labels: PUPIL_CSV_COLUMNS, problem });
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const headerIndex = lines.findIndex((line) => line.trim() !== '');
  const expected = Object.values(PUPIL_CSV_COLUMNS).join(',');
  if (headerIndex < 0) return empty(`The file is empty: its first line must name the columns (${expected}).`);
  const header = cellsOf(lines[headerIndex]!);
  if ('problem' in header) return empty(`line ${headerIndex + 1} (the column names) ${header.problem}`);
  const columns = header.cells.map((cell) => cell.toLowerCase());
  const missing = REQUIRED.map((field) => PUPIL_CSV_COLUMNS[field]).filter((column) => !columns.includes(column));
  if (missing.length) return empty(`line ${headerIndex + 1} must name the columns: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing (expected ${expected}).`);

  const rows: PupilSourceRow[] = [];
  for (let index = headerIndex + 1; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (line.trim() === '') continue;
    const position = `line ${index + 1}`;
    const parsed = cellsOf(line);
    if ('problem' in parsed) {
      rows.push({ position, values: {}, problem: parsed.problem });
      continue;
    }
    if (parsed.cells.length > columns.length) {
      rows.push({ position, values: {}, problem: `has ${parsed.cells.length} cells but the first line names ${columns.length} columns: put a name with a comma in double quotes, or remove the extra commas` });
      continue;
    }
    const values: PupilSourceRow['values'] = {};
    columns.forEach((column, i) => {
      const field = FIELD_BY_COLUMN.get(column);
      const value = parsed.cells[i];
      if (field && value) values[field] = value;
    });
    rows.push({ position, values });
  }
  if (!rows.length) return empty('The file names its columns but lists no pupils.');
  return { format: 'csv', rows, full: false, labels: PUPIL_CSV_COLUMNS };
}

function cellsOf(line: string): { cells: string[] } | { problem: string } {
  try {
    const records = parse(line, { trim: true, relax_column_count: true }) as string[][];
    return { cells: records[0] ?? [] };
  } catch (error) {
    if (!(error instanceof Error) || typeof (error as CsvError).code !== 'string') throw error;
    if ((error as CsvError).code === 'CSV_QUOTE_NOT_CLOSED') return { problem: 'has a double quote (") that opens a cell and is never closed: close it or remove it (a cell cannot run over several lines)' };
    return { problem: 'has a stray double quote ("): remove it, or put the whole cell in double quotes and double each quote inside' };
  }
}
