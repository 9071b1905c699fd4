import { FieldCipher, type KeyRing } from './field-cipher.ts';
import { KyselyStorage } from './kysely-storage.ts';
import { openPostgres, type PostgresTimeouts } from './postgres/open-postgres.ts';
import { openSqlite } from './sqlite/open-sqlite.ts';

export interface StorageOptions {
  /** `postgres://…` for PostgreSQL; otherwise a SQLite file path (or `:memory:`). */
  databaseUrl: string;
  keyRing: KeyRing;
  postgresSchema?: string;
  maxConnections?: number;
  /** PostgreSQL only: how long to wait for the database before answering "unavailable". */
  postgresTimeouts?: Partial<PostgresTimeouts>;
  /** PostgreSQL only: a connection failed outside any query; worth a log line, not a crash. */
  onConnectionError?: (error: Error) => void;
}

/** Opens the configured engine and brings its schema up to date. */
export async function openStorage(options: StorageOptions): Promise<KyselyStorage> {
  const cipher = new FieldCipher(options.keyRing);
  const isPostgres = /^postgres(ql)?:\/\//.test(options.databaseUrl);
  const storage = isPostgres
    ? new KyselyStorage({
        engine: 'postgres',
        db: openPostgres(options.databaseUrl, {
          ...(options.postgresSchema ? { schema: options.postgresSchema } : {}),
          ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
          ...(options.postgresTimeouts ? { timeouts: options.postgresTimeouts } : {}),
          ...(options.onConnectionError ? { onConnectionError: options.onConnectionError } : {}),
        }),
        cipher,
        ...(options.postgresSchema ? { schema: options.postgresSchema } : {}),
      })
    : new KyselyStorage({ engine: 'sqlite', db: openSqlite(options.databaseUrl.replace(/^sqlite:(\/\/)?/, '')), cipher });
  await storage.migrate();
  return storage;
}
