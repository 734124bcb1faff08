import type { Client } from '@temporalio/client';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { CaOrderIdKey } from '../workflows/search-attributes';
import { caOrdersQuery } from './visibility';

/** At most this many workflows are signalled per CA order (the order, its reissue and revoke children). */
export const MAX_WORKFLOWS_PER_CA_ORDER = 20;

export interface CaOrderFinderOptions {
  client: Client;
  /** Deadline of one visibility query. */
  timeoutMs: number;
  /** CA order ids per query. */
  maxBatch?: number;
  /** Queries in flight at once. */
  maxInFlight?: number;
}

interface Waiter {
  resolve(ids: string[]): void;
  reject(err: unknown): void;
}

/**
 * "Which running workflows wait on this CA order?" — the push receiver's look-up, batched.
 * One visibility query per push made a burst of a thousand pushes a thousand list calls, which
 * a single-shard dev server answers one after another (seconds; the fault suite measured a
 * p50 of 3 s). Here a look-up starts at once when the finder is idle; look-ups arriving while
 * queries run wait for the next one and share it (`CaOrderId IN (…)`), so a burst costs a
 * handful of list calls and every push is answered quickly.
 */
export function createCaOrderFinder({ client, timeoutMs, maxBatch = 200, maxInFlight = 2 }: CaOrderFinderOptions): (caOrderId: string) => Promise<string[]> {
  const queue = new Map<string, Waiter[]>();
  let inFlight = 0;

  async function lookUp(ids: string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>(ids.map((id) => [id, []]));
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await client.withDeadline(Date.now() + timeoutMs, () =>
        client.workflowService.listWorkflowExecutions({ namespace: client.options.namespace, query: caOrdersQuery(ids), pageSize: 1000, nextPageToken }),
      );
      for (const e of page.executions) {
        const workflowId = e.execution?.workflowId;
        if (!workflowId) continue;
        for (const caOrderId of decodeTypedSearchAttributes(e.searchAttributes?.indexedFields).get(CaOrderIdKey) ?? []) {
          const list = found.get(caOrderId);
          if (list && list.length < MAX_WORKFLOWS_PER_CA_ORDER && !list.includes(workflowId)) list.push(workflowId);
        }
      }
      nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return found;
  }

  function pump(): void {
    while (inFlight < maxInFlight && queue.size > 0) {
      const batch = [...queue.keys()].slice(0, maxBatch);
      const waiters = batch.map((id) => [id, queue.get(id)!] as const);
      for (const id of batch) queue.delete(id);
      inFlight++;
      void lookUp(batch).then(
        (found) => {
          for (const [id, ws] of waiters) for (const w of ws) w.resolve([...(found.get(id) ?? [])]);
        },
        (err: unknown) => {
          for (const [, ws] of waiters) for (const w of ws) w.reject(err);
        },
      ).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return (caOrderId) =>
    new Promise<string[]>((resolve, reject) => {
      const waiters = queue.get(caOrderId) ?? [];
      waiters.push({ resolve, reject });
      queue.set(caOrderId, waiters);
      pump();
    });
}
