/**
 * The WoSignDoc simulator (seed 003) over real HTTPS with mutual TLS, pushing to a real local
 * HTTP receiver: creates and their documented error codes, idempotency on `orderNumber`,
 * tokens and balance, the signed document pushed with its SHA-256 and repeated until answered
 * `1`, mutual TLS refusals, faults, a 20 MiB document, and the admin API over HTTP.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { Agent, request } from 'undici';
import {
  type CreateAnswer,
  createWosignDocAdmin,
  DEFAULT_DANGEROUS_MARKER,
  DEFAULT_TEMPLATE_ID,
  EXAMPLE_ORGANIZATION,
  type IssuedCertificate,
  readSimulatedSignature,
  type RunningWosignDocSimulator,
  startWosignDocSimulator,
  WOSIGNDOC_ERRORS as E,
  WosignDocAdminError,
} from '../../tools/simulators/wosigndoc';

const TOKEN = 'wosigndoc-token-0001';
const TOKEN_2 = 'wosigndoc-token-0002';
const ADMIN = 'wosigndoc-admin-token-0123456789';

// ---------------------------------------------------------------------------------------
// The caller's callback receiver

interface Push {
  raw: Buffer;
  body: {
    actiontype: string;
    status: number;
    errorcode: string;
    extendData: { signid: string; ordernumber?: string; orderNumber?: string; content: string; hash: string } | string;
  };
}
type Answer = { status?: number; body: string };

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Answers `1` only when the hash is the SHA-256 of the content's bytes (what certflow must do). */
const verifying = (p: Push): Answer => {
  const x = typeof p.body.extendData === 'string' ? (JSON.parse(p.body.extendData) as Exclude<Push['body']['extendData'], string>) : p.body.extendData;
  return sha256(Buffer.from(x.content, 'base64')) === x.hash ? { body: '1' } : { body: 'hash mismatch' };
};

class Receiver {
  pushes: Push[] = [];
  answer: (p: Push, n: number) => Answer = () => ({ body: '1' });
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const push: Push = { raw, body: JSON.parse(raw.toString('utf8')) as Push['body'] };
      this.pushes.push(push);
      const a = this.answer(push, this.pushes.length);
      res.writeHead(a.status ?? 200, { 'content-type': 'text/plain' }).end(a.body);
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/wosigndoc/push`;
  }

  reset(): void {
    this.pushes = [];
    this.answer = () => ({ body: '1' });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function extend(p: Push): Exclude<Push['body']['extendData'], string> {
  return typeof p.body.extendData === 'string' ? (JSON.parse(p.body.extendData) as Exclude<Push['body']['extendData'], string>) : p.body.extendData;
}

// ---------------------------------------------------------------------------------------
// Setup

const receiver = new Receiver();
let sim: RunningWosignDocSimulator;
let client: Agent;
const agents: Agent[] = [];
const extraSims: RunningWosignDocSimulator[] = [];
let seq = 0;

function agentFor(cert?: { certPem: string; keyPem: string }, o: { pin?: boolean } = {}): Agent {
  const a = new Agent({ connect: { ...(o.pin === false ? {} : { ca: sim.caPem }), ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}) } });
  agents.push(a);
  return a;
}

beforeAll(async () => {
  await receiver.start();
  sim = await startWosignDocSimulator({
    tokens: [TOKEN, { tokenid: TOKEN_2 }],
    adminToken: ADMIN,
    callbackUrl: receiver.url,
    signingDelayMs: 20,
    pushRetryDelaysMs: [30, 30, 30, 30, 30],
    pushTimeoutMs: 5_000,
  });
  client = agentFor({ certPem: sim.clientCertPem, keyPem: sim.clientKeyPem });
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await Promise.all([sim.close(), ...extraSims.map((s) => s.close())]);
  await receiver.close();
});
beforeEach(async () => {
  await sim.admin.reset();
  receiver.reset();
});

const orderNumber = (label = 'order'): string => `${label}-${Date.now()}-${++seq}`;
const pdf = (label: string): Buffer => Buffer.from(`%PDF-1.4\n% a test contract: ${label}\n%%EOF\n`, 'latin1');
const picture = Buffer.from('a picture of an ID card').toString('base64');

const orgSigner = (o: Record<string, unknown> = {}): Record<string, unknown> => ({
  signType: 1,
  orgName: EXAMPLE_ORGANIZATION.orgName,
  orgNo: ` ${EXAMPLE_ORGANIZATION.orgNo}`,
  stampbase: '',
  pic: picture,
  otherpic: picture,
  signlist: [{ pagenumber: 1, position: '0.30,0.57,0.46,0.69' }],
  ...o,
});
const personSigner = (o: Record<string, unknown> = {}): Record<string, unknown> => ({
  signType: '2',
  userName: '张三',
  userNo: '212125668686868888',
  stampbase: '',
  pic: picture,
  otherpic: picture,
  signlist: [
    { pagenumber: 1, position: '0.65, 0.47, 0.82, 0.59' },
    { pagenumber: 2, position: '0.27, 0.39, 0.44, 0.50' },
  ],
  ...o,
});

function createBody(o: Record<string, unknown> = {}): Record<string, unknown> {
  const n = o.orderNumber ?? orderNumber();
  return {
    tokenid: TOKEN,
    actiontype: 'CreateSignOrder',
    filebase: pdf(String(n)).toString('base64'),
    fileformat: 'pdf',
    orderNumber: n,
    tempid: '',
    subject: '签署合同标签',
    password: '',
    signerlist: [orgSigner(), personSigner()],
    ...o,
  };
}

async function post(body: unknown, agent: Agent = client, target: RunningWosignDocSimulator = sim): Promise<CreateAnswer> {
  const res = await request(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    dispatcher: agent,
  });
  const text = await res.body.text();
  expect(res.statusCode).toBe(200);
  return JSON.parse(text) as CreateAnswer;
}

async function until<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`until: timed out, last value ${JSON.stringify(v)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A plain node:https request: its answer, or the error that refused it. */
function tlsAttempt(o: { cert?: { certPem: string; keyPem: string }; pin?: boolean; body?: string }): Promise<{ status?: number; body?: string; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const u = new URL(sim.url);
    const req = https.request(
      {
        host: u.hostname,
        port: u.port,
        path: '/',
        method: 'POST',
        agent: false,
        ...(o.pin === false ? {} : { ca: sim.caPem }),
        ...(o.cert ? { cert: o.cert.certPem, key: o.cert.keyPem } : {}),
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode, body }));
        res.on('error', (error) => resolve({ error }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error }));
    req.end(o.body ?? JSON.stringify(createBody()));
  });
}

// ---------------------------------------------------------------------------------------

describe('CreateSignOrder and PushSignedDoc', () => {
  it('answers {status:1, errorcode:0, signid, orderNumber} and pushes the signed document with the SHA-256 of its bytes', async () => {
    const n = orderNumber();
    const body = createBody({ orderNumber: n });
    const source = Buffer.from(body.filebase as string, 'base64');
    const answer = await post(body);
    expect(answer).toEqual({ status: 1, errorcode: 0, signid: expect.stringMatching(/^[0-9a-f-]{36}$/), orderNumber: n });

    await until(() => receiver.pushes.length, (l) => l >= 1);
    const [push] = receiver.pushes;
    expect(push!.body).toEqual({
      actiontype: 'PushSignedDoc',
      status: 1,
      errorcode: '0',
      extendData: { signid: answer.signid, ordernumber: n, content: expect.any(String), hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    const x = extend(push!);
    const signed = Buffer.from(x.content, 'base64');
    expect(sha256(signed)).toBe(x.hash);
    // Not a real PDF signature: the source's bytes, then the simulated signature trailer.
    const read = readSimulatedSignature(signed);
    expect(read?.valid).toBe(true);
    expect(read?.document.equals(source)).toBe(true);
    expect(read?.signature).toMatchObject({ signid: answer.signid, orderNumber: n, documentSha256: sha256(source), signers: [1, 2], encrypted: false });
    expect(signed.subarray(0, source.length).equals(source)).toBe(true);
    expect(signed.toString('latin1').endsWith('%%EOF\n')).toBe(true);

    const order = await until(() => sim.admin.order(n), (o) => o.pushes.outcome === 'acknowledged');
    expect(order).toMatchObject({ state: 'signed', signid: answer.signid, signedSha256: x.hash, documentSha256: sha256(source), contentHeld: false });
    expect(order.pushes).toMatchObject({ sent: 1, acknowledged: 1, rejected: 0, givenUp: false });
    const counters = await sim.admin.counters();
    expect(counters).toMatchObject({ requests: 1, creates: 1, signed: 1, tlsRefused: 0, errorsByCode: {} });
    expect(counters.pushes).toMatchObject({ sent: 1, acknowledged: 1, givenUp: 0 });
  });

  it('signs a template order (no filebase) from the template document, and records a password as encryption', async () => {
    const n = orderNumber('tpl');
    const answer = await post(createBody({ orderNumber: n, filebase: undefined, fileformat: undefined, tempid: DEFAULT_TEMPLATE_ID, subject: '', password: 'secret', signerlist: [orgSigner({ signlist: undefined }), personSigner({ signlist: [] })] }));
    expect(answer.status).toBe(1);
    await until(() => receiver.pushes.length, (l) => l >= 1);
    const read = readSimulatedSignature(Buffer.from(extend(receiver.pushes[0]!).content, 'base64'));
    expect(read?.valid).toBe(true);
    expect(read?.document.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    expect(read?.signature.encrypted).toBe(true);
    expect(await sim.admin.order(n)).toMatchObject({ tempid: DEFAULT_TEMPLATE_ID, subject: '两方合同 (two-party contract)', encrypted: true, positions: 0 });
  });

  it('spells the order number and extendData as the settings say (the document disagrees with itself)', async () => {
    await sim.admin.updateSettings({ answerOrderNumberField: 'both', pushOrderNumberField: 'orderNumber', pushExtendData: 'string' });
    const n = orderNumber();
    const answer = await post(createBody({ orderNumber: n }));
    expect(answer).toMatchObject({ status: 1, orderNumber: n, ordernumber: n });
    await until(() => receiver.pushes.length, (l) => l >= 1);
    const push = receiver.pushes[0]!;
    expect(typeof push.body.extendData).toBe('string');
    const x = extend(push);
    expect(x.orderNumber).toBe(n);
    expect(x.ordernumber).toBeUndefined();
    expect(sha256(Buffer.from(x.content, 'base64'))).toBe(x.hash);
  });

  it('repeats a push answered other than `1` (any body, any status) and stops at the first `1`', async () => {
    const answers: Answer[] = [{ body: 'ok' }, { status: 500, body: '1' }, { body: '0' }, { body: ' 1\n' }];
    receiver.answer = (_p, n) => answers[n - 1] ?? { body: '1' };
    const n = orderNumber();
    await post(createBody({ orderNumber: n }));
    const order = await until(() => sim.admin.order(n), (o) => o.pushes.outcome === 'acknowledged');
    expect(receiver.pushes).toHaveLength(4);
    expect(order.pushes).toMatchObject({ sent: 4, acknowledged: 1, rejected: 3 });
    expect(order.pushes.attempts.map((a) => [a.attempt, a.status, a.answer, a.acknowledged])).toEqual([
      [1, 200, 'ok', false],
      [2, 500, '1', false],
      [3, 200, '0', false],
      [4, 200, '1', true],
    ]);
    // Every repeat is the same push.
    expect(new Set(receiver.pushes.map((p) => p.raw.toString('utf8'))).size).toBe(1);
    await sleep(150);
    expect(receiver.pushes).toHaveLength(4);
    expect((await sim.admin.counters()).pushes).toMatchObject({ sent: 4, acknowledged: 1, rejected: 3 });
  });

  it('gives pushes up after the schedule; an admin re-push starts a new round', async () => {
    receiver.answer = () => ({ body: 'no' });
    const n = orderNumber();
    await post(createBody({ orderNumber: n }));
    const order = await until(() => sim.admin.order(n), (o) => o.pushes.outcome === 'gaveUp');
    expect(receiver.pushes).toHaveLength(6); // 1 + pushRetryDelaysMs.length
    expect(order.pushes).toMatchObject({ sent: 6, acknowledged: 0, givenUp: true });
    expect(order.contentHeld).toBe(true);
    expect((await sim.admin.counters()).pushes.givenUp).toBe(1);

    receiver.answer = () => ({ body: '1' });
    await sim.admin.repush(n);
    const again = await until(() => sim.admin.order(n), (o) => o.pushes.outcome === 'acknowledged');
    expect(receiver.pushes).toHaveLength(7);
    expect(again.pushes.givenUp).toBe(true); // the earlier round's
    await expect(sim.admin.repush(n)).rejects.toMatchObject({ status: 409 });
  });

  it('without a callback address signs but pushes nothing until one is set and the admin re-pushes', async () => {
    await sim.admin.updateSettings({ callbackUrl: null });
    const n = orderNumber();
    await post(createBody({ orderNumber: n }));
    await until(() => sim.admin.order(n), (o) => o.state === 'signed' && o.pushes.outcome === 'none');
    expect(receiver.pushes).toHaveLength(0);
    await sim.admin.updateSettings({ callbackUrl: receiver.url });
    await sim.admin.repush(n);
    await until(() => sim.admin.order(n), (o) => o.pushes.outcome === 'acknowledged');
    expect(receiver.pushes).toHaveLength(1);
  });
});

describe('idempotent on orderNumber', () => {
  it('answers -47 while signing and -46 once signed, and never signs or pushes twice', async () => {
    await sim.admin.updateSettings({ signingDelayMs: 1_000 });
    const n = orderNumber();
    const first = await post(createBody({ orderNumber: n }));
    expect(first.status).toBe(1);
    expect(await post(createBody({ orderNumber: n }))).toEqual({ status: 0, errorcode: E.beingSigned, signid: '', orderNumber: n });
    // Even a different body with the same number is the same order.
    expect((await post(createBody({ orderNumber: n, subject: 'another', tokenid: TOKEN_2 }))).errorcode).toBe(E.beingSigned);
    await until(() => sim.admin.order(n), (o) => o.pushes.outcome === 'acknowledged');
    expect(await post(createBody({ orderNumber: n }))).toEqual({ status: 0, errorcode: E.alreadySigned, signid: '', orderNumber: n });
    await sleep(100);
    const counters = await sim.admin.counters();
    expect(counters).toMatchObject({ creates: 1, signed: 1, errorsByCode: { '-47': 2, '-46': 1 } });
    expect(receiver.pushes).toHaveLength(1);
    expect(extend(receiver.pushes[0]!).signid).toBe(first.signid);
    expect((await sim.admin.tokens()).find((t) => t.tokenid === TOKEN)?.orders).toBe(1);
  });

  it('lets concurrent creates of one orderNumber through once', async () => {
    await sim.admin.updateSettings({ signingDelayMs: 1_000 });
    const n = orderNumber();
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(createBody({ orderNumber: n }))));
    expect(answers.filter((a) => a.status === 1)).toHaveLength(1);
    expect(answers.filter((a) => a.errorcode === E.beingSigned)).toHaveLength(7);
    await until(() => sim.admin.order(n), (o) => o.pushes.outcome === 'acknowledged');
    expect((await sim.admin.counters()).signed).toBe(1);
  });
});

describe('tokens and balance', () => {
  it('answers -65 for an unknown tokenid and -67 for a disabled one, until enabled again', async () => {
    expect(await post(createBody({ tokenid: 'nobody' }))).toMatchObject({ status: 0, errorcode: E.tokenUnknown });
    await sim.admin.disableToken(TOKEN);
    const n = orderNumber();
    expect(await post(createBody({ orderNumber: n }))).toEqual({ status: 0, errorcode: E.tokenDisabled, signid: '', orderNumber: n });
    expect(await post(createBody({ tokenid: TOKEN_2 }))).toMatchObject({ status: 1 });
    await sim.admin.enableToken(TOKEN);
    expect(await post(createBody({ orderNumber: n }))).toMatchObject({ status: 1, orderNumber: n });
  });

  it('answers -68 below the price (nothing stored or charged), and takes the order once the balance is raised', async () => {
    await sim.admin.setBalance(TOKEN, 0);
    const n = orderNumber();
    expect(await post(createBody({ orderNumber: n }))).toMatchObject({ status: 0, errorcode: E.balanceTooLow, orderNumber: n });
    await expect(sim.admin.order(n)).rejects.toMatchObject({ status: 404 });
    await sim.admin.setBalance(TOKEN, 1);
    expect(await post(createBody({ orderNumber: n }))).toMatchObject({ status: 1 });
    expect((await sim.admin.tokens()).find((t) => t.tokenid === TOKEN)).toEqual({ tokenid: TOKEN, enabled: true, balance: 0, orders: 1 });
    expect((await post(createBody())).errorcode).toBe(E.balanceTooLow);
    await sim.admin.setBalance(TOKEN, null);
    expect((await post(createBody())).status).toBe(1);
    expect((await sim.admin.counters()).errorsByCode).toEqual({ '-68': 2 });
  });

  it('creates tokens by admin, and reset brings back the start tokens', async () => {
    await sim.admin.updateToken('new-token', { balance: 5 });
    expect((await post(createBody({ tokenid: 'new-token' }))).status).toBe(1);
    await sim.admin.reset();
    expect((await sim.admin.tokens()).map((t) => t.tokenid).sort()).toEqual([TOKEN, TOKEN_2]);
    expect((await post(createBody({ tokenid: 'new-token' }))).errorcode).toBe(E.tokenUnknown);
  });
});

describe("the document's checks", () => {
  const withSigner = (i: number, patch: Record<string, unknown>) => (b: Record<string, unknown>) => {
    const list = [...(b.signerlist as Record<string, unknown>[])];
    list[i] = { ...list[i], ...patch };
    return { ...b, signerlist: list };
  };
  const cases: [string, number, (b: Record<string, unknown>) => unknown][] = [
    ['a body that is not JSON', E.badJson, () => '{"tokenid": oops'],
    ['a JSON array', E.badJson, () => [1, 2]],
    ['no tokenid', E.missingParameter, (b) => ({ ...b, tokenid: undefined })],
    ['no actiontype', E.missingParameter, (b) => ({ ...b, actiontype: '' })],
    ['the push action sent to the platform', E.unsupportedAction, (b) => ({ ...b, actiontype: 'PushSignedDoc' })],
    ['no orderNumber', E.orderNumberEmpty, (b) => ({ ...b, orderNumber: '' })],
    ['an unknown tempid', E.templateMissing, (b) => ({ ...b, tempid: 'no-such-template' })],
    ['neither filebase nor tempid', E.missingParameter, (b) => ({ ...b, filebase: '' })],
    ['no fileformat', E.fileFormatEmpty, (b) => ({ ...b, fileformat: '' })],
    ['an unsupported fileformat', E.badParameter, (b) => ({ ...b, fileformat: 'exe' })],
    ['filebase not base64', E.badParameter, (b) => ({ ...b, filebase: 'data:application/pdf;base64,JVBERi0=' })],
    ['no signerlist', E.missingParameter, (b) => ({ ...b, signerlist: undefined })],
    ['an empty signerlist', E.signerCount, (b) => ({ ...b, signerlist: [] })],
    ['more signers than allowed', E.signerCount, (b) => ({ ...b, signerlist: Array.from({ length: 21 }, () => personSigner()) })],
    ['a template with places for 2, given 1 signer', E.signerCount, (b) => ({ ...b, filebase: '', tempid: DEFAULT_TEMPLATE_ID, signerlist: [orgSigner()] })],
    ['signType 3', E.signerType, withSigner(0, { signType: 3 })],
    ['no signType', E.signerType, withSigner(1, { signType: undefined })],
    ['no orgName', E.orgNameEmpty, withSigner(0, { orgName: ' ' })],
    ['no orgNo', E.orgNoEmpty, withSigner(0, { orgNo: '' })],
    ['no userName', E.userNameEmpty, withSigner(1, { userName: '' })],
    ['no userNo', E.userNoEmpty, withSigner(1, { userNo: null })],
    ['no pic', E.materialsEmpty, withSigner(0, { pic: '' })],
    ['no otherpic', E.materialsEmpty, withSigner(1, { otherpic: undefined })],
    ['a pic that is not base64', E.badParameter, withSigner(1, { pic: 'not base64!' })],
    ['no signlist without a template', E.missingParameter, withSigner(1, { signlist: [] })],
    ['a position upper-right below lower-left', E.badParameter, withSigner(0, { signlist: [{ pagenumber: 1, position: '0.5,0.5,0.4,0.6' }] })],
    ['a position with three numbers', E.badParameter, withSigner(0, { signlist: [{ pagenumber: 1, position: '0.1,0.2,0.3' }] })],
    ['page 0', E.badParameter, withSigner(0, { signlist: [{ pagenumber: 0, position: '0.1,0.2,0.3,0.4' }] })],
    ['a country of three letters', E.badParameter, withSigner(1, { country: 'CHN' })],
    ['a document carrying the dangerous marker', E.dangerousContent, (b) => ({ ...b, filebase: Buffer.from(`%PDF-1.4 ${DEFAULT_DANGEROUS_MARKER}`).toString('base64') })],
    ['a picture carrying the dangerous marker', E.dangerousContent, withSigner(1, { otherpic: Buffer.from(`JFIF ${DEFAULT_DANGEROUS_MARKER}`).toString('base64') })],
    ['a licence number registered under another name', E.organizationMismatch, withSigner(0, { orgName: '另一家公司' })],
  ];

  it.each(cases)('%s → %i', async (_label, code, mutate) => {
    const answer = await post(mutate(createBody()));
    expect(answer).toMatchObject({ status: 0, errorcode: code, signid: '' });
    const counters = await sim.admin.counters();
    expect(counters.creates).toBe(0);
    expect(counters.errorsByCode).toEqual({ [String(code)]: 1 });
    expect((await sim.admin.tokens()).find((t) => t.tokenid === TOKEN)?.orders).toBe(0);
  });

  it('reads the tolerant forms: signType as text or number, `Signlist`, percent positions, `.PDF`, padded strings, a long subject cut at 256', async () => {
    const n = orderNumber();
    const answer = await post(
      createBody({
        orderNumber: ` ${n} `,
        fileformat: '.PDF',
        subject: '长'.repeat(300),
        signerlist: [
          orgSigner({ signType: '1', signlist: undefined, Signlist: [{ pagenumber: '2', position: '30%,57%,46%,69%' }] }),
          personSigner({ signType: 2, country: 'CN', signlist: [{ pagenumber: 1, position: '65,47,82,59' }] }),
        ],
      }),
    );
    expect(answer).toMatchObject({ status: 1, orderNumber: n });
    expect(await sim.admin.order(n)).toMatchObject({ fileformat: 'pdf', subject: '长'.repeat(256), positions: 2, signerTypes: [1, 2] });
  });

  it('checks organisations strictly when configured, against its own register', async () => {
    await sim.admin.updateSettings({ strictOrganizations: true });
    expect((await post(createBody({ signerlist: [orgSigner({ orgName: 'Example Ltd', orgNo: '91440300MA5XXXXXX1' })] }))).errorcode).toBe(E.organizationMismatch);
    await sim.admin.updateSettings({ organizations: { '91440300MA5XXXXXX1': 'Example Ltd' } });
    expect((await post(createBody({ signerlist: [orgSigner({ orgName: 'Example Ltd', orgNo: '91440300MA5XXXXXX1' })] }))).status).toBe(1);
  });
});

describe('mutual TLS', () => {
  it('refuses a connection without a client certificate at the TLS layer', async () => {
    const r = await tlsAttempt({});
    expect(r.status).toBeUndefined();
    expect(r.error).toBeDefined();
    expect(String(r.error?.code ?? r.error?.message)).toMatch(/CERTIFICATE_REQUIRED|ECONNRESET|EPIPE|HANDSHAKE|socket hang up/i);
    await expect(request(sim.url, { method: 'POST', body: JSON.stringify(createBody()), dispatcher: agentFor() })).rejects.toThrow();
    const counters = await until(() => sim.admin.counters(), (c) => c.tlsRefused >= 2);
    expect(counters.requests).toBe(0);
  });

  it("refuses another CA's certificate (with the client CA's very names) at the TLS layer", async () => {
    const foreign = await sim.foreignClientCertificate();
    const r = await tlsAttempt({ cert: foreign });
    expect(r.status).toBeUndefined();
    expect(String(r.error?.code ?? r.error?.message)).toMatch(/UNKNOWN_CA|DECRYPT|BAD_CERTIFICATE|ECONNRESET|EPIPE|socket hang up/i);
    await expect(request(sim.url, { method: 'POST', body: '{}', dispatcher: agentFor(foreign) })).rejects.toThrow();
    expect((await until(() => sim.admin.counters(), (c) => c.tlsRefused >= 2)).requests).toBe(0);
  });

  it('refuses an expired certificate of its own client CA at the TLS layer', async () => {
    const expired = await sim.issueClientCertificate({ notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const r = await tlsAttempt({ cert: expired });
    expect(r.status).toBeUndefined();
    expect(r.error).toBeDefined();
    expect((await until(() => sim.admin.counters(), (c) => c.tlsRefused >= 1)).requests).toBe(0);
  });

  it('admits an extra certificate it issued; -80 once revoked or when never authorised', async () => {
    const extra: IssuedCertificate = await sim.issueClientCertificate({ commonName: 'certflow-rotated' });
    const agent = agentFor(extra);
    expect((await post(createBody(), agent)).status).toBe(1);
    await sim.admin.revokeClientCertificate(extra.fingerprint);
    expect(await post(createBody(), agentFor(extra))).toEqual({ status: 0, errorcode: E.badCertificate, signid: '', orderNumber: '' });
    await sim.admin.authorizeClientCertificate(extra.fingerprint);
    expect((await post(createBody(), agentFor(extra))).status).toBe(1);

    const unconfigured = await sim.issueClientCertificate({ authorized: false });
    expect((await post(createBody(), agentFor(unconfigured))).errorcode).toBe(E.badCertificate);
    const certs = await sim.admin.certificates();
    expect(certs.find((c) => c.fingerprint === sim.clientCertificateFingerprint)).toMatchObject({ initial: true, authorized: true, revoked: false, commonName: 'certflow' });
    expect(certs.find((c) => c.fingerprint === unconfigured.fingerprint)).toMatchObject({ initial: false, authorized: false });
    expect((await sim.admin.counters()).errorsByCode).toEqual({ '-80': 2 });

    // Reset forgets every certificate but the initial one.
    await sim.admin.reset();
    expect((await post(createBody(), agentFor(extra))).errorcode).toBe(E.badCertificate);
    expect((await post(createBody())).status).toBe(1);
  });

  it('revoking the initial certificate answers -80 to it (the TLS layer still admits it)', async () => {
    await sim.admin.revokeClientCertificate(sim.clientCertificateFingerprint);
    const r = await tlsAttempt({ cert: { certPem: sim.clientCertPem, keyPem: sim.clientKeyPem } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body!)).toMatchObject({ status: 0, errorcode: E.badCertificate });
  });

  it('serves a certificate only its own CA vouches for: a client that does not pin caPem refuses it', async () => {
    const r = await tlsAttempt({ cert: { certPem: sim.clientCertPem, keyPem: sim.clientKeyPem }, pin: false });
    expect(r.status).toBeUndefined();
    expect(r.error?.code).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT/);
    const pinned = await tlsAttempt({ cert: { certPem: sim.clientCertPem, keyPem: sim.clientKeyPem } });
    expect(pinned.status).toBe(200);
  });
});

describe('faults', () => {
  it('lostPushes: the next push is not sent, the scheduled re-push arrives', async () => {
    await sim.admin.setFaults({ lostPushes: 1 });
    const n = orderNumber();
    await post(createBody({ orderNumber: n }));
    const order = await until(() => sim.admin.order(n), (o) => o.pushes.outcome === 'acknowledged');
    expect(receiver.pushes).toHaveLength(1);
    expect(order.pushes).toMatchObject({ lost: 1, sent: 1, acknowledged: 1 });
    expect(order.pushes.attempts.map((a) => [a.attempt, a.fault ?? null])).toEqual([
      [1, 'lost'],
      [2, null],
    ]);
    expect((await sim.admin.counters()).pushes).toMatchObject({ lost: 1, sent: 1 });
    expect(await sim.admin.faults()).toEqual({ lostPushes: 0 });
  });

  it('wrongHashPushes: a receiver that verifies refuses the first push, the re-push carries the right hash', async () => {
    receiver.answer = verifying;
    await sim.admin.setFaults({ wrongHashPushes: 1 });
    const n = orderNumber();
    await post(createBody({ orderNumber: n }));
    const order = await until(() => sim.admin.order(n), (o) => o.pushes.outcome === 'acknowledged');
    expect(receiver.pushes).toHaveLength(2);
    const [bad, good] = receiver.pushes.map(extend);
    expect(bad!.content).toBe(good!.content);
    expect(bad!.hash).not.toBe(good!.hash);
    expect(sha256(Buffer.from(good!.content, 'base64'))).toBe(good!.hash);
    expect(good!.hash).toBe(order.signedSha256);
    expect(order.pushes).toMatchObject({ sent: 2, wrongHash: 1, acknowledged: 1, rejected: 1 });
    expect(order.pushes.attempts[0]).toMatchObject({ fault: 'wrongHash', answer: 'hash mismatch', acknowledged: false });
  });

  it('duplicatePushes: each push is sent k times at once', async () => {
    await sim.admin.setFaults({ duplicatePushes: { copies: 3, count: 1 } });
    const n = orderNumber();
    await post(createBody({ orderNumber: n }));
    const order = await until(() => sim.admin.order(n), (o) => o.pushes.outcome === 'acknowledged');
    expect(receiver.pushes).toHaveLength(3);
    expect(new Set(receiver.pushes.map((p) => p.raw.toString('utf8'))).size).toBe(1);
    expect(order.pushes).toMatchObject({ sent: 3, acknowledged: 3 });
    expect((await sim.admin.counters()).pushes).toMatchObject({ sent: 3, duplicates: 2, acknowledged: 1 });
    expect(await sim.admin.faults()).toEqual({});
  });

  it('duplicatePushes without a count stays armed: every attempt of a refused push is duplicated', async () => {
    await sim.admin.setFaults({ duplicatePushes: { copies: 2 } });
    receiver.answer = (_p, k) => ({ body: k <= 2 ? 'busy' : '1' });
    const n = orderNumber();
    await post(createBody({ orderNumber: n }));
    await until(() => sim.admin.order(n), (o) => o.pushes.outcome === 'acknowledged');
    expect(receiver.pushes).toHaveLength(4);
  });

  it('dropCreateAnswer: the order is taken but the answer lost; the retry is told -47 or -46', async () => {
    await sim.admin.setFaults({ dropCreateAnswer: 1 });
    const n = orderNumber();
    await expect(post(createBody({ orderNumber: n }))).rejects.toThrow();
    expect((await sim.admin.order(n)).state).toMatch(/signing|signed/);
    const retry = await post(createBody({ orderNumber: n }));
    expect([E.beingSigned, E.alreadySigned]).toContain(retry.errorcode);
    await until(() => sim.admin.order(n), (o) => o.pushes.outcome === 'acknowledged');
    expect(await sim.admin.counters()).toMatchObject({ answersDropped: 1, creates: 1, signed: 1 });
  });

  it('failBeforeHandling: a proxy error page, nothing taken', async () => {
    await sim.admin.setFaults({ failBeforeHandling: { status: 502, count: 1 } });
    const n = orderNumber();
    const res = await request(sim.url, { method: 'POST', body: JSON.stringify(createBody({ orderNumber: n })), dispatcher: client });
    expect(res.statusCode).toBe(502);
    expect(await res.body.text()).toContain('Bad Gateway');
    await expect(sim.admin.order(n)).rejects.toBeInstanceOf(WosignDocAdminError);
    expect((await post(createBody({ orderNumber: n }))).status).toBe(1);
    expect(await sim.admin.counters()).toMatchObject({ failedBeforeHandling: 1, creates: 1, requests: 2 });
  });

  it('errorCode: the next create is answered with that code, unhandled', async () => {
    await sim.admin.setFaults({ errorCode: E.internal });
    const n = orderNumber();
    expect(await post(createBody({ orderNumber: n }))).toEqual({ status: 0, errorcode: E.internal, signid: '', orderNumber: n });
    expect((await post(createBody({ orderNumber: n }))).status).toBe(1);
  });

  it('delayMs before handling holds the answer', async () => {
    await sim.admin.setFaults({ delayMs: 150, delayPhase: 'before' });
    const started = Date.now();
    expect((await post(createBody())).status).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('failSignings: the push says status 0 with the "&"-joined codes; the order may be created again', async () => {
    await sim.admin.setFaults({ failSignings: { count: 1, errorcode: '-57&-61' } });
    const n = orderNumber();
    const first = await post(createBody({ orderNumber: n }));
    await until(() => receiver.pushes.length, (l) => l >= 1);
    expect(receiver.pushes[0]!.body).toEqual({ actiontype: 'PushSignedDoc', status: 0, errorcode: '-57&-61', extendData: { signid: first.signid, ordernumber: n, content: '', hash: '' } });
    const failed = await until(() => sim.admin.order(n), (o) => o.pushes.outcome === 'acknowledged');
    expect(failed).toMatchObject({ state: 'failed', failure: '-57&-61' });
    const second = await post(createBody({ orderNumber: n }));
    expect(second.status).toBe(1);
    expect(second.signid).not.toBe(first.signid);
    await until(() => sim.admin.order(n), (o) => o.state === 'signed' && o.pushes.outcome === 'acknowledged');
    expect(await sim.admin.counters()).toMatchObject({ signingsFailed: 1, signed: 1, creates: 2 });
  });

  it('refuses invalid faults', async () => {
    await expect(sim.admin.setFaults({ duplicatePushes: { copies: 1 } })).rejects.toMatchObject({ status: 400 });
    await expect(sim.admin.setFaults({ failSignings: { count: 1, errorcode: '57' } })).rejects.toMatchObject({ status: 400 });
  });
});

describe('large documents', () => {
  it('signs a 20 MiB document and pushes it with the right hash', async () => {
    const size = 20 * 1024 * 1024;
    const source = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) source.write(`%PDF page filler ${i}\n`, i, 'latin1');
    source.write('%PDF-1.7\n', 0, 'latin1');
    const n = orderNumber('big');
    receiver.answer = verifying;
    const answer = await post(createBody({ orderNumber: n, filebase: source.toString('base64') }));
    expect(answer.status).toBe(1);
    const order = await until(() => sim.admin.order(n), (o) => o.pushes.outcome === 'acknowledged', 60_000);
    expect(order).toMatchObject({ documentBytes: size, documentSha256: sha256(source), contentHeld: false });
    const x = extend(receiver.pushes[0]!);
    const signed = Buffer.from(x.content, 'base64');
    expect(sha256(signed)).toBe(x.hash);
    expect(signed.length).toBe(order.signedBytes);
    expect(readSimulatedSignature(signed)?.document.equals(source)).toBe(true);
  }, 120_000);

  it('refuses a body over the configured limit before reading it (413)', async () => {
    const small = await startWosignDocSimulator({ tokens: [TOKEN], ca: sim.caMaterial(), bodyLimitBytes: 4096, clientCertificate: { certPem: sim.clientCertPem, keyPem: sim.clientKeyPem } });
    extraSims.push(small);
    const res = await request(small.url, { method: 'POST', body: JSON.stringify(createBody({ filebase: Buffer.alloc(8192).toString('base64') })), dispatcher: client });
    expect(res.statusCode).toBe(413);
    await res.body.dump();
    // The same client certificate and CA: this simulator was given both.
    expect((await post(createBody(), client, small)).status).toBe(1);
  });
});

describe('admin API over HTTP', () => {
  it('needs the bearer token and offers the in-process operations', async () => {
    expect(sim.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const denied = createWosignDocAdmin(sim.adminUrl!, 'wrong-token');
    await expect(denied.counters()).rejects.toMatchObject({ status: 401 });

    const admin = createWosignDocAdmin(sim.adminUrl!, ADMIN);
    await admin.setFaults({ wrongHashPushes: 2 });
    expect(await sim.admin.faults()).toEqual({ wrongHashPushes: 2 });
    await admin.clearFaults();
    const n = orderNumber();
    await post(createBody({ orderNumber: n }));
    const order = await until(() => admin.order(n), (o) => o.pushes.outcome === 'acknowledged');
    expect(order.state).toBe('signed');
    expect((await admin.orders({ state: 'signed' })).map((o) => o.orderNumber)).toEqual([n]);
    await expect(admin.order('nope')).rejects.toMatchObject({ status: 404 });
    await expect(admin.updateSettings({ signingDelayMs: -1 })).rejects.toMatchObject({ status: 400 });
    expect((await admin.setBalance(TOKEN_2, 0)).balance).toBe(0);
    expect((await post(createBody({ tokenid: TOKEN_2 }))).errorcode).toBe(E.balanceTooLow);

    const ca = await admin.ca();
    expect(ca).toEqual({ caPem: sim.caPem, serverCaPems: sim.serverCaPems, clientCaPems: sim.clientCaPems, clientCertPem: sim.clientCertPem, clientCertificateFingerprint: sim.clientCertificateFingerprint });
    // A certificate issued over HTTP works over mutual TLS.
    const issued = await admin.issueClientCertificate({ commonName: 'over-http' });
    expect((await post(createBody(), agentFor(issued))).status).toBe(1);
    expect((await admin.certificates()).map((c) => c.commonName)).toContain('over-http');
    expect(await admin.reset()).toMatchObject({ creates: 0, requests: 0 });
  });
});
