import { writeUnusedServiceAccountKey } from './google-service-account.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { addonServiceAccountEmail, googleChatEndpointUrl } from '../../src/domain/google-workspace.ts';
import type { Clock } from '../../src/domain/ports.ts';
import { createLogger } from '../../src/logger.ts';
import { startService, type RunningService, type ServiceOverrides } from '../../src/wiring.ts';
import { startFakeIdentityProvider, type FakeIdentityProvider, type MintOptions } from '../fakes/fake-identity-provider.ts';
import { InMemoryChatApi } from '../fakes/in-memory-chat-api.ts';
import { seedSchool, type SeededSchool } from './seed.ts';
import { createTestStorage, type Engine, type TestStorage } from './test-storage.ts';

export const GOOGLE_PROJECT_NUMBER = '424242424242';
export const PUBLIC_URL = 'https://dsldesk.oakfield.example.org';
export const CHAT_ENDPOINT = googleChatEndpointUrl(PUBLIC_URL);
export const SERVICE_AGENT = addonServiceAccountEmail(GOOGLE_PROJECT_NUMBER);
export const DSL_SPACE = 'spaces/AAAAdslcases';
/** The add-on deployment's OAuth client id: the audience of Gmail's user ID tokens. */
export const ADDON_OAUTH_CLIENT_ID = '424242424242-dsldesk.apps.googleusercontent.com';

export type ChatPersonKey = keyof Omit<SeededSchool, 'school'>;

/** A clock the test can move forward. */
export class MovableClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

export interface ChatEventOptions {
  space?: { name: string; spaceType: 'DIRECT_MESSAGE' | 'SPACE' };
  /** A token other than the good one (or none at all). */
  token?: string | null;
}

export interface GoogleChatTestService {
  service: RunningService;
  db: TestStorage;
  idp: FakeIdentityProvider;
  chat: InMemoryChatApi;
  clock: MovableClock;
  school: SeededSchool;
  /** The person's Chat user name (`users/<id>`), the same number as their Google account id. */
  userOf(person: ChatPersonKey): string;
  emailOf(person: ChatPersonKey): string;
  dmOf(person: ChatPersonKey): { name: string; spaceType: 'DIRECT_MESSAGE' };
  dslSpace: { name: string; spaceType: 'SPACE'; displayName: string };
  /** A valid token as Google signs calls to the endpoint (our endpoint URL, our service agent). */
  goodToken(options?: MintOptions): Promise<string>;
  /** Posts a Chat event (add-on format) from this person, signed as Google would. */
  send(from: ChatPersonKey | { name: string; email: string; displayName?: string }, chat: Record<string, unknown>, common?: Record<string, unknown>, options?: ChatEventOptions): Promise<{ status: number; body: any }>;
  /** A message typed by the person in their DM with the app (default) or a space. */
  message(from: ChatPersonKey, text: string, options?: ChatEventOptions): Promise<{ status: number; body: any }>;
  /** A button pressed: `action` and parameters as on the card; a dialog event when `dialog` says which. */
  click(
    from: ChatPersonKey,
    action: string,
    parameters?: Record<string, string>,
    options?: ChatEventOptions & { messageName?: string; dialog?: 'REQUEST_DIALOG' | 'SUBMIT_DIALOG'; formInputs?: Record<string, string[]> },
  ): Promise<{ status: number; body: any }>;
  waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/**
 * DSL Desk in production mode with the Google Chat app: the real request verification against a local fake of
 * Google's certificates, and the app's Chat API calls going to an in-memory Chat.
 */
export async function startGoogleChatTestService(engine: Engine, options: { env?: Record<string, string>; overrides?: ServiceOverrides } = {}): Promise<GoogleChatTestService> {
  const idp = await startFakeIdentityProvider();
  const db = await createTestStorage(engine);
  const chat = new InMemoryChatApi();
  const clock = new MovableClock();
  const keyDir = mkdtempSync(join(tmpdir(), 'dsl-desk-chat-key-'));
  const keyFile = join(keyDir, 'service-account.json');
  writeUnusedServiceAccountKey(keyFile);
  const config = loadConfig({
    DSL_DESK_MODE: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_KEYS: 'unused:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    DATA_KEY_ID: 'unused',
    LOG_LEVEL: 'silent',
    PUBLIC_BASE_URL: PUBLIC_URL,
    GOOGLE_PROJECT_NUMBER,
    GOOGLE_ADDON_OAUTH_CLIENT_ID: ADDON_OAUTH_CLIENT_ID,
    GOOGLE_SERVICE_ACCOUNT_KEY_FILE: keyFile,
    GOOGLE_CERTS_URL: idp.googleCertsUrl,
    GOOGLE_CHAT_LEGACY_CERTS_URL: idp.legacyChatCertsUrl,
    OUTBOX_POLL_MS: '50',
    ...options.env,
  });
  const service = await startService(config, createLogger('silent'), { storage: db.storage, clock, googleChatApi: chat, ...options.overrides });
  const school = await seedSchool(service.deps, 'oakfield', { googleDomain: 'oakfield.example.org' });
  const people = Object.keys(school).filter((key) => key !== 'school') as ChatPersonKey[];
  const ids = new Map(people.map((key, index) => [key, `1${String(index + 1).padStart(20, '0')}`]));
  const userOf = (person: ChatPersonKey) => `users/${ids.get(person)}`;
  const emailOf = (person: ChatPersonKey) => `${person}@oakfield.example.org`;
  const dmOf = (person: ChatPersonKey) => ({ name: `spaces/dm-${person}`, spaceType: 'DIRECT_MESSAGE' as const });
  const dslSpace = { name: DSL_SPACE, spaceType: 'SPACE' as const, displayName: 'DSL cases' };
  const goodToken = (mint: MintOptions = {}) => idp.mintGoogleToken({ sub: '100200300400500600700', aud: CHAT_ENDPOINT, email: SERVICE_AGENT }, mint);

  const send: GoogleChatTestService['send'] = async (from, chatPart, common = {}, eventOptions = {}) => {
    const user = typeof from === 'string' ? { name: userOf(from), email: emailOf(from), displayName: `Person ${from}`, type: 'HUMAN' } : { type: 'HUMAN', ...from };
    const body = {
      commonEventObject: { hostApp: 'CHAT', platform: 'WEB', userLocale: 'en-GB', timeZone: { id: 'Europe/London', offset: 0 }, ...common },
      chat: { user, eventTime: new Date().toISOString(), ...chatPart },
    };
    const token = eventOptions.token === undefined ? await goodToken() : eventOptions.token;
    const response = await fetch(`${service.url}/api/google/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed as any };
  };

  return {
    service,
    db,
    idp,
    chat,
    clock,
    school,
    userOf,
    emailOf,
    dmOf,
    dslSpace,
    goodToken,
    send,
    message(from, text, eventOptions = {}) {
      const space = eventOptions.space ?? dmOf(from);
      const inSpace = space.spaceType === 'SPACE';
      return send(
        from,
        { messagePayload: { space, message: { name: `${space.name}/messages/${Math.random().toString(36).slice(2)}`, text: inSpace ? `@DSL Desk ${text}` : text, ...(inSpace ? { argumentText: ` ${text}` } : {}), space } } },
        {},
        eventOptions,
      );
    },
    click(from, action, parameters = {}, eventOptions = {}) {
      const space = eventOptions.space ?? dmOf(from);
      const formInputs = eventOptions.formInputs ? Object.fromEntries(Object.entries(eventOptions.formInputs).map(([key, value]) => [key, { stringInputs: { value } }])) : undefined;
      return send(
        from,
        {
          buttonClickedPayload: {
            space,
            ...(eventOptions.messageName ? { message: { name: eventOptions.messageName, space } } : {}),
            ...(eventOptions.dialog ? { isDialogEvent: true, dialogEventType: eventOptions.dialog } : {}),
          },
        },
        { parameters: { action, ...parameters }, invokedFunction: CHAT_ENDPOINT, ...(formInputs ? { formInputs } : {}) },
        eventOptions,
      );
    },
    async waitFor(probe, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value) return value as never;
        if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      await service.close().catch(() => undefined);
      await db.cleanup().catch(() => undefined);
      await idp.close();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}
