import type { PupilRecord } from './pupil.ts';

/**
 * A pupil file (a CTF from the MIS, or a CSV) as read, before any record is checked: one row per pupil, each
 * with where it is in the file so a problem can be pointed at, and the field names the file uses so a message
 * names what the school sees in its own file. Values are never put into messages: they name children.
 */
export type PupilField = keyof PupilRecord;

export interface PupilSourceRow {
  /** Where the pupil is in the file, as a person would find it: "line 12", "pupil 3 (line 41)". */
  position: string;
  values: Partial<Record<PupilField, string>>;
  /** Set when the pupil could not be read at all (an unreadable CSV line): what to fix. */
  problem?: string;
}

export interface PupilFile {
  format: 'ctf' | 'csv';
  rows: PupilSourceRow[];
  /**
   * Whether the file says it holds every pupil of the school (a CTF whose header says "full"); a CSV or a partial
   * CTF may hold only some. Pupils absent from a full file are counted, never deleted or marked left.
   */
  full: boolean;
  /** The file's own name for each field (CSV column, CTF element), for messages. */
  labels: Record<PupilField, string>;
  /** A problem with the whole file (not XML, not a CTF, no header): nothing can be imported. */
  problem?: string;
}

/** The CSV columns, in the order a template lists them. */
export const PUPIL_CSV_COLUMNS: Record<PupilField, string> = {
  upn: 'upn',
  legalForename: 'legal_forename',
  legalSurname: 'legal_surname',
  preferredForename: 'preferred_forename',
  preferredSurname: 'preferred_surname',
  dateOfBirth: 'date_of_birth',
  yearGroup: 'year_group',
  registrationGroup: 'registration_group',
  leftOn: 'leaving_date',
};

/** What an import did; every rejected pupil with where it is and what to fix. */
export interface PupilImportReport {
  format: 'ctf' | 'csv';
  full: boolean;
  added: number;
  updated: number;
  /** Pupils on roll before whom this file gives a leaving date (they stay on the register, as leavers). */
  markedLeft: number;
  unchanged: number;
  rejected: { position: string; message: string }[];
  /** On-roll pupils of the school a full file did not list: left as they were (see docs/decisions.md). */
  notInFile: number;
}
