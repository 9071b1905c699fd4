import { trimTrailing } from '../domain/text.ts';

/**
 * Links in the message body, with the text the reader sees next to where they really go. HTML is read with a
 * small linear scanner (no DOM, no backtracking regular expressions over the body), only as far as
 * HTML_SCAN_LIMIT, and at most MAX_LINKS are kept: enough for any real message, bounded for hostile ones.
 */

export interface Link {
  text?: string;
  href: string;
  host: string;
}

export const HTML_SCAN_LIMIT = 2 * 1024 * 1024;
export const MAX_LINKS = 300;
const MAX_TEXT = 200;

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', sol: '/', colon: ':', period: '.', commat: '@', lpar: '(', rpar: ')' };

export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});?/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

/** Removes <script>, <style> and <head> blocks in one pass (an unclosed one runs to the end). */
function dropBlocks(html: string): string {
  const lower = html.toLowerCase();
  const opening = /<(script|style|head)[\s>]/g;
  let out = '';
  let at = 0;
  for (;;) {
    // lastIndex carries on from the previous block: no copy of the rest of the body per block.
    opening.lastIndex = at;
    const found = opening.exec(lower);
    if (!found) break;
    const start = found.index;
    out += html.slice(at, start) + ' ';
    const close = lower.indexOf(`</${found[1]!}`, start);
    if (close < 0) return out;
    const end = lower.indexOf('>', close);
    if (end < 0) return out;
    at = end + 1;
  }
  return out + html.slice(at);
}

/** Plain text of an HTML fragment: scripts and styles dropped, tags removed, entities decoded, spaces collapsed. */
export function htmlToText(html: string): string {
  return decodeEntities(
    dropBlocks(html)
      .replace(/<br\s*\/?>|<\/(p|div|tr|li|h[1-6])\s*>/gi, '\n')
      // [^<>] rather than [^>]: a run of unclosed "<" must not make this quadratic.
      .replace(/<[^<>]*>/g, ' '),
  )
    .replace(/[ \t\r\f\v\u00a0]+/g, ' ')
    // Each run of whitespace is seen once: one holding a line break becomes that line break. (\s*\n\s* would
    // rescan a long run without a line break from every position in it.)
    .replace(/\s+/g, (run) => (run.includes('\n') ? '\n' : run))
    .trim();
}

/** A tag's href, written out so that the lint can check it (a pattern built at run time is never checked). */
const HREF = /\shref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i;

/** Reads the href out of a tag's text. */
function hrefOf(tag: string): string | undefined {
  const match = HREF.exec(tag);
  if (!match) return undefined;
  return decodeEntities(match[1] ?? match[2] ?? match[3] ?? '').trim();
}

/** Mail security gateways rewrite links through their own host; the destination is what matters. */
export function unwrapRedirect(url: URL): URL {
  let current = url;
  for (let i = 0; i < 3; i++) {
    const host = current.hostname;
    let inner: string | null = null;
    if (host.endsWith('safelinks.protection.outlook.com')) inner = current.searchParams.get('url');
    else if ((host === 'www.google.com' || host === 'google.com') && current.pathname === '/url') inner = current.searchParams.get('q') ?? current.searchParams.get('url');
    else if (host === 'urldefense.com' || host === 'urldefense.proofpoint.com') inner = /\/v3\/__(.+?)__;/.exec(current.pathname + current.search)?.[1] ?? current.searchParams.get('u');
    if (!inner) break;
    try {
      current = new URL(inner);
    } catch {
      break;
    }
  }
  return current;
}

function toUrl(href: string): URL | undefined {
  let candidate = href.trim();
  if (/^www\./i.test(candidate)) candidate = `http://${candidate}`;
  else if (candidate.startsWith('//')) candidate = `https:${candidate}`;
  if (!/^https?:\/\//i.test(candidate)) return undefined;
  try {
    const url = unwrapRedirect(new URL(candidate));
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function addLink(out: Link[], seen: Set<string>, href: string, text: string | undefined): void {
  if (out.length >= MAX_LINKS) return;
  const url = toUrl(href);
  if (!url || !url.hostname) return;
  const key = `${url.href}\u0000${text ?? ''}`;
  if (seen.has(key)) return;
  seen.add(key);
  out.push({ ...(text ? { text } : {}), href: url.href, host: url.hostname });
}

const TEXT_URL = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;

/** Links from the HTML body (anchors and image maps, with their visible text) and bare URLs in the text body. */
export function extractLinks(html: string | undefined, text: string | undefined): { links: Link[]; truncated: boolean } {
  const links: Link[] = [];
  const seen = new Set<string>();
  const hrefsFromHtml = new Set<string>();
  let truncated = false;
  if (html) {
    const source = html.length > HTML_SCAN_LIMIT ? html.slice(0, HTML_SCAN_LIMIT) : html;
    truncated = html.length > HTML_SCAN_LIMIT;
    const lower = source.toLowerCase();
    // Each search remembers where it found its next match, so that many anchors without "</a>" (or no <area>
    // at all) do not rescan the rest of the body for every tag: the walk stays linear.
    const nextOf = (needle: string) => {
      let found = -2;
      return (from: number) => {
        if (found === -1 || (found >= from && found !== -2)) return found;
        found = lower.indexOf(needle, from);
        return found;
      };
    };
    const nextAnchor = nextOf('<a');
    const nextArea = nextOf('<area');
    const nextClose = nextOf('</a');
    let at = 0;
    while (links.length < MAX_LINKS) {
      const a = nextAnchor(at);
      const area = nextArea(at);
      const start = a < 0 ? area : area < 0 ? a : Math.min(a, area);
      if (start < 0) break;
      const tagEnd = source.indexOf('>', start);
      if (tagEnd < 0) break;
      at = tagEnd + 1;
      const next = lower[start + (start === area ? 5 : 2)];
      if (next !== undefined && !/[\s/>]/.test(next)) continue; // <abbr>, <address>...
      const tag = source.slice(start, tagEnd + 1);
      const href = hrefOf(tag);
      if (!href) continue;
      let visible: string | undefined;
      if (start !== area) {
        const close = nextClose(at);
        if (close >= 0 && close - at < 5000) visible = htmlToText(source.slice(at, close)).replace(/\s+/g, ' ').slice(0, MAX_TEXT) || undefined;
      }
      hrefsFromHtml.add(href);
      addLink(links, seen, href, visible);
    }
  }
  if (text && links.length < MAX_LINKS) {
    const source = text.length > HTML_SCAN_LIMIT ? text.slice(0, HTML_SCAN_LIMIT) : text;
    for (const match of source.matchAll(TEXT_URL)) {
      if (links.length >= MAX_LINKS) break;
      const href = trimTrailing(match[0], '.,;:!?)]}>');
      if (hrefsFromHtml.has(href)) continue;
      const url = toUrl(href);
      // The text version of an HTML message repeats its links; keep one entry per target.
      if (url && links.some((l) => l.href === url.href)) continue;
      addLink(links, seen, href, undefined);
    }
  }
  return { links, truncated };
}

const HOST_LIKE = /^(?:https?:\/\/)?((?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,})(?::\d+)?(?:[/?#]\S*)?$/iu;

/** The host a link's visible text shows, when the text looks like a URL or a domain ("www.paypal.com/login"). */
export function hostShownIn(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const match = HOST_LIKE.exec(text.trim());
  if (!match) return undefined;
  try {
    return new URL(`http://${match[1]}`).hostname;
  } catch {
    return undefined;
  }
}
