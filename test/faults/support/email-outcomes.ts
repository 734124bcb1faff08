/**
 * What certflow concluded about each customer e-mail, read from the order workflows'
 * histories: the `sendCaEmail` activity's result (sent, unconfirmed, CA said not sent) or its
 * failure. The simulator knows what it sent; this says what certflow knows, so the suite can
 * tell an e-mail lost silently from one reported unconfirmed. Read from the histories rather
 * than the order view so it holds whatever the workflow records in its view.
 */
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { orderWorkflowId } from '../../../src/domain/workflow-ids';
import type { FaultStack } from './fault-stack';
import { pool } from './orders';

/** `failed`: the activity failed, or the CA answered that it sent nothing (`sent: false`). */
export type EmailOutcome = 'sent' | 'unconfirmed' | 'failed';

const EMAIL_ACTIVITY = 'sendCaEmail';

/** Every e-mail activity of each order (the latest run), in history order; orders whose history could not be read are left out. */
export async function emailOutcomes(stack: FaultStack, ids: readonly string[]): Promise<Map<string, EmailOutcome[]>> {
  const converter = stack.client.options.loadedDataConverter;
  const read = await pool(ids, 8, async (id): Promise<EmailOutcome[] | undefined> => {
    try {
      const history = await stack.client.workflow.getHandle(orderWorkflowId(id)).fetchHistory();
      const emails = new Set<string>();
      const out: EmailOutcome[] = [];
      for (const e of history.events ?? []) {
        if (e.activityTaskScheduledEventAttributes?.activityType?.name === EMAIL_ACTIVITY) emails.add(String(e.eventId));
        const done = e.activityTaskCompletedEventAttributes;
        if (done && emails.has(String(done.scheduledEventId))) {
          const result = await decodeFromPayloadsAtIndex<{ sent?: unknown }>(converter, 0, done.result?.payloads);
          out.push(result?.sent === true ? 'sent' : result?.sent === 'unconfirmed' ? 'unconfirmed' : 'failed');
        }
        const ended = e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
        if (ended && emails.has(String(ended.scheduledEventId))) out.push('failed');
      }
      return out;
    } catch {
      return undefined;
    }
  });
  return new Map(ids.flatMap((id, i) => (read[i] === undefined ? [] : [[id, read[i]!] as const])));
}
