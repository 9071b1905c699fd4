import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, FrameLocator, Route } from 'playwright-core';
import { projectRoot } from '../../scripts/playground/start-playground.ts';
import { startDslDeskSandbox, type RunningDslDesk } from '../../scripts/playground/start-dsl-desk.ts';
import { buildAddin, type BuildResult } from '../../scripts/build-addin.ts';
import { launchBrowser, type E2EBrowser } from './support/browser.ts';
import { fakeOfficeJs, OFFICE_JS_CDN, startOfficeHostServer, type ApiRequestRecord, type OfficeHostServer } from './support/office-host/server.ts';

// The Outlook add-in, built as it ships (a sandbox build), in headless Chromium inside a stand-in Outlook
// (test/e2e/support/office-host/host.html) that reads the add-in's manifest, provides a fake Office.js
// (served in place of Microsoft's CDN file) and hands over a sample .eml. Reports go to DSL Desk's real
// sandbox. Screenshots go to test/e2e/artifacts/outlook-addin-*.png.

const SAMPLE_EML = join(projectRoot(), 'test', 'e2e', 'support', 'office-host', 'sample.eml');
const REFERENCE = /CASE-\d{4}-\d{4,}/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let outDir: string;
let build: BuildResult;
let dslDesk: RunningDslDesk;
let host: OfficeHostServer;
let browser: E2EBrowser;

declare const officeHost: { handlers: Record<string, unknown>; completions: any[]; calls: any[] };

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'dsl-desk-outlook-e2e-'));
  build = await buildAddin({ root: projectRoot(), outDir, sandbox: true, env: {} });
  dslDesk = await startDslDeskSandbox({ port: 0, logLevel: 'warn' });
  host = await startOfficeHostServer({ addinDir: outDir, manifestXml: readFileSync(join(outDir, 'manifest.xml'), 'utf8'), dslDeskUrl: dslDesk.url });
  browser = await launchBrowser({ prefix: 'outlook-addin', width: 1280, height: 900 });
  // The add-in's pages load Office.js from Microsoft's CDN; here the stand-in answers instead (page routes
  // win over the browser helper's "block everything non-local" rule).
  await browser.page.route(OFFICE_JS_CDN, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: fakeOfficeJs() }));
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await dslDesk?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

async function openHost(mailbox: string): Promise<void> {
  await browser.page.goto(`${host.url}/office-host/host.html?mailbox=${mailbox}`);
  await browser.page.waitForSelector('body[data-host-ready="true"], body[data-host-error]', { timeout: 15000 });
  const error = await browser.page.getAttribute('body', 'data-host-error');
  if (error) throw new Error(`the stand-in Outlook could not start: ${error}`);
}

function apiRequests(path: string): ApiRequestRecord[] {
  return host.requests.filter((request) => request.path.startsWith(path));
}

/** The case as the DSL sees it through DSL Desk's own API. */
async function caseAsDsl(reference: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${dslDesk.url}/api/v1/cases/${reference}`, { headers: { 'X-DSL-Desk-Sandbox-User': 'dsl@demo-school.test' } });
  return { status: response.status, body: await response.json() };
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((done) => setTimeout(done, 50));
  }
}

async function taskpaneFrame(): Promise<{ frame: FrameLocator; handle: Frame }> {
  await browser.page.click('#ribbon-report-to-dsl');
  const frame = browser.page.frameLocator('#taskpane-frame');
  await frame.locator('#report-form:not([hidden])').waitFor({ timeout: 15000 });
  const handle = browser.page.frames().find((candidate) => candidate.url().includes('/addin/outlook/taskpane.html'));
  if (!handle) throw new Error('the task pane frame did not load');
  return { frame, handle };
}

test('the build is within the bundle budget', () => {
  expect(build.maxRuntimeKbGz).toBeLessThanOrEqual(100);
});

test("integrated spam reporting: Outlook's Report button sends the whole email; the thank-you has the reference and the email moves to Junk", async () => {
  const { page, step } = browser;
  await step('spam-host-open', async () => {
    await openHost('1.14');
    await page.waitForFunction(() => typeof officeHost.handlers.onSpamReport === 'function', undefined, { timeout: 15000 });
  });
  await step('spam-dialog-filled', async () => {
    await page.click('#outlook-report');
    await expect(page.locator('#pre-options label').allTextContents()).resolves.toEqual([' Phishing or suspicious', ' A safeguarding concern about a child', ' Inappropriate or upsetting content']);
    await page.getByLabel('Phishing or suspicious').check();
    await page.fill('#pre-free-text', 'Looks like the head but the address is wrong – “gift cards”');
  });
  const completion = await step('spam-reported', async () => {
    await page.click('#pre-report');
    await page.waitForFunction(() => officeHost.completions.length === 1, undefined, { timeout: 30000 });
    await page.locator('#post-report-dialog[open]').waitFor();
    return page.evaluate(() => officeHost.completions[0]);
  });

  // Outlook was asked for the whole message, and told what to do afterwards.
  const calls = await page.evaluate(() => officeHost.calls);
  expect(calls).toEqual(expect.arrayContaining([expect.objectContaining({ api: 'associate', name: 'onSpamReport' }), expect.objectContaining({ api: 'getAsFileAsync' })]));
  expect(completion).toMatchObject({ onErrorDeleteItem: false, moveItemTo: 'junkFolder', postProcessingAction: 'moveToSpamFolder' });
  expect(completion.showPostProcessingDialog.title).toMatch(/Thank you/);
  const reference = REFERENCE.exec(completion.showPostProcessingDialog.description)?.[0];
  expect(reference).toBeDefined();
  await expect(page.locator('#post-description').textContent()).resolves.toContain(reference!);
  await expect(page.locator('#post-move').textContent()).resolves.toMatch(/Junk Email/);

  // What reached DSL Desk: the .eml, unchanged, with the choice, the note, the sandbox identity and a fresh Idempotency-Key.
  const posts = apiRequests('/api/v1/email-reports?');
  expect(posts).toHaveLength(1);
  expect(posts[0]).toMatchObject({
    method: 'POST',
    path: '/api/v1/email-reports?choice=phishing',
    contentType: 'message/rfc822',
    sandboxUser: 'teacher@demo-school.test',
    authorization: false,
    note: 'Looks like the head but the address is wrong – “gift cards”',
    bodyBytes: statSync(SAMPLE_EML).size,
    status: 201,
  });
  expect(posts[0]!.idempotencyKey).toMatch(UUID);

  // And the DSL can open the case.
  const opened = await caseAsDsl(reference!);
  expect(opened.status).toBe(200);
  expect(JSON.stringify(opened.body)).toContain(reference!);
});

test('task pane without Mailbox 1.14: the Graph route answers an error in the sandbox; the message is clear, Retry is offered and the note stays', async () => {
  const { page, step } = browser;
  const note = 'A parent forwarded this about a Year 4 pupil. Please call me.';
  const { frame, handle } = await step('fallback-pane-open', async () => {
    await openHost('1.13');
    await expect(page.locator('#outlook-report').isHidden()).resolves.toBe(true);
    return taskpaneFrame();
  });
  await expect(frame.locator('#report-form').getAttribute('data-route')).resolves.toBe('graph');

  await step('fallback-filled', async () => {
    await frame.getByLabel('A safeguarding concern about a child').check();
    await frame.locator('#note').fill(note);
  });
  await step('fallback-error-shown', async () => {
    await frame.getByRole('button', { name: 'Report to DSL' }).click();
    await frame.locator('#problem:not([hidden])').waitFor({ timeout: 30000 });
  });

  const message = (await frame.locator('#problem-message').textContent())?.trim() ?? '';
  expect(message.length).toBeGreaterThan(20);
  expect(message).not.toMatch(/undefined|\[object|TypeError|stack/i);
  await expect(frame.getByRole('alert').textContent()).resolves.toContain(message);
  await expect(frame.getByRole('button', { name: 'Retry' }).isVisible()).resolves.toBe(true);
  // Nothing typed is lost: in the box, and in sessionStorage for a reload.
  await expect(frame.locator('#note').inputValue()).resolves.toBe(note);
  const stored = await handle.evaluate(() => Object.entries(sessionStorage).filter(([key]) => key.endsWith('.note')).map(([, value]) => value));
  expect(stored).toEqual([note]);

  // The request: ids (the REST form of the item id) and the note, as JSON.
  const graph = apiRequests('/api/v1/email-reports/graph');
  expect(graph).toHaveLength(1);
  expect(graph[0]).toMatchObject({ method: 'POST', contentType: 'application/json', sandboxUser: 'teacher@demo-school.test' });
  expect(graph[0]!.status).toBeGreaterThanOrEqual(400);
  const calls = await page.evaluate(() => officeHost.calls);
  expect(calls).toEqual(expect.arrayContaining([expect.objectContaining({ api: 'convertToRestId', restVersion: 'v2.0' })]));
  expect(calls.some((call: { api: string }) => call.api === 'getAsFileAsync')).toBe(false);

  // Retry sends the same report again with the same Idempotency-Key, and the note is still there afterwards.
  await step('fallback-retried', async () => {
    await frame.getByRole('button', { name: 'Retry' }).click();
    await until(() => apiRequests('/api/v1/email-reports/graph').length === 2, 15000);
    await frame.locator('#problem:not([hidden])').waitFor();
  });
  const [first, second] = apiRequests('/api/v1/email-reports/graph');
  expect(second!.idempotencyKey).toBe(first!.idempotencyKey);
  await expect(frame.locator('#note').inputValue()).resolves.toBe(note);

  // Reopening the pane (a new page) brings the note back from sessionStorage.
  await step('fallback-reopened', async () => {
    await page.click('#taskpane-close');
    const reopened = await taskpaneFrame();
    await expect(reopened.frame.locator('#note').inputValue()).resolves.toBe(note);
  });
});

test('task pane with Mailbox 1.14 sends the email itself: offline first (clear message, note kept), then Retry files the report', async () => {
  const { step } = browser;
  const note = 'Upsetting image in the second attachment – I did not open it.';
  const { frame } = await step('pane-open', async () => {
    await openHost('1.14');
    return taskpaneFrame();
  });
  await expect(frame.locator('#report-form').getAttribute('data-route')).resolves.toBe('eml');
  const before = apiRequests('/api/v1/email-reports?').length;

  await step('pane-offline-error', async () => {
    await frame.getByLabel('Inappropriate or upsetting content').check();
    await frame.locator('#note').fill(note);
    await browser.context.setOffline(true);
    await frame.getByRole('button', { name: 'Report to DSL' }).click();
    await frame.locator('#problem:not([hidden])').waitFor({ timeout: 30000 });
  });
  await expect(frame.locator('#problem').getAttribute('data-kind')).resolves.toBe('offline');
  await expect(frame.locator('#problem-message').textContent()).resolves.toMatch(/offline/i);
  await expect(frame.locator('#note').inputValue()).resolves.toBe(note);
  expect(apiRequests('/api/v1/email-reports?')).toHaveLength(before);

  await step('pane-retried', async () => {
    await browser.context.setOffline(false);
    await frame.getByRole('button', { name: 'Retry' }).click();
    await frame.locator('#receipt:not([hidden])').waitFor({ timeout: 30000 });
  });
  const reference = (await frame.locator('#reference').textContent())?.trim() ?? '';
  expect(reference).toMatch(REFERENCE);
  const posts = apiRequests('/api/v1/email-reports?');
  expect(posts).toHaveLength(before + 1);
  expect(posts.at(-1)).toMatchObject({ path: '/api/v1/email-reports?choice=inappropriate', contentType: 'message/rfc822', note, bodyBytes: statSync(SAMPLE_EML).size });
  expect([200, 201]).toContain(posts.at(-1)!.status);
  // Received: the note is cleared, from the box and from the session.
  await expect(frame.locator('#note').inputValue()).resolves.toBe('');
  expect((await caseAsDsl(reference)).status).toBe(200);
});

test('999 first, everywhere, and allegations about staff from every surface: the pane says call 999 first, and names the headteacher through the people search', async () => {
  const { step } = browser;
  const { frame } = await step('pane-staff-open', async () => {
    await openHost('1.14');
    return taskpaneFrame();
  });
  // The 999 line is the first thing under the heading.
  const guidance = frame.locator('#immediate-danger');
  await expect(guidance.isVisible()).resolves.toBe(true);
  await expect(guidance.textContent()).resolves.toContain('If a child is in immediate danger, call 999 first, then report it.');

  await step('pane-staff-search', async () => {
    await frame.locator('#staff-search').fill('harr');
    await frame.locator('.staff-result').first().waitFor({ timeout: 15000 });
  });
  await expect(frame.locator('.staff-result').allTextContents()).resolves.toEqual(['Harriet Head']);
  const searches = apiRequests('/api/v1/people/search');
  expect(searches.at(-1)).toMatchObject({ path: '/api/v1/people/search?q=harr', status: 200, sandboxUser: 'teacher@demo-school.test' });

  await step('pane-staff-chosen-and-sent', async () => {
    await frame.locator('.staff-result').first().click();
    await frame.locator('#staff-chosen:not([hidden])').waitFor();
    await frame.getByLabel('Inappropriate or upsetting content').check();
    await frame.getByRole('button', { name: 'Report to DSL' }).click();
    await frame.locator('#receipt:not([hidden])').waitFor({ timeout: 30000 });
  });
  const reference = (await frame.locator('#reference').textContent())?.trim() ?? '';
  expect(apiRequests('/api/v1/email-reports?').at(-1)!.path).toMatch(/^\/api\/v1\/email-reports\?choice=inappropriate&subject=[0-9a-f-]{36}$/);
  // An allegation about the head: the DSL sees it, restricted; the head does not.
  const asDsl = await caseAsDsl(reference);
  expect(asDsl.status).toBe(200);
  expect(asDsl.body.case).toMatchObject({ restricted: true, aboutHeadteacher: true });
  const asHead = await fetch(`${dslDesk.url}/api/v1/cases/${reference}`, { headers: { 'X-DSL-Desk-Sandbox-User': 'head@demo-school.test' } });
  expect(asHead.status).toBe(404);
});

describe('the Outlook add-in without Office.js', () => {
  test('the Outlook add-in task pane says what is wrong and what to do when a filter blocks Office.js', async () => {
    const { page, step } = browser;
    const refused: string[] = [];
    // Later routes win: this one answers the CDN request as a web filter would, instead of the stand-in.
    const block = (route: Route) => {
      refused.push(route.request().url());
      return route.abort('blockedbyclient');
    };
    await page.route(OFFICE_JS_CDN, block);
    try {
      await step('pane-office-js-blocked', async () => {
        await page.goto(`${host.url}/addin/outlook/taskpane.html`);
        await page.locator('#unavailable:not([hidden])').waitFor({ timeout: 15000 });
      });
      expect(refused.length).toBeGreaterThan(0);
      await expect(page.locator('#unavailable').getAttribute('data-reason')).resolves.toBe('office-js-missing');
      await expect(page.locator('#unavailable-title').textContent()).resolves.toMatch(/Office\.js did not load/);
      await expect(page.locator('#unavailable-problem').textContent()).resolves.toMatch(/appsforoffice\.microsoft\.com/);
      await expect(page.locator('#unavailable-action').textContent()).resolves.toMatch(/Ask your IT team to allow https:\/\/appsforoffice\.microsoft\.com/);
      await expect(page.locator('#unavailable').isVisible()).resolves.toBe(true);
      await expect(page.locator('#report-form').isHidden()).resolves.toBe(true);
    } finally {
      await page.unroute(OFFICE_JS_CDN, block);
    }
  });

  test('the Outlook add-in task pane opened in a browser outside Outlook says to open it from Outlook', async () => {
    const { page, step } = browser;
    // What Microsoft's Office.js does outside an Office host: onReady answers with no host and there is no mailbox.
    const outside = (route: Route) =>
      route.fulfill({ status: 200, contentType: 'text/javascript', body: 'window.Office = { context: {}, onReady: function () { return Promise.resolve({ host: null, platform: null }); } };' });
    await page.route(OFFICE_JS_CDN, outside);
    try {
      await step('pane-outside-outlook', async () => {
        await page.goto(`${host.url}/addin/outlook/taskpane.html`);
        await page.locator('#unavailable:not([hidden])').waitFor({ timeout: 15000 });
      });
      await expect(page.locator('#unavailable').getAttribute('data-reason')).resolves.toBe('not-in-outlook');
      await expect(page.locator('#unavailable-action').textContent()).resolves.toMatch(/In Outlook, open the email/);
    } finally {
      await page.unroute(OFFICE_JS_CDN, outside);
    }
  });
});
