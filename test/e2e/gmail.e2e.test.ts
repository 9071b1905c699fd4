import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { GOOGLE_CHAT_PATH } from '../../src/domain/google-workspace.ts';
import { DEMO_GOOGLE_DSL_SPACE, GIFT_CARDS_SUBJECT, startDemoGoogleSchoolClient } from '../../scripts/workspace-client/demo-google-school.ts';
import type { WorkspaceClient } from '../../scripts/workspace-client/workspace-client.ts';
import { startDslDeskSandbox, type RunningDslDesk } from '../../scripts/playground/start-dsl-desk.ts';
import { freePort } from '../../scripts/playground/start-playground.ts';
import { artifactsDir, launchBrowser, type E2EBrowser } from './support/browser.ts';

// Gmail, end to end, through the local Workspace client's pages in Chromium, with DSL Desk's sandbox started as
// `npm run demo` starts it: Tom Teacher opens the "headteacher needs gift cards" email in Gmail and sees DSL
// Desk's card on it; Report without a choice comes back with a message by the choices and his note kept; with
// "Phishing or suspicious" and a note, the result card gives the reference and how to delete the email, with a
// toast; Dana Lead acknowledges the case card in the DSL space in Chat; the Gmail page works at phone width; and
// Dana removes the email from every staff mailbox (Tom's open inbox drops it by itself) and forwards it to IT security.
// Each test is one step and needs the ones before it. Screenshots and DSL Desk's log go to
// test/e2e/artifacts/ (gmail-*).

const PREFIX = 'gmail';
const NOTE = 'E2E check: it asks me to buy gift cards and reply only by email.';
// Generous: a busy machine, an outbox that polls, pages that reload themselves every 1.5 s.
const WAIT = { timeout: 60_000 };

let dslDesk: RunningDslDesk;
let google: WorkspaceClient;
let browser: E2EBrowser;
let page: Page;

// What the steps hand on to each other.
let spaceReady = false;
let reference: string | undefined;
let acknowledged = false;

function need<T>(value: T | undefined, step: string): T {
  if (value === undefined || value === false) throw new Error(`This step needs step ${step} to have passed.`);
  return value;
}

function gmailPage(): string {
  const url = google.pages.teacher?.gmail;
  if (!url) throw new Error('The Workspace client has no Gmail page for the teacher.');
  return url;
}

function dslSpacePage(): string {
  const url = google.pages.dsl?.spaces[DEMO_GOOGLE_DSL_SPACE.id];
  if (!url) throw new Error('The Workspace client has no DSL space page for the DSL.');
  return url;
}

/** What the callbacks that run inside the browser read (the tests compile without the DOM library). */
declare const document: { scrollingElement: { scrollWidth: number } | null };
declare const window: { innerWidth: number };

/** The add-on panel beside the open message. */
function panel(): Locator {
  return page.getByRole('complementary', { name: 'DSL Desk add-on' });
}

function button(within: Locator, name: string | RegExp): Locator {
  return within.getByRole('button', { name, exact: typeof name === 'string' });
}

/** The note box on the report card. */
function noteBox(): Locator {
  return panel().getByRole('textbox', { name: /note/i });
}

/** The choices on the report card, as a group. */
function choices(): Locator {
  return panel().locator('fieldset').filter({ has: page.getByRole('radio') }).first();
}

async function openGiftCardsEmail(): Promise<void> {
  await page.goto(gmailPage());
  await page.getByRole('link', { name: new RegExp(GIFT_CARDS_SUBJECT) }).click(WAIT);
  await page.getByRole('heading', { name: GIFT_CARDS_SUBJECT }).waitFor(WAIT);
  await button(panel(), 'Report').waitFor(WAIT);
}

/** The newest Chat message on the page that shows this text. */
function chatMessage(text: string | RegExp): Locator {
  return page.locator('li.message').filter({ hasText: text }).last();
}

/** Nothing wider than the screen: no sideways scrolling. */
async function horizontalOverflow(): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(() => ({ scrollWidth: document.scrollingElement?.scrollWidth ?? 0, innerWidth: window.innerWidth }));
}

/** The heights of the visible buttons (and links styled as buttons or as inbox rows) inside `within`. */
async function controlHeights(within: Locator): Promise<{ name: string; height: number }[]> {
  const heights: { name: string; height: number }[] = [];
  for (const control of await within.locator('button, a.button, a.mail-row, summary').all()) {
    if (!(await control.isVisible())) continue;
    const box = await control.boundingBox();
    if (box) heights.push({ name: (await control.innerText()).trim(), height: Math.round(box.height) });
  }
  return heights;
}

beforeAll(async () => {
  // As the demo starts them: the Workspace client first (with Tom's inbox), then DSL Desk with the settings that
  // make it trust the client's signer and read from its Gmail API.
  const port = await freePort();
  google = await startDemoGoogleSchoolClient({ appUrl: `http://127.0.0.1:${port}${GOOGLE_CHAT_PATH}`, projectNumber: '123456789012' });
  // A fast outbox, so the case card follows within a test's patience.
  dslDesk = await startDslDeskSandbox({ port, logLevel: 'info', env: { ...google.env, OUTBOX_POLL_MS: '100' } });
  browser = await launchBrowser({ prefix: PREFIX });
  page = browser.page;
});

afterAll(async () => {
  if (dslDesk) writeFileSync(join(artifactsDir(), `${PREFIX}-dsl-desk.log`), dslDesk.output());
  await browser?.close();
  await dslDesk?.close();
  await google?.close();
});

test('(a) the DSL sets up the DSL space in Chat, so cases have somewhere to go', async () => {
  await browser.step('a-space-open', async () => {
    await page.goto(dslSpacePage());
    await page.locator('#compose').waitFor(WAIT);
  });
  await browser.step('a-space-set-up', async () => {
    await button(page.locator('body'), 'Add DSL Desk to this space').click();
    await chatMessage('use this space for cases').waitFor(WAIT);
    await page.locator('#compose').fill('use this space for cases');
    await button(page.locator('body'), 'Send').click();
    await chatMessage('New cases will be posted in this space').waitFor(WAIT);
  });
  spaceReady = true;
});

test('(b) Tom\'s inbox and the homepage card; opening the gift-card email shows it beside DSL Desk\'s card with the three choices and the 999 line', async () => {
  await browser.step('b-inbox', async () => {
    await page.goto(gmailPage());
    await page.getByRole('link', { name: new RegExp(GIFT_CARDS_SUBJECT) }).waitFor(WAIT);
  });
  // No message open: the homepage card.
  expect(await panel().innerText()).toMatch(/open (a|the) message/i);

  await browser.step('b-message-open', openGiftCardsEmail);
  const mail = page.getByRole('article');
  expect(await mail.innerText()).toContain('Harriet Head');
  expect(await mail.innerText()).toContain('please buy six 50 GBP gift cards');
  const card = await panel().innerText();
  expect(card).toContain('999');
  for (const choice of ['Phishing or suspicious', 'A safeguarding concern about a child', 'Inappropriate or upsetting content']) {
    expect(await panel().getByRole('radio', { name: choice, exact: true }).count()).toBe(1);
  }
  expect(card).toMatch(/what happens next/i);
  expect(await noteBox().count()).toBe(1);
});

test('(c) Report with no choice: a message by the choices, and his note kept', async () => {
  await browser.step('c-report-without-choice', async () => {
    await openGiftCardsEmail();
    await noteBox().fill(NOTE);
    await button(panel(), 'Report').click();
    await noteBox().waitFor(WAIT);
    await page.waitForFunction("/choose/i.test(document.querySelector('aside.addon')?.innerText || '')", undefined, WAIT);
  });
  // The message sits right by the choices (just before or just after them).
  const group = choices();
  const neighbours = [
    await group.locator('xpath=preceding-sibling::*[1]').innerText().catch(() => ''),
    await group.locator('xpath=following-sibling::*[1]').innerText().catch(() => ''),
  ].join('\n');
  expect(neighbours).toMatch(/choose/i);
  expect(await noteBox().inputValue()).toBe(NOTE);
  expect(await panel().innerText()).not.toMatch(/CASE-\d{4}-\d+/);
});

test('(d) with "Phishing or suspicious" and a note: the reference, how to delete the email, and a toast', async () => {
  need(spaceReady, '(a)');
  let toast = '';
  await browser.step('d-reported', async () => {
    await openGiftCardsEmail();
    await panel().getByRole('radio', { name: 'Phishing or suspicious', exact: true }).check();
    await noteBox().fill(NOTE);
    await button(panel(), 'Report').click();
    const shownToast = await page.waitForFunction(
      "[...document.querySelectorAll('.toast[role=status]')].map((element) => element.textContent || '').find((text) => text.trim())",
      undefined,
      WAIT,
    );
    toast = String(await shownToast.jsonValue());
  });
  const result = await panel().innerText();
  reference = /CASE-\d{4}-\d{4,}/.exec(result)?.[0];
  // A fresh sandbox numbers its first case 0001.
  expect(reference).toBe(`CASE-${new Date().getFullYear()}-0001`);
  expect(result).toMatch(/delete/i);
  expect(result).toContain('999');
  expect(toast.length).toBeGreaterThan(0);
  expect(await button(panel(), 'Report').count()).toBe(0);
});

test('(e) Dana sees the case card in the DSL space, without Tom\'s note, and acknowledges it', async () => {
  const ref = need(reference, '(d)');
  const card = () => chatMessage(ref);
  await browser.step('e-case-card', async () => {
    await page.goto(dslSpacePage());
    await page.locator('#compose').waitFor(WAIT);
    await card().getByRole('button', { name: 'Acknowledge', exact: true }).scrollIntoViewIfNeeded(WAIT);
  });
  const before = await card().innerText();
  expect(before).toContain('Tom Teacher');
  expect(await page.content()).not.toContain('buy gift cards and reply only by email');

  await browser.step('e-acknowledged', async () => {
    await button(card(), 'Acknowledge').click();
    await card().getByText('Acknowledged', { exact: true }).scrollIntoViewIfNeeded(WAIT);
  });
  const after = await card().innerText();
  expect(after).toContain('Dana Lead');
  expect(await button(card(), 'Acknowledge').count()).toBe(0);
  acknowledged = true;
});

test('(f) at phone width (360 × 740) the inbox and the open email with its card fit the screen, with controls big enough to tap', async () => {
  need(acknowledged, '(e)');
  await page.setViewportSize({ width: 360, height: 740 });

  await browser.step('f-phone-inbox', async () => {
    await page.goto(gmailPage());
    await page.getByRole('link', { name: new RegExp(GIFT_CARDS_SUBJECT) }).waitFor(WAIT);
  });
  const inboxOverflow = await horizontalOverflow();
  expect(inboxOverflow.innerWidth).toBe(360);
  expect(inboxOverflow.scrollWidth).toBeLessThanOrEqual(inboxOverflow.innerWidth);
  expect((await controlHeights(page.locator('main'))).filter((control) => control.height < 44)).toEqual([]);

  await browser.step('f-phone-message', openGiftCardsEmail);
  const overflow = await horizontalOverflow();
  expect(overflow.scrollWidth).toBeLessThanOrEqual(overflow.innerWidth);
  const heights = await controlHeights(page.locator('main'));
  expect(heights.map((control) => control.name)).toEqual(expect.arrayContaining(['Report', 'Back to inbox']));
  expect(heights.filter((control) => control.height < 44)).toEqual([]);
  // The button Tom needs last can be reached, inside the screen.
  await button(panel(), 'Report').scrollIntoViewIfNeeded();
  const box = await button(panel(), 'Report').boundingBox();
  expect(box && box.x >= 0 && box.x + box.width <= 360).toBe(true);
  await browser.screenshot('f-phone-message-report');
});

test('(g) Dana removes the email from every mailbox: Tom\'s open inbox loses it by itself, the card gives the count; forwarded, it reaches the security team\'s Gmail', async () => {
  const ref = need(reference, '(d)');
  need(acknowledged, '(e)');
  await page.setViewportSize({ width: 1280, height: 900 });
  const card = () => chatMessage(ref);
  // Tom's inbox stays open in a second tab while Dana acts.
  const inbox = await page.context().newPage();
  try {
    await inbox.goto(gmailPage());
    await inbox.getByRole('link', { name: new RegExp(GIFT_CARDS_SUBJECT) }).waitFor(WAIT);

    await browser.step('g-remove', async () => {
      await page.goto(dslSpacePage());
      await button(card(), 'Remove from all mailboxes').click(WAIT);
      // The shared card is edited as the search goes: wait for its final line (the page reloads itself).
      await card().getByText(/Removed from every mailbox: 5 copies moved to the Bin \(5 searched\)/).waitFor(WAIT);
    });

    // The open inbox reloads by itself without the email once its copy is in the Bin; his other message stays.
    await inbox.getByRole('link', { name: new RegExp(GIFT_CARDS_SUBJECT) }).waitFor({ state: 'detached', ...WAIT });
    expect(await inbox.getByRole('link', { name: /evening rota/i }).count()).toBe(1);
  } finally {
    await inbox.close();
  }
  expect(google.gmail.messages('tom.teacher@oakfield.example.org').filter((message) => message.labelIds.includes('TRASH'))).toHaveLength(1);

  await browser.step('g-forward', async () => {
    await page.goto(dslSpacePage());
    await button(card(), 'Forward to IT security').click(WAIT);
    await page.goto(need(google.pages.security?.gmail, 'security Gmail page'));
    await page.getByRole('link', { name: new RegExp(`Phishing: ${GIFT_CARDS_SUBJECT}`) }).waitFor(WAIT);
  });
});
