// ESLint flat config. TypeScript gets typescript-eslint's type-aware recommended rules: they catch
// unawaited promises and async callbacks handed to event emitters, the bugs a long-running service
// cannot afford. Plain JavaScript (the dashboard's browser modules, the writer worker, bin/) gets
// ESLint's recommended rules. `npm run lint` runs this and the architecture rules (.dependency-cruiser.cjs).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['node_modules/', 'data/', 'dist/', 'test/artifacts/', 'bench/results/', 'bench/.scratch/'],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_name` marks a deliberately unused parameter or a field split off with a rest pattern.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // House style: `if (x) (a(), b())` comma sequences; the rule cannot tell them from a no-op.
      '@typescript-eslint/no-unused-expressions': 'off',
      // Methods are `async` to satisfy a port's Promise-returning signature even when they need no await.
      '@typescript-eslint/require-await': 'off',
      // ws hands text frames as Buffer (binaryType 'nodebuffer'); its RawData type also names ArrayBuffer.
      '@typescript-eslint/no-base-to-string': [
        'error',
        { ignoredTypeNames: ['Error', 'RegExp', 'URL', 'URLSearchParams', 'ArrayBuffer'] },
      ],
      // Sanitisers strip control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests, benchmarks and the simulator read untyped JSON from real services and child processes;
    // `any` there is the honest type and the assertions check the values.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'simulator/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  {
    files: ['dashboards/web/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['bin/**/*.js', '**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: globals.node },
  },
);
