import { SANDBOX_PEOPLE } from './app/organisations/seed-sandbox-school.ts';
import { ConfigError, loadConfig, redactedSummary } from './config.ts';
import { createLogger } from './logger.ts';
import { startService } from './wiring.ts';

/** How long after listening a missing Outlook add-in starts being built (the first request for it starts it sooner). */
const ADDIN_BUILD_DELAY_MS = 2_000;

/** `npm start`: validate the configuration, start DSL Desk, stop cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`DSL Desk did not start.\n${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  logger.info({ config: redactedSummary(config) }, 'starting DSL Desk');

  // One request's failure is handled by Express; these catch what escapes, so the process keeps serving.
  process.on('unhandledRejection', (reason) => logger.error({ err: { message: (reason as Error)?.message, stack: (reason as Error)?.stack } }, 'unhandled rejection'));

  let service;
  try {
    service = await startService(config, logger);
  } catch (error) {
    // Most often the database cannot be reached for the migrations: say so and exit, so the platform restarts us.
    const cause = (error as Error)?.cause as Error | undefined;
    logger.fatal({ err: { message: (error as Error)?.message, stack: (error as Error)?.stack }, ...(cause?.message ? { cause: { message: cause.message } } : {}) }, 'DSL Desk did not start');
    process.exit(1);
  }
  logger.info({ url: service.url, mode: config.mode }, 'DSL Desk is listening');
  // A missing Outlook add-in is built in a child process a moment after start-up (or at once when someone
  // asks for it), so it never competes with the start itself; /addin/outlook/ answers "being prepared" meanwhile.
  setTimeout(() => service.addin.start(), ADDIN_BUILD_DELAY_MS).unref();
  if (config.mode === 'sandbox') printSandboxHelp(service.url);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await service.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

function printSandboxHelp(url: string): void {
  const people = SANDBOX_PEOPLE.map((p) => `    ${p.email.padEnd(28)} ${p.roles.join(', ')}`).join('\n');
  process.stdout.write(`
DSL Desk sandbox is running at ${url} (local only; no real sign-in, demo data in ./data).

Demo people (send one in the X-DSL-Desk-Sandbox-User header):
${people}

Try:
  curl -s ${url}/healthz
  curl -s -X POST ${url}/api/v1/reports -H 'Content-Type: application/json' \\
       -H 'X-DSL-Desk-Sandbox-User: teacher@demo-school.test' -H 'Idempotency-Key: try-it-0001' \\
       -d '{"concern":{"types":["online_bullying"],"location":"inside_school","description":"Year 5 group chat: messages mocking a pupil."}}'
  curl -s ${url}/api/v1/cases -H 'X-DSL-Desk-Sandbox-User: dsl@demo-school.test'
  OpenAPI document: ${url}/api/v1/openapi.json
`);
}

void main();
