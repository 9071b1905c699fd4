// Lint rules for DSL Desk. The dependency rule itself is checked by dependency-cruiser (.dependency-cruiser.cjs);
// here we also forbid reading process.env outside the config module and the entry points.
import js from '@eslint/js';
import globals from 'globals';
import regexp from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';

// Text that people or other systems send is validated with textField() (src/domain/text.ts), which refuses
// control characters the same way on both database engines; a bare z.string() would let them through.
const textFieldsOnly = {
  selector: "CallExpression[callee.object.name='z'][callee.property.name='string']",
  message: 'Use textField() from src/domain/text.ts for text that is received, so control characters are refused on both engines.',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'coverage/', 'dist/', 'dist.building-*/', 'build/', 'test/e2e/artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  regexp.configs['flat/recommended'],
  {
    // Unsafe regular expressions: the plugin's recommended set catches exponential backtracking everywhere. Its
    // purely stylistic rules (\w for [a-zA-Z0-9_], the i flag, unused groups) are left off to keep this change small.
    rules: {
      'regexp/prefer-w': 'off',
      'regexp/prefer-d': 'off',
      'regexp/use-ignore-case': 'off',
      'regexp/negation': 'off',
      'regexp/no-unused-capturing-group': 'off',
      'regexp/optimal-quantifier-concatenation': 'off',
      'regexp/prefer-predefined-assertion': 'off',
    },
  },
  {
    // Code that reads what people and mail clients send (reported emails, card inputs, CSV, settings, the signing
    // page): no pattern whose time grows faster than its input, whether by backtracking or by retrying from every
    // position. See docs/security.md, "Regular expressions on untrusted text".
    files: ['src/**/*.ts', 'bot/**/*.ts', 'addon/**/*.ts', 'web/**/*.js'],
    rules: {
      'regexp/no-super-linear-backtracking': ['error', { report: 'potential' }],
      'regexp/no-super-linear-move': ['error', { report: 'potential', ignorePartial: false }],
    },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'bot/**/*.ts', 'addon/**/*.ts'],
    ignores: ['src/config.ts', 'src/main.ts', 'src/cli/main.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings through src/config.ts, validated once at start.' }],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'The domain gets the current time through a Clock or as an argument.' },
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'The domain gets the current time through a Clock or as an argument.' },
        textFieldsOnly,
      ],
    },
  },
  {
    files: ['src/app/**/*.ts', 'bot/**/*.ts', 'src/server/routes/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', textFieldsOnly] },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
