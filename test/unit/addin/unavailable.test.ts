import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PaneDocument, PaneElement, PaneInput } from '../../../addon/outlook/src/dom.ts';
import type { OfficeLike } from '../../../addon/outlook/src/office.ts';
import { start } from '../../../addon/outlook/src/taskpane.ts';
import { unavailableMessage, type UnavailableReason } from '../../../addon/outlook/src/unavailable.ts';

const html = readFileSync(join(__dirname, '../../../addon/outlook/static/taskpane.html'), 'utf8');

/** The pane's elements by id, as taskpane.html has them (hidden where the page hides them). */
function fakeDocument(): PaneDocument & { elements: Map<string, PaneElement & { attributes: Record<string, string> }> } {
  const elements = new Map<string, PaneElement & { attributes: Record<string, string> }>();
  for (const match of html.matchAll(/<(\w+) id="([^"]+)"([^>]*)>/g)) {
    const attributes: Record<string, string> = {};
    elements.set(match[2]!, {
      hidden: / hidden/.test(match[3]!),
      textContent: '',
      attributes,
      addEventListener: () => undefined,
      setAttribute: (name, value) => void (attributes[name] = value),
      removeAttribute: (name) => void delete attributes[name],
      focus: () => undefined,
    });
  }
  return {
    elements,
    readyState: 'complete',
    getElementById: (id) => elements.get(id) ?? null,
    querySelectorAll: () => [] as unknown as ArrayLike<PaneInput>,
    addEventListener: () => undefined,
  };
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((done) => setTimeout(done, 5));
  }
}

function shown(document: ReturnType<typeof fakeDocument>): { reason?: string; text: string } {
  const section = document.elements.get('unavailable')!;
  if (section.hidden) return { text: '' };
  const text = ['unavailable-title', 'unavailable-problem', 'unavailable-action'].map((id) => document.elements.get(id)!.textContent).join('\n');
  return { ...(section.attributes['data-reason'] ? { reason: section.attributes['data-reason'] } : {}), text };
}

describe('the Outlook add-in without Office.js', () => {
  test('the Outlook add-in task pane has a place for the message, hidden until needed', () => {
    for (const id of ['unavailable', 'unavailable-title', 'unavailable-problem', 'unavailable-action']) expect(html).toContain(`id="${id}"`);
    expect(html).toMatch(/<section id="unavailable" class="problem" role="alert" hidden>/);
    expect(html).toMatch(/<noscript>.*JavaScript/);
  });

  test.each<[UnavailableReason, RegExp[]]>([
    ['office-js-missing', [/Office\.js did not load/, /appsforoffice\.microsoft\.com/, /web filter/, /Ask your IT team to allow https:\/\/appsforoffice\.microsoft\.com/, /open it again from Outlook/]],
    ['not-in-outlook', [/only works inside Outlook/, /opened outside Outlook/, /In Outlook, open the email/]],
    ['no-answer', [/Outlook did not answer/, /Close this pane and open it again/]],
  ])('the Outlook add-in says what is wrong and what to do: %s', (reason, patterns) => {
    const message = unavailableMessage(reason);
    const text = `${message.title}\n${message.problem}\n${message.action}`;
    for (const pattern of patterns) expect(text).toMatch(pattern);
    expect(message.action).toMatch(/tell your DSL in person/);
  });

  test('the Outlook add-in task pane shows the message when Office.js did not load, and hides the form', () => {
    const document = fakeDocument();
    start({ office: undefined, document });
    expect(shown(document).reason).toBe('office-js-missing');
    expect(shown(document).text).toContain('appsforoffice.microsoft.com');
    expect(document.elements.get('report-form')!.hidden).toBe(true);
  });

  test('the Outlook add-in task pane opened outside Outlook (Office.js ready, no mailbox) says to open it from Outlook', async () => {
    const document = fakeDocument();
    const office = { onReady: () => Promise.resolve({ host: null, platform: null }), context: {} } as unknown as OfficeLike;
    start({ office, document });
    await until(() => !document.elements.get('unavailable')!.hidden);
    expect(shown(document).reason).toBe('not-in-outlook');
    expect(shown(document).text).toContain('only works inside Outlook');
  });

  test('the Outlook add-in task pane says so when Outlook never answers', async () => {
    const document = fakeDocument();
    const office = { onReady: () => new Promise(() => undefined), context: {} } as unknown as OfficeLike;
    start({ office, document, readyTimeoutMs: 20 });
    await until(() => !document.elements.get('unavailable')!.hidden);
    expect(shown(document).reason).toBe('no-answer');
  });
});
