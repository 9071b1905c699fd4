import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hkdfSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { CardEditHold } from './domain/chat.ts';
import type { AuditSealKeys } from './domain/audit-seal.ts';
import { addonServiceAccountEmail, SANDBOX_ADDON_OAUTH_CLIENT_ID } from './domain/google-workspace.ts';
import { parseKeyRing, type KeyRing } from './storage/field-cipher.ts';

/**
 * Every setting of DSL Desk, validated once at start from the environment. Nothing else reads
 * process.env. Each external endpoint can be overridden, for national clouds and for local fakes.
 */
const list = z
  .string()
  .optional()
  .transform((value) => (value ?? '').split(',').map((v) => v.trim()).filter(Boolean));
const url = (fallback: string) => z.url({ message: 'must be a full URL such as https://host/path' }).default(fallback);

export const configSchema = z.object({
  DSL_DESK_MODE: z.enum(['sandbox', 'production']).optional(),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3978),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().optional(),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  DATABASE_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).optional(),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  DATA_KEYS: z.string().optional(),
  DATA_KEY_ID: z.string().optional(),
  AUDIT_KEY: z.string().optional(),
  AUDIT_SEAL_MINUTES: z.coerce.number().int().min(1).max(1440).default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.string().optional(),
  BODY_LIMIT: z.string().regex(/^\d+(kb|mb)$/i, 'must look like 256kb or 2mb').default('256kb'),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  OUTBOX_POLL_MS: z.coerce.number().int().min(50).default(1000),

  ENTRA_AUDIENCES: list,
  ENTRA_REQUIRED_SCOPE: z.string().regex(/^\S+$/, 'must be one scope name, such as access_as_user').default('access_as_user'),
  ENTRA_APP_ROLES: list,
  ENTRA_OPENID_METADATA_URL: url('https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration'),
  ENTRA_CLIENT_ID: z.string().optional(),
  ENTRA_CLIENT_SECRET: z.string().optional(),
  MICROSOFT_LOGIN_URL: url('https://login.microsoftonline.com'),
  MICROSOFT_GRAPH_URL: url('https://graph.microsoft.com'),

  BOT_APP_ID: z.string().optional(),
  BOT_APP_PASSWORD: z.string().optional(),
  BOT_OPENID_METADATA_URL: url('https://login.botframework.com/v1/.well-known/openidconfiguration'),
  BOT_TOKEN_ISSUER: url('https://api.botframework.com'),
  BOT_LOGIN_URL: url('https://login.microsoftonline.com/botframework.com'),
  BOT_APP_TENANT_ID: z.string().optional(),
  BOT_OAUTH_SCOPE: url('https://api.botframework.com'),
  BOT_OAUTH_API_URL: url('https://api.botframework.com'),
  BOT_EMULATOR_OPENID_METADATA_URL: url('https://login.microsoftonline.com/botframework.com/v2.0/.well-known/openid-configuration'),
  BOT_CALLER_ID: z.string().default('urn:botframework:azure'),
  BOT_REFUSALS_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  TEAMS_TENANT_REQUESTS_PER_SECOND: z.coerce.number().int().min(1).max(50, 'Teams allows at most 50 requests per second per tenant').default(40),
  URGENT_ACKNOWLEDGE_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  CASE_CARD_QUIET_SECONDS: z.coerce.number().int().min(0).max(3600).default(180),
  CASE_CARD_MAX_HOLD_MINUTES: z.coerce.number().int().min(1).max(240).default(30),
  DELIVERY_FALLBACK_URGENT_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  DELIVERY_FALLBACK_MINUTES: z.coerce.number().int().min(1).max(1440).default(60),
  DELIVERY_FALLBACK_NOTICE_MINUTES: z.coerce.number().int().min(1).max(4320).default(240),
  EMAIL_REPORT_MAX_MB: z.coerce.number().int().min(1).max(150, 'Exchange Online itself stops at 150 MB').default(35),
  EMAIL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  EMAIL_ANALYSIS_THREADS: z.coerce.number().int().min(1).max(16).default(2),
  EMAIL_ANALYSIS_BUDGET_MS: z.coerce.number().int().min(1).max(120_000).default(5000),
  REPORT_SENDER_MAILBOX: z.email({ message: 'must be the address of the mailbox DSL Desk sends reports from' }).optional(),
  SECURITY_REPORT_MAILBOX: z.email({ message: 'must be an email address' }).optional(),
  NCSC_REPORT_ADDRESS: z.email({ message: 'must be an email address' }).default('report@phishing.gov.uk'),
  PUBLIC_BASE_URL: z.url({ message: 'must be the address staff open DSL Desk at, such as https://dsldesk.example-school.org.uk' }).optional(),
  TEAMS_APP_CATALOG_ID: z.string().optional(),
  TEAMS_SERVICE_URL: url('https://smba.trafficmanager.net/teams/'),
  AUP_CAMPAIGN_REQUESTS_PER_SECOND: z.coerce.number().int().min(1).max(50, 'Teams allows at most 50 requests per second per tenant').default(30),
  DIRECTORY_POLL_MINUTES: z.coerce.number().int().min(0).max(1440).default(15),

  GOOGLE_AUDIENCES: list,
  GOOGLE_CERTS_URL: url('https://www.googleapis.com/oauth2/v1/certs'),
  GOOGLE_API_ROOT_URL: url('https://www.googleapis.com/'),
  GOOGLE_CHAT_API_ROOT_URL: url('https://chat.googleapis.com/'),
  GOOGLE_SERVICE_ACCOUNT_KEY_FILE: z.string().optional(),
  GOOGLE_PROJECT_NUMBER: z.string().regex(/^\d{6,20}$/, 'must be the Cloud project number (digits only), as shown on the project\'s dashboard').optional(),
  GOOGLE_ADDON_SERVICE_ACCOUNT: z.email({ message: 'must be the add-on service account email (service-<project number>@gcp-sa-gsuiteaddons.iam.gserviceaccount.com)' }).optional(),
  GOOGLE_LEGACY_CHAT_TOKENS: z.enum(['true', 'false']).default('false'),
  GOOGLE_ADDON_OAUTH_CLIENT_ID: z.string().trim().regex(/^[\w.-]+$/, 'must be the add-on deployment\'s OAuth client id (gcloud workspace-add-ons get-authorization → oauthClientId)').optional(),
  GOOGLE_GMAIL_API_ROOT_URL: url('https://gmail.googleapis.com/'),
  GOOGLE_CHAT_LEGACY_CERTS_URL: url('https://www.googleapis.com/service_accounts/v1/metadata/x509/chat@system.gserviceaccount.com'),
  GOOGLE_CHAT_WRITES_PER_MINUTE: z.coerce.number().int().min(1).max(3000, 'Google Chat allows at most 3,000 message writes per minute per project').default(2700),
  GOOGLE_ADMIN_POLL_MINUTES: z.coerce.number().int().min(0).max(1440).default(5),
  GOOGLE_MAILBOX_REMOVAL: z.enum(['true', 'false']).default('false'),
  GOOGLE_ALERTCENTER_API_ROOT_URL: url('https://alertcenter.googleapis.com/'),
  // Off by default: it needs the apps.alerts scope delegated to DSL Desk as well as mailbox access (gmail.modify).
  GOOGLE_ALERT_POLL_MINUTES: z.coerce.number().int().min(0).max(1440).default(0),
  GOOGLE_GMAIL_UNITS_PER_MINUTE: z.coerce.number().int().min(100).max(1_200_000, 'Gmail allows at most 1,200,000 quota units per minute per project').default(600_000),
});

type RawConfig = z.infer<typeof configSchema>;

export interface Config {
  mode: 'sandbox' | 'production';
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string;
  /** PostgreSQL: how long a request waits for the database before answering 503 (docs/decisions.md). */
  database: { connectTimeoutMs: number; statementTimeoutMs: number; queryTimeoutMs: number; idleInTransactionTimeoutMs: number };
  keyRing: KeyRing;
  /**
   * Seals the audit chains (HMAC keys that are never stored in the database): from AUDIT_KEY when set, else
   * derived from each data key; every key verifies, the current one seals.
   */
  auditSeal: { keys: AuditSealKeys; everyMinutes: number };
  /** Signs the links to policy pages (derived from the current data key, so there is no extra secret to manage). */
  pageLinkKey: Buffer;
  logLevel: RawConfig['LOG_LEVEL'];
  trustProxy: string | undefined;
  bodyLimit: string;
  rateLimitPerMinute: number;
  outboxPollMs: number;
  entra: { audiences: string[]; requiredScope: string; appRoles: string[]; openIdMetadataUrl: string; clientId?: string; clientSecret?: string; loginUrl: string; graphUrl: string };
  bot: {
    appId?: string;
    appPassword?: string;
    appTenantId?: string;
    openIdMetadataUrl: string;
    emulatorOpenIdMetadataUrl: string;
    tokenIssuer: string;
    loginUrl: string;
    oauthScope: string;
    oauthApiUrl: string;
    callerId: string;
    tenantRequestsPerSecond: number;
    /** Refused requests to /api/messages from one address per minute before it is answered 429. */
    refusalsPerMinute: number;
  };
  urgentAcknowledgeMinutes: number;
  /** How long edits of a shared case card wait while a DSL works on it, and at most. */
  caseCardHold: CardEditHold;
  /** Minutes a case card or notice Teams has not taken waits before the school's email fallback. */
  deliveryFallback: { urgentMinutes: number; caseMinutes: number; noticeMinutes: number };
  /** Where people reach DSL Desk: signing links and "Read the full policy" point here. */
  publicUrl: string;
  /** Whether publicUrl was set (PUBLIC_BASE_URL) rather than guessed from HOST and PORT. */
  publicUrlConfigured: boolean;
  aup: {
    /** DSL Desk's Teams app id in the school's app catalog (for installing it for new starters through Graph). */
    teamsAppCatalogId?: string;
    /** Where Teams' Bot Connector is for new 1:1 chats, until the school's own is learned from an incoming message. */
    teamsServiceUrl: string;
    campaignRequestsPerSecond: number;
    /** How often the school's directory is read for new starters (0 = never). */
    directoryPollMinutes: number;
  };
  emailReports: { maxBytes: number; retentionDays: number };
  /** Reported emails are analysed in this many worker threads, each message within budgetMs. */
  emailAnalysis: { threads: number; budgetMs: number };
  emailForwarding: { from?: string; securityMailbox?: string; ncscAddress: string };
  google: {
    audiences: string[];
    certsUrl: string;
    apiRootUrl: string;
    chatApiRootUrl: string;
    serviceAccountKeyFile?: string;
    /** The Chat app (Workspace add-on, HTTP runtime): present when GOOGLE_PROJECT_NUMBER is set. */
    chat?: {
      projectNumber: string;
      /** The only account whose ID tokens may call the Chat endpoint. */
      addonServiceAccount: string;
      /** Accept tokens of a Chat app set up the legacy way (audience = project number). */
      legacyTokens: boolean;
      legacyCertsUrl: string;
      /** Message writes per minute for the whole project, under Chat's 3,000. */
      writesPerMinute: number;
    };
    /**
     * The Gmail add-on (same deployment as the Chat app): on when GOOGLE_PROJECT_NUMBER is set and the add-on's
     * OAuth client id is known (the sandbox's own by default).
     */
    gmail?: {
      /** The audience of the user ID tokens in Gmail's events. */
      oauthClientId: string;
      /** Where the open message is read (https://gmail.googleapis.com/; a local fake in tests). */
      apiRootUrl: string;
    };
    /** How often each Google school's Admin SDK Reports log is read for new accounts (0 = never); the full list is read nightly. */
    adminPollMinutes: number;
    /** Gmail's REST API (the add-on's message reads, and the school-wide mailbox actions by delegation). */
    gmailApiRootUrl: string;
    /** "Remove from every mailbox" for Google schools (gmail.modify by domain-wide delegation): off unless IT turns it on. */
    mailboxRemoval: boolean;
    /** Gmail quota units a minute DSL Desk's mailbox work may use for the whole project (Gmail allows 1,200,000). */
    gmailUnitsPerMinute: number;
    /** The Alert Center API (https://alertcenter.googleapis.com/; a local fake in tests). */
    alertCenterApiRootUrl: string;
    /**
     * How often each Google school's "User reported phishing" alerts are imported (0 = never, the default: it needs
     * the apps.alerts scope delegated, and mailbox access to read the reported copies).
     */
    alertPollMinutes: number;
    /**
     * The sandbox acts by its fixed delegation token (no service-account key) because both Google API roots are
     * on this machine: the local Workspace client's fakes of the Admin SDK and Gmail. Never true in production.
     */
    sandboxDelegation: boolean;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Settings that hold a real credential: none may be present in the sandbox. */
const CREDENTIALS = ['ENTRA_AUDIENCES', 'ENTRA_CLIENT_SECRET', 'BOT_APP_ID', 'BOT_APP_PASSWORD', 'GOOGLE_AUDIENCES', 'GOOGLE_SERVICE_ACCOUNT_KEY_FILE'] as const;

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** A URL on this machine (the local Workspace client's fakes), so a sandbox token sent there never reaches Google. */
function isLoopbackUrl(value: string): boolean {
  try {
    return isLoopback(new URL(value).hostname.replace(/^\[|\]$/g, ''));
  } catch {
    return false;
  }
}

/** Parses and checks the whole configuration; throws ConfigError with every problem listed. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty setting (FOO= in an .env file) means "not set", never an empty path or URL.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = configSchema.safeParse(given);
  if (!parsed.success) {
    throw new ConfigError(`Configuration is invalid:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const raw = parsed.data;
  const configured = CREDENTIALS.filter((name) => {
    const value = raw[name];
    return Array.isArray(value) ? value.length > 0 : Boolean(value);
  });
  const mode = raw.DSL_DESK_MODE ?? (raw.ENTRA_AUDIENCES.length || raw.GOOGLE_AUDIENCES.length || raw.BOT_APP_ID || raw.GOOGLE_PROJECT_NUMBER ? 'production' : 'sandbox');
  const dataDir = resolve(raw.DATA_DIR);
  const databaseUrl = raw.DATABASE_URL ?? join(dataDir, 'dsl-desk.sqlite');

  if (mode === 'sandbox') {
    // The sandbox trusts a header naming a demo person: it must never be reachable from another machine
    // nor be mistaken for a real deployment.
    if (!isLoopback(raw.HOST)) throw new ConfigError(`The sandbox only listens on 127.0.0.1 or ::1, not on ${raw.HOST}. Configure sign-in (ENTRA_AUDIENCES or GOOGLE_AUDIENCES) to run for real.`);
    if (configured.length) throw new ConfigError(`The sandbox refuses to start with real credentials configured (${configured.join(', ')}). Remove them, or set DSL_DESK_MODE=production.`);
  } else if (!raw.ENTRA_AUDIENCES.length && !raw.GOOGLE_AUDIENCES.length && !raw.BOT_APP_ID && !raw.GOOGLE_PROJECT_NUMBER) {
    throw new ConfigError('Production mode needs a sign-in method: set ENTRA_AUDIENCES, GOOGLE_AUDIENCES, BOT_APP_ID (the Teams bot) and/or GOOGLE_PROJECT_NUMBER (the Google Chat app).');
  } else if (raw.BOT_APP_ID && !raw.BOT_APP_PASSWORD) {
    throw new ConfigError('BOT_APP_ID is set without BOT_APP_PASSWORD: the Teams bot needs its client secret to answer. Set both, or neither.');
  } else if (raw.GOOGLE_PROJECT_NUMBER && !raw.GOOGLE_SERVICE_ACCOUNT_KEY_FILE) {
    throw new ConfigError('GOOGLE_PROJECT_NUMBER is set without GOOGLE_SERVICE_ACCOUNT_KEY_FILE: the Chat app posts case cards as its service account (chat.bot). Set both, or neither.');
  }
  if (raw.GOOGLE_SERVICE_ACCOUNT_KEY_FILE && mode === 'production' && !existsSync(raw.GOOGLE_SERVICE_ACCOUNT_KEY_FILE)) {
    throw new ConfigError(`GOOGLE_SERVICE_ACCOUNT_KEY_FILE names a file that does not exist: ${raw.GOOGLE_SERVICE_ACCOUNT_KEY_FILE}`);
  }
  if (mode === 'production' && raw.GOOGLE_PROJECT_NUMBER && !raw.GOOGLE_ADDON_OAUTH_CLIENT_ID) {
    throw new ConfigError(
      'GOOGLE_PROJECT_NUMBER is set without GOOGLE_ADDON_OAUTH_CLIENT_ID: the Gmail add-on identifies each user by an ID token issued to the deployment\'s OAuth client. ' +
        'Find it with `gcloud workspace-add-ons get-authorization --project=<project>` (oauthClientId) and set GOOGLE_ADDON_OAUTH_CLIENT_ID.',
    );
  }
  if (raw.GOOGLE_ADDON_OAUTH_CLIENT_ID && !raw.GOOGLE_PROJECT_NUMBER) {
    throw new ConfigError('GOOGLE_ADDON_OAUTH_CLIENT_ID configures the Gmail add-on of the Workspace add-on deployment: set GOOGLE_PROJECT_NUMBER too.');
  }
  if ((raw.GOOGLE_ADDON_SERVICE_ACCOUNT || raw.GOOGLE_LEGACY_CHAT_TOKENS === 'true') && !raw.GOOGLE_PROJECT_NUMBER) {
    throw new ConfigError('GOOGLE_ADDON_SERVICE_ACCOUNT and GOOGLE_LEGACY_CHAT_TOKENS configure the Google Chat app: set GOOGLE_PROJECT_NUMBER too.');
  }

  // The server's statement timeout should answer first, with a clean error on a connection that stays usable.
  const queryTimeoutMs = raw.DATABASE_QUERY_TIMEOUT_MS ?? raw.DATABASE_STATEMENT_TIMEOUT_MS + 2000;
  if (queryTimeoutMs <= raw.DATABASE_STATEMENT_TIMEOUT_MS) throw new ConfigError('DATABASE_QUERY_TIMEOUT_MS must be longer than DATABASE_STATEMENT_TIMEOUT_MS.');

  if (raw.CASE_CARD_QUIET_SECONDS > raw.CASE_CARD_MAX_HOLD_MINUTES * 60) {
    throw new ConfigError('CASE_CARD_QUIET_SECONDS must not be longer than CASE_CARD_MAX_HOLD_MINUTES: the longest hold would cut every quiet period short.');
  }

  const keyRing = mode === 'sandbox' && !raw.DATA_KEYS ? sandboxKeyRing(dataDir) : productionKeyRing(raw);
  return {
    mode,
    host: raw.HOST,
    port: raw.PORT,
    dataDir,
    databaseUrl,
    database: {
      connectTimeoutMs: raw.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: raw.DATABASE_STATEMENT_TIMEOUT_MS,
      queryTimeoutMs,
      idleInTransactionTimeoutMs: raw.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    },
    keyRing,
    auditSeal: { keys: auditSealKeys(raw.AUDIT_KEY, keyRing), everyMinutes: raw.AUDIT_SEAL_MINUTES },
    pageLinkKey: Buffer.from(hkdfSync('sha256', keyRing.keys.get(keyRing.currentKeyId)!, Buffer.alloc(0), 'dsl-desk:aup-page-links', 32)),
    logLevel: raw.LOG_LEVEL,
    trustProxy: raw.TRUST_PROXY,
    bodyLimit: raw.BODY_LIMIT,
    rateLimitPerMinute: raw.RATE_LIMIT_PER_MINUTE,
    outboxPollMs: raw.OUTBOX_POLL_MS,
    entra: {
      audiences: raw.ENTRA_AUDIENCES,
      requiredScope: raw.ENTRA_REQUIRED_SCOPE,
      appRoles: raw.ENTRA_APP_ROLES,
      openIdMetadataUrl: raw.ENTRA_OPENID_METADATA_URL,
      ...(raw.ENTRA_CLIENT_ID ? { clientId: raw.ENTRA_CLIENT_ID } : {}),
      ...(raw.ENTRA_CLIENT_SECRET ? { clientSecret: raw.ENTRA_CLIENT_SECRET } : {}),
      loginUrl: raw.MICROSOFT_LOGIN_URL,
      graphUrl: raw.MICROSOFT_GRAPH_URL,
    },
    bot: {
      ...(raw.BOT_APP_ID ? { appId: raw.BOT_APP_ID } : {}),
      ...(raw.BOT_APP_PASSWORD ? { appPassword: raw.BOT_APP_PASSWORD } : {}),
      openIdMetadataUrl: raw.BOT_OPENID_METADATA_URL,
      tokenIssuer: raw.BOT_TOKEN_ISSUER,
      loginUrl: raw.BOT_LOGIN_URL,
      ...(raw.BOT_APP_TENANT_ID ? { appTenantId: raw.BOT_APP_TENANT_ID } : {}),
      emulatorOpenIdMetadataUrl: raw.BOT_EMULATOR_OPENID_METADATA_URL,
      oauthScope: raw.BOT_OAUTH_SCOPE,
      oauthApiUrl: raw.BOT_OAUTH_API_URL,
      callerId: raw.BOT_CALLER_ID,
      tenantRequestsPerSecond: raw.TEAMS_TENANT_REQUESTS_PER_SECOND,
      refusalsPerMinute: raw.BOT_REFUSALS_PER_MINUTE,
    },
    urgentAcknowledgeMinutes: raw.URGENT_ACKNOWLEDGE_MINUTES,
    caseCardHold: { quietMs: raw.CASE_CARD_QUIET_SECONDS * 1000, maxHoldMs: raw.CASE_CARD_MAX_HOLD_MINUTES * 60_000 },
    deliveryFallback: { urgentMinutes: raw.DELIVERY_FALLBACK_URGENT_MINUTES, caseMinutes: raw.DELIVERY_FALLBACK_MINUTES, noticeMinutes: raw.DELIVERY_FALLBACK_NOTICE_MINUTES },
    publicUrl: (raw.PUBLIC_BASE_URL ?? `http://${raw.HOST.includes(':') ? `[${raw.HOST}]` : raw.HOST}:${raw.PORT}`).replace(/\/$/, ''),
    publicUrlConfigured: Boolean(raw.PUBLIC_BASE_URL),
    aup: {
      ...(raw.TEAMS_APP_CATALOG_ID ? { teamsAppCatalogId: raw.TEAMS_APP_CATALOG_ID } : {}),
      teamsServiceUrl: raw.TEAMS_SERVICE_URL,
      campaignRequestsPerSecond: raw.AUP_CAMPAIGN_REQUESTS_PER_SECOND,
      directoryPollMinutes: raw.DIRECTORY_POLL_MINUTES,
    },
    emailReports: { maxBytes: raw.EMAIL_REPORT_MAX_MB * 1024 * 1024, retentionDays: raw.EMAIL_RETENTION_DAYS },
    emailAnalysis: { threads: raw.EMAIL_ANALYSIS_THREADS, budgetMs: raw.EMAIL_ANALYSIS_BUDGET_MS },
    emailForwarding: {
      ...(raw.REPORT_SENDER_MAILBOX ? { from: raw.REPORT_SENDER_MAILBOX } : {}),
      ...(raw.SECURITY_REPORT_MAILBOX ? { securityMailbox: raw.SECURITY_REPORT_MAILBOX } : {}),
      ncscAddress: raw.NCSC_REPORT_ADDRESS,
    },
    google: {
      audiences: raw.GOOGLE_AUDIENCES,
      certsUrl: raw.GOOGLE_CERTS_URL,
      apiRootUrl: raw.GOOGLE_API_ROOT_URL,
      chatApiRootUrl: raw.GOOGLE_CHAT_API_ROOT_URL,
      ...(raw.GOOGLE_SERVICE_ACCOUNT_KEY_FILE ? { serviceAccountKeyFile: raw.GOOGLE_SERVICE_ACCOUNT_KEY_FILE } : {}),
      ...(raw.GOOGLE_PROJECT_NUMBER
        ? {
            chat: {
              projectNumber: raw.GOOGLE_PROJECT_NUMBER,
              addonServiceAccount: (raw.GOOGLE_ADDON_SERVICE_ACCOUNT ?? addonServiceAccountEmail(raw.GOOGLE_PROJECT_NUMBER)).toLowerCase(),
              legacyTokens: raw.GOOGLE_LEGACY_CHAT_TOKENS === 'true',
              legacyCertsUrl: raw.GOOGLE_CHAT_LEGACY_CERTS_URL,
              writesPerMinute: raw.GOOGLE_CHAT_WRITES_PER_MINUTE,
            },
            gmail: {
              oauthClientId: raw.GOOGLE_ADDON_OAUTH_CLIENT_ID ?? SANDBOX_ADDON_OAUTH_CLIENT_ID,
              apiRootUrl: raw.GOOGLE_GMAIL_API_ROOT_URL,
            },
          }
        : {}),
      adminPollMinutes: raw.GOOGLE_ADMIN_POLL_MINUTES,
      gmailApiRootUrl: raw.GOOGLE_GMAIL_API_ROOT_URL,
      mailboxRemoval: raw.GOOGLE_MAILBOX_REMOVAL === 'true',
      gmailUnitsPerMinute: raw.GOOGLE_GMAIL_UNITS_PER_MINUTE,
      alertCenterApiRootUrl: raw.GOOGLE_ALERTCENTER_API_ROOT_URL,
      alertPollMinutes: raw.GOOGLE_ALERT_POLL_MINUTES,
      sandboxDelegation:
        mode === 'sandbox' && !raw.GOOGLE_SERVICE_ACCOUNT_KEY_FILE && isLoopbackUrl(raw.GOOGLE_API_ROOT_URL) && isLoopbackUrl(raw.GOOGLE_GMAIL_API_ROOT_URL),
    },
  };
}

/** The HKDF label of audit sealing keys derived from a data key: distinct from every other use of the key. */
export const AUDIT_SEAL_KEY_INFO = 'dsl-desk:audit-seal';

/**
 * Sealing keys: each data key gives one (HKDF-SHA256, its own label), named `data:<id>`, so rotating DATA_KEYS
 * keeps old seals verifiable while the old key stays in the ring. AUDIT_KEY (`id:base64-32-bytes[,older…]`,
 * the first one sealing) keeps the seals independent of the data keys, named `audit:<id>`; the derived keys
 * still verify seals made before it was set.
 */
function auditSealKeys(auditKey: string | undefined, ring: KeyRing): AuditSealKeys {
  const keys = new Map<string, Buffer>();
  for (const [id, key] of ring.keys) keys.set(`data:${id}`, Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), AUDIT_SEAL_KEY_INFO, 32)));
  let currentKeyId = `data:${ring.currentKeyId}`;
  if (auditKey) {
    const entries = auditKey.split(',').map((entry) => entry.trim()).filter(Boolean);
    entries.forEach((entry, index) => {
      const at = entry.indexOf(':');
      const id = at > 0 ? entry.slice(0, at) : '';
      const key = Buffer.from(entry.slice(at + 1), 'base64');
      if (!/^[A-Za-z0-9_-]{1,40}$/.test(id)) throw new ConfigError('AUDIT_KEY is invalid: give it as id:base64-of-32-bytes (id of letters, digits, _ and -), the sealing key first.');
      if (key.length !== 32) throw new ConfigError(`AUDIT_KEY is invalid: key "${id}" is ${key.length} bytes, not 32.`);
      keys.set(`audit:${id}`, key);
      if (index === 0) currentKeyId = `audit:${id}`;
    });
  }
  return { currentKeyId, keys };
}

function productionKeyRing(raw: RawConfig): KeyRing {
  if (!raw.DATA_KEYS || !raw.DATA_KEY_ID) {
    throw new ConfigError('Set DATA_KEYS (id:base64-of-32-bytes[,...]) and DATA_KEY_ID (the id used for new writes): case data is encrypted at rest.');
  }
  try {
    const ring = parseKeyRing(raw.DATA_KEYS, raw.DATA_KEY_ID);
    for (const [id, key] of ring.keys) if (key.length !== 32) throw new Error(`key "${id}" is ${key.length} bytes, not 32`);
    if (!ring.keys.has(raw.DATA_KEY_ID)) throw new Error(`DATA_KEY_ID "${raw.DATA_KEY_ID}" is not one of the ids in DATA_KEYS`);
    return ring;
  } catch (error) {
    throw new ConfigError(`DATA_KEYS is invalid: ${(error as Error).message}`);
  }
}

/** The sandbox makes its own key once, readable only by this user, next to its database. */
function sandboxKeyRing(dataDir: string): KeyRing {
  const file = join(dataDir, 'sandbox-data-key.json');
  mkdirSync(dataDir, { recursive: true });
  if (!existsSync(file)) {
    writeFileSync(file, JSON.stringify({ keyId: 'sandbox-1', key: randomBytes(32).toString('base64') }), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { keyId: string; key: string };
  return { currentKeyId: stored.keyId, keys: new Map([[stored.keyId, Buffer.from(stored.key, 'base64')]]) };
}

/** What is safe to log about the configuration: no secrets, no keys, no database password. */
export function redactedSummary(config: Config): Record<string, unknown> {
  return {
    mode: config.mode,
    listen: `${config.host}:${config.port}`,
    database: /^postgres/.test(config.databaseUrl) ? config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@') : config.databaseUrl,
    dataKeys: { current: config.keyRing.currentKeyId, count: config.keyRing.keys.size },
    auditSeal: { key: config.auditSeal.keys.currentKeyId, everyMinutes: config.auditSeal.everyMinutes },
    entra: { audiences: config.entra.audiences.length, metadata: config.entra.openIdMetadataUrl, clientSecret: config.entra.clientSecret ? 'set' : 'unset' },
    bot: { appId: config.bot.appId ?? 'unset', appPassword: config.bot.appPassword ? 'set' : 'unset' },
    google: { audiences: config.google.audiences.length, certs: config.google.certsUrl, chat: config.google.chat ? { projectNumber: config.google.chat.projectNumber, legacyTokens: config.google.chat.legacyTokens } : 'off', gmail: config.google.gmail ? { oauthClientId: config.google.gmail.oauthClientId } : 'off' },
    rateLimitPerMinute: config.rateLimitPerMinute,
  };
}
