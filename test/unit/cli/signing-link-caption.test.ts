import { signingLinkCaption, whyLinkOnlyWorksHere } from '../../../src/app/aup/create-signing-link.ts';
import { captionedQrSvg, wrap } from '../../../src/cli/qr-caption.ts';
import type { AupSigningLink } from '../../../src/domain/aup-delivery.ts';

const link = (expiresAt: string): AupSigningLink => ({
  id: 'l1',
  schoolId: 's1',
  audience: 'visitor',
  intendedFor: 'Val <Visitor> & Co',
  email: 'val@visitor.example.org',
  personId: null,
  createdById: null,
  createdAt: '2026-12-07T10:00:00.000Z',
  expiresAt,
  usedAt: null,
  acknowledgementId: null,
});

describe('aup link prints the right address, with a caption', () => {
  test('aup link prints the right address: an unset, loopback or localhost base address only works on this machine', () => {
    expect(whyLinkOnlyWorksHere('http://127.0.0.1:3978', false)).toMatch(/PUBLIC_BASE_URL is not set, so the link would point at http:\/\/127\.0\.0\.1:3978/);
    for (const local of ['http://127.0.0.1:4000', 'https://localhost', 'http://[::1]:3978', 'http://dsl.localhost', 'http://0.0.0.0:3978']) {
      expect(whyLinkOnlyWorksHere(local, true)).toMatch(/which only this machine can open/);
    }
    expect(whyLinkOnlyWorksHere('https://dsl.oakfield.sch.uk', true)).toBeUndefined();
    expect(whyLinkOnlyWorksHere('http://10.0.0.5:3978', true)).toBeUndefined();
  });

  test('aup link prints the right address: the caption names who, which policy and the expiry in the school’s time zone, named', () => {
    const winter = signingLinkCaption({ link: link('2026-12-14T17:30:00.000Z'), policy: { title: 'Visitor Acceptable Use Policy', version: 2 }, school: { name: 'Oakfield Primary', timeZone: 'Europe/London' } });
    expect(winter).toEqual([
      'For: Val <Visitor> & Co (val@visitor.example.org), visitors',
      'Policy: Visitor Acceptable Use Policy, version 2, Oakfield Primary',
      'Works once, until Monday 14 December 2026, 17:30 Europe/London time (GMT)',
    ]);
    const summer = signingLinkCaption({ link: link('2027-06-14T17:30:00.000Z'), policy: { title: 'P', version: 1 }, school: { name: 'S', timeZone: 'Europe/London' } });
    expect(summer[2]).toBe('Works once, until Monday 14 June 2027, 18:30 Europe/London time (BST)');
  });

  test('aup link prints the right address: the saved SVG keeps the QR code and carries the caption under it, escaped and wrapped', () => {
    const qr = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29" shape-rendering="crispEdges"><path fill="#ffffff" d="M0 0h29v29H0z"/><path stroke="#000000" d="M2 2.5h7"/></svg>\n';
    const svg = captionedQrSvg(qr, ['For: Val <Visitor> & Co', 'Works once, until Monday 14 December 2026, 17:30 Europe/London time (GMT)']);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="480" height="\d+"/);
    expect(svg).toContain('viewBox="0 0 29 29"');
    expect(svg).toContain('<path stroke="#000000" d="M2 2.5h7"/>');
    expect(svg).toContain('<text x="240" y="508" text-anchor="middle">For: Val &lt;Visitor&gt; &amp; Co</text>');
    expect(svg).toContain('Europe/London time (GMT)</text>');
    expect(svg.match(/<text /g)).toHaveLength(3);
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(() => captionedQrSvg('<png/>', [])).toThrow(/could not be drawn/);
  });
});
