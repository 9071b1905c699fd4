import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { startService, type RunningService, type ServiceOverrides } from '../../src/wiring.ts';
import { startFakeIdentityProvider, type FakeIdentityProvider } from '../fakes/fake-identity-provider.ts';
import { createTestStorage, type Engine, type TestStorage, type TestStorageOptions } from './test-storage.ts';
import { seedSchool, type SeededSchool } from './seed.ts';

export const API_AUDIENCE = 'api://dsl-desk-test';
export const GOOGLE_AUDIENCE = 'dsl-desk-test.apps.googleusercontent.com';

export interface TestService {
  service: RunningService;
  db: TestStorage;
  idp: FakeIdentityProvider;
  url: string;
  schoolA: SeededSchool & { tenantId: string };
  schoolB: SeededSchool & { tenantId: string };
  /** A valid Entra token for a seeded person (their object id is linked on first use by email). */
  tokenFor(person: { personId: string }, school: SeededSchool & { tenantId: string }, extra?: Record<string, unknown>): Promise<string>;
  request(path: string, init?: { method?: string; token?: string; body?: unknown; rawBody?: string | Uint8Array; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * DSL Desk in production mode over real HTTP on port 0, with a real database, trusting a local fake
 * identity provider that speaks Entra's and Google's wire formats. A test that moves time passes a clock.
 */
export interface TestServiceOptions extends Pick<ServiceOverrides, 'clock'> {
  /** The service's logger (default: silent), for tests that check what is logged. */
  logger?: Logger;
  /** How the storage reaches its database (a proxy in between, its timeouts). */
  storage?: TestStorageOptions;
}

export async function startTestService(engine: Engine, env: Record<string, string> = {}, options: TestServiceOptions = {}): Promise<TestService> {
  const { logger, storage: storageOptions, ...overrides } = options;
  const idp = await startFakeIdentityProvider();
  const db = await createTestStorage(engine, undefined, storageOptions);
  const config = loadConfig({
    DSL_DESK_MODE: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_KEYS: 'unused:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    DATA_KEY_ID: 'unused',
    LOG_LEVEL: 'silent',
    ENTRA_AUDIENCES: API_AUDIENCE,
    ENTRA_OPENID_METADATA_URL: idp.entraMetadataUrl,
    GOOGLE_AUDIENCES: GOOGLE_AUDIENCE,
    GOOGLE_CERTS_URL: idp.googleCertsUrl,
    OUTBOX_POLL_MS: '60000',
    ...env,
  });
  const service = await startService(config, logger ?? createLogger('silent'), { ...overrides, storage: db.storage });
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const schoolA = { ...(await seedSchool(service.deps, 'oakfield', { entraTenantId: tenantA, googleDomain: 'oakfield.example.org' })), tenantId: tenantA };
  const schoolB = { ...(await seedSchool(service.deps, 'elmwood', { entraTenantId: tenantB })), tenantId: tenantB };
  const emailOf = async (school: SeededSchool, personId: string) => (await service.deps.storage.transaction((tx) => tx.people.get(school.school.id, personId)))!.email;

  return {
    service,
    db,
    idp,
    url: service.url,
    schoolA,
    schoolB,
    async tokenFor(person, school, extra = {}) {
      const email = await emailOf(school, person.personId);
      return idp.mintEntraToken({ tid: school.tenantId, oid: `00000000-0000-4000-8000-${person.personId.slice(-12)}`, aud: API_AUDIENCE, preferred_username: email, name: 'Test Person', ...extra });
    },
    async request(path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      let body: string | Uint8Array | undefined = init.rawBody;
      if (init.body !== undefined) {
        body = JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${service.url}${path}`, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, ...(body !== undefined ? { body } : {}) });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async close() {
      await service.close().catch(() => undefined);
      await db.cleanup().catch(() => undefined);
      await idp.close();
    },
  };
}
