import type { PupilFile } from '../../domain/pupil-import.ts';
import { readCtf } from './read-ctf.ts';
import { readPupilsCsv } from './read-pupils-csv.ts';

/**
 * A pupil file by its kind: a CTF (XML) or a CSV. The kind comes from the file name or the request's content type;
 * when neither says, a file whose first character is "<" is taken as XML.
 */
export function readPupilFile(text: string, kind?: 'xml' | 'csv'): PupilFile {
  const xml = kind ? kind === 'xml' : text.replace(/^\uFEFF/, '').trimStart().startsWith('<');
  return xml ? readCtf(text) : readPupilsCsv(text);
}

/** The kind of a pupil file from its name (.xml for a CTF, .csv), or undefined. */
export function pupilFileKindOf(fileName: string): 'xml' | 'csv' | undefined {
  const extension = /\.([a-z]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  return extension === 'xml' ? 'xml' : extension === 'csv' ? 'csv' : undefined;
}
