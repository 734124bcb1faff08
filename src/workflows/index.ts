/** The workflow bundle's entry: every workflow type the worker registers. */
export { orderWorkflow } from './order/workflow';
export { reissueWorkflow } from './reissue';
export { revokeWorkflow } from './revoke';
export { boundOrderWorkflow } from './bound-order';
