// @ts-check
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node builtins, no libraries that
// reach for them, and no value imports of activity or worker code (type-only imports are fine).
const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`, `${m}/*`, `node:${m}/*`]);
const workflowSandboxPaths = [
  ...nodeBuiltins,
  'undici',
  'undici/*',
  'zod',
  'zod/*',
  'pg',
  'pino',
  '@electric-sql/*',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

// Layers: the processes (worker/, client/, intake/, codec's server) compose shared code (common/ with the
// one configuration, activities/, store/, handlers/, codec's library) and never reach into one another's
// folder; shared code never imports a process. Relative imports only, so `@temporalio/client` is not hit.
const processFolder = (name) => ({
  regex: `^(\\.\\./)+${name}(/|$)`,
  message: `Shared code lives in common/ (or activities/, store/, handlers/, codec/); do not import the ${name}/ process.`,
});
const layerRules = (...forbidden) => ({
  'no-restricted-imports': ['error', { patterns: forbidden.map(processFolder) }],
});

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', 'coverage/**', 'test/fixtures/**'],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['worker/**/*.ts'], rules: layerRules('client', 'intake') },
  { files: ['intake/**/*.ts'], rules: layerRules('client', 'worker') },
  { files: ['codec/**/*.ts'], rules: layerRules('client', 'worker', 'intake') },
  {
    files: [
      'common/**/*.ts',
      'activities/**/*.ts',
      'store/**/*.ts',
      'handlers/**/*.ts',
      'stock-sources/**/*.ts',
    ],
    rules: layerRules('client', 'worker', 'intake'),
  },
  {
    // Sandbox guard. Also applied by test/lint-sandbox.test.ts to a fixture to prove it is live.
    files: ['workflows/**/*.ts', 'test/fixtures/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: workflowSandboxPaths
            .filter((p) => !p.endsWith('/*'))
            .map((name) => ({
              name,
              message:
                'Workflow code runs in a deterministic sandbox: no Node builtins, I/O libraries or worker/client code.',
            })),
          patterns: [
            {
              group: workflowSandboxPaths.filter((p) => p.endsWith('/*')),
              message:
                'Workflow code runs in a deterministic sandbox: no Node builtins, I/O libraries or worker/client code.',
            },
            {
              group: [
                '**/activities',
                '**/activities/**',
                '**/worker',
                '**/worker/**',
                '**/store/**',
                '**/handlers/**',
              ],
              allowTypeImports: true,
              message: 'Import activities/worker code into workflows as types only (import type ...).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No process.env in workflows: pass configuration as workflow input.' },
        { name: 'setInterval', message: 'Use workflow sleep() / condition().' },
      ],
    },
  },
);
