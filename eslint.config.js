import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'coverage', 'console/dist', 'test-artifacts', 'dist'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Vendors are the bottom layer: adapters, wire and their helpers import nothing from the rest of Reelay.
    files: ['src/vendors/*/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['../../*'], message: 'src/vendors imports nothing from outside src/vendors' }],
        },
      ],
    },
  },
  {
    files: ['src/vendors/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*'], message: 'src/vendors imports nothing from outside src/vendors' }] },
      ],
    },
  },
  {
    // Simulators are the adapters' test oracles, written again from the vendors' docs: they import nothing from
    // the rest of Reelay (adapters, engine, HTTP layer, store, errors). Their tests may use test/support helpers.
    files: ['src/simulator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!\\.\\./test/support/)',
              message: 'src/simulator imports nothing from outside src/simulator (see vendor-simulator.ts)',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests read JSON answers loosely; the assertions are the type check.
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
