/**
 * The CA's own check of a domain's signfile, written for the simulator alone: it plays the
 * independent CA, so it shares nothing with certflow's pre-flight (src/validation), and a
 * bug in one cannot hide the same bug in the other.
 *
 * Per the document: `http(s)://<domain>/.well-known/pki-validation/signfile` must be
 * reachable with the signfile's content. HTTP is tried first, HTTPS when HTTP did not
 * succeed. Redirects (301/302/303/307/308) are followed to http(s) URLs, at most 5; the
 * content is compared with white space trimmed; the site's TLS certificate is not verified
 * (the CA reads the file, it does not judge the site). Every domain connects to `connectTo`
 * with the domain kept as Host header and TLS server name: the web host answers by name.
 */
import { Agent, buildConnector } from 'undici';
import { SIGNFILE_PATH } from './protocol';

export interface ConnectTo {
  /** host:port for every http:// fetch. */
  http: string;
  /** host:port for every https:// fetch. */
  https: string;
}

export interface SignfileCheckOptions {
  connectTo: ConnectTo;
  /** One scheme's fetch, its redirects included. */
  timeoutMs: () => number;
  maxRedirects?: number;
}

/** Why a scheme's fetch failed, for the simulator's log. */
export type FetchOutcome = { ok: true; url: string } | { ok: false; url: string; reason: string };

const FOLLOWED = new Set([301, 302, 303, 307, 308]);
/** A signfile is a line of text; more than this is not one. */
const BODY_LIMIT = 16 * 1024;

function splitAddress(address: string): { host: string; port: string } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!m) throw new Error(`acmapi simulator: connectTo address "${address}" is not host:port`);
  return { host: m[1]!, port: m[2]! };
}

export class SignfileChecker {
  private readonly agent: Agent;
  private readonly maxRedirects: number;

  constructor(private readonly options: SignfileCheckOptions) {
    this.maxRedirects = options.maxRedirects ?? 5;
    const targets = { 'http:': splitAddress(options.connectTo.http), 'https:': splitAddress(options.connectTo.https) };
    const dial = buildConnector({ rejectUnauthorized: false });
    // The URL's host stays the request's identity (Host header, SNI); only the dial goes elsewhere.
    const connect: buildConnector.connector = (opts, callback) => {
      const target = opts.protocol === 'https:' ? targets['https:'] : targets['http:'];
      dial({ ...opts, servername: opts.hostname, hostname: target.host, port: target.port }, callback);
    };
    this.agent = new Agent({ connect, keepAliveTimeout: 500, keepAliveMaxTimeout: 1_000 });
  }

  /** True when the domain serves `expected` over HTTP or, failing that, HTTPS. */
  async check(domain: string, expected: string): Promise<{ ok: boolean; attempts: FetchOutcome[] }> {
    const attempts: FetchOutcome[] = [];
    for (const scheme of ['http', 'https']) {
      const outcome = await this.fetchFile(`${scheme}://${domain}${SIGNFILE_PATH}`, expected.trim());
      attempts.push(outcome);
      if (outcome.ok) return { ok: true, attempts };
    }
    return { ok: false, attempts };
  }

  /** One URL, redirects followed, its trimmed body compared with `expected` (also the reseller simulator's file check). */
  async fetchFile(start: string, expected: string): Promise<FetchOutcome> {
    const signal = AbortSignal.timeout(this.options.timeoutMs());
    let url = new URL(start);
    try {
      for (let redirects = 0; ; redirects++) {
        const res = await this.agent.request({ origin: url.origin, path: `${url.pathname}${url.search}`, method: 'GET', signal, headers: { 'user-agent': 'acmapi-simulator-dcv' } });
        if (FOLLOWED.has(res.statusCode)) {
          await res.body.dump();
          const location = res.headers.location;
          if (typeof location !== 'string') return { ok: false, url: start, reason: `${res.statusCode} without Location` };
          if (redirects >= this.maxRedirects) return { ok: false, url: start, reason: `more than ${this.maxRedirects} redirects` };
          url = new URL(location, url);
          if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, url: start, reason: `redirect to ${url.protocol}` };
          continue;
        }
        if (res.statusCode !== 200) {
          await res.body.dump();
          return { ok: false, url: start, reason: `HTTP ${res.statusCode} at ${url.href}` };
        }
        const body = await readCapped(res.body);
        if (body === undefined) return { ok: false, url: start, reason: 'body too large' };
        return body.trim() === expected ? { ok: true, url: start } : { ok: false, url: start, reason: 'content differs' };
      }
    } catch (err) {
      return { ok: false, url: start, reason: signal.aborted ? 'timed out' : String((err as Error).message ?? err) };
    }
  }

  close(): Promise<void> {
    return this.agent.destroy();
  }
}

async function readCapped(body: AsyncIterable<Uint8Array> & { destroy(): unknown }): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > BODY_LIMIT) {
      body.destroy();
      return undefined;
    }
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts).toString('utf8');
}
