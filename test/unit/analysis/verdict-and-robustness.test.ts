import { createHash, randomBytes } from 'node:crypto';
import { analyseEmail } from '../../../src/analysis/index.ts';
import { isAppError } from '../../../src/domain/errors.ts';
import { replaceLargeParts } from '../../../src/analysis/large-parts.ts';
import { verdictFor } from '../../../src/analysis/signals.ts';
import { sniff } from '../../../src/analysis/sniff.ts';
import { expectTimeInStepWithSize, inputsByScale } from '../../support/time-growth.ts';
import { codes, eml, mailbox, microsoftResults, OWN, school, signal } from './eml.ts';

describe('verdict rules', () => {
  const s = (severity: 'high' | 'medium' | 'low' | 'info') => ({ code: 'x', severity, evidence: 'e' });
  test.each([
    [[s('high')], false, 'likely_phishing'],
    [[s('medium'), s('medium')], false, 'suspicious'],
    [[s('medium'), s('low'), s('low'), s('info')], false, 'no_threat_found'],
    [[], false, 'no_threat_found'],
    [[s('high')], true, 'simulation'],
  ] as const)('%j (simulation %s) → %s', (signals, simulation, verdict) => {
    expect(verdictFor(signals, simulation)).toBe(verdict);
  });

  test('signals come most severe first', async () => {
    const result = await analyseEmail(eml({ from: mailbox('Jane Smith', 'js@gmail.com'), replyTo: 'x@acme-pay.example', html: '<a href="https://bit.ly/x">x</a>' }), school());
    const ranks = result.signals.map((x) => ['high', 'medium', 'low', 'info'].indexOf(x.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });
});

describe('the school’s own phishing simulation', () => {
  const simulated = (extra: string[] = [], top: string[] = []) => eml({ from: mailbox('Microsoft 365', 'alerts@phish-training.example'), top, extra, html: '<a href="https://phish-training.example/c/1">https://login.microsoftonline.com</a>' });

  test('a configured header marks it, whatever else it looks like', async () => {
    const result = await analyseEmail(simulated(['X-PHISHTEST: abc123']), school({ simulationSenders: ['X-PHISHTEST'] }));
    expect(result.verdict).toBe('simulation');
    expect(signal(result, 'phishing_simulation')!.evidence).toContain('X-PHISHTEST');
    expect(codes(result)).toContain('impersonates_brand');
  });

  test('a configured header with a value must match the value', async () => {
    const result = await analyseEmail(simulated(['X-Simulation: other-school']), school({ simulationSenders: ['X-Simulation: oakfield'] }));
    expect(result.verdict).not.toBe('simulation');
  });

  test('a configured sender domain marks it when authentication agrees', async () => {
    const result = await analyseEmail(simulated([], [microsoftResults({ from: 'phish-training.example' })]), school({ simulationSenders: ['phish-training.example'] }));
    expect(result.verdict).toBe('simulation');
  });

  test('a simulation domain with failing authentication is not believed', async () => {
    const result = await analyseEmail(simulated([], [microsoftResults({ dmarc: 'fail', compauth: 'fail', from: 'phish-training.example' })]), school({ simulationSenders: ['phish-training.example'] }));
    expect(result.verdict).toBe('likely_phishing');
    expect(codes(result)).toContain('simulation_unverified');
  });

  test('without configuration nothing is a simulation', async () => {
    const result = await analyseEmail(simulated(['X-PHISHTEST: abc123']), school());
    expect(result.verdict).toBe('likely_phishing');
    expect(codes(result)).not.toContain('phishing_simulation');
  });
});

describe('own addresses are never evidence', () => {
  test('the reporter’s and recipients’ addresses appear in no evidence, and are removed from link targets', async () => {
    const colleague = 'priya.patel@oakfield.sch.uk';
    const result = await analyseEmail(
      eml({
        top: [microsoftResults({ dmarc: 'fail', compauth: 'fail', spf: 'fail', from: 'oakfield.sch.uk' })],
        from: mailbox(`Mailbox ${OWN}`, OWN),
        cc: colleague,
        replyTo: colleague,
        html: `<a href="https://mailbox-quota.web.app/?email=${encodeURIComponent(OWN)}&cc=${colleague}">https://outlook.office.com/${OWN}</a>`,
      }),
      school(),
    );
    expect(result.verdict).toBe('likely_phishing');
    const everything = JSON.stringify({ signals: result.signals, links: result.links });
    expect(everything).not.toContain(OWN);
    expect(everything).not.toContain(encodeURIComponent(OWN));
    expect(everything).not.toContain(colleague);
    expect(result.links[0]!.href).toContain('[recipient]');
  });
});

describe('robustness', () => {
  test('a multipart message with a missing closing boundary still gives a result', async () => {
    const broken = ['From: a@example.org', 'To: b@oakfield.sch.uk', 'Subject: broken', 'Content-Type: multipart/mixed; boundary="b1"', '', '--b1', 'Content-Type: text/plain', '', 'hello https://bit.ly/x', '--b1', 'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', 'TVqQAAMAAAAEAAAA//8AALgAAAAA!!!not base64'].join('\r\n');
    const result = await analyseEmail(broken, school());
    expect(result.message.subject).toBe('broken');
    expect(codes(result)).toContain('link_shortener');
    expect(result.attachments[0]!.detectedType).toBe('pe-executable');
  });

  test('garbage, an empty file and absurd nesting are rejected with a clear invalid-input error', async () => {
    await expect(analyseEmail(randomBytes(2000), school())).rejects.toMatchObject({ code: 'invalid_input', userMessage: expect.stringContaining('not an email') });
    await expect(analyseEmail(new Uint8Array(0), school())).rejects.toMatchObject({ code: 'invalid_input', userMessage: 'The email file is empty.' });
    const nested = ['From: a@example.org', 'Subject: deep', ...Array.from({ length: 200 }, (_, i) => `Content-Type: multipart/mixed; boundary="n${i}"\r\n\r\n--n${i}`), 'Content-Type: text/plain', '', 'x'].join('\r\n');
    const error = await analyseEmail(nested, school()).catch((e: unknown) => e);
    expect(isAppError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'invalid_input' });
  });

  test('mangled messages (cut, spliced, bytes flipped) give a result or an invalid-input error, never anything else', async () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const bases = [
      eml({ from: mailbox('Jane Smith', 'js@gmail.com'), html: '<a href="https://bit.ly/x">https://www.paypal.com</a>', attachments: [{ filename: 'a.zip', content: Buffer.from('PK\x03\x04rest', 'latin1') }] }),
      eml({ top: [microsoftResults({ dmarc: 'fail' })], subject: 'Yоur аccount', text: 'gift cards please' }),
    ].map((m) => Buffer.from(m));
    const splices = ['\r\n', '--', '--mix-1\r\n', 'Content-Type: multipart/mixed; boundary="x"\r\n\r\n', '=?UTF-8?B?', '<a href="', '\u202e', 'xn--', '\x00'];
    for (let i = 0; i < 300; i++) {
      let bytes = bases[i % bases.length]!;
      for (let k = 0; k < 4; k++) {
        const at = Math.floor(random() * bytes.length);
        const choice = random();
        if (choice < 0.3) bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + Math.floor(random() * 120)))]);
        else if (choice < 0.6) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(splices[Math.floor(random() * splices.length)]!), bytes.subarray(at)]);
        else bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([Math.floor(random() * 256)]), bytes.subarray(at + 1)]);
      }
      const outcome = await analyseEmail(bytes, school()).then(
        (result) => result.verdict,
        (error: unknown) => (isAppError(error) && error.code === 'invalid_input' ? 'rejected' : error),
      );
      expect(['likely_phishing', 'suspicious', 'no_threat_found', 'rejected']).toContain(outcome);
    }
  });

  test('input as string, Uint8Array, Buffer and ArrayBuffer gives the same result', async () => {
    const text = eml({ from: mailbox('Jane Smith', 'js@gmail.com') });
    const buffer = Buffer.from(text);
    const results = await Promise.all([text, buffer, new Uint8Array(buffer), new Uint8Array(buffer).buffer].map((raw) => analyseEmail(raw, school())));
    for (const r of results) expect(r).toEqual(results[0]);
  });

  test('the content fingerprint joins copies sent to different people, and separates different messages', async () => {
    const to = (who: string, body = 'Your mailbox is full. Click below.') => eml({ from: mailbox('IT', 'it@quota.example'), to: who, html: `<p>${body} <a href="https://quota.example/?u=${who}">Fix it</a></p>` });
    const a = await analyseEmail(to('bob.jones@oakfield.sch.uk'), school());
    const b = await analyseEmail(to('priya.patel@oakfield.sch.uk'), school());
    const c = await analyseEmail(to('bob.jones@oakfield.sch.uk', 'Your password expires today.'), school());
    expect(a.contentFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(a.contentFingerprint).toBe(b.contentFingerprint);
    expect(a.contentFingerprint).not.toBe(c.contentFingerprint);
  });

  test('streamed large parts hash exactly like parsed small ones', async () => {
    const content = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(300_000)]);
    const message = Buffer.from(eml({ attachments: [{ filename: 'a.pdf', content }, { filename: 'b.bin', content: content.subarray(0, 1000) }] }));
    const prepared = replaceLargeParts(message, 100_000, 'marker-');
    expect(prepared.bytes.length).toBeLessThan(20_000);
    const streamed = [...prepared.replaced.values()];
    expect(streamed).toHaveLength(1);
    expect(streamed[0]).toEqual(sniff(content));
  });

  test('a 35 MB message is analysed in time in step with its size, its attachment hashed without holding it decoded', async () => {
    // A 26 MB attachment at the larger size, an eighth of it at the smaller.
    const messageAt = inputsByScale((scale) => {
      const attachment = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(3_250_000 * scale)]);
      return { attachment, message: Buffer.from(eml({ from: mailbox('Acme', 'a@acme.co.uk'), html: '<p>Report attached <a href="https://bit.ly/big">link</a></p>', attachments: [{ filename: 'report.pdf', contentType: 'application/pdf', content: attachment }] })) };
    });
    const { attachment, message } = messageAt(8);
    expect(message.length).toBeGreaterThan(35_000_000);
    const result = await expectTimeInStepWithSize('35 MB message', (scale) => analyseEmail(messageAt(scale).message, school()), { prepare: messageAt });
    expect(result.message.size).toBe(message.length);
    expect(result.attachments).toEqual([expect.objectContaining({ filename: 'report.pdf', detectedType: 'pdf', size: attachment.length, sha256: createHash('sha256').update(attachment).digest('hex') })]);
    expect(codes(result)).toContain('link_shortener');
  });
});
