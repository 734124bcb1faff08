import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O libraries.
const forbiddenInWorkflows = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  'undici', 'fastify', 'pino', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@peculiar/x509',
];

/** Product code never reaches into dev tooling, tests or benchmarks. */
const productPatterns = [
  { regex: '^(\\.\\./)+(tools|test|bench|scripts)(/|$)', message: 'src/ is the product: it never imports tools/, test/, bench/ or scripts/.' },
];

/**
 * Workflows and activities speak the vendor-neutral issuer port (ca/issuer.ts, ca/errors.ts);
 * a CA's own folder (ca/<vendor>/, signing/<vendor>/) is reachable only through it, types included.
 */
const vendorPatterns = [
  { regex: '(^|/)(ca|signing)/[^/]+/', message: 'Workflows and activities use the issuer port (ca/issuer, ca/errors), never a vendor folder: add what is missing to the port.' },
];

/**
 * Layers (docs/architecture.md): a folder imports its own layer and the ones below, never
 * above. Shapes and helpers (`domain/`, `lib/`) import no other layer; the edges (`ca/`,
 * `signing/`, `codec/`, `temporal/`, `delivery/`, `validation/`, `storage/`) import no
 * activity, workflow, service or front end — not even a type, which would tie an adapter to
 * the door that uses it.
 */
const aboveEdges = 'activities|workflows|orders|api|cli';
const layerPatterns = {
  shapes: [{ regex: `^(\\.\\./)+(ca|signing|codec|temporal|delivery|validation|storage|${aboveEdges})(/|$)`, message: 'domain/ and lib/ are the bottom layer: they import no other layer of src/.' }],
  edges: [{ regex: `^(\\.\\./)+(${aboveEdges})(/|$)`, message: 'The edges (ca, signing, codec, temporal, delivery, validation, storage) never import activities, workflows, services or front ends: move what both need down (lib/, domain/).' }],
};

/**
 * `src/` is the product (`npm run build`, the production image): it never imports the dev
 * tooling (`tools/`: simulators, engine launchers, the stack composer), the tests, the
 * benchmark or the scripts, not even for types. `tools/` may import `src/`.
 */
const productBoundary = {
  regex: '^(\\.\\./)+(tools|test|bench|scripts)(/|$)',
  message: 'src/ is the product: it must not import tools/, test/, bench/ or scripts/.',
};

/**
 * Imports workflow code may not make at run time. `eagerZod` also bans zod and the modules
 * built on it: evaluated in every workflow context, zod cost ~1.3 MiB of heap per cached
 * workflow (the benchmark's memory finding), so validators load message-schemas lazily.
 * Allowed as values: the port's constants (ca/issuer, ca/errors, storage/errors) and the
 * zod-free domain modules (order-states, workflow-ids, domain-names). The document store is
 * I/O: workflows hold its `DocumentRef` (a type; the schema in message-schemas only).
 */
function workflowImportRule(eagerZod) {
  return {
    paths: [
      ...forbiddenInWorkflows.map((name) => ({ name, message: 'Workflow code must stay deterministic: no Node built-ins or I/O modules.' })),
      ...(eagerZod ? [{ name: 'zod', allowTypeImports: true, message: 'No zod in workflow code: use messageSchemas() from parse-message (loaded on first use).' }] : []),
    ],
    patterns: [
      ...productPatterns,
      ...vendorPatterns,
      { regex: '^(\\.\\./)+(activities|api|orders|cli|delivery|codec|temporal|validation)(/|$)|^(\\.\\./)+ca/(?!issuer$|errors$)|^(\\.\\./)+storage/(?!errors$|document-store$)', allowTypeImports: true, message: 'Import activities and I/O modules as types only.' },
      ...(eagerZod ? [{ regex: '(^|/)message-schemas$|^(\\.\\./)+domain/(?!order-states$|workflow-ids$|domain-names$)|^(\\.\\./)+storage/document-store$', allowTypeImports: true, message: 'These modules evaluate zod: import their types only, and the schemas through messageSchemas() from parse-message.' }] : []),
    ],
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', '.scratch/**', 'coverage/**', 'bench/results/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    // The lint-rule tests lint virtual probe files that exist in no tsconfig.
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['src/*/__lint_probe__.ts', 'src/*/*/__lint_probe__.ts'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: productPatterns }] },
  },
  {
    files: ['src/domain/**/*.ts', 'src/lib/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...productPatterns, ...layerPatterns.shapes] }] },
  },
  {
    files: ['src/ca/**/*.ts', 'src/signing/**/*.ts', 'src/codec/**/*.ts', 'src/temporal/**/*.ts', 'src/delivery/**/*.ts', 'src/validation/**/*.ts', 'src/storage/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...productPatterns, ...layerPatterns.edges] }] },
  },
  {
    files: ['src/activities/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...productPatterns, ...vendorPatterns] }] },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', workflowImportRule(true)],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'fetch', 'process'],
    },
  },
  {
    // The one workflow module allowed to evaluate zod, and only when an update validator asks for it.
    files: ['src/workflows/message-schemas.ts'],
    rules: { 'no-restricted-imports': ['error', workflowImportRule(false)] },
  },
);
