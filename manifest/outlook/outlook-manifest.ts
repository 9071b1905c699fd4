/**
 * The Outlook add-in's XML manifest: fill its ${{…}} placeholders and check it offline.
 *
 * No npm package ships Microsoft's Office add-in XSD files (office-addin-manifest and office-addin-validator
 * send the manifest to an online validation service instead), so the check here has three layers, none of
 * which needs the network:
 *
 *  1. structure: a rule set written for DSL Desk from the published schema documentation ([MS-OWEMXML] and the
 *     add-in manifest reference): element order and counts for every element this manifest may use, allowed
 *     xsi:type values, text formats and lengths, resource ids (≤ 32 characters, unique, each reference
 *     resolved in the right kind of resource), the Mailbox 1.14 requirement of the spam-reporting extension
 *     point and its runtime. It is NOT the XSD itself, and says so in every message.
 *  2. Office's own manifest reader: Microsoft's office-addin-manifest-converter embeds the manifest parser
 *     Office uses (OSF) and converts the manifest to the unified JSON manifest; a parse error, an unresolved
 *     resource or a truncated string fails the check.
 *  3. the published schema: the converted unified manifest is validated against Microsoft's official JSON
 *     schema for manifest version 1.20 (the first with spam reporting), as bundled by @microsoft/app-manifest.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// ---------------------------------------------------------------------------------------------------------
// Placeholders
// ---------------------------------------------------------------------------------------------------------

export const SETTINGS = {
  OUTLOOK_ADDIN_ID: 'the add-in id: a GUID you generate once for this school\'s Outlook add-in and keep for every later version (node -e "console.log(crypto.randomUUID())")',
  PUBLIC_BASE_URL: 'the https address where this school\'s DSL Desk is reachable, such as https://dsl-desk.oakfield.sch.uk (it serves the add-in under /addin/outlook/)',
  ENTRA_CLIENT_ID: 'the Microsoft Entra application (client) id the add-in signs in with: the same ENTRA_CLIENT_ID the service runs with, whose "access_as_user" scope DSL Desk accepts',
} as const;
export type ManifestSetting = keyof typeof SETTINGS;

export interface ManifestValues {
  OUTLOOK_ADDIN_ID: string;
  /** Without a trailing slash. */
  PUBLIC_BASE_URL: string;
  /** Host (with a port other than 443) of PUBLIC_BASE_URL; derived. */
  PUBLIC_HOSTNAME: string;
  ENTRA_CLIENT_ID: string;
}

/** Example values for a sandbox manifest: fixed ids and the reserved .example domain, so it can never point at a real service. */
export const SANDBOX_MANIFEST_VALUES: Readonly<Record<ManifestSetting, string>> = {
  OUTLOOK_ADDIN_ID: '00000000-0000-4000-8000-000000000003',
  PUBLIC_BASE_URL: 'https://dsl-desk.example',
  ENTRA_CLIENT_ID: '00000000-0000-4000-8000-000000000002',
};

export class ManifestError extends Error {
  override name = 'ManifestError';
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PLACEHOLDER = /\$\{\{([^}]*)\}\}/g;

/** The manifest template, manifest/outlook/manifest.xml. */
export function templatePath(root: string): string {
  return join(root, 'manifest', 'outlook', 'manifest.xml');
}

/** The filled sandbox manifest kept beside the template for tests and for a look: manifest/outlook/manifest.sandbox.xml. */
export function sandboxManifestPath(root: string): string {
  return join(root, 'manifest', 'outlook', 'manifest.sandbox.xml');
}

/** Reads the values from the environment; in the sandbox, a value not given is replaced by its example. All problems are reported together. */
export function resolveManifestValues(env: Record<string, string | undefined>, options: { sandbox: boolean }): { values: ManifestValues; examples: ManifestSetting[] } {
  const problems: string[] = [];
  const examples: ManifestSetting[] = [];
  const raw = {} as Record<ManifestSetting, string>;
  for (const name of Object.keys(SETTINGS) as ManifestSetting[]) {
    const given = env[name]?.trim();
    if (given) raw[name] = given;
    else if (options.sandbox) {
      raw[name] = SANDBOX_MANIFEST_VALUES[name];
      examples.push(name);
    } else problems.push(`${name} is not set. It is ${SETTINGS[name]}.`);
  }
  for (const name of ['OUTLOOK_ADDIN_ID', 'ENTRA_CLIENT_ID'] as const) {
    const value = raw[name];
    if (value === undefined) continue;
    if (!GUID.test(value)) problems.push(`${name} "${value}" is not a GUID (8-4-4-4-12 hexadecimal digits). It is ${SETTINGS[name]}.`);
    else if (/^[0-]+$/.test(value)) problems.push(`${name} is the all-zero GUID, which Office does not accept.`);
  }
  let hostname = '';
  if (raw.PUBLIC_BASE_URL !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(raw.PUBLIC_BASE_URL);
    } catch {
      problems.push(`PUBLIC_BASE_URL "${raw.PUBLIC_BASE_URL}" is not a URL. It is ${SETTINGS.PUBLIC_BASE_URL}.`);
    }
    if (url) {
      if (url.protocol !== 'https:') problems.push(`PUBLIC_BASE_URL "${raw.PUBLIC_BASE_URL}" must start with https:// (Outlook only loads add-ins over https).`);
      if (url.username || url.password) problems.push('PUBLIC_BASE_URL must not contain a user name or password.');
      if (url.search || url.hash) problems.push(`PUBLIC_BASE_URL "${raw.PUBLIC_BASE_URL}" must not have a query (?…) or fragment (#…).`);
      hostname = url.host;
      raw.PUBLIC_BASE_URL = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
    }
  }
  if (problems.length) throw new ManifestError(`Cannot fill the Outlook add-in manifest:\n- ${problems.join('\n- ')}`);
  return { values: { ...raw, PUBLIC_HOSTNAME: hostname }, examples };
}

export function findPlaceholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((match) => match[1]!))];
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Replaces every ${{NAME}} in the template (values XML-escaped); an unknown placeholder is an error. */
export function fillManifest(template: string, values: ManifestValues): string {
  const unknown = findPlaceholders(template).filter((name) => !Object.hasOwn(values, name));
  if (unknown.length) throw new ManifestError(`The manifest template uses placeholders nothing fills: ${unknown.map((n) => `\${{${n}}}`).join(', ')}.`);
  return template.replace(PLACEHOLDER, (_, name: string) => values[name as keyof ManifestValues].replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!));
}

export function sandboxManifestValues(): ManifestValues {
  return resolveManifestValues({}, { sandbox: true }).values;
}

// ---------------------------------------------------------------------------------------------------------
// Layer 1: structure (DSL Desk's rule set, written from the schema documentation)
// ---------------------------------------------------------------------------------------------------------

const NS = {
  app: 'http://schemas.microsoft.com/office/appforoffice/1.1',
  bt: 'http://schemas.microsoft.com/office/officeappbasictypes/1.0',
  vo10: 'http://schemas.microsoft.com/office/mailappversionoverrides',
  vo11: 'http://schemas.microsoft.com/office/mailappversionoverrides/1.1',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
} as const;

/** The small part of the DOM (as @xmldom/xmldom builds it) that the checks read. */
interface XNode {
  nodeType: number;
  nodeValue: string | null;
  childNodes: { length: number; [index: number]: XNode };
}
interface XElement extends XNode {
  localName: string;
  namespaceURI: string | null;
  tagName: string;
  lineNumber?: number;
  getAttribute(name: string): string | null;
  getAttributeNS(namespace: string, name: string): string | null;
  hasAttribute(name: string): boolean;
}
interface XDocument {
  documentElement: XElement | null;
}
interface XmlDomModule {
  DOMParser: new (options: { locator: object; errorHandler: { warning: (m: string) => void; error: (m: string) => void; fatalError: (m: string) => void } }) => {
    parseFromString(source: string, mimeType: string): XDocument;
  };
}

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_NODE = 4;

const requireFromHere = createRequire(join(findRoot(), 'package.json'));

function findRoot(): string {
  let dir = process.cwd();
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'dsl-desk') return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

type Kind = 'ShortStrings' | 'LongStrings' | 'Urls' | 'Images';
const KIND_LABEL: Record<Kind, string> = { ShortStrings: 'bt:ShortStrings', LongStrings: 'bt:LongStrings', Urls: 'bt:Urls', Images: 'bt:Images' };
const MAX_STRING: Partial<Record<Kind, number>> = { ShortStrings: 125, LongStrings: 250 };

interface ChildRule {
  name: string;
  ns: string;
  min: number;
  max: number;
}

const one = (name: string, ns: string): ChildRule => ({ name, ns, min: 1, max: 1 });
const opt = (name: string, ns: string): ChildRule => ({ name, ns, min: 0, max: 1 });
const many = (name: string, ns: string, min = 0, max = Infinity): ChildRule => ({ name, ns, min, max });

class StructureCheck {
  readonly problems: string[] = [];
  /** Resource references per VersionOverrides, resolved when its Resources have been read. */
  private references: { kind: Kind; id: string; where: string }[] = [];
  private resources = new Map<Kind, Map<string, string>>();
  private controlIds = new Set<string>();

  problem(element: XElement | undefined, message: string): void {
    const line = element?.lineNumber ? ` (line ${element.lineNumber})` : '';
    this.problems.push(`${message}${line}`);
  }

  children(element: XElement): XElement[] {
    const out: XElement[] = [];
    for (let i = 0; i < element.childNodes.length; i += 1) {
      const node = element.childNodes[i]!;
      if (node.nodeType === ELEMENT_NODE) out.push(node as XElement);
      else if ((node.nodeType === TEXT_NODE || node.nodeType === CDATA_NODE) && (node.nodeValue ?? '').trim() !== '') {
        this.problem(element, `<${element.tagName}> must not contain text outside its child elements`);
      }
    }
    return out;
  }

  text(element: XElement): string {
    let value = '';
    for (let i = 0; i < element.childNodes.length; i += 1) {
      const node = element.childNodes[i]!;
      if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_NODE) value += node.nodeValue ?? '';
      else if (node.nodeType === ELEMENT_NODE) this.problem(element, `<${element.tagName}> holds text only, not <${(node as XElement).tagName}>`);
    }
    return value.trim();
  }

  xsiType(element: XElement): string | undefined {
    const value = element.getAttributeNS(NS.xsi, 'type');
    if (value === null) return undefined;
    return value.includes(':') ? value.slice(value.indexOf(':') + 1) : value;
  }

  /** Checks the children against an ordered sequence; returns them by name. */
  sequence(element: XElement, rules: ChildRule[]): Map<string, XElement[]> {
    const found = new Map<string, XElement[]>();
    const kids = this.children(element);
    let index = 0;
    for (const rule of rules) {
      const matched: XElement[] = [];
      while (index < kids.length && kids[index]!.localName === rule.name && kids[index]!.namespaceURI === rule.ns) {
        matched.push(kids[index]!);
        index += 1;
      }
      if (matched.length < rule.min) this.problem(element, `<${element.tagName}> needs ${rule.min === 1 ? 'a' : `at least ${rule.min}`} <${rule.name}> ${describePosition(rules, rule)}`);
      if (matched.length > rule.max) this.problem(matched[rule.max], `<${element.tagName}> allows at most ${rule.max} <${rule.name}>`);
      found.set(rule.name, matched);
    }
    for (const extra of kids.slice(index)) {
      const known = rules.find((rule) => rule.name === extra.localName && rule.ns === extra.namespaceURI);
      this.problem(
        extra,
        known
          ? `<${extra.tagName}> is out of order in <${element.tagName}>: the order is ${rules.map((r) => r.name).join(', ')}`
          : `<${extra.tagName}>${extra.namespaceURI ? ` (namespace ${extra.namespaceURI})` : ''} is not allowed in <${element.tagName}>`,
      );
    }
    return found;
  }

  attr(element: XElement, name: string, options: { required?: boolean; pattern?: RegExp; maxLength?: number; values?: readonly string[]; describe?: string } = {}): string | undefined {
    if (!element.hasAttribute(name)) {
      if (options.required) this.problem(element, `<${element.tagName}> needs the ${name} attribute`);
      return undefined;
    }
    const value = element.getAttribute(name) ?? '';
    this.checkValue(element, `${name}="${value}"`, value, options);
    return value;
  }

  checkValue(element: XElement, label: string, value: string, options: { pattern?: RegExp; maxLength?: number; values?: readonly string[]; describe?: string }): void {
    if (options.values && !options.values.includes(value)) this.problem(element, `<${element.tagName}> ${label}: must be one of ${options.values.join(', ')}`);
    if (options.pattern && !options.pattern.test(value)) this.problem(element, `<${element.tagName}> ${label}: must be ${options.describe ?? `like ${options.pattern}`}`);
    if (options.maxLength !== undefined && value.length > options.maxLength) this.problem(element, `<${element.tagName}> ${label}: longer than ${options.maxLength} characters`);
  }

  ref(element: XElement | undefined, kind: Kind): string | undefined {
    if (!element) return undefined;
    const id = this.attr(element, 'resid', { required: true, maxLength: 32 });
    if (id !== undefined) this.references.push({ kind, id, where: `<${element.tagName}>${element.lineNumber ? ` (line ${element.lineNumber})` : ''}` });
    return id;
  }

  // --- the document -------------------------------------------------------------------------------------

  officeApp(root: XElement): void {
    if (root.localName !== 'OfficeApp' || root.namespaceURI !== NS.app) {
      this.problem(root, `the root element must be <OfficeApp xmlns="${NS.app}">`);
      return;
    }
    if (this.xsiType(root) !== 'MailApp') this.problem(root, '<OfficeApp> must have xsi:type="MailApp" (an Outlook add-in)');
    const a = NS.app;
    const parts = this.sequence(root, [
      one('Id', a), opt('AlternateId', a), one('Version', a), one('ProviderName', a), one('DefaultLocale', a), one('DisplayName', a), one('Description', a),
      opt('IconUrl', a), opt('HighResolutionIconUrl', a), opt('SupportUrl', a), opt('AppDomains', a), opt('Hosts', a), opt('Requirements', a),
      one('FormSettings', a), one('Permissions', a), one('Rule', a), opt('DisableEntityHighlighting', a), opt('VersionOverrides', NS.vo10),
    ]);
    const first = (name: string) => parts.get(name)?.[0];
    const checkText = (name: string, options: Parameters<StructureCheck['checkValue']>[3]) => {
      const element = first(name);
      if (element) this.checkValue(element, 'value', this.text(element), options);
    };
    checkText('Id', { pattern: GUID, describe: 'a GUID' });
    checkText('Version', { pattern: /^\d{1,5}(\.\d{1,5}){0,3}$/, describe: 'a version such as 1.0.0.0' });
    checkText('ProviderName', { pattern: /\S/, maxLength: 125, describe: 'non-empty' });
    checkText('DefaultLocale', { pattern: /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, describe: 'a culture name such as en-GB' });
    checkText('Permissions', { values: ['Restricted', 'ReadItem', 'ReadWriteItem', 'ReadWriteMailbox'] });
    checkText('DisableEntityHighlighting', { values: ['true', 'false'] });
    this.localeSetting(first('DisplayName'), 125);
    this.localeSetting(first('Description'), 250);
    for (const name of ['IconUrl', 'HighResolutionIconUrl', 'SupportUrl']) this.localeSetting(first(name), 2048, true);
    const domains = first('AppDomains');
    if (domains) for (const domain of this.sequence(domains, [many('AppDomain', a, 1)]).get('AppDomain') ?? []) this.checkValue(domain, 'value', this.text(domain), { pattern: /^https:\/\/[^/\s]+$/, maxLength: 2048, describe: 'an https origin without a path' });
    const hosts = first('Hosts');
    if (hosts) for (const host of this.sequence(hosts, [many('Host', a, 1)]).get('Host') ?? []) this.attr(host, 'Name', { required: true, values: ['Mailbox'] });
    const requirements = first('Requirements');
    if (requirements) {
      const sets = this.sequence(requirements, [one('Sets', a), opt('Methods', a)]).get('Sets')?.[0];
      if (sets) {
        this.attr(sets, 'DefaultMinVersion', { pattern: /^\d+\.\d+$/, describe: 'a version such as 1.1' });
        for (const set of this.sequence(sets, [many('Set', a, 1)]).get('Set') ?? []) {
          this.attr(set, 'Name', { required: true, values: ['Mailbox'] });
          this.attr(set, 'MinVersion', { pattern: /^\d+\.\d+$/, describe: 'a version such as 1.1' });
        }
      }
    }
    const formSettings = first('FormSettings');
    if (formSettings) {
      for (const form of this.sequence(formSettings, [many('Form', a, 1)]).get('Form') ?? []) {
        this.checkType(form, ['ItemRead', 'ItemEdit']);
        const settings = this.sequence(form, [one('DesktopSettings', a), opt('TabletSettings', a), opt('PhoneSettings', a)]);
        const desktop = settings.get('DesktopSettings')?.[0];
        if (desktop) {
          const inner = this.sequence(desktop, [one('SourceLocation', a), one('RequestedHeight', a)]);
          this.localeSetting(inner.get('SourceLocation')?.[0], 2048, true);
          const height = inner.get('RequestedHeight')?.[0];
          if (height) this.checkValue(height, 'value', this.text(height), { pattern: /^(3[2-9]|[4-9]\d|[1-3]\d\d|4[0-4]\d|450)$/, describe: 'a number of pixels from 32 to 450' });
        }
      }
    }
    const rule = first('Rule');
    if (rule) this.rule(rule);
    const overrides = first('VersionOverrides');
    if (overrides) this.versionOverrides10(overrides);
    else this.problem(root, '<OfficeApp> has no <VersionOverrides>: the ribbon button and spam reporting live there');
  }

  checkType(element: XElement, allowed: readonly string[]): string | undefined {
    const type = this.xsiType(element);
    if (type === undefined) this.problem(element, `<${element.tagName}> needs xsi:type (one of ${allowed.join(', ')})`);
    else if (!allowed.includes(type)) this.problem(element, `<${element.tagName}> xsi:type="${type}" is not one of ${allowed.join(', ')}`);
    return type;
  }

  /** DefaultValue plus optional <Override Locale Value> children. */
  localeSetting(element: XElement | undefined, maxLength: number, url = false): void {
    if (!element) return;
    const options = url ? { required: true, maxLength, pattern: /^https:\/\/\S+$/, describe: 'an https URL' } : { required: true, maxLength, pattern: /\S/, describe: 'non-empty' };
    this.attr(element, 'DefaultValue', options);
    for (const override of this.sequence(element, [many('Override', NS.app)]).get('Override') ?? []) {
      this.attr(override, 'Locale', { required: true });
      this.attr(override, 'Value', options);
    }
  }

  rule(rule: XElement): void {
    const type = this.checkType(rule, ['RuleCollection', 'ItemIs', 'ItemHasAttachment', 'ItemHasKnownEntity', 'ItemHasRegularExpressionMatch']);
    if (type === 'RuleCollection') {
      this.attr(rule, 'Mode', { required: true, values: ['And', 'Or'] });
      for (const child of this.sequence(rule, [many('Rule', NS.app, 1)]).get('Rule') ?? []) this.rule(child);
    } else if (type === 'ItemIs') {
      this.attr(rule, 'ItemType', { required: true, values: ['Message', 'Appointment'] });
      this.attr(rule, 'FormType', { values: ['Read', 'Edit', 'ReadOrEdit'] });
      this.sequence(rule, []);
    }
  }

  // --- VersionOverrides ----------------------------------------------------------------------------------

  versionOverrides10(vo: XElement): void {
    if (this.xsiType(vo) !== 'VersionOverridesV1_0') this.problem(vo, `the outer <VersionOverrides> must be xsi:type="VersionOverridesV1_0" in namespace ${NS.vo10}`);
    const n = NS.vo10;
    const parts = this.sequence(vo, [opt('Description', n), opt('Requirements', n), one('Hosts', n), opt('Resources', n), opt('VersionOverrides', NS.vo11)]);
    this.scope(() => {
      const minVersion = this.voRequirements(parts.get('Requirements')?.[0]);
      const hosts = parts.get('Hosts')?.[0];
      if (hosts) this.hosts(hosts, n, { v11: false, minVersion });
      this.resourcesOf(parts.get('Resources')?.[0], n);
      const description = parts.get('Description')?.[0];
      if (description) this.ref(description, 'LongStrings');
    });
    const inner = parts.get('VersionOverrides')?.[0];
    if (inner) this.versionOverrides11(inner);
  }

  versionOverrides11(vo: XElement): void {
    if (this.xsiType(vo) !== 'VersionOverridesV1_1') this.problem(vo, `the inner <VersionOverrides> must be xsi:type="VersionOverridesV1_1" in namespace ${NS.vo11}`);
    const n = NS.vo11;
    const parts = this.sequence(vo, [opt('Description', n), opt('Requirements', n), one('Hosts', n), opt('Resources', n), opt('EquivalentAddins', n), opt('WebApplicationInfo', n), opt('ExtendedPermissions', n)]);
    this.scope(() => {
      const minVersion = this.voRequirements(parts.get('Requirements')?.[0]);
      const hosts = parts.get('Hosts')?.[0];
      if (hosts) this.hosts(hosts, n, { v11: true, minVersion });
      this.resourcesOf(parts.get('Resources')?.[0], n);
      const description = parts.get('Description')?.[0];
      if (description) this.ref(description, 'LongStrings');
    });
    const webApp = parts.get('WebApplicationInfo')?.[0];
    if (webApp) {
      const info = this.sequence(webApp, [one('Id', n), opt('MsaId', n), one('Resource', n), one('Scopes', n), opt('Authorizations', n)]);
      const id = info.get('Id')?.[0];
      if (id) this.checkValue(id, 'value', this.text(id), { pattern: GUID, describe: 'a GUID (the Entra application id)' });
      const resource = info.get('Resource')?.[0];
      if (resource) this.checkValue(resource, 'value', this.text(resource), { pattern: /^api:\/\/[^\s/]+(\/[^\s]*)?$/, describe: 'an application id URI such as api://host/<client-id>' });
      const scopes = info.get('Scopes')?.[0];
      if (scopes) for (const scope of this.sequence(scopes, [many('Scope', n, 1)]).get('Scope') ?? []) this.checkValue(scope, 'value', this.text(scope), { pattern: /^\S+$/, describe: 'a scope name' });
    }
  }

  /** Resource references are resolved against the Resources of the same VersionOverrides. */
  scope(body: () => void): void {
    this.references = [];
    this.resources = new Map();
    this.controlIds = new Set();
    body();
    for (const reference of this.references) {
      if (!this.resources.get(reference.kind)?.has(reference.id)) {
        this.problems.push(`${reference.where} refers to resid "${reference.id}", which is not defined in ${KIND_LABEL[reference.kind]} of the same <VersionOverrides>`);
      }
    }
  }

  voRequirements(requirements: XElement | undefined): number | undefined {
    if (!requirements) return undefined;
    const sets = this.sequence(requirements, [one('Sets', NS.bt)]).get('Sets')?.[0];
    if (!sets) return undefined;
    const defaultMin = this.attr(sets, 'DefaultMinVersion', { pattern: /^\d+\.\d+$/, describe: 'a version such as 1.3' });
    let mailbox: number | undefined;
    for (const set of this.sequence(sets, [many('Set', NS.bt, 1)]).get('Set') ?? []) {
      const name = this.attr(set, 'Name', { required: true });
      const min = this.attr(set, 'MinVersion', { pattern: /^\d+\.\d+$/, describe: 'a version such as 1.3' }) ?? defaultMin;
      if (name === 'Mailbox' && min !== undefined) mailbox = Number(min);
    }
    return mailbox;
  }

  hosts(hosts: XElement, n: string, context: { v11: boolean; minVersion: number | undefined }): void {
    for (const host of this.sequence(hosts, [many('Host', n, 1)]).get('Host') ?? []) {
      this.checkType(host, ['MailHost']);
      const parts = this.sequence(host, context.v11 ? [opt('Runtimes', n), one('DesktopFormFactor', n), opt('MobileFormFactor', n)] : [one('DesktopFormFactor', n), opt('MobileFormFactor', n)]);
      const runtimeIds: string[] = [];
      const runtimes = parts.get('Runtimes')?.[0];
      if (runtimes) {
        for (const runtime of this.sequence(runtimes, [many('Runtime', n, 1)]).get('Runtime') ?? []) {
          const id = this.ref(runtime, 'Urls');
          if (id) runtimeIds.push(id);
          this.attr(runtime, 'lifetime', { values: ['short', 'long'] });
          for (const override of this.sequence(runtime, [many('Override', n)]).get('Override') ?? []) {
            this.attr(override, 'type', { required: true, values: ['javascript'] });
            this.ref(override, 'Urls');
          }
        }
      }
      const desktop = parts.get('DesktopFormFactor')?.[0];
      if (!desktop) continue;
      const form = this.sequence(desktop, context.v11 ? [opt('SupportsSharedFolders', n), opt('FunctionFile', n), many('ExtensionPoint', n, 1)] : [opt('FunctionFile', n), many('ExtensionPoint', n, 1)]);
      const shared = form.get('SupportsSharedFolders')?.[0];
      if (shared) this.checkValue(shared, 'value', this.text(shared), { values: ['true', 'false'] });
      const functionFile = form.get('FunctionFile')?.[0];
      if (functionFile) this.ref(functionFile, 'Urls');
      const points = context.v11
        ? ['MessageReadCommandSurface', 'MessageComposeCommandSurface', 'AppointmentOrganizerCommandSurface', 'AppointmentAttendeeCommandSurface', 'CustomPane', 'ReportPhishingCommandSurface', 'LaunchEvent', 'Events', 'DetectedEntity']
        : ['MessageReadCommandSurface', 'MessageComposeCommandSurface', 'AppointmentOrganizerCommandSurface', 'AppointmentAttendeeCommandSurface', 'CustomPane'];
      for (const point of form.get('ExtensionPoint') ?? []) {
        const type = this.checkType(point, points);
        if (type === 'MessageReadCommandSurface' || type === 'MessageComposeCommandSurface') this.commandSurface(point, n, context.v11);
        else if (type === 'ReportPhishingCommandSurface') {
          if (context.minVersion === undefined || context.minVersion < 1.14) {
            this.problem(point, 'ReportPhishingCommandSurface (integrated spam reporting) needs Mailbox 1.14: set <Requirements><bt:Sets DefaultMinVersion="1.14"> in its <VersionOverrides>');
          }
          this.spamReporting(point, n, runtimeIds);
        } else if (type !== undefined) this.problem(point, `DSL Desk's manifest does not use the ${type} extension point; these checks do not cover it`);
      }
    }
  }

  commandSurface(point: XElement, n: string, v11: boolean): void {
    const tabs = this.sequence(point, [opt('OfficeTab', n)]);
    const tab = tabs.get('OfficeTab')?.[0];
    if (!tab) {
      this.problem(point, `<ExtensionPoint xsi:type="${this.xsiType(point)}"> needs an <OfficeTab>`);
      return;
    }
    this.attr(tab, 'id', { required: true, values: ['TabDefault'] });
    for (const group of this.sequence(tab, [many('Group', n, 1, 10)]).get('Group') ?? []) {
      this.controlId(group);
      const parts = this.sequence(group, [one('Label', n), many('Control', n, 1, 6)]);
      this.ref(parts.get('Label')?.[0], 'ShortStrings');
      for (const control of parts.get('Control') ?? []) this.button(control, n, v11, ['ShowTaskpane', 'ExecuteFunction']);
    }
  }

  controlId(element: XElement): void {
    const id = this.attr(element, 'id', { required: true, maxLength: 125, pattern: /^\S+$/, describe: 'an id without spaces' });
    if (id === undefined) return;
    if (this.controlIds.has(id)) this.problem(element, `id "${id}" is used twice in the same <VersionOverrides>`);
    this.controlIds.add(id);
  }

  button(control: XElement, n: string, v11: boolean, actions: readonly string[]): XElement | undefined {
    if (this.checkType(control, ['Button']) !== 'Button') return undefined;
    this.controlId(control);
    const parts = this.sequence(control, [one('Label', n), one('Supertip', n), one('Icon', n), one('Action', n)]);
    this.ref(parts.get('Label')?.[0], 'ShortStrings');
    const supertip = parts.get('Supertip')?.[0];
    if (supertip) {
      const tip = this.sequence(supertip, [one('Title', n), one('Description', n)]);
      this.ref(tip.get('Title')?.[0], 'ShortStrings');
      this.ref(tip.get('Description')?.[0], 'LongStrings');
    }
    const icon = parts.get('Icon')?.[0];
    if (icon) {
      const images = this.sequence(icon, [many('Image', NS.bt, 1)]).get('Image') ?? [];
      const sizes = new Set<string>();
      for (const image of images) {
        const size = this.attr(image, 'size', { required: true, values: ['16', '20', '24', '32', '40', '48', '64', '80'] });
        if (size) sizes.add(size);
        this.ref(image, 'Images');
      }
      for (const needed of ['16', '32', '80']) if (!sizes.has(needed)) this.problem(icon, `<Icon> needs a ${needed}×${needed} <bt:Image> (Outlook requires 16, 32 and 80)`);
    }
    const action = parts.get('Action')?.[0];
    if (!action) return undefined;
    const type = this.checkType(action, actions);
    if (type === 'ShowTaskpane') {
      const inner = this.sequence(action, v11 ? [opt('TaskpaneId', n), one('SourceLocation', n), opt('Title', n), opt('SupportsPinning', n)] : [opt('TaskpaneId', n), one('SourceLocation', n), opt('Title', n)]);
      this.ref(inner.get('SourceLocation')?.[0], 'Urls');
      const title = inner.get('Title')?.[0];
      if (title) this.ref(title, 'ShortStrings');
      const pinning = inner.get('SupportsPinning')?.[0];
      if (pinning) this.checkValue(pinning, 'value', this.text(pinning), { values: ['true', 'false'] });
    } else if (type === 'ExecuteFunction') {
      const name = this.sequence(action, [one('FunctionName', n)]).get('FunctionName')?.[0];
      if (name) this.checkValue(name, 'value', this.text(name), { pattern: /^[A-Za-z_$][\w$]*$/, describe: 'a JavaScript function name' });
    }
    return action;
  }

  spamReporting(point: XElement, n: string, runtimeIds: string[]): void {
    const customization = this.sequence(point, [one('ReportPhishingCustomization', n)]).get('ReportPhishingCustomization')?.[0];
    if (!customization) return;
    const parts = this.sequence(customization, [one('Control', n), one('PreProcessingDialog', n), one('SourceLocation', n)]);
    const control = parts.get('Control')?.[0];
    if (control) this.button(control, n, true, ['ExecuteFunction']);
    const dialog = parts.get('PreProcessingDialog')?.[0];
    if (dialog) {
      const d = this.sequence(dialog, [one('Title', n), one('Description', n), opt('NeverShowAgainOption', n), opt('ReportingOptions', n), opt('FreeTextLabel', n), opt('MoreInfo', n)]);
      this.ref(d.get('Title')?.[0], 'ShortStrings');
      this.ref(d.get('Description')?.[0], 'LongStrings');
      const never = d.get('NeverShowAgainOption')?.[0];
      if (never) this.checkValue(never, 'value', this.text(never), { values: ['true', 'false'] });
      const options = d.get('ReportingOptions')?.[0];
      if (options) {
        this.attr(options, 'inputType', { values: ['Checkbox', 'Radio'] });
        const o = this.sequence(options, [one('Title', n), many('Option', n, 1, 5)]);
        this.ref(o.get('Title')?.[0], 'ShortStrings');
        for (const option of o.get('Option') ?? []) this.ref(option, 'ShortStrings');
      }
      const freeText = d.get('FreeTextLabel')?.[0];
      if (freeText) this.ref(freeText, 'ShortStrings');
      const moreInfo = d.get('MoreInfo')?.[0];
      if (moreInfo) {
        const m = this.sequence(moreInfo, [one('MoreInfoText', n), one('MoreInfoUrl', n)]);
        this.ref(m.get('MoreInfoText')?.[0], 'ShortStrings');
        this.ref(m.get('MoreInfoUrl')?.[0], 'Urls');
      }
    }
    const source = parts.get('SourceLocation')?.[0];
    const sourceId = this.ref(source, 'Urls');
    if (sourceId !== undefined && !runtimeIds.includes(sourceId)) {
      this.problem(source, `the spam-reporting <SourceLocation resid="${sourceId}"> must name the same URL as a <Runtime resid> of its host (${runtimeIds.join(', ') || 'there is none'})`);
    }
  }

  resourcesOf(resources: XElement | undefined, n: string): void {
    if (!resources) return;
    const parts = this.sequence(resources, [opt('Images', NS.bt), opt('Urls', NS.bt), opt('ShortStrings', NS.bt), opt('LongStrings', NS.bt)]);
    void n;
    const collect = (kind: Kind, childName: string) => {
      const map = new Map<string, string>();
      this.resources.set(kind, map);
      const holder = parts.get(kind)?.[0];
      if (!holder) return;
      for (const item of this.sequence(holder, [many(childName, NS.bt, 1)]).get(childName) ?? []) {
        const id = this.attr(item, 'id', { required: true, maxLength: 32, pattern: /^\S+$/, describe: 'an id without spaces' });
        const url = kind === 'Urls' || kind === 'Images';
        const max = MAX_STRING[kind] ?? 2048;
        const valueOptions = url ? { required: true, maxLength: 2048, pattern: /^https:\/\/\S+$/, describe: 'an https URL' } : { required: true, maxLength: max, pattern: /\S/, describe: 'non-empty' };
        const value = this.attr(item, 'DefaultValue', valueOptions) ?? '';
        for (const override of this.sequence(item, [many('Override', NS.bt)]).get('Override') ?? []) {
          this.attr(override, 'Locale', { required: true });
          this.attr(override, 'Value', valueOptions);
        }
        if (id === undefined) continue;
        if (map.has(id)) this.problem(item, `resource id "${id}" is defined twice in ${KIND_LABEL[kind]}`);
        map.set(id, value);
      }
    };
    collect('Images', 'Image');
    collect('Urls', 'Url');
    collect('ShortStrings', 'String');
    collect('LongStrings', 'String');
  }
}

function describePosition(rules: ChildRule[], rule: ChildRule): string {
  const index = rules.indexOf(rule);
  const before = rules.slice(0, index).filter((r) => r.min > 0).at(-1);
  return before ? `(after <${before.name}>)` : '(first)';
}

/** Parses the XML; returns the document element, or the parser's complaints. */
function parseXml(xml: string): { root?: XElement; problems: string[] } {
  const problems: string[] = [];
  const { DOMParser } = requireFromHere('@xmldom/xmldom') as XmlDomModule;
  const record = (level: string) => (message: string) => problems.push(`not well-formed XML (${level}): ${String(message).replace(/\s+/g, ' ').trim()}`);
  const document = new DOMParser({ locator: {}, errorHandler: { warning: record('warning'), error: record('error'), fatalError: record('fatal') } }).parseFromString(xml, 'text/xml');
  const root = document.documentElement ?? undefined;
  if (!root) problems.push('not well-formed XML: there is no root element');
  return { ...(root ? { root } : {}), problems };
}

/** Layer 1 alone. */
export function checkStructure(xml: string): string[] {
  const parsed = parseXml(xml);
  if (!parsed.root || parsed.problems.length) return parsed.problems;
  if (findPlaceholders(xml).length) return [`the manifest still has placeholders: ${findPlaceholders(xml).map((n) => `\${{${n}}}`).join(', ')}`];
  const check = new StructureCheck();
  check.officeApp(parsed.root);
  return check.problems;
}

// ---------------------------------------------------------------------------------------------------------
// Layers 2 and 3: Office's manifest reader, then the published unified-manifest schema
// ---------------------------------------------------------------------------------------------------------

/** The unified-manifest version whose official schema checks the converted manifest (spam reporting needs ≥ 1.20). */
export const UNIFIED_MANIFEST_VERSION = '1.20';

interface ConverterModule {
  Converter: new (xml: string, locale: string) => { convert(): void | Promise<void>; getJSON(): Record<string, unknown> };
}
interface UtilitiesModule {
  Utilities: {
    setWriteImageUrls(value: boolean): void;
    setDownloadImages(value: boolean): void;
    setVerbosity(value: boolean): void;
    logError: (message: string, ...rest: unknown[]) => void;
    logWarning: (message: string, ...rest: unknown[]) => void;
  };
}

/** Converts with Office's own manifest reader; problems are the reader's exceptions, errors and truncations. */
export async function convertWithOfficeReader(xml: string): Promise<{ unified?: Record<string, unknown>; problems: string[] }> {
  const { Converter } = requireFromHere('office-addin-manifest-converter/lib/converter.js') as ConverterModule;
  const { Utilities } = requireFromHere('office-addin-manifest-converter/lib/utilities.js') as UtilitiesModule;
  const problems: string[] = [];
  const format = (message: string, rest: unknown[]) => [message, ...rest.map((part) => String(part))].join(' ').replace(/\s+/g, ' ').trim();
  const originalError = Utilities.logError;
  const originalWarning = Utilities.logWarning;
  Utilities.setWriteImageUrls(true); // keep icon URLs as they are (never download them)
  Utilities.setDownloadImages(false);
  Utilities.setVerbosity(false);
  Utilities.logError = (message, ...rest) => problems.push(`Office's manifest reader: ${format(message, rest)}`);
  Utilities.logWarning = (message, ...rest) => problems.push(`Office's manifest reader (warning): ${format(message, rest)}`);
  try {
    const converter = new Converter(xml, 'en-US');
    await converter.convert();
    const unified = converter.getJSON();
    const truncated = [...JSON.stringify(unified).matchAll(/"([^"]*)<TRUNCATED>/g)];
    if (truncated.length) problems.push(`Office's manifest reader had to shorten ${truncated.length} string(s) to fit the unified manifest's limits: shorten them in the XML`);
    return { unified, problems };
  } catch (error) {
    problems.push(`Office's manifest reader could not read the manifest: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return { problems };
  } finally {
    Utilities.logError = originalError;
    Utilities.logWarning = originalWarning;
  }
}

/** The official unified-manifest JSON schema, as bundled by @microsoft/app-manifest (never fetched). */
export function loadUnifiedSchema(version = UNIFIED_MANIFEST_VERSION): Record<string, unknown> {
  const packageJson = requireFromHere.resolve('@microsoft/app-manifest/package.json');
  const file = join(dirname(packageJson), 'build', 'json-schemas', 'teams', `v${version}`, 'MicrosoftTeams.schema.json');
  // The published schemas contain \a and \v escapes, which JSON does not allow.
  const schema = JSON.parse(readFileSync(file, 'utf8').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b')) as Record<string, unknown>;
  delete schema.$schema;
  return schema;
}

interface AjvError {
  instancePath: string;
  message?: string;
  params?: unknown;
}

export function checkUnifiedSchema(unified: Record<string, unknown>, version = UNIFIED_MANIFEST_VERSION): string[] {
  const Ajv = (requireFromHere('ajv') as { default: new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: AjvError[] | null } } }).default;
  const addFormats = (requireFromHere('ajv-formats') as { default: (ajv: unknown) => void }).default;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(loadUnifiedSchema(version));
  const manifest = { ...unified, manifestVersion: version, $schema: `https://developer.microsoft.com/json-schemas/teams/v${version}/MicrosoftTeams.schema.json` };
  if (validate(manifest)) return [];
  return (validate.errors ?? []).map((error) => `unified manifest schema v${version}: ${error.instancePath || '(root)'} ${error.message ?? ''} ${error.params ? JSON.stringify(error.params) : ''}`.trim());
}

export interface ManifestCheck {
  valid: boolean;
  problems: string[];
  /** The manifest as Office's reader converted it to the unified (JSON) format. */
  unified?: Record<string, unknown>;
}

/** All three layers. A manifest is valid when none of them has a problem. */
export async function validateOutlookManifest(xml: string): Promise<ManifestCheck> {
  const problems = checkStructure(xml).map((problem) => (problem.startsWith('not well-formed') ? problem : `structure (DSL Desk's rules from the schema documentation, not the XSD): ${problem}`));
  if (problems.length) return { valid: false, problems };
  const converted = await convertWithOfficeReader(xml);
  problems.push(...converted.problems);
  if (converted.unified) problems.push(...checkUnifiedSchema(converted.unified));
  return { valid: problems.length === 0, problems, ...(converted.unified ? { unified: converted.unified } : {}) };
}
