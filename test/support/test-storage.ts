import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { sql } from 'kysely';
import { FieldCipher, type KeyRing } from '../../src/storage/field-cipher.ts';
import { KyselyStorage } from '../../src/storage/kysely-storage.ts';
import { openStorage, type StorageOptions } from '../../src/storage/open-storage.ts';
import { openSqlite } from '../../src/storage/sqlite/open-sqlite.ts';

export type Engine = 'sqlite' | 'postgres';

/** SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it). */
export function enginesUnderTest(): Engine[] {
  return process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

export function testKeyRing(): KeyRing {
  return { currentKeyId: 'test-1', keys: new Map([['test-1', randomBytes(32)]]) };
}

export interface TestStorage {
  storage: KyselyStorage;
  engine: Engine;
  /** Runs raw SQL against the same database, for tests that tamper with rows. */
  raw(sqlText: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** What a database administrator would see: the stored bytes of a table. */
  dump(table: string): Promise<string>;
  /** SQLite only: runs SQL on the storage's own connection (pragmas such as max_page_count are per connection). */
  onStorageConnection(sqlText: string): Promise<Record<string, unknown>[]>;
  cleanup(): Promise<void>;
}

/** How the storage under test reaches its database. */
export interface TestStorageOptions extends Pick<StorageOptions, 'postgresTimeouts' | 'onConnectionError'> {
  /** PostgreSQL only: connect through this address (a TCP proxy the test controls) instead of TEST_DATABASE_URL's. */
  connectVia?: { host: string; port: number };
}

/** TEST_DATABASE_URL's host and port, for a proxy to forward to. */
export function testDatabaseAddress(): { host: string; port: number } {
  const url = new URL(process.env.TEST_DATABASE_URL!);
  return { host: url.hostname, port: Number(url.port || 5432) };
}

/** A fresh, isolated database: a temp SQLite file, or a new PostgreSQL schema. */
export async function createTestStorage(engine: Engine, keyRing: KeyRing = testKeyRing(), options: TestStorageOptions = {}): Promise<TestStorage> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'dsl-desk-test-'));
    const file = join(dir, 'test.sqlite');
    // openStorage's SQLite path, keeping the Kysely instance for onStorageConnection.
    const db = openSqlite(file);
    const storage = new KyselyStorage({ engine: 'sqlite', db, cipher: new FieldCipher(keyRing) });
    await storage.migrate();
    const raw = async (sqlText: string, params: unknown[] = []) => {
      const db = new DatabaseSync(file);
      try {
        const statement = db.prepare(sqlText);
        const values = params as never[];
        return statement.columns().length > 0 ? (statement.all(...values) as Record<string, unknown>[]) : (statement.run(...values), []);
      } finally {
        db.close();
      }
    };
    return {
      storage,
      engine,
      raw,
      dump: async (table) => JSON.stringify(await raw(`select * from ${table}`)),
      onStorageConnection: async (sqlText) => (await sql.raw<Record<string, unknown>>(sqlText).execute(db)).rows,
      cleanup: async () => {
        await storage.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = process.env.TEST_DATABASE_URL!;
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const storageUrl = options.connectVia ? viaAddress(url, options.connectVia) : url;
  let storage: KyselyStorage;
  try {
    storage = await whileSchemasStay(admin, () => openStorage({
      databaseUrl: storageUrl,
      keyRing,
      postgresSchema: schema,
      maxConnections: 12,
      ...(options.postgresTimeouts ? { postgresTimeouts: options.postgresTimeouts } : {}),
      ...(options.onConnectionError ? { onConnectionError: options.onConnectionError } : {}),
    }));
  } catch (error) {
    // No cleanup() will be called for a storage that never opened: leave no schema behind.
    await dropTestSchema(admin, schema).catch(() => undefined);
    await admin.end().catch(() => undefined);
    throw error;
  }
  const raw = async (sqlText: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      // Tests write SQLite-style "?" placeholders; PostgreSQL wants $1, $2, ...
      let n = 0;
      return (await client.query(sqlText.replace(/\?/g, () => `$${++n}`), params)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  };
  return {
    storage,
    engine,
    raw,
    dump: async (table) => JSON.stringify(await raw(`select * from ${table}`)),
    onStorageConnection: () => Promise.reject(new Error('onStorageConnection is for SQLite; use raw() on PostgreSQL')),
    cleanup: async () => {
      await storage.close().catch(() => undefined);
      await dropTestSchema(admin, schema);
      await admin.end();
    },
  };
}

function viaAddress(url: string, address: { host: string; port: number }): string {
  const parsed = new URL(url);
  parsed.hostname = address.host;
  parsed.port = String(address.port);
  return parsed.toString();
}

/**
 * A full disk for the SQLite storage under test: `PRAGMA max_page_count` on its own connection stops the
 * file growing, and a filler table takes every free page, so the next write that needs a page fails with
 * SQLITE_FULL inside SQLite's pager, as on a real full disk. Returns a function that gives the space back.
 */
export async function fillSqliteDisk(db: TestStorage): Promise<() => Promise<void>> {
  await db.onStorageConnection('create table if not exists filler (x blob)');
  const [{ page_count: pages }] = (await db.onStorageConnection('pragma page_count')) as [{ page_count: number }];
  await db.onStorageConnection(`pragma max_page_count = ${pages}`);
  for (;;) {
    try {
      await db.onStorageConnection('insert into filler values (randomblob(2000))');
    } catch {
      break;
    }
  }
  return async () => {
    await db.onStorageConnection('pragma max_page_count = 1073741823');
  };
}

/**
 * Test files share one PostgreSQL database, each in a schema of its own. Kysely's migrator looks for its
 * tables by reading every schema in the catalogue, and PostgreSQL fails that read ("schema … does not exist")
 * when another file drops its schema at that moment. Opening (migrating) holds a shared advisory lock and
 * dropping an exclusive one, so a schema is never dropped while anyone is migrating.
 */
const SCHEMA_CHANGE_LOCK = 7_240_001;

export async function whileSchemasStay<T>(admin: pg.Client, work: () => Promise<T>): Promise<T> {
  await admin.query('select pg_advisory_lock_shared($1)', [SCHEMA_CHANGE_LOCK]);
  try {
    return await work();
  } finally {
    await admin.query('select pg_advisory_unlock_shared($1)', [SCHEMA_CHANGE_LOCK]);
  }
}

export async function dropTestSchema(admin: pg.Client, schema: string): Promise<void> {
  await admin.query('select pg_advisory_lock($1)', [SCHEMA_CHANGE_LOCK]);
  try {
    await admin.query(`drop schema ${schema} cascade`);
  } finally {
    await admin.query('select pg_advisory_unlock($1)', [SCHEMA_CHANGE_LOCK]);
  }
}
