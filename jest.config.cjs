// Jest runs the TypeScript sources as CommonJS through Babel (types stripped, modules converted);
// production runs the same files on Node 24, directly (type stripping) or as esbuild bundled them into dist/
// for a faster start (docs/architecture.md, Runtime), used only while that bundle matches these sources.
const { transform, transformIgnorePatterns } = require('./test/support/jest-transform.cjs');

const common = {
  transform,
  transformIgnorePatterns,
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/block-outbound-network.cjs'],
};
module.exports = {
  // Generous for a busy 2-core machine: component tests run a service, its outbox and several fakes, and wait
  // for conditions (up to 30 s by default in the Teams harness), never for fixed times.
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'contract', testMatch: ['<rootDir>/test/contract/**/*.test.ts'] },
    { ...common, displayName: 'component', testMatch: ['<rootDir>/test/component/**/*.test.ts'] },
  ],
};
