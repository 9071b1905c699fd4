/**
 * Checks google.apps.card.v1 cards, Chat messages and add-on responses against manifest/google/card-v1.schema.json
 * (strict: unknown properties, two widget kinds in one widget and non-URL action functions all fail), plus the
 * limits the schema cannot express: 100 widgets per card and 32,000 bytes per message.
 *
 *   expect(validateGoogleCard(card)).toEqual([]);
 *   expect(validateChatMessage({ cardsV2: [{ cardId: 'case', card }] })).toEqual([]);
 *   expect(validateChatResponse(openDialog(card))).toEqual([]);
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/** Chat refuses a message (text and cards together) over this many bytes. */
export const CHAT_MESSAGE_MAX_BYTES = 32_000;
/** Chat and add-ons ignore widgets past this many in one card: silently dropped content, so refused here. */
export const CARD_MAX_WIDGETS = 100;

const SCHEMA_PATH = join(__dirname, '..', '..', 'manifest', 'google', 'card-v1.schema.json');

type Validators = { card: ValidateFunction; message: ValidateFunction };
let validators: Validators | undefined;

function compile(): Validators {
  if (validators) return validators;
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as { $id: string };
  // strictRequired is off: "exactly one kind" is written as oneOf of required, beside the properties it names.
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
  // ajv-formats is published as CommonJS with a default export; under Jest's CommonJS interop it may be nested.
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;
  addFormats(ajv);
  ajv.addSchema(schema);
  validators = {
    card: ajv.getSchema(schema.$id)!,
    message: ajv.compile({ $ref: `${schema.$id}#/$defs/chatMessage` }),
  };
  return validators;
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node;
}

/** The properties of a "oneOf: [{required: [a]}, {required: [b]}, …]" choice: the widget kinds, the onClick actions… */
function choices(parentSchema: unknown): string[] | undefined {
  const branches = (parentSchema as { oneOf?: { required?: string[] }[] } | undefined)?.oneOf;
  if (!branches?.every((branch) => branch.required?.length === 1)) return undefined;
  return branches.map((branch) => branch.required![0]!);
}

/** One readable line per real problem; the per-branch noise of oneOf/anyOf/not is folded into its summary. */
function describe(errors: ErrorObject[], root: unknown, prefix: string): string[] {
  const lines = new Set<string>();
  for (const error of errors) {
    const where = `${prefix}${error.instancePath}` || '/';
    if (/\/(oneOf|anyOf|not)\/\d+\//.test(error.schemaPath) || /\/not\/anyOf\//.test(error.schemaPath)) continue;
    const kinds = error.keyword === 'oneOf' ? choices(error.parentSchema) : undefined;
    if (kinds) {
      const node = valueAt(root, error.instancePath);
      const present = node && typeof node === 'object' ? kinds.filter((kind) => Object.hasOwn(node, kind)) : [];
      lines.add(`${where} must hold exactly one of ${kinds.join(', ')}; it holds ${present.length ? present.join(' and ') : 'none'}`);
    } else if (error.keyword === 'additionalProperties') {
      lines.add(`${where} has an unknown property "${String(error.params.additionalProperty)}"`);
    } else if (error.keyword === 'enum') {
      lines.add(`${where} must be one of ${(error.params.allowedValues as unknown[]).map(String).join(', ')}`);
    } else if (error.keyword === 'not') {
      const rule = (error.parentSchema as { not?: { description?: string } } | undefined)?.not?.description;
      lines.add(`${where} ${rule ?? error.message ?? 'must not match'}`);
    } else {
      lines.add(`${where} ${error.message ?? error.keyword}`);
    }
  }
  return [...lines];
}

function countWidgets(card: unknown): number {
  const sections = (card as { sections?: unknown })?.sections;
  if (!Array.isArray(sections)) return 0;
  let count = 0;
  for (const section of sections) {
    const widgets = (section as { widgets?: unknown })?.widgets;
    if (!Array.isArray(widgets)) continue;
    for (const widget of widgets) {
      count += 1;
      const columns = (widget as { columns?: { columnItems?: unknown } })?.columns?.columnItems;
      if (Array.isArray(columns)) for (const column of columns) count += Array.isArray((column as { widgets?: unknown })?.widgets) ? (column as { widgets: unknown[] }).widgets.length : 0;
    }
  }
  return count;
}

/** Problems with one google.apps.card.v1 Card (the `card` of a cardsV2 entry, or a dialog's card); empty when valid. */
export function validateGoogleCard(card: unknown, prefix = ''): string[] {
  const { card: validate } = compile();
  const problems = validate(card) ? [] : describe(validate.errors ?? [], card, prefix);
  const widgets = countWidgets(card);
  if (widgets > CARD_MAX_WIDGETS) problems.push(`${prefix || '/'} has ${widgets} widgets; Google shows only the first ${CARD_MAX_WIDGETS}`);
  return problems;
}

/** Problems with a Chat message an app writes (text, cardsV2, …), including its serialised size; empty when valid. */
export function validateChatMessage(message: unknown, prefix = ''): string[] {
  const { message: validate } = compile();
  const problems = validate(message) ? [] : describe(validate.errors ?? [], message, prefix);
  const cards = (message as { cardsV2?: unknown })?.cardsV2;
  if (Array.isArray(cards)) {
    cards.forEach((entry, index) => {
      const widgets = countWidgets((entry as { card?: unknown })?.card);
      if (widgets > CARD_MAX_WIDGETS) problems.push(`${prefix}/cardsV2/${index}/card has ${widgets} widgets; Google shows only the first ${CARD_MAX_WIDGETS}`);
    });
  }
  const bytes = Buffer.byteLength(JSON.stringify(message ?? null), 'utf8');
  if (bytes > CHAT_MESSAGE_MAX_BYTES) problems.push(`${prefix || '/'} is ${bytes} bytes serialised; Chat takes at most ${CHAT_MESSAGE_MAX_BYTES}`);
  return problems;
}

/**
 * Problems with a synchronous answer to a Chat event in the add-on format: every message it creates or
 * updates, and every card it pushes or shows in a dialog. An empty object (no response) is valid.
 */
export function validateChatResponse(response: unknown): string[] {
  if (!response || typeof response !== 'object' || Array.isArray(response)) return ['/ the response must be a JSON object'];
  const problems: string[] = [];
  const known = new Set(['hostAppDataAction', 'action']);
  for (const key of Object.keys(response)) if (!known.has(key)) problems.push(`/ has an unknown property "${key}"`);
  const chatDataAction = (response as { hostAppDataAction?: { chatDataAction?: Record<string, unknown> } }).hostAppDataAction?.chatDataAction;
  if ((response as { hostAppDataAction?: unknown }).hostAppDataAction !== undefined && !chatDataAction) problems.push('/hostAppDataAction must hold chatDataAction');
  for (const [name, value] of Object.entries(chatDataAction ?? {})) {
    if (name !== 'createMessageAction' && name !== 'updateMessageAction') {
      problems.push(`/hostAppDataAction/chatDataAction has an unexpected action "${name}"`);
      continue;
    }
    problems.push(...validateChatMessage((value as { message?: unknown })?.message, `/hostAppDataAction/chatDataAction/${name}/message`));
  }
  const navigations = (response as { action?: { navigations?: unknown } }).action?.navigations;
  if (Array.isArray(navigations)) {
    navigations.forEach((navigation: Record<string, unknown>, index) => {
      for (const kind of ['pushCard', 'updateCard'] as const) {
        if (navigation?.[kind] !== undefined) problems.push(...validateGoogleCard(navigation[kind], `/action/navigations/${index}/${kind}`));
      }
    });
  }
  return problems;
}
