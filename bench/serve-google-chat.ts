import { OAuth2Client } from 'google-auth-library';
import { createGoogleChatApi } from '../bot/google-chat/chat-api.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { startService } from '../src/wiring.ts';
import { serveForParent } from './lib/children.ts';

/**
 * Child process for chat-wave and aup-campaign-chat: DSL Desk in production mode as `npm start` wires it, with one difference:
 * the Chat API's access token is the local fake's, because the service account's token request would go to
 * Google. SIGTERM is handled as src/main.ts does (close the service, which lets the outbox finish the messages
 * in hand, then exit), so the benchmark can stop it as a platform would.
 */
export interface GoogleChatChildOptions {
  /** The service's environment, exactly as it would be given to `npm start`. */
  env: Record<string, string>;
  /** The bearer token the local Chat REST API expects. */
  chatAccessToken: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as GoogleChatChildOptions;

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
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: options.chatAccessToken, expiry_date: Date.now() + 24 * 3600_000 });
  const service = await startService(config, createLogger(config.logLevel), { googleChatApi: createGoogleChatApi({ auth, rootUrl: config.google.chatApiRootUrl }) });
  // SIGTERM and the runner's stop may both arrive: the service is closed once.
  let closing: Promise<void> | undefined;
  close = () => (closing ??= service.close());
  return { url: service.url, close };
});
