import { Context } from '@temporalio/activity';
import type { CallContext } from '../ca/issuer';

/**
 * The CA's `RequestID` header: workflow id, activity type and attempt, so an operator can
 * trace a CA-side log line back to the exact activity attempt in the Web UI.
 */
export function callContext(): CallContext {
  const ctx = Context.current();
  const { workflowExecution, activityType, attempt } = ctx.info;
  return { requestId: `${workflowExecution?.workflowId ?? 'standalone'}/${activityType}/${attempt}`, signal: ctx.cancellationSignal };
}
