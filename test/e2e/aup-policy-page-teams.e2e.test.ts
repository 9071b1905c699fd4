import type { Page, Request } from 'playwright-core';
import { policyPageUrl } from '../../src/app/aup/policy-page-links.ts';
import { axeViolations } from './support/axe.ts';
import { loadConfig } from '../../src/config.ts';
import { startTestService, type TestService } from '../support/test-service.ts';
import { launchBrowser, type E2EBrowser } from './support/browser.ts';

// The read-only policy page as Teams shows it in a tab or stage view. DSL Desk runs in production mode,
// trusting a local fake of Entra; Chromium opens the page, and teams-js is replaced by a small stand-in for
// the Teams host whose getAuthToken() hands over a token that fake minted (Teams SSO) or refuses one.
// axe-core checks each state against WCAG 2.1 AA. Screenshots go to test/e2e/artifacts/aup-policy-page-teams-*.png.

const DATA_KEYS = 'teams-page-1:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';
const DATA_KEY_ID = 'teams-page-1';
/** The key the service signs policy-page addresses with, derived from the data key as the service derives it. */
const PAGE_LINK_KEY = loadConfig({ DSL_DESK_MODE: 'production', ENTRA_AUDIENCES: 'api://unused', DATA_KEYS, DATA_KEY_ID }).pageLinkKey;
const TEAMS_JS = '**/aup/assets/teams-js.js';
const WORDING = 'I have read and agree to follow the staff rules';
const NOTE = 'Sign from the card in your chat with DSL Desk.';
const POLICY = {
  audience: 'staff',
  title: 'Staff Acceptable Use Policy',
  markdown: [
    '# Passwords',
    '',
    'Keep your password to yourself. Lock your screen when you leave the room.',
    '',
    '## Email',
    '',
    '- Use your school account for school business.',
    '- Report anything suspicious with **Report to DSL**.',
    '',
    'Read more about [keeping children safe in education](https://www.gov.uk/government/publications/keeping-children-safe-in-education--2).',
    '',
  ].join('\n'),
  acknowledgementWording: WORDING,
  effectiveDate: '2026-09-01',
  reviewDate: '2027-09-01',
};

/** The page's document and window, as the callbacks run inside the browser read them (the tests compile without the DOM library). */
declare const document: { activeElement: { id: string; hasAttribute(name: string): boolean; tagName: string } | null; documentElement: { className: string }; title: string };
declare const window: { teamsStub: { tokenRequests: number; notified: boolean } };

let t: TestService;
let browser: E2EBrowser;
let policy: { id: string; sha256: string; version: number };
let pageUrl: string;

/**
 * What teams-js offers the page inside Teams, reduced to what the page uses. getAuthToken() resolves to
 * the token given; or it refuses, as Teams does without SSO or consent; or it never answers.
 */
type TokenAnswer = { token: string } | 'refuses' | 'never answers';

function teamsHostStub(answer: TokenAnswer): string {
  const tokenPromise =
    answer === 'refuses' ? "Promise.reject(new Error('resourceRequiresConsent'))" : answer === 'never answers' ? 'new Promise(function () {})' : `Promise.resolve(${JSON.stringify(answer.token)})`;
  return `window.teamsStub = { tokenRequests: 0, notified: false };
window.microsoftTeams = {
  app: {
    initialize: function () { return Promise.resolve(); },
    notifySuccess: function () { window.teamsStub.notified = true; return Promise.resolve(); },
    getContext: function () { return Promise.resolve({ app: { theme: 'default', host: { name: 'Teams', clientType: 'web' } }, page: { id: 'policy', frameContext: 'content' } }); },
    registerOnThemeChangeHandler: function () {}
  },
  authentication: {
    getAuthToken: function () {
      window.teamsStub.tokenRequests += 1;
      return ${tokenPromise};
    }
  }
};`;
}

async function actAsTeamsHost(page: Page, answer: TokenAnswer): Promise<void> {
  await page.unroute(TEAMS_JS);
  await page.route(TEAMS_JS, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: teamsHostStub(answer) }));
}

const activeId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');
const problemsInConsole = (from: number) => browser.consoleLines.slice(from).filter((line) => /Content Security Policy|Refused to|pageerror/i.test(line));
const signaturesOfPolicy = () => t.service.deps.storage.read((reader) => reader.aupAcknowledgements.forPolicy(t.schoolA.school.id, policy.id));

beforeAll(async () => {
  t = await startTestService('sqlite', { DATA_KEYS, DATA_KEY_ID });
  browser = await launchBrowser({ prefix: 'aup-policy-page-teams', width: 1024, height: 900 });
  const published = await t.request('/api/v1/aup/policies', { token: await t.tokenFor(t.schoolA.admin, t.schoolA), body: POLICY });
  expect(published.status).toBe(201);
  policy = published.body;
  pageUrl = policyPageUrl(t.url, PAGE_LINK_KEY, t.schoolA.school.id, policy.id);
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

afterEach(async () => {
  await browser?.page.unroute(TEAMS_JS);
});

test('inside Teams with SSO, a member of staff signs from the policy page with the keyboard alone', async () => {
  const { page } = browser;
  const before = browser.consoleLines.length;
  await actAsTeamsHost(page, { token: await t.tokenFor(t.schoolA.staff, t.schoolA) });
  await browser.step('teams-sign-form', async () => {
    const response = await page.goto(pageUrl);
    expect(response?.status()).toBe(200);
    await page.getByRole('button', { name: 'Sign' }).waitFor();
  });
  expect(await page.evaluate(() => window.teamsStub.notified)).toBe(true);
  expect(await page.evaluate(() => document.documentElement.className)).toBe('theme-default');
  await expect(page.getByRole('heading', { level: 2, name: 'Sign this policy' }).isVisible()).resolves.toBe(true);
  await expect(page.getByRole('checkbox', { name: WORDING }).isVisible()).resolves.toBe(true);
  await expect(page.getByLabel('Your full name').getAttribute('autocomplete')).resolves.toBe('name');
  await expect(page.locator('form').count()).resolves.toBe(1);
  await expect(page.getByText(NOTE).isVisible()).resolves.toBe(false);
  await expect(page.getByText('You signed version').isVisible()).resolves.toBe(false);
  expect(await axeViolations(page)).toEqual([]);

  // From the top of the page with Tab: the tick, the name, the button.
  for (let presses = 0; presses < 40 && (await activeId(page)) !== 'agreed'; presses += 1) await page.keyboard.press('Tab');
  expect(await activeId(page)).toBe('agreed');
  await page.keyboard.press('Tab');
  expect(await activeId(page)).toBe('typedName');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('BUTTON');

  // Sign with nothing filled in: the summary takes focus and names both fields.
  await browser.step('teams-sign-problems', async () => {
    await page.keyboard.press('Enter');
    await page.locator('[data-error-summary]').waitFor();
  });
  expect(await page.evaluate(() => document.activeElement?.hasAttribute('data-error-summary'))).toBe(true);
  await expect(page.getByRole('alert').first().textContent()).resolves.toContain('There is a problem');
  await expect(page.getByRole('checkbox', { name: WORDING }).getAttribute('aria-invalid')).resolves.toBe('true');
  await expect(page.getByLabel('Your full name').getAttribute('aria-invalid')).resolves.toBe('true');
  expect(await page.evaluate(() => document.title)).toMatch(/^Error: /);
  expect(await axeViolations(page)).toEqual([]);
  expect(await signaturesOfPolicy()).toEqual([]);

  // The summary's first link puts the keyboard on the tick box.
  await page.keyboard.press('Tab');
  await expect(page.evaluate(() => document.activeElement?.tagName)).resolves.toBe('A');
  await page.keyboard.press('Enter');
  expect(await activeId(page)).toBe('agreed');
  await page.keyboard.press('Space');
  expect(await page.getByRole('checkbox', { name: WORDING }).isChecked()).toBe(true);
  await page.keyboard.press('Tab');
  expect(await activeId(page)).toBe('typedName');
  await page.keyboard.type('Sam Teacher');
  await browser.step('teams-signed', async () => {
    await page.keyboard.press('Enter');
    await page.getByText('You signed version 1 on').waitFor();
  });
  const confirmation = await page.locator('[data-teams-signed]').textContent();
  expect(confirmation).toMatch(/You signed version 1 on \d{1,2} [A-Z][a-z]+ \d{4} at \d{2}:\d{2} (GMT|BST)\./);
  // Focus moved to the confirmation, the form and the problems are gone.
  expect(await activeId(page)).toBe('teams-signed');
  await expect(page.locator('[data-error-summary]').isVisible()).resolves.toBe(false);
  await expect(page.getByRole('button', { name: 'Sign' }).isVisible()).resolves.toBe(false);
  expect(await page.evaluate(() => document.title)).not.toMatch(/^Error: /);
  expect(await axeViolations(page)).toEqual([]);

  const stored = await signaturesOfPolicy();
  expect(stored).toEqual([expect.objectContaining({ personId: t.schoolA.staff.personId, surface: 'teams', typedName: 'Sam Teacher', policyVersion: 1, sha256: policy.sha256, directoryIdentity: expect.objectContaining({ provider: 'entra' }) })]);

  // The certificate link fetches the PDF with the Teams token and saves it.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download your certificate (PDF)' }).click()]);
  expect(download.suggestedFilename()).toBe(`aup-signature-${stored[0]!.id}.pdf`);
  await expect(page.getByText('Your certificate could not be downloaded').isVisible()).resolves.toBe(false);

  // Opened again later, the page says so at once and offers no form.
  await browser.step('teams-reopened-signed', async () => {
    await page.goto(pageUrl);
    await page.getByText('You signed version 1 on').waitFor();
  });
  await expect(page.locator('form').count()).resolves.toBe(0);
  expect(await activeId(page)).not.toBe('teams-signed');
  expect(await signaturesOfPolicy()).toHaveLength(1);
  expect(problemsInConsole(before)).toEqual([]);
});

test('inside Teams without SSO, the page stays read-only with a quiet note', async () => {
  const { page } = browser;
  const before = browser.consoleLines.length;
  await actAsTeamsHost(page, 'refuses');
  await browser.step('teams-no-sso', async () => {
    expect((await page.goto(pageUrl))?.status()).toBe(200);
    await page.getByText(NOTE).waitFor();
  });
  expect(await page.evaluate(() => window.teamsStub.tokenRequests)).toBeGreaterThan(0);
  expect(await page.evaluate(() => document.documentElement.className)).toBe('theme-default');
  await expect(page.getByRole('heading', { level: 1, name: POLICY.title }).isVisible()).resolves.toBe(true);
  await expect(page.locator('form').count()).resolves.toBe(0);
  await expect(page.getByRole('button', { name: 'Sign' }).isVisible()).resolves.toBe(false);
  await expect(page.locator('[data-error-summary]').isVisible()).resolves.toBe(false);
  await expect(page.getByText('You signed version').isVisible()).resolves.toBe(false);
  expect(await axeViolations(page)).toEqual([]);
  expect(problemsInConsole(before)).toEqual([]);
});

test('in a plain browser nothing changes: no sign-in is attempted and no form appears', async () => {
  const { page } = browser;
  const before = browser.consoleLines.length;
  const apiCalls: string[] = [];
  const onRequest = (request: Request) => {
    if (new URL(request.url()).pathname.startsWith('/api/')) apiCalls.push(request.url());
  };
  page.on('request', onRequest);
  try {
    await browser.step('plain-browser', async () => {
      expect((await page.goto(pageUrl))?.status()).toBe(200);
    });
    // The real teams-js finds no Teams host: wait until it has said so before looking.
    const settled = await page.evaluate(() => {
      const teams = (globalThis as any).microsoftTeams;
      return Promise.race([
        teams.app.initialize().then(
          () => 'initialised',
          () => 'refused',
        ),
        new Promise((resolve) => setTimeout(() => resolve('no answer'), 5000)),
      ]);
    });
    expect(settled).not.toBe('initialised');
    await expect(page.locator('form').count()).resolves.toBe(0);
    await expect(page.getByText(NOTE).isVisible()).resolves.toBe(false);
    await expect(page.getByRole('button', { name: 'Sign' }).isVisible()).resolves.toBe(false);
    await expect(page.locator('[data-error-summary]').isVisible()).resolves.toBe(false);
    await expect(page.locator('[data-teams-signed]').isVisible()).resolves.toBe(false);
    expect(await page.evaluate(() => document.documentElement.className)).toBe('');
    expect(apiCalls).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    expect(problemsInConsole(before)).toEqual([]);
  } finally {
    page.off('request', onRequest);
  }
});

test('inside Teams, a token that never comes leaves the page read-only once the wait is over', async () => {
  const { page } = browser;
  const before = browser.consoleLines.length;
  await actAsTeamsHost(page, 'never answers');
  // The page's timers run on a clock the test moves, so the wait is not spent for real. The fake clock stays
  // installed on this page afterwards, which is why this test comes last.
  await page.clock.install();
  expect((await page.goto(pageUrl))?.status()).toBe(200);
  await page.waitForFunction(() => window.teamsStub.tokenRequests > 0);
  await page.clock.runFor(5_000);
  await expect(page.getByText(NOTE).isVisible()).resolves.toBe(false);
  await browser.step('teams-token-never-came', async () => {
    await page.clock.runFor(15_000);
    await page.getByText(NOTE).waitFor();
  });
  await expect(page.locator('form').count()).resolves.toBe(0);
  await expect(page.locator('[data-error-summary]').isVisible()).resolves.toBe(false);
  expect(problemsInConsole(before)).toEqual([]);
});
