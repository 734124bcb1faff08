import { metricMeter, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { OrderState } from '../domain/order-states';
import type { TrackedView } from '../domain/order-view';
import { CaOrderIdKey, NotAfterKey, OrderStatusKey } from './search-attributes';

const TIMELINE_LIMIT = 100;

/**
 * The workflow's observable record: state with machine reason and human message, mirrored
 * to search attributes (for lists and the Web UI) and to the UI's current details on every
 * transition.
 */
export class OrderRecord<V extends TrackedView = TrackedView> {
  constructor(readonly view: V, private readonly searchable: boolean) {}

  get state(): OrderState {
    return this.view.condition.state;
  }

  transition(state: OrderState, reason: string, message: string): void {
    const c = this.view.condition;
    if (c.state === state && c.reason === reason && c.message === message) return;
    const at = new Date().toISOString();
    this.view.condition = { state, reason, message, at };
    // Counted once per transition: the SDK's workflow meter stays silent while replaying.
    metricMeter.createCounter('certflow_order_transitions', 'transitions', 'State transitions of orders and their children, by new state and reason').add(1, { state, reason });
    this.view.timeline.push({ state, reason, message, at });
    if (this.view.timeline.length > TIMELINE_LIMIT) this.view.timeline.splice(0, this.view.timeline.length - TIMELINE_LIMIT);
    this.publish();
  }

  addCaOrderId(id: string): void {
    if (!this.view.lineage.caOrderIds.includes(id)) this.view.lineage.caOrderIds.push(id);
    this.publish();
  }

  setNextCheck(at: Date | undefined): void {
    this.view.ca.nextCheckAt = at?.toISOString();
    this.publishDetails();
  }

  publish(): void {
    if (this.searchable) {
      upsertSearchAttributes([
        { key: OrderStatusKey, value: this.view.condition.state },
        ...(this.view.lineage.caOrderIds.length > 0 ? [{ key: CaOrderIdKey, value: [...this.view.lineage.caOrderIds] }] : []),
        ...(this.view.certificate ? [{ key: NotAfterKey, value: new Date(this.view.certificate.notAfter) }] : []),
      ]);
    }
    this.publishDetails();
  }

  /** What the Web UI shows for a running order: what it waits for, since when, where the customer acts, when it checks next. */
  publishDetails(): void {
    const v = this.view;
    // The UI shows a few lines of this without scrolling: what an operator acts on first.
    const facts = [
      v.ca.nextCheckAt ? `Next check: ${v.ca.nextCheckAt}` : undefined,
      v.ca.pendingLink ? `Customer link: ${v.ca.pendingLink}` : undefined,
      v.ca.orderId ? `CA order: ${v.ca.orderId}${v.ca.status ? ` (${v.ca.status})` : ''}` : undefined,
      v.certificate ? `Certificate ${v.certificate.serialNumber}, valid until ${v.certificate.notAfter}` : undefined,
      ...domainFileFacts(v.ca.domainFiles),
      ...domainFacts(v.ca.domains),
    ].filter((l): l is string => l !== undefined);
    const lines = [`**${v.condition.state}** — ${v.condition.reason}, since ${v.condition.at}`, v.condition.message, facts.map((f) => `- ${f}`).join('\n')].filter((l) => l !== '');
    setCurrentDetails(lines.join('\n\n'));
  }
}

/** Issuers that validate at create: each domain's file as certflow last found it. */
function domainFileFacts(files: TrackedView['ca']['domainFiles']): string[] {
  if (!files) return [];
  return files.domains.map((d) => `${d.domain}${files.path}: ${d.ready ? 'ready' : `not ready (${d.http.problem ?? 'ok'} over HTTP; ${d.https.problem ?? 'ok'} over HTTPS)`}`);
}

/**
 * Issuers that validate per name: one line per name — its method and state, what the
 * customer publishes (the CNAME, the file, the approver mailbox), and certflow's own look.
 */
export function domainFacts(domains: TrackedView['ca']['domains']): string[] {
  if (!domains) return [];
  return domains.map((d) => {
    const publish = d.dns ? `CNAME ${d.dns.name} → ${d.dns.value}` : d.file ? `file ${d.file.url}` : d.email ? `approver ${d.email.address}` : undefined;
    const look = !d.check ? undefined : d.check.ready || d.check.problem === undefined ? `${d.check.ready ? '' : 'not '}ready as certflow sees it` : `not ready: ${d.check.problem}`;
    return [`${d.domain}: ${d.method}, ${d.state}`, publish, look].filter((p) => p !== undefined).join(' — ');
  });
}
