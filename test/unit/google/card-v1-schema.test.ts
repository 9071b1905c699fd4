import { CHAT_MESSAGE_MAX_BYTES, validateChatMessage, validateChatResponse, validateGoogleCard } from '../../support/card-v1-schema.ts';

const ENDPOINT = 'https://dsl-desk.example/api/google/chat';

function button(text: string, action: string): Record<string, unknown> {
  return { text, onClick: { action: { function: ENDPOINT, parameters: [{ key: 'action', value: action }, { key: 'caseId', value: 'c-1' }] } } };
}

/** A card using every widget kind DSL Desk relies on, shaped as Chat documents them. */
function fullCard(): Record<string, unknown> {
  return {
    name: 'case-card',
    header: { title: 'New concern: DD-0042', subtitle: 'Urgent', imageUrl: 'https://dsl-desk.example/logo.png', imageType: 'CIRCLE', imageAltText: 'DSL Desk' },
    sectionDividerStyle: 'SOLID_DIVIDER',
    sections: [
      {
        header: 'Details',
        collapsible: true,
        uncollapsibleWidgetsCount: 1,
        widgets: [
          { textParagraph: { text: '<b>Reported</b> 10:42' } },
          { decoratedText: { topLabel: 'Status', text: 'New', startIcon: { knownIcon: 'BOOKMARK' }, wrapText: true, button: button('Acknowledge', 'case.acknowledge') } },
          { decoratedText: { text: 'Notify deputies', switchControl: { name: 'notify', selected: true, controlType: 'SWITCH' } } },
          { divider: {} },
          { image: { imageUrl: 'https://dsl-desk.example/banner.png', altText: 'Banner' } },
          { buttonList: { buttons: [button('Acknowledge', 'case.acknowledge'), { text: 'Open case', type: 'FILLED', onClick: { action: { function: ENDPOINT, interaction: 'OPEN_DIALOG', parameters: [{ key: 'action', value: 'case.open' }] } } }, { text: 'Policy', onClick: { openLink: { url: 'https://dsl-desk.example/policy' } } }] } },
          { textInput: { name: 'note', label: 'Note', type: 'MULTIPLE_LINE', value: '' } },
          { selectionInput: { name: 'urgency', label: 'Urgency', type: 'DROPDOWN', items: [{ text: 'Urgent', value: 'urgent', selected: true }, { text: 'Routine', value: 'routine' }] } },
          { dateTimePicker: { name: 'when', label: 'When', type: 'DATE_AND_TIME', valueMsEpoch: '1767225600000' } },
          { columns: { columnItems: [{ horizontalSizeStyle: 'FILL_AVAILABLE_SPACE', widgets: [{ textParagraph: { text: 'Left' } }] }, { widgets: [{ decoratedText: { text: 'Right' } }] }] } },
          { grid: { title: 'Steps', columnCount: 2, items: [{ id: 'a', title: 'Step A', image: { imageUri: 'https://dsl-desk.example/a.png' } }] } },
          { horizontalAlignment: 'CENTER', buttonList: { buttons: [{ icon: { materialIcon: { name: 'check_circle' } }, altText: 'Done', onClick: { action: { function: ENDPOINT } } }] } },
        ],
      },
    ],
    cardActions: [{ actionLabel: 'Help', onClick: { openLink: { url: 'https://dsl-desk.example/help' } } }],
    fixedFooter: { primaryButton: button('Submit', 'concern.submit'), secondaryButton: button('Cancel', 'concern.cancel') },
    peekCardHeader: { title: 'DSL Desk' },
  };
}

describe('the google.apps.card.v1 schema', () => {
  it('accepts a card using the documented widgets, collapsible sections, footer and card actions', () => {
    expect(validateGoogleCard(fullCard())).toEqual([]);
  });

  it('refuses a misspelt widget kind, naming the unknown property', () => {
    const card = { header: { title: 'x' }, sections: [{ widgets: [{ textParagrah: { text: 'hello' } }] }] };
    const problems = validateGoogleCard(card);
    expect(problems).toContain('/sections/0/widgets/0 has an unknown property "textParagrah"');
    expect(problems.some((p) => p.includes('it holds none'))).toBe(true);
  });

  it('refuses a widget kind Chat does not have', () => {
    const problems = validateGoogleCard({ sections: [{ widgets: [{ keyValue: { content: 'old format' } }] }] });
    expect(problems).toContain('/sections/0/widgets/0 has an unknown property "keyValue"');
  });

  it('refuses two widget kinds in one widget object', () => {
    const problems = validateGoogleCard({ sections: [{ widgets: [{ textParagraph: { text: 'a' }, divider: {} }] }] });
    expect(problems).toEqual([expect.stringMatching(/^\/sections\/0\/widgets\/0 must hold exactly one of .* it holds textParagraph and divider$/)]);
  });

  it('refuses typos inside widgets, headers and actions', () => {
    const card = fullCard() as { header: Record<string, unknown>; sections: { widgets: Record<string, unknown>[] }[] };
    card.header.subTitle = 'typo';
    card.sections[0]!.widgets[0] = { textParagraph: { txt: 'typo' } };
    card.sections[0]!.widgets[5] = { buttonList: { buttons: [{ text: 'Go', onClick: { action: { function: ENDPOINT, parameter: [] } } }] } };
    const problems = validateGoogleCard(card);
    expect(problems).toEqual(expect.arrayContaining([
      '/header has an unknown property "subTitle"',
      '/sections/0/widgets/0/textParagraph has an unknown property "txt"',
      "/sections/0/widgets/0/textParagraph must have required property 'text'",
      '/sections/0/widgets/5/buttonList/buttons/0/onClick/action has an unknown property "parameter"',
    ]));
  });

  it('refuses an action whose function is a name, not the endpoint URL the HTTP runtime calls', () => {
    const card = { sections: [{ widgets: [{ buttonList: { buttons: [{ text: 'Go', onClick: { action: { function: 'acknowledgeCase' } } }] } }] }] };
    expect(validateGoogleCard(card).some((p) => p.startsWith('/sections/0/widgets/0/buttonList/buttons/0/onClick/action/function'))).toBe(true);
  });

  it('refuses an onClick doing two things, a bad enum value and a parameter without a value', () => {
    const card = {
      sections: [{
        widgets: [
          { buttonList: { buttons: [{ text: 'Go', onClick: { openLink: { url: 'https://a.example' }, action: { function: ENDPOINT } } }] } },
          { textInput: { name: 'n', type: 'MULTI_LINE' } },
          { buttonList: { buttons: [{ text: 'Go', onClick: { action: { function: ENDPOINT, parameters: [{ key: 'action' }] } } }] } },
        ],
      }],
    };
    const problems = validateGoogleCard(card);
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\/sections\/0\/widgets\/0\/buttonList\/buttons\/0\/onClick must hold exactly one of .* it holds action and openLink$/),
      '/sections/0/widgets/1/textInput/type must be one of SINGLE_LINE, MULTIPLE_LINE',
      "/sections/0/widgets/2/buttonList/buttons/0/onClick/action/parameters/0 must have required property 'value'",
    ]));
  });

  it('refuses widgets a column cannot hold and a decoratedText with both a button and a switch', () => {
    const card = {
      sections: [{
        widgets: [
          { columns: { columnItems: [{ widgets: [{ divider: {} }] }] } },
          { decoratedText: { text: 'x', button: button('a', 'b'), switchControl: { name: 's' } } },
        ],
      }],
    };
    const problems = validateGoogleCard(card);
    expect(problems).toContain('/sections/0/widgets/0/columns/columnItems/0/widgets/0 has an unknown property "divider"');
    expect(problems).toContain('/sections/0/widgets/1/decoratedText may hold only one of button, switchControl and endIcon');
  });

  it('refuses more widgets than Google shows', () => {
    const widgets = Array.from({ length: 101 }, (_, i) => ({ textParagraph: { text: `line ${i}` } }));
    expect(validateGoogleCard({ sections: [{ widgets }] })).toEqual(['/ has 101 widgets; Google shows only the first 100']);
    expect(validateGoogleCard({ sections: [{ widgets: widgets.slice(0, 100) }] })).toEqual([]);
  });
});

describe('Chat messages with cardsV2', () => {
  it('accepts a message with text and cards, and a private one', () => {
    expect(validateChatMessage({ text: 'New concern', cardsV2: [{ cardId: 'case-1', card: fullCard() }] })).toEqual([]);
    expect(validateChatMessage({ text: 'Only you', privateMessageViewer: { name: 'users/123' } })).toEqual([]);
  });

  it('checks each card of the message, a missing cardId and the legacy cards field', () => {
    const problems = validateChatMessage({ cards: [], cardsV2: [{ card: { sections: [{ widgets: [{ divder: {} }] }] } }] });
    expect(problems).toEqual(expect.arrayContaining([
      '/ has an unknown property "cards"',
      "/cardsV2/0 must have required property 'cardId'",
      '/cardsV2/0/card/sections/0/widgets/0 has an unknown property "divder"',
    ]));
  });

  it('refuses a message over 32,000 bytes serialised, counting multi-byte characters as bytes', () => {
    const text = 'é'.repeat(16_000); // 32,000 bytes of text alone, plus the JSON around it
    expect(validateChatMessage({ text })).toEqual([expect.stringMatching(new RegExp(`^/ is \\d+ bytes serialised; Chat takes at most ${CHAT_MESSAGE_MAX_BYTES}$`))]);
    expect(validateChatMessage({ text: 'a'.repeat(31_000) })).toEqual([]);
  });
});

describe('add-on responses to Chat events', () => {
  it('checks the messages and dialog cards inside a response', () => {
    expect(validateChatResponse({})).toEqual([]);
    expect(validateChatResponse({ hostAppDataAction: { chatDataAction: { createMessageAction: { message: { cardsV2: [{ cardId: 'r', card: fullCard() }] } } } } })).toEqual([]);
    expect(validateChatResponse({ action: { navigations: [{ pushCard: fullCard() }] } })).toEqual([]);
    expect(validateChatResponse({ action: { navigations: [{ updateCard: { sections: [{ widgets: [{ textParagraph: { text: 'a' }, image: { imageUrl: 'https://a.example/i.png' } }] }] } }] } }))
      .toEqual([expect.stringMatching(/^\/action\/navigations\/0\/updateCard\/sections\/0\/widgets\/0 must hold exactly one of .* it holds textParagraph and image$/)]);
    expect(validateChatResponse({ hostAppDataAction: { chatDataAction: { updateMessageAction: { message: { txt: 'x' } } } } }))
      .toEqual(['/hostAppDataAction/chatDataAction/updateMessageAction/message has an unknown property "txt"']);
  });
});
