import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ORDER_STATES } from '../domain/order-states';
import { cancelOrder, type NameMethods, notifyCustomer, reissueOrder, type ReissueOptions, resolveCreate, retryOrder, revokeOrder, switchMethod, type SwitchMethodOptions } from './commands/actions';
import { createOrder, type CreateOptions } from './commands/create';
import { getCertificate, getOrder, listOrders, type ListOptions } from './commands/read';
import { CERTIFICATE_PARTS, type CertificatePart } from '../domain/certificate';
import { watchOrder } from './commands/watch';
import { type CliIo, type CommandContext, defaultReadFile, defaultSleep } from './context';
import { EXIT_CODE_HELP, ExitCode } from './exit-codes';
import { CliError, createApiClient } from './http';

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

interface GlobalOptions {
  apiUrl?: string;
  apiKey?: string;
  json?: boolean;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
}

/** A repeatable `name=method` option (`www.example.com=http`, `*.example.com=admin@example.com`), one method per name. */
function nameMethod(value: string, previous: NameMethods | undefined): NameMethods {
  const at = value.indexOf('=');
  const name = at < 0 ? '' : value.slice(0, at).trim();
  const method = at < 0 ? '' : value.slice(at + 1).trim();
  if (!name || !method) throw new InvalidArgumentError('must be name=method, e.g. www.example.com=http or *.example.com=admin@example.com');
  const taken = Object.keys(previous ?? {}).find((n) => n.toLowerCase() === name.toLowerCase());
  if (taken !== undefined) throw new InvalidArgumentError(`names ${name} twice: one method per name`);
  return { ...previous, [name]: method };
}

/** A repeatable option of names (each also comma-separated). */
function names(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((n) => n.trim()).filter(Boolean)];
}

/** Commander exit codes for help and version are successes; everything else is usage. */
function commanderExit(err: CommanderError): ExitCode {
  return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? ExitCode.Ok : ExitCode.Usage;
}

/**
 * Runs the CLI once, in-process: every output goes to the given streams and the exit code is
 * returned, never passed to process.exit, so tests drive it like a function.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code: ExitCode = ExitCode.Ok;
  const writeOut = (s: string): void => void io.stdout.write(s);
  const writeErr = (s: string): void => void io.stderr.write(s);

  const program = new Command('certflow')
    .description('Operate certflow orders through its HTTP API.')
    // No defaults shown for the key: help output must never print a secret.
    .option('--api-url <url>', `API base URL (env CERTFLOW_API_URL, default ${DEFAULT_API_URL})`)
    .option('--api-key <key>', 'API key (env CERTFLOW_API_KEY)')
    .option('--json', 'machine-readable output on stdout')
    .exitOverride()
    .configureOutput({ writeOut, writeErr })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `\n${EXIT_CODE_HELP}\n`);

  const context = (cmd: Command): CommandContext => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    return {
      api: createApiClient({
        baseUrl: g.apiUrl ?? io.env.CERTFLOW_API_URL ?? DEFAULT_API_URL,
        apiKey: g.apiKey ?? io.env.CERTFLOW_API_KEY,
        fetch: io.fetch,
      }),
      json: g.json === true,
      out: (line) => writeOut(`${line}\n`),
      err: (line) => writeErr(`${line}\n`),
      stdout: io.stdout,
      sleep: io.sleep ?? defaultSleep,
      readFile: io.readFile ?? defaultReadFile,
    };
  };
  const run =
    <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<ExitCode>) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      const params = args.slice(0, -1) as A;
      code = await fn(context(cmd), ...params);
    };

  const orders = program.command('orders').description('place, inspect and change orders');

  orders
    .command('create')
    .description('place an order (from flags, or --file order.json overlaid by flags)')
    .option('--file <path>', 'order as JSON (the API body); flags override its fields')
    .option('--billing-order-id <id>', 'billing order id (idempotency: one order per id)')
    .option('--product <guid>', 'product id')
    .option('--common-name <name>', 'certificate common name')
    .option('--hosts <list>', 'comma-separated host names (SANs)')
    .option('--month <n>', 'validity: 12 or 24 (13 or 25 for a renewal)')
    .option('--csr-file <path>', 'PEM certificate signing request (SM2: the signing CSR)')
    .option('--csr-encrypt-file <path>', 'SM2: the encryption certificate\'s CSR')
    .option('--bind-rsa-product <guid>', 'SM2: the RSA product ordered with it, as its own CA order')
    .option('--csr-rsa-file <path>', 'SM2 with --bind-rsa-product: the RSA certificate\'s CSR')
    .option('--renews <billingOrderId>', 'billing order this one renews (month 13 or 25)')
    .action(run((ctx, opts: CreateOptions) => createOrder(ctx, opts)));

  orders
    .command('get')
    .description('show an order: state, reason, CA status, certificate, lineage')
    .argument('<billingOrderId>')
    .action(run((ctx, id: string) => getOrder(ctx, id)));

  orders
    .command('list')
    .description('list orders (open first, most recent first)')
    .addOption(new Option('--status <state>', 'only orders in this state').choices(ORDER_STATES))
    .option('--common-name <name>', 'only orders for this common name')
    .option('--page-size <n>', 'orders per page (1-100)')
    .option('--page-token <token>', 'the page token printed by the previous page')
    .action(run((ctx, opts: ListOptions) => listOrders(ctx, opts)));

  orders
    .command('certificate')
    .description('print the issued certificate as PEM (leaf, then chain); the JSON bundle with --json')
    .argument('<billingOrderId>')
    .addOption(new Option('--part <part>', 'SM2 orders: the encryption certificate, or the bound RSA order\'s').choices(CERTIFICATE_PARTS).default('signing'))
    .action(run((ctx, id: string, opts: { part: CertificatePart }) => getCertificate(ctx, id, opts.part)));

  orders
    .command('watch')
    .description('follow an order until it is active (or ends); exit 5 if it ends failed, cancelled, revoked or expired')
    .argument('<billingOrderId>')
    .option('--interval <seconds>', 'seconds between polls', seconds, 1)
    .addOption(new Option('--until <goal>', 'stop when the order is active, or only when it ends').choices(['active', 'final']).default('active'))
    .action(
      run((ctx, id: string, opts: { interval: number; until: 'active' | 'final' }) =>
        watchOrder(ctx, id, { intervalMs: opts.interval * 1000, until: opts.until }),
      ),
    );

  orders
    .command('cancel')
    .description('cancel an order before issuance')
    .argument('<billingOrderId>')
    .requiredOption('--reason <text>', 'why (kept in the order history)')
    .action(run((ctx, id: string, opts: { reason: string }) => cancelOrder(ctx, id, opts)));

  orders
    .command('reissue')
    .description('reissue the active certificate with a new CSR, or (CAs that validate per name) with new names or methods')
    .argument('<billingOrderId>')
    .option('--csr-file <path>', 'PEM certificate signing request (required unless --domain-validation is given)')
    .requiredOption('--reason <text>', 'why')
    .option('--request-id <id>', 'idempotency key: the same id twice is one reissue (generated when omitted)')
    .option('--proof-file <path>', 'supporting document (.jpg, .gif or .pdf)')
    .option('--domain-validation <name=method>', 'CAs that validate per name: a name the new certificate covers and its method (dns, http, https or an approver e-mail address); repeat for EVERY name — a name left out is dropped', nameMethod)
    .option('--confirm-dropped <name>', 'a name this reissue drops, repeated as confirmation (the CA then revokes the current certificate); repeatable', names)
    .option('--renew', 'tell the CA the reissue is a renewal (CAs that take it)')
    .action(run((ctx, id: string, opts: ReissueOptions) => reissueOrder(ctx, id, opts)));

  orders
    .command('switch-method')
    .description('CAs that validate per name: switch names\' validation methods (a reissue keeping the key and every name; the others keep their methods)')
    .argument('<billingOrderId>')
    .requiredOption('--set <name=method>', 'a name of the order and its new method: dns, http, https or an approver e-mail address; repeat per name', nameMethod)
    .option('--reason <text>', 'why (default: switch validation method)')
    .option('--request-id <id>', 'idempotency key: the same id twice is one reissue (generated when omitted)')
    .option('--confirm-dropped <name>', 'as for reissue (a switch drops no name: only for symmetry); repeatable', names)
    .option('--renew', 'tell the CA the reissue is a renewal (CAs that take it)')
    .action(run((ctx, id: string, opts: SwitchMethodOptions) => switchMethod(ctx, id, opts)));

  orders
    .command('revoke')
    .description('revoke the active certificate')
    .argument('<billingOrderId>')
    .requiredOption('--reason <text>', 'why')
    .requiredOption('--proof-file <path>', 'revocation request document (.jpg, .gif or .pdf)')
    .action(run((ctx, id: string, opts: { reason: string; proofFile: string }) => revokeOrder(ctx, id, opts)));

  orders
    .command('retry')
    .description('retry now an order that needs attention')
    .argument('<billingOrderId>')
    .action(run((ctx, id: string) => retryOrder(ctx, id)));

  orders
    .command('notify')
    .description('ask the CA to e-mail the customer the collection link again (after an unconfirmed or failed e-mail)')
    .argument('<billingOrderId>')
    .option('--reason <text>', 'why (kept in the order view)')
    .option('--request-id <id>', 'idempotency key: the same id twice is one e-mail (generated when omitted)')
    .action(run((ctx, id: string, opts: { reason?: string; requestId?: string }) => notifyCustomer(ctx, id, opts)));

  orders
    .command('resolve-create')
    .description('settle an order whose create answer was lost at a CA without idempotency key (needsAttention, CaCreateOutcomeUnknown)')
    .argument('<billingOrderId>')
    .requiredOption('--reason <text>', 'what was found at the CA (kept in the order timeline)')
    .option('--ca-order-id <id>', 'the CA order found at the CA (WoSign ACMAPI: its handle_id)')
    .option('--create-again', 'the CA made no order: create it again')
    .action(run((ctx, id: string, opts: { reason: string; caOrderId?: string; createAgain?: boolean }) => resolveCreate(ctx, id, opts)));

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err);
    if (err instanceof CliError) {
      writeErr(`certflow: ${err.message}\n`);
      for (const e of err.problem?.errors ?? []) writeErr(`  ${e.path}: ${e.rule}\n`);
      return err.code;
    }
    writeErr(`certflow: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.Unexpected;
  }
}
