import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config.ts';
import { SANDBOX_ADDON_OAUTH_CLIENT_ID } from '../../../src/domain/google-workspace.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'dsl-desk-gmail-config-'));
const KEYS = { DATA_KEYS: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', DATA_KEY_ID: 'k1' };

function keyFile(): string {
  const file = join(dir(), 'key.json');
  writeFileSync(file, '{}');
  return file;
}

describe('the Gmail add-on settings', () => {
  test('production: the project number and the OAuth client id turn the Gmail endpoint on, reading from Gmail by default', () => {
    const config = loadConfig({ ...KEYS, DATA_DIR: dir(), GOOGLE_PROJECT_NUMBER: '123456789012', GOOGLE_SERVICE_ACCOUNT_KEY_FILE: keyFile(), GOOGLE_ADDON_OAUTH_CLIENT_ID: '98765-xyz.apps.googleusercontent.com' });
    expect(config.google.gmail).toEqual({ oauthClientId: '98765-xyz.apps.googleusercontent.com', apiRootUrl: 'https://gmail.googleapis.com/' });
  });

  test('production refuses the project number without the OAuth client id, naming where to find it', () => {
    expect(() => loadConfig({ ...KEYS, DATA_DIR: dir(), GOOGLE_PROJECT_NUMBER: '123456789012', GOOGLE_SERVICE_ACCOUNT_KEY_FILE: keyFile() }))
      .toThrow(/GOOGLE_ADDON_OAUTH_CLIENT_ID.*gcloud workspace-add-ons get-authorization.*oauthClientId/s);
  });

  test('the sandbox uses its own client id; the client id alone, or a malformed one, is refused', () => {
    const config = loadConfig({ DSL_DESK_MODE: 'sandbox', DATA_DIR: dir(), GOOGLE_PROJECT_NUMBER: '123456789012', GOOGLE_GMAIL_API_ROOT_URL: 'http://127.0.0.1:9999/' });
    expect(config.google.gmail).toEqual({ oauthClientId: SANDBOX_ADDON_OAUTH_CLIENT_ID, apiRootUrl: 'http://127.0.0.1:9999/' });
    expect(loadConfig({ DSL_DESK_MODE: 'sandbox', DATA_DIR: dir() }).google.gmail).toBeUndefined();
    expect(() => loadConfig({ DSL_DESK_MODE: 'sandbox', DATA_DIR: dir(), GOOGLE_ADDON_OAUTH_CLIENT_ID: 'abc.apps.googleusercontent.com' })).toThrow(/GOOGLE_PROJECT_NUMBER/);
    expect(() => loadConfig({ DSL_DESK_MODE: 'sandbox', DATA_DIR: dir(), GOOGLE_PROJECT_NUMBER: '123456789012', GOOGLE_ADDON_OAUTH_CLIENT_ID: 'not a client id' })).toThrow(/oauthClientId/);
  });
});
