import { createHash, randomBytes } from 'node:crypto';
import PostalMime from 'postal-mime';
import type { Address, Attachment, Email, Mailbox } from 'postal-mime';
import { AppError } from '../domain/errors.ts';
import { attachmentSignals, type AttachmentInfo } from './attachments.ts';
import { DEFAULT_TENANT_AUTHSERV_IDS, tenantAuthentication, type AuthenticationResults, type AuthenticationSummary } from './authentication.ts';
import { DEFAULT_BRANDS, type Brand } from './brands.ts';
import { domainOf, FORM_HOSTS, hostInfo, hostIsUnder, hostUnderAny, IPFS_HOSTS, IPFS_PATH, isFreemail, SAAS_HOSTS, SENDER_PLATFORMS, SHORTENERS, type HostInfo } from './hosts.ts';
import { replaceLargeParts } from './large-parts.ts';
import { extractLinks, hostShownIn, htmlToText, type Link } from './links.ts';
import { findLookalike, isStrongLookalike, protectedDomains, type ProtectedDomain } from './lookalike.ts';
import { authSignal } from './signal-codes.ts';
import { quote, SignalList, verdictFor, type Signal, type Verdict } from './signals.ts';
import { sniff, type SniffResult } from './sniff.ts';
import { AddressSet, addressesIn, withoutUrlsAndAddresses } from './text-scan.ts';
import { deepSkeleton, describeLookalikeChar, findCombiningMarks, findInvisible, findMixedScripts, hasNonAscii, nameKey } from './unicode.ts';

export type { AttachmentInfo } from './attachments.ts';
export type { AuthenticationResults } from './authentication.ts';
export type { Link } from './links.ts';
export type { Brand } from './brands.ts';
export type { Severity, Signal, Verdict } from './signals.ts';

/**
 * Analysis of one reported email: parses the MIME, looks for the signs of phishing and impersonation that matter
 * to a school, and suggests a verdict. Pure: no network, no storage, no clock. The message is read once; attachment
 * bodies are hashed and classified, then dropped.
 */

export interface AnalysisContext {
  /** e.g. "Oakfield Primary School" */
  schoolName?: string;
  /** The school's own mail domains, e.g. ['oakfield.sch.uk'] (subdomains included). */
  schoolDomains: string[];
  /** Display names from the school's people list. */
  staffNames: string[];
  /**
   * Recognises the Authentication-Results header our own mail service stamps; see DEFAULT_TENANT_AUTHSERV_IDS.
   * Entries with "=" match text in the header (Microsoft 365 stamps no authserv-id but always "compauth="),
   * others match the authserv-id (e.g. "mx.google.com").
   */
  tenantAuthservIds?: string[];
  /** The reporter's and recipients' addresses: never used or shown as evidence. The message's To/Cc are added. */
  ownAddresses?: string[];
  /**
   * The school's own phishing simulation: a domain ("phish-sim.example"), a header name ("X-PHISHTEST") or a
   * header with a value to look for ("X-Simulation: oakfield").
   */
  simulationSenders?: string[];
  /** Well-known brands; DEFAULT_BRANDS when absent. */
  brands?: Brand[];
}

export interface EmailAnalysis {
  verdict: Verdict;
  /** Most severe first. */
  signals: Signal[];
  message: { messageId?: string; subject?: string; from?: { name?: string; address?: string }; replyTo?: string[]; returnPath?: string; date?: string; size: number };
  authentication?: AuthenticationResults;
  links: Link[];
  attachments: AttachmentInfo[];
  /** sha256 of normalised sender address + subject + text body, to join reports of the same email without a message id */
  contentFingerprint: string;
}

/** Base64 attachment bodies at least this large are streamed into their hash instead of being decoded whole. */
const STREAM_PART_THRESHOLD = 512 * 1024;
/** How much body text is normalised for the fingerprint and read for request wording. */
const BODY_TEXT_LIMIT = 1024 * 1024;
const WORDING_LIMIT = 64 * 1024;
const MAX_HOSTS_CHECKED = 100;
/**
 * Display names and subjects are checked (and kept) up to this many characters; real ones are far shorter, and
 * a 100 KB display name must not cost a comparison with every member of staff per word.
 */
const MAX_FIELD = 1000;
/** Every attachment is typed and checked; this many are listed (with hashes) in the analysis the case keeps. */
const MAX_ATTACHMENTS_LISTED = 500;

function clip(value: string | undefined): string | undefined {
  return value !== undefined && value.length > MAX_FIELD ? `${value.slice(0, MAX_FIELD - 1)}…` : value;
}

const HONORIFICS = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof', 'sir', 'dame', 'rev', 'revd', 'fr']);
/** Words a school's name shares with every other school: "Oakfield Primary School" is recognised by "oakfield". */
const SCHOOL_WORDS = new Set(['the', 'school', 'schools', 'primary', 'secondary', 'academy', 'college', 'infant', 'infants', 'junior', 'juniors', 'nursery', 'of', 'and', 'c', 'e', 'ce', 'church', 'england', 'federation', 'trust', 'high', 'community', 'st', 'saint', 'catholic', 'rc', 'voluntary', 'aided', 'va', 'free', 'grammar', 'sixth', 'form', 'upper', 'lower', 'middle', 'mat']);
/** Words that turn a school or brand name into a department: "Oakfield Office", "PayPal Security Team". */
const ROLE_WORDS = new Set(['office', 'admin', 'administration', 'reception', 'finance', 'headteacher', 'head', 'headmaster', 'headmistress', 'principal', 'bursar', 'business', 'manager', 'it', 'ict', 'support', 'accounts', 'payroll', 'hr', 'team', 'staff', 'governors', 'pta', 'parents', 'info', 'enquiries', 'noreply', 'no', 'reply', 'security', 'account', 'service', 'services', 'customer', 'care', 'notification', 'notifications', 'alert', 'alerts', 'online', 'help', 'helpdesk', 'desk', 'verification', 'verify', 'id', 'mail', 'message', 'messages', 'center', 'centre', 'via', 'from', 'uk', 'co', 'com', 'net', 'org', 'delivery', 'deliveries', 'parcel', 'parcels', 'payments', 'payment', 'refunds', 'refund', 'tax', 'official', 'update', 'updates', 'document', 'documents', 'shared', 'share', 'file', 'files', 'sign', 'signature', 'invoice', 'invoices', 'billing', 'department', 'dept', 'team', 'group', 'portal', 'inbox', 'storage', 'cloud', 'drive', 'teams']);

/** Display names made only of these read as a school role rather than a person or a company. */
const ROLE_TITLE_WORDS = new Set(['the', 'school', 'head', 'headteacher', 'headmaster', 'headmistress', 'teacher', 'principal', 'executive', 'deputy', 'assistant', 'acting', 'interim', 'bursar', 'business', 'manager', 'finance', 'office', 'officer', 'payroll', 'hr', 'it', 'ict', 'support', 'services', 'team', 'admin', 'administrator', 'chair', 'of', 'governors', 'governor', 'designated', 'safeguarding', 'lead', 'dsl', 'senco', 'ceo', 'trust', 'accounts']);
const AUTHORITY_WORDS = new Set(['head', 'headteacher', 'headmaster', 'headmistress', 'principal', 'bursar', 'business', 'payroll', 'finance', 'governors', 'safeguarding', 'dsl', 'ceo', 'hr', 'it', 'ict', 'office', 'accounts']);

const GIFT_CARDS = /\b(gift ?cards?|(i ?tunes|google play|steam|apple|amazon|love2shop|one4all) (gift )?(cards?|vouchers?)|e-?vouchers?|scratch (off|the back))\b/i;
const BANK_CHANGE = /\b(change[sd]?|chang(ing)|update[sd]?|updating|new)\b[^.\n]{1,40}\b(bank|banking|account|payroll|payment|sort code)\b[^.\n]{1,20}\b(details|information|info|account)\b/i;
const URGENT_FAVOUR = /\b(are you (available|around|free|at your desk|in school|busy)|quick (favou?r|task|question)|(do|need) (me )?a (quick )?favou?r|reply (asap|urgently)|keep (this|it) (confidential|between us|to yourself)|(be|very) discreet)\b/i;

function isMailbox(address: Address | undefined): address is Mailbox {
  return !!address && address.group === undefined;
}

function mailboxes(list: Address[] | undefined): Mailbox[] {
  const out: Mailbox[] = [];
  for (const address of list ?? []) {
    if (isMailbox(address)) out.push(address);
    else out.push(...address.group);
  }
  return out;
}

/** A view of the input's bytes without copying; strings are encoded as UTF-8 like a saved .eml would be. */
function asBytes(raw: Uint8Array | ArrayBuffer | string): Uint8Array {
  if (typeof raw === 'string') return Buffer.from(raw, 'utf8');
  if (raw instanceof Uint8Array) return raw;
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw);
  throw new AppError('invalid_input', 'The email must be given as bytes or text.');
}

/**
 * The parser copies any view that does not cover its whole buffer; a buffer it can use as it is avoids one full
 * copy of a 35 MB message.
 */
function forParser(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  const copy = new Uint8Array(bytes.byteLength); // not Buffer#slice, which is a view onto a shared pool
  copy.set(bytes);
  return copy.buffer;
}

const MESSAGE_HEADERS = new Set(['from', 'to', 'subject', 'date', 'message-id', 'received', 'return-path', 'mime-version', 'sender', 'reply-to', 'authentication-results', 'delivered-to', 'content-type']);

/** The parser's refusals of a message's structure, as opposed to input that is not an email at all. */
const unreadableStructures = new WeakSet<object>();

/** Whether analyseEmail rejected a message because the MIME parser refused its structure (too deeply nested, broken). */
export function isUnreadableStructure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && unreadableStructures.has(error);
}

async function parse(bytes: Uint8Array): Promise<{ email: Email; streamed: Map<string, SniffResult>; marker: string }> {
  if (bytes.byteLength === 0) throw new AppError('invalid_input', 'The email file is empty.');
  const marker = `dsl-desk-streamed-part-${randomBytes(9).toString('hex')}-`;
  const prepared = replaceLargeParts(bytes, STREAM_PART_THRESHOLD, marker);
  let email: Email;
  try {
    email = await PostalMime.parse(forParser(prepared.bytes), { attachmentEncoding: 'arraybuffer', maxNestingDepth: 64 });
  } catch (error) {
    const refusal = new AppError('invalid_input', 'The email could not be read: its MIME structure is broken or too deeply nested.', { internal: `MIME parse failed: ${(error as Error).message}`, cause: error });
    unreadableStructures.add(refusal);
    throw refusal;
  }
  if (!email.headers.some((h) => MESSAGE_HEADERS.has(h.key))) {
    throw new AppError('invalid_input', 'This file is not an email message: it has none of the usual headers (From, To, Subject, Date).');
  }
  return { email, streamed: prepared.replaced, marker };
}

function contentOf(attachment: Attachment): Uint8Array {
  const content = attachment.content;
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  return content instanceof Uint8Array ? content : new Uint8Array(content);
}

function tokens(key: string): string[] {
  return key.split(' ').filter(Boolean);
}

interface Sender {
  name: string;
  address: string;
  domain?: string;
  host?: HostInfo;
}

/** Everything the checks share. */
interface Scope {
  context: AnalysisContext;
  signals: SignalList;
  own: Set<string>;
  schoolDomains: string[];
  protectedList: ProtectedDomain[];
  brands: Brand[];
  auth?: AuthenticationSummary;
  from?: Sender;
  fromIsSchool: boolean;
}

function isOwn(scope: Scope, address: string | undefined): boolean {
  return !!address && scope.own.has(address.toLowerCase());
}

/** An address for evidence: outside senders' addresses are shown, our own people's never are. */
function shown(scope: Scope, address: string): string {
  return isOwn(scope, address) ? '[recipient’s own address]' : address;
}

const METHOD_NAMES = { dmarc: 'DMARC', compauth: 'Microsoft composite authentication (compauth)', spf: 'SPF', dkim: 'DKIM', arc: 'ARC' } as const;

function authenticationChecks(scope: Scope, email: Email): void {
  const finding = tenantAuthentication(email.headers, scope.context.tenantAuthservIds ?? DEFAULT_TENANT_AUTHSERV_IDS);
  const auth = finding.summary;
  if (!auth) {
    const note = finding.headerCount ? ` (${finding.headerCount} from other servers ignored as forgeable)` : '';
    scope.signals.add('auth_results_missing', 'info', `no Authentication-Results from the school's mail service${note}`);
    return;
  }
  scope.auth = auth;
  const by = `by ${auth.authservId}`;
  const fromDomain = scope.from?.domain ?? auth.headerFrom;
  // Spoofing matters most for the school's own domain and brands' domains; a forged gmail.com sender is just a stranger.
  const spoofTarget = !fromDomain ? undefined : scope.fromIsSchool ? 'the school’s own domain' : isFreemail(hostInfo(fromDomain)) ? undefined : scope.brands.find((b) => b.domains.some((d) => hostIsUnder(fromDomain, d)))?.name;

  for (const method of ['dmarc', 'compauth', 'spf', 'dkim', 'arc'] as const) {
    const result = auth[method];
    const signal = result ? authSignal(method, result) : undefined;
    if (!result || !signal) continue;
    const extra = method === 'compauth' && auth.compauthReason ? ` (reason ${auth.compauthReason})` : method === 'dmarc' && fromDomain ? ` for ${fromDomain}` : '';
    scope.signals.add(signal.code, signal.severity, `${METHOD_NAMES[method]} ${result}${extra}, ${by}`);
  }
  if (spoofTarget && (auth.dmarc === 'fail' || auth.compauth === 'fail')) {
    scope.signals.add('spoofed_sender_domain', 'high', `From claims ${fromDomain} (${spoofTarget}) but ${auth.dmarc === 'fail' ? 'DMARC' : 'composite authentication'} failed`);
  }
}

function senderChecks(scope: Scope, email: Email): void {
  const { signals } = scope;
  const from = scope.from;
  const fromOrg = from?.host?.organisation;
  for (const reply of mailboxes(email.replyTo)) {
    const address = reply.address?.toLowerCase();
    const domain = domainOf(address);
    if (!address || !domain || isOwn(scope, address) || address === from?.address) continue;
    const info = hostInfo(domain);
    if (fromOrg && info.organisation !== fromOrg && !hostUnderAny(domain, scope.schoolDomains)) {
      signals.add('reply_to_mismatch', 'medium', `replies go to ${address}, not to the sender's domain ${fromOrg}`);
    }
    if (isFreemail(info)) signals.add('reply_to_freemail', 'medium', `replies go to a free-mail account: ${address}`);
  }
  const returnPath = email.returnPath?.toLowerCase();
  const returnDomain = domainOf(returnPath);
  if (returnPath && returnDomain && fromOrg && !isOwn(scope, returnPath) && hostInfo(returnDomain).organisation !== fromOrg) {
    signals.add('return_path_mismatch', 'low', `bounces go to ${returnDomain}, not ${fromOrg} (normal for mailing services, odd for a person)`);
  }
  if (from?.host && !scope.fromIsSchool) {
    const platform = hostUnderAny(from.host.host, SENDER_PLATFORMS);
    if (platform) signals.add('sender_saas_host', 'medium', `sent from ${from.host.host}, a ${platform} tenant anyone can open`);
    if (isFreemail(from.host) && !isOwn(scope, from.address)) signals.add('from_freemail', 'info', `sent from a free-mail account (${from.host.organisation})`);
  }
}

/** Display names and subjects: look-alike letters, invisible characters and combining marks. */
function unicodeChecks(scope: Scope, email: Email, subject: string | undefined): void {
  const { signals } = scope;
  const fields: { label: string; value: string | undefined; strong: boolean }[] = [
    { label: 'sender name', value: scope.from?.name, strong: true },
    { label: 'subject', value: subject, strong: false },
  ];
  for (const reply of mailboxes(email.replyTo)) if (!isOwn(scope, reply.address)) fields.push({ label: 'Reply-To name', value: clip(reply.name), strong: true });
  for (const { label, value, strong } of fields) {
    if (!value || !hasNonAscii(value)) continue;
    const mixed = findMixedScripts(value);
    if (mixed) signals.add('mixed_scripts', strong ? 'high' : 'medium', `${label} ${quote(value)} mixes scripts in "${mixed.word}": ${mixed.example}`);
    const invisible = findInvisible(value);
    if (invisible) signals.add('invisible_characters', invisible.bidi && strong ? 'high' : 'medium', `${label} ${quote(value)} contains invisible characters ${invisible.codepoints.join(' ')}`);
    const marks = findCombiningMarks(value);
    if (marks.length) signals.add('combining_marks', strong ? 'medium' : 'low', `${label} ${quote(value)} stacks combining marks ${marks.join(' ')} on letters`);
  }
  const host = scope.from?.host;
  if (host && host.unicode !== host.host) {
    const mixed = findMixedScripts(host.unicode);
    if (mixed) signals.add('mixed_scripts', 'high', `sender domain ${host.unicode} (${host.host}) mixes scripts: ${mixed.example}`);
  }
}

function impersonationChecks(scope: Scope): void {
  const from = scope.from;
  if (!from || !from.name || scope.fromIsSchool || isOwn(scope, from.address)) return;
  const { signals } = scope;
  const where = from.address ? `sent from ${shown(scope, from.address)}` : 'sent without an address';
  const tricks = hasNonAscii(from.name) && (describeLookalikeChar(from.name) || findInvisible(from.name) || findCombiningMarks(from.name).length) ? ' using look-alike or hidden characters' : '';
  const display = nameKey(from.name);
  const displayTokens = tokens(display);
  const meaningful = displayTokens.filter((t) => !HONORIFICS.has(t));
  // A set: the name is compared with every member of staff, and a school has hundreds.
  const meaningfulSet = new Set(meaningful);
  const hasTitle = displayTokens.some((t) => HONORIFICS.has(t));

  // Staff: every part of a staff member's name appears in the display name ("Jane Smith (Head)"), or an initial and
  // the surname ("J Smith"); a title and surname only ("Mrs Smith") is weaker, as surnames repeat.
  let staffMatch: { name: string; strength: 'full' | 'surname' } | undefined;
  for (const staff of scope.context.staffNames) {
    const parts = tokens(nameKey(staff)).filter((t) => !HONORIFICS.has(t));
    if (parts.length < 2) continue;
    const first = parts[0]!;
    const last = parts[parts.length - 1]!;
    const all = parts.every((p) => meaningfulSet.has(p));
    const initial = meaningfulSet.has(last) && meaningful.some((t) => t.length === 1 && t === first[0]) && meaningful.length <= 3;
    if (all || initial) {
      staffMatch = { name: staff, strength: 'full' };
      break;
    }
    if (!staffMatch && hasTitle && meaningful.length === 1 && meaningful[0] === last) staffMatch = { name: staff, strength: 'surname' };
  }
  if (staffMatch) {
    signals.add(
      'impersonates_staff',
      staffMatch.strength === 'full' ? 'high' : 'medium',
      `display name ${quote(from.name)} ${staffMatch.strength === 'full' ? 'matches' : 'could be'} staff member ${staffMatch.name}${tricks}, but ${where}`,
    );
  }

  // The school: its distinctive words (without "Primary School" and the like), alone or with a role word.
  const schoolName = scope.context.schoolName;
  if (schoolName) {
    const distinctive = tokens(nameKey(schoolName)).filter((t) => !SCHOOL_WORDS.has(t));
    const rest = meaningful.filter((t) => !distinctive.includes(t));
    const containsName = distinctive.length > 0 && distinctive.every((t) => meaningfulSet.has(t));
    if (containsName && rest.every((t) => SCHOOL_WORDS.has(t) || ROLE_WORDS.has(t))) {
      signals.add('impersonates_school', 'high', `display name ${quote(from.name)} presents as ${schoolName}${tricks}, but ${where}`);
    }
  }
  for (const domain of scope.schoolDomains) {
    if (from.name.toLowerCase().includes(domain)) signals.add('impersonates_school', 'high', `display name ${quote(from.name)} shows the school's domain ${domain}, but ${where}`);
  }

  // A school role and nothing else ("Headteacher", "School Business Manager") from outside the school: nobody
  // outside calls themselves that. From a free-mail account it is the textbook request for gift cards or a payment.
  if (!signals.has('impersonates_school') && !staffMatch && meaningful.length > 0 && meaningful.length <= 4 && meaningful.every((t) => ROLE_TITLE_WORDS.has(t)) && meaningful.some((t) => AUTHORITY_WORDS.has(t))) {
    const freemail = !!from.host && isFreemail(from.host);
    signals.add('impersonates_role', freemail ? 'high' : 'medium', `display name ${quote(from.name)} is a school role${tricks}, but ${where}`);
  }

  // Brands: the brand's name with at most one other word that is not a department word ("PayPal Security Team"),
  // compared after look-alike folding so "Pаypal" and "Micr0soft" count. "Apple Tree Nursery" does not.
  const deep = tokens(deepSkeleton(from.name).replace(/[^\p{L}\p{N}]+/gu, ' ').trim());
  const fromHost = from.host?.host;
  for (const brand of scope.brands) {
    if (fromHost && brand.domains.some((d) => hostIsUnder(fromHost, d))) continue;
    const names = [brand.name, ...(brand.aliases ?? [])];
    const hit = names.find((name) => {
      const want = tokens(deepSkeleton(name).replace(/[^\p{L}\p{N}]+/gu, ' ').trim());
      if (!want.length) return false;
      for (let i = 0; i + want.length <= deep.length; i++) {
        if (want.every((w, j) => deep[i + j] === w)) {
          const others = deep.filter((t, k) => (k < i || k >= i + want.length) && !ROLE_WORDS.has(t) && !HONORIFICS.has(t));
          return others.length <= 1;
        }
      }
      return deep.join('') === want.join('');
    });
    if (hit) {
      signals.add('impersonates_brand', 'high', `display name ${quote(from.name)} presents as ${brand.name}${tricks}, but ${where}`);
      break;
    }
  }

  // An address written into the display name that is not the real one: "service@paypal.com" <x@evil.example>.
  for (const written of addressesIn(from.name)) {
    const claimed = written.address.toLowerCase();
    if (claimed === from.address || isOwn(scope, claimed)) continue;
    const claimedOrg = hostInfo(written.domain).organisation;
    if (claimedOrg !== from.host?.organisation) signals.add('display_name_address', 'medium', `display name shows ${claimed} but ${where}`);
  }
}

function lookalikeChecks(scope: Scope, email: Email, links: Link[]): void {
  const candidates = new Map<string, string>();
  const add = (host: string | undefined, where: string) => {
    if (host && !candidates.has(host) && candidates.size < MAX_HOSTS_CHECKED) candidates.set(host, where);
  };
  if (scope.from?.host && !isOwn(scope, scope.from.address)) add(scope.from.host.host, 'sender domain');
  for (const reply of mailboxes(email.replyTo)) if (!isOwn(scope, reply.address)) add(domainOf(reply.address), 'Reply-To domain');
  if (!isOwn(scope, email.returnPath)) add(domainOf(email.returnPath), 'Return-Path domain');
  for (const link of links) add(link.host, 'link');
  for (const [host, where] of candidates) {
    const finding = findLookalike(host, scope.protectedList);
    if (!finding) continue;
    const info = hostInfo(host);
    const name = info.unicode !== info.host ? `${info.unicode} (${info.host})` : info.host;
    const target = finding.target.isSchool ? `the school's ${finding.target.domain}` : `${finding.target.owner}'s ${finding.target.domain}`;
    scope.signals.add('lookalike_domain', isStrongLookalike(finding.kind) ? 'high' : 'medium', `${where} ${name} imitates ${target}: ${finding.how}`);
  }
}

function linkChecks(scope: Scope, links: Link[]): void {
  const { signals } = scope;
  for (const link of links) {
    const info = hostInfo(link.host);
    if (hostUnderAny(info.host, scope.schoolDomains)) continue;
    const url = new URL(link.href);
    if (info.isIp) signals.add('link_ip_address', 'high', `link goes to a bare IP address ${info.host}`);
    if (info.host.split('.').some((label) => label.startsWith('xn--'))) signals.add('link_punycode', 'medium', `link host is punycode: ${info.host} reads as ${info.unicode}`);
    if (info.unicode !== info.host) {
      const mixed = findMixedScripts(info.unicode);
      if (mixed) signals.add('mixed_scripts', 'high', `link host ${info.unicode} mixes scripts: ${mixed.example}`);
    }
    const shortener = hostUnderAny(info.host, SHORTENERS);
    if (shortener) signals.add('link_shortener', 'low', `link hides its target behind ${info.host}`);
    if (hostUnderAny(info.host, SAAS_HOSTS)) signals.add('link_saas_host', 'medium', `link goes to ${info.host}, a hosting platform anyone can publish on`);
    if (hostUnderAny(info.host, IPFS_HOSTS) || IPFS_PATH.test(url.pathname)) signals.add('link_ipfs_gateway', 'medium', `link goes to IPFS/web3 hosting at ${info.host}`);
    if (!scope.fromIsSchool && hostUnderAny(info.host, FORM_HOSTS)) signals.add('link_form_host', 'low', `link to a form or shared file on ${info.host} from outside the school`);
    const shownHost = hostShownIn(link.text);
    if (shownHost && hostInfo(shownHost).organisation !== info.organisation) {
      const shownBrand = scope.brands.find((b) => b.domains.some((d) => hostIsUnder(shownHost, d)));
      // paypal.co.uk shown, paypal.com linked: one owner, no deception.
      const sameOwner = !!shownBrand && shownBrand.domains.some((d) => hostIsUnder(info.host, d));
      const claimsTrusted = !!hostUnderAny(shownHost, scope.schoolDomains) || !!shownBrand;
      if (!sameOwner) signals.add('link_text_mismatch', claimsTrusted ? 'high' : 'medium', `link text shows ${shownHost} but goes to ${info.host}`);
    }
  }
}

function wordingChecks(scope: Scope, subject: string, body: string): void {
  const text = `${subject}\n${body.slice(0, WORDING_LIMIT)}`;
  const gift = GIFT_CARDS.exec(text);
  if (gift) scope.signals.add('request_gift_cards', 'medium', `asks about ${quote(gift[0], 40)} (the classic "headteacher needs gift cards" scam)`);
  const bank = BANK_CHANGE.exec(text);
  if (bank) scope.signals.add('request_bank_change', 'medium', `mentions changing payment details: ${quote(bank[0], 60)}`);
  const favour = URGENT_FAVOUR.exec(text);
  if (favour) scope.signals.add('urgent_request', 'low', `pressing, private request: ${quote(favour[0], 40)}`);
}

/** The school's own simulation; a domain claim must not be contradicted by the school's authentication results. */
function simulationCheck(scope: Scope, email: Email): boolean {
  const entries = scope.context.simulationSenders ?? [];
  if (!entries.length) return false;
  const senderHosts = [scope.from?.domain, ...mailboxes(email.replyTo).map((m) => domainOf(m.address)), domainOf(email.returnPath)].filter((h): h is string => !!h);
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry) continue;
    const colon = entry.indexOf(':');
    if (colon > 0) {
      const name = entry.slice(0, colon).trim().toLowerCase();
      const value = entry.slice(colon + 1).trim().toLowerCase();
      if (email.headers.some((h) => h.key === name && h.value.toLowerCase().includes(value))) {
        scope.signals.add('phishing_simulation', 'info', `header ${entry.slice(0, colon).trim()} marks the school's phishing simulation`);
        return true;
      }
    } else if (!entry.includes('.')) {
      if (email.headers.some((h) => h.key === entry.toLowerCase())) {
        scope.signals.add('phishing_simulation', 'info', `header ${entry} marks the school's phishing simulation`);
        return true;
      }
    } else {
      const host = senderHosts.find((h) => hostIsUnder(h, entry.toLowerCase()));
      if (!host) continue;
      const auth = scope.auth;
      if (auth && (auth.dmarc === 'fail' || auth.compauth === 'fail' || auth.spf === 'fail')) {
        scope.signals.add('simulation_unverified', 'medium', `claims to come from the simulation domain ${host}, but authentication failed`);
        return false;
      }
      scope.signals.add('phishing_simulation', 'info', `sent from ${host}, the school's phishing simulation`);
      return true;
    }
  }
  return false;
}

function normaliseForFingerprint(text: string): string {
  return withoutUrlsAndAddresses(text.normalize('NFKC'))
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

function fingerprint(fromAddress: string | undefined, subject: string | undefined, body: string): string {
  const subjectKey = (subject ?? '').normalize('NFKC').replace(/\s+/g, ' ').trim().toLowerCase();
  return createHash('sha256')
    .update(`${(fromAddress ?? '').toLowerCase()}\n${subjectKey}\n${normaliseForFingerprint(body)}`)
    .digest('hex');
}

/** Removes our own people's addresses from anything we hand back, including link targets that carry them. */
function scrubOwn(text: string, own: AddressSet): string {
  if (own.empty || (!text.includes('@') && !text.includes('%40'))) return text;
  return own.replaceAll(text, '[recipient]');
}

function attachmentsOf(scope: Scope, email: Email, streamed: Map<string, SniffResult>, marker: string): AttachmentInfo[] {
  const out: AttachmentInfo[] = [];
  for (const attachment of email.attachments) {
    let result: SniffResult | undefined;
    const content = contentOf(attachment);
    if (content.byteLength < 120 && streamed.size) {
      const text = Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('latin1').trim();
      if (text.startsWith(marker)) result = streamed.get(text);
    }
    result ??= sniff(content);
    // The body is not needed again: let it go now rather than when the whole parse result goes.
    attachment.content = new ArrayBuffer(0);
    const base = {
      filename: attachment.filename ?? '',
      declaredType: attachment.mimeType,
      detectedType: result.type,
      size: result.size,
      sha256: result.sha256,
      inline: attachment.disposition === 'inline' || (!!attachment.related && attachment.disposition !== 'attachment'),
      ...(result.details.length ? { details: result.details } : {}),
    };
    const found = attachmentSignals(base, result);
    for (const signal of found) scope.signals.add(signal.code, signal.severity, signal.evidence);
    if (out.length < MAX_ATTACHMENTS_LISTED) out.push({ ...base, risky: found.some((s) => s.severity === 'high' || s.severity === 'medium') });
  }
  if (email.attachments.length > MAX_ATTACHMENTS_LISTED) {
    scope.signals.add('many_attachments', 'low', `${email.attachments.length.toLocaleString('en-GB')} attachments; every one was checked, the first ${MAX_ATTACHMENTS_LISTED} are listed`);
  }
  return out;
}

/** The protected list depends only on the school's domains and the brands: build it once per school, not per message. */
const protectedCache = new WeakMap<readonly Brand[], Map<string, ProtectedDomain[]>>();
function cachedProtectedDomains(schoolDomains: string[], brands: readonly Brand[]): ProtectedDomain[] {
  let bySchool = protectedCache.get(brands);
  if (!bySchool) protectedCache.set(brands, (bySchool = new Map()));
  const key = schoolDomains.join(' ');
  let list = bySchool.get(key);
  if (!list) {
    list = protectedDomains(schoolDomains, brands);
    if (bySchool.size > 100) bySchool.clear();
    bySchool.set(key, list);
  }
  return list;
}

/**
 * The school's mail domains as seen in its people list: the domains of their addresses, without free-mail
 * providers (a member of staff listed with a personal Gmail address does not make gmail.com the school's).
 */
export function schoolDomainsOf(addresses: readonly string[]): string[] {
  const domains = new Set<string>();
  for (const address of addresses) {
    const domain = domainOf(address.toLowerCase());
    if (domain && !isFreemail(hostInfo(domain))) domains.add(domain);
  }
  return [...domains];
}

/**
 * Analyses one raw email (.eml bytes or text). Rejects with an AppError "invalid_input" (HTTP 400) when the input
 * is empty, not an email, or its MIME structure cannot be read; never crashes on hostile input.
 */
export async function analyseEmail(raw: Uint8Array | ArrayBuffer | string, context: AnalysisContext): Promise<EmailAnalysis> {
  const bytes = asBytes(raw);
  const size = bytes.byteLength;
  const { email, streamed, marker } = await parse(bytes);

  const own = new Set<string>();
  for (const address of context.ownAddresses ?? []) own.add(address.trim().toLowerCase());
  for (const box of [...mailboxes(email.to), ...mailboxes(email.cc), ...mailboxes(email.bcc)]) if (box.address) own.add(box.address.toLowerCase());
  if (email.deliveredTo) own.add(email.deliveredTo.toLowerCase());
  own.delete('');

  const schoolDomains = context.schoolDomains.map((d) => d.trim().toLowerCase().replace(/^@/, '')).filter(Boolean);
  const brands = context.brands ?? DEFAULT_BRANDS;
  const fromBox = isMailbox(email.from) ? email.from : undefined;
  const fromAddress = fromBox?.address?.toLowerCase() || undefined;
  const fromDomain = domainOf(fromAddress);
  const fromName = clip(fromBox?.name);
  const subject = clip(email.subject);
  const from: Sender | undefined = fromBox ? { name: fromName ?? '', address: fromAddress ?? '', ...(fromDomain ? { domain: fromDomain, host: hostInfo(fromDomain) } : {}) } : undefined;
  const scope: Scope = {
    context,
    signals: new SignalList(),
    own,
    schoolDomains,
    protectedList: cachedProtectedDomains(schoolDomains, brands),
    brands,
    ...(from ? { from } : {}),
    fromIsSchool: !!fromDomain && !!hostUnderAny(fromDomain, schoolDomains),
  };

  authenticationChecks(scope, email);
  senderChecks(scope, email);
  for (const [label, value] of [['sender name', fromBox?.name], ['subject', email.subject]] as const) {
    if (value && value.length > MAX_FIELD) scope.signals.add('oversized_field', 'low', `${label} is ${value.length.toLocaleString('en-GB')} characters long; only the first ${MAX_FIELD.toLocaleString('en-GB')} were checked`);
  }
  unicodeChecks(scope, email, subject);
  impersonationChecks(scope);

  const html = email.html;
  const text = email.text;
  const { links, truncated } = extractLinks(html, text);
  if (truncated) scope.signals.add('body_truncated', 'info', `HTML body is ${Math.round((html?.length ?? 0) / 1024)} KB; links were read from its first 2 MB only`);
  lookalikeChecks(scope, email, links);
  linkChecks(scope, links);

  const bodyText = text ? text.slice(0, BODY_TEXT_LIMIT) : html ? htmlToText(html.slice(0, BODY_TEXT_LIMIT)) : '';
  wordingChecks(scope, subject ?? '', bodyText);

  const attachments = attachmentsOf(scope, email, streamed, marker);
  const isSimulation = simulationCheck(scope, email);

  const ownMatcher = new AddressSet(own);
  const signals = scope.signals.sorted().map((s) => ({ ...s, evidence: scrubOwn(s.evidence, ownMatcher) }));
  const replyTo = mailboxes(email.replyTo)
    .map((m) => m.address)
    .filter((a): a is string => !!a);
  return {
    verdict: verdictFor(signals, isSimulation),
    signals,
    message: {
      ...(email.messageId ? { messageId: email.messageId } : {}),
      ...(subject !== undefined ? { subject } : {}),
      ...(fromBox ? { from: { ...(fromName ? { name: fromName } : {}), ...(fromBox.address ? { address: fromBox.address } : {}) } } : {}),
      ...(replyTo.length ? { replyTo } : {}),
      ...(email.returnPath ? { returnPath: email.returnPath } : {}),
      ...(email.date ? { date: email.date } : {}),
      size,
    },
    ...(scope.auth ? { authentication: withoutInternals(scope.auth) } : {}),
    links: links.map((l) => ({ ...l, ...(l.text ? { text: scrubOwn(l.text, ownMatcher) } : {}), href: scrubOwn(l.href, ownMatcher) })),
    attachments,
    contentFingerprint: fingerprint(fromAddress, email.subject, bodyText),
  };
}

function withoutInternals(auth: AuthenticationSummary): AuthenticationResults {
  const { authservId, spf, dkim, dmarc, compauth, arc } = auth;
  return { authservId, ...(spf ? { spf } : {}), ...(dkim ? { dkim } : {}), ...(dmarc ? { dmarc } : {}), ...(compauth ? { compauth } : {}), ...(arc ? { arc } : {}) };
}

/**
 * For callers that must not keep attachment bodies (safeguarding reports): drops attachment content, keeps
 * metadata+hash. EmailAnalysis never carries bodies; this also drops the optional content details (inner file
 * names of archives), so what remains is exactly name, types, size, SHA-256 and the risky/inline flags.
 */
export function attachmentMetadataOnly(analysis: EmailAnalysis): EmailAnalysis {
  return {
    ...analysis,
    attachments: analysis.attachments.map(({ filename, declaredType, detectedType, size, sha256, risky, inline }) => ({ filename, declaredType, detectedType, size, sha256, risky, inline })),
  };
}
