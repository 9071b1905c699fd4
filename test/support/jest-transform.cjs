// One Babel transform for every Jest configuration (unit, contract, component and e2e): types stripped,
// modules converted to CommonJS, and `import.meta.url` given a meaning there (the analysis worker pool names
// its worker file with it). Babel is pure JavaScript: no platform-specific binary has to exist in the
// registry for npm ci to work.
const babel = [
  'babel-jest',
  {
    babelrc: false,
    configFile: false,
    presets: [['@babel/preset-typescript', { onlyRemoveTypeImports: true, allowDeclareFields: true }]],
    plugins: ['@babel/plugin-transform-modules-commonjs', require.resolve('./babel-import-meta-url.cjs')],
  },
];
// Packages published only as ES modules, which Jest's CommonJS runtime needs transformed too.
const esmOnly = ['jose', 'kysely', 'uuid'];

module.exports = {
  transform: { '^.+\\.(t|j)s$': babel },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
};
