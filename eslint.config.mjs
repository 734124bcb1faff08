import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O libraries.
const forbiddenInWorkflows = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  'undici', 'fastify', 'pino', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@peculiar/x509',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', '.scratch/**', 'coverage/**', 'bench/results/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    // The lint-rule tests lint virtual probe files that exist in no tsconfig.
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['src/*/__lint_probe__.ts'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: forbiddenInWorkflows.map((name) => ({ name, message: 'Workflow code must stay deterministic: no Node built-ins or I/O modules.' })),
        patterns: [{ regex: '^\\.\\./(activities|api|orders|cli|simulator|delivery|codec|engine|temporal)/|^\\.\\./ca/(?!wotrus/error-types$)', allowTypeImports: true, message: 'Import activities and I/O modules as types only.' }],
      }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'fetch', 'process'],
    },
  },
);
