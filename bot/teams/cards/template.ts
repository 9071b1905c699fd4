import { GlobalSettings, Template } from 'adaptivecards-templating';

/** Teams renders Adaptive Cards up to 1.5, so every card declares that version. */
export const CARD_VERSION = '1.5';
export const CARD_SCHEMA_URL = 'http://adaptivecards.io/schemas/adaptive-card.json';

/** An Adaptive Card as plain JSON, ready to send as an attachment's content. */
export interface CardJson {
  type: 'AdaptiveCard';
  $schema: string;
  version: string;
  body: unknown[];
  actions?: unknown[];
  refresh?: { action: Record<string, unknown>; userIds?: string[] };
  [property: string]: unknown;
}

/**
 * A card template: Adaptive Card JSON with `${...}` bindings, filled from a data object. The data is
 * expected to hold every field the template names. A missing field would otherwise be rendered
 * literally as "${field}" in front of a DSL, so filling fails loudly instead: that is a bug in the
 * code that built the data, never something to show.
 *
 * Values in the data are inserted as they are and never evaluated, so text a reporter typed that
 * happens to contain "${...}" stays text.
 */
export function cardTemplate<Data extends object>(name: string, payload: object): (data: Data) => CardJson {
  // Parsed on first use: parsing every template's bindings (and the expression grammar itself) costs a
  // third of a second, which would otherwise delay every start of the service and of the CLI.
  let template: Template | undefined;
  return (data) => {
    template ??= new Template(payload);
    const missing = new Set<string>();
    const previous = GlobalSettings.getUndefinedFieldValueSubstitutionString;
    // Expansion is synchronous, so swapping the global hook for its duration affects nothing else.
    GlobalSettings.getUndefinedFieldValueSubstitutionString = (path: string) => {
      missing.add(path);
      return `\${${path}}`;
    };
    let card: unknown;
    try {
      card = template.expand({ $root: data });
    } finally {
      GlobalSettings.getUndefinedFieldValueSubstitutionString = previous;
    }
    if (missing.size > 0) throw new Error(`The ${name} card template refers to data it was not given: ${[...missing].join(', ')}`);
    return card as CardJson;
  };
}

/** The fields every card starts with; templates spread this in so no card forgets its version. */
export const CARD_HEADER = { type: 'AdaptiveCard', $schema: CARD_SCHEMA_URL, version: CARD_VERSION } as const;

/**
 * A button: Action.Execute (Universal Actions, so the bot can answer with an updated card), with an
 * Action.Submit fallback for older clients, which send the same data plus the verb as a message.
 * `data` may hold template bindings; `extra` adds properties such as style or associatedInputs to both.
 */
export function executeAction(title: string, verb: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'Action.Execute',
    title,
    verb,
    data,
    ...extra,
    fallback: { type: 'Action.Submit', title, data: { verb, ...data }, ...extra },
  };
}

/**
 * A button whose data is decided by the renderer (some keys are optional): `dataBinding` names a data
 * field holding the whole object, and `fallbackBinding` the same object with the verb added.
 */
export function executeActionWithBoundData(title: string, verb: string, dataBinding: string, fallbackBinding: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'Action.Execute',
    title,
    verb,
    data: `\${${dataBinding}}`,
    ...extra,
    fallback: { type: 'Action.Submit', title, data: `\${${fallbackBinding}}`, ...extra },
  };
}
