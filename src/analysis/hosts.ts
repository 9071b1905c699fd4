import { domainToASCII, domainToUnicode } from 'node:url';
import { parse as parseHost } from 'tldts';

/**
 * Host names: the organisation behind a host (its registrable domain) and the lists of hosts that mean
 * something for a phishing report. Lists match a host and all its subdomains.
 */

export interface HostInfo {
  /** Lower-case, ASCII (punycode) form, as it travels. */
  host: string;
  /** The form a reader sees (punycode decoded). */
  unicode: string;
  /** label and organisation as the reader sees them (equal to the ASCII ones for ASCII hosts). */
  unicodeLabel: string;
  unicodeOrganisation: string;
  /** The organisation's domain. For SaaS tenants (foo.web.app) this keeps the tenant, so two tenants differ. */
  organisation: string;
  /** The organisation's own label, e.g. "paypal" for paypal.co.uk, "oakfield" for oakfield.herts.sch.uk. */
  label: string;
  /** Everything after the label, e.g. "co.uk". */
  suffix: string;
  isIp: boolean;
  /** False when the name is itself a public suffix (gov.uk, or oakfield.sch.uk under the "*.sch.uk" rule). */
  registrable: boolean;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function hostInfo(rawHost: string): HostInfo {
  let host = rawHost.trim().toLowerCase().replace(/\.$/, '');
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const isIp = IPV4.test(host) || (host.includes(':') && /^[0-9a-f:.]+$/.test(host));
  if (isIp) return { host, unicode: host, unicodeLabel: host, unicodeOrganisation: host, organisation: host, label: host, suffix: '', isIp: true, registrable: false };
  // Addresses may carry a Unicode domain as it is (SMTPUTF8) and links carry punycode: compare both ways.
  if (NON_ASCII.test(host)) host = domainToASCII(host) || host;
  const unicode = host.includes('xn--') ? domainToUnicode(host) || host : host;
  const base = describe(host);
  if (unicode === host) return { ...base, host, unicode, unicodeLabel: base.label, unicodeOrganisation: base.organisation, isIp: false };
  const shown = describe(unicode);
  return { ...base, host, unicode, unicodeLabel: shown.label, unicodeOrganisation: shown.organisation, isIp: false };
}

const NON_ASCII = /[\u0080-\u{10FFFF}]/u;

function describe(host: string): { organisation: string; label: string; suffix: string; registrable: boolean } {
  // Private suffixes (github.io, web.app, blob.core.windows.net) count as public here so that each tenant is
  // its own organisation: a.github.io and b.github.io are different senders.
  const parsed = parseHost(host, { allowPrivateDomains: true });
  let organisation = parsed.domain ?? host;
  let label = parsed.domainWithoutSuffix ?? host.split('.')[0] ?? host;
  let suffix = parsed.publicSuffix ?? '';
  if (!parsed.domain) {
    // The list has "*.sch.uk", so oakfield.sch.uk is itself a "suffix". Treat the host as the organisation.
    organisation = host;
    label = host.split('.')[0] ?? host;
    suffix = host.split('.').slice(1).join('.');
  } else if (suffix.split('.').length === 3 && suffix.endsWith('.sch.uk') && !KNOWN_SCH_UK_AREAS.has(suffix.split('.')[0]!)) {
    // Same list entry, seen from below: for mail.oakfield.sch.uk the list says the organisation is
    // "mail.oakfield.sch.uk". When the middle label is not a local-authority area it is the school.
    organisation = suffix;
    label = suffix.split('.')[0]!;
    suffix = 'sch.uk';
  }
  return { organisation, label, suffix, registrable: parsed.domain !== null };
}

/** Local-authority areas under sch.uk seen in school domains (e.g. oakfield.herts.sch.uk): the school is one label further left. */
const KNOWN_SCH_UK_AREAS = new Set(
  (
    'barnet bexley bham bolton bradford brent bristol bucks calderdale cambs camden cheshire cornwall coventry croydon cumbria derby derbyshire ' +
    'devon doncaster dorset dudley durham ealing enfield essex gloucs gloucestershire hackney hants harrow havering herts hillingdon hounslow ' +
    'isle-of-wight islington kent kirklees knowsley lambeth lancs leeds leics leicester lewisham lincs liverpool lbhf manchester medway merton ' +
    'newham norfolk northants northumberland notts nottingham oldham oxon plymouth poole portsmouth reading redbridge richmond rochdale ' +
    'rotherham rbwm salford sandwell sefton sheffield shropshire slough solihull somerset southwark staffs stockport stockton suffolk ' +
    'sunderland surrey sutton swindon tameside telford thurrock torbay tower-hamlets trafford wakefield walsall waltham-forest wandsworth ' +
    'warwickshire wigan wilts wiltshire wirral wokingham wolverhampton worcs york westsussex eastsussex w-sussex e-sussex nyorks'
  ).split(' '),
);

/** True when `host` is `domain` or one of its subdomains. */
export function hostIsUnder(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

export function hostUnderAny(host: string, domains: readonly string[]): string | undefined {
  for (const domain of domains) if (hostIsUnder(host, domain)) return domain;
  return undefined;
}

/** The domain part of an address, lower-cased; undefined when there is none. */
export function domainOf(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const at = address.lastIndexOf('@');
  if (at < 0 || at === address.length - 1) return undefined;
  return address.slice(at + 1).trim().toLowerCase().replace(/\.$/, '').replace(/^\[|\]$/g, '');
}

/**
 * Free-mail providers: anyone can open an account, so a reply going there is not going to an organisation.
 * Labels cover every country domain of the provider (hotmail.co.uk, yahoo.fr, gmx.de, ...).
 */
const FREEMAIL_LABELS = new Set(['gmail', 'googlemail', 'hotmail', 'outlook', 'live', 'msn', 'yahoo', 'ymail', 'rocketmail', 'aol', 'gmx', 'yandex', 'protonmail', 'zoho', 'zohomail', 'tutanota', 'tuta', 'icloud']);
const FREEMAIL_DOMAINS = new Set([
  'proton.me',
  'pm.me',
  'me.com',
  'mac.com',
  'mail.ru',
  'inbox.ru',
  'btinternet.com',
  'sky.com',
  'virginmedia.com',
  'talktalk.net',
  'ntlworld.com',
  'blueyonder.co.uk',
  'tiscali.co.uk',
  'mail.com',
  'email.com',
  'usa.com',
  'post.com',
  'fastmail.com',
  'hushmail.com',
  'qq.com',
  '163.com',
  '126.com',
  'web.de',
  'orange.fr',
  'libero.it',
]);

export function isFreemail(info: HostInfo): boolean {
  if (info.isIp) return false;
  if (FREEMAIL_DOMAINS.has(info.organisation)) return true;
  // A provider label under a country or generic suffix (hotmail.co.uk, yahoo.fr); never deeper (live.nhs.uk).
  return FREEMAIL_LABELS.has(info.label) && info.suffix.split('.').length <= 2;
}

/** Link shorteners hide the real target; reports show the full host. */
export const SHORTENERS = [
  'bit.ly',
  'bitly.com',
  'tinyurl.com',
  'ow.ly',
  'is.gd',
  'v.gd',
  'buff.ly',
  'rebrand.ly',
  'cutt.ly',
  'shorturl.at',
  'tiny.cc',
  'rb.gy',
  't.ly',
  'goo.gl',
  's.id',
  'qrco.de',
  'shorturl.com',
  'short.io',
  'bl.ink',
  't.co',
  'lnkd.in',
  'tr.im',
  'clck.ru',
  'u.to',
  'x.gd',
  'urlz.fr',
  'soo.gd',
  'surl.li',
  'tiny.one',
  'linktr.ee',
];

/**
 * Hosting and tenant platforms where anyone gets a subdomain in minutes; phishing pages and senders live there
 * because the parent domain has a good reputation. The full host is the evidence.
 */
export const SAAS_HOSTS = [
  'onmicrosoft.com',
  'web.app',
  'firebaseapp.com',
  'firebasestorage.googleapis.com',
  'storage.googleapis.com',
  'appspot.com',
  'blob.core.windows.net',
  'web.core.windows.net',
  'azurewebsites.net',
  'azureedge.net',
  'azurestaticapps.net',
  'herokuapp.com',
  'netlify.app',
  'vercel.app',
  'pages.dev',
  'workers.dev',
  'r2.dev',
  'github.io',
  'gitlab.io',
  'glitch.me',
  'repl.co',
  'replit.app',
  'replit.dev',
  'weebly.com',
  'weeblysite.com',
  'wixsite.com',
  'square.site',
  'godaddysites.com',
  'webflow.io',
  'framer.app',
  'framer.website',
  'notion.site',
  'canva.site',
  'my.canva.site',
  's3.amazonaws.com',
  'amplifyapp.com',
  'ngrok.io',
  'ngrok-free.app',
  'ngrok.app',
  'trycloudflare.com',
  '000webhostapp.com',
  'wcomhost.com',
  'mailchimpsites.com',
  'mystrikingly.com',
  'yolasite.com',
  'jimdosite.com',
  'site123.me',
  'carrd.co',
  'sharefile.com',
  'plesk.page',
];

/**
 * Platforms that let anyone send mail under the platform's domain: new Microsoft 365 tenants
 * (name.onmicrosoft.com) and helpdesk tools (name.zendesk.com). Legitimate organisations rarely send from them.
 */
export const SENDER_PLATFORMS = ['onmicrosoft.com', 'zendesk.com', 'freshdesk.com', 'helpscoutapp.com', 'zohodesk.com', 'hubspotemail.net', 'sendgrid.net', 'mailgun.org'];

/** Forms, documents and sites services: fine from colleagues, a common credential-harvest page from strangers. */
export const FORM_HOSTS = [
  'forms.office.com',
  'forms.microsoft.com',
  'forms.cloud.microsoft',
  'forms.gle',
  'docs.google.com',
  'sites.google.com',
  'drive.google.com',
  'jotform.com',
  'typeform.com',
  'formstack.com',
  '123formbuilder.com',
  'wufoo.com',
  'cognitoforms.com',
  'paperform.co',
  'tally.so',
  'onedrive.live.com',
  '1drv.ms',
  'sway.office.com',
  'sway.cloud.microsoft',
  'padlet.com',
  'dropbox.com',
  'box.com',
  'we.tl',
  'wetransfer.com',
  'adobe.com',
  'acrobat.adobe.com',
];

/** Gateways onto IPFS and other web3 hosting, where takedowns barely work. */
export const IPFS_HOSTS = [
  'ipfs.io',
  'dweb.link',
  'cloudflare-ipfs.com',
  'gateway.pinata.cloud',
  'mypinata.cloud',
  'w3s.link',
  'nftstorage.link',
  '4everland.io',
  '4everland.link',
  'fleek.co',
  'on.fleek.co',
  'gateway.lighthouse.storage',
  'infura-ipfs.io',
  'ipfs.fleek.co',
  'storry.tv',
  'ipfs.eth.aragon.network',
  'crustwebsites.net',
];

/** A path that addresses IPFS content directly (/ipfs/<cid>), whatever the host. */
export const IPFS_PATH = /\/(ipfs|ipns)\/[a-z0-9]{20,}/i;
