import { hostInfo, hostIsUnder, type HostInfo } from './hosts.ts';
import { deepSkeleton, describeLookalikeChar, hasNonAscii } from './unicode.ts';

/**
 * Domains made to pass for the school's own or a well-known brand's. A host is compared with each protected
 * domain's organisation and label (the "paypal" of paypal.co.uk, the "oakfield" of oakfield.herts.sch.uk).
 */

export interface ProtectedDomain {
  domain: string;
  /** Who it belongs to, for the evidence: "the school" or a brand name. */
  owner: string;
  /** Every domain of the same owner: a host under any of them is genuine. */
  ownerDomains: string[];
  isSchool: boolean;
  info: HostInfo;
  labelSkeleton: string;
  organisationSkeleton: string;
}

export type LookalikeKind = 'homoglyph' | 'digit-swap' | 'embedded' | 'added-words' | 'other-tld' | 'typo';

export interface LookalikeFinding {
  kind: LookalikeKind;
  target: ProtectedDomain;
  /** One phrase for the evidence line, e.g. "uses Cyrillic а (U+0430)". */
  how: string;
}

/** Labels too generic to say anything when they turn up inside another domain. */
const GENERIC_LABELS = new Set(['live', 'me', 'gov', 'service', 'msn', 'box', 'mail', 'office', 'apple', 'sims', 'arbor', 'zoom', 'education', 'school', 'primary', 'academy']);
const SERVICE_TOKENS = /^(login|log|signin|sign|secure|security|verify|verification|account|accounts|support|help|update|portal|online|auth|sso|mail|webmail|office|docs|share|file|files|pay|payment|billing|invoice|refund|delivery|parcel|track|tracking|uk|gb|co|com|net|org|sch|www|my|id|team|teams|service|services)$/;

export function protectedDomains(schoolDomains: readonly string[], brands: readonly { name: string; domains: string[] }[]): ProtectedDomain[] {
  const out: ProtectedDomain[] = [];
  const add = (domain: string, owner: string, ownerDomains: string[], isSchool: boolean) => {
    const info = hostInfo(domain);
    // gov.uk and service.gov.uk are shared by every department: only their subdomains say who sent something.
    if (info.isIp || (!info.registrable && !isSchool)) return;
    out.push({ domain: info.host, owner, ownerDomains, isSchool, info, labelSkeleton: deepSkeleton(info.label), organisationSkeleton: deepSkeleton(info.organisation) });
  };
  const school = schoolDomains.map((d) => d.toLowerCase());
  for (const domain of school) add(domain, 'the school', school, true);
  for (const brand of brands) {
    const domains = brand.domains.map((d) => d.toLowerCase());
    for (const domain of domains) add(domain, brand.name, domains, false);
  }
  return out;
}

/** Optimal string alignment distance, stopping early once it exceeds `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, prevPrev[j - 2]! + 1);
      row.push(value);
      best = Math.min(best, value);
    }
    if (best > limit) return limit + 1;
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** A plain country suffix (amazon.fr, google.de): big brands own theirs, so a different one proves nothing. */
function isCountrySuffix(suffix: string): boolean {
  return /^([a-z]{2}|(co|com|org|net|gov|ac)\.[a-z]{2})$/.test(suffix);
}

function explainSwap(host: HostInfo): string {
  const char = describeLookalikeChar(host.unicode);
  if (char) return `uses ${char}`;
  if (hasNonAscii(host.unicode)) return 'uses look-alike Unicode letters';
  const digits = /[0-9]/.exec(host.unicodeLabel);
  if (digits) return `uses the digit ${digits[0]} for a letter`;
  return 'swaps letters that look alike';
}

/** The first protected domain `host` imitates, most convincing kind first; undefined for genuine or unrelated hosts. */
export function findLookalike(rawHost: string, protectedList: readonly ProtectedDomain[]): LookalikeFinding | undefined {
  const host = hostInfo(rawHost);
  if (host.isIp) return undefined;
  for (const p of protectedList) if (p.ownerDomains.some((d) => hostIsUnder(host.host, d))) return undefined;
  // Compare what the reader sees: the Unicode form of a punycode host.
  const label = deepSkeleton(host.unicodeLabel);
  const organisation = deepSkeleton(host.unicodeOrganisation);
  let weaker: LookalikeFinding | undefined;
  for (const p of protectedList) {
    const plain = p.info.label;
    if (!plain) continue;
    // Same look once homoglyphs, accents, digits and letter pairs are normalised, but different characters.
    const sameLookOrganisation = organisation === p.organisationSkeleton && host.unicodeOrganisation !== p.info.organisation;
    const sameLookLabel = label === p.labelSkeleton && host.unicodeLabel !== plain && plain.length >= 4;
    if (sameLookOrganisation || sameLookLabel) {
      return { kind: hasNonAscii(host.unicode) ? 'homoglyph' : 'digit-swap', target: p, how: explainSwap(host) };
    }
    // The real domain written into the subdomain: paypal.com.account-check.xyz
    if (host.host.startsWith(`${p.info.organisation}.`) || host.host.includes(`.${p.info.organisation}.`) || host.host.includes(`${p.info.organisation.replace(/\./g, '-')}.`)) {
      return { kind: 'embedded', target: p, how: `puts ${p.info.organisation} in front of ${host.organisation}` };
    }
    if (weaker || GENERIC_LABELS.has(plain)) continue;
    if (host.label === plain && host.organisation !== p.info.organisation && plain.length >= 4 && (p.isSchool || !isCountrySuffix(host.suffix))) {
      weaker = { kind: 'other-tld', target: p, how: `same name under .${host.suffix}` };
      continue;
    }
    const tokens = host.label.split(/[-_.0-9]+/).filter(Boolean);
    const extra = tokens.filter((t) => t !== plain);
    if (plain.length >= 3 && tokens.includes(plain) && extra.length > 0 && (p.isSchool || extra.every((t) => SERVICE_TOKENS.test(t)) || plain.length >= 5)) {
      weaker = { kind: 'added-words', target: p, how: `adds "${extra.slice(0, 3).join('-')}" to the name` };
      continue;
    }
    if (plain.length >= 6 && label !== p.labelSkeleton && label.includes(p.labelSkeleton)) {
      weaker = { kind: 'added-words', target: p, how: `adds to the name "${plain}"` };
      continue;
    }
    if (plain.length >= 5 && label.length >= 5 && editDistance(label, p.labelSkeleton, 1) === 1) {
      weaker = { kind: 'typo', target: p, how: `one letter away from "${plain}"` };
    }
  }
  return weaker;
}

export function isStrongLookalike(kind: LookalikeKind): boolean {
  return kind === 'homoglyph' || kind === 'digit-swap' || kind === 'embedded';
}
