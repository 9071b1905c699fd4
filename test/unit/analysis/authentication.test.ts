import { analyseEmail } from '../../../src/analysis/index.ts';
import { parseAuthenticationResults, stripComments } from '../../../src/analysis/authentication.ts';
import { codes, eml, microsoftResults, school, signal } from './eml.ts';

describe('authentication: only the top-most header of our own tenant counts', () => {
  test('DMARC, SPF and compauth failures in our Microsoft 365 header are signals', async () => {
    const result = await analyseEmail(eml({ top: [microsoftResults({ spf: 'fail', dmarc: 'fail', compauth: 'fail' })] }), school());
    expect(result.authentication).toMatchObject({ authservId: 'microsoft-365', spf: 'fail', dmarc: 'fail', compauth: 'fail', dkim: 'pass' });
    expect(codes(result)).toEqual(expect.arrayContaining(['auth_dmarc_fail', 'auth_spf_fail', 'auth_compauth_fail']));
    expect(signal(result, 'auth_compauth_fail')!.evidence).toContain('reason 000');
    expect(result.verdict).toBe('suspicious');
  });

  test('a passing header produces no authentication signal (and passing is not a verdict of safety)', async () => {
    const result = await analyseEmail(eml({ top: [microsoftResults({})] }), school());
    expect(codes(result).filter((c) => c.startsWith('auth_'))).toEqual([]);
    expect(result.verdict).toBe('no_threat_found');
  });

  test('our own header above a forged lower one wins: a forged "pass" below does not hide our "fail"', async () => {
    const forged = 'Authentication-Results: compauth=pass reason=100; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org';
    const result = await analyseEmail(eml({ top: [microsoftResults({ dmarc: 'fail', compauth: 'fail' }), forged] }), school());
    expect(result.authentication?.dmarc).toBe('fail');
    expect(codes(result)).toContain('auth_dmarc_fail');
  });

  test('a forged "fail" below our passing header is ignored', async () => {
    const forged = 'Authentication-Results: compauth=fail reason=000; spf=fail; dmarc=fail header.from=example.org';
    const result = await analyseEmail(eml({ top: [microsoftResults({}), forged] }), school());
    expect(result.authentication?.dmarc).toBe('pass');
    expect(codes(result).filter((c) => c.startsWith('auth_'))).toEqual([]);
  });

  test("Google's mx.google.com header is recognised; softfail and missing DKIM are reported with their weight", async () => {
    const google =
      'Authentication-Results: mx.google.com;\r\n       dkim=none;\r\n       spf=softfail (google.com: domain of transitioning x@example.org does not designate 192.0.2.1 as permitted sender) smtp.mailfrom=x@example.org;\r\n       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.org';
    const result = await analyseEmail(eml({ top: [google, 'ARC-Seal: i=1; a=rsa-sha256; t=1; cv=none; d=google.com; s=arc; b=x'] }), school());
    expect(result.authentication).toMatchObject({ authservId: 'mx.google.com', spf: 'softfail', dkim: 'none', dmarc: 'pass', arc: 'none' });
    expect(signal(result, 'auth_spf_softfail')!.severity).toBe('low');
    expect(signal(result, 'auth_dkim_none')!.severity).toBe('info');
    expect(result.verdict).toBe('no_threat_found');
  });

  test('headers from other servers alone are not believed', async () => {
    const result = await analyseEmail(eml({ top: ['Authentication-Results: relay.example.net; spf=fail smtp.mailfrom=example.org; dmarc=fail header.from=example.org'] }), school());
    expect(result.authentication).toBeUndefined();
    expect(codes(result)).toEqual(['auth_results_missing']);
    expect(signal(result, 'auth_results_missing')!.evidence).toContain('1 from other servers ignored');
  });

  test('a configured authserv-id replaces the defaults', async () => {
    const ours = 'Authentication-Results: mx.oakfield-mail.example; spf=fail smtp.mailfrom=example.org; dmarc=fail header.from=example.org';
    const google = 'Authentication-Results: mx.google.com; spf=pass; dmarc=pass';
    const result = await analyseEmail(eml({ top: [google, ours] }), school({ tenantAuthservIds: ['oakfield-mail.example'] }));
    expect(result.authentication).toMatchObject({ authservId: 'mx.oakfield-mail.example', dmarc: 'fail' });
  });

  test('spoofing the school’s own domain with failing DMARC is high', async () => {
    const result = await analyseEmail(eml({ from: '"Office" <office@oakfield.sch.uk>', top: [microsoftResults({ dmarc: 'fail', compauth: 'fail', from: 'oakfield.sch.uk' })] }), school());
    expect(signal(result, 'spoofed_sender_domain')).toMatchObject({ severity: 'high' });
    expect(result.verdict).toBe('likely_phishing');
  });

  test('the school’s own domain with passing DMARC is not spoofed', async () => {
    const result = await analyseEmail(eml({ from: '"Office" <office@oakfield.sch.uk>', top: [microsoftResults({ from: 'oakfield.sch.uk' })] }), school());
    expect(codes(result)).not.toContain('spoofed_sender_domain');
  });

  test.each([
    ['dmarc', 'none', 'low'],
    ['dmarc', 'permerror', 'low'],
    ['compauth', 'softfail', 'low'],
    ['compauth', 'none', 'low'],
    ['spf', 'none', 'low'],
    ['spf', 'permerror', 'low'],
    ['dkim', 'fail', 'low'],
    ['arc', 'fail', 'low'],
  ])('%s=%s is auth_%s_%s at %s severity; =pass is nothing', async (method, result, severity) => {
    const header = (r: string) => `Authentication-Results: ${method === 'compauth' ? '' : 'compauth=pass reason=100; '}${method}=${r} (detail) x.y=z`;
    const failing = await analyseEmail(eml({ top: [header(result)] }), school());
    expect(signal(failing, `auth_${method}_${result}`)).toMatchObject({ severity });
    const passing = await analyseEmail(eml({ top: [header('pass')] }), school());
    expect(codes(passing).filter((c) => c.startsWith('auth_'))).toEqual([]);
  });

  test('comments with semicolons and a version after the authserv-id parse correctly', () => {
    expect(stripComments('spf=pass (a; (nested) b) smtp.mailfrom="x;(y)"')).toBe('spf=pass  smtp.mailfrom="x;(y)"');
    const parsed = parseAuthenticationResults('mx.example.org 1; spf=fail (why; because) smtp.mailfrom=a.example; dkim=pass header.d=a.example');
    expect(parsed.authservId).toBe('mx.example.org');
    expect(parsed.results.get('spf')?.result).toBe('fail');
    expect(parsed.results.get('dkim')?.props['header.d']).toBe('a.example');
  });
});
