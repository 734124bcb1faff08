import { isFinalState, type OrderState } from '../../domain/order-states';
import type { OrderView } from '../../domain/order-view';
import type { CommandContext } from '../context';
import { ExitCode } from '../exit-codes';
import { progressLine } from '../format';
import { CliError } from '../http';
import { orderPath } from './read';

export interface WatchOptions {
  intervalMs: number;
  /** Stop at `active` (issued and delivered) or only when the order ends. */
  until: 'active' | 'final';
}

/** Consecutive failed polls (API or Temporal away) tolerated before giving up. */
const MAX_UNAVAILABLE_POLLS = 10;

/**
 * Polls the order and prints a progress line: rewritten in place on a terminal, one line per
 * change otherwise (logs, CI). Exit 0 at the goal, 5 when the order ends without reaching it.
 */
export async function watchOrder(ctx: CommandContext, id: string, { intervalMs, until }: WatchOptions): Promise<ExitCode> {
  const tty = !ctx.json && ctx.stdout.isTTY === true;
  let last = '';
  let unavailable = 0;
  const finishLine = (): void => {
    if (tty && last) ctx.stdout.write('\n');
  };

  for (;;) {
    let view: OrderView;
    try {
      view = await ctx.api.json<OrderView>('GET', orderPath(id));
      unavailable = 0;
    } catch (err) {
      if (err instanceof CliError && err.code === ExitCode.Unavailable && ++unavailable < MAX_UNAVAILABLE_POLLS) {
        ctx.err(`certflow: ${err.message} (retrying)`);
        await ctx.sleep(intervalMs);
        continue;
      }
      finishLine();
      throw err;
    }

    const line = progressLine(view);
    if (line !== last) {
      if (ctx.json) ctx.out(JSON.stringify(view));
      else if (tty) ctx.stdout.write(`\r\x1b[2K${new Date().toTimeString().slice(0, 8)} ${line}`);
      else ctx.out(line);
      last = line;
    }

    const state: OrderState = view.condition.state;
    if (isFinalState(state)) {
      finishLine();
      ctx.err(`certflow: order ${id} ended ${state}: ${view.condition.message}`);
      return ExitCode.OrderEnded;
    }
    if (until === 'active' && state === 'active') {
      finishLine();
      return ExitCode.Ok;
    }
    await ctx.sleep(intervalMs);
  }
}
