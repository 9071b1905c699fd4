import type { CompiledQuery, DatabaseConnection, Dialect, Driver, Kysely, QueryResult, TransactionSettings } from 'kysely';
import { translateDatabaseError } from './database-faults.ts';

/**
 * Wraps an engine's Kysely dialect so that every storage call, on every surface and job, fails the same
 * way when the database is away: the driver's error becomes AppError `unavailable` (kept as its cause).
 * It also keeps a failed ROLLBACK from replacing the error that caused it: after a lost connection or a
 * full disk the rollback fails too, and only the first error says what happened.
 */
export class FaultTranslatingDialect implements Dialect {
  readonly #inner: Dialect;
  constructor(inner: Dialect) {
    this.#inner = inner;
  }
  createDriver(): Driver {
    return new FaultTranslatingDriver(this.#inner.createDriver());
  }
  createQueryCompiler() {
    return this.#inner.createQueryCompiler();
  }
  createAdapter() {
    return this.#inner.createAdapter();
  }
  createIntrospector(db: Kysely<any>) {
    return this.#inner.createIntrospector(db);
  }
}

async function translating<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}

class FaultTranslatingConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;
  constructor(inner: DatabaseConnection) {
    this.inner = inner;
  }
  executeQuery<R>(compiledQuery: CompiledQuery, options?: Parameters<DatabaseConnection['executeQuery']>[1]): Promise<QueryResult<R>> {
    return translating(() => this.inner.executeQuery<R>(compiledQuery, options));
  }
  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize: number, options?: Parameters<DatabaseConnection['streamQuery']>[2]): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(compiledQuery, chunkSize, options);
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }
}

class FaultTranslatingDriver implements Driver {
  readonly #inner: Driver;
  // The engine's driver hands out the same connection object again (SQLite has one); so do we.
  readonly #wrappers = new WeakMap<DatabaseConnection, FaultTranslatingConnection>();
  constructor(inner: Driver) {
    this.#inner = inner;
  }
  init(options?: Parameters<Driver['init']>[0]) {
    return translating(() => this.#inner.init(options));
  }
  async acquireConnection(options?: Parameters<Driver['acquireConnection']>[0]): Promise<DatabaseConnection> {
    const connection = await translating(() => this.#inner.acquireConnection(options));
    let wrapper = this.#wrappers.get(connection);
    if (!wrapper) {
      wrapper = new FaultTranslatingConnection(connection);
      this.#wrappers.set(connection, wrapper);
    }
    return wrapper;
  }
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    return translating(() => this.#inner.beginTransaction(innerOf(connection), settings));
  }
  commitTransaction(connection: DatabaseConnection) {
    return translating(() => this.#inner.commitTransaction(innerOf(connection)));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.#inner.rollbackTransaction(innerOf(connection));
    } catch {
      // Kysely rolls back only because something already failed, and rethrows that error after this.
      // A rollback that fails as well (a dead connection, or SQLite having rolled back by itself) adds
      // nothing but would replace the original error. The PostgreSQL driver discards such a connection.
    }
  }
  releaseConnection(connection: DatabaseConnection, options?: Parameters<Driver['releaseConnection']>[1]) {
    return this.#inner.releaseConnection(innerOf(connection), options);
  }
  destroy(options?: Parameters<Driver['destroy']>[0]) {
    return this.#inner.destroy(options);
  }
}

function innerOf(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof FaultTranslatingConnection ? connection.inner : connection;
}
