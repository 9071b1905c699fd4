import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { GOOGLE_CHAT_PATH } from '../../src/domain/google-workspace.ts';
import { DEMO_GOOGLE_DSL_SPACE, startDemoGoogleSchoolClient } from '../../scripts/workspace-client/demo-google-school.ts';
import type { WorkspaceClient } from '../../scripts/workspace-client/workspace-client.ts';
import { startDslDeskSandbox, type RunningDslDesk } from '../../scripts/playground/start-dsl-desk.ts';
import { freePort } from '../../scripts/playground/start-playground.ts';
import { artifactsDir, launchBrowser, type E2EBrowser } from './support/browser.ts';

// Google Chat, end to end, through the local Workspace client's pages in Chromium, with DSL Desk's sandbox
// started as `npm run demo` starts it: the DSL sets up the DSL space, a teacher of the demo's Google school
// reports a concern in the dialog, the case card reaches the space without the concern, the DSL acknowledges
// it and the teacher is told; "Open case" is for the DSL only; a new starter signs the policy in her DM; and
// the teacher's form and the DSL's card work at phone width. Each test is one step and needs the ones before
// it. Screenshots and DSL Desk's log go to test/e2e/artifacts/ (google-chat-*).

const PREFIX = 'google-chat';
const CONCERN_TEXT = 'E2E check: a pupil was sent threatening messages in the Year 6 group chat.';
// Generous: a busy machine, an outbox that polls, pages that reload themselves every 1.5 s.
const WAIT = { timeout: 60_000 };

let dslDesk: RunningDslDesk;
let google: WorkspaceClient;
let browser: E2EBrowser;
let page: Page;

// What the steps hand on to each other.
let reference: string | undefined;
let acknowledged = false;

function need<T>(value: T | undefined, step: string): T {
  if (value === undefined || value === false) throw new Error(`This step needs step ${step} to have passed.`);
  return value;
}

function pageOf(person: 'teacher' | 'dsl' | 'starter', where: 'dm' | 'space'): string {
  const pages = google.pages[person];
  const url = where === 'dm' ? pages?.dm : pages?.spaces[DEMO_GOOGLE_DSL_SPACE.id];
  if (!url) throw new Error(`The Workspace client has no ${where} page for ${person}.`);
  return url;
}

/** Today's date as the form asks for it (DD/MM/YYYY), in the school's time. */
function todayInSchool(): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: '2-digit', month: '2-digit', year: 'numeric' }).format(new Date());
}

/** What the callbacks that run inside the browser read (the tests compile without the DOM library). */
declare const document: { scrollingElement: { scrollWidth: number } | null };
declare const window: { innerWidth: number };
declare function getComputedStyle(element: unknown): { color: string };

// ---- the client's pages ----------------------------------------------------------------------------

async function openConversation(url: string): Promise<void> {
  await page.goto(url);
  await page.locator('#compose').waitFor(WAIT);
}

/** Types a message in the open conversation and sends it, as the person whose page it is. */
async function sendMessage(text: string): Promise<void> {
  await page.locator('#compose').fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

/** The newest message on the page that shows this text (the page reloads itself when the conversation changes). */
function message(text: string | RegExp): Locator {
  return page.locator('li.message').filter({ hasText: text }).last();
}

function dialog(): Locator {
  return page.getByRole('dialog');
}

function button(within: Locator, name: string): Locator {
  return within.getByRole('button', { name, exact: true });
}

/** The case card of the case reported in (b), as the person whose page is open sees it. */
function caseCardMessage(): Locator {
  return message(need(reference, '(b)'));
}

/** Nothing wider than the screen: no sideways scrolling. */
async function horizontalOverflow(): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(() => ({ scrollWidth: document.scrollingElement?.scrollWidth ?? 0, innerWidth: window.innerWidth }));
}

/** The heights of the visible buttons (and links styled as buttons) inside `within`. */
async function buttonHeights(within: Locator): Promise<{ name: string; height: number }[]> {
  const heights: { name: string; height: number }[] = [];
  for (const control of await within.locator('button, a.button, summary').all()) {
    if (!(await control.isVisible())) continue;
    const box = await control.boundingBox();
    if (box) heights.push({ name: (await control.innerText()).trim(), height: Math.round(box.height) });
  }
  return heights;
}

beforeAll(async () => {
  // As the demo starts them: the Workspace client first, then DSL Desk with the settings that make it trust
  // the client's signer and post to its Chat API. A teacher is in the DSL space too, to be refused there.
  const port = await freePort();
  google = await startDemoGoogleSchoolClient({ appUrl: `http://127.0.0.1:${port}${GOOGLE_CHAT_PATH}`, projectNumber: '123456789012', alsoInSpace: ['teacher'] });
  // A fast outbox, so the case card and the teacher's notice follow within a test's patience.
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

test('(a) the DSL adds DSL Desk to the DSL space and says "use this space for cases"', async () => {
  await browser.step('a-space-open', () => openConversation(pageOf('dsl', 'space')));
  await browser.step('a-app-added', async () => {
    await page.getByRole('button', { name: 'Add DSL Desk to this space', exact: true }).click();
    await message('use this space for cases').waitFor(WAIT);
  });
  await browser.step('a-space-set-up', async () => {
    await sendMessage('use this space for cases');
    await message('New cases will be posted in this space').waitFor(WAIT);
  });
  expect(await message('New cases will be posted in this space').innerText()).not.toMatch(/only the DSL|went wrong/i);
});

test('(b) the teacher reports a concern in the dialog: a missing answer comes back by its field with what was typed kept, then the receipt', async () => {
  await browser.step('b-dm-open', () => openConversation(pageOf('teacher', 'dm')));
  const form = dialog();
  await browser.step('b-form-opened', async () => {
    await sendMessage('report');
    await button(message('Report a concern to the DSL'), 'Open the form').click(WAIT);
    await form.waitFor(WAIT);
  });
  expect(await form.getAttribute('aria-label')).toBe('Report a concern to the DSL');

  // Everything but the kind of incident, which is required.
  const date = todayInSchool();
  await browser.step('b-form-without-type', async () => {
    await form.getByLabel('What happened? What, when, where and how').fill(CONCERN_TEXT);
    await form.getByRole('radio', { name: 'In school', exact: true }).check();
    await form.getByLabel('Date it happened').fill(date);
  });
  const typeField = form.locator('.field').filter({ has: page.locator('select[name="types"]') });
  await browser.step('b-form-back-with-message', async () => {
    await button(form, 'Send to the DSL').click();
    await form.getByText('Choose at least one incident type.').scrollIntoViewIfNeeded(WAIT);
  });
  // The message sits right under the field it is about, in red as Chat shows it, the form says so at the top,
  // and nothing typed was lost.
  const typeError = typeField.locator('xpath=following-sibling::*[1]');
  expect(await typeError.innerText()).toBe('Choose at least one incident type.');
  expect(await typeError.getByText('Choose at least one incident type.').evaluate((element) => getComputedStyle(element).color)).toBe('rgb(179, 38, 30)');
  expect(await form.getByText('Some answers need another look. What you typed is still here.').isVisible()).toBe(true);
  expect(await form.getByLabel('What happened? What, when, where and how').inputValue()).toBe(CONCERN_TEXT);
  expect(await form.getByRole('radio', { name: 'In school', exact: true }).isChecked()).toBe(true);
  expect(await form.getByLabel('Date it happened').inputValue()).toBe(date);
  expect(await message('Thank you. Your concern has gone to the DSL.').count()).toBe(0);

  let notification = '';
  const receipt = await browser.step('b-receipt', async () => {
    await form.getByLabel('What kind of incident? (choose all that apply)').selectOption('online_bullying');
    await button(form, 'Send to the DSL').click();
    // The dialog closes with Chat's notification at once; the receipt card follows in the DM, and the page
    // reloads for it (a notification shows once, as in Chat), so the notification is read as it appears.
    const shownNotification = await page.waitForFunction(
      "[...document.querySelectorAll('[role=status]')].map((element) => element.textContent || '').find((text) => text.includes('has gone to the DSL'))",
      undefined,
      WAIT,
    );
    notification = String(await shownNotification.jsonValue());
    const shown = message('Thank you. Your concern has gone to the DSL.');
    await shown.waitFor(WAIT);
    return shown.innerText();
  });
  expect(await dialog().count()).toBe(0);
  reference = /CASE-\d{4}-\d{4,}/.exec(receipt)?.[0];
  // A fresh sandbox numbers its first case 0001.
  expect(reference).toBe(`CASE-${new Date().getFullYear()}-0001`);
  expect(receipt).toContain(`Reference ${reference}`);
  expect(notification).toContain(`Your report ${reference} has gone to the DSL`);
});

test('(c) the case card reaches the DSL space without the concern; the DSL acknowledges it and the teacher is told', async () => {
  const ref = need(reference, '(b)');
  await browser.step('c-case-card-in-space', async () => {
    await openConversation(pageOf('dsl', 'space'));
    await caseCardMessage().getByRole('button', { name: 'Acknowledge', exact: true }).scrollIntoViewIfNeeded(WAIT);
  });
  // Reference, type, urgency, who reported: never what was written.
  const card = caseCardMessage();
  const before = await card.innerText();
  expect(before).toContain('New: not picked up yet');
  expect(before).toContain('Tom Teacher');
  expect(before).toContain(`New high case ${ref}`);
  expect(await page.locator('body').innerText()).not.toContain('Year 6 group chat');
  expect(await page.content()).not.toContain('threatening messages');

  await browser.step('c-acknowledged', async () => {
    await button(caseCardMessage(), 'Acknowledge').click();
    await caseCardMessage().getByText('Acknowledged', { exact: true }).scrollIntoViewIfNeeded(WAIT);
  });
  const after = await card.innerText();
  expect(after).toContain('Picked up by');
  expect(after).toContain('Dana Lead');
  expect(after).not.toContain('not picked up yet');
  expect(await button(card, 'Acknowledge').count()).toBe(0);
  // The words over the card follow it: no "New … case" over a card that says it was picked up.
  expect(await card.locator('p.text').innerText()).toBe(`High case ${ref}: Acknowledged`);
  acknowledged = true;

  const notice = await browser.step('c-teacher-told', async () => {
    await openConversation(pageOf('teacher', 'dm'));
    const shown = message(`Your report ${ref} has been picked up`);
    await shown.waitFor(WAIT);
    return shown.innerText();
  });
  expect(notice).not.toContain('Year 6 group chat');
});

test('(d) "Open case" shows the record to the DSL only; a teacher in the space pressing a DSL button is refused privately', async () => {
  need(acknowledged, '(c)');
  const ref = need(reference, '(b)');
  const record = dialog();
  await browser.step('d-dsl-opens-case', async () => {
    await openConversation(pageOf('dsl', 'space'));
    await button(caseCardMessage(), 'Open case').click(WAIT);
    await record.waitFor(WAIT);
  });
  expect(await record.getAttribute('aria-label')).toBe(`Case ${ref}`);
  const recordText = await record.innerText();
  expect(recordText).toContain(CONCERN_TEXT);
  expect(recordText).toContain('Opening this case was recorded in its access log.');
  await browser.step('d-dsl-closes-record', async () => {
    await button(record, 'Close dialog').click();
    await record.waitFor({ state: 'detached', ...WAIT });
  });

  // Tom Teacher is a member of the DSL space: he sees the same card, but its buttons are not his.
  const refusal = message('Only visible to you');
  await browser.step('d-teacher-sees-card', async () => {
    await openConversation(pageOf('teacher', 'space'));
    await caseCardMessage().waitFor(WAIT);
  });
  expect(await page.content()).not.toContain('threatening messages');
  const refusalText = await browser.step('d-teacher-refused-assign', async () => {
    await button(caseCardMessage(), 'Assign to me').click();
    await refusal.scrollIntoViewIfNeeded(WAIT);
    return refusal.locator('p.text').innerText();
  });
  // Told as for any case they may not see: the card's buttons are the DSLs'.
  expect(refusalText).toBe('That case was not found.');
  // The card is as it was: nobody was assigned.
  expect(await caseCardMessage().innerText()).toMatch(/Assigned to\s+Nobody yet/);

  await browser.step('d-teacher-refused-open', async () => {
    await button(caseCardMessage(), 'Open case').click();
    await dialog().waitFor(WAIT);
  });
  const refusedDialog = await dialog().innerText();
  expect(refusedDialog).not.toContain(CONCERN_TEXT);
  expect(refusedDialog).not.toContain('What was reported');
  expect(refusedDialog).toMatch(/not found|only the DSL/i);
  await button(dialog(), 'Close dialog').click();
  await dialog().waitFor({ state: 'detached', ...WAIT });

  // The refusal was the teacher's alone: the DSL's page of the same space does not show it.
  await browser.step('d-dsl-does-not-see-refusal', async () => {
    await openConversation(pageOf('dsl', 'space'));
    await caseCardMessage().waitFor(WAIT);
  });
  const dslView = await page.locator('main').innerText();
  expect(dslView).not.toContain('Only visible to you');
  expect(dslView).not.toContain(refusalText);
});

test('(e) the new starter signs the policy in her DM: without the tick it comes back with a message by the box and her name kept', async () => {
  const policy = message('Staff Acceptable Use Policy');
  const nameBox = () => policy.getByLabel('Type your full name');
  await browser.step('e-policy-card', async () => {
    await openConversation(pageOf('starter', 'dm'));
    await button(policy, 'Sign').waitFor(WAIT);
  });
  expect(await policy.innerText()).toContain('Read the full policy');

  await browser.step('e-sign-without-tick', async () => {
    await nameBox().fill('Nia New');
    await button(policy, 'Sign').click();
    await policy.locator('fieldset + p.text-paragraph').scrollIntoViewIfNeeded(WAIT);
  });
  const agreement = policy.locator('fieldset').filter({ hasText: 'Your agreement' });
  expect(await agreement.locator('xpath=following-sibling::*[1]').innerText()).toBe('Tick "I have read and agree to follow this policy" to sign.');
  expect(await nameBox().inputValue()).toBe('Nia New');
  expect(await policy.innerText()).not.toContain('Signed on');

  const signed = message(/Signed on .+ — version 1/);
  await browser.step('e-signed', async () => {
    await agreement.getByRole('checkbox').check();
    await button(policy, 'Sign').click();
    await signed.scrollIntoViewIfNeeded(WAIT);
  });
  expect(await signed.innerText()).toContain('Staff Acceptable Use Policy');
  expect(await button(signed, 'Sign').count()).toBe(0);
});

test('(f) at phone width (360 × 740) the teacher\'s form and the DSL\'s card fit the screen, with buttons big enough to tap', async () => {
  need(acknowledged, '(c)');
  await page.setViewportSize({ width: 360, height: 740 });

  const form = dialog();
  await browser.step('f-phone-form', async () => {
    await openConversation(pageOf('teacher', 'dm'));
    await sendMessage('report');
    await button(message('Report a concern to the DSL'), 'Open the form').click(WAIT);
    await form.waitFor(WAIT);
  });
  const formOverflow = await horizontalOverflow();
  expect(formOverflow.innerWidth).toBe(360);
  expect(formOverflow.scrollWidth).toBeLessThanOrEqual(formOverflow.innerWidth);
  const formButtons = await buttonHeights(form);
  expect(formButtons.map((b) => b.name)).toEqual(expect.arrayContaining(['Send to the DSL', 'Find', 'Close dialog']));
  expect(formButtons.filter((control) => control.height < 44)).toEqual([]);
  // The one the teacher needs last can be reached.
  await button(form, 'Send to the DSL').scrollIntoViewIfNeeded();
  const sendBox = await button(form, 'Send to the DSL').boundingBox();
  expect(sendBox && sendBox.x >= 0 && sendBox.x + sendBox.width <= 360).toBe(true);
  await browser.screenshot('f-phone-form-bottom');
  await button(form, 'Close dialog').click();
  await form.waitFor({ state: 'detached', ...WAIT });

  const card = caseCardMessage();
  await browser.step('f-phone-case-card', async () => {
    await openConversation(pageOf('dsl', 'space'));
    await card.waitFor(WAIT);
    await card.scrollIntoViewIfNeeded();
  });
  const cardOverflow = await horizontalOverflow();
  expect(cardOverflow.scrollWidth).toBeLessThanOrEqual(cardOverflow.innerWidth);
  const cardButtons = await buttonHeights(card);
  expect(cardButtons.map((b) => b.name)).toEqual(expect.arrayContaining(['Open case', 'Assign to me', 'Add note', 'Close']));
  expect(cardButtons.filter((control) => control.height < 44)).toEqual([]);
  const box = await card.boundingBox();
  expect(box && box.x >= 0 && box.x + box.width <= 360).toBe(true);
});
