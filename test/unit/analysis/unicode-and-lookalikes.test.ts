import { analyseEmail } from '../../../src/analysis/index.ts';
import { findLookalike, protectedDomains } from '../../../src/analysis/lookalike.ts';
import { DEFAULT_BRANDS } from '../../../src/analysis/brands.ts';
import { deepSkeleton, findInvisible, findMixedScripts, skeleton } from '../../../src/analysis/unicode.ts';
import { codes, eml, mailbox, school, signal } from './eml.ts';

describe('Unicode tricks in names and subjects', () => {
  test('a Cyrillic "а" in "PаyPal" is mixed scripts (high) and still reads as PayPal', async () => {
    const result = await analyseEmail(eml({ from: mailbox('PаyPal', 'service@pp-notice.example') }), school());
    expect(signal(result, 'mixed_scripts')).toMatchObject({ severity: 'high' });
    expect(signal(result, 'mixed_scripts')!.evidence).toContain('Cyrillic а (U+0430)');
    expect(signal(result, 'impersonates_brand')!.evidence).toContain('look-alike');
  });

  test('a name entirely in Cyrillic is not "mixed"', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Олена Коваленко', 'olena@example.org'), subject: 'Привіт' }), school());
    expect(codes(result)).not.toContain('mixed_scripts');
  });

  test('mixed scripts in the subject are medium', async () => {
    const result = await analyseEmail(eml({ subject: 'Yоur аccount will be closed' }), school());
    expect(signal(result, 'mixed_scripts')).toMatchObject({ severity: 'medium' });
  });

  test('combining marks that do not compose into a letter are flagged', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Micro\u0336soft Support', 'help@support-desk.example') }), school());
    expect(signal(result, 'combining_marks')!.evidence).toContain('U+0336');
    expect(codes(result)).toContain('impersonates_brand');
  });

  test('ordinary accents, even sent decomposed, are not combining-mark tricks', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Zoe\u0308 Bronte\u0308', 'zoe@example.org'), subject: 'Café menu' }), school());
    expect(codes(result)).not.toContain('combining_marks');
  });

  test('zero-width characters in a name are flagged, shown by code point', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Jane\u200B Smith', 'jane@mail-office.example'), subject: 'Pass\u200Dword expiry' }), school());
    const found = result.signals.filter((s) => s.code === 'invisible_characters');
    expect(found.map((s) => s.evidence).join(' ')).toMatch(/U\+200B.*U\+200D|U\+200D.*U\+200B/);
    expect(signal(result, 'impersonates_staff')!.evidence).toContain('<U+200B>');
  });

  test('a zero-width joiner inside an emoji sequence is not a trick', async () => {
    const result = await analyseEmail(eml({ subject: 'Family day 👨\u200D👩\u200D👧 this Saturday' }), school());
    expect(codes(result)).not.toContain('invisible_characters');
  });

  test('helpers', () => {
    expect(skeleton('Zoë')).toBe('zoe');
    expect(deepSkeleton('PayPaI')).toBe('paypal');
    expect(deepSkeleton('micr0s0ft')).toBe('microsoft');
    expect(deepSkeleton('rnicrosoft')).toBe('microsoft');
    expect(findMixedScripts('pаypal')?.scripts).toEqual(['Latin', 'Cyrillic']);
    expect(findInvisible('a\u202Eb')?.bidi).toBe(true);
  });
});

describe('look-alike domains', () => {
  const list = protectedDomains(['oakfield.sch.uk'], DEFAULT_BRANDS);

  test.each([
    ['paypa1.com', 'digit-swap', 'PayPal'],
    ['micros0ft.com', 'digit-swap', 'Microsoft'],
    ['oakfie1d.sch.uk', 'digit-swap', 'the school'],
    ['xn--pypal-4ve.com', 'homoglyph', 'PayPal'],
    ['paypal.com.account-check.xyz', 'embedded', 'PayPal'],
    ['oakfield-sch-uk-login.com', 'added-words', 'the school'],
    ['paypal-secure-login.com', 'added-words', 'PayPal'],
    ['oakfield.org.uk', 'other-tld', 'the school'],
    ['micosoft.com', 'typo', 'Microsoft'],
  ])('%s is a %s look-alike of %s', (host, kind, owner) => {
    const finding = findLookalike(host, list);
    expect(finding?.kind).toBe(kind);
    expect(finding?.target.owner).toBe(owner);
  });

  test.each(['paypal.com', 'www.paypal.co.uk', 'oakfield.sch.uk', 'mail.oakfield.sch.uk', 'example.org', 'bbc.co.uk', 'amazon.fr', 'hotmail.co.uk', 'gmail.com', 'login.microsoftonline.com'])('%s is not a look-alike', (host) => {
    expect(findLookalike(host, list)).toBeUndefined();
  });

  test('a look-alike sender domain of the school is high, with the character that gives it away', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Office', 'office@oakfie1d.sch.uk') }), school());
    expect(signal(result, 'lookalike_domain')).toMatchObject({ severity: 'high' });
    expect(signal(result, 'lookalike_domain')!.evidence).toContain('digit 1');
  });

  test('a Unicode sender domain written as it is (SMTPUTF8) is compared as the reader sees it', async () => {
    const result = await analyseEmail(eml({ from: '"Service" <service@pаypal.com>' }), school());
    expect(signal(result, 'lookalike_domain')).toMatchObject({ severity: 'high' });
    expect(signal(result, 'lookalike_domain')!.evidence).toContain('xn--pypal-4ve.com');
    expect(signal(result, 'mixed_scripts')!.evidence).toContain('sender domain');
  });

  test('an added-words domain is medium', async () => {
    const result = await analyseEmail(eml({ from: mailbox('IT', 'it@oakfield-sch-uk-login.com') }), school());
    expect(signal(result, 'lookalike_domain')).toMatchObject({ severity: 'medium' });
  });

  test('the genuine domains are not look-alikes', async () => {
    const result = await analyseEmail(eml({ from: mailbox('PayPal', 'service@paypal.co.uk'), html: '<a href="https://www.paypal.com/myaccount">Your account</a>' }), school());
    expect(codes(result)).not.toContain('lookalike_domain');
  });
});
