import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createTeamsSurface, type BotCredentialsFactory } from '../bot/teams/teams-surface.ts';
import { OUTBOX_KINDS, SAFEGUARDING_KINDS } from './app/cases/case-messages.ts';
import { checkUrgentAcknowledgement } from './app/cases/check-urgent-acknowledgement.ts';
import { dropExpiredEmails } from './app/emails/drop-expired-emails.ts';
import { sealAuditChains } from './app/audit/seal-audit-chains.ts';
import { canNotifyByEmail, sendNotificationEmail } from './app/cases/send-notification-email.ts';
import { fallbackDeliveryOf } from './app/cases/request-delivery-fallback.ts';
import { JWT, OAuth2Client } from 'google-auth-library';
import { createGoogleChatApi, type ChatApi } from '../bot/google-chat/chat-api.ts';
import { createGoogleChatSurface } from '../bot/google-chat/google-chat-surface.ts';
import { CHAT_BOT_SCOPE, SANDBOX_CHAT_ACCESS_TOKEN, googleChatEndpointUrl, googleGmailEndpointUrl } from './domain/google-workspace.ts';
import { createGmailSurface } from '../addon/gmail/gmail-surface.ts';
import { createGoogleAddonUserVerifier } from './identity/google-addon-user-verifier.ts';
import { createGmailMessageReader } from './integrations/google/gmail-message-reader.ts';
import { createGoogleWorkspaceRequestVerifier } from './identity/google-workspace-request-verifier.ts';
import type { ChatDelivery } from './app/chat-delivery.ts';
import type { ChatPlatform } from './domain/chat.ts';
import { sendDeliveryFallback } from './app/cases/send-delivery-fallback.ts';
import type { AppDeps } from './app/deps.ts';
import type { INetworkModule } from '@azure/msal-node';
import type { GmailMessageReader, MailboxReader } from './domain/ports.ts';
import { fetchMessageMime } from './integrations/microsoft/graph-mail.ts';
import { createOnBehalfOfTokens } from './integrations/microsoft/on-behalf-of.ts';
import { createGraphMailboxAdmin } from './integrations/microsoft/graph-mailbox-admin.ts';
import { createGraphDirectory } from './integrations/microsoft/graph-directory.ts';
import { createGoogleWorkspaceDirectory, sandboxDelegationAuth, serviceAccountAdminAuth, type GoogleAdminAuthFactory } from './integrations/google/google-directory.ts';
import { createGmailMailboxes } from './integrations/google/gmail-mailboxes.ts';
import { startAupSchedules } from './jobs/aup-schedules.ts';
import { createGoogleAlertCenter } from './integrations/google/alert-center.ts';
import { startGoogleAlertSchedule } from './jobs/google-alert-schedule.ts';
import { policyPageUrl } from './app/aup/policy-page-links.ts';
import { emailFromSchool, emailSigningLink } from './app/aup/email-signing-link.ts';
import { REMOVE_EMAIL_KIND, removeEmailCopies } from './app/emails/remove-reported-email.ts';
import { SANDBOX_SCHOOL_SLUG, seedSandboxSchool } from './app/organisations/seed-sandbox-school.ts';
import type { Config } from './config.ts';
import { createAuthenticator } from './identity/authenticate-request.ts';
import { createEntraTokenVerifier } from './identity/entra-token-verifier.ts';
import { createGoogleTokenVerifier } from './identity/google-token-verifier.ts';
import { DeferDelivery, OutboxDispatcher, SAFEGUARDING_RETRY, type OutboxHandler } from './jobs/outbox-dispatcher.ts';
import { chatDeliveryHandlers, typedHandler } from './jobs/typed-outbox.ts';
import type { Logger } from './logger.ts';
import { createApp } from './server/create-app.ts';
import type { AddinPreparer } from './server/routes/addin-pages.ts';
import { createAddinPreparer } from './addin-builder.ts';
import { createEmailAnalysisPool } from './workers/email-analysis-pool.ts';
import { openStorage } from './storage/open-storage.ts';
import { describeDatabaseFault } from './storage/database-faults.ts';
import type { KyselyStorage } from './storage/kysely-storage.ts';
import { randomIds, systemClock } from './system.ts';

export interface RunningService {
  url: string;
  deps: AppDeps;
  storage: KyselyStorage;
  dispatcher: OutboxDispatcher;
  /** The Outlook add-in's background build (`npm start` starts it when the add-in is missing). */
  addin: AddinPreparer;
  close(): Promise<void>;
}

/** Builds every concrete piece from the configuration and starts listening. The only place that wires. */
export interface ServiceOverrides extends Partial<Pick<AppDeps, 'clock' | 'ids'>> {
  storage?: KyselyStorage;
  /** The Teams bot's outbound token source (tests: a local fake connector cannot be reached through MSAL). */
  botCredentialsFactory?: BotCredentialsFactory;
  /** MSAL's HTTP client (tests: to reach a local identity provider over plain http). */
  msalNetworkClient?: INetworkModule;
  /** Reads the message open in Gmail (tests: one with a short timeout, or a stub). Default: googleapis at GOOGLE_GMAIL_API_ROOT_URL. */
  gmailReader?: GmailMessageReader;
  /** The Gmail add-on's "still being filed" threshold (tests). */
  gmailAnswerWithinMs?: number;
  /** The Google Chat REST API as the app (tests: an in-memory Chat). */
  googleChatApi?: ChatApi;
  /** Signs Admin SDK calls as a school's Google admin (tests: a fixed token; Google's token endpoint cannot be faked). */
  googleAdminAuth?: GoogleAdminAuthFactory;
}


/**
 * The Chat app's own credentials: its service account (chat.bot, no domain-wide delegation) in production; in the
 * sandbox a fixed token for the local fake of Chat, so nothing ever asks Google for one.
 */
function googleChatApi(config: Config): ChatApi {
  let auth: OAuth2Client;
  const transporterOptions = { fetchImplementation: (input: Parameters<typeof fetch>[0], init?: RequestInit) => fetch(input, init) };
  if (config.mode === 'sandbox') {
    auth = new OAuth2Client({ transporterOptions });
    auth.setCredentials({ access_token: SANDBOX_CHAT_ACCESS_TOKEN, expiry_date: Date.now() + 10 * 365 * 24 * 3600_000 });
  } else {
    auth = new JWT({ keyFile: config.google.serviceAccountKeyFile!, scopes: [CHAT_BOT_SCOPE], transporterOptions });
  }
  return createGoogleChatApi({ auth, rootUrl: config.google.chatApiRootUrl });
}

/** The service account's key file, read once: its client email and private key sign the domain-wide delegation. */
function googleServiceAccountKey(file: string): { client_email: string; private_key: string } {
  let key: { client_email?: unknown; private_key?: unknown };
  try {
    key = JSON.parse(readFileSync(file, 'utf8')) as typeof key;
  } catch {
    throw new Error('GOOGLE_SERVICE_ACCOUNT_KEY_FILE cannot be read as a service account key (JSON from Google Cloud → IAM → Service accounts → Keys).');
  }
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
    throw new Error('GOOGLE_SERVICE_ACCOUNT_KEY_FILE is not a service account key: it needs client_email and private_key.');
  }
  return { client_email: key.client_email, private_key: key.private_key };
}

/** Graph, read as the reporter through the on-behalf-of flow. */
function graphMailboxReader(config: Config, networkClient?: INetworkModule): MailboxReader {
  const tokens = createOnBehalfOfTokens({
    clientId: config.entra.clientId!,
    clientSecret: config.entra.clientSecret!,
    loginUrl: config.entra.loginUrl,
    scope: `${config.entra.graphUrl.replace(/\/$/, '')}/.default`,
    ...(networkClient ? { networkClient } : {}),
  });
  return { fetchMessage: (request) => fetchMessageMime({ graphUrl: config.entra.graphUrl, tokens }, request) };
}

export async function startService(config: Config, logger: Logger, overrides: ServiceOverrides = {}): Promise<RunningService> {
  const storage =
    overrides.storage ??
    (await openStorage({
      databaseUrl: config.databaseUrl,
      keyRing: config.keyRing,
      postgresTimeouts: config.database,
      onConnectionError: (error) => logger.warn({ err: describeDatabaseFault(error) }, 'database connection lost'),
    }));
  const analysisPool = createEmailAnalysisPool(config.emailAnalysis);
  // Google Workspace schools: the Admin SDK as each school's admin (new starters, the mailboxes to search) and Gmail
  // as each mailbox (removal, sending as REPORT_SENDER_MAILBOX), by the service account's domain-wide delegation.
  // The sandbox, with the local Workspace client's fakes of both APIs, acts by a fixed token as the fakes expect.
  const googleAdminAuth =
    overrides.googleAdminAuth ??
    (config.google.serviceAccountKeyFile
      ? serviceAccountAdminAuth(googleServiceAccountKey(config.google.serviceAccountKeyFile))
      : config.google.sandboxDelegation
        ? sandboxDelegationAuth()
        : undefined);
  const googleDirectory = googleAdminAuth ? createGoogleWorkspaceDirectory({ authFor: googleAdminAuth, rootUrl: config.google.apiRootUrl }) : undefined;
  const gmailMailboxes = googleAdminAuth ? createGmailMailboxes({ authFor: googleAdminAuth, rootUrl: config.google.gmailApiRootUrl, unitsPerProjectPerMinute: config.google.gmailUnitsPerMinute }) : undefined;
  const deps: AppDeps = {
    storage,
    analyseEmail: analysisPool.analyse,
    clock: overrides.clock ?? systemClock,
    ids: overrides.ids ?? randomIds,
    settings: {
      urgentAcknowledgeMinutes: config.urgentAcknowledgeMinutes,
      emailForwarding: config.emailForwarding,
      deliveryFallback: config.deliveryFallback,
      caseCardHold: config.caseCardHold,
      googleMailboxRemoval: { enabled: config.google.mailboxRemoval },
    },
    ...(gmailMailboxes ? { gmailMailboxes } : {}),
    ...(googleDirectory ? { workspaceDirectory: googleDirectory } : {}),
    ...(config.entra.clientId && config.entra.clientSecret
      ? {
          mailbox: graphMailboxReader(config, overrides.msalNetworkClient),
          mailboxAdmin: createGraphMailboxAdmin({
            clientId: config.entra.clientId,
            clientSecret: config.entra.clientSecret,
            loginUrl: config.entra.loginUrl,
            graphUrl: config.entra.graphUrl,
            ...(overrides.msalNetworkClient ? { networkClient: overrides.msalNetworkClient } : {}),
          }),
        }
      : {}),
    ...(config.google.gmail ? { gmailReader: overrides.gmailReader ?? createGmailMessageReader({ rootUrl: config.google.gmail.apiRootUrl }) } : {}),
  };
  // DSL Desk's own Graph access reads the directory (new starters) and installs the Teams app for them.
  const directory =
    config.entra.clientId && config.entra.clientSecret
      ? createGraphDirectory({
          clientId: config.entra.clientId,
          clientSecret: config.entra.clientSecret,
          loginUrl: config.entra.loginUrl,
          graphUrl: config.entra.graphUrl,
          ...(overrides.msalNetworkClient ? { networkClient: overrides.msalNetworkClient } : {}),
        })
      : undefined;
  if (config.mode === 'sandbox') {
    // The sandbox ships a sample staff AUP written for DSL Desk.
    const sample = resolve('samples/aup/staff-aup.md');
    await seedSandboxSchool(deps, {
      ...(existsSync(sample) ? { staffAupMarkdown: readFileSync(sample, 'utf8') } : {}),
      // With the local Workspace client's Admin SDK and Gmail, the Google school gets its admin, as its IT would set it.
      googleAdmin: config.google.sandboxDelegation && Boolean(googleDirectory),
    });
  }

  const authenticate = createAuthenticator({
    ...(config.entra.audiences.length ? { entra: createEntraTokenVerifier({ openIdMetadataUrl: config.entra.openIdMetadataUrl, audiences: config.entra.audiences, requiredScope: config.entra.requiredScope, appRoles: config.entra.appRoles }) } : {}),
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
          // The configuration's bot settings carry exactly the identity endpoints the transport needs.
          settings: config.bot,
          tenantRequestsPerSecond: config.bot.tenantRequestsPerSecond,
          bodyLimit: config.bodyLimit,
          refusalsPerMinute: config.bot.refusalsPerMinute,
          newFormId: () => deps.ids.newId(),
          policyPageUrl: (schoolId: string, policyId: string) => policyPageUrl(config.publicUrl, config.pageLinkKey, schoolId, policyId),
          teamsServiceUrl: config.aup.teamsServiceUrl,
          campaignRequestsPerSecond: config.aup.campaignRequestsPerSecond,
          ...(directory ? { installer: directory } : {}),
          ...(config.aup.teamsAppCatalogId ? { teamsAppCatalogId: config.aup.teamsAppCatalogId } : {}),
          sendSigningLinkByEmail: (context, options) =>
            emailSigningLink(deps, { schoolId: context.school.id, person: context.person, policy: context.policy, publicUrl: config.publicUrl, ...(options?.reminder ? { reminder: options.reminder } : {}) }),
          sendEmail: (to, subject, body, from) => emailFromSchool(deps, { schoolId: from.schoolId, to, subject, body }),
          pacingLedger: storage.pacing,
          ...(overrides.botCredentialsFactory ? { credentialsFactory: overrides.botCredentialsFactory } : {}),
        })
      : undefined;
  // The Chat app runs wherever the Workspace add-on's project is configured (the sandbox's local Workspace client too).
  const chat = config.google.chat;
  const googleChat = chat
    ? createGoogleChatSurface({
        deps,
        logger,
        verifier: createGoogleWorkspaceRequestVerifier({
          certsUrl: config.google.certsUrl,
          // The URL Google was told to call, never the URL a request says it came to.
          audience: googleChatEndpointUrl(config.publicUrl),
          serviceAccountEmail: chat.addonServiceAccount,
          ...(chat.legacyTokens ? { legacy: { projectNumber: chat.projectNumber, certsUrl: chat.legacyCertsUrl } } : {}),
        }),
        chatApi: overrides.googleChatApi ?? googleChatApi(config),
        chatEndpointUrl: googleChatEndpointUrl(config.publicUrl),
        bodyLimit: config.bodyLimit,
        newFormId: () => deps.ids.newId(),
        projectWritesPerMinute: chat.writesPerMinute,
        pacingLedger: storage.pacing,
        policyPageUrl: (schoolId: string, policyId: string) => policyPageUrl(config.publicUrl, config.pageLinkKey, schoolId, policyId),
        sendEmail: (to, subject, body, from) => emailFromSchool(deps, { schoolId: from.schoolId, to, subject, body }),
      })
    : undefined;
  // The Gmail add-on: the same deployment (and service agent) as the Chat app, its own endpoint and audience.
  const gmail = chat && config.google.gmail
    ? createGmailSurface({
        deps,
        logger,
        verifier: createGoogleWorkspaceRequestVerifier({
          certsUrl: config.google.certsUrl,
          audience: googleGmailEndpointUrl(config.publicUrl),
          serviceAccountEmail: chat.addonServiceAccount,
        }),
        userVerifier: createGoogleAddonUserVerifier({ certsUrl: config.google.certsUrl, oauthClientId: config.google.gmail.oauthClientId }),
        endpointUrl: googleGmailEndpointUrl(config.publicUrl),
        bodyLimit: config.bodyLimit,
        maxBytes: config.emailReports.maxBytes,
        ...(overrides.gmailAnswerWithinMs !== undefined ? { answerWithinMs: overrides.gmailAnswerWithinMs } : {}),
      })
    : undefined;
  const addinBuildDir = resolve('build/addon/outlook');
  const addin = createAddinPreparer({ root: resolve('.'), buildDir: addinBuildDir, sandbox: config.mode === 'sandbox', logger });
  const app = createApp({
    deps,
    authenticate,
    logger,
    bodyLimit: config.bodyLimit,
    rateLimitPerMinute: config.rateLimitPerMinute,
    emailReports: config.emailReports,
    addinBuildDir,
    addinPreparer: addin,
    publicUrl: config.publicUrl,
    pageLinkKey: config.pageLinkKey,
    ...(config.trustProxy ? { trustProxy: config.trustProxy } : {}),
    ...(teams || googleChat || gmail
      ? {
          mount: (express) => {
            teams?.mount(express);
            googleChat?.mount(express);
            gmail?.mount(express);
          },
        }
      : {}),
  });

  const dispatcher = new OutboxDispatcher({ store: storage.outbox, clock: deps.clock, logger, pollMs: config.outboxPollMs });
  // Case cards, escalations and notices keep trying for three days (a deadline, not a count); the rest give up after 10 tries.
  const register = (kind: string, handler: OutboxHandler) => dispatcher.register(kind, handler, SAFEGUARDING_KINDS.includes(kind) ? SAFEGUARDING_RETRY : undefined);
  register(
    OUTBOX_KINDS.urgentCheck,
    typedHandler(OUTBOX_KINDS.urgentCheck, async (message) => {
      await checkUrgentAcknowledgement(deps, { schoolId: message.schoolId, ...message.payload });
    }),
  );
  dispatcher.register(
    REMOVE_EMAIL_KIND,
    typedHandler(REMOVE_EMAIL_KIND, async (message) => {
      const step = await removeEmailCopies(deps, { schoolId: message.schoolId, ...message.payload });
      // A Google school's search goes a batch of mailboxes at a time: the same message runs again for the next
      // batch (straight away, or after the pause Gmail asked for), without counting as a failed attempt.
      if ('done' in step && !step.done) throw new DeferDelivery('searching the next mailboxes', new Date(deps.clock.now().getTime() + step.retryAfterSeconds * 1000));
    }),
  );
  // Cards, notices and policy cards go through the chat delivery of each message's school: with Teams and Google
  // Chat both running, the platform of the school's case channel or space, else of its identity (chooseChatPlatform).
  // A school without a case channel has its cards skipped and its notices emailed by the delivery itself.
  const deliveries: Partial<Record<ChatPlatform, ChatDelivery>> = { ...(teams ? { teams: teams.delivery } : {}), ...(googleChat ? { google_chat: googleChat.delivery } : {}) };
  if (Object.keys(deliveries).length > 0) {
    for (const [kind, handler] of Object.entries(chatDeliveryHandlers({ deliveries, deps }))) register(kind, handler);
  }
  register(
    OUTBOX_KINDS.deliveryFallback,
    typedHandler(OUTBOX_KINDS.deliveryFallback, async (message, attempt) => {
      const { caseId, origin } = message.payload;
      await sendDeliveryFallback(deps, { schoolId: message.schoolId, caseId, dedupeKey: origin, delivery: fallbackDeliveryOf(message.payload), lastAttempt: attempt.final });
    }),
  );
  if (!teams && !googleChat && canNotifyByEmail(deps)) {
    // A school without the Teams bot still hears about its reports: 1:1 notices go by email.
    register(
      OUTBOX_KINDS.personNotify,
      typedHandler(OUTBOX_KINDS.personNotify, async (message) => {
        await sendNotificationEmail(deps, { schoolId: message.schoolId, ...message.payload });
      }),
    );
  }
  dispatcher.start();
  // Retention of reported emails: checked hourly, and once at start.
  const dropExpired = () =>
    dropExpiredEmails(deps, { retentionDays: config.emailReports.retentionDays }).then(
      (dropped) => dropped && logger.info({ dropped }, 'reported emails past retention: message bodies removed'),
      (error: unknown) => logger.error({ err: { message: (error as Error).message } }, 'email retention check failed'),
    );
  void dropExpired();
  const retentionTimer = setInterval(dropExpired, 60 * 60_000);
  retentionTimer.unref();
  // The audit chains' heads are sealed with a key outside the database: every AUDIT_SEAL_MINUTES, and at stop.
  const sealChains = () =>
    sealAuditChains(deps, config.auditSeal.keys).then(
      (sealed) => sealed && logger.debug({ sealed }, 'audit chains sealed'),
      (error: unknown) => logger.error({ err: { message: (error as Error).message } }, 'sealing the audit chains failed'),
    );
  const sealTimer = setInterval(sealChains, config.auditSeal.everyMinutes * 60_000);
  sealTimer.unref();
  const aupSchedules = startAupSchedules({
    deps,
    logger,
    ...(directory ? { directory } : {}),
    directoryPollMinutes: config.aup.directoryPollMinutes,
    ...(googleDirectory ? { googleDirectory } : {}),
    googleAdminPollMinutes: config.google.adminPollMinutes,
  });
  // Gmail's own "Report phishing" clicks, from each Google school's Alert Center (off unless GOOGLE_ALERT_POLL_MINUTES is set).
  if (config.google.alertPollMinutes > 0 && !googleAdminAuth) logger.warn('GOOGLE_ALERT_POLL_MINUTES is set without GOOGLE_SERVICE_ACCOUNT_KEY_FILE: Gmail\'s reported phishing alerts are not imported');
  const googleAlertSchedule =
    googleAdminAuth && config.google.alertPollMinutes > 0
      ? startGoogleAlertSchedule({
          deps,
          logger,
          alertCenter: createGoogleAlertCenter({ authFor: googleAdminAuth, rootUrl: config.google.alertCenterApiRootUrl }),
          pollMinutes: config.google.alertPollMinutes,
          maxBytes: config.emailReports.maxBytes,
        })
      : undefined;

  const server: Server = await new Promise((resolve, reject) => {
    // 64 KiB of headers: an email report's note (up to 2,000 characters, percent-encoded) can pass 16 KiB.
    const listening = createServer({ maxHeaderSize: 64 * 1024 }, app);
    listening.once('error', reject);
    listening.listen(config.port, config.host, () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    deps,
    storage,
    dispatcher,
    addin,
    async close() {
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Analyses still running end now: their reports are filed as "not analysed" rather than holding the stop.
      await analysisPool.close();
      await addin.stop();
      await serverClosed;
      server.closeAllConnections();
      clearInterval(retentionTimer);
      await aupSchedules.stop();
      await googleAlertSchedule?.stop();
      await dispatcher.stop();
      clearInterval(sealTimer);
      await sealChains();
      await storage.close();
    },
  };
}
