// End-to-end tests: DSL Desk (or a small echo bot) driven through the real Microsoft 365 Agents Playground
// web client in Debian's Chromium. Kept out of the default `jest` run because they need /usr/bin/chromium
// and start real processes; run them with `npm run test:e2e`.
// The same transform as the root jest.config.cjs.
const { transform, transformIgnorePatterns } = require('../support/jest-transform.cjs');
module.exports = {
  rootDir: '../..',
  displayName: 'e2e',
  testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
  transform,
  transformIgnorePatterns,
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/block-outbound-network.cjs'],
  // Each file starts a browser, the Agents Playground and a bot: one at a time, with room for slow machines.
  maxWorkers: 1,
  testTimeout: 180000,
};
