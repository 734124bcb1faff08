import { execFile } from 'node:child_process';
import path from 'node:path';

/**
 * The lint rules that keep workflow code deterministic must actually fire. ESLint runs as a
 * process (its config loader needs dynamic import, which jest's VM does not offer).
 */
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'node_modules/.bin/eslint');

function rulesFor(code: string, file: string): Promise<{ line: number; rule: string }[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, ['--stdin', '--stdin-filename', path.join(root, file), '--format', 'json'], { cwd: root }, (err, stdout) => {
      try {
        const [result] = JSON.parse(stdout) as { messages: { line: number; ruleId: string | null; message: string }[] }[];
        resolve((result?.messages ?? []).map((m) => ({ line: m.line, rule: m.ruleId ?? m.message })));
      } catch {
        reject(err ?? new Error(`eslint gave no JSON: ${stdout}`));
      }
    });
    child.stdin?.end(code);
  });
}

// One probe per directory (type-aware linting costs seconds per run); findings are matched by line.
const workflowProbe = [
  "import fs from 'node:fs';", // 1: Node built-in
  "import { request } from 'undici';", // 2: I/O module
  "import { createWotrusClient } from '../ca/wotrus/client';", // 3: CA client at run time
  "import type { Issuer } from '../ca/issuer';", // 4: type-only: allowed
  "import { CaErrorType } from '../ca/errors';", // 5: the port's error constants: allowed
  'export const t = setTimeout;', // 6: timers belong to Temporal
  'export type X = Issuer;',
  "import { z } from 'zod';", // 8: zod evaluated in every workflow context
  "import { cancelInputSchema } from './message-schemas';", // 9: same, through the schemas module
  "import type { CancelInput } from './message-schemas';", // 10: types only: allowed
  "import { csrPemSchema } from '../domain/order';", // 11: domain modules are built on zod
  'export type Y = CancelInput;',
  'export const used = [fs, request, createWotrusClient, CaErrorType, z, cancelInputSchema, csrPemSchema];',
].join('\n');

/** Workflows and activities reach a CA only through the port: a vendor folder is refused, even for types. */
const vendorProbe = (up: string): string =>
  [
    `import type { WotrusClient } from '${up}ca/wotrus/client';`, // 1: a vendor folder, even as a type
    `import { WOTRUS_STATUSES } from '${up}ca/wotrus/statuses';`, // 2: a vendor folder at run time
    `import type { Issuer } from '${up}ca/issuer';`, // 3: the port: allowed
    `import { CaErrorType } from '${up}ca/errors';`, // 4: the port's errors: allowed
    `import type { X } from '${up}signing/wosigndoc/client';`, // 5: the signing service's vendor folder
    'export type Used = [WotrusClient, Issuer, X];',
    'export const used = [WOTRUS_STATUSES, CaErrorType];',
  ].join('\n');

describe('issuer port lint rule', () => {
  it.each([
    ['src/workflows/order/__lint_probe__.ts', '../../'],
    ['src/activities/__lint_probe__.ts', '../'],
  ])('refuses vendor folders in %s and allows the port', async (file, up) => {
    const found = await rulesFor(vendorProbe(up), file);
    const at = (line: number): string[] => found.filter((f) => f.line === line && f.rule === 'no-restricted-imports').map((f) => f.rule);
    expect(at(1)).toContain('no-restricted-imports');
    expect(at(2)).toContain('no-restricted-imports');
    expect(at(3)).toEqual([]);
    expect(at(4)).toEqual([]);
    expect(at(5)).toContain('no-restricted-imports');
  });

  it('lets the CA layer itself import its adapters', async () => {
    const found = await rulesFor("import { WOTRUS } from './wotrus/descriptor';\nexport const all = [WOTRUS];\n", 'src/ca/__lint_probe__.ts');
    expect(found.filter((f) => f.rule === 'no-restricted-imports')).toEqual([]);
  });
});

describe('workflow determinism lint rules', () => {
  it('reject Node built-ins, I/O modules, runtime imports of the CA client, eager zod and raw timers in workflow code, and allow the rest', async () => {
    const found = await rulesFor(workflowProbe, 'src/workflows/__lint_probe__.ts');
    const at = (line: number): string[] => found.filter((f) => f.line === line).map((f) => f.rule);
    expect(at(1)).toContain('no-restricted-imports');
    expect(at(2)).toContain('no-restricted-imports');
    expect(at(3)).toContain('no-restricted-imports');
    expect(at(4)).toEqual([]);
    expect(at(5)).toEqual([]);
    expect(at(6)).toContain('no-restricted-globals');
    expect(at(8)).toContain('no-restricted-imports');
    expect(at(9)).toContain('no-restricted-imports');
    expect(at(10)).toEqual([]);
    expect(at(11)).toContain('no-restricted-imports');
  });

  it('let the schemas module itself use zod (validators load it lazily)', async () => {
    const found = await rulesFor("import { z } from 'zod';\nimport { csrPemSchema } from '../domain/order';\nexport const s = z.object({ csr: csrPemSchema });\n", 'src/workflows/message-schemas.ts');
    expect(found.filter((f) => f.rule === 'no-restricted-imports')).toEqual([]);
  });

  it('flag floating promises everywhere', async () => {
    const found = await rulesFor('async function f(): Promise<void> {}\nexport function g(): void { f(); }\n', 'src/activities/__lint_probe__.ts');
    expect(found).toContainEqual({ line: 2, rule: '@typescript-eslint/no-floating-promises' });
  });
});

// Lower layers never import higher ones (docs/architecture.md), types included.
describe('layer lint rules', () => {
  it('refuse the edges an import of activities, workflows, services or front ends, and allow the layers below', async () => {
    const probe = [
      "import type { FieldIssue } from '../../orders/errors';", // 1: a CA adapter reaching into the order door
      "import type { BillingEvent } from '../../activities/delivery';", // 2: an activity's types
      "import type { OrderView } from '../../domain/order-view';", // 3: the shapes below: allowed
      "import { checkCsr } from '../../lib/csr-check';", // 4: the helpers below: allowed
      "import type { Issuer } from '../issuer';", // 5: its own layer: allowed
      'export type Used = [FieldIssue, BillingEvent, OrderView, Issuer];',
      'export const used = [checkCsr];',
    ].join('\n');
    const found = await rulesFor(probe, 'src/ca/reseller/__lint_probe__.ts');
    const at = (line: number): string[] => found.filter((f) => f.line === line && f.rule === 'no-restricted-imports').map((f) => f.rule);
    expect(at(1)).toContain('no-restricted-imports');
    expect(at(2)).toContain('no-restricted-imports');
    for (const line of [3, 4, 5]) expect(at(line)).toEqual([]);
  });

  it('refuse the document store an import of activities, workflows, services or front ends, and allow the codec keys and the shapes', async () => {
    const probe = [
      "import type { ActivityDeps } from '../activities/deps';", // 1: an activity's types
      "import { signDocumentWorkflow } from '../workflows/sign-document';", // 2: a workflow
      "import type { OrderService } from '../orders/order-service';", // 3: a service
      "import { buildApi } from '../api/server';", // 4: a front end
      "import type { Program } from '../cli/main';", // 5: the CLI
      "import type { CodecKeyring } from '../codec/keys';", // 6: another edge, the codec keys: allowed
      "import type { OrderView } from '../domain/order-view';", // 7: the shapes below: allowed
      "import { checkCsr } from '../lib/csr-check';", // 8: the helpers below: allowed
      "import type { DocumentRef } from './document-store';", // 9: its own folder: allowed
      'export type Used = [ActivityDeps, OrderService, Program, CodecKeyring, OrderView, DocumentRef];',
      'export const used = [signDocumentWorkflow, buildApi, checkCsr];',
    ].join('\n');
    const found = await rulesFor(probe, 'src/storage/__lint_probe__.ts');
    const at = (line: number): string[] => found.filter((f) => f.line === line && f.rule === 'no-restricted-imports').map((f) => f.rule);
    for (const line of [1, 2, 3, 4, 5]) expect(at(line)).toContain('no-restricted-imports');
    for (const line of [6, 7, 8, 9]) expect(at(line)).toEqual([]);
  });

  it('keep the document store out of domain/ and lib/', async () => {
    const found = await rulesFor("import type { DocumentRef } from '../storage/document-store';\nexport type Used = DocumentRef;\n", 'src/lib/__lint_probe__.ts');
    expect(found.filter((f) => f.line === 1 && f.rule === 'no-restricted-imports')).toHaveLength(1);
  });

  it('let workflow code hold document references and the error names of the store, never the store or its schemas', async () => {
    const probe = [
      "import type { DocumentRef } from '../storage/document-store';", // 1: the reference type: allowed
      "import { DocumentStoreErrorType } from '../storage/errors';", // 2: error names for retry policies: allowed
      "import { documentRefSchema } from '../storage/document-store';", // 3: zod, evaluated in every workflow context
      "import { createFsDocumentStore } from '../storage/fs-document-store';", // 4: file I/O
      "import type { FsDocumentStore } from '../storage/fs-document-store';", // 5: its type: allowed
      'export type Used = [DocumentRef, FsDocumentStore];',
      'export const used = [DocumentStoreErrorType, documentRefSchema, createFsDocumentStore];',
    ].join('\n');
    const found = await rulesFor(probe, 'src/workflows/__lint_probe__.ts');
    const at = (line: number): string[] => found.filter((f) => f.line === line && f.rule === 'no-restricted-imports').map((f) => f.rule);
    for (const line of [1, 2, 5]) expect(at(line)).toEqual([]);
    for (const line of [3, 4]) expect(at(line)).toContain('no-restricted-imports');

    const schemas = await rulesFor(probe, 'src/workflows/message-schemas.ts');
    const inSchemas = (line: number): string[] => schemas.filter((f) => f.line === line && f.rule === 'no-restricted-imports').map((f) => f.rule);
    expect(inSchemas(3)).toEqual([]); // the schemas module may build on the reference's schema
    expect(inSchemas(4)).toContain('no-restricted-imports');
  });

  it('keep domain/ and lib/ at the bottom', async () => {
    const probe = ["import type { Issuer } from '../ca/issuer';", "import type { Config } from '../config';", 'export type Used = [Issuer, Config];'].join('\n');
    const found = await rulesFor(probe, 'src/domain/__lint_probe__.ts');
    const at = (line: number): string[] => found.filter((f) => f.line === line && f.rule === 'no-restricted-imports').map((f) => f.rule);
    expect(at(1)).toContain('no-restricted-imports');
    expect(at(2)).toEqual([]);
  });
});

// src/ is the product: it never imports the dev tooling, the tests, the benchmark or the scripts.
const boundaryProbe = [
  "import { startFront } from '../../tools/stack/compose';", // 1: the stack composer
  "import type { RunningSimulator } from '../../tools/simulators/wotrus/server';", // 2: types too
  "import { startStack } from '../../test/support/stack';", // 3: test support
  "import { startBenchStack } from '../../bench/stack';", // 4: the benchmark
  "import '../../scripts/start';", // 5: a script
  "import { parseConfig } from '../config';", // 6: product code: allowed
  "import { toolsVersion } from '../tools-like-name';", // 7: a src module whose name only starts like one: allowed
  'export type S = RunningSimulator;',
  'export const used = [startFront, startStack, startBenchStack, parseConfig, toolsVersion];',
].join('\n');

describe('product boundary lint rule', () => {
  it.each(['src/api/__lint_probe__.ts', 'src/workflows/__lint_probe__.ts'])('rejects imports of tools/, test/, bench/ and scripts/ from %s', async (file) => {
    const found = await rulesFor(boundaryProbe, file);
    const at = (line: number): string[] => found.filter((f) => f.line === line).map((f) => f.rule);
    for (const line of [1, 2, 3, 4, 5]) expect(at(line)).toContain('no-restricted-imports');
    expect(at(7)).not.toContain('no-restricted-imports');
    if (file.startsWith('src/api/')) expect(at(6)).toEqual([]);
  });
});
