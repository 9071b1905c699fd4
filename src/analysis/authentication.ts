/**
 * Authentication-Results (RFC 8601). Every server on the way may add one, and a sender can write any number
 * of them into the message before sending, so only one header is believed: the top-most one stamped by the
 * school's own mail service. Everything below it is history the school cannot check.
 */

/** The results of the one header we believe, as reported to callers. */
export interface AuthenticationResults {
  authservId: string;
  spf?: string;
  dkim?: string;
  dmarc?: string;
  compauth?: string;
  arc?: string;
}

export interface AuthenticationSummary extends AuthenticationResults {
  /** Microsoft's reason code for compauth (e.g. "000" explicit DMARC failure); kept for the evidence line. */
  compauthReason?: string;
  /** header.from as the stamping server saw it. */
  headerFrom?: string;
}

/**
 * How our own tenant's header is recognised. An entry containing "=" matches a header whose text contains it
 * (Microsoft 365 writes no authserv-id but always a `compauth=` result); any other entry is an authserv-id,
 * matched exactly or as a parent domain (an entry "outlook.com" matches "x.prod.outlook.com").
 */
export const DEFAULT_TENANT_AUTHSERV_IDS = ['compauth=', 'mx.google.com'];

/** Removes RFC 5322 comments "(...)" (they nest, and may contain ";"), leaving quoted strings alone. */
export function stripComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (depth === 0) out += c;
      if (c === '\\') {
        if (depth === 0 && i + 1 < value.length) out += value[i + 1];
        i++;
      } else if (c === '"') quoted = false;
      continue;
    }
    if (c === '\\' && depth > 0) {
      i++;
      continue;
    }
    if (c === '"' && depth === 0) {
      quoted = true;
      out += c;
    } else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out;
}

interface ParsedResults {
  authservId: string;
  results: Map<string, { result: string; props: Record<string, string> }>;
}

const PROPERTY_NAME = /^[a-z0-9.-]+$/i;

/**
 * "header.from=example.com smtp.mailfrom=x reason=000" as name → value. Read word by word: a pattern retried at
 * every position of a long run without "=" would take time growing with the square of the run.
 */
function propertiesOf(text: string): Record<string, string> {
  const props: Record<string, string> = {};
  // Spaces were collapsed to one; "name = value" is rare but allowed.
  for (const word of text.replaceAll(' = ', '=').split(' ')) {
    const eq = word.indexOf('=');
    if (eq < 1) continue;
    const name = word.slice(0, eq);
    if (!PROPERTY_NAME.test(name)) continue;
    let value = word.slice(eq + 1);
    if (value.length > 1 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (value) props[name.toLowerCase()] = value;
  }
  return props;
}

export function parseAuthenticationResults(value: string): ParsedResults {
  const segments = stripComments(value)
    .split(';')
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  let authservId = '';
  if (segments.length && !/^[a-z0-9.-]+\s*=/i.test(segments[0]!)) {
    // "mx.google.com" or "mx.example.org 1" (with a version)
    authservId = segments.shift()!.split(' ')[0]!.toLowerCase();
  }
  const results = new Map<string, { result: string; props: Record<string, string> }>();
  for (const segment of segments) {
    const match = /^([a-z0-9-]+) ?= ?([\w-]+)/i.exec(segment);
    if (!match) continue;
    const method = match[1]!.toLowerCase();
    if (results.has(method)) continue; // the first result of a method is the one for the message itself
    results.set(method, { result: match[2]!.toLowerCase(), props: propertiesOf(segment.slice(match[0].length)) });
  }
  return { authservId, results };
}

function isTenantHeader(value: string, authservId: string, trusted: readonly string[]): boolean {
  const lower = value.toLowerCase();
  for (const entry of trusted) {
    const e = entry.trim().toLowerCase();
    if (!e) continue;
    if (e.includes('=')) {
      if (lower.includes(e)) return true;
    } else if (authservId && (authservId === e || authservId.endsWith(`.${e}`))) return true;
  }
  return false;
}

export interface AuthenticationFinding {
  summary?: AuthenticationSummary;
  /** How many Authentication-Results headers were present, including ignored ones. */
  headerCount: number;
  /** Headers below ours, or all of them when none is ours: ignored as forgeable. */
  ignoredCount: number;
}

/**
 * Picks the top-most Authentication-Results stamped by our tenant. `headers` are in message order, top first,
 * as [lower-case name, value] pairs.
 */
export function tenantAuthentication(headers: readonly { key: string; value: string }[], trusted: readonly string[] = DEFAULT_TENANT_AUTHSERV_IDS): AuthenticationFinding {
  const all = headers.filter((h) => h.key === 'authentication-results');
  for (let i = 0; i < all.length; i++) {
    const value = all[i]!.value;
    const parsed = parseAuthenticationResults(value);
    if (!isTenantHeader(value, parsed.authservId, trusted)) continue;
    const get = (method: string) => parsed.results.get(method)?.result;
    const summary: AuthenticationSummary = { authservId: parsed.authservId || (parsed.results.has('compauth') ? 'microsoft-365' : 'unnamed') };
    for (const method of ['spf', 'dkim', 'dmarc', 'compauth', 'arc'] as const) {
      const result = get(method);
      if (result) summary[method] = result;
    }
    const compauth = parsed.results.get('compauth');
    if (compauth?.props.reason) summary.compauthReason = compauth.props.reason;
    const headerFrom = parsed.results.get('dmarc')?.props['header.from'];
    if (headerFrom) summary.headerFrom = headerFrom.toLowerCase();
    if (!summary.arc && parsed.authservId === 'mx.google.com') {
      // Google records the ARC chain's state in the ARC-Seal it adds on receipt (the top-most one).
      const seal = headers.find((h) => h.key === 'arc-seal');
      const cv = seal && /\bcv\s*=\s*([a-z]+)/i.exec(seal.value)?.[1];
      if (cv) summary.arc = cv.toLowerCase();
    }
    return { summary, headerCount: all.length, ignoredCount: all.length - 1 };
  }
  return { headerCount: all.length, ignoredCount: all.length };
}
