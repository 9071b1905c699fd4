import { CHAT_ENDPOINT } from './google-chat-test-service.ts';

/**
 * The shape of a google.apps.card.v1 Card as DSL Desk renders it, checked widget by widget: every widget is one
 * known kind with its required fields, every button calls the Chat endpoint's full URL with string parameters,
 * and the card fits Chat's 32 KB. (Kept here until the deployment package's Card v1 JSON schema is available.)
 */
const WIDGETS = new Set(['textParagraph', 'decoratedText', 'buttonList', 'textInput', 'selectionInput', 'divider', 'image', 'dateTimePicker', 'grid', 'columns']);
const SELECTION_TYPES = new Set(['CHECK_BOX', 'RADIO_BUTTON', 'SWITCH', 'DROPDOWN', 'MULTI_SELECT']);

function fail(path: string, message: string): never {
  throw new Error(`card ${path}: ${message}`);
}

function checkButton(button: any, path: string): void {
  if (typeof button?.text !== 'string' || !button.text) fail(path, 'a button needs text');
  const action = button.onClick?.action;
  if (!action) {
    if (!button.onClick?.openLink?.url) fail(path, 'a button needs onClick.action or onClick.openLink');
    return;
  }
  if (action.function !== CHAT_ENDPOINT) fail(path, `action.function must be the endpoint's full URL, not ${action.function}`);
  if (!Array.isArray(action.parameters)) fail(path, 'action.parameters must be a list');
  for (const parameter of action.parameters) if (typeof parameter.key !== 'string' || typeof parameter.value !== 'string') fail(path, 'parameters are {key, value} strings');
  if (!action.parameters.some((p: { key: string }) => p.key === 'action')) fail(path, 'every button names its action');
  if (action.interaction !== undefined && action.interaction !== 'OPEN_DIALOG') fail(path, 'interaction is OPEN_DIALOG or absent');
}

export function expectValidCard(card: unknown): void {
  const c = card as any;
  if (!c || typeof c !== 'object') fail('', 'is not an object');
  if (Buffer.byteLength(JSON.stringify(c)) > 32_000) fail('', 'is larger than 32 KB');
  if (c.header !== undefined && typeof c.header.title !== 'string') fail('header', 'needs a title');
  if (!Array.isArray(c.sections) || c.sections.length === 0) fail('sections', 'needs at least one section');
  c.sections.forEach((section: any, s: number) => {
    if (!Array.isArray(section.widgets) || section.widgets.length === 0) fail(`sections[${s}]`, 'needs widgets');
    section.widgets.forEach((widget: any, w: number) => {
      const path = `sections[${s}].widgets[${w}]`;
      const kinds = Object.keys(widget).filter((key) => WIDGETS.has(key));
      if (kinds.length !== 1) fail(path, `must be exactly one widget kind, has ${Object.keys(widget).join(',')}`);
      const kind = kinds[0]!;
      const body = widget[kind];
      if (kind === 'textParagraph' && typeof body.text !== 'string') fail(path, 'textParagraph needs text');
      if (kind === 'decoratedText' && typeof body.text !== 'string') fail(path, 'decoratedText needs text');
      if (kind === 'textInput') {
        if (typeof body.name !== 'string' || typeof body.label !== 'string') fail(path, 'textInput needs name and label');
        if (!['SINGLE_LINE', 'MULTIPLE_LINE'].includes(body.type)) fail(path, 'textInput type');
      }
      if (kind === 'selectionInput') {
        if (typeof body.name !== 'string') fail(path, 'selectionInput needs a name');
        if (!SELECTION_TYPES.has(body.type)) fail(path, `selectionInput type ${body.type}`);
        if (!Array.isArray(body.items)) fail(path, 'selectionInput needs items');
        for (const item of body.items) if (typeof item.text !== 'string' || typeof item.value !== 'string' || typeof item.selected !== 'boolean') fail(path, 'items are {text, value, selected}');
        if (['RADIO_BUTTON', 'DROPDOWN'].includes(body.type) && body.items.filter((i: { selected: boolean }) => i.selected).length > 1) fail(path, 'one choice at most');
      }
      if (kind === 'buttonList') {
        if (!Array.isArray(body.buttons) || body.buttons.length === 0) fail(path, 'buttonList needs buttons');
        body.buttons.forEach((button: unknown, b: number) => checkButton(button, `${path}.buttons[${b}]`));
      }
    });
  });
  if (c.fixedFooter) checkButton(c.fixedFooter.primaryButton, 'fixedFooter.primaryButton');
}
