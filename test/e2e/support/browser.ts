import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { projectRoot } from '../../../scripts/playground/start-playground.ts';

/**
 * Debian's Chromium driven by playwright-core, for end-to-end tests. No browser is ever downloaded: install
 * it with `apt-get install chromium` (or point E2E_CHROMIUM at another Chromium binary).
 * Every request that leaves the machine is refused (the Agents Playground asks an Office CDN for fonts).
 */

export const CHROMIUM_PATH = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';

/** Flags that make Debian's Chromium behave headless in a container and stay off the network. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Where screenshots go: test/e2e/artifacts/ (not committed). */
export function artifactsDir(): string {
  const dir = join(projectRoot(), 'test', 'e2e', 'artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface E2EBrowser {
  context: BrowserContext;
  page: Page;
  /** Requests that were refused because they left the machine. */
  blocked: string[];
  /** The page's console messages, for failure reports. */
  consoleLines: string[];
  /** Saves a full-page screenshot as test/e2e/artifacts/<prefix>-<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  /**
   * Runs one step of a scenario; afterwards (or when it fails) saves a screenshot named after the step,
   * numbered in order, so a failed run leaves a picture of where it stopped.
   */
  step<T>(name: string, action: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function launchBrowser(options: { prefix: string; width?: number; height?: number }): Promise<E2EBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}. Install Debian's package (apt-get install -y chromium) or set E2E_CHROMIUM.`);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'dsl-desk-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
    // The playground's layout is built for a desktop window, not a phone.
    viewport: { width: options.width ?? 1400, height: options.height ?? 1000 },
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  });
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const requested = route.request().url();
    let host = '';
    try {
      host = new URL(requested).hostname;
    } catch {
      // data: and similar have no host and never leave the machine
      return route.continue();
    }
    if (!host || LOCAL_HOSTS.has(host)) return route.continue();
    blocked.push(requested);
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleLines: string[] = [];
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));

  // Pictures from an earlier run of the same file would mix with this run's numbering.
  const dir = artifactsDir();
  for (const file of readdirSync(dir)) if (file.startsWith(`${options.prefix}-`)) rmSync(join(dir, file), { force: true });
  let counter = 0;
  const screenshot = async (name: string) => {
    const file = join(dir, `${options.prefix}-${name.replace(/[^a-z0-9-]+/gi, '-').toLowerCase()}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
  const step = async <T>(name: string, action: () => Promise<T>): Promise<T> => {
    counter += 1;
    const label = `${String(counter).padStart(2, '0')}-${name}`;
    try {
      const result = await action();
      await screenshot(label);
      return result;
    } catch (error) {
      const file = await screenshot(`${label}-FAILED`).catch(() => '(no screenshot)');
      if (error instanceof Error) error.message += `\n(step "${name}"; screenshot ${file}; last page console lines:\n${consoleLines.slice(-10).join('\n')})`;
      throw error;
    }
  };
  return {
    context,
    page,
    blocked,
    consoleLines,
    screenshot,
    step,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
