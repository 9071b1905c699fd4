import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { projectRoot } from '../../../scripts/playground/start-playground.ts';

const AXE = join(projectRoot(), 'node_modules', 'axe-core', 'axe.min.js');

/** axe-core's WCAG 2.0 A/AA and 2.1 AA rules on the page as it is now; each violation with the elements it found. */
export async function axeViolations(page: Page): Promise<string[]> {
  // The pages allow scripts from their own origin only, and an injected inline script is refused: axe is
  // served from the page's origin (answered by the browser from node_modules), so the real policy stays on.
  const axeUrl = new URL('/__test__/axe.min.js', page.url()).href;
  await page.route(axeUrl, (route) => route.fulfill({ path: AXE, contentType: 'text/javascript' }));
  await page.addScriptTag({ url: axeUrl });
  const results = await page.evaluate(async () => {
    const axe = (globalThis as any).axe;
    const run = await axe.run((globalThis as any).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return { violations: run.violations.map((v: any) => `${v.id}: ${v.help} — ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`), passes: run.passes.length };
  });
  // A run that checked nothing would pass for the wrong reason.
  expect(results.passes).toBeGreaterThan(10);
  return results.violations;
}
