import express from 'express';
import type { ServiceClientCredentialsFactory } from 'botframework-connector';
import type { AppDeps } from '../../src/app/deps.ts';
import type { ChatDelivery } from '../../src/app/chat-delivery.ts';
import type { TeamsAppInstaller } from '../../src/domain/directory.ts';
import type { PacingLedger } from '../../src/domain/ports.ts';
import type { OutboxHandler } from '../../src/jobs/outbox-dispatcher.ts';
import { chatDeliveryHandlers } from '../../src/jobs/typed-outbox.ts';
import { SlidingWindowPacer } from '../../src/jobs/sliding-window-pacer.ts';
import type { Logger } from '../../src/logger.ts';
import { AupTeamsDelivery, type SendEmail, type SendSigningLinkByEmail } from './aup-delivery.ts';
import { createBotTransport, type BotIdentitySettings } from './bot-adapter.ts';
import { PacedConnector } from './paced-calls.ts';
import { TeamsBot } from './teams-bot.ts';
import { TeamsDelivery } from './teams-delivery.ts';

/** Where the bot gets its outbound tokens; a type the wiring can name without importing botbuilder. */
export type BotCredentialsFactory = ServiceClientCredentialsFactory;

export type { AupRecipientContext, SendEmail, SendSigningLinkByEmail } from './aup-delivery.ts';

export interface TeamsSurfaceOptions {
  deps: AppDeps;
  logger: Logger;
  settings: BotIdentitySettings;
  /** The local sandbox: no app credentials, unauthenticated activities from loopback only. */
  sandbox: boolean;
  tenantRequestsPerSecond: number;
  bodyLimit: string;
  /** Refused requests to /api/messages one address may make per minute before it is answered 429. */
  refusalsPerMinute?: number;
  newFormId: () => string;
  /** Outbound token source; tests pass one because MSAL refuses the http authority of a local fake. */
  credentialsFactory?: ServiceClientCredentialsFactory;
  /** The read-only page of a policy version, for "Read the full policy" on the policy card. */
  policyPageUrl: (schoolId: string, policyId: string) => string;
  /** Installs DSL Desk's Teams app for a new starter through Graph, so the bot may message them first. */
  installer?: TeamsAppInstaller;
  /** DSL Desk's app id in the school's Teams app catalogue (what the installer installs). */
  teamsAppCatalogId?: string;
  /** The Bot Connector for a chat found through Graph, until the school's own is learned from a message. */
  teamsServiceUrl: string;
  /** Requests per second a policy campaign may use in one tenant, leaving the rest of Teams' 50 to cases. */
  campaignRequestsPerSecond: number;
  /** Emails a person a one-time signing link when Teams cannot reach them; false when no mailbox is connected. */
  sendSigningLinkByEmail?: SendSigningLinkByEmail;
  /** Emails the headteacher or a line manager who has no chat with the bot; false when no mailbox is connected. */
  sendEmail?: SendEmail;
  /** Where the pacer keeps recent calls, so Teams' limits hold across a restart. */
  pacingLedger?: PacingLedger;
}

export interface TeamsSurface {
  /** Adds POST /api/messages to the HTTP app. */
  mount(app: express.Express): void;
  /** Cards, 1:1 notices and policy cards in Teams: this platform's side of the chat delivery port. */
  delivery: ChatDelivery;
  /** Outbox handlers sending every card, notice and policy card through `delivery` (a deployment with Teams alone). */
  outboxHandlers: Record<string, OutboxHandler>;
}

/** The Teams bot: its endpoint, its handlers and its delivery, sharing one Bot Framework adapter and one pacer. */
export function createTeamsSurface(options: TeamsSurfaceOptions): TeamsSurface {
  const { deps, logger, settings } = options;
  const transport = createBotTransport({
    settings,
    sandbox: options.sandbox,
    logger,
    ...(options.refusalsPerMinute ? { refusalsPerMinute: options.refusalsPerMinute } : {}),
    ...(options.credentialsFactory ? { credentialsFactory: options.credentialsFactory } : {}),
  });
  // The sandbox's Agents Playground has no typeahead: its form lists the demo pupils (never in production).
  const bot = new TeamsBot({ deps, logger, newFormId: options.newFormId, policyPageUrl: options.policyPageUrl, listPupilsOnForm: options.sandbox });
  // One pacer for every Bot Connector call of the process: cases and campaigns share Teams' limits.
  const pacer = new SlidingWindowPacer({
    ...(options.pacingLedger ? { ledger: options.pacingLedger } : {}),
    onLedgerError: (error) => logger.warn({ err: { message: (error as Error)?.message } }, 'pacing ledger unavailable: pacing from memory'),
  });
  const connection = { adapter: transport.adapter, botAppId: settings.appId ?? '', connectorAudience: settings.oauthScope, pacer };
  const delivery = new TeamsDelivery({ deps, logger, ...connection, tenantRequestsPerSecond: options.tenantRequestsPerSecond });
  const policies = new AupTeamsDelivery({
    deps,
    logger,
    connector: new PacedConnector({ ...connection, tenantRequestsPerSecond: options.campaignRequestsPerSecond }),
    policyPageUrl: options.policyPageUrl,
    teamsServiceUrl: options.teamsServiceUrl,
    ...(options.installer ? { installer: options.installer } : {}),
    ...(options.teamsAppCatalogId ? { teamsAppCatalogId: options.teamsAppCatalogId } : {}),
    ...(options.sendSigningLinkByEmail ? { sendSigningLinkByEmail: options.sendSigningLinkByEmail } : {}),
    ...(options.sendEmail ? { sendEmail: options.sendEmail } : {}),
  });
  const chatDelivery: ChatDelivery = {
    platform: 'teams',
    postCaseCard: (message, attempt) => delivery.postCaseCard(message, attempt),
    refreshCaseCard: (message, attempt) => delivery.refreshCaseCard(message, attempt),
    notifyPerson: (message, attempt) => delivery.notifyPerson(message, attempt),
    postPupilPattern: (message, attempt) => delivery.postPupilPattern(message, attempt),
    deliverPolicy: (message) => policies.deliverPolicy(message),
    remindPolicy: (message) => policies.remindPolicy(message),
    escalatePolicy: (message) => policies.escalatePolicy(message),
  };
  return {
    mount(app) {
      // The parser's failures (corrupt compression, bad JSON) are refusals like any other, before any token check.
      // (Four parameters: that is how express knows an error handler.)
      const run: express.RequestHandler = (req, res) => transport.handle(req, res, (context) => bot.run(context));
      const refuseUnreadable: express.ErrorRequestHandler = (error, req, res, _next) => transport.refuseUnreadableBody(req, res, error);
      app.post(
        '/api/messages',
        express.json({ limit: options.bodyLimit }),
        run,
        refuseUnreadable,
      );
    },
    delivery: chatDelivery,
    outboxHandlers: chatDeliveryHandlers({ deliveries: { teams: chatDelivery } }),
  };
}
