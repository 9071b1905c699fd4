import { readPeopleCsv } from '../../../src/cli/people-csv.ts';

describe('the CSV import reads each line on its own', () => {
  test('a stray quote in the middle, an unclosed quote and wrong cell counts are reported by line, and the lines after them are kept', () => {
    const csv = [
      'display_name,email,roles',
      'Ann Lead,ann@oak.example.org,staff;dsl',
      'Cat "Kitty" Jones,cat@oak.example.org,staff',
      'Bob Class,bob@oak.example.org,staff',
      '"Gus Open,gus@oak.example.org,staff',
      'Eve Extra,eve@oak.example.org,staff,oops',
      'Fay Few,fay@oak.example.org',
      '"Smith, Sam",sam@oak.example.org,"staff;it"',
      'Hal Last,hal@oak.example.org,staff',
    ].join('\n');
    const { rows, problem } = readPeopleCsv(csv);
    expect(problem).toBeUndefined();
    expect(rows.map((r) => [r.line, r.problem ? 'problem' : r.values.display_name])).toEqual([
      [2, 'Ann Lead'],
      [3, 'problem'],
      [4, 'Bob Class'],
      [5, 'problem'],
      [6, 'problem'],
      [7, 'problem'],
      [8, 'Smith, Sam'],
      [9, 'Hal Last'],
    ]);
    expect(rows[1]!.problem).toMatch(/stray double quote \("\) in cell 1 \(display_name\): remove it, or put the whole cell in double quotes/);
    expect(rows[3]!.problem).toMatch(/opens a cell and is never closed/);
    expect(rows[4]!.problem).toMatch(/has 4 cells but the first line names 3 columns/);
    expect(rows[5]!.problem).toMatch(/has 2 cells .* roles is missing/);
    expect(rows[6]!.values).toEqual({ display_name: 'Smith, Sam', email: 'sam@oak.example.org', roles: 'staff;it' });
  });

  test('a byte-order mark, CRLF or CR line ends and blank lines change nothing, and line numbers stay those of the file', () => {
    const lf = readPeopleCsv('Display_Name , Email,roles\n\nAnn Lead,ann@oak.example.org,staff\nBob Class,bob@oak.example.org,\n');
    const crlf = readPeopleCsv('\uFEFFDisplay_Name , Email,roles\r\n\r\nAnn Lead,ann@oak.example.org,staff\r\nBob Class,bob@oak.example.org,\r\n');
    const cr = readPeopleCsv('\uFEFFDisplay_Name , Email,roles\r\rAnn Lead,ann@oak.example.org,staff\rBob Class,bob@oak.example.org,\r');
    expect(crlf).toEqual(lf);
    expect(cr).toEqual(lf);
    expect(lf.rows).toEqual([
      { line: 3, values: { display_name: 'Ann Lead', email: 'ann@oak.example.org', roles: 'staff' } },
      { line: 4, values: { display_name: 'Bob Class', email: 'bob@oak.example.org', roles: '' } },
    ]);
  });

  test('a file without the required columns is refused as a whole, saying which are missing', () => {
    expect(readPeopleCsv('name,mail\nAnn,ann@oak.example.org\n').problem).toMatch(/^line 1 must name the columns: display_name and email are missing/);
    expect(readPeopleCsv('\uFEFF\r\n\r\n').problem).toMatch(/The file is empty/);
    expect(readPeopleCsv('display_name,email\n').rows).toEqual([]);
  });
});
