import { AppError } from '../../../src/domain/errors.ts';
import { DATABASE_UNAVAILABLE_MESSAGE, describeDatabaseFault, isDatabaseUnavailable, translateDatabaseError } from '../../../src/storage/database-faults.ts';

const withCode = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields);

describe('database faults', () => {
  test.each([
    ['PostgreSQL admin shutdown (a restart, pg_terminate_backend)', withCode('terminating connection due to administrator command', { code: '57P01' })],
    ['PostgreSQL crash shutdown', withCode('terminating connection because of crash of another server process', { code: '57P02' })],
    ['PostgreSQL starting up', withCode('the database system is starting up', { code: '57P03' })],
    ['a connection exception (class 08)', withCode('connection failure', { code: '08006' })],
    ['statement_timeout', withCode('canceling statement due to statement timeout', { code: '57014' })],
    ['idle_in_transaction_session_timeout', withCode('terminating connection due to idle-in-transaction timeout', { code: '25P03' })],
    ['a reset socket', withCode('read ECONNRESET', { code: 'ECONNRESET' })],
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' })],
    ['pg: connection ended', new Error('Connection terminated unexpectedly')],
    ['pg: waiting for a pooled connection timed out', new Error('timeout exceeded when trying to connect')],
    ['pg: no answer within query_timeout', new Error('Query read timeout')],
    ['pg: connect timed out, the socket error as cause', new Error('Connection terminated due to connection timeout', { cause: withCode('connect ETIMEDOUT', { code: 'ETIMEDOUT' }) })],
    ['SQLite disk full', withCode('database or disk is full', { code: 'ERR_SQLITE_ERROR', errcode: 13 })],
    ['SQLite I/O error (extended code)', withCode('disk I/O error', { code: 'ERR_SQLITE_ERROR', errcode: 10 | (3 << 8) })],
    ['SQLite still locked after busy_timeout', withCode('database is locked', { code: 'ERR_SQLITE_ERROR', errcode: 5 })],
  ])('%s means the database is unavailable', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
    const translated = translateDatabaseError(error) as AppError;
    expect(translated).toBeInstanceOf(AppError);
    expect(translated).toMatchObject({ code: 'unavailable', httpStatus: 503, userMessage: DATABASE_UNAVAILABLE_MESSAGE, retryAfterSeconds: 30 });
    // The original is kept for the log, and named in the internal message.
    expect(translated.cause).toBe(error);
    expect(translated.message).toContain(error.message);
  });

  test.each([
    ['a unique violation', withCode('duplicate key value violates unique constraint', { code: '23505' })],
    ['a missing table', withCode('relation "cases" does not exist', { code: '42P01' })],
    ['SQLite constraint', withCode('UNIQUE constraint failed: cases.id', { code: 'ERR_SQLITE_ERROR', errcode: 19 | (8 << 8) })],
    ['a bug', new TypeError('Cannot read properties of undefined')],
  ])('%s is not an outage and passes through unchanged', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
    expect(translateDatabaseError(error)).toBe(error);
  });

  test('an AppError is never wrapped again, and non-errors are left alone', () => {
    const appError = new AppError('conflict', 'Someone else changed this case.');
    expect(translateDatabaseError(appError)).toBe(appError);
    expect(translateDatabaseError('text')).toBe('text');
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });

  test('an error from another realm (no instanceof Error) is still recognised', () => {
    const foreign = { name: 'Error', message: 'database or disk is full', code: 'ERR_SQLITE_ERROR', errcode: 13 };
    expect(isDatabaseUnavailable(foreign)).toBe(true);
    expect(describeDatabaseFault(foreign)).toEqual({ code: 'SQLITE_FULL', message: 'database or disk is full' });
  });
});
