import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCtf } from '../../../src/integrations/pupil-files/read-ctf.ts';
import { readPupilFile, pupilFileKindOf } from '../../../src/integrations/pupil-files/read-pupil-file.ts';
import { readPupilsCsv } from '../../../src/integrations/pupil-files/read-pupils-csv.ts';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/ctf', name), 'utf8');

describe('reading a CTF', () => {
  test('the common layout: legal names and DOB under Pupil, preferred names and year in BasicDetails, full', () => {
    const file = readCtf(fixture('sims-full.xml'));
    expect(file.problem).toBeUndefined();
    expect(file.full).toBe(true);
    expect(file.rows.map((row) => row.position)).toEqual(['pupil 1 (line 21)', 'pupil 2 (line 41)', 'pupil 3 (line 64)']);
    expect(file.rows[0]!.values).toEqual({ upn: 'F938200119001', legalForename: 'Samantha', legalSurname: 'Green', preferredForename: 'Sam', dateOfBirth: '2016-03-14', yearGroup: '5', registrationGroup: '5G' });
    // A leaver: the leaving date of this school's own history entry.
    expect(file.rows[1]!.values.leftOn).toBe('2026-07-22');
    // Left a previous school, on roll here.
    expect(file.rows[2]!.values.leftOn).toBeUndefined();
  });

  test('another flavour: a namespace prefix, legal names in BasicDetails, optional fields missing, partial', () => {
    const file = readCtf(fixture('arbor-partial.xml'));
    expect(file.full).toBe(false);
    expect(file.rows[0]!.values).toEqual({ upn: 'Y938200119004', legalForename: 'Cormac', legalSurname: 'Abernethy', dateOfBirth: '2016-01-21' });
  });

  test('Welsh letters are kept as written', () => {
    const names = readCtf(fixture('welsh-school.xml')).rows.map((row) => `${row.values.legalForename} ${row.values.legalSurname}`);
    expect(names).toEqual(['Gwenllïan ap Gwŷn', 'Siôn Llŵyd', "Ffion O'Rourke-Hâf"]);
  });

  test('a file that is not a CTF, not XML, or declares entities is refused as a whole, saying what to do', () => {
    expect(readCtf('<CTfile><Header></CTfile>').problem).toMatch(/not well-formed XML \(near line 1\)/);
    expect(readCtf('<?xml version="1.0"?><Pupils/>').problem).toMatch(/outer element must be CTfile/);
    expect(readCtf('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><CTfile/>').problem).toMatch(/DOCTYPE/);
    expect(readCtf('<CTfile><Header/></CTfile>').problem).toMatch(/lists no pupils/);
  });
});

describe('reading a pupil CSV', () => {
  test('every line becomes a pupil or a problem with its line number; accents kept', () => {
    const file = readPupilsCsv(fixture('pupils.csv'));
    expect(file.problem).toBeUndefined();
    expect(file.rows.map((row) => row.position)).toEqual(['line 2', 'line 3', 'line 4', 'line 5']);
    expect(file.rows[0]!.values).toEqual({ upn: 'E938200119008', legalForename: 'Amélie', legalSurname: 'Duchêne', preferredForename: 'Millie', dateOfBirth: '2016-07-07', yearGroup: '5', registrationGroup: '5G' });
    expect(file.rows[1]!.values.leftOn).toBe('2026-07-22');
    expect(file.rows[3]!.problem).toMatch(/never closed/);
  });

  test('a header without the required columns is a problem with the whole file', () => {
    expect(readPupilsCsv('name,dob\nSam,2016-01-01\n').problem).toMatch(/upn, legal_forename, legal_surname, date_of_birth are missing/);
    expect(readPupilsCsv('').problem).toMatch(/empty/);
  });

  test('the kind of file from its name or its first character', () => {
    expect(pupilFileKindOf('export.XML')).toBe('xml');
    expect(pupilFileKindOf('pupils.csv')).toBe('csv');
    expect(readPupilFile('\uFEFF  <CTfile/>').format).toBe('ctf');
    expect(readPupilFile('upn,legal_forename').format).toBe('csv');
  });
});
