import { extname } from 'node:path';
import type { CommandContext } from './context';
import { ExitCode } from './exit-codes';
import { CliError } from './http';

export async function readTextFile(ctx: CommandContext, path: string, what: string): Promise<string> {
  try {
    return (await ctx.readFile(path)).toString('utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
    throw new CliError(`cannot read ${what} ${path}: ${code}`, ExitCode.Usage);
  }
}

const PROOF_TYPES: Record<string, '.jpg' | '.gif' | '.pdf'> = { '.jpg': '.jpg', '.jpeg': '.jpg', '.gif': '.gif', '.pdf': '.pdf' };

/** A proof document as the API takes it: type from the file extension, content in base64. */
export async function readProofFile(ctx: CommandContext, path: string): Promise<{ fileType: '.jpg' | '.gif' | '.pdf'; fileContent: string }> {
  const fileType = PROOF_TYPES[extname(path).toLowerCase()];
  if (!fileType) throw new CliError(`proof file ${path} must be a .jpg, .gif or .pdf file`, ExitCode.Usage);
  let content: Buffer;
  try {
    content = await ctx.readFile(path);
  } catch (err) {
    throw new CliError(`cannot read proof file ${path}: ${(err as { code?: string }).code ?? String(err)}`, ExitCode.Usage);
  }
  return { fileType, fileContent: content.toString('base64') };
}
