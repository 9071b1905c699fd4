import { AsyncLocalStorage } from 'node:async_hooks';
import { isIP } from 'node:net';
import type { Request, Response } from 'express';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type Activity, type InvokeResponse, type TurnContext } from 'botbuilder';
import { AuthenticationError, type AuthenticateRequestResult, type ServiceClientCredentialsFactory } from 'botframework-connector';
import { MemoryStore, type Options as RateLimitOptions } from 'express-rate-limit';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { isAppError } from '../../src/domain/errors.ts';

/**
 * Every identity endpoint of the Bot Framework, as product settings. National clouds (GCC High, DoD) and
 * local fakes need all of them; botbuilder switches to "all as given" as soon as one is set.
 */
export interface BotIdentitySettings {
  appId?: string;
  appPassword?: string;
  appTenantId?: string;
  /** ToBotFromChannelOpenIdMetadataUrl */
  openIdMetadataUrl: string;
  /** ToBotFromEmulatorOpenIdMetadataUrl */
  emulatorOpenIdMetadataUrl: string;
  /** ToBotFromChannelTokenIssuer */
  tokenIssuer: string;
  /** ToChannelFromBotLoginUrl */
  loginUrl: string;
  /** ToChannelFromBotOAuthScope */
  oauthScope: string;
  /** OAuthUrl */
  oauthApiUrl: string;
  /** CallerId */
  callerId: string;
}

export type BotTurnLogic = (context: TurnContext) => Promise<void>;

export interface BotTransportLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface BotTransportOptions {
  settings: BotIdentitySettings;
  /** Local-only mode for the Agents Playground: no credentials, unsigned activities from loopback only. */
  sandbox: boolean;
  /** Outbound token source (production only; ignored in the sandbox, which never signs anything). */
  credentialsFactory?: ServiceClientCredentialsFactory;
  logger: BotTransportLogger;
  /**
   * Called when the logic of an inbound activity throws, before the 500 goes out: the place to tell the
   * person something went wrong. Errors of proactive turns go back to their caller unchanged.
   */
  onTurnError?: (context: TurnContext, error: unknown) => Promise<void>;
  /** Channels whose activities are accepted. Default: msteams only (see TEAMS_ONLY). */
  allowedChannelIds?: readonly string[];
  /** Used only when no body parser ran before `handle`. Default 1 MiB. */
  maxBodyBytes?: number;
  /** How long to wait for the Bot Framework's signing keys before answering 503. Default 10 s. */
  authTimeoutMs?: number;
  /**
   * Refused requests (4xx) one source address may make per minute before it is answered 429 without
   * any checking. Teams itself is almost never refused, so this only slows down someone probing. Default 30.
   */
  refusalsPerMinute?: number;
}

export interface BotTransport {
  /** Authenticates one POST to the messaging endpoint, runs the turn and always answers. */
  handle(req: Request, res: Response, logic: BotTurnLogic): Promise<void>;
  /** Answers a request whose body an express parser could not read (corrupt compression, bad JSON, too large). */
  refuseUnreadableBody(req: Request, res: Response, error: unknown): Promise<void>;
  /** For proactive messages (continueConversationAsync, createConversationAsync). */
  adapter: CloudAdapter;
}

/**
 * Other channels (Web Chat, Direct Line) let the client write channelData, tenant and user ids freely;
 * the bot trusts those fields to find the school and the person, so only Teams may talk to it.
 */
const TEAMS_ONLY: readonly string[] = ['msteams'];
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_AUTH_TIMEOUT_MS = 10_000;
const DEFAULT_REFUSALS_PER_MINUTE = 30;
const JWT_ERROR_NAMES = new Set(['JsonWebTokenError', 'TokenExpiredError', 'NotBeforeError']);

/** A request we refuse before any logic runs; `reason` is for the log only. */
class Refusal extends Error {
  readonly status: number;
  readonly code: string;
  readonly publicMessage: string;

  constructor(status: number, code: string, publicMessage: string, reason: string) {
    super(reason);
    this.name = 'Refusal';
    this.status = status;
    this.code = code;
    this.publicMessage = publicMessage;
  }
}

const unauthenticated = (reason: string) => new Refusal(401, 'unauthenticated', 'The request is not signed by the Bot Framework for this bot.', reason);
const badRequest = (reason: string) => new Refusal(400, 'invalid_input', `The body must be a Bot Framework activity in JSON: ${reason}.`, reason);

/** CloudAdapter keeps processActivity protected; the transport authenticates first, then runs the turn through it. */
class GuardedCloudAdapter extends CloudAdapter {
  runTurn(auth: AuthenticateRequestResult, activity: Activity, logic: BotTurnLogic): Promise<InvokeResponse | undefined> {
    return this.processActivity(auth, activity, logic);
  }
}

/**
 * The Bot Framework HTTP edge. It does not use CloudAdapter.process because that answers 500 for several
 * forged tokens (its JWT library's errors are not AuthenticationErrors), accepts tokens without `exp`,
 * writes `err.message` into responses, and cannot tell a bad token from a failed turn. Instead: check
 * the request shape and the token's header ourselves, authenticate with botbuilder, then run the turn.
 * botbuilder's token validation prints rejected tokens' errors (and the signing key) with console.error;
 * those lines go to our logger at debug level instead (see quietTokenValidation).
 */
export function createBotTransport(options: BotTransportOptions): BotTransport {
  const { settings, sandbox, logger } = options;
  const allowedChannelIds = options.allowedChannelIds ?? TEAMS_ONLY;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const authTimeoutMs = options.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS;
  const refusalsPerMinute = options.refusalsPerMinute ?? DEFAULT_REFUSALS_PER_MINUTE;
  // Counts only refusals, and is checked without counting: Teams' own traffic comes from a few Microsoft
  // addresses, so a limiter counting every request (or in-flight ones) would throttle a busy school.
  const refusals = new MemoryStore();
  refusals.init({ windowMs: 60_000 } as RateLimitOptions);
  const auth = sandbox ? sandboxAuthentication(settings) : productionAuthentication(settings, options.credentialsFactory);
  const adapter = new GuardedCloudAdapter(auth);

  // Inbound activities of this transport, so a failed turn can be told apart from a failed proactive send.
  const inbound = new WeakSet<object>();
  const reported = new WeakSet<object>();

  adapter.onTurnError = async (context, error) => {
    if (!inbound.has(context.activity)) throw error;
    logger.error({ activity: describeActivity(context.activity), err: describeError(error) }, 'bot turn failed');
    if (error !== null && typeof error === 'object') reported.add(error);
    if (options.onTurnError) {
      try {
        await options.onTurnError(context, error);
      } catch (hookError) {
        logger.error({ activity: describeActivity(context.activity), err: describeError(hookError) }, 'bot turn error handler failed');
      }
    }
    // Rethrown so the request answers 500 instead of a 200 that would claim the message was handled.
    throw error;
  };

  async function authenticate(req: Request, activity: Activity): Promise<AuthenticateRequestResult> {
    const header = headerOf(req, 'authorization');
    if (sandbox) {
      if (header !== undefined) throw unauthenticated('the sandbox takes no tokens; a signed request means a real channel is calling');
      if (headerOf(req, 'x-forwarded-for') !== undefined || headerOf(req, 'forwarded') !== undefined) throw unauthenticated('the sandbox refuses proxied requests');
      if (!isLoopbackAddress(req.socket?.remoteAddress)) throw unauthenticated('the sandbox accepts unsigned activities only from this computer');
      // Replies go to serviceUrl unsigned; keep them on this machine too.
      if (!isLoopbackUrl(activity.serviceUrl)) throw unauthenticated('the sandbox replies only to a local serviceUrl');
      return auth.authenticateRequest(activity, '');
    }
    const authorization = checkBearerToken(header);
    let result: AuthenticateRequestResult;
    try {
      result = await withTimeout(
        quietTokenValidation(logger, () => auth.authenticateRequest(activity, authorization)),
        authTimeoutMs,
      );
    } catch (error) {
      throw authFailure(error);
    }
    // A credentials factory that reported "authentication disabled" would have let an anonymous identity through.
    if (!result.claimsIdentity.isAuthenticated || result.claimsIdentity.getClaimValue('aud') !== settings.appId) {
      throw unauthenticated('the token is not addressed to this bot');
    }
    return result;
  }

  async function refuse(req: Request, res: Response, refusal: Refusal, activity?: Activity): Promise<void> {
    const source = sourceOf(req);
    logger.warn({ status: refusal.status, reason: refusal.message, remoteAddress: source, ...(activity ? { activity: describeActivity(activity) } : {}) }, 'bot request refused');
    if (refusal.status >= 400 && refusal.status < 500) await refusals.increment(source);
    if (refusal.status === 401) res.set('WWW-Authenticate', 'Bearer');
    send(res, refusal.status, { error: { code: refusal.code, message: refusal.publicMessage } });
  }

  /** True (and answered 429) when this source has been refused too often in the last minute. */
  async function tooManyRefusals(req: Request, res: Response): Promise<boolean> {
    const seen = await refusals.get(sourceOf(req));
    if (!seen || seen.totalHits < refusalsPerMinute) return false;
    const retryAfter = Math.max(1, Math.ceil(((seen.resetTime?.getTime() ?? Date.now()) - Date.now()) / 1000));
    logger.debug({ remoteAddress: sourceOf(req), refusals: seen.totalHits }, 'bot request refused: too many refusals from this address');
    res.set('Retry-After', String(retryAfter));
    send(res, 429, { error: { code: 'rate_limited', message: 'Too many refused requests from this address. Wait a minute.' } });
    return true;
  }

  async function refuseUnreadableBody(req: Request, res: Response, error: unknown): Promise<void> {
    if (await tooManyRefusals(req, res)) return;
    await refuse(req, res, unreadableBody(error));
  }

  async function handle(req: Request, res: Response, logic: BotTurnLogic): Promise<void> {
    let activity: Activity | undefined;
    try {
      if (await tooManyRefusals(req, res)) return;
      if (req.method !== 'POST') {
        res.set('Allow', 'POST');
        throw new Refusal(405, 'invalid_input', 'Send activities with POST.', `method ${req.method}`);
      }
      activity = parseActivity(await bodyOf(req, maxBodyBytes));
      const authResult = await authenticate(req, activity);
      if (!allowedChannelIds.includes(activity.channelId)) {
        throw new Refusal(403, 'forbidden', 'This bot only talks to Microsoft Teams.', `channel ${activity.channelId} is not allowed`);
      }
      inbound.add(activity);
      let invokeResponse: InvokeResponse | undefined;
      try {
        invokeResponse = await adapter.runTurn(authResult, activity, logic);
      } catch (error) {
        if (!(error !== null && typeof error === 'object' && reported.has(error))) {
          logger.error({ activity: describeActivity(activity), err: describeError(error) }, 'bot turn failed');
        }
        if (isAppError(error) && error.code === 'unavailable') {
          // A passing fault (the database restarting): 503 with Retry-After, so the Bot Framework's
          // redelivery waits for it rather than counting a failed turn.
          if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
          send(res, 503, { error: { code: 'unavailable', message: error.userMessage } });
          return;
        }
        send(res, 500, { error: { code: 'internal', message: 'The bot could not handle this activity.' } });
        return;
      }
      send(res, invokeResponse?.status ?? 200, invokeResponse?.body);
    } catch (error) {
      if (error instanceof Refusal) {
        await refuse(req, res, error, activity);
        return;
      }
      logger.error({ err: describeError(error), ...(activity ? { activity: describeActivity(activity) } : {}) }, 'bot request failed');
      send(res, 500, { error: { code: 'internal', message: 'The bot could not handle this activity.' } });
    }
  }

  return { handle, refuseUnreadableBody, adapter };
}

/** The address refusals are counted against: the peer, or the client a trusted proxy names (express's req.ip). */
function sourceOf(req: Request): string {
  return req.ip ?? req.socket?.remoteAddress ?? 'unknown';
}

/**
 * An express body parser's failure as a refusal. Corrupt gzip, deflate or Brotli reaches us as zlib's own
 * error with only `status: 400` added by body-parser, so anything it marked as the client's is a 400.
 */
function unreadableBody(error: unknown): Refusal {
  const { type, status } = (error ?? {}) as { type?: unknown; status?: unknown };
  if (type === 'entity.too.large') return new Refusal(413, 'payload_too_large', 'The activity is too large.', 'body over the limit');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new Refusal(415, 'unsupported_media_type', 'Send the activity as UTF-8 JSON.', `body not read: ${String(type)}`);
  }
  if (type === 'entity.parse.failed') return badRequest('the body is not valid JSON');
  if (typeof status === 'number' && status >= 400 && status < 500) return badRequest('the body could not be decoded with its Content-Encoding');
  return badRequest(`the body could not be read (${typeof type === 'string' ? type : 'unknown error'})`);
}

/** Set while botbuilder validates a token, so its console lines can be told apart from everyone else's. */
const validatingToken = new AsyncLocalStorage<BotTransportLogger>();
const QUIETED = Symbol('dsl-desk.quietTokenValidation');

/**
 * botframework-connector's JwtTokenExtractor writes `console.error` for every bad token: the whole
 * jsonwebtoken error, or "Available keys: " followed by the signing key. Unstructured stderr per forged
 * request is noise at best, so while a token is being validated those lines go to our logger at debug
 * level, cut to what says which check failed. Lines written outside validation reach the console as before.
 * (Checked on each call, not once: whatever replaced console.error since, such as a test's spy, is kept.)
 */
function quietTokenValidation<T>(logger: BotTransportLogger, validate: () => Promise<T>): Promise<T> {
  if (!(QUIETED in console.error)) {
    const original = console.error;
    const quieted = (...args: unknown[]) => {
      const current = validatingToken.getStore();
      if (!current) {
        original.apply(console, args);
        return;
      }
      current.debug({ source: 'botframework-connector', detail: args.map(summariseConsoleArgument).join(' ') }, 'bot token validation');
    };
    console.error = Object.assign(quieted, { [QUIETED]: true });
  }
  return validatingToken.run(logger, validate);
}

/** Which check failed, never the token, its claims or key material. */
export function summariseConsoleArgument(value: unknown): string {
  const text = value instanceof Error ? `${value.name}: ${value.message}` : typeof value === 'string' ? value : typeof value;
  // Only the start of a line is kept anyway; bounding it first keeps the scans below cheap on any input.
  return text
    .slice(0, 4000)
    .split(/available keys/i)[0]!
    .replace(/-----BEGIN[\s\S]*?(-----END[^-]*-----|$)/g, '[key]')
    .replace(/(?<![\w-])[\w-]{16,}\.[\w-]{16,}\.?[\w-]*/g, '[token]')
    .trim()
    .slice(0, 200);
}

function productionAuthentication(settings: BotIdentitySettings, credentialsFactory: ServiceClientCredentialsFactory | undefined): ConfigurationBotFrameworkAuthentication {
  if (!settings.appId) throw new Error('The Teams bot needs its app id (BOT_APP_ID) outside the sandbox.');
  if (!settings.appPassword && !credentialsFactory) throw new Error('The Teams bot needs its client secret (BOT_APP_PASSWORD) to answer.');
  return new ConfigurationBotFrameworkAuthentication(
    {
      MicrosoftAppId: settings.appId,
      MicrosoftAppPassword: settings.appPassword ?? '',
      MicrosoftAppType: settings.appTenantId ? 'SingleTenant' : 'MultiTenant',
      MicrosoftAppTenantId: settings.appTenantId ?? '',
      ...endpointOverrides(settings),
    },
    credentialsFactory,
  );
}

/**
 * botbuilder's anonymous mode: with no app id it accepts unsigned activities and its outbound calls
 * carry no token (MicrosoftAppCredentials.Empty). The loopback checks in `authenticate` are ours.
 */
function sandboxAuthentication(settings: BotIdentitySettings): ConfigurationBotFrameworkAuthentication {
  if (settings.appId || settings.appPassword) throw new Error('The sandbox bot takes no app id or password: it must never be reachable as a real bot.');
  return new ConfigurationBotFrameworkAuthentication(endpointOverrides(settings));
}

function endpointOverrides(settings: BotIdentitySettings) {
  return {
    ToChannelFromBotLoginUrl: settings.loginUrl,
    ToChannelFromBotOAuthScope: settings.oauthScope,
    ToBotFromChannelTokenIssuer: settings.tokenIssuer,
    OAuthUrl: settings.oauthApiUrl,
    ToBotFromChannelOpenIdMetadataUrl: settings.openIdMetadataUrl,
    ToBotFromEmulatorOpenIdMetadataUrl: settings.emulatorOpenIdMetadataUrl,
    CallerId: settings.callerId,
  };
}

/**
 * Checks what botbuilder does not: a Bearer scheme, a well-formed RS256 JWS with a key id, and an `exp`
 * (its JWT library accepts tokens that never expire). Returns the header as botbuilder expects it.
 */
function checkBearerToken(header: string | undefined): string {
  if (header === undefined) throw unauthenticated('no Authorization header');
  const match = /^Bearer +([^\s]+)$/i.exec(header.trim());
  if (!match?.[1]) throw unauthenticated('Authorization is not a Bearer token');
  const token = match[1];
  let alg: unknown;
  let kid: unknown;
  let exp: unknown;
  try {
    ({ alg, kid } = decodeProtectedHeader(token));
    ({ exp } = decodeJwt(token));
  } catch {
    throw unauthenticated('the token is not a well-formed JWT');
  }
  if (alg !== 'RS256') throw unauthenticated(`token algorithm ${String(alg)} is not accepted`);
  if (typeof kid !== 'string' || !kid) throw unauthenticated('the token names no signing key');
  if (typeof exp !== 'number') throw unauthenticated('the token has no expiry');
  return `Bearer ${token}`;
}

/** Anything botbuilder raises while authenticating is a 401, except not being able to reach the key endpoints. */
function authFailure(error: unknown): Refusal {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof AuthTimeout) return unavailable(message);
  if (error instanceof AuthenticationError) {
    // Its metadata and key downloads fail with AuthenticationError 500: our problem, not the caller's.
    return error.statusCode >= 500 ? unavailable(message) : unauthenticated(message);
  }
  const name = error instanceof Error ? error.name : '';
  if (JWT_ERROR_NAMES.has(name)) return unauthenticated(`${name}: ${message}`);
  if (name === 'FetchError' || (error as { code?: unknown } | null)?.code === 'ECONNREFUSED') return unavailable(message);
  // An unexpected failure inside validation still means the request is not authenticated.
  return unauthenticated(`${name || 'error'}: ${message}`);
}

function unavailable(reason: string): Refusal {
  return new Refusal(503, 'unavailable', 'The bot cannot check Bot Framework signatures right now. Try again shortly.', `signing keys unavailable: ${reason}`);
}

class AuthTimeout extends Error {
  override name = 'AuthTimeout';
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new AuthTimeout(`no answer from the key endpoints within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The parsed body, or our own bounded read when no JSON parser ran before the transport. */
async function bodyOf(req: Request, maxBytes: number): Promise<unknown> {
  const contentType = headerOf(req, 'content-type') ?? '';
  // Also keeps browsers out of the sandbox: a cross-site page cannot send application/json without a preflight.
  if (!/^application\/json\s*(;|$)/i.test(contentType)) throw badRequest('Content-Type must be application/json');
  if (req.body !== undefined) return req.body;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > maxBytes) throw new Refusal(413, 'payload_too_large', 'The activity is too large.', `body over ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('the body is not valid JSON');
  }
}

/**
 * An activity we can route: a type, a channel (an empty channelId would skip botbuilder's key endorsement
 * check) and a serviceUrl (without one botbuilder skips the token's serviceurl check and replies to its default).
 */
function parseActivity(body: unknown): Activity {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('expected a JSON object');
  const activity = body as Record<string, unknown>;
  if (typeof activity.type !== 'string' || !activity.type) throw badRequest('type is missing');
  if (typeof activity.channelId !== 'string' || !activity.channelId) throw badRequest('channelId is missing');
  if (typeof activity.serviceUrl !== 'string' || !isHttpUrl(activity.serviceUrl)) throw badRequest('serviceUrl must be an http(s) URL');
  // What CloudAdapter.process does before a turn: the schema's dates are Date objects.
  for (const field of ['timestamp', 'localTimestamp', 'expiration'] as const) {
    const value = activity[field];
    if (typeof value === 'string') {
      activity[`raw${field[0]!.toUpperCase()}${field.slice(1)}`] = value;
      activity[field] = new Date(value);
    }
  }
  return activity as unknown as Activity;
}

function send(res: Response, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(status);
  if (body === undefined || body === null) res.end();
  else res.json(body);
}

function headerOf(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms: the socket's peer, never a forwarded header. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.toLowerCase().replace(/^::ffff:/, '');
  if (isIP(plain) === 4) return plain.startsWith('127.');
  return plain === '::1' || plain === '0:0:0:0:0:0:0:1';
}

function isLoopbackUrl(value: string): boolean {
  try {
    const host = new URL(value).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || isLoopbackAddress(host);
  } catch {
    return false;
  }
}

/** What may be logged about an activity: its kind and ids. Never text, values, attachments or names. */
export function describeActivity(activity: Partial<Activity> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!activity) return out;
  const channelData = activity.channelData as { tenant?: { id?: unknown } } | undefined;
  const fields: Record<string, unknown> = {
    type: activity.type,
    name: activity.name,
    id: activity.id,
    channelId: activity.channelId,
    conversationId: activity.conversation?.id,
    conversationType: activity.conversation?.conversationType,
    tenantId: activity.conversation?.tenantId ?? channelData?.tenant?.id,
    fromId: activity.from?.id,
    replyToId: activity.replyToId,
  };
  for (const [key, value] of Object.entries(fields)) if (typeof value === 'string' && value) out[key] = value;
  return out;
}

/**
 * Errors are logged by name, status and stack only in outline: SDK errors carry the request they failed
 * on (with the activity's text) as enumerable properties, so the object itself is never logged.
 */
function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
  return {
    type: error.name,
    message: error.message.slice(0, 300),
    ...(typeof statusCode === 'number' ? { statusCode } : {}),
    ...(typeof code === 'string' ? { code } : {}),
    stack: error.stack?.split('\n').slice(1, 8).join('\n'),
  };
}
