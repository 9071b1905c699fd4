/**
 * The dependency rule of DSL Desk (docs/architecture.md), checked in CI:
 * the domain is pure; use cases depend on the domain only; adapters never import each other;
 * botbuilder lives only in bot/teams, googleapis only in the Google adapters; only main/wiring put concrete pieces together.
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports only itself, the standard library, zod, luxon (time zones and calendars) and date-holidays (bank holidays).',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', '^node_modules/(zod|luxon|date-holidays|date-holidays-parser)/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'use-cases-depend-on-domain-only',
      comment: 'src/app gets its dependencies as arguments; it never imports an adapter.',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: ['^src/(storage|server|identity|integrations|jobs|cli|workers)/', '^src/(config|main|wiring|logger)\\.ts$', '^bot/', '^addon/', '^web/'] },
    },
    {
      name: 'adapters-import-domain-types-only',
      severity: 'error',
      from: { path: '^src/(storage|identity|integrations)/' },
      to: { path: ['^src/(app|server|jobs|cli)/', '^src/(main|wiring)\\.ts$', '^bot/', '^addon/'] },
    },
    {
      name: 'surfaces-do-not-touch-storage',
      comment: 'Routes and bots call use cases; they never reach the database.',
      severity: 'error',
      from: { path: ['^src/server/', '^bot/', '^addon/'] },
      to: { path: ['^src/storage/', '^node_modules/(pg|kysely)/'] },
    },
    {
      name: 'surfaces-do-not-import-each-other',
      severity: 'error',
      from: { path: '^(bot/[^/]+|addon/[^/]+|src/server)/' },
      to: { path: '^(bot/[^/]+|addon/[^/]+|src/server)/', pathNot: '^$1/' },
    },
    {
      name: 'botbuilder-only-in-bot-teams',
      severity: 'error',
      from: { pathNot: '^bot/teams/' },
      to: { path: '^node_modules/(botbuilder|botframework-)' },
    },
    {
      name: 'googleapis-only-in-google-adapters',
      comment: 'The Chat REST API lives in bot/google-chat, the Admin SDK in src/integrations/google; nothing else calls Google.',
      severity: 'error',
      from: { pathNot: ['^bot/google-chat/', '^src/integrations/google/', '^scripts/', '^test/', '^bench/', '^addon/gmail/'] },
      to: { path: '^node_modules/googleapis' },
    },
    {
      name: 'gmail-addon-uses-googleapis-types-only',
      comment: 'The Gmail add-on types its cards against googleapis\' Card v1 types at compile time; it never calls Google (src/integrations/google reads the message).',
      severity: 'error',
      from: { path: '^addon/gmail/' },
      to: { path: '^node_modules/googleapis', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'browser-code-imports-pure-domain-only',
      severity: 'error',
      from: { path: ['^web/', '^addon/[^/]+/(web|src)/'] },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
    {
      name: 'analysis-is-pure',
      comment: 'Email analysis reads a message and the school context it is given: no storage, network or surfaces.',
      severity: 'error',
      from: { path: '^src/analysis/' },
      to: { path: ['^src/(app|storage|server|identity|integrations|jobs|cli)/', '^src/(config|main|wiring|logger)\\.ts$', '^bot/', '^addon/', '^node_modules/(pg|kysely|express|botbuilder|@azure)/'] },
    },
    {
      name: 'only-main-wires',
      comment: 'Concrete wiring lives in src/main.ts, src/wiring.ts and the CLI entry.',
      severity: 'error',
      from: { pathNot: ['^src/(main|wiring)\\.ts$', '^src/cli/', '^test/', '^bench/'] },
      to: { path: '^src/wiring\\.ts$' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.cjs', '.mjs'] },
  },
};
