/**
 * What the web host answers, by host name and path: the customers' sites as tests configure
 * them. Pure data and one lookup, no I/O, so the rules are in one place.
 */

export type Scheme = 'http' | 'https';

/** What one request gets. */
export type Answer =
  | { kind: 'file'; content: string }
  | { kind: 'redirect'; location: string; status: number }
  | { kind: 'status'; status: number }
  | { kind: 'timeout' }
  | { kind: 'not-found' };

interface Site {
  /** path → content per scheme (a scheme absent: 404 over it). */
  files: Map<string, Partial<Record<Scheme, string>>>;
  redirects: Map<string, { location: string; status: number }>;
  behaviour?: { kind: 'timeout' } | { kind: 'status'; status: number };
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Host names compare lowercased and without a port, as the Host header may carry one. */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1); // an IPv6 literal keeps its colons
  return h.replace(/:\d*$/, '').replace(/\.$/, '');
}

export function parseBehaviour(behaviour: string): NonNullable<Site['behaviour']> {
  if (behaviour === 'timeout') return { kind: 'timeout' };
  const m = /^status:(\d{3})$/.exec(behaviour);
  if (m) return { kind: 'status', status: Number(m[1]) };
  throw new Error(`webhost: unknown behaviour "${behaviour}" (timeout, status:<code>)`);
}

export class Sites {
  private readonly sites = new Map<string, Site>();
  private readonly everywhere = new Map<string, string>();

  /**
   * A host once configured (even by `remove`) is answered from its own entries only, so a
   * test can take one domain's file away while `serveEverywhere` serves all the others.
   */
  private site(domain: string): Site {
    const name = hostName(domain);
    let site = this.sites.get(name);
    if (!site) {
      site = { files: new Map(), redirects: new Map() };
      this.sites.set(name, site);
    }
    return site;
  }

  put(domain: string, path: string, content: string, scheme?: Scheme): void {
    const site = this.site(domain);
    const entry = site.files.get(path) ?? {};
    if (scheme) entry[scheme] = content;
    else Object.assign(entry, { http: content, https: content });
    site.files.set(path, entry);
  }

  remove(domain: string, path: string): void {
    const site = this.site(domain);
    site.files.delete(path);
    site.redirects.delete(path);
  }

  redirect(domain: string, path: string, location: string, status = 302): void {
    if (!REDIRECT_STATUSES.has(status)) throw new Error(`webhost: ${status} is not a redirect status`);
    this.site(domain).redirects.set(path, { location, status });
  }

  behave(domain: string, behaviour: string | undefined): void {
    this.site(domain).behaviour = behaviour === undefined ? undefined : parseBehaviour(behaviour);
  }

  serveEverywhere(path: string, content: string | undefined): void {
    if (content === undefined) this.everywhere.delete(path);
    else this.everywhere.set(path, content);
  }

  answer(host: string, scheme: Scheme, path: string): Answer {
    const site = this.sites.get(hostName(host));
    if (!site) {
      const content = this.everywhere.get(path);
      return content === undefined ? { kind: 'not-found' } : { kind: 'file', content };
    }
    if (site.behaviour) return site.behaviour;
    const redirect = site.redirects.get(path);
    if (redirect) return { kind: 'redirect', ...redirect };
    const content = site.files.get(path)?.[scheme];
    return content === undefined ? { kind: 'not-found' } : { kind: 'file', content };
  }
}
