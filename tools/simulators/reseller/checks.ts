/**
 * The CA's own look at a domain (the simulator plays the independent CA; nothing shared with
 * certflow's pre-flight): a CNAME resolved through the configured DNS servers, a file fetched
 * through the web host (the acmapi simulator's fetcher: Host and SNI stay the domain, redirects
 * followed, the trimmed body compared).
 */
import { Resolver } from 'node:dns/promises';
import { type ConnectTo, SignfileChecker } from '../acmapi/signfile-check';

export interface CheckResult {
  ok: boolean;
  reason?: string;
}

const bare = (name: string): string => name.trim().toLowerCase().replace(/\.$/, '');

export class DomainChecks {
  private readonly files: SignfileChecker;

  constructor(private readonly o: { connectTo: ConnectTo; dnsServers: string[]; timeoutMs: number }) {
    this.files = new SignfileChecker({ connectTo: o.connectTo, timeoutMs: () => o.timeoutMs });
  }

  /** `fullname` must be a CNAME to `value`. */
  async cname(fullname: string, value: string): Promise<CheckResult> {
    const resolver = new Resolver({ timeout: this.o.timeoutMs, tries: 1 });
    resolver.setServers(this.o.dnsServers);
    try {
      const targets = await resolver.resolveCname(fullname);
      return targets.some((t) => bare(t) === bare(value)) ? { ok: true } : { ok: false, reason: `CNAME points to ${targets.join(', ')}` };
    } catch (err) {
      return { ok: false, reason: (err as NodeJS.ErrnoException).code ?? String(err) };
    }
  }

  /** `url` must serve `content`. */
  async file(url: string, content: string): Promise<CheckResult> {
    const r = await this.files.fetchFile(url, content.trim());
    return r.ok ? { ok: true } : { ok: false, reason: r.reason };
  }

  close(): Promise<void> {
    return this.files.close();
  }
}
