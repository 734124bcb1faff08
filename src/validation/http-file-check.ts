/**
 * Checks a domain-validation file over HTTP and HTTPS the way a CA fetches it, so certflow
 * can tell the customer which domain is not ready before a CA call is spent on it. The rules
 * are the CA/Browser Forum Baseline Requirements' for file-based validation (3.2.2.4.18):
 * redirects only by 301, 302, 307 or 308, only to http or https on the standard ports, at
 * most a few of them; the site's own TLS certificate is not judged (a customer buying a
 * certificate often has an expired one), only what the file holds.
 */
import { buildConnector, Agent, type Dispatcher } from 'undici';
import type { Config } from '../config';

export interface HttpFileCheckOptions {
  /** One fetch, redirects included. */
  timeoutMs: number;
  /** Development and tests: connect here (host:port) for every domain instead of resolving it. */
  connectTo?: { http?: string; https?: string };
  maxRedirects?: number;
}

export interface FileLocation {
  /** Absolute path on the domain, e.g. `/.well-known/pki-validation/signfile`. */
  path: string;
  /** What the file must hold (compared after trimming white space). */
  content: string;
}

/** One scheme's attempt. */
export interface FileFetch {
  url: string;
  ok: boolean;
  /** Why not, in words for the customer: `HTTP 404`, `the content differs`, `timed out after 10 s`, … */
  problem?: string;
  /** Where the redirects ended, when there were any. */
  finalUrl?: string;
}

export interface DomainFileResult {
  domain: string;
  /** The CA accepts the file over either scheme (ACMAPI: `http(s)://`). */
  ready: boolean;
  http: FileFetch;
  https: FileFetch;
}

const REDIRECTS = new Set([301, 302, 307, 308]);
/** Validation files are a few bytes; a page of HTML in their place is enough to say it differs. */
const MAX_BODY_BYTES = 64 * 1024;
const PREVIEW_CHARS = 40;

export interface HttpFileChecker {
  check(domains: readonly string[], file: FileLocation, signal?: AbortSignal): Promise<DomainFileResult[]>;
  close(): Promise<void>;
}

export function createHttpFileChecker(options: HttpFileCheckOptions): HttpFileChecker {
  const maxRedirects = options.maxRedirects ?? 5;
  const agent = new Agent({ connect: connector(options), headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, keepAliveTimeout: 1_000 });

  async function fetchOne(url: string, expected: string, signal?: AbortSignal): Promise<FileFetch> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let current = new URL(url);
    try {
      for (let hop = 0; ; hop++) {
        const res = await agent.request({ origin: current.origin, path: current.pathname + current.search, method: 'GET', signal: combined, headers: { 'user-agent': 'certflow-domain-check', accept: '*/*' } });
        if (REDIRECTS.has(res.statusCode)) {
          await res.body.dump();
          const location = res.headers.location;
          const next = typeof location === 'string' ? new URL(location, current) : undefined;
          const refused = !next ? 'a redirect without a Location' : redirectRefusal(next);
          if (refused) return { url, ok: false, problem: `redirected to ${next?.href ?? 'nowhere'}: ${refused}`, finalUrl: next?.href };
          if (hop + 1 > maxRedirects) return { url, ok: false, problem: `more than ${maxRedirects} redirects`, finalUrl: next!.href };
          current = next!;
          continue;
        }
        const finalUrl = current.href === url ? undefined : current.href;
        if (res.statusCode !== 200) {
          await res.body.dump();
          return { url, ok: false, problem: `HTTP ${res.statusCode}${finalUrl ? ` at ${finalUrl}` : ''}`, finalUrl };
        }
        const body = await readLimited(res.body);
        if (body.trim() !== expected.trim()) {
          const got = body.trim().slice(0, PREVIEW_CHARS).replace(/\s+/g, ' ');
          return { url, ok: false, problem: `the content differs from the expected file (starts with "${got}")`, finalUrl };
        }
        return { url, ok: true, finalUrl };
      }
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      return { url, ok: false, problem: describeFailure(err, timeout.aborted, options.timeoutMs) };
    }
  }

  return {
    async check(domains, file, signal) {
      return Promise.all(
        domains.map(async (domain) => {
          const [http, https] = await Promise.all([
            fetchOne(`http://${domain}${file.path}`, file.content, signal),
            fetchOne(`https://${domain}${file.path}`, file.content, signal),
          ]);
          return { domain, ready: http.ok || https.ok, http, https };
        }),
      );
    },
    close: () => agent.close(),
  };
}

/** One line per domain that is not ready, for the customer and the order's view. */
export function describeNotReady(results: readonly DomainFileResult[]): string[] {
  return results.filter((r) => !r.ready).map((r) => `${r.domain}: ${r.http.url} — ${r.http.problem}; ${r.https.url} — ${r.https.problem}`);
}

/** Why the Baseline Requirements forbid following this redirect, or undefined. */
function redirectRefusal(next: URL): string | undefined {
  if (next.protocol !== 'http:' && next.protocol !== 'https:') return `a CA follows only http and https, not ${next.protocol}`;
  if (next.port !== '') return `a CA follows redirects only to the standard ports (80, 443), not ${next.port}`;
  return undefined;
}

async function readLimited(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.from(chunk as Uint8Array);
    size += buf.length;
    if (size > MAX_BODY_BYTES) {
      body.destroy();
      break;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFailure(err: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the name does not resolve';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `no answer within ${Math.round(timeoutMs / 1000)} s`;
    default:
      return err instanceof Error ? `${code ? `${code}: ` : ''}${err.message}` : String(err);
  }
}

/**
 * Every domain connects where `connectTo` says (tests, `npm start`), keeping the domain as the
 * Host header and TLS server name; without it, the domain is resolved as usual. The site's
 * certificate is not verified: the file is what counts.
 */
function connector(options: HttpFileCheckOptions): buildConnector.connector {
  const base = buildConnector({ rejectUnauthorized: false, timeout: options.timeoutMs });
  return (opts, callback) => {
    const target = opts.protocol === 'https:' ? options.connectTo?.https : options.connectTo?.http;
    if (!target) return base(opts, callback);
    const at = target.lastIndexOf(':');
    return base({ ...opts, hostname: target.slice(0, at), port: target.slice(at + 1), servername: opts.hostname }, callback);
  };
}

/** The checker as configured (DOMAIN_CHECK_*). */
export function createFileCheckerFromConfig(config: Pick<Config, 'DOMAIN_CHECK_TIMEOUT_MS' | 'DOMAIN_CHECK_HTTP_ADDRESS' | 'DOMAIN_CHECK_HTTPS_ADDRESS'>): HttpFileChecker {
  return createHttpFileChecker({
    timeoutMs: config.DOMAIN_CHECK_TIMEOUT_MS,
    connectTo: { http: config.DOMAIN_CHECK_HTTP_ADDRESS, https: config.DOMAIN_CHECK_HTTPS_ADDRESS },
  });
}
