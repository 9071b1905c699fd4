import { analyseEmail } from '../../../src/analysis/index.ts';
import { codes, eml, mailbox, school, signal } from './eml.ts';

describe('display names imitating staff, the school or a brand', () => {
  test('"the headteacher needs gift cards": staff name from Gmail asking for gift cards is likely phishing', async () => {
    const result = await analyseEmail(
      eml({
        from: mailbox('Jane Smith', 'headteacher.jsmith@gmail.com'),
        subject: 'Are you available?',
        text: 'Hi Bob, are you in school? I need you to get some Amazon gift cards for a staff reward today. Keep this between us for now, it is a surprise. Jane',
      }),
      school(),
    );
    expect(signal(result, 'impersonates_staff')).toMatchObject({ severity: 'high' });
    expect(signal(result, 'impersonates_staff')!.evidence).toBe('display name "Jane Smith" matches staff member Jane Smith, but sent from headteacher.jsmith@gmail.com');
    expect(codes(result)).toEqual(expect.arrayContaining(['request_gift_cards', 'urgent_request']));
    expect(result.verdict).toBe('likely_phishing');
    expect(result.signals[0]!.code).toBe('impersonates_staff');
  });

  test('the same name from the school’s own domain is a colleague', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Jane Smith', 'j.smith@oakfield.sch.uk') }), school());
    expect(codes(result)).not.toContain('impersonates_staff');
  });

  test('a name that only starts the same way is not a match', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Jane Smithson', 'jane@gmail.com') }), school());
    expect(codes(result)).not.toContain('impersonates_staff');
  });

  test('initial and surname, and a title with extra words, still match', async () => {
    const initial = await analyseEmail(eml({ from: mailbox('J. Smith', 'js@mail-office.example') }), school());
    expect(signal(initial, 'impersonates_staff')).toMatchObject({ severity: 'high' });
    const titled = await analyseEmail(eml({ from: mailbox('Mrs Jane Smith (Headteacher)', 'js@mail-office.example') }), school());
    expect(signal(titled, 'impersonates_staff')).toMatchObject({ severity: 'high' });
  });

  test('a title and surname alone is a weaker (medium) match', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Mrs Smith', 'mrs.smith@gmail.com') }), school());
    expect(signal(result, 'impersonates_staff')).toMatchObject({ severity: 'medium' });
  });

  test('a staff name spelt with a Cyrillic letter still matches, and says so', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Jаne Smith', 'jane@mail-office.example') }), school());
    expect(signal(result, 'impersonates_staff')!.evidence).toContain('look-alike');
    expect(codes(result)).toContain('mixed_scripts');
  });

  test('the school’s name from outside is high', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Oakfield Primary School Office', 'oakfield.office@gmail.com') }), school());
    expect(signal(result, 'impersonates_school')).toMatchObject({ severity: 'high' });
  });

  test('the school’s domain written into the display name is high', async () => {
    const result = await analyseEmail(eml({ from: mailbox('office@oakfield.sch.uk', 'noreply@notices.example') }), school());
    expect(signal(result, 'impersonates_school')!.evidence).toContain('oakfield.sch.uk');
  });

  test('a local business sharing the school’s place name is not the school', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Oakfield Timber Ltd', 'sales@oakfieldtimber.co.uk') }), school());
    expect(codes(result)).not.toContain('impersonates_school');
  });

  test('a bare school role from a free-mail account is high ("Headteacher" on Gmail)', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Headteacher', 'head.oakfield.school@gmail.com'), text: 'Are you free? I need a quick favour.' }), school());
    expect(signal(result, 'impersonates_role')).toMatchObject({ severity: 'high' });
    expect(result.verdict).toBe('likely_phishing');
  });

  test('a school role from a company domain is medium; a person’s name is no role', async () => {
    const msp = await analyseEmail(eml({ from: mailbox('IT Support', 'helpdesk@school-it-partner.co.uk') }), school());
    expect(signal(msp, 'impersonates_role')).toMatchObject({ severity: 'medium' });
    const parent = await analyseEmail(eml({ from: mailbox('Sam Head', 'sam.head@gmail.com') }), school());
    expect(codes(parent)).not.toContain('impersonates_role');
    const colleague = await analyseEmail(eml({ from: mailbox('Headteacher', 'head@oakfield.sch.uk') }), school());
    expect(codes(colleague)).not.toContain('impersonates_role');
  });

  test('a brand name from another domain is high, also with department words', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Microsoft 365 Security Team', 'alerts@secure-notify.example') }), school());
    expect(signal(result, 'impersonates_brand')).toMatchObject({ severity: 'high' });
    expect(signal(result, 'impersonates_brand')!.evidence).toContain('Microsoft');
  });

  test('a brand name with a digit swap still matches', async () => {
    const result = await analyseEmail(eml({ from: mailbox('PayPaI Service', 'service@pp-mail.example') }), school());
    expect(signal(result, 'impersonates_brand')!.evidence).toContain('PayPal');
  });

  test('the brand writing from its own domain is fine', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Microsoft', 'account-security-noreply@accountprotection.microsoft.com') }), school());
    expect(codes(result)).not.toContain('impersonates_brand');
  });

  test('a brand word inside an ordinary name is not impersonation', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Apple Tree Day Nursery', 'office@appletreenursery.example') }), school());
    expect(codes(result)).not.toContain('impersonates_brand');
  });

  test('an address written into the display name that is not the real one', async () => {
    const result = await analyseEmail(eml({ from: '"service@paypal.co.uk" <alerts@pp-billing.example>' }), school());
    expect(signal(result, 'display_name_address')!.evidence).toContain('service@paypal.co.uk');
  });

  test('a display name that repeats its own address is fine', async () => {
    const result = await analyseEmail(eml({ from: '"news@acme.co.uk" <news@acme.co.uk>' }), school());
    expect(codes(result)).not.toContain('display_name_address');
  });
});

describe('request wording', () => {
  test('a change of bank details', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Acme Supplies', 'accounts@acme.co.uk'), text: 'Please note we have changed our bank account details, kindly update your records before paying the attached invoice.' }), school());
    expect(signal(result, 'request_bank_change')).toMatchObject({ severity: 'medium' });
  });

  test('an ordinary message has no request wording', async () => {
    const result = await analyseEmail(eml({ text: 'Thanks for the lovely assembly today. The children enjoyed it.' }), school());
    expect(codes(result).filter((c) => c.startsWith('request_') || c === 'urgent_request')).toEqual([]);
  });
});
