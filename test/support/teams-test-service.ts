import { randomUUID } from 'node:crypto';
import { ServiceClientCredentialsFactory, type ServiceClientCredentials } from 'botframework-connector';
import { resolveActor } from '../../src/app/people/resolve-actor.ts';
import { addTrust } from '../../src/app/organisations/add-trust.ts';
import { OPERATOR } from '../../src/app/deps.ts';
import { addMembershipRule } from '../../src/app/organisations/manage-membership-rules.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import type { Clock } from '../../src/domain/ports.ts';
import { startService, type RunningService } from '../../src/wiring.ts';
import { sendActivity, startFakeBotConnector, type FakeBotConnector, type FakeBotConnectorOptions } from '../fakes/fake-bot-connector.ts';
import { startFakeBotFrameworkIdp, type BotMintOptions, type FakeBotFrameworkIdp } from '../fakes/fake-bot-framework-idp.ts';
import { seedSchool, type SeededSchool } from './seed.ts';
import { createTestStorage, type Engine, type TestStorage } from './test-storage.ts';

export const BOT_APP_ID = '7c2d4e6f-0000-4000-8000-00000000b0b0';
export const OUTBOUND_TOKEN = 'outbound-token-for-tests';

/** Outbound tokens for tests: MSAL refuses the http authority a local fake would need, so the wiring takes this instead. */
export class FixedBearerCredentialsFactory extends ServiceClientCredentialsFactory {
  async isValidAppId(appId: string): Promise<boolean> {
    return appId === BOT_APP_ID;
  }
  async isAuthenticationDisabled(): Promise<boolean> {
    return false;
  }
  async createCredentials(): Promise<ServiceClientCredentials> {
    return {
      async signRequest(request) {
        request.headers.set('authorization', `Bearer ${OUTBOUND_TOKEN}`);
        return request;
      },
    };
  }
}

/** A clock the test can move forward (to pass the urgent-acknowledgement time without waiting). */
export class MovableClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

export type PersonKey = keyof Omit<SeededSchool, 'school'>;

/** Marks a person of the second school in a PersonKey (see ofSecond). */
const SECOND = 'second:';

export interface TeamsTestService {
  service: RunningService;
  /** The configuration the service was started with (its bot settings, to build another surface on the same identity provider). */
  config: Config;
  db: TestStorage;
  idp: FakeBotFrameworkIdp;
  connector: FakeBotConnector;
  clock: MovableClock;
  school: SeededSchool;
  tenantId: string;
  /**
   * With `secondSchool`: a second school of the same trust on the same tenant (the trust "forest" owns the
   * tenant; membership rules by email domain put each seeded person in their own school).
   */
  school2?: SeededSchool;
  /** A person of the second school, to pass where a PersonKey is taken (send, press). */
  ofSecond(person: PersonKey): PersonKey;
  /** Someone the test signed in itself (by Entra object id), to send and press as. */
  addSender(name: string, objectId: string): PersonKey;
  /** The Entra object id and Teams id of a seeded person (linked to them before the test starts). */
  objectIdOf(person: PersonKey): string;
  teamsIdOf(person: PersonKey): string;
  personalConversationOf(person: PersonKey): string;
  channelConversation: string;
  /** Posts an activity from this person as Teams would, with a valid channel token unless told otherwise. */
  send(from: PersonKey, activity: Record<string, unknown>, token?: { options?: BotMintOptions; claims?: Record<string, unknown>; none?: boolean }): Promise<{ status: number; body: any }>;
  /** A card button pressed (Action.Execute) by this person in a conversation. */
  press(from: PersonKey, conversation: 'personal' | 'channel', verb: string, data: Record<string, unknown>): Promise<{ status: number; body: any }>;
  /** Sends later activities (send, press) to another bot endpoint on 127.0.0.1 instead of the service's own. */
  routeActivitiesTo(botEndpoint: string): void;
  /** Lets the outbox dispatcher run until `done` holds, or fails after `timeoutMs`. */
  waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/**
 * DSL Desk in production mode with the Teams bot: the real Bot Framework token validation against a
 * local fake identity provider, and replies going to a local fake Bot Connector that enforces Teams' limits.
 */
export async function startTeamsTestService(engine: Engine, options: { connector?: FakeBotConnectorOptions; env?: Record<string, string>; secondSchool?: string } = {}): Promise<TeamsTestService> {
  const idp = await startFakeBotFrameworkIdp();
  const connector = await startFakeBotConnector(options.connector ?? {});
  const db = await createTestStorage(engine);
  const clock = new MovableClock();
  const config = loadConfig({
    DSL_DESK_MODE: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_KEYS: 'unused:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    DATA_KEY_ID: 'unused',
    LOG_LEVEL: 'silent',
    BOT_APP_ID,
    BOT_APP_PASSWORD: 'not-used-the-test-factory-signs',
    BOT_OPENID_METADATA_URL: idp.metadataUrl,
    BOT_EMULATOR_OPENID_METADATA_URL: idp.metadataUrl,
    BOT_TOKEN_ISSUER: idp.issuer,
    OUTBOX_POLL_MS: '50',
    ...options.env,
  });
  const service = await startService(config, createLogger('silent'), { storage: db.storage, clock, botCredentialsFactory: new FixedBearerCredentialsFactory() });
  const tenantId = randomUUID();
  let school2: SeededSchool | undefined;
  let school: SeededSchool;
  if (options.secondSchool) {
    await addTrust(service.deps, { name: 'Forest Learning Trust', slug: 'forest', entraTenantIds: [tenantId] });
    school = await seedSchool(service.deps, 'oakfield', { organisationSlug: 'forest' });
    school2 = await seedSchool(service.deps, options.secondSchool, { organisationSlug: 'forest' });
    for (const slug of ['oakfield', options.secondSchool]) await addMembershipRule(service.deps, { actor: OPERATOR, trust: 'forest', when: `domain=${slug}.example.org`, school: slug });
  } else {
    school = await seedSchool(service.deps, 'oakfield', { entraTenantId: tenantId });
  }
  const objectIds = new Map<PersonKey, string>();
  const seeded: [SeededSchool, (key: PersonKey) => PersonKey][] = [[school, (key) => key], ...(school2 ? [[school2, (key: PersonKey) => `${SECOND}${key}` as PersonKey] as [SeededSchool, (key: PersonKey) => PersonKey]] : [])];
  for (const [seededSchool, keyOf] of seeded) {
    for (const key of Object.keys(seededSchool).filter((k) => k !== 'school') as PersonKey[]) {
      const objectId = randomUUID();
      objectIds.set(keyOf(key), objectId);
      const email = (await service.deps.storage.read((r) => r.people.get(seededSchool.school.id, seededSchool[key].personId)))!.email;
      await resolveActor(service.deps, { provider: 'entra', tenantId, subject: objectId, email, emailVerified: true });
    }
  }
  const channelConversation = '19:dsl-cases@thread.tacv2';
  const objectIdOf = (person: PersonKey) => objectIds.get(person)!;
  const teamsIdOf = (person: PersonKey) => `29:${person.replace(SECOND, 'second-')}-${objectIdOf(person).slice(0, 8)}`;
  const personalConversationOf = (person: PersonKey) => `a:personal-${person.replace(SECOND, 'second-')}`;

  let botEndpoint = `${service.url}/api/messages`;
  const send: TeamsTestService['send'] = async (from, activity, token = {}) => {
    const conversation = (activity.conversation as { id?: string } | undefined)?.id ?? personalConversationOf(from);
    const full = {
      type: 'message',
      id: randomUUID(),
      channelId: 'msteams',
      serviceUrl: connector.url,
      timestamp: new Date().toISOString(),
      from: { id: teamsIdOf(from), name: `Person ${from}`, aadObjectId: objectIdOf(from) },
      recipient: { id: `28:${BOT_APP_ID}`, name: 'DSL Desk' },
      conversation: { id: conversation, conversationType: 'personal', tenantId },
      channelData: { tenant: { id: tenantId } },
      ...activity,
    };
    const jwt = token.none ? undefined : await idp.mintChannelToken({ aud: BOT_APP_ID, serviceurl: connector.url, ...token.claims }, token.options);
    const answer = await sendActivity(botEndpoint, full, jwt);
    return { status: answer.status, body: answer.body as any };
  };

  return {
    service,
    config,
    db,
    idp,
    connector,
    clock,
    school,
    ...(school2 ? { school2 } : {}),
    ofSecond: (person) => `${SECOND}${person}` as PersonKey,
    addSender(name, objectId) {
      objectIds.set(name as PersonKey, objectId);
      return name as PersonKey;
    },
    tenantId,
    objectIdOf,
    teamsIdOf,
    personalConversationOf,
    channelConversation,
    send,
    routeActivitiesTo(endpoint) {
      botEndpoint = endpoint;
    },
    press(from, conversation, verb, data) {
      const inChannel = conversation === 'channel';
      return send(from, {
        type: 'invoke',
        name: 'adaptiveCard/action',
        value: { action: { type: 'Action.Execute', verb, data } },
        ...(inChannel
          ? {
              conversation: { id: `${channelConversation};messageid=1`, conversationType: 'channel', isGroup: true, tenantId },
              channelData: { tenant: { id: tenantId }, team: { id: '19:team@thread.tacv2' }, channel: { id: channelConversation } },
            }
          : {}),
      });
    },
    async waitFor(probe, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value) return value as never;
        if (Date.now() > deadline) throw new Error('timed out waiting for the outbox to deliver');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      await service.close().catch(() => undefined);
      await db.cleanup().catch(() => undefined);
      await connector.close();
      await idp.close();
    },
  };
}
