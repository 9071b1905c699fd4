// Jest runs the TypeScript sources as CommonJS through Babel (types stripped, modules converted);
// production runs the same files on Node 24, directly (type stripping) or as esbuild bundled them into dist/
// for a faster start (docs/architecture.md, Runtime), used only while that bundle matches these sources.
// Babel is pure JavaScript: no platform-specific binary has to exist in the registry for npm ci to work.
const babel = [
  'babel-jest',
  {
    babelrc: false,
    configFile: false,
    presets: [['@babel/preset-typescript', { onlyRemoveTypeImports: true, allowDeclareFields: true }]],
    plugins: ['@babel/plugin-transform-modules-commonjs', require.resolve('./test/support/babel-import-meta-url.cjs')],
  },
];
const esmOnly = ['jose', 'kysely', 'uuid'];
const common = {
  transform: { '^.+\\.(t|j)s$': babel },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/block-outbound-network.cjs'],
};
module.exports = {
  testTimeout: 20000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'contract', testMatch: ['<rootDir>/test/contract/**/*.test.ts'] },
    { ...common, displayName: 'component', testMatch: ['<rootDir>/test/component/**/*.test.ts'] },
  ],
};
