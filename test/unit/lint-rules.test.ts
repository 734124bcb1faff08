import { execFile } from 'node:child_process';
import path from 'node:path';

/**
 * The lint rules that keep workflow code deterministic must actually fire. ESLint runs as a
 * process (its config loader needs dynamic import, which jest's VM does not offer).
 */
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'node_modules/.bin/eslint');

function rulesFor(code: string, file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, ['--stdin', '--stdin-filename', path.join(root, file), '--format', 'json'], { cwd: root }, (err, stdout) => {
      try {
        const [result] = JSON.parse(stdout) as { messages: { ruleId: string | null; message: string }[] }[];
        resolve((result?.messages ?? []).map((m) => m.ruleId ?? m.message));
      } catch {
        reject(err ?? new Error(`eslint gave no JSON: ${stdout}`));
      }
    });
    child.stdin?.end(code);
  });
}

describe('workflow determinism lint rules', () => {
  it('reject Node built-ins, I/O modules and runtime imports of the CA client in workflow code', async () => {
    expect(await rulesFor("import fs from 'node:fs';\nexport const x = fs;\n", 'src/workflows/__lint_probe__.ts')).toContain('no-restricted-imports');
    expect(await rulesFor("import { request } from 'undici';\nexport const x = request;\n", 'src/workflows/__lint_probe__.ts')).toContain('no-restricted-imports');
    expect(await rulesFor("import { createWotrusClient } from '../ca/wotrus/client';\nexport const x = createWotrusClient;\n", 'src/workflows/__lint_probe__.ts')).toContain('no-restricted-imports');
    expect(await rulesFor('export const t = setTimeout;\n', 'src/workflows/__lint_probe__.ts')).toContain('no-restricted-globals');
  });

  it('allow type-only imports and the dependency-free error constants', async () => {
    expect(await rulesFor("import type { Issuer } from '../ca/issuer';\nexport type X = Issuer;\n", 'src/workflows/__lint_probe__.ts')).toEqual([]);
    expect(await rulesFor("import { CaErrorType } from '../ca/wotrus/error-types';\nexport const x = CaErrorType;\n", 'src/workflows/__lint_probe__.ts')).toEqual([]);
  });

  it('flag floating promises everywhere', async () => {
    expect(await rulesFor('async function f(): Promise<void> {}\nexport function g(): void { f(); }\n', 'src/activities/__lint_probe__.ts')).toContain('@typescript-eslint/no-floating-promises');
  });
});
