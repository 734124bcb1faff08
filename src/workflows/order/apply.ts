import { condition } from '@temporalio/workflow';
import type { DomainFileCheck } from '../../activities';
import { CaErrorType } from '../../ca/errors';
import type { CreateOrderRequest, CreateOrderResult } from '../../ca/issuer';
import type { OrderView } from '../../domain/order-view';
import { caActivities, domainCheckActivities } from '../activity-stubs';
import { Interrupted, withAttention } from '../attention';
import { nextInterval } from '../poll-interval';
import { actionRequiredEvent, CustomerActionTracker } from '../customer-action';
import { failureDetail, failureMessage, failureType } from '../failures';
import type { OrderEntity } from './entity';

/** What the create step ends with: the CA order, or the order's end. */
export type Applied = { created: CreateOrderResult } | { ended: OrderView };

/**
 * Creating at a CA that validates every domain during the create itself (ACMAPI): certflow
 * first fetches each domain's file as the CA would, tells the customer which domain is not
 * ready and why, and checks again on the poll ladder; the CA is asked only once every domain
 * is ready. A domain the CA still cannot validate (107) sends the order back to checking,
 * naming it. A create whose answer was lost is never repeated blindly: the CA takes no
 * idempotency key, so an operator says what the CA made (docs/acmapi.md).
 */
export async function applyWhenDomainsReady(order: OrderEntity, req: CreateOrderRequest): Promise<Applied> {
  const { record, input, view } = order;
  const { policy } = input;
  const domains = [...new Set([req.commonName, ...(req.hosts ?? [])])];
  const deadlineAt = Date.parse(view.timeline[0]?.at ?? view.condition.at) + policy.validationDeadlineMs;
  let latest: DomainFileCheck | undefined;
  const customer = new CustomerActionTracker(view.ca, policy, (n) => {
    // `fileDownload`: the API route (relative to the API's base) that hands out what to serve.
    const { key, data } = actionRequiredEvent(n, { caOrderId: undefined, file: latest?.path, fileDownload: `/v1/issuers/${order.issuer.id}/domain-file`, domains: notReady(latest, view.ca.domainFiles?.caFailedDomain) });
    order.notifyBillingInBackground('order.action_required', key, data);
  });
  let interval = policy.pollInitialMs;
  for (;;) {
    if (order.cancelRequest) return { ended: await cancelled(order) };
    latest = await domainCheckActivities.checkDomainFiles.executeWithOptions({ summary: `Check the validation file on ${domains.join(', ')}` }, [domains, order.issuer.id]);
    // The domain the CA failed on stays shown until the CA is asked again.
    view.ca.domainFiles = { path: latest.path, checkedAt: latest.checkedAt, domains: latest.domains, caFailedDomain: view.ca.domainFiles?.caFailedDomain };
    const waiting = notReady(latest, undefined);
    if (waiting.length === 0) {
      const outcome = await create(order, req);
      if (!('caFailedDomain' in outcome)) {
        customer.end();
        return outcome;
      }
      view.ca.domainFiles.caFailedDomain = outcome.caFailedDomain;
      record.transition('awaitingValidation', 'CaCouldNotValidateDomain', `The CA could not validate ${outcome.caFailedDomain} (it fetches ${latest.path} there), although certflow could read the file: is the site reachable from outside, the content exactly the file? Checking again, then asking the CA again.`);
    } else {
      record.transition('awaitingValidation', 'DomainFileNotReady', `The validation file ${latest.path} is not ready on ${waiting.map((w) => w.domain).join(', ')}: ${waiting.map((w) => `${w.domain} (${w.problem})`).join('; ')}. The CA is asked once every domain serves it.`);
    }
    customer.observe('domain-files', { phase: 'validation', status: record.view.condition.reason }, ['validateDomain'], deadlineAt);

    const now = Date.now();
    if (now >= deadlineAt) {
      return { ended: await order.finish('failed', 'ValidationDeadlineExceeded', `The validation deadline passed (${new Date(deadlineAt).toISOString()}) before every domain served ${latest.path}.`, 'order.failed') };
    }
    const reminderAt = customer.nextWakeAt;
    const wait = Math.min(interval, deadlineAt - now, reminderAt === undefined ? Infinity : Math.max(reminderAt - now, 1));
    record.setNextCheck(new Date(now + wait));
    order.awaitingDomainFiles = true;
    const woke = await condition(() => order.retryNow.requested || order.cancelRequest !== undefined, wait, {
      summary: `Domain files not ready: check again at ${new Date(now + wait).toISOString()}, or at once on retryNow`,
    });
    order.awaitingDomainFiles = false;
    order.retryNow.requested = false;
    record.setNextCheck(undefined);
    interval = woke ? policy.pollInitialMs : nextInterval(interval, policy);
  }
}

/** Domains not ready, each with what is wrong; the domain the CA failed on leads. */
function notReady(check: DomainFileCheck | undefined, caFailed: string | undefined): { domain: string; problem: string }[] {
  const list = (check?.domains ?? []).filter((d) => !d.ready).map((d) => ({ domain: d.domain, problem: `HTTP: ${d.http.problem ?? 'ok'}; HTTPS: ${d.https.problem ?? 'ok'}` }));
  if (caFailed && !list.some((d) => d.domain === caFailed)) list.unshift({ domain: caFailed, problem: 'the CA could not validate it, although certflow could read the file' });
  return list;
}

/** One create: the CA order, the order's end, the domain the CA could not validate, or (lost answer) the operator's word. */
async function create(order: OrderEntity, req: CreateOrderRequest): Promise<Applied | { caFailedDomain: string }> {
  try {
    const created = await withAttention(order.control, 'Creating the CA order', () =>
      caActivities.createCaOrder.executeWithOptions({ summary: `Create the CA order for ${req.commonName}` }, [req, order.issuer.id]),
    );
    return { created };
  } catch (err) {
    if (err instanceof Interrupted) return { ended: await cancelled(order) };
    const type = failureType(err);
    if (type === CaErrorType.Validation) return { caFailedDomain: failureDetail<string>(err, 'domain') ?? req.commonName };
    if (type === CaErrorType.Business) return { ended: await order.finish('failed', 'CaRefusedOrder', `The CA refused the order: ${failureMessage(err)}`, 'order.failed') };
    if (type === CaErrorType.OutcomeUnknown) return await awaitOperator(order, req, failureMessage(err));
    throw err;
  }
}

/**
 * A lost create answer: the CA may have issued, and has no idempotency key to ask again
 * safely. The order waits in needsAttention until an operator looks at the CA and either
 * names the CA order found there or confirms none was made (update resolveCreate).
 */
async function awaitOperator(order: OrderEntity, req: CreateOrderRequest, why: string): Promise<Applied | { caFailedDomain: string }> {
  order.createOutcomeUnknown = true;
  const message = `${why} An operator must look the order up at the CA and resolve it: resolveCreate with the CA order id found there, or createAgain if the CA made none.`;
  order.record.transition('needsAttention', 'CaCreateOutcomeUnknown', message);
  order.control.onAttention?.('CaCreateOutcomeUnknown', message);
  await condition(() => order.createResolution !== undefined || order.cancelRequest !== undefined);
  order.createOutcomeUnknown = false;
  const resolution = order.createResolution;
  order.createResolution = undefined;
  if (!resolution) return { ended: await cancelled(order) };
  if (resolution.caOrderId) {
    order.note('CreateResolved', `An operator found CA order ${resolution.caOrderId} at the CA: ${resolution.reason}`);
    return { created: { caOrderId: resolution.caOrderId } };
  }
  order.note('CreateResolved', `An operator confirmed the CA made no order; creating it again: ${resolution.reason}`);
  return create(order, req);
}

async function cancelled(order: OrderEntity): Promise<OrderView> {
  order.answerCancel({ ok: true, message: 'Cancelled before the CA order was created.' });
  return order.finish('cancelled', 'CancelledByRequest', `Cancelled before the CA order was created: ${order.cancelRequest?.reason}`, 'order.cancelled');
}
