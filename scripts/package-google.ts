/**
 * Builds DSL Desk's Google Workspace add-on package: the Add-ons API deployment resource and the Chat app
 * configuration of the same Cloud project, filled from the settings the service reads, checked offline against
 * the schemas we keep for both resources (manifest/google/*.schema.json).
 *
 *   PUBLIC_BASE_URL=https://dsl-desk.school.example GOOGLE_PROJECT_NUMBER=123456789012 \
 *     node scripts/package-google.ts        → build/google/deployment.json and build/google/chat-app-config.json
 *   node scripts/package-google.ts --sandbox → the same for the local sandbox (loopback URL, demo project number)
 *
 * Options: --sandbox (also DSL_DESK_MODE=sandbox), --out <dir>, --avatar-url <https URL>, --help.
 * manifest/google/README.md walks a school's IT lead through using the two files.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import {
  ADDON_USER_SCOPES,
  CHAT_SLASH_COMMANDS,
  GOOGLE_GMAIL_PATH,
  addonServiceAccountEmail,
  googleChatEndpointUrl,
  googleGmailEndpointUrl,
} from '../src/domain/google-workspace.ts';

export const DEPLOYMENT_FILE = 'deployment.json';
export const CHAT_APP_CONFIG_FILE = 'chat-app-config.json';
/** The deployment id used in the gcloud commands printed for the IT lead (projects/<number>/deployments/<id>). */
export const DEPLOYMENT_ID = 'dsl-desk';
/** A project number for the sandbox only: no real project, so a sandbox package can never reach one. */
export const SANDBOX_PROJECT_NUMBER = '999999999999';
/** The sandbox service's own address when PUBLIC_BASE_URL is not set (config.ts: HOST 127.0.0.1, PORT 3978). */
export const SANDBOX_BASE_URL = 'http://127.0.0.1:3978';

export const APP_NAME = 'DSL Desk';
export const APP_DESCRIPTION = 'Report concerns to your DSL team';
/** DSL Desk's accent colour, as on the Teams app. */
const PRIMARY_COLOUR = '#4B2A85';
/** The square PNG DSL Desk serves once the add-in assets are built (npm run build:addin). */
const DEFAULT_AVATAR_PATH = '/addin/outlook/assets/icon-128.png';

const SETTINGS = {
  PUBLIC_BASE_URL: 'the https address where this school\'s DSL Desk is reachable from the internet, such as https://dsl-desk.oakfield.sch.uk',
  GOOGLE_PROJECT_NUMBER: 'the number (not the id) of the Google Cloud project that holds the Chat app and the add-on: Cloud console → project dashboard → "Project number"',
} as const;
type Setting = keyof typeof SETTINGS;

export class PackageError extends Error {
  override name = 'PackageError';
}

export interface GoogleSettings {
  /** Without a trailing slash. */
  publicBaseUrl: string;
  projectNumber: string;
  avatarUrl: string;
  sandbox: boolean;
  /** Settings that were filled with sandbox stand-ins. */
  examples: Setting[];
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

function checkUrl(name: string, value: string, sandbox: boolean, purpose: string): { url?: URL; problem?: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `${name} "${value}" is not a URL. It is ${purpose}.` };
  }
  if (url.username || url.password) return { problem: `${name} must not contain a user name or password.` };
  if (url.search || url.hash) return { problem: `${name} "${value}" must not have a query (?…) or fragment (#…).` };
  if (url.protocol === 'https:') {
    if (!sandbox && isLoopback(url.hostname)) return { problem: `${name} "${value}" is this machine's own address: Google must reach DSL Desk from the internet. It is ${purpose}.` };
    return { url };
  }
  if (url.protocol === 'http:' && sandbox && isLoopback(url.hostname)) return { url };
  if (url.protocol === 'http:') {
    return { problem: `${name} "${value}" must start with https://: Google calls add-on and Chat endpoints over HTTPS only${sandbox ? ' (plain http is accepted only for the sandbox on 127.0.0.1)' : ' (plain http only with --sandbox, on 127.0.0.1)'}.` };
  }
  return { problem: `${name} "${value}" must be an https:// address.` };
}

/**
 * Reads the settings from the environment, with the same names the service reads (src/config.ts). In the
 * sandbox, anything not given is replaced by its stand-in; otherwise both are required. All problems at once.
 */
export function resolveGoogleSettings(env: Record<string, string | undefined>, options: { sandbox: boolean; avatarUrl?: string }): GoogleSettings {
  const { sandbox } = options;
  const problems: string[] = [];
  const examples: Setting[] = [];
  const given = (name: Setting): string | undefined => {
    const value = env[name]?.trim();
    if (value) return value;
    if (sandbox) {
      examples.push(name);
      return name === 'PUBLIC_BASE_URL' ? (env.PORT?.trim() ? `http://127.0.0.1:${env.PORT.trim()}` : SANDBOX_BASE_URL) : SANDBOX_PROJECT_NUMBER;
    }
    problems.push(`${name} is not set. It is ${SETTINGS[name]}.`);
    return undefined;
  };
  const baseValue = given('PUBLIC_BASE_URL');
  const projectNumber = given('GOOGLE_PROJECT_NUMBER');
  const base = baseValue === undefined ? {} : checkUrl('PUBLIC_BASE_URL', baseValue, sandbox, SETTINGS.PUBLIC_BASE_URL);
  if (base.problem) problems.push(base.problem);
  if (projectNumber !== undefined && !/^[1-9]\d{5,19}$/.test(projectNumber)) {
    const hint = /[a-z]/i.test(projectNumber) ? ' That looks like a project id; the project number is all digits.' : '';
    problems.push(`GOOGLE_PROJECT_NUMBER "${projectNumber}" is not a project number.${hint} It is ${SETTINGS.GOOGLE_PROJECT_NUMBER}.`);
  }
  const publicBaseUrl = base.url ? base.url.href.replace(/\/+$/, '') : '';
  let avatarUrl = `${publicBaseUrl}${DEFAULT_AVATAR_PATH}`;
  if (options.avatarUrl !== undefined) {
    const avatar = checkUrl('--avatar-url', options.avatarUrl, sandbox, 'the https address of a square PNG (256×256 or larger) shown as the Chat app\'s avatar');
    if (avatar.problem) problems.push(avatar.problem);
    else avatarUrl = avatar.url!.href;
  }
  if (problems.length || !base.url || projectNumber === undefined) {
    const missing = problems.some((p) => p.includes(' is not set.'));
    const hint = missing ? '\nSet them in the environment (for example: node --env-file=.env scripts/package-google.ts). To build a sandbox package instead, add --sandbox.' : '';
    throw new PackageError(`Cannot build the Google Workspace add-on package:\n${problems.map((p) => `  - ${p}`).join('\n')}${hint}`);
  }
  return { publicBaseUrl, projectNumber, avatarUrl, sandbox, examples };
}

/** The Add-ons API `projects.deployments` resource: what Google shows and asks consent for, and how it calls us. */
export function buildDeployment(settings: GoogleSettings): Record<string, unknown> {
  // One URL for every Gmail event: the homepage, the card on an open message and every button (which say what
  // they do in their parameters), so one audience for every token Google signs for Gmail.
  const gmailUrl = googleGmailEndpointUrl(settings.publicBaseUrl);
  return {
    oauthScopes: [...ADDON_USER_SCOPES],
    addOns: {
      common: {
        name: APP_NAME,
        logoUrl: settings.avatarUrl,
        layoutProperties: { primaryColor: PRIMARY_COLOUR },
        // Gmail is the only host app with a side panel: its homepage card (what DSL Desk is, "open a message to
        // report it"). Chat is configured apart (chatAppConfig) and has no homepage.
        homepageTrigger: { runFunction: gmailUrl, enabled: true },
        // Links on DSL Desk's cards (policy pages, signing links) open without a "leaving" prompt.
        openLinkUrlPrefixes: [`${settings.publicBaseUrl}/`],
      },
      // "unconditional" is the only contextual trigger Gmail has: it fires on every message opened, and the card
      // it answers with offers the report. No homepage of its own: the common one is Gmail's.
      gmail: { contextualTriggers: [{ unconditional: {}, onTriggerFunction: gmailUrl }] },
      // The Google-signed ID token of the project's add-on service agent: what the endpoint verifies.
      httpOptions: { authorizationHeader: 'SYSTEM_ID_TOKEN' },
    },
  };
}

/**
 * The Chat app configuration (Add-ons API `projects.chatAppConfig`): the Chat side of the same add-on. It is
 * not part of the deployment resource; it is set on the Chat API configuration page or with chatAppConfig.patch.
 */
export function buildChatAppConfig(settings: GoogleSettings): Record<string, unknown> {
  return {
    name: `projects/${settings.projectNumber}/chatAppConfig`,
    displayName: APP_NAME,
    description: APP_DESCRIPTION,
    avatarUri: settings.avatarUrl,
    state: 'ACTIVE',
    // Chat's error logs can quote what the app answered; safeguarding data stays out of another log store.
    errorLoggingEnabled: false,
    interactiveFeatureConfig: {
      // The DSL space is a named space with several people in it.
      supportsMultiuserSpaces: true,
      // One URL for every event (messages, commands, clicks, dialogs): it is also the token audience we verify.
      connectionConfig: { httpEndpointConfig: { commonUrl: googleChatEndpointUrl(settings.publicBaseUrl) } },
      appCommands: CHAT_SLASH_COMMANDS.map((command) => ({
        commandType: 'SLASH_COMMAND',
        commandId: command.id,
        command: command.command,
        description: command.description,
        dialogEnabled: command.opensDialog,
      })),
    },
  };
}

type Validator = ((value: unknown) => boolean) & { errors?: ErrorObject[] | null };
const validators = new Map<string, Validator>();

function compileSchema(schemaFile: string): Validator {
  const cached = validators.get(schemaFile);
  if (cached) return cached;
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false });
  // ajv-formats is CommonJS; depending on the loader its function is the default export or nested under it.
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object) as Validator;
  validators.set(schemaFile, validate);
  return validate;
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath || '/';
  if (error.keyword === 'additionalProperties') return `${where} has an unknown property "${String(error.params.additionalProperty)}"`;
  if (error.keyword === 'enum') return `${where} must be one of ${(error.params.allowedValues as unknown[]).map(String).join(', ')}`;
  const forbidden = error.keyword === 'not' ? (error.parentSchema as { not?: { required?: string[] } } | undefined)?.not?.required : undefined;
  if (forbidden) return `${where} must not have ${forbidden.map((name) => `"${name}"`).join(' or ')} here`;
  return `${where} ${error.message ?? error.keyword}`;
}

/** Problems with a value against one of manifest/google's schemas; empty when valid. */
export function schemaProblems(schemaFile: string, value: unknown): string[] {
  const validate = compileSchema(schemaFile);
  if (validate(value)) return [];
  // The summary of an if/then/else is dropped (its branch's own errors say what is wrong), as are the
  // per-branch errors of oneOf/anyOf/not (their summary says it).
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if' && !/\/(oneOf|anyOf|not)\//.test(e.schemaPath));
  return [...new Set(errors.map(describeError))];
}

/** Every string in a JSON value that looks like an address, with its JSON pointer. */
function urlsIn(value: unknown, pointer = ''): { pointer: string; url: string }[] {
  if (typeof value === 'string') return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? [{ pointer: pointer || '/', url: value }] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => urlsIn(item, `${pointer}/${index}`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, child]) => urlsIn(child, `${pointer}/${key}`));
  return [];
}

/** Rules the schemas cannot hold: https everywhere outside the sandbox, only DSL Desk's scopes, Gmail triggers on the Gmail endpoint, unique command ids. */
export function policyProblems(deployment: unknown, chatAppConfig: unknown, options: { sandbox: boolean }): string[] {
  const problems: string[] = [];
  if (!options.sandbox) {
    for (const [label, document] of [['deployment', deployment], ['chat app config', chatAppConfig]] as const) {
      for (const { pointer, url } of urlsIn(document)) if (!url.startsWith('https://')) problems.push(`${label} ${pointer} "${url}" is not an https address`);
    }
  }
  const scopes = (deployment as { oauthScopes?: unknown })?.oauthScopes;
  if (Array.isArray(scopes)) {
    for (const scope of scopes) if (!ADDON_USER_SCOPES.includes(String(scope))) problems.push(`deployment /oauthScopes asks for "${String(scope)}", which DSL Desk does not need`);
  }
  problems.push(...gmailTriggerProblems(deployment));
  const commands = (chatAppConfig as { interactiveFeatureConfig?: { appCommands?: { commandId?: unknown }[] } })?.interactiveFeatureConfig?.appCommands ?? [];
  const seen = new Set<unknown>();
  for (const command of commands) {
    if (seen.has(command.commandId)) problems.push(`chat app config: command id ${String(command.commandId)} is used twice`);
    seen.add(command.commandId);
  }
  return problems;
}

/**
 * Every Gmail entry point must be the one Gmail endpoint: the service checks each token's audience against that
 * URL, so a trigger pointing elsewhere (or at the Chat endpoint) would be refused on every call.
 */
function gmailTriggerProblems(deployment: unknown): string[] {
  const addOns = (deployment as { addOns?: { common?: { homepageTrigger?: { runFunction?: unknown } }; gmail?: Record<string, unknown> } })?.addOns;
  const gmail = addOns?.gmail as { homepageTrigger?: { runFunction?: unknown }; contextualTriggers?: { onTriggerFunction?: unknown }[] } | undefined;
  if (!gmail) return ['deployment /addOns has no "gmail": DSL Desk\'s report button lives in Gmail'];
  const entries: { pointer: string; url: unknown }[] = [
    ...(addOns?.common?.homepageTrigger ? [{ pointer: '/addOns/common/homepageTrigger/runFunction', url: addOns.common.homepageTrigger.runFunction }] : []),
    ...(gmail.homepageTrigger ? [{ pointer: '/addOns/gmail/homepageTrigger/runFunction', url: gmail.homepageTrigger.runFunction }] : []),
    ...(gmail.contextualTriggers ?? []).map((trigger, index) => ({ pointer: `/addOns/gmail/contextualTriggers/${index}/onTriggerFunction`, url: trigger.onTriggerFunction })),
  ];
  const problems = entries.filter(({ url }) => typeof url !== 'string' || !new URL(url, 'http://x').pathname.endsWith(GOOGLE_GMAIL_PATH))
    .map(({ pointer, url }) => `deployment ${pointer} "${String(url)}" is not DSL Desk's Gmail endpoint (…${GOOGLE_GMAIL_PATH})`);
  if (!problems.length && new Set(entries.map(({ url }) => url)).size > 1) problems.push('deployment: the Gmail triggers point at different addresses; they must all be the one Gmail endpoint');
  return problems;
}

export interface PackageOptions {
  /** The project root (holds package.json and manifest/google). */
  rootDir: string;
  env: Record<string, string | undefined>;
  sandbox?: boolean;
  /** Where the files go; default <rootDir>/build/google. */
  outDir?: string;
  avatarUrl?: string;
}

export interface PackageResult {
  deploymentPath: string;
  chatAppConfigPath: string;
  settings: GoogleSettings;
  deployment: Record<string, unknown>;
  chatAppConfig: Record<string, unknown>;
}

export function schemaPath(rootDir: string, name: 'deployment' | 'chat-app-config'): string {
  return join(rootDir, 'manifest', 'google', `${name}.schema.json`);
}

/** Checks a deployment and a Chat app configuration against our schemas and rules; empty when both are valid. */
export function validatePackage(rootDir: string, deployment: unknown, chatAppConfig: unknown, options: { sandbox: boolean }): string[] {
  return [
    ...schemaProblems(schemaPath(rootDir, 'deployment'), deployment).map((p) => `deployment ${p}`),
    ...schemaProblems(schemaPath(rootDir, 'chat-app-config'), chatAppConfig).map((p) => `chat app config ${p}`),
    ...policyProblems(deployment, chatAppConfig, options),
  ];
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.partial`;
  writeFileSync(partial, `${JSON.stringify(value, null, 2)}\n`, 'utf8');
  renameSync(partial, path);
}

/** Fills, validates and writes both files. Throws PackageError with a message for people on any problem. */
export function packageGoogleAddOn(options: PackageOptions): PackageResult {
  const mode = options.env.DSL_DESK_MODE?.trim();
  if (options.sandbox && mode === 'production') throw new PackageError('--sandbox was given but DSL_DESK_MODE is production: choose one.');
  const sandbox = Boolean(options.sandbox) || mode === 'sandbox';
  const settings = resolveGoogleSettings(options.env, { sandbox, ...(options.avatarUrl === undefined ? {} : { avatarUrl: options.avatarUrl }) });
  const deployment = buildDeployment(settings);
  const chatAppConfig = buildChatAppConfig(settings);
  const problems = validatePackage(options.rootDir, deployment, chatAppConfig, { sandbox });
  if (problems.length) throw new PackageError(`The Google Workspace add-on package does not pass its checks; nothing was written:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const outDir = options.outDir ?? join(options.rootDir, 'build', 'google');
  const deploymentPath = join(outDir, DEPLOYMENT_FILE);
  const chatAppConfigPath = join(outDir, CHAT_APP_CONFIG_FILE);
  writeJson(deploymentPath, deployment);
  writeJson(chatAppConfigPath, chatAppConfig);
  return { deploymentPath, chatAppConfigPath, settings, deployment, chatAppConfig };
}

const USAGE = `Usage: node scripts/package-google.ts [--sandbox] [--out <dir>] [--avatar-url <https URL>]

Reads PUBLIC_BASE_URL and GOOGLE_PROJECT_NUMBER from the environment and writes <dir>/${DEPLOYMENT_FILE} (the
Add-ons API deployment) and <dir>/${CHAT_APP_CONFIG_FILE} (the Chat app configuration), default build/google,
after checking both against manifest/google/*.schema.json. --sandbox (or DSL_DESK_MODE=sandbox) uses the local
sandbox address and a demo project number for any not set. See manifest/google/README.md.`;

function parseArgs(args: string[]): { sandbox: boolean; outDir?: string; avatarUrl?: string; help: boolean } {
  const parsed: { sandbox: boolean; outDir?: string; avatarUrl?: string; help: boolean } = { sandbox: false, help: false };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--sandbox') parsed.sandbox = true;
    else if (arg === '--help' || arg === '-h') parsed.help = true;
    else if (arg === '--out' && args[i + 1]) parsed.outDir = resolve(args[(i += 1)]!);
    else if (arg.startsWith('--out=')) parsed.outDir = resolve(arg.slice('--out='.length));
    else if (arg === '--avatar-url' && args[i + 1]) parsed.avatarUrl = args[(i += 1)]!;
    else if (arg.startsWith('--avatar-url=')) parsed.avatarUrl = arg.slice('--avatar-url='.length);
    else throw new PackageError(`Unknown argument "${arg}".\n${USAGE}`);
  }
  return parsed;
}

function main(rootDir: string): void {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const result = packageGoogleAddOn({
    rootDir,
    env: process.env,
    sandbox: args.sandbox,
    ...(args.outDir ? { outDir: args.outDir } : {}),
    ...(args.avatarUrl ? { avatarUrl: args.avatarUrl } : {}),
  });
  const { settings } = result;
  const shown = (path: string): string => {
    const rel = relative(process.cwd(), path);
    return rel.startsWith('..') ? path : rel;
  };
  const mark = (name: Setting): string => (settings.examples.includes(name) ? '  (sandbox stand-in)' : '');
  console.log(`Google Workspace add-on deployment written: ${shown(result.deploymentPath)}`);
  console.log(`Chat app configuration written:            ${shown(result.chatAppConfigPath)}`);
  console.log(`  PUBLIC_BASE_URL        ${settings.publicBaseUrl}${mark('PUBLIC_BASE_URL')}`);
  console.log(`  GOOGLE_PROJECT_NUMBER  ${settings.projectNumber}${mark('GOOGLE_PROJECT_NUMBER')}`);
  console.log(`  Chat endpoint URL      ${googleChatEndpointUrl(settings.publicBaseUrl)}`);
  console.log(`  Gmail endpoint URL     ${googleGmailEndpointUrl(settings.publicBaseUrl)}  (homepage, open message, buttons)`);
  console.log(`  calls signed by        ${addonServiceAccountEmail(settings.projectNumber)}`);
  console.log(`  user scopes            ${ADDON_USER_SCOPES.join(', ')}`);
  if (settings.sandbox) {
    console.log('SANDBOX package: it passes validation but points at this machine. Never create it in a real Cloud project.');
  } else {
    console.log('Next steps (manifest/google/README.md):');
    console.log(`  1. gcloud workspace-add-ons deployments create ${DEPLOYMENT_ID} --deployment-file=${shown(result.deploymentPath)}`);
    console.log(`     (an update later: gcloud workspace-add-ons deployments replace ${DEPLOYMENT_ID} --deployment-file=…)`);
    console.log(`  2. gcloud workspace-add-ons get-authorization: set GOOGLE_ADDON_OAUTH_CLIENT_ID to its oauthClientId (the audience of the user's ID token in Gmail).`);
    console.log('  3. Enter the Chat app configuration on the Chat API "Configuration" page, or apply it with projects.chatAppConfig.patch.');
    console.log('  4. Install for the school: Marketplace SDK → App configuration (the deployment id) → publish privately, then Admin console → Apps → Google Workspace Marketplace apps → install for the domain.');
  }
}

const invokedAs = process.argv[1] ? resolve(process.argv[1]) : '';
if (/[\\/]scripts[\\/]package-google\.ts$/.test(invokedAs)) {
  try {
    main(resolve(dirname(invokedAs), '..'));
  } catch (error) {
    console.error(error instanceof PackageError ? error.message : error);
    process.exitCode = 1;
  }
}
