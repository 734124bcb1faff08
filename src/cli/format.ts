import type { OrderSummary } from '../orders/schemas';
import type { OrderView } from '../domain/order-view';

/** Human output. Machine output (--json) is the API's JSON as it came. */

function clock(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toTimeString().slice(0, 8);
}

/** One line per poll of `orders watch`: state, reason, message, CA status, next check. */
export function progressLine(view: OrderView): string {
  const parts = [view.condition.state, view.condition.reason, view.condition.message];
  if (view.ca.status) parts.push(`CA ${view.ca.status}`);
  const next = clock(view.ca.nextCheckAt);
  if (next) parts.push(`next check ${next}`);
  return parts.filter(Boolean).join(' · ');
}

export function describeOrder(view: OrderView): string {
  const rows: [string, string | undefined][] = [
    ['state', `${view.condition.state} (${view.condition.reason})`],
    ['message', view.condition.message],
    ['since', view.condition.at],
    ['common name', view.commonName],
    ['product', view.productId],
    ['workflow', view.workflowId],
    ['CA order', view.ca.orderId],
    ['CA status', view.ca.status && `${view.ca.status} (checked ${view.ca.checks}×${view.ca.nextCheckAt ? `, next ${view.ca.nextCheckAt}` : ''})`],
    ['validation link', view.ca.pendingLink],
    ...domainFileRows(view.ca.domainFiles),
    ...domainRows(view.ca.domains),
    ['CA cost', view.ca.cost === undefined ? undefined : String(view.ca.cost)],
    ['certificate', view.certificate && `serial ${view.certificate.serialNumber}, valid ${view.certificate.notBefore} → ${view.certificate.notAfter}`],
    ['renews', view.lineage.renews],
    ['CA orders', view.lineage.caOrderIds.length > 1 ? view.lineage.caOrderIds.join(', ') : undefined],
    ['reissues', view.lineage.reissues.length ? view.lineage.reissues.map((r) => `${r.id} ${r.status}`).join(', ') : undefined],
    ['revocations', view.lineage.revocations.length ? view.lineage.revocations.map((r) => `${r.caOrderId} ${r.status}`).join(', ') : undefined],
  ];
  const shown = rows.filter((r): r is [string, string] => Boolean(r[1]));
  const width = Math.max(...shown.map(([k]) => k.length));
  return [`Order ${view.billingOrderId}`, ...shown.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
}

/** Issuers that validate at create: each domain's file as certflow last checked it. */
function domainFileRows(files: OrderView['ca']['domainFiles']): [string, string | undefined][] {
  if (!files) return [];
  const rows: [string, string | undefined][] = files.domains.map((d) => [
    `  ${d.domain}`,
    d.ready ? `ready (${d.http.ok ? d.http.url : d.https.url})` : `not ready — HTTP: ${d.http.problem ?? 'ok'}; HTTPS: ${d.https.problem ?? 'ok'}`,
  ]);
  const caFailed: [string, string | undefined] = ['  CA failed on', files.caFailedDomain && `${files.caFailedDomain} (the CA could not validate it at the last apply)`];
  return [['domain files', `${files.path} (checked ${files.checkedAt})`], ...rows, caFailed];
}

/**
 * Issuers that validate per name: each name's method and state, then what to publish (the
 * CNAME, the file and its content, the approver mailbox) and certflow's own look.
 */
function domainRows(domains: OrderView['ca']['domains']): [string, string | undefined][] {
  if (!domains?.length) return [];
  const rows: [string, string | undefined][] = [['validation', 'per name: method · state, what to publish, certflow\'s check']];
  for (const d of domains) {
    rows.push([`  ${d.domain}`, `${d.method} · ${d.state}${d.caStatus ? ` (CA: ${d.caStatus})` : ''}`]);
    if (d.dns) rows.push(['    CNAME', `${d.dns.name} → ${d.dns.value}`]);
    if (d.file) rows.push(['    file', d.file.url], ['    content', d.file.content]);
    if (d.email) {
      const others = d.email.alternatives.filter((a) => a.toLowerCase() !== d.email!.address.toLowerCase());
      rows.push(['    approver', `${d.email.address}${others.length ? ` (may switch to ${others.join(', ')})` : ''}`]);
    }
    if (d.check) rows.push(['    check', `${d.check.ready ? 'ready' : `not ready${d.check.problem ? ` — ${d.check.problem}` : ''}`} (checked ${d.check.checkedAt})`]);
    else if (d.state === 'pending' && d.method !== 'email') rows.push(['    check', 'not looked at yet']);
  }
  return rows;
}

export function ordersTable(rows: OrderSummary[]): string {
  const header = ['BILLING ORDER', 'STATUS', 'COMMON NAME', 'NOT AFTER', 'STARTED'];
  const cells = rows.map((r) => [r.billingOrderId, r.status ?? r.runStatus.toLowerCase(), r.commonName ?? '', r.notAfter?.slice(0, 10) ?? '', r.startTime.slice(0, 19).replace('T', ' ')]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [header, ...cells].map((c) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
