import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FetchLike } from '../../../addon/outlook/src/api.ts';
import type { AddinConfig } from '../../../addon/outlook/src/config.ts';
import type { PaneDocument, PaneInput } from '../../../addon/outlook/src/dom.ts';
import type { StorageLike } from '../../../addon/outlook/src/drafts.ts';
import type { OfficeLike } from '../../../addon/outlook/src/office.ts';
import { describePupil } from '../../../addon/outlook/src/child-search.ts';
import { startTaskpane } from '../../../addon/outlook/src/taskpane.ts';

const STATIC = join(__dirname, '../../../addon/outlook/static');
const html = readFileSync(join(STATIC, 'taskpane.html'), 'utf8');
const css = readFileSync(join(STATIC, 'taskpane.css'), 'utf8');

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
  const choose = (value: string) => {
    for (const choice of choices) choice.checked = choice.value === value;
    choices.find((choice) => choice.value === value)!.fire('change');
  };
  return { document, elements, choose, get: (id: string) => elements.get(id)! };
}

function fakeOffice(withFile = true): OfficeLike {
  return {
    onReady: () => undefined,
    context: {
      mailbox: {
        item: {
          itemId: 'AAMk-1',
          internetMessageId: '<m-1@example.org>',
          subject: 'A message',
          ...(withFile ? { getAsFileAsync: (_options: unknown, callback: (result: { status: string; value: string }) => void) => callback({ status: 'succeeded', value: Buffer.from('Subject: hi\r\n\r\nbody').toString('base64') }) } : {}),
        },
        convertToRestId: (id: string) => id,
      },
      requirements: { isSetSupported: () => withFile },
    },
  } as unknown as OfficeLike;
}

function memoryStorage(): StorageLike & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return { entries, getItem: (key) => entries.get(key) ?? null, setItem: (key, value) => void entries.set(key, value), removeItem: (key) => void entries.delete(key) };
}

const CONFIG = { apiBase: '', clientId: 'x', authority: 'https://login.microsoftonline.com/organizations', apiScope: 'api://x/y/access_as_user', phishingMoveTo: 'junk', sandboxUser: 'teacher@demo-school.test' } as AddinConfig;
const SAM = { id: '5a0c2d3e-0000-4000-8000-000000000005', name: 'Sam Green', yearGroup: '5', registrationGroup: '5G' };
const SAMIR = { id: '5a0c2d3e-0000-4000-8000-000000000006', name: 'Samir Khan', yearGroup: '6', registrationGroup: '6K' };

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((done) => setTimeout(done, 5));
  }
}

interface Sent { url: string; method: string; headers: Record<string, string>; body?: Uint8Array | string }

function serverFake(sent: Sent[], searchAnswer: () => { status: number; body: unknown } = () => ({ status: 200, body: { pupils: [SAM, SAMIR] } })): FetchLike {
  return async (url, init) => {
    sent.push({ url, method: init.method, headers: init.headers, ...(init.body !== undefined ? { body: init.body } : {}) });
    const answer = url.includes('/pupils/search') ? searchAnswer() : { status: 201, body: { caseId: 'c-1', reference: 'CASE-2026-0042', receivedAt: '2026-11-09T08:15:00.000Z', joinedExisting: false } };
    return { status: answer.status, ok: answer.status < 400, headers: { get: () => 'application/json' }, text: async () => JSON.stringify(answer.body) };
  };
}

function open(pane: ReturnType<typeof fakeDocument>, fetch: FetchLike, options: { storage?: StorageLike; office?: OfficeLike } = {}) {
  return startTaskpane({
    office: options.office ?? fakeOffice(),
    document: pane.document,
    config: CONFIG,
    auth: { mode: 'sandbox', headers: async () => ({ 'X-DSL-Desk-Sandbox-User': 'teacher@demo-school.test' }) },
    apiBase: 'https://dsl-desk.example',
    storage: options.storage,
    fetch,
    newKey: () => 'key-1',
    searchDebounceMs: 0,
  });
}

const childrenHeaderOf = (request: Sent) => JSON.parse(decodeURIComponent(request.headers['X-Report-Children']!)) as unknown;

describe('the Outlook task pane: which child?', () => {
  it('asks only for a concern about a child or inappropriate content, with large targets and a name for each list', () => {
    const pane = fakeDocument();
    const { childSearch } = open(pane, serverFake([]));
    expect(childSearch).toBeDefined();
    expect(pane.get('child-section').hidden).toBe(true);
    pane.choose('safeguarding');
    expect(pane.get('child-section').hidden).toBe(false);
    pane.choose('phishing');
    expect(pane.get('child-section').hidden).toBe(true);
    pane.choose('inappropriate');
    expect(pane.get('child-section').hidden).toBe(false);

    expect(html).toContain('<legend>Which child? (optional)</legend>');
    expect(html).toMatch(/id="child-results"[^>]*aria-label="Pupils who match"/);
    expect(html).toMatch(/id="child-message"[^>]*aria-live="polite"/);
    expect(html).toMatch(/<label for="child-typed"[^>]*>Not in the list\? Type their name<\/label>/);
    for (const selector of ['.pupil-result', '.child-chip']) expect(css).toMatch(new RegExp(`\\${selector} \\{[^}]*min-height: 44px`));
  });

  it('searches the pupils, picks children as removable chips, and sends them with a typed name in X-Report-Children', async () => {
    const pane = fakeDocument();
    const sent: Sent[] = [];
    const { childSearch } = open(pane, serverFake(sent));
    pane.choose('safeguarding');

    pane.get('child-search').value = 'S';
    await childSearch!.searchNow();
    expect(sent).toEqual([]);
    pane.get('child-search').value = 'Sam';
    pane.get('child-search').fire('input');
    await until(() => pane.get('child-results').children.length > 0);
    expect(sent.map((request) => request.url)).toEqual(['https://dsl-desk.example/api/v1/pupils/search?q=Sam']);
    expect(pane.get('child-results').children.map((result) => result.textContent)).toEqual(['Sam Green, Year 5, 5G', 'Samir Khan, Year 6, 6K']);
    expect(pane.get('child-results').children[0]!.attributes['aria-label']).toBe('Pick Sam Green, Year 5, 5G');

    pane.get('child-results').children[0]!.fire('click');
    expect(pane.get('child-picked').hidden).toBe(false);
    expect(pane.get('child-picked').children.map((chip) => chip.attributes['aria-label'])).toEqual(['Remove Sam Green, Year 5, 5G']);
    expect(pane.get('child-message').textContent).toBe('Sam Green, Year 5, 5G added.');
    expect(pane.get('child-search').value).toBe('');

    // A second child, then removed again with its chip's button.
    pane.get('child-search').value = 'Sam';
    await childSearch!.searchNow();
    expect(pane.get('child-results').children.map((result) => result.textContent)).toEqual(['Samir Khan, Year 6, 6K']);
    pane.get('child-results').children[0]!.fire('click');
    expect(pane.get('child-picked').children).toHaveLength(2);
    pane.get('child-picked').children[1]!.fire('click');
    expect(pane.get('child-picked').children.map((chip) => chip.textContent)).toEqual(['Sam Green, Year 5, 5G ✕']);

    pane.get('child-typed').value = '  Jo (new in Year 4)  ';
    pane.get('report-form').fire('submit');
    await until(() => !pane.get('receipt').hidden);
    const report = sent.at(-1)!;
    expect(report.url).toBe('https://dsl-desk.example/api/v1/email-reports?choice=safeguarding');
    expect(childrenHeaderOf(report)).toEqual([{ pupilId: SAM.id }, { name: 'Jo (new in Year 4)' }]);
    // The name never travels in the URL.
    expect(report.url).not.toMatch(/Jo|Sam/);
  });

  it('sends no child with a phishing report, even when one was picked before the choice changed', async () => {
    const pane = fakeDocument();
    const sent: Sent[] = [];
    const { childSearch } = open(pane, serverFake(sent));
    pane.choose('inappropriate');
    childSearch!.pick(SAM);
    pane.choose('phishing');
    pane.get('report-form').fire('submit');
    await until(() => !pane.get('receipt').hidden);
    expect(sent.at(-1)!.url).toBe('https://dsl-desk.example/api/v1/email-reports?choice=phishing');
    expect(sent.at(-1)!.headers['X-Report-Children']).toBeUndefined();
  });

  it('sends the children in the body when DSL Desk fetches the message (Graph)', async () => {
    const pane = fakeDocument();
    const sent: Sent[] = [];
    const { childSearch } = open(pane, serverFake(sent), { office: fakeOffice(false) });
    pane.choose('safeguarding');
    childSearch!.pick(SAMIR);
    pane.get('report-form').fire('submit');
    await until(() => !pane.get('receipt').hidden);
    expect(sent.at(-1)!.url).toBe('https://dsl-desk.example/api/v1/email-reports/graph');
    expect(JSON.parse(sent.at(-1)!.body as string)).toMatchObject({ choice: 'safeguarding', children: [{ pupilId: SAMIR.id }] });
  });

  it('keeps the children picked when the pane is reopened on the same message, and forgets them once received', async () => {
    const storage = memoryStorage();
    const first = fakeDocument();
    const { childSearch } = open(first, serverFake([], () => ({ status: 503, body: { error: { code: 'unavailable', message: 'DSL Desk is busy.' } } })), { storage });
    first.choose('safeguarding');
    childSearch!.pick(SAM);
    first.get('child-typed').value = 'Jo';
    first.get('child-typed').fire('input');

    const again = fakeDocument();
    const sent: Sent[] = [];
    const reopened = open(again, serverFake(sent), { storage });
    expect(again.get('child-picked').children.map((chip) => chip.textContent)).toEqual(['Sam Green, Year 5, 5G ✕']);
    expect(again.get('child-typed').value).toBe('Jo');
    expect(reopened.childSearch!.children()).toEqual([{ pupilId: SAM.id }, { name: 'Jo' }]);

    again.choose('safeguarding');
    again.get('report-form').fire('submit');
    await until(() => !again.get('receipt').hidden);
    expect(childrenHeaderOf(sent.at(-1)!)).toEqual([{ pupilId: SAM.id }, { name: 'Jo' }]);
    expect([...storage.entries.keys()].filter((key) => key.endsWith('.children'))).toEqual([]);
  });

  it('a failing search says so, and the child can still be typed and the report sent', async () => {
    const pane = fakeDocument();
    const { childSearch } = open(pane, serverFake([], () => ({ status: 429, body: { error: { code: 'rate_limited', message: 'Too many searches. Wait a minute.' } } })));
    pane.choose('safeguarding');
    pane.get('child-search').value = 'Sam';
    await childSearch!.searchNow();
    expect(pane.get('child-message').textContent).toMatch(/Too many searches.*type the child’s name below/);
    expect(pane.get('send').disabled).toBe(false);
  });

  it('describes a pupil by name, year and class only', () => {
    expect(describePupil({ id: 'x', name: 'Ffion Llŷr', yearGroup: 'R', registrationGroup: 'RB' })).toBe('Ffion Llŷr, R, RB');
    expect(describePupil({ id: 'x', name: 'Sam Green' })).toBe('Sam Green');
  });
});
