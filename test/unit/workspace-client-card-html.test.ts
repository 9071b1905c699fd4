import { decodeAction, escapeHtml, formatCardText, formatMessageText, renderCard } from '../../scripts/workspace-client/card-html.ts';
import { formInputsOf } from '../../scripts/workspace-client/client-server.ts';

const context = { formAction: '/people/dsl/spaces/dsl/act', hidden: { __message: 'spaces/dsl/messages/client-1' } };
const action = { function: 'https://dsl-desk.example/api/google/chat', parameters: [{ key: 'action', value: 'case.acknowledge' }, { key: 'caseId', value: 'c1' }] };

function widgetHtml(widget: Record<string, unknown>): string {
  return renderCard({ sections: [{ widgets: [widget] }] }, context);
}

describe('card renderer: escaping (cards are untrusted)', () => {
  it('escapes every text and attribute', () => {
    const hostile = '<script>alert(1)</script>"\'&';
    const html = renderCard({
      header: { title: hostile, subtitle: hostile, imageUrl: 'https://evil.example/x.png', imageAltText: hostile },
      sections: [{
        header: hostile,
        widgets: [
          { textParagraph: { text: hostile } },
          { decoratedText: { topLabel: hostile, text: hostile, bottomLabel: hostile } },
          { textInput: { name: `a"><script>`, label: hostile, value: hostile, hintText: hostile } },
          { selectionInput: { name: 'x', label: hostile, type: 'DROPDOWN', items: [{ text: hostile, value: `"><b>`, selected: true }] } },
          { buttonList: { buttons: [{ text: hostile, onClick: { openLink: { url: 'javascript:alert(1)' } } }, { text: 'ok', onClick: { openLink: { url: `https://a.example/?q="><script>` } } }] } },
        ],
      }],
    }, { ...context, hidden: { __message: '"><script>' } });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('javascript:');
    expect(html).not.toContain('evil.example');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    expect(html).toContain('href="https://a.example/?q=%22%3E%3Cscript%3E"');
  });

  it('rebuilds only Chat\'s formatting tags, balanced, and links only to http(s)', () => {
    expect(formatCardText('<b>Urgent</b> case<br>next')).toBe('<b>Urgent</b> case<br>next');
    expect(formatCardText('<b>open <i>nested</b> after')).toBe('<b>open <i>nested</i></b> after');
    expect(formatCardText('<i>never closed')).toBe('<i>never closed</i>');
    expect(formatCardText('stray </u> close')).toBe('stray  close');
    expect(formatCardText('<font color="#ff0000">red</font>')).toBe('<span style="color:#ff0000">red</span>');
    expect(formatCardText('<font>plain</font>')).toBe('<span>plain</span>');
    expect(formatCardText('<font color="red;background:url(x)">x</font>')).toBe('&lt;font color=&quot;red;background:url(x)&quot;&gt;x');
    expect(formatCardText('<a href="https://x.example/?a=1&b=2">policy</a>')).toBe('<a href="https://x.example/?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">policy</a>');
    expect(formatCardText('<a href="javascript:alert(1)">x</a>')).toBe('&lt;a href=&quot;javascript:alert(1)&quot;&gt;x');
    expect(formatCardText('<b onclick="x">y</b>')).toBe('&lt;b onclick=&quot;x&quot;&gt;y');
    expect(formatCardText('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('shows message text escaped with mentions named', () => {
    expect(formatMessageText('Hi <users/42> <b>x</b>\nok', { 'users/42': 'Dee <DSL>' })).toBe('Hi <span class="mention">@Dee &lt;DSL&gt;</span> &lt;b&gt;x&lt;/b&gt;<br>ok');
    expect(escapeHtml(undefined)).toBe('');
  });
});

describe('card renderer: every widget kind', () => {
  it('renders the header, sections and a form that posts with the hidden fields', () => {
    const html = renderCard({ header: { title: 'Case 12', subtitle: 'Urgent' }, sections: [{ header: 'Details', widgets: [{ textParagraph: { text: 'x' } }] }, { widgets: [{ divider: {} }] }] }, context);
    expect(html).toMatch(/^<form method="post" action="\/people\/dsl\/spaces\/dsl\/act" class="card" aria-labelledby="card-title-1">/);
    expect(html).toContain('<h3 id="card-title-1">Case 12</h3>');
    expect(html).toContain('<p class="subtitle">Urgent</p>');
    expect(html).toContain('<h4>Details</h4>');
    expect(html).toContain('<input type="hidden" name="__message" value="spaces/dsl/messages/client-1">');
    expect(html).toContain('<section class="card-section divided"><hr></section>');
    // Enter in a text box must not press the first button.
    expect(html).toContain('<button type="submit" disabled hidden');
  });

  it('renders action buttons carrying their action, link buttons as links, disabled ones disabled', () => {
    const html = widgetHtml({ buttonList: { buttons: [
      { text: 'Acknowledge', onClick: { action } },
      { text: 'Read the full policy', onClick: { openLink: { url: 'https://dsl-desk.example/policy/1' } } },
      { text: 'Done', disabled: true, onClick: { action } },
    ] } });
    const value = /name="__action" value="([\w-]+)">Acknowledge</.exec(html)?.[1];
    expect(decodeAction(value!)).toEqual(action);
    expect(html).toContain('<a class="button link" href="https://dsl-desk.example/policy/1" target="_blank" rel="noopener noreferrer">Read the full policy</a>');
    expect(html).toContain('<button type="button" class="button" disabled>Done</button>');
  });

  it('renders decoratedText with labels, a button and a switch', () => {
    const html = widgetHtml({ decoratedText: { topLabel: 'Status', text: '<b>Open</b>', bottomLabel: 'since 09:00', startIcon: { knownIcon: 'CLOCK' }, button: { text: 'Assign', onClick: { action } } } });
    expect(html).toContain('<span class="top-label">Status</span>');
    expect(html).toContain('<b>Open</b>');
    expect(html).toContain('<span class="bottom-label">since 09:00</span>');
    expect(html).toMatch(/name="__action" value="[\w-]+">Assign<\/button>/);
    const withSwitch = widgetHtml({ decoratedText: { text: 'Notify head', switchControl: { name: 'notifyHead', value: 'yes', selected: true } } });
    expect(withSwitch).toContain('<input type="checkbox" id="card-switch-2" name="notifyHead" value="yes" checked aria-label="Notify head">');
  });

  it('renders text inputs with labels, values and hints, single and multiple line', () => {
    const single = widgetHtml({ textInput: { name: 'fullName', label: 'Your full name', value: 'Sam', hintText: 'As on your contract', validation: { characterLimit: 100 } } });
    expect(single).toContain('<label for="card-input-2">Your full name</label><input type="text" id="card-input-2" name="fullName" value="Sam" aria-describedby="card-hint-3" maxlength="100">');
    expect(single).toContain('<p class="hint" id="card-hint-3">As on your contract</p>');
    const multi = widgetHtml({ textInput: { name: 'what', label: 'What happened', type: 'MULTIPLE_LINE', value: 'a <b>' } });
    expect(multi).toContain('<textarea id="card-input-2" name="what" rows="4">a &lt;b&gt;</textarea>');
  });

  it('renders selection inputs: checkboxes and radios in a fieldset, dropdown and multi-select as selects', () => {
    const items = [{ text: 'Online', value: 'online', selected: true }, { text: 'Bullying', value: 'bullying' }];
    const checkbox = widgetHtml({ selectionInput: { name: 'types', label: 'Kind', type: 'CHECK_BOX', items } });
    expect(checkbox).toContain('<fieldset class="field"><legend>Kind</legend>');
    expect(checkbox).toContain('<input type="checkbox" id="card-choice-2" name="types" value="online" checked><label for="card-choice-2">Online</label>');
    const unlabelledSwitch = widgetHtml({ selectionInput: { name: 'ongoing', type: 'SWITCH', items: [{ text: 'It is still happening', value: 'true' }] } });
    expect(unlabelledSwitch).toContain('<fieldset class="field switch"><div class="choice">');
    expect(unlabelledSwitch).not.toContain('<legend>');
    const radio = widgetHtml({ selectionInput: { name: 'urgency', label: 'Urgency', type: 'RADIO_BUTTON', items } });
    expect(radio).toContain('<input type="radio" id="card-choice-3" name="urgency" value="bullying"><label for="card-choice-3">Bullying</label>');
    const dropdown = widgetHtml({ selectionInput: { name: 'assignee', label: 'Assign to', type: 'DROPDOWN', items } });
    expect(dropdown).toContain('<label for="card-select-2">Assign to</label><select id="card-select-2" name="assignee"><option value="online" selected>Online</option><option value="bullying">Bullying</option></select>');
    expect(widgetHtml({ selectionInput: { name: 'm', label: 'M', type: 'MULTI_SELECT', items } })).toContain('name="m" multiple>');
  });

  it('renders date and time pickers with their value and kind', () => {
    const html = widgetHtml({ dateTimePicker: { name: 'when', label: 'When', type: 'DATE_AND_TIME', valueMsEpoch: Date.UTC(2025, 0, 31, 14, 5) } });
    expect(html).toContain('<input type="datetime-local" id="card-date-2" name="when" value="2025-01-31T14:05">');
    expect(html).toContain('<input type="hidden" name="__kind.when" value="DATE_AND_TIME">');
    expect(widgetHtml({ dateTimePicker: { name: 'd', label: 'Day', type: 'DATE_ONLY' } })).toContain('<input type="date" id="card-date-2" name="d" value="">');
    expect(widgetHtml({ dateTimePicker: { name: 't', type: 'TIME_ONLY', valueMsEpoch: Date.UTC(1970, 0, 1, 8, 30) } })).toContain('type="time" id="card-date-2" name="t" value="08:30"');
  });

  it('renders columns, collapsible sections, images as their alternative text, and says when a widget is unknown', () => {
    const columns = widgetHtml({ columns: { columnItems: [{ widgets: [{ textParagraph: { text: 'left' } }] }, { widgets: [{ textParagraph: { text: 'right' } }] }] } });
    expect(columns).toContain('<div class="columns"><div class="column"><p class="text-paragraph">left</p></div><div class="column"><p class="text-paragraph">right</p></div></div>');
    const collapsible = renderCard({ sections: [{ collapsible: true, uncollapsibleWidgetsCount: 1, widgets: [{ textParagraph: { text: 'shown' } }, { textParagraph: { text: 'hidden' } }] }] }, context);
    expect(collapsible).toContain('<p class="text-paragraph">shown</p><details><summary>Show more</summary><p class="text-paragraph">hidden</p></details>');
    expect(widgetHtml({ image: { imageUrl: 'https://x.example/i.png', altText: 'Logo' } })).toContain('aria-label="Logo">Logo</span>');
    expect(widgetHtml({ carousel: {} })).toContain('<p class="unsupported">Unsupported widget: carousel</p>');
  });

  it('renders a fixed footer\'s buttons', () => {
    const html = renderCard({ sections: [], fixedFooter: { primaryButton: { text: 'Submit', onClick: { action } }, secondaryButton: { text: 'Cancel', onClick: { action } } } }, context);
    expect(html).toMatch(/<footer class="card-footer"><button type="submit" class="button" name="__action" value="[\w-]+">Submit<\/button><button type="submit" class="button" name="__action" value="[\w-]+">Cancel<\/button><\/footer>/);
  });
});

describe('form inputs from a submitted card', () => {
  it('groups values per input as stringInputs and converts date pickers, leaving out the client\'s own fields', () => {
    const form = new URLSearchParams([
      ['__action', 'x'], ['__message', 'm'], ['types', 'online'], ['types', 'bullying'], ['what', ''],
      ['day', '2025-02-03'], ['__kind.day', 'DATE_ONLY'], ['when', '2025-02-03T10:15'], ['__kind.when', 'DATE_AND_TIME'],
      ['at', '08:30'], ['__kind.at', 'TIME_ONLY'], ['empty', ''], ['__kind.empty', 'DATE_ONLY'],
    ]);
    expect(formInputsOf(form)).toEqual({
      types: { stringInputs: { value: ['online', 'bullying'] } },
      what: { stringInputs: { value: [''] } },
      day: { dateInput: { msSinceEpoch: String(Date.UTC(2025, 1, 3)) } },
      when: { dateTimeInput: { msSinceEpoch: String(Date.UTC(2025, 1, 3, 10, 15)), hasDate: true, hasTime: true } },
      at: { timeInput: { hours: 8, minutes: 30 } },
    });
  });
});
