import { analyseEmail } from '../../../src/analysis/index.ts';
import { codes, eml, mailbox, OWN, school, signal } from './eml.ts';

describe('sender addresses: From, Reply-To, Return-Path', () => {
  test('Reply-To on another organisation’s domain', async () => {
    const result = await analyseEmail(eml({ from: '"Acme Finance" <finance@acme.co.uk>', replyTo: 'finance@acme-payments.com' }), school());
    expect(signal(result, 'reply_to_mismatch')).toMatchObject({ severity: 'medium' });
    expect(signal(result, 'reply_to_mismatch')!.evidence).toContain('finance@acme-payments.com');
  });

  test('Reply-To on the same organisation (another subdomain) is fine', async () => {
    const result = await analyseEmail(eml({ from: '"Acme" <news@mail.acme.co.uk>', replyTo: 'help@support.acme.co.uk' }), school());
    expect(codes(result)).not.toContain('reply_to_mismatch');
    expect(codes(result)).not.toContain('reply_to_freemail');
  });

  test('Reply-To to a free-mail account, from a company domain, is two medium signals: suspicious', async () => {
    const result = await analyseEmail(eml({ from: '"Acme Finance" <finance@acme.co.uk>', replyTo: 'acme.finance.dept@hotmail.co.uk' }), school());
    expect(codes(result)).toEqual(expect.arrayContaining(['reply_to_mismatch', 'reply_to_freemail']));
    expect(result.verdict).toBe('suspicious');
  });

  test.each(['x@gmail.com', 'x@outlook.com', 'x@yahoo.fr', 'x@icloud.com', 'x@proton.me', 'x@gmx.de', 'x@aol.com', 'x@btinternet.com'])('%s counts as free-mail', async (address) => {
    const result = await analyseEmail(eml({ from: '"Acme" <a@acme.co.uk>', replyTo: address }), school());
    expect(codes(result)).toContain('reply_to_freemail');
  });

  test('a Reply-To on a company domain is not free-mail', async () => {
    const result = await analyseEmail(eml({ from: '"Acme" <a@acme.co.uk>', replyTo: 'b@acme.co.uk' }), school());
    expect(codes(result)).not.toContain('reply_to_freemail');
  });

  test('Return-Path on another domain is a low signal (mailing services do it)', async () => {
    const result = await analyseEmail(eml({ from: '"Acme" <news@acme.co.uk>', returnPath: 'bounces+123@em.sendgrid.net' }), school());
    expect(signal(result, 'return_path_mismatch')).toMatchObject({ severity: 'low' });
    expect(result.verdict).toBe('no_threat_found');
  });

  test('Return-Path on the sender’s own domain is no signal', async () => {
    const result = await analyseEmail(eml({ from: '"Acme" <news@acme.co.uk>', returnPath: 'bounce@mailer.acme.co.uk' }), school());
    expect(codes(result)).not.toContain('return_path_mismatch');
  });

  test('sending from a new Microsoft 365 tenant (*.onmicrosoft.com) keeps the full host', async () => {
    const result = await analyseEmail(eml({ from: '"Payroll" <payroll@contosoedu4421.onmicrosoft.com>' }), school());
    expect(signal(result, 'sender_saas_host')!.evidence).toContain('contosoedu4421.onmicrosoft.com');
  });

  test('an ordinary company sender is not a SaaS tenant', async () => {
    const result = await analyseEmail(eml({ from: '"Acme" <news@acme.co.uk>' }), school());
    expect(codes(result)).not.toContain('sender_saas_host');
    expect(codes(result)).not.toContain('from_freemail');
  });

  test('a free-mail sender is noted as info only (parents write from Gmail all the time)', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Sam Parent', 'sam.parent@gmail.com') }), school());
    expect(signal(result, 'from_freemail')).toMatchObject({ severity: 'info' });
    expect(result.verdict).toBe('no_threat_found');
  });

  test('a Reply-To that is the recipient’s own address is not evidence of anything', async () => {
    const result = await analyseEmail(eml({ from: '"Acme" <a@acme.co.uk>', replyTo: OWN }), school());
    expect(codes(result)).not.toContain('reply_to_mismatch');
    expect(JSON.stringify(result.signals)).not.toContain(OWN);
  });
});
