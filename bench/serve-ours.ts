import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { startService } from '../src/wiring.ts';
import { serveForParent } from './lib/children.ts';

/** Child process: the real DSL Desk service (sandbox mode), exactly as `npm start` wires it. */
export interface OursOptions {
  dataDir: string;
  /** PostgreSQL URL; absent = SQLite in dataDir. */
  databaseUrl?: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as OursOptions;

await serveForParent(async () => {
  const config = loadConfig({
    DSL_DESK_MODE: 'sandbox',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: options.dataDir,
    LOG_LEVEL: 'silent',
    // The per-person limit (default 120/min) is raised because this is a load test: 32 clients share the
    // 8 demo people and would otherwise be answered 429 within the first second.
    RATE_LIMIT_PER_MINUTE: '10000000',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
  });
  const logger = createLogger(config.logLevel);
  const service = await startService(config, logger);
  return { url: service.url, close: () => service.close() };
});
