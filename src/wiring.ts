import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createTeamsSurface, type BotCredentialsFactory } from '../bot/teams/teams-surface.ts';
import { OUTBOX_KINDS } from './app/case-messages.ts';
import { checkUrgentAcknowledgement } from './app/check-urgent-acknowledgement.ts';
import type { AppDeps } from './app/deps.ts';
import { SANDBOX_SCHOOL_SLUG, seedSandboxSchool } from './app/seed-sandbox-school.ts';
import type { Config } from './config.ts';
import { createAuthenticator } from './identity/authenticate-request.ts';
import { createEntraTokenVerifier } from './identity/entra-token-verifier.ts';
import { createGoogleTokenVerifier } from './identity/google-token-verifier.ts';
import { OutboxDispatcher } from './jobs/outbox-dispatcher.ts';
import type { Logger } from './logger.ts';
import { createApp } from './server/create-app.ts';
import { openStorage } from './storage/open-storage.ts';
import type { KyselyStorage } from './storage/kysely-storage.ts';
import { randomIds, systemClock } from './system.ts';

export interface RunningService {
  url: string;
  deps: AppDeps;
  storage: KyselyStorage;
  dispatcher: OutboxDispatcher;
  close(): Promise<void>;
}

/** Builds every concrete piece from the configuration and starts listening. The only place that wires. */
export interface ServiceOverrides extends Partial<Pick<AppDeps, 'clock' | 'ids'>> {
  storage?: KyselyStorage;
  /** The Teams bot's outbound token source (tests: a local fake connector cannot be reached through MSAL). */
  botCredentialsFactory?: BotCredentialsFactory;
}

export async function startService(config: Config, logger: Logger, overrides: ServiceOverrides = {}): Promise<RunningService> {
  const storage = overrides.storage ?? (await openStorage({ databaseUrl: config.databaseUrl, keyRing: config.keyRing }));
  const deps: AppDeps = {
    storage,
    clock: overrides.clock ?? systemClock,
    ids: overrides.ids ?? randomIds,
    settings: { urgentAcknowledgeMinutes: config.urgentAcknowledgeMinutes },
  };
  if (config.mode === 'sandbox') await seedSandboxSchool(deps);

  const authenticate = createAuthenticator({
    ...(config.entra.audiences.length ? { entra: createEntraTokenVerifier({ openIdMetadataUrl: config.entra.openIdMetadataUrl, audiences: config.entra.audiences }) } : {}),
    ...(config.google.audiences.length ? { google: createGoogleTokenVerifier({ certsUrl: config.google.certsUrl, audiences: config.google.audiences }) } : {}),
    ...(config.mode === 'sandbox' ? { sandbox: { defaultSchoolSlug: SANDBOX_SCHOOL_SLUG } } : {}),
  });
  // The bot runs in the sandbox (for the Agents Playground) and wherever a Bot Framework app id is configured.
  const teams =
    config.mode === 'sandbox' || config.bot.appId
      ? createTeamsSurface({
          deps,
          logger,
          sandbox: config.mode === 'sandbox',
          settings: {
            ...(config.bot.appId ? { appId: config.bot.appId } : {}),
            ...(config.bot.appPassword ? { appPassword: config.bot.appPassword } : {}),
            ...(config.bot.appTenantId ? { appTenantId: config.bot.appTenantId } : {}),
            openIdMetadataUrl: config.bot.openIdMetadataUrl,
            emulatorOpenIdMetadataUrl: config.bot.emulatorOpenIdMetadataUrl,
            tokenIssuer: config.bot.tokenIssuer,
            loginUrl: config.bot.loginUrl,
            oauthScope: config.bot.oauthScope,
            oauthApiUrl: config.bot.oauthApiUrl,
            callerId: config.bot.callerId,
          },
          tenantRequestsPerSecond: config.bot.tenantRequestsPerSecond,
          bodyLimit: config.bodyLimit,
          newFormId: () => deps.ids.newId(),
          ...(overrides.botCredentialsFactory ? { credentialsFactory: overrides.botCredentialsFactory } : {}),
        })
      : undefined;
  const app = createApp({
    deps,
    authenticate,
    logger,
    bodyLimit: config.bodyLimit,
    rateLimitPerMinute: config.rateLimitPerMinute,
    ...(config.trustProxy ? { trustProxy: config.trustProxy } : {}),
    ...(teams ? { mount: (express) => teams.mount(express) } : {}),
  });

  const dispatcher = new OutboxDispatcher({ store: storage.outbox, clock: deps.clock, logger, pollMs: config.outboxPollMs });
  dispatcher.register(OUTBOX_KINDS.urgentCheck, async (message) => {
    await checkUrgentAcknowledgement(deps, { schoolId: message.schoolId, caseId: String(message.payload.caseId), minutes: Number(message.payload.minutes) });
  });
  for (const [kind, handler] of Object.entries(teams?.outboxHandlers ?? {})) dispatcher.register(kind, handler);
  dispatcher.start();

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(config.port, config.host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    deps,
    storage,
    dispatcher,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await dispatcher.stop();
      await storage.close();
    },
  };
}
