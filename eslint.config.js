import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'bench/results/', 'trainer/', 'src/web/static/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/web/static/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', FormData: 'readonly', localStorage: 'readonly', location: 'readonly', URLSearchParams: 'readonly', console: 'readonly', setTimeout: 'readonly', EventSource: 'readonly', alert: 'readonly', Blob: 'readonly', URL: 'readonly', navigator: 'readonly', indexedDB: 'readonly', File: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' } },
  },
);
