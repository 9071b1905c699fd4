import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configSchema, loadConfig, redactedSummary } from '../../../src/config.ts';

const dataDir = () => mkdtempSync(join(tmpdir(), 'dsl-desk-config-'));

describe('configuration', () => {
  test('every setting is listed in .env.example and described in the README (an operator finds each one)', () => {
    const root = join(__dirname, '../../..');
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const settings = Object.keys(configSchema.shape);
    expect(settings.length).toBeGreaterThan(20);
    expect(settings.filter((name) => !new RegExp(`^#? ?${name}=`, 'm').test(example))).toEqual([]);
    const tableRows = readme.split('\n').filter((line) => line.startsWith('| `'));
    expect(settings.filter((name) => !tableRows.some((row) => row.split('|')[1]!.includes(`\`${name}\``)))).toEqual([]);
  });

  test('with no sign-in configured it is the sandbox, on loopback, with a 0600 key file it made itself', () => {
    const dir = dataDir();
    const config = loadConfig({ DATA_DIR: dir });
    expect(config.mode).toBe('sandbox');
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(3978);
    expect(config.databaseUrl).toBe(join(dir, 'dsl-desk.sqlite'));
    expect(statSync(join(dir, 'sandbox-data-key.json')).mode & 0o777).toBe(0o600);
    // The same key is read back on the next start, so data stays readable.
    expect(loadConfig({ DATA_DIR: dir }).keyRing.keys.get('sandbox-1')).toEqual(config.keyRing.keys.get('sandbox-1'));
  });

  test('the audit chain resists a database-only attacker: sealing keys come from AUDIT_KEY or are derived from DATA_KEYS, never equal to a data key', () => {
    const dataKey = Buffer.alloc(32, 1);
    const base = { ENTRA_AUDIENCES: 'api://x', DATA_KEYS: `k1:${dataKey.toString('base64')},k0:${Buffer.alloc(32, 2).toString('base64')}`, DATA_KEY_ID: 'k1' };
    const derived = loadConfig(base).auditSeal;
    expect(derived.everyMinutes).toBe(10);
    expect(derived.keys.currentKeyId).toBe('data:k1');
    expect([...derived.keys.keys.keys()]).toEqual(['data:k1', 'data:k0']);
    expect(derived.keys.keys.get('data:k1')).toHaveLength(32);
    expect(derived.keys.keys.get('data:k1')!.equals(dataKey)).toBe(false);
    const own = loadConfig({ ...base, AUDIT_KEY: `a2:${Buffer.alloc(32, 3).toString('base64')},a1:${Buffer.alloc(32, 4).toString('base64')}`, AUDIT_SEAL_MINUTES: '5' }).auditSeal;
    expect(own.everyMinutes).toBe(5);
    expect(own.keys.currentKeyId).toBe('audit:a2');
    // Seals made before AUDIT_KEY was set stay checkable.
    expect([...own.keys.keys.keys()].sort()).toEqual(['audit:a1', 'audit:a2', 'data:k0', 'data:k1']);
    expect(() => loadConfig({ ...base, AUDIT_KEY: 'a1:c2hvcnQ=' })).toThrow(/AUDIT_KEY is invalid: key "a1" is 5 bytes/);
    expect(() => loadConfig({ ...base, AUDIT_KEY: Buffer.alloc(32).toString('base64') })).toThrow(/AUDIT_KEY is invalid/);
    expect(JSON.stringify(redactedSummary(loadConfig({ ...base, AUDIT_KEY: `a2:${Buffer.alloc(32, 3).toString('base64')}` })))).not.toContain(Buffer.alloc(32, 3).toString('base64'));
  });

  test('the sandbox refuses a non-loopback address', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), HOST: '0.0.0.0' })).toThrow(/only listens on 127\.0\.0\.1/);
  });

  test('the sandbox refuses to start with a real credential configured', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), DSL_DESK_MODE: 'sandbox', BOT_APP_PASSWORD: 'secret' })).toThrow(/BOT_APP_PASSWORD/);
  });

  test('production needs encryption keys and a sign-in method', () => {
    expect(() => loadConfig({ DSL_DESK_MODE: 'production' })).toThrow(/sign-in method/);
    expect(() => loadConfig({ ENTRA_AUDIENCES: 'api://x' })).toThrow(/DATA_KEYS/);
    expect(() => loadConfig({ ENTRA_AUDIENCES: 'api://x', DATA_KEYS: 'k1:c2hvcnQ=', DATA_KEY_ID: 'k1' })).toThrow(/32/);
    const ok = loadConfig({ ENTRA_AUDIENCES: 'api://x', DATA_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`, DATA_KEY_ID: 'k1', HOST: '0.0.0.0' });
    expect(ok.mode).toBe('production');
    expect(ok.entra.audiences).toEqual(['api://x']);
  });

  test('database timeouts have defaults a stalled database is given up on within, and the client waits longer than the server', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).database).toEqual({ connectTimeoutMs: 3000, statementTimeoutMs: 10_000, queryTimeoutMs: 12_000, idleInTransactionTimeoutMs: 30_000 });
    expect(loadConfig({ DATA_DIR: dataDir(), DATABASE_STATEMENT_TIMEOUT_MS: '4000' }).database.queryTimeoutMs).toBe(6000);
    expect(() => loadConfig({ DATA_DIR: dataDir(), DATABASE_STATEMENT_TIMEOUT_MS: '4000', DATABASE_QUERY_TIMEOUT_MS: '3000' })).toThrow(/DATABASE_QUERY_TIMEOUT_MS must be longer/);
    expect(() => loadConfig({ DATA_DIR: dataDir(), DATABASE_CONNECT_TIMEOUT_MS: '0' })).toThrow(/DATABASE_CONNECT_TIMEOUT_MS/);
  });

  test('every problem is listed with what to fix', () => {
    try {
      loadConfig({ PORT: 'abc', ENTRA_OPENID_METADATA_URL: 'not a url' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/PORT/);
      expect((error as Error).message).toMatch(/ENTRA_OPENID_METADATA_URL: must be a full URL/);
    }
  });

  test('the logged summary holds no secret', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const config = loadConfig({
      DSL_DESK_MODE: 'production',
      ENTRA_AUDIENCES: 'api://x',
      ENTRA_CLIENT_SECRET: 'super-secret-value',
      DATA_KEYS: `k1:${key}`,
      DATA_KEY_ID: 'k1',
      DATABASE_URL: 'postgres://app:hunter2@db.internal/dsl',
    });
    const summary = JSON.stringify(redactedSummary(config));
    expect(summary).not.toContain('super-secret-value');
    expect(summary).not.toContain('hunter2');
    expect(summary).not.toContain(key);
    expect(summary).toContain('postgres://***@db.internal/dsl');
  });
});
