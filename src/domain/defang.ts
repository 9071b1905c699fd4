/**
 * Text taken from a reported email (its sender, subject, links, attachment names, the analysis's evidence
 * quoting them) made safe to show on a card. Teams turns email addresses and web addresses in card text
 * into mailto: and http links, and reads Markdown links; a DSL must never be one tap away from the
 * phishing sender or its site. So the text is "defanged" the way security teams write indicators:
 *   harriet.head@gmail.com      → harriet[.]head [at] gmail[.]com
 *   https://evil.example/login  → hxxps[:]//evil[.]example/login
 *   [Click](https://…)          → [Click] (hxxps[:]//…)
 * Readable by a person, copyable for IT (undo the brackets), and no client makes a link of it: every dot
 * between two letters or digits becomes "[.]", so nothing left looks like a domain, an address or an IP.
 */
export function defang(text: string): string {
  return (
    text
      // Schemes first (before the dots), including the ones without "//".
      .replace(/\bhttp(s?):\/\//gi, (_match, s: string) => `hxxp${s}[:]//`)
      .replace(/\b([a-z][a-z0-9+.-]{1,30}):\/\//gi, '$1[:]//')
      // (ms-… names are bounded: an unbounded run would be re-scanned from every "ms-" in a long line.)
      .replace(/\b(mailto|tel|sms|callto|file|javascript|data|ms-[a-z-]{1,40}):/gi, '$1[:]')
      // Every address: "@" with the parts around it.
      .replace(/@/g, ' [at] ')
      // Every dot between two letters or digits (domains, IPs, file names whose extension is a top-level domain).
      .replace(/(?<=[\p{L}\p{N}_-])\.(?=[\p{L}\p{N}])/gu, '[.]')
      // Markdown: a link needs "](" together; "www" alone is no longer a link without its dots.
      .replace(/\]\(/g, '] (')
      // Markdown autolinks <…> and HTML: shown as typed, never as a tag.
      .replace(/</g, '‹')
      .replace(/>/g, '›')
  );
}
