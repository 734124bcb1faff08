import { isCancellation } from '@temporalio/workflow';
import { isFinalState } from '../../domain/order-states';
import type { OrderView } from '../../domain/order-view';
import type { OrderWorkflowInput } from '../inputs';
import { deliver } from './delivery';
import { OrderEntity } from './entity';
import { compensate, issue } from './issuance';
import { askPatchesUpFront } from '../patches';
import { lifecycle } from './lifecycle';

export { SINGLE_REISSUE_EVENT_PATCH } from './delivery';

/**
 * One workflow per billing order: issue the certificate (create the CA order, wait through
 * validation and issuance, retrieve and verify), deliver it, then stay open as its lifecycle
 * record (reissue, revoke, renewal reminder) until expiry or revocation. The order's state
 * and its message handlers live in OrderEntity; docs/order-workflow.md has the states.
 */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderView> {
  askPatchesUpFront();
  const order = new OrderEntity(input);
  order.listen();
  try {
    if (!order.bundle && !isFinalState(order.state)) {
      const ended = await issue(order);
      if (ended) return ended;
      await deliver(order);
    }
    return await lifecycle(order);
  } catch (err) {
    if (isCancellation(err)) {
      // Cancelled by an operator (Web UI, CLI): undo the CA order unless it was issued.
      if (!order.bundle) await compensate(order, 'order workflow cancelled');
      order.record.transition('cancelled', 'WorkflowCancelled', 'The workflow was cancelled by an operator.');
    }
    throw err;
  }
}
