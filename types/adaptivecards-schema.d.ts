// adaptivecards-templating's type declarations import the TypeScript sources of adaptivecards
// ('adaptivecards/src/schema'), which do not compile under this project's settings. DSL Desk never uses
// the JSON-schema-to-card helper that needs them, so that import resolves to this stand-in instead.
export interface IAdaptiveCard {
  type: 'AdaptiveCard';
  [key: string]: unknown;
}
