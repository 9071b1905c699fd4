/**
 * Renders google.apps.card.v1 cards (and Chat messages holding them) as plain, accessible HTML a person can
 * click through in the local Workspace client. Cards are untrusted input: every string is escaped, only a
 * few formatting tags Chat allows in text widgets (b, i, u, s, br, font, a href to http(s)) are rebuilt, and
 * nothing is loaded from elsewhere (images show their alternative text).
 *
 * Each card is one `<form method="post">`, so a button click submits the card's inputs with it, as Chat
 * sends them in `formInputs`. A button's `onClick.action` travels in the value of the submit button named
 * `__action` (base64url JSON); date pickers add `__kind.<name>` so the client can send the right input type.
 */

export type Json = Record<string, unknown>;

/** What the page around a card needs to make it work. */
export interface CardRenderContext {
  /** Where the card's form posts. */
  formAction: string;
  /** Hidden fields sent with every click (the message name, whether the card is a dialog, …). */
  hidden?: Record<string, string>;
  /** Makes element ids unique on a page holding several cards. */
  idPrefix?: string;
}

export const ACTION_FIELD = '__action';
export const KIND_FIELD_PREFIX = '__kind.';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replaceAll(/[&<>"']/g, (character) => ESCAPES[character]!);
}

/** The card action a button carries, for the client to read back from the form. */
export function encodeAction(action: Json): string {
  return Buffer.from(JSON.stringify(action), 'utf8').toString('base64url');
}

export function decodeAction(value: string): Json | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    return isObject(parsed) && typeof parsed.function === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

// Tags rebuilt after escaping; the escaped forms are matched, so nothing else can come back to life.
const FORMAT_TOKEN = /&lt;(\/?)(br|font|[abisu])( color=&quot;(#[\da-f]{3,8})&quot;| href=&quot;(https?:\/\/(?:[^&\s]|&amp;)*)&quot;)?\s*\/?&gt;/gi;

/**
 * Escapes a card text and rebuilds the formatting Chat honours in text widgets. Unbalanced tags are
 * closed or dropped so they cannot spill into the rest of the page.
 */
export function formatCardText(text: unknown): string {
  const escaped = escapeHtml(text);
  const open: string[] = [];
  let html = escaped.replaceAll(FORMAT_TOKEN, (_match, slash: string, rawTag: string, _attribute: string | undefined, color: string | undefined, href: string | undefined) => {
    const tag = rawTag.toLowerCase();
    if (tag === 'br') return slash ? '' : '<br>';
    const element = tag === 'font' ? 'span' : tag;
    if (slash) {
      const at = open.lastIndexOf(element);
      if (at === -1) return '';
      // Closing an outer element closes the inner ones left open too, so the markup stays well nested.
      return open.splice(at).reverse().map((name) => `</${name}>`).join('');
    }
    if (tag === 'a' && !href) return '';
    open.push(element);
    if (tag === 'a') return `<a href="${href}" target="_blank" rel="noopener noreferrer">`;
    // The colour is kept (a hex code, nothing else gets through): Chat shows error messages in red by it.
    if (tag === 'font' && color) return `<span style="color:${color}">`;
    return `<${element}>`;
  });
  html += open.reverse().map((name) => `</${name}>`).join('');
  return html.replaceAll('\n', '<br>');
}

/** Chat's message text: escaped, line breaks kept, `<users/…>` mentions shown as @names. */
export function formatMessageText(text: unknown, names: Record<string, string> = {}): string {
  return escapeHtml(text)
    .replaceAll(/&lt;(users\/[\w-]+)&gt;/g, (_match, user: string) => `<span class="mention">@${escapeHtml(names[user] ?? user)}</span>`)
    .replaceAll('\n', '<br>');
}

/** Renders one card as a form. */
export function renderCard(card: unknown, context: CardRenderContext): string {
  const state = { context, counter: 0 };
  const data = asObject(card);
  const header = asObject(data.header);
  const titleId = nextId(state, 'title');
  const parts: string[] = [];
  if (header.title !== undefined) {
    parts.push(`<header class="card-header">${renderImagePlaceholder(header.imageUrl, header.imageAltText)}<h3 id="${titleId}">${escapeHtml(header.title)}</h3>${header.subtitle ? `<p class="subtitle">${escapeHtml(header.subtitle)}</p>` : ''}</header>`);
  }
  const sections = asArray(data.sections);
  sections.forEach((section, index) => {
    parts.push(renderSection(asObject(section), state, index > 0 && data.sectionDividerStyle !== 'NO_DIVIDER'));
  });
  const footer = asObject(data.fixedFooter);
  const footerButtons = [footer.primaryButton, footer.secondaryButton].filter(isObject);
  if (footerButtons.length) parts.push(`<footer class="card-footer">${footerButtons.map((button) => renderButton(button, state)).join('')}</footer>`);
  for (const cardAction of asArray(data.cardActions)) {
    const action = asObject(cardAction);
    parts.push(`<p class="card-action">${renderButton({ text: action.actionLabel, onClick: action.onClick }, state)}</p>`);
  }
  const hidden = Object.entries(context.hidden ?? {}).map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('');
  // A disabled first submit button makes Enter in a text box do nothing, rather than press the card's first button.
  return `<form method="post" action="${escapeHtml(context.formAction)}" class="card"${header.title !== undefined ? ` aria-labelledby="${titleId}"` : ''}>`
    + `<button type="submit" disabled hidden aria-hidden="true" tabindex="-1"></button>${hidden}${parts.join('')}</form>`;
}

interface RenderState {
  context: CardRenderContext;
  counter: number;
}

function nextId(state: RenderState, kind: string): string {
  state.counter += 1;
  return `${state.context.idPrefix ?? 'card'}-${kind}-${state.counter}`;
}

function renderSection(section: Json, state: RenderState, divided: boolean): string {
  const widgets = asArray(section.widgets).map((widget) => renderWidget(asObject(widget), state));
  const header = section.header !== undefined ? `<h4>${formatCardText(section.header)}</h4>` : '';
  const className = `card-section${divided ? ' divided' : ''}`;
  if (section.collapsible === true) {
    const shown = Math.max(0, Number(section.uncollapsibleWidgetsCount) || 0);
    return `<section class="${className}">${header}${widgets.slice(0, shown).join('')}`
      + `<details><summary>Show more</summary>${widgets.slice(shown).join('')}</details></section>`;
  }
  return `<section class="${className}">${header}${widgets.join('')}</section>`;
}

/** Renders one widget (the one kind present in the object). */
function renderWidget(widget: Json, state: RenderState): string {
  if (widget.textParagraph !== undefined) return `<p class="text-paragraph">${formatCardText(asObject(widget.textParagraph).text)}</p>`;
  if (widget.decoratedText !== undefined) return renderDecoratedText(asObject(widget.decoratedText), state);
  if (widget.buttonList !== undefined) return `<div class="button-list">${asArray(asObject(widget.buttonList).buttons).map((button) => renderButton(asObject(button), state)).join('')}</div>`;
  if (widget.textInput !== undefined) return renderTextInput(asObject(widget.textInput), state);
  if (widget.selectionInput !== undefined) return renderSelectionInput(asObject(widget.selectionInput), state);
  if (widget.dateTimePicker !== undefined) return renderDateTimePicker(asObject(widget.dateTimePicker), state);
  if (widget.divider !== undefined) return '<hr>';
  if (widget.columns !== undefined) {
    const columns = asArray(asObject(widget.columns).columnItems).map((column) =>
      `<div class="column">${asArray(asObject(column).widgets).map((inner) => renderWidget(asObject(inner), state)).join('')}</div>`);
    return `<div class="columns">${columns.join('')}</div>`;
  }
  if (widget.image !== undefined) {
    const image = asObject(widget.image);
    return `<div class="image">${renderImagePlaceholder(image.imageUrl, image.altText) || '<span class="image-alt">Image</span>'}</div>`;
  }
  if (widget.chipList !== undefined) {
    return `<div class="button-list chips">${asArray(asObject(widget.chipList).chips).map((chip) => renderButton({ ...asObject(chip), text: asObject(chip).label }, state)).join('')}</div>`;
  }
  if (widget.grid !== undefined) {
    const grid = asObject(widget.grid);
    const items = asArray(grid.items).map((item) => `<li>${escapeHtml(asObject(item).title ?? '')}${asObject(item).subtitle ? ` — ${escapeHtml(asObject(item).subtitle)}` : ''}</li>`);
    return `<div class="grid">${grid.title ? `<p><b>${escapeHtml(grid.title)}</b></p>` : ''}<ul>${items.join('')}</ul></div>`;
  }
  const kind = Object.keys(widget).find((key) => key !== 'horizontalAlignment') ?? 'empty';
  return `<p class="unsupported">Unsupported widget: ${escapeHtml(kind)}</p>`;
}

function renderDecoratedText(decorated: Json, state: RenderState): string {
  const parts: string[] = [];
  const icon = iconText(decorated.startIcon ?? decorated.icon);
  if (decorated.topLabel !== undefined) parts.push(`<span class="top-label">${formatCardText(decorated.topLabel)}</span>`);
  parts.push(`<span class="decorated">${icon}${formatCardText(decorated.text)}</span>`);
  if (decorated.bottomLabel !== undefined) parts.push(`<span class="bottom-label">${formatCardText(decorated.bottomLabel)}</span>`);
  let end = '';
  if (isObject(decorated.button)) end = renderButton(decorated.button, state);
  else if (isObject(decorated.switchControl)) {
    const control = decorated.switchControl;
    const id = nextId(state, 'switch');
    end = `<input type="checkbox" id="${id}" name="${escapeHtml(control.name)}" value="${escapeHtml(control.value ?? 'true')}"${control.selected === true ? ' checked' : ''}`
      + ` aria-label="${escapeHtml(plainText(decorated.text))}">`;
  }
  const onClick = asObject(decorated.onClick);
  // A clickable row gets a real button next to it, named after the row's text.
  const rowButton = isObject(onClick.openLink) || isObject(onClick.action) ? renderButton({ text: 'Open', altText: plainText(decorated.text), onClick }, state) : '';
  return `<div class="decorated-text"><div class="decorated-body">${parts.join('')}</div>${rowButton}${end}</div>`;
}

function renderButton(button: Json, state: RenderState): string {
  const label = button.text !== undefined ? escapeHtml(button.text) : iconText(button.icon) || escapeHtml(button.altText ?? 'Button');
  const aria = button.altText !== undefined && button.text !== undefined ? ` aria-label="${escapeHtml(button.altText)}"` : '';
  const filled = button.type === 'FILLED' || button.color !== undefined ? ' filled' : '';
  const onClick = asObject(button.onClick);
  if (button.disabled === true) return `<button type="button" class="button${filled}" disabled${aria}>${label}</button>`;
  if (isObject(onClick.openLink)) {
    const url = safeLink(onClick.openLink.url);
    return url
      ? `<a class="button link${filled}" href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer"${aria}>${label}</a>`
      : `<button type="button" class="button" disabled${aria}>${label}</button>`;
  }
  if (isObject(onClick.action)) {
    return `<button type="submit" class="button${filled}" name="${ACTION_FIELD}" value="${encodeAction(onClick.action)}"${aria}>${label}</button>`;
  }
  if (isObject(onClick.overflowMenu)) {
    const items = asArray(onClick.overflowMenu.items).map((item) => renderButton({ text: asObject(item).text, onClick: asObject(item).onClick }, state));
    return `<details class="overflow"><summary>${label}</summary>${items.join('')}</details>`;
  }
  if (isObject(onClick.card)) {
    return `<details class="overflow"><summary>${label}</summary>${renderCard(onClick.card, state.context)}</details>`;
  }
  return `<button type="button" class="button" disabled${aria}>${label}</button>`;
}

function renderTextInput(input: Json, state: RenderState): string {
  const id = nextId(state, 'input');
  const name = escapeHtml(input.name);
  const hintId = input.hintText !== undefined ? nextId(state, 'hint') : undefined;
  const describedBy = hintId ? ` aria-describedby="${hintId}"` : '';
  const placeholder = input.placeholderText !== undefined ? ` placeholder="${escapeHtml(input.placeholderText)}"` : '';
  const limit = Number(asObject(input.validation).characterLimit);
  const maxLength = Number.isInteger(limit) && limit > 0 ? ` maxlength="${limit}"` : '';
  const control = input.type === 'MULTIPLE_LINE'
    ? `<textarea id="${id}" name="${name}" rows="4"${describedBy}${placeholder}${maxLength}>${escapeHtml(input.value ?? '')}</textarea>`
    : `<input type="text" id="${id}" name="${name}" value="${escapeHtml(input.value ?? '')}"${describedBy}${placeholder}${maxLength}>`;
  return `<div class="field"><label for="${id}">${escapeHtml(input.label ?? input.name)}</label>${control}${hintId ? `<p class="hint" id="${hintId}">${escapeHtml(input.hintText)}</p>` : ''}</div>`;
}

function renderSelectionInput(input: Json, state: RenderState): string {
  const name = escapeHtml(input.name);
  const label = escapeHtml(input.label ?? input.name);
  const items = asArray(input.items).map(asObject);
  if (input.type === 'DROPDOWN' || input.type === 'MULTI_SELECT') {
    const id = nextId(state, 'select');
    const multiple = input.type === 'MULTI_SELECT' ? ' multiple' : '';
    const options = items.map((item) => `<option value="${escapeHtml(item.value)}"${item.selected === true ? ' selected' : ''}>${escapeHtml(item.text)}</option>`).join('');
    return `<div class="field"><label for="${id}">${label}</label><select id="${id}" name="${name}"${multiple}>${options}</select></div>`;
  }
  const type = input.type === 'RADIO_BUTTON' ? 'radio' : 'checkbox';
  const choices = items.map((item) => {
    const id = nextId(state, 'choice');
    return `<div class="choice"><input type="${type}" id="${id}" name="${name}" value="${escapeHtml(item.value)}"${item.selected === true ? ' checked' : ''}>`
      + `<label for="${id}">${escapeHtml(item.text)}</label>${item.bottomText ? `<span class="bottom-label">${escapeHtml(item.bottomText)}</span>` : ''}</div>`;
  }).join('');
  // Chat shows no heading for a selection without a label (a lone switch): its item's text says it all.
  const legend = input.label !== undefined ? `<legend>${label}</legend>` : '';
  return `<fieldset class="field${input.type === 'SWITCH' ? ' switch' : ''}">${legend}${choices}</fieldset>`;
}

function renderDateTimePicker(picker: Json, state: RenderState): string {
  const id = nextId(state, 'date');
  const kind = picker.type === 'DATE_ONLY' || picker.type === 'TIME_ONLY' ? picker.type : 'DATE_AND_TIME';
  const htmlType = kind === 'DATE_ONLY' ? 'date' : kind === 'TIME_ONLY' ? 'time' : 'datetime-local';
  const ms = Number(picker.valueMsEpoch);
  let value = '';
  if (Number.isFinite(ms) && picker.valueMsEpoch !== undefined) {
    const iso = new Date(ms).toISOString();
    value = kind === 'DATE_ONLY' ? iso.slice(0, 10) : kind === 'TIME_ONLY' ? iso.slice(11, 16) : iso.slice(0, 16);
  }
  return `<div class="field"><label for="${id}">${escapeHtml(picker.label ?? picker.name)}</label>`
    + `<input type="${htmlType}" id="${id}" name="${escapeHtml(picker.name)}" value="${value}">`
    + `<input type="hidden" name="${KIND_FIELD_PREFIX}${escapeHtml(picker.name)}" value="${kind}"></div>`;
}

function renderImagePlaceholder(url: unknown, alt: unknown): string {
  if (url === undefined && alt === undefined) return '';
  // No external assets: the image is named, not fetched.
  return `<span class="image-alt" role="img" aria-label="${escapeHtml(alt ?? 'image')}">${escapeHtml(alt ?? 'image')}</span>`;
}

const KNOWN_ICONS: Record<string, string> = {
  EMAIL: '✉', PERSON: '👤', CLOCK: '🕒', STAR: '★', DESCRIPTION: '📄', BOOKMARK: '🔖', INVITE: '✉', MULTIPLE_PEOPLE: '👥',
};

function iconText(icon: unknown): string {
  const data = asObject(icon);
  const known = typeof data.knownIcon === 'string' ? KNOWN_ICONS[data.knownIcon] : undefined;
  const material = typeof asObject(data.materialIcon).name === 'string' ? '•' : undefined;
  const glyph = known ?? material;
  if (!glyph) return data.altText !== undefined ? `<span class="icon-alt">${escapeHtml(data.altText)}</span> ` : '';
  return `<span class="icon" aria-hidden="true">${glyph}</span> `;
}

function safeLink(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

function plainText(value: unknown): string {
  return String(value ?? '').replaceAll(/<[^<>]*>/g, '');
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asObject(value: unknown): Json {
  return isObject(value) ? value : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
