import { DateTime } from 'luxon';
import type { DirectoryUser } from './directory.ts';

/**
 * A Google Workspace school's directory as DSL Desk sees it. New accounts are found two ways: the Admin SDK
 * Reports API's CREATE_USER events (read every few minutes from a stored cursor) and, as a nightly safety
 * net, the Directory API's full user list. Both arrive as WorkspaceUser and go through the same rules.
 * Everything here is pure: the port is implemented in src/integrations/google.
 */

/** One Workspace account, as Directory `users.get` / `users.list` describe it. */
export interface WorkspaceUser {
  /** Google's immutable user id: the same number as the `sub` of the person's Google ID tokens. */
  id: string;
  primaryEmail: string;
  fullName: string | null;
  /** `/` is the domain's root; schools usually keep pupils in their own org units. */
  orgUnitPath: string;
  /** ISO instant the account was created, or null when Google did not say. */
  creationTime: string | null;
  suspended: boolean;
  archived: boolean;
  department: string | null;
  jobTitle: string | null;
}

/** Who DSL Desk acts as on a school's Workspace domain (domain-wide delegation), and for which domain. */
export interface WorkspaceAdmin {
  domain: string;
  adminEmail: string;
}

/** A CREATE_USER event: its unique key, its time, and the email of the account it created. */
export interface CreatedUserEvent {
  key: string;
  time: string;
  email: string;
}

/**
 * The Google side of the directory port: Reports API events and Directory reads, made as the school's admin.
 * Refusals throw AppError: `forbidden` (delegation or scopes missing: an operator must act) or `unavailable`
 * (429, 5xx, network: tried again at a later poll, after `retryAfterSeconds` when Google said).
 */
export interface WorkspaceDirectory {
  /** CREATE_USER events at or after `startTime`, every page, in no particular order. */
  createdUserEvents(admin: WorkspaceAdmin, startTime: string): Promise<CreatedUserEvent[]>;
  /** One account by email or id; undefined when it no longer exists (deleted since the event). */
  getUser(admin: WorkspaceAdmin, userKey: string): Promise<WorkspaceUser | undefined>;
  /** One page of the customer's accounts from `pageToken` (null: the first), and the token of the next page (null: none). */
  listUsersPage(admin: WorkspaceAdmin, pageToken: string | null): Promise<{ users: WorkspaceUser[]; nextPageToken: string | null }>;
  /** Every account of the customer, page by page (onPage awaited before the next page is read). */
  listUsers(admin: WorkspaceAdmin, onPage: (users: WorkspaceUser[]) => Promise<void>): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// The Reports cursor
// ---------------------------------------------------------------------------------------------------------

/**
 * Where reading CREATE_USER events got to. Google can add an event to the log a few minutes after its time,
 * so each read starts `REPORTS_OVERLAP_MS` before the latest event handled, and the events already handled
 * in that window are remembered by key: a restart, a late event and several events in the same second are
 * each handled exactly once.
 */
export interface ReportsCursor {
  /** The latest event time handled (or the moment reading began, before any event). */
  time: string;
  /** Keys of the events handled at or after `time - REPORTS_OVERLAP_MS`. */
  seen: { key: string; time: string }[];
}

export const REPORTS_OVERLAP_MS = 60 * 60_000;

/** What a cursor keeps of an event: its unique key and its time (CREATE_USER events, Alert Center alerts). */
export interface CursorEvent {
  key: string;
  time: string;
}

/** The `startTime` of the next read. */
export function reportsStartTime(cursor: ReportsCursor): string {
  return new Date(Date.parse(cursor.time) - REPORTS_OVERLAP_MS).toISOString();
}

/** The events not handled yet, oldest first (so progress can be kept up to the first failure). */
export function unseenEvents<T extends CursorEvent>(cursor: ReportsCursor, events: readonly T[]): T[] {
  const seen = new Set(cursor.seen.map((entry) => entry.key));
  const fresh = new Map<string, T>();
  for (const event of events) if (!seen.has(event.key) && !fresh.has(event.key)) fresh.set(event.key, event);
  return [...fresh.values()].sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.key.localeCompare(b.key));
}

/** The cursor after handling `event`: the window keeps only what a later read could return again. */
export function cursorAfter(cursor: ReportsCursor, event: CursorEvent): ReportsCursor {
  const latest = Date.parse(event.time) > Date.parse(cursor.time) ? new Date(Date.parse(event.time)).toISOString() : cursor.time;
  const from = Date.parse(latest) - REPORTS_OVERLAP_MS;
  const seen = [...cursor.seen.filter((entry) => Date.parse(entry.time) >= from && entry.key !== event.key), { key: event.key, time: event.time }];
  return { time: latest, seen };
}

// ---------------------------------------------------------------------------------------------------------
// Staff or pupil
// ---------------------------------------------------------------------------------------------------------

/** Org unit names that mean pupils' accounts when a school has not listed its staff org units. */
const PUPIL_WORDS = ['pupil', 'student'];

/**
 * Whether an account in `orgUnitPath` is a member of staff. A school that lists its staff org units
 * (`/Staff`, `/Teachers`) gets exactly those and the units below them; otherwise every unit counts except
 * one whose path names pupils or students anywhere (`/Pupils/Year 3`, `/Students`, `/KS2 pupils`).
 */
export function isStaffOrgUnit(orgUnitPath: string, staffOrgUnits: readonly string[]): boolean {
  const path = normaliseOrgUnitPath(orgUnitPath).toLowerCase();
  if (staffOrgUnits.length > 0) {
    return staffOrgUnits.some((unit) => {
      const prefix = normaliseOrgUnitPath(unit).toLowerCase();
      return prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
    });
  }
  return !PUPIL_WORDS.some((word) => path.includes(word));
}

/** `/Staff/`, `Staff` and `/Staff` are the same unit. */
export function normaliseOrgUnitPath(path: string): string {
  let trimmed = path.trim();
  while (trimmed.endsWith('/')) trimmed = trimmed.slice(0, -1);
  if (trimmed === '') return '/';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/**
 * The account in the shape the shared starter rules read (classifyDirectoryUser): suspended and archived
 * accounts are disabled, and the primary email is the sign-in name the service-account patterns test.
 */
export function asDirectoryUser(user: WorkspaceUser): DirectoryUser {
  return {
    objectId: user.id,
    userPrincipalName: user.primaryEmail,
    displayName: user.fullName,
    mail: user.primaryEmail,
    department: user.department,
    jobTitle: user.jobTitle,
    accountEnabled: !user.suspended && !user.archived,
    userType: 'Member',
    employeeHireDate: null,
    managerObjectId: null,
    licenceCount: null,
    removed: false,
  };
}


// ---------------------------------------------------------------------------------------------------------
// When the nightly reconcile runs
// ---------------------------------------------------------------------------------------------------------

/** Night at the school: the full user list is read while nobody is waiting on Google's quota. */
const NIGHT_FROM_HOUR = 1;
const NIGHT_UNTIL_HOUR = 5;
/** A second run the same night is not due (polls come every few minutes). */
const MIN_HOURS_BETWEEN = 12;
/** Whatever the hour, a list older than this is read again (a school whose nights the service was down). */
const MAX_HOURS_BETWEEN = 36;

/**
 * Whether the Directory users.list reconcile is due: straight away the first time (it is the baseline that
 * records who is already there), then once each night at the school, and never more than 36 hours apart.
 */
export function reconcileDue(now: Date, reconciledAt: string | null, timeZone: string): boolean {
  if (!reconciledAt) return true;
  const hoursSince = (now.getTime() - Date.parse(reconciledAt)) / 3_600_000;
  if (hoursSince >= MAX_HOURS_BETWEEN) return true;
  const hour = DateTime.fromJSDate(now, { zone: timeZone }).hour;
  return hoursSince >= MIN_HOURS_BETWEEN && hour >= NIGHT_FROM_HOUR && hour < NIGHT_UNTIL_HOUR;
}

/** After `failures` failed reads in a row: 1, 2, 4 … minutes, at most an hour; Google's Retry-After when longer. */
export function backoffUntil(now: Date, failures: number, retryAfterSeconds?: number): string {
  const backoffMs = Math.min(60_000 * 2 ** Math.max(0, failures - 1), 60 * 60_000);
  return new Date(now.getTime() + Math.max(backoffMs, (retryAfterSeconds ?? 0) * 1000)).toISOString();
}
