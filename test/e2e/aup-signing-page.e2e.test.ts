import { policyPageUrl } from '../../src/app/aup/policy-page-links.ts';
import { axeViolations } from './support/axe.ts';
import { loadConfig } from '../../src/config.ts';
import { startDslDeskSandbox, type RunningDslDesk } from '../../scripts/playground/start-dsl-desk.ts';
import { launchBrowser, type E2EBrowser } from './support/browser.ts';

// The one-time signing page and the read-only policy page, as a visitor and a member of staff meet them:
// DSL Desk's sandbox serves them, headless Chromium opens them, axe-core checks them against WCAG 2.1 AA,
// and the form is completed with the keyboard alone. Screenshots go to test/e2e/artifacts/aup-signing-page-*.png.

const ADMIN = { 'X-DSL-Desk-Sandbox-User': 'admin@demo-school.test' };
const WORDING = 'I agree to follow the rules for visitors';
const POLICY = {
  audience: 'visitor',
  title: 'Visitor Acceptable Use Policy',
  markdown: [
    '# Using our Wi-Fi',
    '',
    'Connect to **DemoGuest** only. The password is on the card at reception.',
    '',
    '## Phones and cameras',
    '',
    '- Do not photograph or film pupils.',
    '- Keep your phone out of sight in classrooms.',
    '',
    'Read more about [keeping children safe in education](https://www.gov.uk/government/publications/keeping-children-safe-in-education--2).',
    '',
  ].join('\n'),
  acknowledgementWording: WORDING,
  effectiveDate: '2026-09-01',
  reviewDate: '2027-09-01',
};

/** The page's document, as the callbacks run inside the browser read it (the tests compile without the DOM library). */
declare const document: { activeElement: { id: string; hasAttribute(name: string): boolean } | null; documentElement: { className: string } };

let dslDesk: RunningDslDesk;
let browser: E2EBrowser;
let policy: { id: string; sha256: string; version: number };
let schoolId: string;

async function api(path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${dslDesk.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...ADMIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = await response.json();
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(parsed)}`);
  return parsed;
}

async function newLink(intendedFor: string): Promise<string> {
  const created = await api('/api/v1/aup/links', { audience: 'visitor', intendedFor });
  expect(created.url.startsWith(`${dslDesk.url}/aup/sign/`)).toBe(true);
  return created.url as string;
}

beforeAll(async () => {
  dslDesk = await startDslDeskSandbox({ port: 0, logLevel: 'warn' });
  browser = await launchBrowser({ prefix: 'aup-signing-page', width: 1024, height: 900 });
  policy = await api('/api/v1/aup/policies', POLICY);
  schoolId = (await api('/api/v1/me')).schoolId;
});

afterAll(async () => {
  await browser?.close();
  await dslDesk?.close();
});

test('the signing page has no WCAG 2.1 AA violations and names every control', async () => {
  const { page } = browser;
  await browser.step('signing-page', async () => {
    const response = await page.goto(await newLink('Vera Visitor'));
    expect(response?.status()).toBe(200);
  });
  await expect(page.getByRole('heading', { level: 1, name: POLICY.title }).isVisible()).resolves.toBe(true);
  await expect(page.getByText(policy.sha256).isVisible()).resolves.toBe(true);
  await expect(page.getByRole('heading', { level: 2, name: 'Using our Wi-Fi' }).count()).resolves.toBe(1);
  await expect(page.getByRole('link', { name: 'keeping children safe in education' }).count()).resolves.toBe(1);
  await expect(page.getByRole('checkbox', { name: WORDING }).count()).resolves.toBe(1);
  await expect(page.getByLabel('Your full name').getAttribute('autocomplete')).resolves.toBe('name');
  await expect(page.getByLabel('Your email address').getAttribute('autocomplete')).resolves.toBe('email');
  await expect(page.getByRole('button', { name: 'Sign' }).count()).resolves.toBe(1);
  expect(await axeViolations(page)).toEqual([]);
  // Nothing the page needs was refused by its own content security policy.
  expect(browser.consoleLines.filter((line) => /Content Security Policy|Refused to/i.test(line))).toEqual([]);
});

test('a failed submit keeps what was typed and moves focus to the error summary', async () => {
  const { page } = browser;
  await page.goto(await newLink('Val Visitor'));
  await page.getByLabel('Your full name').fill('Val Visitor');
  await browser.step('failed-submit', async () => {
    await Promise.all([page.waitForURL(/\/aup\/sign\//, { waitUntil: 'load' }), page.getByRole('button', { name: 'Sign' }).click()]);
    await page.locator('[data-error-summary]').waitFor();
  });
  expect(await page.evaluate(() => document.activeElement?.hasAttribute('data-error-summary'))).toBe(true);
  await expect(page.getByRole('alert').textContent()).resolves.toContain('There is a problem');
  expect(await page.getByLabel('Your full name').inputValue()).toBe('Val Visitor');
  await expect(page.getByRole('checkbox', { name: WORDING }).getAttribute('aria-invalid')).resolves.toBe('true');
  expect(await axeViolations(page)).toEqual([]);

  // A link in the summary puts the keyboard in the field it names.
  await page.getByRole('link', { name: 'Type your email address to sign.' }).click();
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('typedEmail');
});

test('a visitor signs with the keyboard alone', async () => {
  const { page } = browser;
  await page.goto(await newLink('Kit Keyboard'));
  await browser.step('keyboard-start', async () => {
    for (let presses = 0; presses < 40 && (await page.evaluate(() => document.activeElement?.id)) !== 'agreed'; presses += 1) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('agreed');
  });
  await page.keyboard.press('Space');
  expect(await page.getByRole('checkbox', { name: WORDING }).isChecked()).toBe(true);
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('typedName');
  await page.keyboard.type('Kit Keyboard');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('typedEmail');
  await page.keyboard.type('kit@example.org');
  await browser.step('keyboard-signed', async () => {
    await Promise.all([page.waitForURL(/\/aup\/sign\//, { waitUntil: 'load' }), page.keyboard.press('Enter')]);
    await page.getByRole('heading', { level: 1, name: 'You have signed' }).waitFor();
  });
  const confirmation = await page.locator('main').textContent();
  expect(confirmation).toMatch(new RegExp(`Signed on \\d{1,2} [A-Z][a-z]+ \\d{4} at \\d{2}:\\d{2} (GMT|BST) — version ${policy.version}`));
  expect(confirmation).toContain(policy.sha256);
  expect(confirmation).toContain('Kit Keyboard');
  expect(await axeViolations(page)).toEqual([]);

  const links = (await api('/api/v1/aup/links')).links as { intendedFor: string; status: string }[];
  expect(links.find((link) => link.intendedFor === 'Kit Keyboard')?.status).toBe('used');
});

test('the read-only policy page has no WCAG 2.1 AA violations and stays quiet outside Teams', async () => {
  const { page } = browser;
  const pageLinkKey = loadConfig({ DSL_DESK_MODE: 'sandbox', DATA_DIR: dslDesk.dataDir }).pageLinkKey;
  const before = browser.consoleLines.length;
  await browser.step('policy-page', async () => {
    const response = await page.goto(policyPageUrl(dslDesk.url, pageLinkKey, schoolId, policy.id));
    expect(response?.status()).toBe(200);
  });
  await expect(page.getByRole('heading', { level: 1, name: POLICY.title }).isVisible()).resolves.toBe(true);
  await expect(page.locator('form').count()).resolves.toBe(0);
  // teams-js loaded, found no Teams host, and the page kept its own look.
  expect(await page.evaluate(() => typeof (globalThis as any).microsoftTeams?.app?.initialize)).toBe('function');
  expect(await page.evaluate(() => document.documentElement.className)).toBe('');
  expect(await axeViolations(page)).toEqual([]);
  expect(browser.consoleLines.slice(before).filter((line) => /Content Security Policy|Refused to|pageerror/i.test(line))).toEqual([]);

  const wrong = await page.goto(`${dslDesk.url}/aup/policies/${policy.id}/page?k=${'A'.repeat(43)}`);
  expect(wrong?.status()).toBe(404);
});
