import express from 'express';
import type { ServiceClientCredentialsFactory } from 'botframework-connector';
import type { AppDeps } from '../../src/app/deps.ts';
import type { OutboxHandler } from '../../src/jobs/outbox-dispatcher.ts';
import { SlidingWindowPacer } from '../../src/jobs/sliding-window-pacer.ts';
import type { Logger } from '../../src/logger.ts';
import { createBotTransport, type BotIdentitySettings } from './bot-adapter.ts';
import { TeamsBot } from './teams-bot.ts';
import { TeamsDelivery } from './teams-delivery.ts';

/** Where the bot gets its outbound tokens; a type the wiring can name without importing botbuilder. */
export type BotCredentialsFactory = ServiceClientCredentialsFactory;

export interface TeamsSurfaceOptions {
  deps: AppDeps;
  logger: Logger;
  settings: BotIdentitySettings;
  /** The local sandbox: no app credentials, unauthenticated activities from loopback only. */
  sandbox: boolean;
  tenantRequestsPerSecond: number;
  bodyLimit: string;
  newFormId: () => string;
  /** Outbound token source; tests pass one because MSAL refuses the http authority of a local fake. */
  credentialsFactory?: ServiceClientCredentialsFactory;
}

export interface TeamsSurface {
  /** Adds POST /api/messages to the HTTP app. */
  mount(app: express.Express): void;
  /** Outbox handlers that post and edit cards and send 1:1 messages. */
  outboxHandlers: Record<string, OutboxHandler>;
}

/** The Teams bot: its endpoint, its handlers and its delivery, sharing one Bot Framework adapter. */
export function createTeamsSurface(options: TeamsSurfaceOptions): TeamsSurface {
  const { deps, logger, settings } = options;
  const transport = createBotTransport({
    settings,
    sandbox: options.sandbox,
    logger,
    ...(options.credentialsFactory ? { credentialsFactory: options.credentialsFactory } : {}),
  });
  const bot = new TeamsBot({ deps, logger, newFormId: options.newFormId });
  const delivery = new TeamsDelivery({
    deps,
    logger,
    adapter: transport.adapter,
    botAppId: settings.appId ?? '',
    connectorAudience: settings.oauthScope,
    pacer: new SlidingWindowPacer(),
    tenantRequestsPerSecond: options.tenantRequestsPerSecond,
  });
  return {
    mount(app) {
      app.post('/api/messages', express.json({ limit: options.bodyLimit }), (req, res) => transport.handle(req, res, (context) => bot.run(context)));
    },
    outboxHandlers: delivery.handlers(),
  };
}
