/**
 * Checks a domain-validation CNAME record the way a CA looks it up, so certflow can tell the
 * customer which record is missing or wrong before a CA call is spent on it (the reseller CA's
 * `dns` method: the customer publishes `fullname` CNAME → `value`). The lookup asks for the
 * CNAME itself, not what it leads to: the target is the CA's name and need not resolve.
 *
 * Node's resolver (c-ares) asks the name servers directly, bypassing getaddrinfo and its
 * caches, and tells NXDOMAIN (ENOTFOUND) from NODATA (ENODATA), SERVFAIL and timeouts — the
 * difference between "you have not published it" and "your DNS is broken".
 */
import { Resolver } from 'node:dns/promises';
import type { Config } from '../config';

export interface DnsCnameCheckOptions {
  /**
   * Name servers to ask: IP addresses, `host:port` (`127.0.0.1:5353`, `[::1]:5353`) or bare
   * (port 53). Default: the system's (/etc/resolv.conf). Development and tests name the local
   * DNS server; production leaves it unset or names a recursive resolver it trusts.
   */
  servers?: readonly string[];
  /** One record's lookup, every try and every server included. */
  timeoutMs: number;
  /** Attempts per name server within that time (default 2: one lost UDP datagram is not a verdict). */
  tries?: number;
}

/** One record to check: the name the customer must publish and where its CNAME must point. */
export interface CnameRecord {
  /** The order's domain the record proves (for the customer's message). */
  domain: string;
  /** The name to look up, e.g. `_310dcbbf….example.com` (the CA's `fullname`). */
  name: string;
  /** The CNAME target the CA expects (its `value`). */
  expected: string;
}

export interface DnsRecordResult {
  domain: string;
  name: string;
  expected: string;
  ok: boolean;
  /** What the name's CNAME points to, when it has one. */
  found?: string[];
  /** Why not, in words for the customer: `no CNAME record at <name>`, `the name server answered SERVFAIL`, … */
  problem?: string;
  /** The resolver's code when the lookup failed (`ENOTFOUND`: NXDOMAIN, `ENODATA`: NODATA, `ETIMEOUT`, …), for logs and tests. */
  code?: string;
}

export interface DnsCnameChecker {
  check(records: readonly CnameRecord[], signal?: AbortSignal): Promise<DnsRecordResult[]>;
  /** Cancels lookups in flight. */
  close(): Promise<void>;
}

const DEFAULT_TRIES = 2;
/** Below this a try cannot wait for even a slow answer on a healthy network. */
const MIN_TRY_MS = 100;

export function createDnsCnameChecker(options: DnsCnameCheckOptions): DnsCnameChecker {
  const tries = options.tries ?? DEFAULT_TRIES;
  const servers = options.servers && options.servers.length > 0 ? [...options.servers] : undefined;
  // setServers throws on a malformed address: better at start than at the first order.
  const serverCount = (() => {
    const probe = new Resolver();
    if (servers) probe.setServers(servers);
    return Math.max(1, probe.getServers().length);
  })();
  // c-ares tries each server `tries` times, each try with its own timeout (and without a
  // maxTimeout, doubles it per round); split the budget so every try fits in it. The deadline
  // below holds it regardless.
  const perTryMs = Math.max(MIN_TRY_MS, Math.floor(options.timeoutMs / (tries * serverCount)));
  const active = new Set<Resolver>();

  return {
    async check(records, signal) {
      signal?.throwIfAborted();
      if (records.length === 0) return [];
      // A resolver per check: cancel() ends this check's lookups only, and nothing it learnt
      // (c-ares caches answers by TTL) survives into the next check after the customer's fix.
      const resolver = new Resolver({ timeout: perTryMs, tries, maxTimeout: perTryMs });
      if (servers) resolver.setServers(servers);
      active.add(resolver);
      let timedOut = false;
      const deadline = setTimeout(() => {
        timedOut = true;
        resolver.cancel();
      }, options.timeoutMs);
      const abort = () => resolver.cancel();
      signal?.addEventListener('abort', abort, { once: true });
      try {
        const results = await Promise.all(records.map((record) => lookUp(resolver, record, () => timedOut, options.timeoutMs)));
        signal?.throwIfAborted();
        return results;
      } finally {
        clearTimeout(deadline);
        signal?.removeEventListener('abort', abort);
        active.delete(resolver);
      }
    },
    async close() {
      for (const resolver of active) resolver.cancel();
      active.clear();
    },
  };
}

async function lookUp(resolver: Resolver, record: CnameRecord, timedOut: () => boolean, timeoutMs: number): Promise<DnsRecordResult> {
  const { domain, name, expected } = record;
  try {
    const found = await resolver.resolveCname(name);
    const wrong = found.filter((target) => !sameName(target, expected));
    if (found.length > 0 && wrong.length === 0) return { domain, name, expected, ok: true, found };
    // Two CNAMEs at one name are a broken zone (RFC 2181 10.1): the CA may get either.
    const problem =
      found.length > wrong.length
        ? `${name} has ${found.length} CNAME records (${found.join(', ')}); it must have only the one to ${expected}`
        : `the CNAME at ${name} points to ${found.join(', ')}, not ${expected}`;
    return { domain, name, expected, ok: false, found, problem };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
    // The deadline cancels what is still waiting: for the customer that is a silent server.
    const effective = code === 'ECANCELLED' && timedOut() ? 'ETIMEOUT' : code;
    return { domain, name, expected, ok: false, problem: describeFailure(effective, name, err, timeoutMs), code: effective };
  }
}

/** One line per record that is not right, for the customer and the order's view. */
export function describeDnsNotReady(results: readonly DnsRecordResult[]): string[] {
  return results.filter((r) => !r.ok).map((r) => `${r.domain}: ${r.problem} (publish ${r.name} CNAME ${r.expected})`);
}

/** DNS names compare case-insensitively (RFC 4343), and `a.example.` is `a.example`. */
export function sameName(a: string, b: string): boolean {
  const norm = (n: string) => n.trim().toLowerCase().replace(/\.$/, '');
  return norm(a) === norm(b);
}

function describeFailure(code: string, name: string, err: unknown, timeoutMs: number): string {
  switch (code) {
    case 'ENOTFOUND': // NXDOMAIN: the name does not exist at all
    case 'ENODATA': // NODATA: the name exists (e.g. with a TXT or an A record) but has no CNAME
      return `no CNAME record at ${name}`;
    case 'ETIMEOUT':
      return `no answer from the DNS server within ${seconds(timeoutMs)} s`;
    case 'ESERVFAIL':
      return 'the name server answered SERVFAIL';
    case 'EREFUSED':
      return 'the name server refused the query (REFUSED)';
    case 'ECONNREFUSED':
      return 'the DNS server is not reachable (connection refused)';
    case 'EBADNAME':
      return `${name} is not a name DNS can look up`;
    case 'EFORMERR':
    case 'EBADRESP':
    case 'ENOTIMP':
      return `the name server's answer was unusable (${code})`;
    case 'ECANCELLED':
      return 'the check was stopped before an answer came';
    default:
      return `${code}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** `10`, `1.5`, `0.3`: whole seconds when they are. */
function seconds(ms: number): string {
  return ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(1).replace(/\.0$/, '');
}

/** The checker as configured (DOMAIN_CHECK_DNS_SERVERS, DOMAIN_CHECK_TIMEOUT_MS). */
export function createDnsCheckerFromConfig(config: Pick<Config, 'DOMAIN_CHECK_TIMEOUT_MS' | 'DOMAIN_CHECK_DNS_SERVERS'>): DnsCnameChecker {
  return createDnsCnameChecker({ servers: config.DOMAIN_CHECK_DNS_SERVERS, timeoutMs: config.DOMAIN_CHECK_TIMEOUT_MS });
}
