import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  buildChatAppConfig,
  buildDeployment,
  CHAT_APP_CONFIG_FILE,
  DEPLOYMENT_FILE,
  PackageError,
  packageGoogleAddOn,
  resolveGoogleSettings,
  SANDBOX_PROJECT_NUMBER,
  schemaPath,
  schemaProblems,
  validatePackage,
} from '../../../scripts/package-google.ts';
import {
  ADDON_USER_SCOPES,
  CHAT_SLASH_COMMANDS,
  HELP_COMMAND_ID,
  MY_REPORTS_COMMAND_ID,
  REPORT_COMMAND_ID,
  USERINFO_EMAIL_SCOPE,
  GMAIL_ADDON_EXECUTE_SCOPE,
  GMAIL_CURRENT_MESSAGE_READ_SCOPE,
} from '../../../src/domain/google-workspace.ts';

const ROOT = resolve(__dirname, '../../..');
const SCRIPT = join(ROOT, 'scripts', 'package-google.ts');
const PRODUCTION = { PUBLIC_BASE_URL: 'https://dsl-desk.oakfield.sch.uk/', GOOGLE_PROJECT_NUMBER: '123456789012' };

function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    // Only PATH from this environment: the script must not depend on settings the test runner happens to have.
    execFile(process.execPath, [SCRIPT, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

let outDir: string;
beforeEach(() => {
  outDir = mkdtempSync(join(tmpdir(), 'dsl-desk-google-'));
});
afterEach(() => rmSync(outDir, { recursive: true, force: true }));

describe('npm run package:google (the script as a process)', () => {
  it('writes a sandbox deployment that validates with no setting at all', async () => {
    const { code, stdout, stderr } = await run(['--sandbox', '--out', outDir], {});
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('SANDBOX package');
    const deployment = readJson(join(outDir, DEPLOYMENT_FILE));
    const chatAppConfig = readJson(join(outDir, CHAT_APP_CONFIG_FILE));
    expect(validatePackage(ROOT, deployment, chatAppConfig, { sandbox: true })).toEqual([]);
    expect(chatAppConfig.name).toBe(`projects/${SANDBOX_PROJECT_NUMBER}/chatAppConfig`);
    expect(JSON.stringify(chatAppConfig)).toContain('"commonUrl":"http://127.0.0.1:3978/api/google/chat"');
    // Gmail: the homepage and the card on every opened message, both on the one Gmail endpoint.
    expect(deployment.addOns).toMatchObject({
      common: { homepageTrigger: { runFunction: 'http://127.0.0.1:3978/api/google/gmail', enabled: true } },
      gmail: { contextualTriggers: [{ unconditional: {}, onTriggerFunction: 'http://127.0.0.1:3978/api/google/gmail' }] },
    });
    expect(stdout).toContain('Gmail endpoint URL     http://127.0.0.1:3978/api/google/gmail');
  }, 90_000);

  it('writes a production deployment with https everywhere and only the listed scopes', async () => {
    const { code, stdout, stderr } = await run(['--out', outDir], PRODUCTION);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('service-123456789012@gcp-sa-gsuiteaddons.iam.gserviceaccount.com');
    const deployment = readJson(join(outDir, DEPLOYMENT_FILE));
    const chatAppConfig = readJson(join(outDir, CHAT_APP_CONFIG_FILE));
    expect(validatePackage(ROOT, deployment, chatAppConfig, { sandbox: false })).toEqual([]);
    expect(deployment.oauthScopes).toEqual([USERINFO_EMAIL_SCOPE, GMAIL_ADDON_EXECUTE_SCOPE, GMAIL_CURRENT_MESSAGE_READ_SCOPE]);
    const urls = (JSON.stringify([deployment, chatAppConfig]).match(/[a-z]+:\/\/[^"]+/g) ?? []).filter((url) => !url.startsWith('https://www.googleapis.com/auth/'));
    expect(urls.length).toBeGreaterThan(3);
    for (const url of urls) expect(url).toMatch(/^https:\/\/dsl-desk\.oakfield\.sch\.uk\//);
    const interactive = chatAppConfig.interactiveFeatureConfig as { connectionConfig: unknown; appCommands: { commandId: number; command: string }[] };
    expect(interactive.connectionConfig).toEqual({ httpEndpointConfig: { commonUrl: 'https://dsl-desk.oakfield.sch.uk/api/google/chat' } });
    expect(interactive.appCommands.map((c) => [c.commandId, c.command])).toEqual([[1, '/report'], [2, '/myreports'], [3, '/help']]);
    const addOns = deployment.addOns as { common: { homepageTrigger: { runFunction: string } }; gmail: { contextualTriggers: { onTriggerFunction: string }[] } };
    expect(addOns.common.homepageTrigger.runFunction).toBe('https://dsl-desk.oakfield.sch.uk/api/google/gmail');
    expect(addOns.gmail.contextualTriggers.map((t) => t.onTriggerFunction)).toEqual(['https://dsl-desk.oakfield.sch.uk/api/google/gmail']);
    // The printed next steps: create the deployment, set the OAuth client id, install for the domain.
    expect(stdout).toContain('gcloud workspace-add-ons deployments create dsl-desk');
    expect(stdout).toContain('GOOGLE_ADDON_OAUTH_CLIENT_ID');
    expect(stdout).toContain('install for the domain');
  }, 90_000);

  it('refuses an http address without --sandbox, says why, and writes nothing', async () => {
    const { code, stderr } = await run(['--out', outDir], { ...PRODUCTION, PUBLIC_BASE_URL: 'http://dsl-desk.oakfield.sch.uk' });
    expect(code).toBe(1);
    expect(stderr).toContain('PUBLIC_BASE_URL "http://dsl-desk.oakfield.sch.uk" must start with https://');
    expect(existsSync(join(outDir, DEPLOYMENT_FILE))).toBe(false);
  }, 90_000);

  it('lists every missing setting and the way out', async () => {
    const { code, stderr } = await run(['--out', outDir], {});
    expect(code).toBe(1);
    expect(stderr).toContain('PUBLIC_BASE_URL is not set');
    expect(stderr).toContain('GOOGLE_PROJECT_NUMBER is not set');
    expect(stderr).toContain('add --sandbox');
  }, 90_000);
});

describe('settings', () => {
  it('refuses http outside loopback even in the sandbox, and loopback in production', () => {
    expect(() => resolveGoogleSettings({ PUBLIC_BASE_URL: 'http://dsl.example' }, { sandbox: true })).toThrow(/must start with https:\/\//);
    expect(() => resolveGoogleSettings({ ...PRODUCTION, PUBLIC_BASE_URL: 'https://127.0.0.1:8443' }, { sandbox: false })).toThrow(/Google must reach DSL Desk from the internet/);
    expect(resolveGoogleSettings({ PORT: '4010' }, { sandbox: true }).publicBaseUrl).toBe('http://127.0.0.1:4010');
  });

  it('tells a project id from a project number', () => {
    expect(() => resolveGoogleSettings({ ...PRODUCTION, GOOGLE_PROJECT_NUMBER: 'oakfield-dsl-desk' }, { sandbox: false })).toThrow(/looks like a project id/);
  });

  it('refuses --sandbox together with DSL_DESK_MODE=production', () => {
    expect(() => packageGoogleAddOn({ rootDir: ROOT, env: { ...PRODUCTION, DSL_DESK_MODE: 'production' }, sandbox: true, outDir })).toThrow(PackageError);
  });
});

describe('the deployment and Chat app configuration schemas', () => {
  const settings = resolveGoogleSettings(PRODUCTION, { sandbox: false });

  it('accept what the script builds', () => {
    expect(schemaProblems(schemaPath(ROOT, 'deployment'), buildDeployment(settings))).toEqual([]);
    expect(schemaProblems(schemaPath(ROOT, 'chat-app-config'), buildChatAppConfig(settings))).toEqual([]);
  });

  it('fail a deployment with a typo, a host app DSL Desk does not use, or a bad header option', () => {
    const deployment = buildDeployment(settings) as { addOns: Record<string, Record<string, unknown>> };
    deployment.addOns.common!.logoURL = deployment.addOns.common!.logoUrl;
    delete deployment.addOns.common!.logoUrl;
    deployment.addOns.drive = {};
    deployment.addOns.httpOptions!.authorizationHeader = 'ID_TOKEN';
    expect(schemaProblems(schemaPath(ROOT, 'deployment'), deployment)).toEqual(expect.arrayContaining([
      '/addOns/common has an unknown property "logoURL"',
      "/addOns/common must have required property 'logoUrl'",
      '/addOns has an unknown property "drive"',
      '/addOns/httpOptions/authorizationHeader must be one of HTTP_AUTHORIZATION_HEADER_UNSPECIFIED, SYSTEM_ID_TOKEN, USER_ID_TOKEN, NONE',
    ]));
  });

  it('fail a Gmail contextual trigger of another kind, an empty trigger list and the deprecated authorization check', () => {
    const deployment = buildDeployment(settings) as { addOns: { gmail: Record<string, unknown> } };
    const gmail = deployment.addOns.gmail;
    gmail.authorizationCheckFunction = 'check';
    expect(schemaProblems(schemaPath(ROOT, 'deployment'), deployment)).toEqual(['/addOns/gmail has an unknown property "authorizationCheckFunction"']);
    delete gmail.authorizationCheckFunction;
    gmail.contextualTriggers = [{ onTriggerFunction: 'https://dsl-desk.oakfield.sch.uk/api/google/gmail', conditional: {} }];
    expect(schemaProblems(schemaPath(ROOT, 'deployment'), deployment)).toEqual(expect.arrayContaining([
      '/addOns/gmail/contextualTriggers/0 has an unknown property "conditional"',
      "/addOns/gmail/contextualTriggers/0 must have required property 'unconditional'",
    ]));
    gmail.contextualTriggers = [];
    expect(schemaProblems(schemaPath(ROOT, 'deployment'), deployment)).toEqual(['/addOns/gmail/contextualTriggers must NOT have fewer than 1 items']);
  });

  it('refuse Gmail triggers that are not the one Gmail endpoint, and a deployment without Gmail', () => {
    const config = buildChatAppConfig(settings);
    const deployment = buildDeployment(settings) as { addOns: { common: { homepageTrigger: { runFunction: string } }; gmail?: { contextualTriggers: { onTriggerFunction: string }[] } } };
    deployment.addOns.gmail!.contextualTriggers[0]!.onTriggerFunction = 'https://dsl-desk.oakfield.sch.uk/api/google/chat';
    expect(validatePackage(ROOT, deployment, config, { sandbox: false })).toEqual([
      'deployment /addOns/gmail/contextualTriggers/0/onTriggerFunction "https://dsl-desk.oakfield.sch.uk/api/google/chat" is not DSL Desk\'s Gmail endpoint (…/api/google/gmail)',
    ]);
    deployment.addOns.gmail!.contextualTriggers[0]!.onTriggerFunction = 'https://elsewhere.oakfield.sch.uk/api/google/gmail';
    expect(validatePackage(ROOT, deployment, config, { sandbox: false })).toEqual(['deployment: the Gmail triggers point at different addresses; they must all be the one Gmail endpoint']);
    delete deployment.addOns.gmail;
    expect(validatePackage(ROOT, deployment, config, { sandbox: false })).toEqual(['deployment /addOns has no "gmail": DSL Desk\'s report button lives in Gmail']);
  });

  it('fail an endpoint on plain http outside loopback', () => {
    const config = buildChatAppConfig(settings) as { interactiveFeatureConfig: { connectionConfig: { httpEndpointConfig: { commonUrl: string } } } };
    config.interactiveFeatureConfig.connectionConfig.httpEndpointConfig.commonUrl = 'http://dsl-desk.oakfield.sch.uk/api/google/chat';
    expect(schemaProblems(schemaPath(ROOT, 'chat-app-config'), config).join('\n')).toContain('/interactiveFeatureConfig/connectionConfig/httpEndpointConfig/commonUrl must match pattern');
  });

  it('fail a slash command without its slash, a quick command with one, and a description over 40 characters', () => {
    const config = buildChatAppConfig(settings) as { description: string; interactiveFeatureConfig: { appCommands: Record<string, unknown>[] } };
    config.description = 'x'.repeat(41);
    config.interactiveFeatureConfig.appCommands[0]!.command = 'report';
    config.interactiveFeatureConfig.appCommands.push({ commandType: 'QUICK_COMMAND', commandId: 4, command: '/quick', description: 'q' });
    const problems = schemaProblems(schemaPath(ROOT, 'chat-app-config'), config);
    expect(problems).toEqual(expect.arrayContaining([
      '/description must NOT have more than 40 characters',
      '/interactiveFeatureConfig/appCommands/0/command must match pattern "^/[^\\s/]+$"',
      "/interactiveFeatureConfig/appCommands/3 must have required property 'displayName'",
      '/interactiveFeatureConfig/appCommands/3 must not have "command" here',
    ]));
  });

  it('refuse a scope DSL Desk does not need, http in production and a command id used twice', () => {
    const deployment = buildDeployment(settings) as { oauthScopes: string[] };
    deployment.oauthScopes.push('https://www.googleapis.com/auth/gmail.readonly');
    const config = buildChatAppConfig({ ...settings, avatarUrl: 'http://127.0.0.1:3978/a.png' }) as { interactiveFeatureConfig: { appCommands: { commandId: number }[] } };
    config.interactiveFeatureConfig.appCommands[1]!.commandId = 1;
    expect(validatePackage(ROOT, deployment, config, { sandbox: false })).toEqual([
      'chat app config /avatarUri "http://127.0.0.1:3978/a.png" is not an https address',
      'deployment /oauthScopes asks for "https://www.googleapis.com/auth/gmail.readonly", which DSL Desk does not need',
      'chat app config: command id 1 is used twice',
    ]);
  });
});

describe('the command ids the app and the package share', () => {
  it('are fixed: Chat sends these numbers, renumbering would run the wrong action', () => {
    expect([REPORT_COMMAND_ID, MY_REPORTS_COMMAND_ID, HELP_COMMAND_ID]).toEqual([1, 2, 3]);
    expect(CHAT_SLASH_COMMANDS.map((c) => c.id)).toEqual([1, 2, 3]);
    expect(ADDON_USER_SCOPES).toEqual([USERINFO_EMAIL_SCOPE, GMAIL_ADDON_EXECUTE_SCOPE, GMAIL_CURRENT_MESSAGE_READ_SCOPE]);
    // The add-on never asks for a restricted Gmail scope: only the open message, read-only.
    expect(ADDON_USER_SCOPES.filter((scope) => /gmail\.(modify|readonly|send|metadata)$|mail\.google\.com/.test(scope))).toEqual([]);
  });
});
