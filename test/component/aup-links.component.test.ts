import { createHash } from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import { policyPageUrl } from '../../src/app/aup/policy-page-links.ts';
import { loadConfig } from '../../src/config.ts';
import { signWithLink } from '../../src/app/aup/sign-with-link.ts';
import type { AppDeps } from '../../src/app/deps.ts';
import type { Clock, Storage, StorageTx } from '../../src/domain/ports.ts';
import { enginesUnderTest } from '../support/test-storage.ts';
import { startTestService, type TestService } from '../support/test-service.ts';

const DATA_KEYS = 'links-1:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';
const DATA_KEY_ID = 'links-1';

/** The key the service signs policy-page addresses with: derived from the data key, as the service derives it. */
const PAGE_LINK_KEY = loadConfig({ DSL_DESK_MODE: 'production', ENTRA_AUDIENCES: 'api://unused', DATA_KEYS, DATA_KEY_ID }).pageLinkKey;

const VISITOR_POLICY = {
  audience: 'visitor',
  title: 'Visitor Acceptable Use Policy',
  markdown: '# Using our Wi-Fi\n\n- Use the guest network only.\n- Do not photograph pupils.\n\n<script>alert(1)</script>\n\nSee [our website](https://example.org/aup).\n',
  acknowledgementWording: 'I agree to follow the visitor rules',
  effectiveDate: '2026-09-01',
  reviewDate: '2027-09-01',
};

/** `target` with some members replaced; its own methods stay bound to it (repositories keep private state). */
function overriding<T extends object>(target: T, replaced: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(object, property) {
      if (Object.prototype.hasOwnProperty.call(replaced, property)) return (replaced as Record<PropertyKey, unknown>)[property];
      const value = Reflect.get(object, property);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}

const TOKEN_IN_URL = /\/aup\/sign\/([A-Za-z0-9_-]{43})$/;

describe.each(enginesUnderTest())('one-time AUP signing links on %s', (engine) => {
  let t: TestService;
  let offsetMs = 0;
  const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };
  let admin: string;
  let policy: any;

  beforeEach(async () => {
    offsetMs = 0;
    t = await startTestService(engine, { DATA_KEYS, DATA_KEY_ID }, { clock });
    admin = await t.tokenFor(t.schoolA.admin, t.schoolA);
    const published = await t.request('/api/v1/aup/policies', { token: admin, body: VISITOR_POLICY });
    expect(published.status).toBe(201);
    policy = published.body;
  });
  afterEach(async () => {
    await t.close();
  });

  async function createLink(input: Record<string, unknown> = {}): Promise<{ id: string; token: string; path: string; body: any }> {
    const created = await t.request('/api/v1/aup/links', { token: admin, body: { audience: 'visitor', intendedFor: 'Vera Visitor', email: 'vera@example.org', ...input } });
    expect(created.status).toBe(201);
    const token = TOKEN_IN_URL.exec(created.body.url)?.[1];
    if (!token) throw new Error(`not a signing link: ${created.body.url}`);
    return { id: created.body.id, token, path: `/aup/sign/${token}`, body: created.body };
  }

  async function page(path: string): Promise<{ status: number; html: string; headers: Headers }> {
    const response = await fetch(`${t.url}${path}`);
    return { status: response.status, html: await response.text(), headers: response.headers };
  }

  async function submit(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; html: string }> {
    const response = await fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });
    return { status: response.status, html: await response.text() };
  }

  const signaturesOf = (policyId: string) => t.service.deps.storage.read((reader) => reader.aupAcknowledgements.forPolicy(t.schoolA.school.id, policyId));

  test('only the office, head and DSL make links, and only for an audience with a published policy', async () => {
    const staff = await t.tokenFor(t.schoolA.staff, t.schoolA);
    const refused = await t.request('/api/v1/aup/links', { token: staff, body: { audience: 'visitor', intendedFor: 'Vera Visitor' } });
    expect(refused.status).toBe(403);
    expect((await t.request('/api/v1/aup/links', { token: staff })).status).toBe(403);

    const noPolicy = await t.request('/api/v1/aup/links', { token: admin, body: { audience: 'governor', intendedFor: 'Gil Governor' } });
    expect(noPolicy.status).toBe(409);
    expect(noPolicy.body.error.message).toBe('There is no published policy for governors yet. Publish one first.');

    const invalid = await t.request('/api/v1/aup/links', { token: admin, body: { audience: 'visitor', intendedFor: 'V', validHours: 10_000 } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.fields.map((field: { path: string }) => field.path).sort()).toEqual(['intendedFor', 'validHours']);

    const dsl = await t.tokenFor(t.schoolA.dsl, t.schoolA);
    const made = await t.request('/api/v1/aup/links', { token: dsl, body: { audience: 'visitor', intendedFor: 'Vera Visitor', validHours: 2 } });
    expect(made.status).toBe(201);
    expect(made.body.url).toMatch(TOKEN_IN_URL);
    expect(made.body.qrSvg).toMatch(/^<svg role="img" aria-label="QR code of the signing link" [^>]*>.*<\/svg>\s*$/s);
    expect(Date.parse(made.body.expiresAt) - Date.now()).toBeGreaterThan(2 * 3_600_000 - 60_000);
    expect(Date.parse(made.body.expiresAt) - Date.now()).toBeLessThanOrEqual(2 * 3_600_000);

    // Only the token's hash is stored, and the audit trail names no one.
    const token = TOKEN_IN_URL.exec(made.body.url)![1]!;
    const stored = await t.db.dump('aup_signing_links');
    expect(stored).toContain(createHash('sha256').update(token).digest('hex'));
    expect(stored).not.toContain(token);
    const audit = (await t.db.raw(`select detail from audit_events where action = 'aup.link_created'`)) as { detail: string }[];
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({ linkId: made.body.id, audience: 'visitor', expiresAt: made.body.expiresAt });
    expect(audit[0]!.detail).not.toContain('Vera');

    const listed = await t.request('/api/v1/aup/links', { token: admin });
    expect(listed.status).toBe(200);
    expect(listed.body.links).toEqual([expect.objectContaining({ id: made.body.id, audience: 'visitor', intendedFor: 'Vera Visitor', status: 'open', usedAt: null })]);
    expect(JSON.stringify(listed.body)).not.toContain(token);
    // Another school sees none of them.
    expect((await t.request('/api/v1/aup/links', { token: await t.tokenFor(t.schoolB.admin, t.schoolB) })).body.links).toEqual([]);
  });

  test('a visitor reads the policy, fixes what they missed, signs once, and the office downloads the certificate', async () => {
    const link = await createLink();
    const opened = await page(link.path);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toMatch(/^text\/html/);
    expect(opened.headers.get('cache-control')).toBe('no-store');
    expect(opened.headers.get('referrer-policy')).toBe('no-referrer');
    expect(opened.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(opened.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(opened.html).toContain('<h1>Visitor Acceptable Use Policy</h1>');
    expect(opened.html).toContain('oakfield Primary');
    expect(opened.html).toContain('<dt>Version</dt><dd>1</dd>');
    expect(opened.html).toContain(`<code class="fingerprint">${policy.sha256}</code>`);
    expect(opened.html).toContain('1 September 2026');
    // Markdown becomes headings, lists and links; raw HTML is shown as text, never run.
    expect(opened.html).toContain('<h2>Using our Wi-Fi</h2>');
    expect(opened.html).toContain('<li>Do not photograph pupils.</li>');
    expect(opened.html).toContain('<a href="https://example.org/aup">our website</a>');
    expect(opened.html).not.toContain('<script>alert');
    expect(opened.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(opened.html).toContain('<label class="checkbox-label" for="agreed">I agree to follow the visitor rules</label>');
    expect(opened.html).not.toContain(link.token);

    // One character changed: the link matches nothing.
    const last = link.token.at(-1) === 'A' ? 'B' : 'A';
    const tampered = await page(`/aup/sign/${link.token.slice(0, -1)}${last}`);
    expect(tampered.status).toBe(404);
    expect(tampered.html).toContain('This signing link is not valid. Ask the school office for a new one.');
    expect((await page('/aup/sign/not-a-token')).status).toBe(404);

    // No tick and no email: both are named, and the name typed stays in the form.
    const missing = await submit(link.path, { policyId: policy.id, typedName: 'Vera Visitor', typedEmail: '' });
    expect(missing.status).toBe(400);
    expect(missing.html).toContain('There is a problem');
    expect(missing.html).toContain('<a href="#agreed">Tick the box to confirm you have read and agree to this policy.</a>');
    expect(missing.html).toContain('<a href="#typedEmail">Type your email address to sign.</a>');
    expect(missing.html).toContain('value="Vera Visitor"');
    expect(missing.html).not.toContain('href="#typedName"');
    // Ticked, but no name: the tick and the email stay.
    const noName = await submit(link.path, { policyId: policy.id, agreed: 'yes', typedName: ' ', typedEmail: 'vera@example.org' });
    expect(noName.status).toBe(400);
    expect(noName.html).toContain('<a href="#typedName">Type your full name to sign.</a>');
    expect(noName.html).toMatch(/id="agreed"[^>]* checked/);
    expect(noName.html).toContain('value="vera@example.org"');
    expect(await signaturesOf(policy.id)).toEqual([]);

    const signed = await submit(link.path, { policyId: policy.id, agreed: 'yes', typedName: 'Vera Visitor', typedEmail: 'vera@example.org' }, { 'user-agent': 'Mozilla/5.0 (reception kiosk)' });
    expect(signed.status).toBe(201);
    expect(signed.html).toContain('You have signed');
    expect(signed.html).toMatch(/Signed on \d{1,2} [A-Z][a-z]+ \d{4} at \d{2}:\d{2} (GMT|BST) — version 1/);
    expect(signed.html).toContain(policy.sha256);

    const signatures = await signaturesOf(policy.id);
    expect(signatures).toHaveLength(1);
    expect(signatures[0]).toMatchObject({
      personId: null,
      surface: 'web_link',
      typedName: 'Vera Visitor',
      typedEmail: 'vera@example.org',
      policyVersion: 1,
      sha256: policy.sha256,
      wording: 'I agree to follow the visitor rules',
      userAgent: 'Mozilla/5.0 (reception kiosk)',
      signingLinkId: link.id,
    });
    expect(signatures[0]!.ipAddress).toMatch(/127\.0\.0\.1$/);

    // The link works once, whether submitted again or opened again.
    const again = await submit(link.path, { policyId: policy.id, agreed: 'yes', typedName: 'Someone Else', typedEmail: 'else@example.org' });
    expect(again.status).toBe(409);
    expect(again.html).toContain('This link has already been used to sign.');
    expect((await page(link.path)).status).toBe(409);
    expect(await signaturesOf(policy.id)).toHaveLength(1);
    const listed = await t.request('/api/v1/aup/links', { token: admin });
    expect(listed.body.links[0]).toMatchObject({ id: link.id, status: 'used', acknowledgementId: signatures[0]!.id });

    const certificate = await fetch(`${t.url}/api/v1/aup/policies/${policy.id}/acknowledgements/${signatures[0]!.id}/certificate.pdf`, { headers: { authorization: `Bearer ${admin}` } });
    expect(certificate.status).toBe(200);
    expect(certificate.headers.get('content-type')).toBe('application/pdf');
    const pdf = await PDFDocument.load(new Uint8Array(await certificate.arrayBuffer()));
    expect(pdf.getSubject()).toContain(policy.sha256);
  });

  test('two submits at the same moment leave one signature', async () => {
    const link = await createLink();
    const fields = { policyId: policy.id, agreed: 'yes', typedName: 'Vera Visitor', typedEmail: 'vera@example.org' };
    const results = await Promise.all([submit(link.path, fields), submit(link.path, fields)]);
    expect(results.map((result) => result.status).sort()).toEqual([201, 409]);
    expect(await signaturesOf(policy.id)).toHaveLength(1);
  });

  test('a link taken between the check and the write rolls the second signature back', async () => {
    const link = await createLink();
    const { deps } = t.service;
    // Another submit marks the link used after this one checked it: markUsed finds it taken.
    const storage = overriding<Storage>(deps.storage, {
      transaction: <T>(work: (tx: StorageTx) => Promise<T>) => deps.storage.transaction((tx) => work({ ...tx, aupSigningLinks: overriding(tx.aupSigningLinks, { markUsed: async () => false }) })),
    });
    const racing: AppDeps = { ...deps, storage };
    const signature = { agreed: true, typedName: 'Vera Visitor', typedEmail: 'vera@example.org' };
    await expect(signWithLink(racing, { token: link.token, policyId: policy.id, signature })).rejects.toMatchObject({ code: 'conflict', userMessage: expect.stringContaining('already been used') });
    expect(await signaturesOf(policy.id)).toEqual([]);
    expect(Number((await t.db.raw(`select count(*) as n from audit_events where action = 'aup.acknowledged'`))[0]!.n)).toBe(0);
    // Without the race, the same submit signs.
    await expect(signWithLink(deps, { token: link.token, policyId: policy.id, signature })).resolves.toMatchObject({ acknowledgement: { signingLinkId: link.id } });
    expect(await signaturesOf(policy.id)).toHaveLength(1);
  });

  test('an expired link explains itself with 410 and records nothing', async () => {
    const link = await createLink({ validHours: 1 });
    expect((await page(link.path)).status).toBe(200);
    offsetMs = 2 * 3_600_000;
    const expired = await page(link.path);
    expect(expired.status).toBe(410);
    expect(expired.html).toContain('This signing link has expired.');
    const late = await submit(link.path, { policyId: policy.id, agreed: 'yes', typedName: 'Vera Visitor', typedEmail: 'vera@example.org' });
    expect(late.status).toBe(410);
    expect(await signaturesOf(policy.id)).toEqual([]);
    expect((await t.request('/api/v1/aup/links', { token: admin })).body.links[0].status).toBe('expired');
  });

  test('a version published between opening and signing is shown, and the old one is not signed', async () => {
    const link = await createLink();
    expect((await page(link.path)).html).toContain('<dt>Version</dt><dd>1</dd>');
    const second = await t.request('/api/v1/aup/policies', { token: admin, body: { ...VISITOR_POLICY, markdown: '# Using our Wi-Fi\n\nAsk reception for the guest password.\n' } });
    expect(second.status).toBe(201);

    const stale = await submit(link.path, { policyId: policy.id, agreed: 'yes', typedName: 'Vera Visitor', typedEmail: 'vera@example.org' });
    expect(stale.status).toBe(409);
    expect(stale.html).toContain('(version 2) has replaced version 1');
    expect(stale.html).toContain('<dt>Version</dt><dd>2</dd>');
    expect(stale.html).toContain('Ask reception for the guest password.');
    expect(stale.html).toContain(`name="policyId" value="${second.body.id}"`);
    expect(stale.html).toContain('value="Vera Visitor"');
    expect(stale.html).not.toMatch(/id="agreed"[^>]* checked/);
    expect(await signaturesOf(policy.id)).toEqual([]);

    const signed = await submit(link.path, { policyId: second.body.id, agreed: 'yes', typedName: 'Vera Visitor', typedEmail: 'vera@example.org' });
    expect(signed.status).toBe(201);
    expect(signed.html).toContain('— version 2');
    expect(await signaturesOf(second.body.id)).toEqual([expect.objectContaining({ policyVersion: 2, sha256: second.body.sha256 })]);
  });

  test('the read-only policy page opens only from an address DSL Desk made for it', async () => {
    const url = new URL(policyPageUrl(t.url, PAGE_LINK_KEY, t.schoolA.school.id, policy.id));
    const shown = await page(`${url.pathname}${url.search}`);
    expect(shown.status).toBe(200);
    expect(shown.html).toContain('<h1>Visitor Acceptable Use Policy</h1>');
    expect(shown.html).toContain(policy.sha256);
    expect(shown.html).not.toContain('<form');
    expect(shown.html).toContain('src="/aup/assets/teams-js.js"');
    expect(shown.headers.get('content-security-policy')).toContain('frame-ancestors');
    expect(shown.headers.get('content-security-policy')).toContain('https://teams.microsoft.com');
    expect(shown.headers.get('x-frame-options')).toBeNull();
    expect(shown.headers.get('cache-control')).toBe('no-store');

    const teamsJs = await fetch(`${t.url}/aup/assets/teams-js.js`);
    expect(teamsJs.status).toBe(200);
    expect(await teamsJs.text()).toContain('microsoftTeams');

    const otherSchool = new URL(policyPageUrl(t.url, PAGE_LINK_KEY, t.schoolB.school.id, policy.id));
    expect((await page(`${otherSchool.pathname}${otherSchool.search}`)).status).toBe(404);
    const wrongKey = await page(`${url.pathname}?k=${'A'.repeat(43)}`);
    expect(wrongKey.status).toBe(404);
    expect(wrongKey.html).toContain('Page not found');
    expect((await page(url.pathname)).status).toBe(404);

    // An older version still opens, and says it has been replaced.
    await t.request('/api/v1/aup/policies', { token: admin, body: { ...VISITOR_POLICY, markdown: '# Using our Wi-Fi\n\nAsk reception for the guest password.\n' } });
    expect((await page(`${url.pathname}${url.search}`)).html).toContain('Version 2 has replaced this version.');
  });
});
