import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { isDatabaseUnavailable } from '../database-faults.ts';
import { FaultTranslatingDialect } from '../fault-translating-dialect.ts';
import type { Database } from '../schema.ts';

/** How long PostgreSQL may take before a request gives up on it (see docs/decisions.md). */
export interface PostgresTimeouts {
  /** To open a connection, and to wait for a free one in the pool. */
  connectTimeoutMs: number;
  /** Server side: the longest one statement may run. */
  statementTimeoutMs: number;
  /** Client side: the longest we wait for any answer, for when the server or network is stalled. */
  queryTimeoutMs: number;
  /** Server side: a session left idle inside a transaction (a stalled instance holding locks) is ended. */
  idleInTransactionTimeoutMs: number;
}

export const DEFAULT_POSTGRES_TIMEOUTS: PostgresTimeouts = { connectTimeoutMs: 3000, statementTimeoutMs: 10_000, queryTimeoutMs: 12_000, idleInTransactionTimeoutMs: 30_000 };

export interface PostgresOptions {
  maxConnections?: number;
  schema?: string;
  timeouts?: Partial<PostgresTimeouts>;
  /** A connection failed outside any query (an idle connection, or a backend that was terminated). */
  onConnectionError?: (error: Error) => void;
}

/** PostgreSQL for deployments that run several instances behind a load balancer. */
export function openPostgres(connectionString: string, options: PostgresOptions = {}): Kysely<Database> {
  const timeouts = { ...DEFAULT_POSTGRES_TIMEOUTS, ...options.timeouts };
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    statement_timeout: timeouts.statementTimeoutMs,
    query_timeout: timeouts.queryTimeoutMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
    // A peer that vanished without a FIN (failover, a dropped NAT entry) is noticed by the kernel.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  const onConnectionError = (error: Error) => options.onConnectionError?.(error);
  // pg emits 'error' on a client whose backend dies: on the pool for idle clients, on the client itself
  // while it is checked out. Either one without a listener would end the process.
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => client.on('error', onConnectionError));
  return new Kysely<Database>({ dialect: new FaultTranslatingDialect(new PostgresDialect({ pool: discardingBrokenClients(pool) })) });
}

/**
 * The pool as Kysely sees it, with one difference: a client whose query failed because the connection
 * is unusable (a read timeout on a stalled network, a reset) is closed when released instead of being
 * reused, and fails at once if asked for anything more (the ROLLBACK after the failure), so a request
 * is never queued behind a query that will not answer.
 */
function discardingBrokenClients(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let broken: Error | undefined;
      const view = {
        async query(sql: string, parameters: ReadonlyArray<unknown>) {
          if (broken) throw broken;
          try {
            return await client.query(sql, parameters as unknown[]);
          } catch (error) {
            // A statement timeout (57014) leaves the connection usable; anything that looks like a broken
            // connection does not.
            if (isDatabaseUnavailable(error) && (error as { code?: unknown }).code !== '57014') broken = error as Error;
            throw error;
          }
        },
        release(destroy?: boolean) {
          client.release(broken ?? destroy);
        },
        // Kysely reads the backend's pid to cancel a query.
        get processID() {
          return (client as unknown as { processID?: number }).processID;
        },
      };
      return view as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
    options: pool.options,
  };
}
