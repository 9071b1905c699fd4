import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { startService } from '../src/wiring.ts';
import { FixedBearerCredentialsFactory } from '../test/support/teams-test-service.ts';
import { serveForParent } from './lib/children.ts';

/**
 * Child process for aup-campaign: DSL Desk in production mode as `npm start` wires it, with one difference:
 * outbound Bot Connector tokens come from the fixed-bearer factory, because MSAL refuses the http
 * authority a local fake would need. SIGTERM is handled as src/main.ts does (close the service, which
 * lets the outbox finish the messages in hand, then exit), so the benchmark can stop it as a platform would.
 */
export interface CampaignChildOptions {
  /** The service's environment, exactly as it would be given to `npm start`. */
  env: Record<string, string>;
}

const options = JSON.parse(process.argv[2] ?? '{}') as CampaignChildOptions;

let close: (() => Promise<void>) | undefined;
process.once('SIGTERM', () => {
  void (close?.() ?? Promise.resolve()).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`close failed: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
});

await serveForParent(async () => {
  const config = loadConfig(options.env);
  const service = await startService(config, createLogger(config.logLevel), { botCredentialsFactory: new FixedBearerCredentialsFactory() });
  // SIGTERM and the runner's stop may both arrive: the service is closed once.
  let closing: Promise<void> | undefined;
  close = () => (closing ??= service.close());
  return { url: service.url, close };
});
