import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { PupilField, PupilFile, PupilSourceRow } from '../../domain/pupil-import.ts';

/**
 * Reads the DfE Common Transfer File (CTF) an MIS exports: `CTfile` → `Header` (with `DocumentQualifier` full or
 * partial, and `SourceSchool` LEA and Estab) and `CTFpupilData` → `Pupil`. From each pupil: `UPN`, `Surname`,
 * `Forename` and `DOB` (directly under `Pupil`), `PreferredSurname`, `PreferredForename` and `NCyearActual` (in
 * `BasicDetails`), and the `LeavingDate` of the `SchoolHistory` → `School` entry that is the source school itself
 * (a leaving date from a previous school says nothing about this one). MIS flavours differ: names and the date of
 * birth are also taken from `BasicDetails`, and the legal names from `LegalSurname`/`LegalForename`. The CTF
 * schema has no registration group; a `RegGroup` or `RegistrationGroup` an MIS adds (in `BasicDetails` or the
 * pupil) is taken when present. The XML is parsed by fast-xml-parser; a DOCTYPE (and so any entity it could declare) is refused.
 */
export const CTF_LABELS: Record<PupilField, string> = {
  upn: 'UPN',
  legalForename: 'Forename',
  legalSurname: 'Surname',
  preferredForename: 'PreferredForename',
  preferredSurname: 'PreferredSurname',
  dateOfBirth: 'DOB',
  yearGroup: 'NCyearActual',
  registrationGroup: 'RegGroup',
  leftOn: 'LeavingDate',
};

/** A CTF of a large secondary school is a few megabytes; anything far larger is not a pupil file. */
export const CTF_MAX_BYTES = 50 * 1024 * 1024;

/** A parsed element: its child elements by name (arrays, see `isArray`) and its text. */
type Node = { [name: string]: Node[] | string | undefined; '#text'?: string };

function children(parent: Node | undefined, name: string): Node[] {
  const found = parent?.[name];
  return Array.isArray(found) ? found : [];
}

function child(parent: Node | undefined, name: string): Node | undefined {
  return children(parent, name)[0];
}

function text(parent: Node | undefined, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = child(parent, name)?.['#text'];
    if (typeof value === 'string' && value.trim()) return value.trim();
    if (typeof value === 'number') return String(value);
  }
  return undefined;
}

/**
 * Every element becomes an array of nodes, text included, so a pupil with one School or one Pupil in the file
 * reads like one with several; values stay strings (a UPN or year "05" must not become a number).
 */
const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  alwaysCreateTextNode: true,
  processEntities: true,
  htmlEntities: false,
  isArray: () => true,
});

/** The line each `<Pupil>` element starts on, in order, for messages (the parser itself keeps no positions). */
function pupilLines(xml: string): number[] {
  const lines: number[] = [];
  const opening = /<(?:[A-Za-z_][\w.-]*:)?Pupil[\s>]/g;
  let line = 1;
  let from = 0;
  for (let match = opening.exec(xml); match; match = opening.exec(xml)) {
    for (let i = from; i < match.index; i += 1) if (xml.charCodeAt(i) === 10) line += 1;
    from = match.index;
    lines.push(line);
  }
  return lines;
}

export function readCtf(xml: string): PupilFile {
  const empty = (problem: string): PupilFile => ({ format: 'ctf', rows: [], full: false, labels: CTF_LABELS, problem });
  if (Buffer.byteLength(xml, 'utf8') > CTF_MAX_BYTES) return empty('The file is larger than a CTF can be (50 MB): export the pupils again from the MIS.');
  const source = xml.replace(/^\uFEFF/, '');
  // A CTF has no document type; one with a DOCTYPE could declare entities that expand without end.
  if (/<!DOCTYPE/i.test(source)) return empty('The file declares a DOCTYPE, which a CTF never has: export the CTF again from the MIS rather than editing it.');
  const valid = XMLValidator.validate(source);
  if (valid !== true) return empty(`The file is not well-formed XML (near line ${valid.err.line}): export the CTF again from the MIS rather than editing it by hand.`);
  const document = parser.parse(source) as Node;
  const root = child(document, 'CTfile');
  if (!root) return empty('This is XML but not a Common Transfer File: its outer element must be CTfile. Export a CTF (or a CSV) from the MIS.');

  const header = child(root, 'Header');
  const full = text(header, 'DocumentQualifier')?.toLowerCase() === 'full';
  const sourceSchool = child(header, 'SourceSchool');
  const sourceLea = text(sourceSchool, 'LEA');
  const sourceEstab = text(sourceSchool, 'Estab');

  const pupils = children(child(root, 'CTFpupilData'), 'Pupil');
  const lines = pupilLines(source);
  const rows: PupilSourceRow[] = pupils.map((pupil, index) => {
    const line = lines[index];
    const basic = child(pupil, 'BasicDetails');
    const both = (...names: string[]) => text(pupil, ...names) ?? text(basic, ...names);
    const ownSchool = children(child(pupil, 'SchoolHistory'), 'School').filter((school) => sourceLea !== undefined && sourceEstab !== undefined && text(school, 'LEA') === sourceLea && text(school, 'Estab') === sourceEstab);
    const leftOn = ownSchool.map((school) => text(school, 'LeavingDate')).find(Boolean);
    const values: PupilSourceRow['values'] = {
      upn: text(pupil, 'UPN'),
      legalForename: both('Forename', 'LegalForename'),
      legalSurname: both('Surname', 'LegalSurname'),
      preferredForename: both('PreferredForename'),
      preferredSurname: both('PreferredSurname'),
      dateOfBirth: both('DOB'),
      yearGroup: both('NCyearActual'),
      registrationGroup: both('RegGroup', 'RegistrationGroup'),
      leftOn: leftOn?.slice(0, 10),
    };
    return { position: `pupil ${index + 1}${line ? ` (line ${line})` : ''}`, values: Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) };
  });
  if (!rows.length) return { format: 'ctf', rows, full, labels: CTF_LABELS, problem: 'The CTF lists no pupils (no CTFpupilData → Pupil): export it again with the pupils selected.' };
  return { format: 'ctf', rows, full, labels: CTF_LABELS };
}
