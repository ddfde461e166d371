// One linter for the whole repository: ESLint with typescript-eslint's type-aware rules (the
// checks that need types: floating promises, unchecked `any`) and import-x (cycles, imports that
// reach into another package). Formatting is Prettier's alone (eslint-config-prettier switches
// off every rule that would fight it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'docs/api/**',
      '**/.out/**',
      '**/.bench-out/**',
      'coverage/**',
      // AssemblyScript, compiled by asc (pnpm build:wasm), not TypeScript.
      'packages/ctc/wasm/*.ts',
      'packages/backend/wasm/*.ts',
      'packages/train/wasm/*.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: {
          // tsup configs sit beside a package's tsconfig, which holds only its sources.
          allowDefaultProject: ['packages/*/tsup.config.ts'],
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ alwaysTryTypes: true })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'import-x/no-cycle': 'error',
      // A package is imported by its name, never through a relative path into its folder.
      'import-x/no-relative-packages': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)packages/[^/]+/src(/|$)|^(\\.\\./)+[a-z0-9-]+/src(/|$)',
              message: "Import another package by its name ('@slr/…'), not from its src/ folder.",
            },
          ],
        },
      ],
    },
  },
  {
    // Tests, benchmarks, examples and scripts drive tfjs and vitest with loosely typed data;
    // unchecked `any` is an error only where it ships: the packages' sources.
    files: [
      '**/*.test.ts',
      'packages/*/bench/**',
      'examples/**',
      'scripts/**',
      'docs/**',
      '*.ts',
      '**/tsup.config.ts',
    ],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off', // see the block's comment
      '@typescript-eslint/no-unsafe-member-access': 'off', // see the block's comment
      '@typescript-eslint/no-unsafe-call': 'off', // see the block's comment
      '@typescript-eslint/no-unsafe-return': 'off', // see the block's comment
      '@typescript-eslint/no-unsafe-argument': 'off', // see the block's comment
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Only the build configuration of each package imports the shared one at the root, which is
    // not a package.
    files: ['packages/*/tsup.config.ts'],
    rules: { 'import-x/no-relative-packages': 'off' },
  },
  prettier,
  {
    // Prettier wraps code at 100 columns but leaves strings and comments alone: this keeps them
    // readable too (after eslint-config-prettier, which would switch the rule off). Markdown
    // table rows in comments are exempt.
    rules: {
      'max-len': [
        'error',
        {
          code: 120,
          ignoreUrls: true,
          ignoreRegExpLiterals: true,
          ignorePattern: '^\\s*(\\*|//)\\s*\\|',
        },
      ],
    },
  },
);
