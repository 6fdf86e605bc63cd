import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** A layer's files may not import from the folders above it (nor the gateway's assembly). */
function layer(files, above, why) {
  const group = [...above.map((folder) => `**/${folder}/*`), '**/gateway.js'];
  return [
    {
      files,
      ignores: ['**/*.test.ts'],
      rules: { 'no-restricted-imports': ['error', { patterns: [{ group, message: why }] }] },
    },
  ];
}

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
  // The direction of dependencies: http → tasks, engine, admin → channels, content, billing, security → store;
  // vendors at the bottom. Tests are exempt (they reach wherever the behaviour they prove lives).
  ...layer(
    ['src/store/**/*.ts'],
    ['http', 'engine', 'tasks', 'admin', 'channels', 'content'],
    'the store is below',
  ),
  ...layer(
    ['src/channels/**/*.ts', 'src/content/**/*.ts', 'src/billing/**/*.ts', 'src/security/**/*.ts'],
    ['http', 'engine', 'tasks', 'admin'],
    'channels, content, billing and security are below the engine and tasks',
  ),
  ...layer(['src/engine/**/*.ts', 'src/tasks/**/*.ts', 'src/admin/**/*.ts'], ['http'], 'HTTP is on top'),
  {
    // Routes reach the database through services (tasks/service.ts, admin/service.ts); row types are fine.
    files: ['src/http/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/store/*', '!**/store/schema.js'],
              allowTypeImports: true,
              message: 'routes call a service (tasks/service.ts, admin/service.ts), not the store',
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
