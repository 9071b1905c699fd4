import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { FaultTranslatingDialect } from '../fault-translating-dialect.ts';
import type { Database } from '../schema.ts';

/**
 * Kysely's SQLite dialect over Node's built-in `node:sqlite`, so the embedded engine needs no native
 * module compiled at install.
 */
class NodeSqliteDatabase implements SqliteDatabase {
  readonly #db: DatabaseSync;
  // The query layer issues the same few dozen statements over and over: preparing each once saves
  // a parse and plan per call.
  readonly #statements = new Map<string, StatementSync>();
  constructor(db: DatabaseSync) {
    this.#db = db;
  }
  close(): void {
    this.#statements.clear();
    this.#db.close();
  }
  #prepared(text: string): StatementSync {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.#db.prepare(text);
      if (this.#statements.size >= 1000) this.#statements.delete(this.#statements.keys().next().value!);
      this.#statements.set(text, statement);
    }
    return statement;
  }
  prepare(text: string): SqliteStatement {
    // SQLite rolls a transaction back by itself on some errors (a full disk, an I/O error): a ROLLBACK
    // then fails with "cannot rollback - no transaction is active", which would bury the real error.
    if (text === 'rollback' && !this.#db.isTransaction) return NO_OP_STATEMENT;
    const statement = this.#prepared(text);
    const bind = (parameters: ReadonlyArray<unknown>) => parameters.map(toSqliteValue);
    return {
      reader: statement.columns().length > 0,
      all: (parameters) => statement.all(...bind(parameters)),
      run: (parameters) => statement.run(...bind(parameters)),
      iterate: (parameters) => statement.iterate(...bind(parameters)),
    };
  }
}

const NO_OP_STATEMENT: SqliteStatement = {
  reader: false,
  all: () => [],
  run: () => ({ changes: 0, lastInsertRowid: 0 }),
  iterate: () => [][Symbol.iterator](),
};

function toSqliteValue(value: unknown): SQLInputValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value as SQLInputValue;
}

export function openSqlite(path: string): Kysely<Database> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const raw = new DatabaseSync(path);
  // WAL lets the CLI read (audit verify) while the service writes; NORMAL is durable across app crashes.
  raw.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
  return new Kysely<Database>({ dialect: new FaultTranslatingDialect(new SqliteDialect({ database: new NodeSqliteDatabase(raw) })) });
}
