import {
  aupCardId,
  cardMessage,
  escapeCardText,
  renderAupChatCard,
  renderAupSignedChatCard,
  renderNoticeChatCard,
  signedLine,
  type AupChatCardView,
} from '../../../bot/google-chat/aup-card.ts';
import type { GoogleCard } from '../../../bot/google-chat/chat-api.ts';
import { updateThisMessage } from '../../../bot/google-chat/chat-events.ts';
import { validateChatMessage, validateChatResponse, validateGoogleCard } from '../../support/card-v1-schema.ts';

const VIEW: AupChatCardView = {
  policyId: 'pol-1',
  title: 'Staff <Acceptable> Use & Policy',
  audience: 'staff',
  version: 3,
  effectiveDate: '2026-09-01',
  sha256: 'a'.repeat(64),
  markdown: '# Title\n\nEveryone keeps their <b>password</b> private.\n',
  acknowledgementWording: 'I have read and agree to follow this policy',
  policyUrl: 'https://dsl-desk.example-school.org.uk/aup/policies/pol-1/page?k=x',
  endpointUrl: 'https://dsl-desk.example-school.org.uk/api/google/chat',
};

type Widget = Record<string, any>;
const widgetsOf = (card: GoogleCard): Widget[] => (card.sections as { widgets: Widget[] }[]).flatMap((section) => section.widgets);
const kindsOf = (card: GoogleCard) => widgetsOf(card).map((widget) => Object.keys(widget)[0]);

describe('the policy card in Google Chat', () => {
  test('is a valid card v1 in a valid message and in the add-on answer that replaces the clicked card', () => {
    const card = renderAupChatCard(VIEW);
    expect(validateGoogleCard(card)).toEqual([]);
    expect(validateChatMessage(cardMessage(aupCardId(VIEW.policyId), card, 'Please read and sign'))).toEqual([]);
    expect(validateChatResponse(updateThisMessage(cardMessage(aupCardId(VIEW.policyId), card)))).toEqual([]);
  });

  test('shows the policy, the link to read it, the tick, the name and the Sign button with its parameters', () => {
    const card = renderAupChatCard(VIEW);
    expect(card.header).toEqual({ title: VIEW.title, subtitle: 'Please read this policy and sign to say you agree to follow it.' });
    expect(kindsOf(card)).toEqual(['decoratedText', 'decoratedText', 'decoratedText', 'textParagraph', 'buttonList', 'decoratedText', 'textParagraph', 'selectionInput', 'textInput', 'textParagraph', 'buttonList']);
    const widgets = widgetsOf(card);
    expect(widgets[4]!.buttonList.buttons).toEqual([{ text: 'Read the full policy', onClick: { openLink: { url: VIEW.policyUrl } } }]);
    expect(widgets[7]!.selectionInput).toEqual({ name: 'agreed', label: 'Your agreement', type: 'CHECK_BOX', items: [{ text: VIEW.acknowledgementWording, value: 'true', selected: false }] });
    expect(widgets[8]!.textInput).toMatchObject({ name: 'typedName', type: 'SINGLE_LINE', value: '' });
    expect(widgets[10]!.buttonList.buttons[0].onClick.action).toEqual({
      function: VIEW.endpointUrl,
      parameters: [
        { key: 'action', value: 'aup.sign' },
        { key: 'policyId', value: 'pol-1' },
        { key: 'version', value: '3' },
      ],
    });
    // What the school typed is text, never markup.
    expect(JSON.stringify(card)).toContain('Everyone keeps their password private.');
    expect(JSON.stringify(card)).toContain('Tuesday, 1 September 2026');
  });

  test('comes back with the notice, a message by each field and what was typed; a reminder says so', () => {
    const card = renderAupChatCard({
      ...VIEW,
      reminder: { signBefore: '2026-09-03' },
      notice: 'To sign, tick the box and type your full name.',
      values: { agreed: true, typedName: 'Sam <T>' },
      errors: { agreed: 'Tick the box.', typedName: 'Type your full name to sign.' },
    });
    expect(validateGoogleCard(card)).toEqual([]);
    expect(kindsOf(card).slice(0, 2)).toEqual(['decoratedText', 'textParagraph']);
    const text = JSON.stringify(card);
    expect(text).toContain('Reminder: please sign before Thursday, 3 September 2026.');
    expect(text).toContain('To sign, tick the box and type your full name.');
    const widgets = widgetsOf(card);
    const input = widgets.findIndex((widget) => widget.textInput);
    expect(widgets[input]!.textInput.value).toBe('Sam <T>');
    expect(widgets[input + 1]!.textParagraph.text).toContain('Type your full name to sign.');
    const tick = widgets.findIndex((widget) => widget.selectionInput);
    expect(widgets[tick]!.selectionInput.items[0].selected).toBe(true);
    expect(widgets[tick + 1]!.textParagraph.text).toContain('Tick the box.');
  });

  test('once signed: the time in school time and the version, nothing left to press or fill in', () => {
    const card = renderAupSignedChatCard({
      policyId: 'pol-1',
      title: VIEW.title,
      version: 3,
      sha256: VIEW.sha256,
      signedAt: '2026-11-23T08:15:00.000Z',
      typedName: 'Sam Teacher',
      wording: VIEW.acknowledgementWording,
      policyUrl: VIEW.policyUrl,
      timeZone: 'Europe/London',
    });
    expect(validateGoogleCard(card)).toEqual([]);
    expect(JSON.stringify(card)).toContain('Signed on Mon, 23 Nov 2026, 08:15 — version 3');
    expect(widgetsOf(card).some((widget) => widget.textInput || widget.selectionInput)).toBe(false);
    expect(JSON.stringify(card)).not.toContain('"action"');
    expect(signedLine({ signedAt: '2026-07-01T08:15:00.000Z', version: 1, timeZone: 'Europe/London' })).toBe('Signed on Wed, 1 Jul 2026, 09:15 — version 1');
  });

  test('a notice card is valid and escapes what it is given', () => {
    const card = renderNoticeChatCard({ title: 'A <b> title', lines: ['Sam & Alex <start>'] });
    expect(validateGoogleCard(card)).toEqual([]);
    expect(JSON.stringify(card)).toContain('Sam &amp; Alex &lt;start&gt;');
    expect(escapeCardText('<a href="x">&</a>')).toBe('&lt;a href="x"&gt;&amp;&lt;/a&gt;');
  });
});
