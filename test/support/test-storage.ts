import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { KeyRing } from '../../src/storage/field-cipher.ts';
import type { KyselyStorage } from '../../src/storage/kysely-storage.ts';
import { openStorage } from '../../src/storage/open-storage.ts';

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
  cleanup(): Promise<void>;
}

/** A fresh, isolated database: a temp SQLite file, or a new PostgreSQL schema. */
export async function createTestStorage(engine: Engine, keyRing: KeyRing = testKeyRing()): Promise<TestStorage> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'dsl-desk-test-'));
    const file = join(dir, 'test.sqlite');
    const storage = await openStorage({ databaseUrl: file, keyRing });
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
  const storage = await openStorage({ databaseUrl: url, keyRing, postgresSchema: schema, maxConnections: 12 });
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
    cleanup: async () => {
      await storage.close().catch(() => undefined);
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    },
  };
}
