import { AppError } from '../domain/errors.ts';

/** What a person is told when the database cannot be reached or does not answer in time. */
export const DATABASE_UNAVAILABLE_MESSAGE = 'DSL Desk cannot reach its database just now. Nothing was saved; please try again in a minute.';

/** Long enough for a restart or a failover; clients (Bot Framework, the add-in) wait at least this long. */
export const DATABASE_RETRY_AFTER_SECONDS = 30;

/**
 * PostgreSQL SQLSTATEs that mean "the server went away or gave up", not "your statement is wrong":
 * class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now),
 * 57014 (statement_timeout or a cancel), 53300 (too many connections) and 25P03
 * (idle_in_transaction_session_timeout ended the session).
 */
const POSTGRES_UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '57014', '53300', '25P03']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
/** pg raises these as plain Errors, with no code. */
const POSTGRES_CLIENT_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Query read timeout/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Connection lost while/,
];

/**
 * SQLite's primary result codes for a disk that is full or failing, a file that cannot be opened, and a
 * lock that was not released within busy_timeout: the database is unusable for now, the request is fine.
 */
const SQLITE_UNAVAILABLE_CODES = new Map([
  [5, 'SQLITE_BUSY'],
  [10, 'SQLITE_IOERR'],
  [13, 'SQLITE_FULL'],
  [14, 'SQLITE_CANTOPEN'],
]);

/** Codes and names that identify a driver error in logs; never any data. */
export interface DatabaseFaultDetail {
  code?: string;
  message: string;
}

/**
 * Driver errors may come from another realm (node:sqlite's under a test runner's VM context), where
 * `instanceof Error` is false: anything with a string message counts.
 */
function errorLike(error: unknown): (Error & { code?: unknown; errcode?: unknown }) | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string' ? (error as Error) : undefined;
}

/** True when `error` means the database is unreachable, stalled, full or failing (rather than a bug or bad data). */
export function isDatabaseUnavailable(unknownError: unknown): boolean {
  const error = errorLike(unknownError);
  if (!error) return false;
  const { code, errcode } = error;
  if (typeof code === 'string') {
    if (code.startsWith('08') && code.length === 5) return true;
    if (POSTGRES_UNAVAILABLE_STATES.has(code) || NETWORK_CODES.has(code)) return true;
  }
  // node:sqlite: code ERR_SQLITE_ERROR with the extended result code in errcode.
  if (typeof errcode === 'number' && SQLITE_UNAVAILABLE_CODES.has(errcode & 0xff)) return true;
  if (POSTGRES_CLIENT_MESSAGES.some((pattern) => pattern.test(error.message))) return true;
  // pg wraps a failed connect after connectionTimeoutMillis; the cause holds the socket error.
  return error.cause !== undefined && error.cause !== error && isDatabaseUnavailable(error.cause);
}

/** The driver error as it may be logged: its code (SQLSTATE, errno name or SQLite code name) and message. */
export function describeDatabaseFault(unknownError: unknown): DatabaseFaultDetail {
  const error = errorLike(unknownError);
  if (!error) return { message: String(unknownError) };
  const { code, errcode } = error;
  const sqliteName = typeof errcode === 'number' ? SQLITE_UNAVAILABLE_CODES.get(errcode & 0xff) : undefined;
  const named = sqliteName ?? (typeof code === 'string' ? code : undefined);
  return { ...(named ? { code: named } : {}), message: error.message.slice(0, 300) };
}

/**
 * Turns a driver error that means "the database is away" into the one AppError every surface answers
 * 503 with; anything else passes through unchanged (a constraint violation is not an outage).
 */
export function translateDatabaseError(error: unknown): unknown {
  if (error instanceof AppError || !isDatabaseUnavailable(error)) return error;
  const fault = describeDatabaseFault(error);
  return new AppError('unavailable', DATABASE_UNAVAILABLE_MESSAGE, {
    internal: `database unavailable: ${fault.code ? `${fault.code} ` : ''}${fault.message}`,
    cause: error,
    retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
  });
}
