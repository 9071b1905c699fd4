import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import type { TurnContext } from 'botbuilder';
import { ServiceClientCredentialsFactory, type ServiceClientCredentials } from 'botframework-connector';
import { AppError } from '../../../src/domain/errors.ts';
import { createBotTransport, isLoopbackAddress, type BotIdentitySettings, type BotTransport } from '../../../bot/teams/bot-adapter.ts';
import { sendActivity, startFakeBotConnector, type FakeBotConnector } from '../../fakes/fake-bot-connector.ts';
import { startFakeBotFrameworkIdp, type BotMintOptions, type ChannelTokenClaims, type FakeBotFrameworkIdp } from '../../fakes/fake-bot-framework-idp.ts';

const APP_ID = '5f1c3a9e-0000-4000-8000-00000000b07a';
const OUTBOUND_TOKEN = 'outbound-token-for-tests';
const TENANT = '9a7e0c1d-0000-4000-8000-0000000000aa';
// Real Teams ids carry ':', '@' and ';', which the connector client must URL-encode.
const CONVERSATION = '19:8d1f0c@thread.tacv2;messageid=1712345678901';
const CONCERN_TEXT = 'Pupil Wilhelmina Fotheringay said something worrying';

/** Outbound tokens for tests: MSAL refuses the http authority a local fake would need. */
class FixedBearerCredentialsFactory extends ServiceClientCredentialsFactory {
  readonly appId: string;
  created = 0;

  constructor(appId: string) {
    super();
    this.appId = appId;
  }

  async isValidAppId(appId: string): Promise<boolean> {
    return appId === this.appId;
  }

  async isAuthenticationDisabled(): Promise<boolean> {
    return false;
  }

  async createCredentials(): Promise<ServiceClientCredentials> {
    this.created += 1;
    return {
      async signRequest(request) {
        request.headers.set('authorization', `Bearer ${OUTBOUND_TOKEN}`);
        return request;
      },
    };
  }
}

interface LogEntry {
  level: 'debug' | 'warn' | 'error';
  obj: object;
  msg: string;
}

function recordingLogger() {
  const entries: LogEntry[] = [];
  return {
    entries,
    debug: (obj: object, msg: string) => entries.push({ level: 'debug', obj, msg }),
    warn: (obj: object, msg: string) => entries.push({ level: 'warn', obj, msg }),
    error: (obj: object, msg: string) => entries.push({ level: 'error', obj, msg }),
  };
}

/** The test bot: replies "pong", answers invokes itself, and fails on request. */
function createLogic() {
  const seen: string[] = [];
  const logic = async (context: TurnContext) => {
    seen.push(context.activity.type);
    if (context.activity.type === 'invoke') {
      await context.sendActivity({ type: 'invokeResponse', value: { status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'Done' } } });
      return;
    }
    if (context.activity.text === 'fail') throw new Error('the handler broke');
    if (context.activity.text === 'database away') throw new AppError('unavailable', 'DSL Desk cannot reach its database just now. Nothing was saved.', { internal: 'database unavailable: ECONNREFUSED', retryAfterSeconds: 30 });
    await context.sendActivity('pong');
  };
  return { seen, logic };
}

async function listen(app: express.Express | Server): Promise<{ server: Server; url: string }> {
  const server = app instanceof Server ? app : createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function settingsFor(idp: FakeBotFrameworkIdp, overrides: Partial<BotIdentitySettings> = {}): BotIdentitySettings {
  return {
    appId: APP_ID,
    openIdMetadataUrl: idp.metadataUrl,
    emulatorOpenIdMetadataUrl: `${idp.baseUrl}/emulator/.well-known/openid-configuration`,
    tokenIssuer: idp.issuer,
    loginUrl: `${idp.baseUrl}/botframework.com`,
    oauthScope: 'https://api.botframework.com',
    oauthApiUrl: `${idp.baseUrl}/oauth`,
    callerId: 'urn:botframework:azure',
    ...overrides,
  };
}

function activity(serviceUrl: string, overrides: Record<string, unknown> = {}) {
  return {
    type: 'message',
    id: '1712345678999',
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from: { id: '29:1abcUser', name: 'A Teacher', aadObjectId: 'aaaaaaaa-0000-4000-8000-000000000001' },
    recipient: { id: `28:${APP_ID}`, name: 'DSL Desk' },
    conversation: { id: CONVERSATION, conversationType: 'channel', tenantId: TENANT, isGroup: true },
    channelData: { tenant: { id: TENANT } },
    text: 'ping',
    ...overrides,
  };
}

describe('bot transport (production)', () => {
  let idp: FakeBotFrameworkIdp;
  let connector: FakeBotConnector;
  let credentials: FixedBearerCredentialsFactory;
  let logger: ReturnType<typeof recordingLogger>;
  let bot: ReturnType<typeof createLogic>;
  let transport: BotTransport;
  let turnErrors: unknown[];
  let server: Server;
  let botUrl: string;
  let consoleError: jest.SpyInstance;

  beforeAll(async () => {
    // botbuilder prints rejected tokens and the public keys it tried with console.error; keep test output readable.
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    idp = await startFakeBotFrameworkIdp();
    connector = await startFakeBotConnector({ requireAuth: true });
    credentials = new FixedBearerCredentialsFactory(APP_ID);
    logger = recordingLogger();
    turnErrors = [];
    transport = createBotTransport({
      settings: settingsFor(idp),
      sandbox: false,
      credentialsFactory: credentials,
      logger,
      onTurnError: async (_context, error) => {
        turnErrors.push(error);
      },
    });
    const app = express();
    app.post('/api/messages', express.json(), (req, res) => transport.handle(req, res, (context) => bot.logic(context)));
    ({ server, url: botUrl } = await listen(app));
    botUrl = `${botUrl}/api/messages`;
  });

  beforeEach(() => {
    bot = createLogic();
    connector.reset();
    logger.entries.length = 0;
    turnErrors.length = 0;
  });

  afterAll(async () => {
    await close(server);
    await connector.close();
    await idp.close();
    consoleError.mockRestore();
  });

  const token = (claims: Partial<ChannelTokenClaims> = {}, options: BotMintOptions = {}) =>
    idp.mintChannelToken({ aud: APP_ID, serviceurl: connector.url, ...claims }, options);

  test('a valid channel token runs the turn and the reply reaches the connector, signed', async () => {
    const response = await sendActivity(botUrl, activity(connector.url), await token());
    expect(response.status).toBe(200);
    expect(bot.seen).toEqual(['message']);
    expect(connector.activities(CONVERSATION)).toEqual([expect.objectContaining({ type: 'message', text: 'pong', replyToId: '1712345678999' })]);
    const reply = connector.calls.find((c) => c.route === 'reply');
    expect(reply).toMatchObject({ conversationId: CONVERSATION, activityId: '1712345678999', authorization: `Bearer ${OUTBOUND_TOKEN}`, tenantId: TENANT, status: 200 });
    // The id reached the connector encoded, and the fake decoded it back.
    expect(reply?.path).toContain(encodeURIComponent(CONVERSATION));
    expect(credentials.created).toBeGreaterThan(0);
  });

  test('an invoke is answered with the invoke response the logic set', async () => {
    const response = await sendActivity(botUrl, activity(connector.url, { type: 'invoke', name: 'adaptiveCard/action', text: undefined, value: { action: { verb: 'ack' } } }), await token());
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'Done' });
    expect(connector.calls).toHaveLength(0);
  });

  test.each<[string, () => Promise<string | undefined>]>([
    ['a forged signature (untrusted key, trusted kid)', () => token({}, { signWith: 'untrusted' })],
    ['an unknown key id', () => token({}, { kid: 'not-a-published-key' })],
    ['an expired token (beyond the 5 min clock skew)', () => token({}, { expiresInSeconds: -600 })],
    ['a token that is not yet valid', () => token({}, { notBeforeInSeconds: 900 })],
    ['a token without exp', () => token({}, { omitExp: true })],
    ['a wrong audience', () => token({ aud: 'another-bot' })],
    ['a wrong issuer', () => token({}, { issuer: 'https://attacker.example' })],
    ['a serviceurl claim for another service', () => token({ serviceurl: 'https://smba.trafficmanager.net/emea/' })],
    ['alg none', () => token({}, { alg: 'none' })],
    ['HS256 signed with the public key', () => token({}, { alg: 'HS256' })],
    ['a key not endorsed for msteams', () => token({}, { signWith: 'unendorsed' })],
    ['a token that is not a JWT', async () => 'definitely-not-a-jwt'],
    ['no Authorization header', async () => undefined],
  ])('%s is refused with 401, never 500, and the logic does not run', async (_name, makeToken) => {
    const response = await sendActivity(botUrl, activity(connector.url), await makeToken());
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(bot.seen).toEqual([]);
    expect(connector.calls).toHaveLength(0);
    expect(logger.entries.filter((entry) => entry.level !== 'debug')).toEqual([expect.objectContaining({ level: 'warn', msg: 'bot request refused' })]);
  });

  test.each<[string, () => Promise<string>]>([
    ['an expired token', () => token({}, { expiresInSeconds: -600 })],
    ['a forged signature', () => token({}, { signWith: 'untrusted' })],
  ])("botbuilder's console lines for %s go to our logger at debug level, without the token or key material", async (_name, makeToken) => {
    consoleError.mockClear();
    const signed = await makeToken();
    const response = await sendActivity(botUrl, activity(connector.url), signed);
    expect(response.status).toBe(401);
    expect(consoleError).not.toHaveBeenCalled();
    const debug = logger.entries.filter((entry) => entry.level === 'debug');
    expect(debug).toEqual([expect.objectContaining({ msg: 'bot token validation', obj: { source: 'botframework-connector', detail: expect.any(String) } })]);
    const logged = JSON.stringify(logger.entries);
    expect(logged).not.toContain(signed);
    expect(logged).not.toContain(signed.split('.')[1]);
    expect(logged).not.toMatch(/BEGIN|MII[A-Z0-9+/]{20}|available keys/i);
  });

  test('console lines outside token validation still reach the console', async () => {
    await sendActivity(botUrl, activity(connector.url), await token({}, { expiresInSeconds: -600 }));
    consoleError.mockClear();
    console.error('something else entirely');
    expect(consoleError).toHaveBeenCalledWith('something else entirely');
  });

  test('jsonwebtoken errors that botbuilder lets through as 500s are mapped to 401', async () => {
    const response = await sendActivity(botUrl, activity(connector.url), await token({}, { signWith: 'untrusted' }));
    expect(response.status).toBe(401);
    expect(logger.entries.find((entry) => entry.level === 'warn')?.obj).toMatchObject({ reason: expect.stringMatching(/JsonWebTokenError: invalid signature/) });
  });

  test('a scheme other than Bearer is refused', async () => {
    const response = await fetch(botUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, body: JSON.stringify(activity(connector.url)) });
    expect(response.status).toBe(401);
  });

  test('a valid token for another channel is refused: only Teams may talk to the bot', async () => {
    const response = await sendActivity(botUrl, activity(connector.url, { channelId: 'webchat' }), await token());
    expect(response.status).toBe(403);
    expect(bot.seen).toEqual([]);
  });

  test.each<[string, unknown, string]>([
    ['an array', [activity('http://127.0.0.1:1/')], 'application/json'],
    ['an activity without type', { ...activity('http://127.0.0.1:1/'), type: undefined }, 'application/json'],
    ['an activity without channelId', { ...activity('http://127.0.0.1:1/'), channelId: undefined }, 'application/json'],
    ['an activity without serviceUrl', { ...activity('http://127.0.0.1:1/'), serviceUrl: undefined }, 'application/json'],
    ['a serviceUrl that is not http(s)', activity('file:///etc/passwd'), 'application/json'],
    ['text/plain', activity('http://127.0.0.1:1/'), 'text/plain'],
  ])('%s is refused with 400 before any authentication', async (_name, body, contentType) => {
    const response = await fetch(botUrl, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${await token()}` }, body: JSON.stringify(body) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_input' } });
    expect(bot.seen).toEqual([]);
  });

  test('a handler that throws gets a 500, the hook runs, and the log holds ids but no text', async () => {
    const response = await sendActivity(botUrl, activity(connector.url, { text: 'fail', value: { description: CONCERN_TEXT }, attachments: [{ contentType: 'text/plain', content: CONCERN_TEXT }] }), await token());
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: { code: 'internal', message: expect.any(String) } });
    expect(turnErrors).toEqual([expect.objectContaining({ message: 'the handler broke' })]);
    expect(logger.entries).toEqual([expect.objectContaining({ level: 'error', msg: 'bot turn failed' })]);
    expect(logger.entries[0]?.obj).toMatchObject({ activity: { type: 'message', id: '1712345678999', conversationId: CONVERSATION, tenantId: TENANT, fromId: '29:1abcUser' } });
    const logged = JSON.stringify(logger.entries);
    expect(logged).not.toContain('fail"');
    expect(logged).not.toContain(CONCERN_TEXT);
    expect(logged).not.toContain('A Teacher');
  });

  test('a turn that fails because the database is away answers 503 with Retry-After, not 500', async () => {
    const response = await sendActivity(botUrl, activity(connector.url, { text: 'database away' }), await token());
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('30');
    expect(response.body).toEqual({ error: { code: 'unavailable', message: 'DSL Desk cannot reach its database just now. Nothing was saved.' } });
    // The log names the driver's error, as the internal message carries it.
    expect(logger.entries).toEqual([expect.objectContaining({ level: 'error', msg: 'bot turn failed', obj: expect.objectContaining({ err: expect.objectContaining({ message: 'database unavailable: ECONNREFUSED' }) }) })]);
  });

  test('a proactive send uses the same credentials, and its errors reach the caller unchanged', async () => {
    const reference = { channelId: 'msteams', serviceUrl: connector.url, conversation: { id: CONVERSATION, isGroup: true, conversationType: 'channel', tenantId: TENANT, name: '' } };
    await transport.adapter.continueConversationAsync(APP_ID, reference, async (context) => {
      await context.sendActivity('a new case');
    });
    expect(connector.activities(CONVERSATION)).toEqual([expect.objectContaining({ text: 'a new case' })]);
    // continueConversationAsync makes an event with a random id, so the SDK "replies" to it.
    expect(connector.calls[0]).toMatchObject({ route: 'reply', authorization: `Bearer ${OUTBOUND_TOKEN}` });

    connector.failWith(CONVERSATION, 403);
    const failed = transport.adapter.continueConversationAsync(APP_ID, reference, async (context) => {
      await context.sendActivity('another');
    });
    await expect(failed).rejects.toMatchObject({ statusCode: 403, code: 'BotNotInConversationRoster' });
    expect(logger.entries).toEqual([]);
  });

  test('when the key endpoints fail, the bot answers 503 (Teams retries), not 401 or 500', async () => {
    const down = await startFakeBotFrameworkIdp();
    down.setBehaviour('metadata', 'fail');
    const downTransport = createBotTransport({ settings: settingsFor(down), sandbox: false, credentialsFactory: credentials, logger });
    const app = express();
    app.post('/api/messages', express.json(), (req, res) => downTransport.handle(req, res, (context) => bot.logic(context)));
    const { server: downServer, url } = await listen(app);
    try {
      const signed = await down.mintChannelToken({ aud: APP_ID, serviceurl: connector.url });
      const response = await sendActivity(`${url}/api/messages`, activity(connector.url), signed);
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ error: { code: 'unavailable' } });
      expect(bot.seen).toEqual([]);
    } finally {
      await close(downServer);
      await down.close();
    }
  });

  test('without an express body parser the transport reads the body itself', async () => {
    const app = express();
    app.post('/raw', (req, res) => transport.handle(req, res, (context) => bot.logic(context)));
    const { server: rawServer, url } = await listen(app);
    try {
      const response = await sendActivity(`${url}/raw`, activity(connector.url), await token());
      expect(response.status).toBe(200);
      expect(bot.seen).toEqual(['message']);
    } finally {
      await close(rawServer);
    }
  });

  describe('refused requests per source address', () => {
    let limitedServer: Server;
    let limitedUrl: string;

    beforeAll(async () => {
      const limited = createBotTransport({ settings: settingsFor(idp), sandbox: false, credentialsFactory: credentials, logger, refusalsPerMinute: 3 });
      const app = express();
      // As teams-surface.ts mounts it: the parser's own failures are refusals too.
      const refuseUnreadable: express.ErrorRequestHandler = (error, req, res, _next) => limited.refuseUnreadableBody(req, res, error);
      app.post('/api/messages', express.json(), (req: express.Request, res: express.Response) => limited.handle(req, res, (context) => bot.logic(context)), refuseUnreadable);
      ({ server: limitedServer, url: limitedUrl } = await listen(app));
      limitedUrl = `${limitedUrl}/api/messages`;
    });

    afterAll(async () => {
      await close(limitedServer);
    });

    test('after N refusals in a minute the address is answered 429 without checking, even with a valid token; successes do not count', async () => {
      expect((await sendActivity(limitedUrl, activity(connector.url), await token())).status).toBe(200);
      for (let i = 0; i < 3; i += 1) expect((await sendActivity(limitedUrl, activity(connector.url), 'not-a-jwt')).status).toBe(401);
      const limited = await sendActivity(limitedUrl, activity(connector.url), await token());
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(bot.seen).toEqual(['message']);
    });
  });

  test.each<[string, string, number]>([
    ['gzip', 'gzip', 400],
    ['Brotli', 'br', 400],
    ['deflate', 'deflate', 400],
    ['an unknown encoding', 'x-made-up', 415],
  ])('a body labelled %s that is not is refused with %p before any token check, never 500', async (_name, encoding, status) => {
    const app = express();
    const refuseUnreadable: express.ErrorRequestHandler = (error, req, res, _next) => transport.refuseUnreadableBody(req, res, error);
    app.post('/api/messages', express.json(), (req: express.Request, res: express.Response) => transport.handle(req, res, (context) => bot.logic(context)), refuseUnreadable);
    const { server: plainServer, url } = await listen(app);
    try {
      const response = await fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding, authorization: `Bearer ${await token()}` },
        body: Buffer.from('\u0000\u0001 this is not compressed {"type":"message"}'),
      });
      expect(response.status).toBe(status);
      expect(await response.json()).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
      expect(bot.seen).toEqual([]);
      expect(logger.entries).toEqual([expect.objectContaining({ level: 'warn', msg: 'bot request refused' })]);
    } finally {
      await close(plainServer);
    }
  });

  test('production needs an app id and a secret or a credentials factory', () => {
    expect(() => createBotTransport({ settings: settingsFor(idp, { appId: undefined }), sandbox: false, logger })).toThrow(/app id/);
    expect(() => createBotTransport({ settings: settingsFor(idp), sandbox: false, logger })).toThrow(/secret/);
    expect(() => createBotTransport({ settings: settingsFor(idp, { appPassword: 'secret', appTenantId: TENANT }), sandbox: false, logger })).not.toThrow();
  });
});

describe('bot transport (sandbox)', () => {
  let connector: FakeBotConnector;
  let tripwire: Server;
  let tripwireUrl: string;
  let tripwireHits: string[];
  let logger: ReturnType<typeof recordingLogger>;
  let bot: ReturnType<typeof createLogic>;
  let transport: BotTransport;
  let server: Server;
  let botUrl: string;

  beforeAll(async () => {
    connector = await startFakeBotConnector();
    // Every identity endpoint points here: in the sandbox nothing may ask for keys or tokens.
    tripwireHits = [];
    ({ server: tripwire, url: tripwireUrl } = await listen(
      createServer((req, res) => {
        tripwireHits.push(`${req.method} ${req.url}`);
        res.writeHead(500).end();
      }),
    ));
    logger = recordingLogger();
    transport = createBotTransport({
      settings: {
        openIdMetadataUrl: `${tripwireUrl}/metadata`,
        emulatorOpenIdMetadataUrl: `${tripwireUrl}/emulator-metadata`,
        tokenIssuer: 'https://api.botframework.com',
        loginUrl: `${tripwireUrl}/login`,
        oauthScope: 'https://api.botframework.com',
        oauthApiUrl: `${tripwireUrl}/oauth`,
        callerId: 'urn:botframework:azure',
      },
      sandbox: true,
      logger,
    });
    const app = express();
    app.post('/api/messages', express.json(), (req, res) => transport.handle(req, res, (context) => bot.logic(context)));
    ({ server, url: botUrl } = await listen(app));
    botUrl = `${botUrl}/api/messages`;
  });

  beforeEach(() => {
    bot = createLogic();
    connector.reset();
    logger.entries.length = 0;
    tripwireHits.length = 0;
  });

  afterAll(async () => {
    await close(server);
    await close(tripwire);
    await connector.close();
  });

  test('an unsigned activity from loopback runs, and the reply goes out without any token', async () => {
    const response = await sendActivity(botUrl, activity(connector.url));
    expect(response.status).toBe(200);
    expect(bot.seen).toEqual(['message']);
    expect(connector.activities(CONVERSATION)).toEqual([expect.objectContaining({ text: 'pong' })]);
    expect(connector.calls.every((c) => c.authorization === undefined)).toBe(true);
    expect(tripwireHits).toEqual([]);
  });

  test('the Agents Playground serviceUrl (localhost) is accepted', async () => {
    const localhostUrl = connector.url.replace('127.0.0.1', 'localhost');
    const response = await sendActivity(botUrl, activity(localhostUrl));
    expect(response.status).toBe(200);
    expect(connector.activities(CONVERSATION)).toHaveLength(1);
  });

  test('proactive sends in the sandbox carry no token either', async () => {
    const reference = { channelId: 'msteams', serviceUrl: connector.url, conversation: { id: CONVERSATION, isGroup: true, conversationType: 'channel', tenantId: TENANT, name: '' } };
    await transport.adapter.continueConversationAsync('', reference, async (context) => {
      await context.sendActivity('proactive');
    });
    expect(connector.calls).toEqual([expect.objectContaining({ route: 'reply', status: 200 })]);
    expect(connector.calls[0]?.authorization).toBeUndefined();
    expect(tripwireHits).toEqual([]);
  });

  test('a request carrying a token is refused: the sandbox cannot check it', async () => {
    const response = await sendActivity(botUrl, activity(connector.url), 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln');
    expect(response.status).toBe(401);
    expect(bot.seen).toEqual([]);
  });

  test('a proxied request is refused even from loopback', async () => {
    const response = await fetch(botUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' }, body: JSON.stringify(activity(connector.url)) });
    expect(response.status).toBe(401);
  });

  test('replies may only go to a local serviceUrl', async () => {
    const response = await sendActivity(botUrl, activity('https://smba.trafficmanager.net/emea/'));
    expect(response.status).toBe(401);
    expect(bot.seen).toEqual([]);
  });

  test('an activity from another machine is refused', async () => {
    const captured = { status: 0, body: undefined as unknown, headers: {} as Record<string, string> };
    const res = {
      headersSent: false,
      status(code: number) {
        captured.status = code;
        return this;
      },
      set(name: string, value: string) {
        captured.headers[name.toLowerCase()] = value;
        return this;
      },
      json(body: unknown) {
        captured.body = body;
        return this;
      },
      end() {
        return this;
      },
    };
    const req = { method: 'POST', headers: { 'content-type': 'application/json' }, body: activity(connector.url), socket: { remoteAddress: '192.168.1.20' } };
    await transport.handle(req as unknown as Request, res as unknown as Response, bot.logic);
    expect(captured.status).toBe(401);
    expect(captured.body).toMatchObject({ error: { code: 'unauthenticated' } });
    expect(bot.seen).toEqual([]);
    expect(logger.entries[0]?.obj).toMatchObject({ remoteAddress: '192.168.1.20' });
  });

  test.each([
    ['127.0.0.1', true],
    ['127.10.20.30', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.5', false],
    ['192.168.1.20', false],
    ['::ffff:192.168.1.20', false],
    ['fe80::1', false],
    ['', false],
    [undefined, false],
  ])('isLoopbackAddress(%s) is %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });

  test('the sandbox refuses app credentials', () => {
    expect(() => createBotTransport({ settings: { ...settingsForSandbox(), appId: APP_ID }, sandbox: true, logger })).toThrow(/sandbox/);
  });
});

function settingsForSandbox(): BotIdentitySettings {
  return {
    openIdMetadataUrl: 'http://127.0.0.1:1/metadata',
    emulatorOpenIdMetadataUrl: 'http://127.0.0.1:1/emulator',
    tokenIssuer: 'https://api.botframework.com',
    loginUrl: 'http://127.0.0.1:1/login',
    oauthScope: 'https://api.botframework.com',
    oauthApiUrl: 'http://127.0.0.1:1/oauth',
    callerId: 'urn:botframework:azure',
  };
}
