import { billingOrderIdOf, orderWorkflowId, parseWorkflowId, reissueWorkflowId, revokeWorkflowId } from '../../src/domain/workflow-ids';

describe('workflow-id scheme', () => {
  const order = orderWorkflowId('B-1');

  it('names the order and its children below it', () => {
    expect(order).toBe('order-B-1');
    expect(reissueWorkflowId(order, 'r-1')).toBe('order-B-1/reissue/r-1');
    expect(revokeWorkflowId(order, 'CA-9')).toBe('order-B-1/revoke/CA-9');
  });

  it('parses every id it makes back to its parts', () => {
    expect(parseWorkflowId(order)).toEqual({ kind: 'order', billingOrderId: 'B-1' });
    expect(parseWorkflowId(reissueWorkflowId(order, 'r-1'))).toEqual({ kind: 'reissue', billingOrderId: 'B-1', requestId: 'r-1' });
    expect(parseWorkflowId(revokeWorkflowId(order, 'CA-9'))).toEqual({ kind: 'revoke', billingOrderId: 'B-1', caOrderId: 'CA-9' });
    expect(billingOrderIdOf(revokeWorkflowId(order, 'CA-9'))).toBe('B-1');
  });

  it.each(['bench-1', 'order-', 'order-B-1/other/x', 'order-B-1/reissue/', 'order-B-1/revoke/a/b'])('refuses %s, which it never makes', (id) => {
    expect(parseWorkflowId(id)).toBeUndefined();
  });
});
