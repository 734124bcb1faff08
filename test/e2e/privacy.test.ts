/**
 * What Temporal and the logs hold after a real order full of personal data: an OV order
 * placed over HTTP with the organisation's people, phones and ID number, issued, reissued
 * with a new CSR and revoked with a proof document. The raw histories, read from the server
 * by a client WITHOUT the codec — the order and every child workflow — must hold none of the
 * personal data, CSRs or secrets in plain text, nor in base64 at any alignment. The logs of
 * API and worker, captured at debug level (and the Temporal runtime's at DEBUG), must hold no
 * secret and no personal data. The codec endpoint gives the data back to the operator token,
 * and to nobody else, and answers the Web UI's CORS preflight.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { orderWorkflowId, parseWorkflowId, reissueWorkflowId } from '../../src/domain/workflow-ids';
import { SIM_PRODUCT_IDS } from '../../tools/simulators/wotrus/catalog';
import { generateCsr } from '../../tools/simulators/wotrus/csr';
import type { OrderView } from '../../src/domain/order-view';
import { eventually } from '../support/order-harness';
import { type Stack, startStack } from '../support/stack';
import { uniqueId } from '../support/temporal';

const runtimeLogs: string[] = [];
Runtime.install({
  logger: new DefaultLogger('DEBUG', (entry) => {
    runtimeLogs.push(JSON.stringify({ message: entry.message, meta: entry.meta }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  }),
});

const appLogs: string[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _enc, done) {
    appLogs.push(chunk.toString('utf8'));
    done();
  },
});

let stack: Stack;
const tag = Math.random().toString(36).slice(2, 10);

/** Distinctive values, so that finding one anywhere cannot be a coincidence. */
const person = {
  orgName: `Qingshan Trading ${tag} Ltd`,
  countryCode: 'CN',
  orgPhone: `+86-10-5550${tag.length}1234-${tag}`,
  userFirstName: `Wenjun${tag}`,
  userLastName: `Xiaoqing${tag}`,
  userEmail: `wenjun.${tag}@qingshan-mail.example`,
  userMobile: `+86-139-${tag}-7788`,
  idCardNo: `11010519491231002X${tag}`,
  street: `88 Jianguo Road ${tag}`,
  city: 'Beijing',
};
const contact = { email: `billing.${tag}@customer-mail.example`, name: `Liu Yang ${tag}` };
/** A document-signing order's USB key: its password is a secret, its shipping address personal data. */
const uKey = { password: `uK-${tag}-Pw!9z`, shipAddress: `Room 17${tag}, 9 Chaoyang North Road ${tag}` };
const proofText = `%PDF-1.4 revocation request signed by ${person.userFirstName} ${person.userLastName}, ID ${person.idCardNo}`;

let billingOrderId: string;
/** The document-signing order placed with uKey fields. */
let documentOrderId: string;
let csrs: string[] = [];
let histories: { workflowId: string; binary: Buffer; json: string; raw: temporal.api.history.v1.IHistory }[] = [];

beforeAll(async () => {
  // Pushes signed (CA_PUSH_VERIFY=hmac), so the push secret is in use and must stay out of the logs too.
  stack = await startStack({ logger: pino({ level: 'debug' }, logStream), env: { CA_PUSH_VERIFY: 'hmac', CA_PUSH_SECRET: randomBytes(24).toString('base64url') } });
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

async function view(): Promise<OrderView> {
  const r = await stack.api(`/v1/orders/${billingOrderId}`);
  return (await r.json()) as OrderView;
}

/** The simulator moves on its own with the stack's short delays; drive it if it waits for a human. */
async function until(what: string, ok: (v: OrderView) => boolean): Promise<OrderView> {
  return eventually(what, async () => {
    const v = await view();
    if (ok(v)) return v;
    const caOrderId = v.lineage.caOrderIds[v.lineage.caOrderIds.length - 1];
    const sim = caOrderId ? stack.sim.state.order(caOrderId) : undefined;
    if (sim?.status === 'pendingSubmitOrderToCA') await stack.sim.state.drive(sim.id, 'pass-review');
    else if (sim?.status === 'pendingDCV') await stack.sim.state.drive(sim.id, 'pass-dcv');
    return undefined;
  }, 45_000);
}

/** Base64 of s at each of the three byte alignments it can have inside a longer encoded blob. */
function base64Forms(s: string): string[] {
  const b = Buffer.from(s, 'utf8');
  const forms: string[] = [];
  for (let k = 0; k < 3; k++) {
    const n = Math.floor((b.length - k) / 3) * 3;
    if (n < 6) continue;
    const std = b.subarray(k, k + n).toString('base64');
    forms.push(std, std.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...new Set(forms)];
}

/** Every way a value could be found: itself, and its base64 forms. */
function findings(haystack: string | Buffer, needles: Record<string, string>): string[] {
  const text = Buffer.isBuffer(haystack) ? haystack.toString('latin1') : haystack;
  const utf8 = Buffer.isBuffer(haystack) ? haystack : undefined;
  const found: string[] = [];
  for (const [name, value] of Object.entries(needles)) {
    if (utf8 ? utf8.includes(Buffer.from(value, 'utf8')) : text.includes(value)) found.push(`${name} (plain)`);
    for (const form of base64Forms(value)) if (text.includes(form)) found.push(`${name} (base64 ${form})`);
  }
  return found;
}

function personalData(): Record<string, string> {
  const needles: Record<string, string> = {};
  for (const [k, v] of Object.entries(person)) if (k !== 'countryCode' && k !== 'city') needles[`organization.${k}`] = v;
  needles['contact.email'] = contact.email;
  needles['contact.name'] = contact.name;
  needles['proof document'] = proofText;
  needles.uKeyShipAddress = uKey.shipAddress;
  csrs.forEach((csr, i) => {
    // The CSR's base64 body, line by line: the first, a middle and the last full line.
    const lines = csr.split('\n').filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l));
    [lines[0], lines[Math.floor(lines.length / 2)]].forEach((l, j) => {
      if (l) needles[`csr${i}.line${j}`] = l;
    });
  });
  return needles;
}

function secrets(): Record<string, string> {
  const c = stack.config;
  const needles: Record<string, string> = {
    'API key': stack.apiKey,
    'operator token': stack.operatorToken,
    CA_TOKEN: c.CA_TOKEN!,
    CA_PUSH_SECRET: c.CA_PUSH_SECRET!,
    uKeyPassword: uKey.password,
  };
  if (c.DOWNLOAD_LINK_SECRET) needles.DOWNLOAD_LINK_SECRET = c.DOWNLOAD_LINK_SECRET;
  // The stack's second CA (the ACMAPI simulator): its worker client holds this token too.
  if (c.ACMAPI_AUTH_TOKEN) needles.ACMAPI_AUTH_TOKEN = c.ACMAPI_AUTH_TOKEN;
  for (const k of c.CODEC_KEYS ?? []) {
    needles[`codec key ${k.id}`] = k.key;
    // The raw key bytes too, as they would sit in a buffer (latin1 maps bytes to chars 1:1).
    needles[`codec key ${k.id} (raw)`] = Buffer.from(k.key, 'base64').toString('latin1');
  }
  return needles;
}

describe('personal data and secrets stay out of Temporal and the logs', () => {
  it('an OV order with personal data runs to active, is reissued and revoked', async () => {
    expect(stack.config.CODEC_KEYS?.length).toBeGreaterThan(0);
    const commonName = `${uniqueId('private').toLowerCase()}.example.com`;
    const first = await generateCsr({ commonName, keyType: 'rsa' });
    const second = await generateCsr({ commonName, keyType: 'ec' });
    csrs = [first.csrPem, second.csrPem];
    billingOrderId = uniqueId('PRIV');
    const created = await stack.api('/v1/orders', {
      body: { billingOrderId, productId: SIM_PRODUCT_IDS.rsaOv, commonName, hosts: [commonName], csr: first.csrPem, month: 12, organization: person, contact },
    });
    expect(created.status).toBe(202);
    const active = await until('active', (v) => v.condition.state === 'active');
    expect(active.certificate?.subject).toContain(person.orgName);

    const reissue = await stack.api(`/v1/orders/${billingOrderId}/reissue`, { body: { csr: second.csrPem, reason: `key change for ${person.userEmail}`, requestId: 'rk-1' } });
    expect(reissue.status).toBe(202);
    const reissued = await until('reissued', (v) => v.condition.state === 'active' && v.lineage.reissues[0]?.status === 'completed');
    expect(reissued.lineage.caOrderIds).toHaveLength(2);

    const revoke = await stack.api(`/v1/orders/${billingOrderId}/revoke`, {
      body: { reason: `requested by ${person.userFirstName} ${person.userLastName}`, proof: { fileType: '.pdf', fileContent: Buffer.from(proofText).toString('base64') } },
    });
    expect(revoke.status).toBe(202);
    await until('revoked', (v) => v.condition.state === 'revoked');
    // The replaced certificate's revocation (a child of its own) settles too.
    await until('revocations settled', (v) => v.lineage.revocations.length >= 1 && v.lineage.revocations.every((r) => r.status !== 'running'));
  });

  it('a document-signing order with a USB key password and shipping address runs to active', async () => {
    // A personal document-signing certificate: its subject is the person. Document-signing
    // orders keep the common name out of the (unencrypted) search attributes and summary, so
    // the person's name is found nowhere in the raw history below.
    const holder = `${person.userFirstName} ${person.userLastName}`;
    const csr = await generateCsr({ commonName: holder, keyType: 'rsa' });
    csrs.push(csr.csrPem);
    documentOrderId = uniqueId('PRIVDOC');
    const created = await stack.api('/v1/orders', {
      body: {
        billingOrderId: documentOrderId,
        productId: SIM_PRODUCT_IDS.docSignPersonal,
        commonName: holder,
        csr: csr.csrPem,
        month: 12,
        organization: person,
        uKeyPassword: uKey.password,
        uKeyShipAddress: uKey.shipAddress,
      },
    });
    expect(created.status).toBe(202);
    const active = await eventually('document order active', async () => {
      const v = (await (await stack.api(`/v1/orders/${documentOrderId}`)).json()) as OrderView;
      if (v.condition.state === 'active') return v;
      const caOrderId = v.lineage.caOrderIds[0];
      const sim = caOrderId ? stack.sim.state.order(caOrderId) : undefined;
      if (sim?.status === 'pendingSubmitOrderToCA') await stack.sim.state.drive(sim.id, 'pass-review');
      return undefined;
    }, 45_000);
    expect(active.certificate?.subject).toContain(holder);
    // The CA received both fields; the order's view shows neither.
    const atCa = stack.sim.state.order(active.lineage.caOrderIds[0]!);
    expect(atCa).toMatchObject({ uKeyPassword: uKey.password, uKeyShipAddress: uKey.shipAddress });
    expect(findings(JSON.stringify(active), { uKeyPassword: uKey.password, uKeyShipAddress: uKey.shipAddress })).toEqual([]);
  });

  it('the raw histories of the order and every child, read without the codec, hold no personal data, CSR or secret', async () => {
    const raw = new Client({ connection: stack.client.connection, namespace: stack.config.TEMPORAL_NAMESPACE });
    const parentId = orderWorkflowId(billingOrderId);
    const parent = await raw.workflow.getHandle(parentId).fetchHistory();
    const childIds = (parent.events ?? [])
      .map((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId)
      .filter((id): id is string => typeof id === 'string');
    expect(childIds).toEqual(expect.arrayContaining([reissueWorkflowId(parentId, 'rk-1')]));
    expect(childIds.filter((id) => parseWorkflowId(id)?.kind === 'revoke').length).toBeGreaterThanOrEqual(1);
    // Visibility knows no other workflow on this task queue that could hold the data.
    // (Through the raw service: the SDK's list would try to decode the encrypted memos.)
    const listed = await eventually('children listed', async () => {
      const r = await raw.workflowService.listWorkflowExecutions({ namespace: stack.config.TEMPORAL_NAMESPACE, query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'`, pageSize: 100 });
      const ids = r.executions.map((e) => e.execution?.workflowId ?? '');
      return ids.length >= childIds.length + 1 ? ids : undefined;
    });
    const documentId = orderWorkflowId(documentOrderId);
    expect(listed.sort()).toEqual([parentId, ...childIds, documentId].sort());

    histories = [];
    for (const workflowId of [parentId, ...childIds, documentId]) {
      const h = workflowId === parentId ? parent : await raw.workflow.getHandle(workflowId).fetchHistory();
      const binary = Buffer.from(temporal.api.history.v1.History.encode(h).finish());
      const json = JSON.stringify(temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.decode(binary), { bytes: String, longs: String, enums: String }));
      histories.push({ workflowId, binary, json, raw: h });
    }
    // The histories are real: inputs, results and CA answers were written, all encrypted. The
    // only plain payloads are the search attributes, which hold the documented keys only.
    const encodings = new Map<string, number>();
    const plainAttributes = new Set<string>();
    const patchMarkers = new Set<string>();
    const localActivityMarkers = new Set<string>();
    const walk = (v: unknown, path: string[], marker?: string): void => {
      if (!v || typeof v !== 'object') return;
      const node = v as Record<string, unknown>;
      if (typeof node.markerName === 'string') marker = node.markerName;
      const encoding = (node.metadata as Record<string, string> | undefined)?.encoding;
      if (encoding !== undefined) {
        const name = Buffer.from(encoding, 'base64').toString();
        const inAttributes = path.includes('indexedFields');
        const detail = path.includes('markerRecordedEventAttributes') ? path[path.indexOf('details') + 1] : undefined;
        const plainJson = (): Record<string, unknown> => JSON.parse(Buffer.from(String(node.data), 'base64').toString()) as Record<string, unknown>;
        if (inAttributes) plainAttributes.add(path[path.length - 1]!);
        else if (marker === 'core_patch') {
          // patched() markers are written by the SDK core, outside the codec: they hold the
          // patch id only ({"id":"poll-jitter-v2","deprecated":false}), checked below.
          const data = plainJson();
          expect(Object.keys(data).sort()).toEqual(['deprecated', 'id']);
          patchMarkers.add(String(data.id));
        } else if (marker === 'core_local_activity' && detail === 'data') {
          // A local activity's marker metadata, written by the core: which activity and when,
          // never its arguments or result (the `result` detail goes through the codec).
          const data = plainJson();
          for (const k of Object.keys(data)) expect(['seq', 'attempt', 'activity_id', 'activity_type', 'complete_time', 'backoff', 'original_schedule_time']).toContain(k);
          localActivityMarkers.add(String(data.activity_type));
        } else encodings.set(name, (encodings.get(name) ?? 0) + 1);
        return;
      }
      for (const [k, child] of Object.entries(node)) walk(child, [...path, k], marker);
    };
    for (const h of histories) walk(JSON.parse(h.json), []);
    expect([...patchMarkers].every((id) => /^[a-z0-9-]+$/.test(id))).toBe(true);
    // Inline reads ran (their results are among the encrypted payloads counted below).
    expect([...localActivityMarkers]).toEqual(expect.arrayContaining(['getCaOrderStatus', 'retrieveCertificate', 'verifyCertificate']));
    expect([...encodings.keys()]).toEqual(['binary/encrypted']);
    expect(encodings.get('binary/encrypted')).toBeGreaterThan(50);
    expect([...plainAttributes].sort()).toEqual(expect.arrayContaining(['BillingOrderId', 'CaOrderId', 'CommonName', 'OrderStatus']));
    // TemporalChangeVersion is the SDK's own attribute listing patch ids (patched()).
    for (const k of plainAttributes) expect(['OrderStatus', 'BillingOrderId', 'CaOrderId', 'CommonName', 'ProductId', 'NotAfter', 'TemporalChangeVersion']).toContain(k);
    expect(histories.reduce((n, h) => n + h.binary.length, 0)).toBeGreaterThan(20_000);

    const needles = { ...personalData(), ...secrets() };
    expect(Object.keys(needles).length).toBeGreaterThan(15);
    for (const h of histories) {
      expect({ workflowId: h.workflowId, found: [...findings(h.binary, needles), ...findings(h.json, needles)] }).toEqual({ workflowId: h.workflowId, found: [] });
    }
    // Nor in what describe shows: memo, search attributes, summary.
    const described = await raw.workflowService.describeWorkflowExecution({ namespace: stack.config.TEMPORAL_NAMESPACE, execution: { workflowId: parentId } });
    const describedBin = Buffer.from(temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse.encode(described).finish());
    expect(findings(describedBin, needles)).toEqual([]);
  });

  it('the codec endpoint decodes a payload of that raw history for the operator token only', async () => {
    const parent = histories.find((h) => h.workflowId === orderWorkflowId(billingOrderId))!;
    const started = parent.raw.events![0]!.workflowExecutionStartedEventAttributes!;
    const payload = started.input!.payloads![0]!;
    expect(Buffer.from(payload.metadata!.encoding!).toString()).toBe('binary/encrypted');
    const body = {
      payloads: [{ metadata: Object.fromEntries(Object.entries(payload.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(payload.data!).toString('base64') }],
    };
    const decode = (headers: Record<string, string>) =>
      fetch(`${stack.apiUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

    const ok = await decode({ authorization: `Bearer ${stack.operatorToken}`, origin: 'http://localhost:8233', 'x-namespace': 'default' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const decoded = (await ok.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(decoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    const input = JSON.parse(Buffer.from(decoded.payloads[0]!.data, 'base64').toString('utf8')) as { order: { organization: typeof person; contact: typeof contact; csr: string } };
    expect(input.order.organization).toMatchObject(person);
    expect(input.order.contact).toEqual(contact);
    expect(input.order.csr).toBe(csrs[0]);

    const refused: Record<string, string>[] = [{}, { authorization: `Bearer ${stack.operatorToken}x` }, { authorization: `Bearer ${stack.apiKey}` }, { authorization: stack.operatorToken }, { 'x-api-key': stack.operatorToken }];
    for (const headers of refused) {
      const denied = await decode(headers);
      const text = await denied.text();
      expect({ headers, status: denied.status }).toEqual({ headers, status: 401 });
      expect(findings(text, personalData())).toEqual([]);
    }

    // The Web UI's preflight is answered without credentials, with headers only.
    const preflight = await fetch(`${stack.apiUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.split(/,\s*/)).toEqual(expect.arrayContaining(['content-type', 'x-namespace', 'authorization']));
    expect(preflight.headers.get('vary')).toContain('Origin');
    expect(await preflight.text()).toBe('');
    // Another site's page gets no CORS grant, so its browser cannot read an answer.
    const foreign = await fetch(`${stack.apiUrl}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the logs (API and worker at debug, Temporal runtime at DEBUG) hold no secret and no personal data', async () => {
    // The logs are real: requests were logged, with the key's name but not the key.
    const app = appLogs.join('');
    expect(appLogs.length).toBeGreaterThan(10);
    expect(app).toContain('"apiKeyName":"e2e"');
    expect(app).toContain('/codec/decode');
    expect(runtimeLogs.length).toBeGreaterThan(0);

    expect(findings(app, secrets())).toEqual([]);
    expect(findings(app, personalData())).toEqual([]);
    const runtime = runtimeLogs.join('\n');
    expect(findings(runtime, secrets())).toEqual([]);
    expect(findings(runtime, personalData())).toEqual([]);
  });
});
