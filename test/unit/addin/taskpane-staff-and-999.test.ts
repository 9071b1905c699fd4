import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FetchLike } from '../../../addon/outlook/src/api.ts';
import type { AddinConfig } from '../../../addon/outlook/src/config.ts';
import type { PaneDocument, PaneInput } from '../../../addon/outlook/src/dom.ts';
import type { OfficeLike } from '../../../addon/outlook/src/office.ts';
import { startTaskpane } from '../../../addon/outlook/src/taskpane.ts';
import { IMMEDIATE_DANGER_GUIDANCE } from '../../../src/domain/safety-guidance.ts';

const STATIC = join(__dirname, '../../../addon/outlook/static');
const html = readFileSync(join(STATIC, 'taskpane.html'), 'utf8');

type FakeElement = PaneInput & { id: string; tag: string; attributes: Record<string, string>; children: FakeElement[]; listeners: Map<string, ((event: { preventDefault(): void }) => void)[]>; fire(type: string): void };

function element(tag: string, id: string, hidden: boolean): FakeElement {
  const listeners = new Map<string, ((event: { preventDefault(): void }) => void)[]>();
  const attributes: Record<string, string> = {};
  const self: FakeElement = {
    id,
    tag,
    hidden,
    textContent: '',
    value: '',
    checked: false,
    disabled: false,
    attributes,
    children: [],
    listeners,
    addEventListener: (type, listener) => void listeners.set(type, [...(listeners.get(type) ?? []), listener]),
    setAttribute: (name, value) => void (attributes[name] = value),
    removeAttribute: (name) => void delete attributes[name],
    focus: () => undefined,
    replaceChildren: (...children) => void (self.children = children as FakeElement[]),
    fire: (type) => (listeners.get(type) ?? []).forEach((listener) => listener({ preventDefault: () => undefined })),
  };
  return self;
}

/** The pane as taskpane.html lays it out: every element with an id, and the choice radios. */
function fakeDocument() {
  const elements = new Map<string, FakeElement>();
  for (const match of html.matchAll(/<(\w+) [^>]*?id="([^"]+)"([^>]*)>/g)) elements.set(match[2]!, element(match[1]!, match[2]!, / hidden/.test(match[0])));
  const choices = [...html.matchAll(/name="choice" value="(\w+)"/g)].map((match) => Object.assign(element('input', '', false), { value: match[1]! }));
  const document: PaneDocument = {
    readyState: 'complete',
    getElementById: (id) => elements.get(id) ?? null,
    querySelectorAll: () => choices,
    addEventListener: () => undefined,
    createElement: (tag) => element(tag, '', false),
  };
  return { document, elements, choices, get: (id: string) => elements.get(id)! };
}

function fakeOffice(): OfficeLike {
  return {
    onReady: () => undefined,
    context: {
      mailbox: { item: { itemId: 'AAMk-1', internetMessageId: '<m-1@example.org>', subject: 'A message', getAsFileAsync: (_options, callback) => callback({ status: 'succeeded', value: Buffer.from('Subject: hi\r\n\r\nbody').toString('base64') }) } },
      requirements: { isSetSupported: () => true },
    },
  };
}

const CONFIG: AddinConfig = { apiBase: '', clientId: 'x', authority: 'https://login.microsoftonline.com/organizations', apiScope: 'api://x/y/access_as_user', phishingMoveTo: 'junk', sandboxUser: 'teacher@demo-school.test' } as AddinConfig;

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((done) => setTimeout(done, 5));
  }
}

describe('the Outlook task pane', () => {
  it('999 first, everywhere: the pane, its help page and the report dialog say the shared sentence, before anything else', () => {
    expect(IMMEDIATE_DANGER_GUIDANCE).toBe('If a child is in immediate danger, call 999 first, then report it.');
    // In the pane, right under the heading: before the form, and shown even when the form cannot be.
    const afterHeading = html.slice(html.indexOf('</h1>'));
    expect(afterHeading.indexOf(IMMEDIATE_DANGER_GUIDANCE)).toBeGreaterThan(0);
    expect(afterHeading.indexOf(IMMEDIATE_DANGER_GUIDANCE)).toBeLessThan(afterHeading.indexOf('<form'));
    expect(html).not.toMatch(/act now and tell your DSL in person/);
    expect(readFileSync(join(STATIC, 'help.html'), 'utf8')).toContain(IMMEDIATE_DANGER_GUIDANCE);
    for (const manifest of ['manifest.xml', 'manifest.sandbox.xml']) {
      const text = readFileSync(join(__dirname, '../../../manifest/outlook', manifest), 'utf8');
      const dialog = /<bt:String id="Dialog\.Text" DefaultValue="([^"]*)"/.exec(text)![1]!;
      expect(dialog.startsWith(IMMEDIATE_DANGER_GUIDANCE)).toBe(true);
    }
  });

  it('allegations about staff from every surface: the pane searches the school’s people, and the chosen person goes with the report', async () => {
    const pane = fakeDocument();
    const sent: { url: string; method: string }[] = [];
    const fetch: FetchLike = async (url, init) => {
      sent.push({ url, method: init.method });
      const body = url.includes('/people/search')
        ? { people: [{ id: '0b1c2d3e-0000-4000-8000-000000000001', name: 'Hana Head' }] }
        : { caseId: 'c-1', reference: 'CASE-2026-0042', receivedAt: '2026-11-09T08:15:00.000Z', joinedExisting: false };
      return { status: url.includes('/people/search') ? 200 : 201, ok: true, headers: { get: () => 'application/json' }, text: async () => JSON.stringify(body) };
    };
    const { staffSearch } = startTaskpane({
      office: fakeOffice(),
      document: pane.document,
      config: CONFIG,
      auth: { mode: 'sandbox', headers: async () => ({ 'X-DSL-Desk-Sandbox-User': 'teacher@demo-school.test' }) },
      apiBase: 'https://dsl-desk.example',
      storage: undefined,
      fetch,
      newKey: () => 'key-1',
      searchDebounceMs: 0,
    });

    // One letter is not searched; two are, after the pause, and the matches are shown as buttons.
    pane.get('staff-search').value = 'h';
    await staffSearch!.searchNow();
    expect(sent).toEqual([]);
    pane.get('staff-search').value = 'Hana';
    pane.get('staff-search').fire('input');
    await until(() => pane.get('staff-results').children.length > 0);
    expect(sent).toEqual([{ url: 'https://dsl-desk.example/api/v1/people/search?q=Hana', method: 'GET' }]);
    const [result] = pane.get('staff-results').children;
    expect(result!.textContent).toBe('Hana Head');

    result!.fire('click');
    expect(pane.get('staff-chosen').hidden).toBe(false);
    expect(pane.get('staff-chosen-name').textContent).toBe('Hana Head');

    pane.choices.find((choice) => choice.value === 'inappropriate')!.checked = true;
    pane.get('report-form').fire('submit');
    await until(() => !pane.get('receipt').hidden);
    expect(sent.at(-1)!.url).toBe('https://dsl-desk.example/api/v1/email-reports?choice=inappropriate&subject=0b1c2d3e-0000-4000-8000-000000000001');
  });

  it('allegations about staff from every surface: a failing search says so and leaves the report to be sent', async () => {
    const pane = fakeDocument();
    const fetch: FetchLike = async () => ({ status: 429, ok: false, headers: { get: () => 'application/json' }, text: async () => JSON.stringify({ error: { code: 'rate_limited', message: 'Too many searches. Wait a minute.' } }) });
    const { staffSearch } = startTaskpane({
      office: fakeOffice(),
      document: pane.document,
      config: CONFIG,
      auth: { mode: 'sandbox', headers: async () => ({}) },
      apiBase: '',
      storage: undefined,
      fetch,
      searchDebounceMs: 0,
    });
    pane.get('staff-search').value = 'Hana';
    await staffSearch!.searchNow();
    expect(pane.get('staff-message').hidden).toBe(false);
    expect(pane.get('staff-message').textContent).toMatch(/Too many searches.*You can still send the report/);
    expect(pane.get('send').disabled).toBe(false);
    expect(staffSearch!.chosen()).toBeUndefined();
  });
});
