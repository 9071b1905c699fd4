// Jest runs the TypeScript sources as CommonJS through swc; production runs the same
// files directly on Node 24 (type stripping), so no build step sits between them.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
    module: { type: 'commonjs' },
  },
];
const esmOnly = ['jose', 'kysely', 'uuid'];
const common = {
  transform: { '^.+\\.(t|j)s$': swc },
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
