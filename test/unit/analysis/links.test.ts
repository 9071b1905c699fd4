import { analyseEmail } from '../../../src/analysis/index.ts';
import { extractLinks, hostShownIn } from '../../../src/analysis/links.ts';
import { expectTimeInStepWithSize, inputsByScale } from '../../support/time-growth.ts';
import { codes, eml, mailbox, school, signal } from './eml.ts';

const from = mailbox('Acme', 'news@acme.co.uk');
const withLink = (href: string, text = 'Open') => eml({ from, html: `<p>Hello</p><p><a href="${href}">${text}</a></p>` });

describe('links', () => {
  test('visible text naming a brand’s site but going elsewhere is high', async () => {
    const result = await analyseEmail(withLink('https://secure-check.example/login', 'https://www.paypal.com/signin'), school());
    expect(signal(result, 'link_text_mismatch')).toMatchObject({ severity: 'high', evidence: 'link text shows www.paypal.com but goes to secure-check.example' });
  });

  test('visible text naming another ordinary site is medium', async () => {
    const result = await analyseEmail(withLink('https://tracker.example/c/1', 'www.acme-shop.com'), school());
    expect(signal(result, 'link_text_mismatch')).toMatchObject({ severity: 'medium' });
  });

  test('visible text matching the target (also through Safe Links) is fine', async () => {
    const safe = `https://eur01.safelinks.protection.outlook.com/?url=${encodeURIComponent('https://www.acme.co.uk/news')}&data=x`;
    const result = await analyseEmail(withLink(safe, 'www.acme.co.uk/news'), school());
    expect(codes(result)).not.toContain('link_text_mismatch');
    expect(result.links).toEqual([{ text: 'www.acme.co.uk/news', href: 'https://www.acme.co.uk/news', host: 'www.acme.co.uk' }]);
  });

  test('visible text and target on two domains of the same brand is fine', async () => {
    const result = await analyseEmail(withLink('https://www.paypal.com/uk/signin', 'www.paypal.co.uk'), school());
    expect(codes(result)).not.toContain('link_text_mismatch');
  });

  test('punycode host', async () => {
    const result = await analyseEmail(withLink('https://xn--pypal-4ve.com/'), school());
    expect(signal(result, 'link_punycode')!.evidence).toContain('pаypal.com');
    expect(signal(result, 'lookalike_domain')).toMatchObject({ severity: 'high' });
  });

  test('an ordinary host is not punycode', async () => {
    const result = await analyseEmail(withLink('https://www.acme.co.uk/'), school());
    expect(codes(result)).not.toContain('link_punycode');
  });

  test('a raw IP address', async () => {
    const result = await analyseEmail(withLink('http://192.0.2.44/owa/login.php'), school());
    expect(signal(result, 'link_ip_address')).toMatchObject({ severity: 'high', evidence: 'link goes to a bare IP address 192.0.2.44' });
  });

  test('a host name is not an IP address', async () => {
    const result = await analyseEmail(withLink('http://host192.example/'), school());
    expect(codes(result)).not.toContain('link_ip_address');
  });

  test('a URL shortener (low)', async () => {
    const result = await analyseEmail(withLink('https://bit.ly/3xYz'), school());
    expect(signal(result, 'link_shortener')).toMatchObject({ severity: 'low' });
  });

  test('a full-length link is no shortener', async () => {
    const result = await analyseEmail(withLink('https://www.bbc.co.uk/news'), school());
    expect(codes(result)).not.toContain('link_shortener');
  });

  test.each(['https://contoso-payroll.web.app/', 'https://oakfieldhr.blob.core.windows.net/share/index.html', 'https://x7.sharepoint-docs.workers.dev/', 'https://contosoedu.onmicrosoft.com/'])('%s is an abused SaaS host, shown in full', async (href) => {
    const result = await analyseEmail(withLink(href), school());
    expect(signal(result, 'link_saas_host')!.evidence).toContain(new URL(href).hostname);
  });

  test('a link on the school’s own site raises nothing', async () => {
    const result = await analyseEmail(withLink('https://www.oakfield.sch.uk/letters/trip.pdf', 'www.oakfield.sch.uk'), school());
    expect(codes(result).filter((c) => c.startsWith('link_'))).toEqual([]);
  });

  test('IPFS gateways, by host or by an /ipfs/ path', async () => {
    const byHost = await analyseEmail(withLink('https://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi.ipfs.dweb.link/'), school());
    expect(codes(byHost)).toContain('link_ipfs_gateway');
    const byPath = await analyseEmail(withLink('https://gw.example.net/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/'), school());
    expect(signal(byPath, 'link_ipfs_gateway')!.evidence).toContain('gw.example.net');
  });

  test('an ordinary path is not IPFS', async () => {
    const result = await analyseEmail(withLink('https://www.acme.co.uk/products/ipfs-guide'), school());
    expect(codes(result)).not.toContain('link_ipfs_gateway');
  });

  test('a form from outside the school is low; from a colleague it is nothing', async () => {
    const outside = await analyseEmail(withLink('https://forms.office.com/r/AbC123'), school());
    expect(signal(outside, 'link_form_host')).toMatchObject({ severity: 'low' });
    const colleague = await analyseEmail(eml({ from: mailbox('Priya Patel', 'p.patel@oakfield.sch.uk'), html: '<a href="https://forms.office.com/r/AbC123">Staff survey</a>' }), school());
    expect(codes(colleague)).not.toContain('link_form_host');
  });

  test('extraction: anchors with entities and nested markup, bare URLs in text, no duplicates', () => {
    const { links } = extractLinks('<a class="b" href="https://a.example/x?y=1&amp;z=2"><span>Go <b>now</b></span></a><abbr>x</abbr><a href=\'mailto:x@y.z\'>mail</a>', 'See https://a.example/x?y=1&z=2 and www.b.example/path.');
    expect(links).toEqual([
      { text: 'Go now', href: 'https://a.example/x?y=1&z=2', host: 'a.example' },
      { href: 'http://www.b.example/path', host: 'www.b.example' },
    ]);
    expect(hostShownIn('Click here')).toBeUndefined();
    expect(hostShownIn('https://www.paypal.com/signin')).toBe('www.paypal.com');
  });

  test('an HTML body over 2 MB is read for links only as far as 2 MB, and says so', async () => {
    const big = `<a href="https://bit.ly/early">a</a>${'<p>filler text for the newsletter</p>'.repeat(60_000)}<a href="http://192.0.2.9/late">b</a>`;
    const result = await analyseEmail(eml({ from, html: big }), school());
    expect(signal(result, 'body_truncated')).toMatchObject({ severity: 'info' });
    expect(codes(result)).toContain('link_shortener');
    expect(codes(result)).not.toContain('link_ip_address');
    const small = await analyseEmail(withLink('https://bit.ly/early'), school());
    expect(codes(small)).not.toContain('body_truncated');
  });

  test('hostile HTML (thousands of unclosed tags) is read in time in step with its length', async () => {
    // At the larger size: 5,000 unclosed links, 200,000 "<" and 20,000 unclosed scripts.
    const htmlAt = inputsByScale((scale) => '<a href="https://x.example/">'.repeat(625 * scale) + '<'.repeat(25_000 * scale) + '<script>'.repeat(2_500 * scale));
    const { links } = await expectTimeInStepWithSize('unclosed tags', (scale) => extractLinks(htmlAt(scale), undefined), { prepare: htmlAt });
    expect(links.length).toBe(1);
  });
});
