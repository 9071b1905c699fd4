import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'dsl-desk-chat-config-'));
const CLIENT_ID = '1234567890-abc.apps.googleusercontent.com';
const KEYS = { DATA_KEYS: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', DATA_KEY_ID: 'k1' };

describe('the Google Chat app settings', () => {
  test('the project number turns the Chat app on, counts as a sign-in method and computes our service agent', () => {
    const keyFile = join(dir(), 'key.json');
    writeFileSync(keyFile, '{}');
    const config = loadConfig({ ...KEYS, DATA_DIR: dir(), GOOGLE_PROJECT_NUMBER: '123456789012', GOOGLE_SERVICE_ACCOUNT_KEY_FILE: keyFile, GOOGLE_ADDON_OAUTH_CLIENT_ID: CLIENT_ID });
    expect(config.mode).toBe('production');
    expect(config.google.chat).toEqual({
      projectNumber: '123456789012',
      addonServiceAccount: 'service-123456789012@gcp-sa-gsuiteaddons.iam.gserviceaccount.com',
      legacyTokens: false,
      legacyCertsUrl: 'https://www.googleapis.com/service_accounts/v1/metadata/x509/chat@system.gserviceaccount.com',
      writesPerMinute: 2700,
    });
    const overridden = loadConfig({ ...KEYS, DATA_DIR: dir(), GOOGLE_PROJECT_NUMBER: '123456789012', GOOGLE_SERVICE_ACCOUNT_KEY_FILE: keyFile, GOOGLE_ADDON_OAUTH_CLIENT_ID: CLIENT_ID, GOOGLE_ADDON_SERVICE_ACCOUNT: 'Other@Example.iam.gserviceaccount.com', GOOGLE_LEGACY_CHAT_TOKENS: 'true' });
    expect(overridden.google.chat).toMatchObject({ addonServiceAccount: 'other@example.iam.gserviceaccount.com', legacyTokens: true });
  });

  test('production needs the service account key file, and a file that exists', () => {
    expect(() => loadConfig({ ...KEYS, DATA_DIR: dir(), GOOGLE_PROJECT_NUMBER: '123456789012' })).toThrow(/GOOGLE_SERVICE_ACCOUNT_KEY_FILE/);
    expect(() => loadConfig({ ...KEYS, DATA_DIR: dir(), GOOGLE_PROJECT_NUMBER: '123456789012', GOOGLE_SERVICE_ACCOUNT_KEY_FILE: join(dir(), 'missing.json') })).toThrow(/does not exist/);
  });

  test('the sandbox runs the Chat app without credentials; bad values are refused with what to set', () => {
    const config = loadConfig({ DSL_DESK_MODE: 'sandbox', DATA_DIR: dir(), GOOGLE_PROJECT_NUMBER: '123456789012' });
    expect(config.google.chat?.projectNumber).toBe('123456789012');
    expect(() => loadConfig({ DSL_DESK_MODE: 'sandbox', DATA_DIR: dir(), GOOGLE_PROJECT_NUMBER: 'my-project' })).toThrow(/project number/);
    expect(() => loadConfig({ DSL_DESK_MODE: 'sandbox', DATA_DIR: dir(), GOOGLE_PROJECT_NUMBER: '123456789012', GOOGLE_CHAT_WRITES_PER_MINUTE: '5000' })).toThrow(/3,000/);
    expect(() => loadConfig({ DSL_DESK_MODE: 'sandbox', DATA_DIR: dir(), GOOGLE_LEGACY_CHAT_TOKENS: 'true' })).toThrow(/GOOGLE_PROJECT_NUMBER/);
  });
});
