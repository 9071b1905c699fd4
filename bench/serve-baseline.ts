import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { sql } from 'kysely';
import pg from 'pg';
import { openSqlite } from '../src/storage/sqlite/open-sqlite.ts';
import { serveForParent } from './lib/children.ts';

/**
 * Child process: the floor to compare with. A bare Express app with one route doing one plain INSERT of
 * the JSON body, on the same engine (SQLite through the same node:sqlite + Kysely driver and pragmas, or
 * a pg.Pool of the same size as the service's).
 */
export type BaselineOptions = { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string; schema: string };

const options = JSON.parse(process.argv[2] ?? '{}') as BaselineOptions;
const CREATE = 'create table if not exists bench_inserts (id text primary key, body text not null, created_at text not null)';

async function openEngine(): Promise<{ insert(id: string, body: string, at: string): Promise<void>; close(): Promise<void> }> {
  if (options.engine === 'sqlite') {
    const db = openSqlite(options.path);
    await sql.raw(CREATE).execute(db);
    return {
      insert: async (id, body, at) => {
        await sql`insert into bench_inserts (id, body, created_at) values (${id}, ${body}, ${at})`.execute(db);
      },
      close: () => db.destroy(),
    };
  }
  const pool = new pg.Pool({ connectionString: options.url, max: 10, options: `-c search_path=${options.schema}` });
  pool.on('error', () => undefined);
  await pool.query(CREATE);
  return {
    insert: async (id, body, at) => {
      await pool.query('insert into bench_inserts (id, body, created_at) values ($1, $2, $3)', [id, body, at]);
    },
    close: () => pool.end(),
  };
}

await serveForParent(async () => {
  const engine = await openEngine();
  const app = express();
  app.use(express.json());
  app.post('/insert', async (req, res) => {
    const id = randomUUID();
    await engine.insert(id, JSON.stringify(req.body), new Date().toISOString());
    res.status(201).json({ id });
  });
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await engine.close();
    },
  };
});
