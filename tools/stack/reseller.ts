/**
 * A stack's third CA: the reseller platform simulator (docs/reseller.md) with the customers'
 * DNS (the local DNS server, tools/simulators/dns) and web host it validates every domain
 * on — the same ones certflow's own per-domain checks ask — and the certflow variables
 * (RESELLER_*, DOMAIN_CHECK_DNS_SERVERS) that point a worker at them. Used by startFront
 * (tests, the fault suite, the benchmark, the Web UI stack) and by `npm start`, which runs it
 * in its supervisor.
 */
import type { Logger } from 'pino';
import { type DnsServerOptions, type RunningDnsServer, startDnsServer } from '../simulators/dns';
import { type PendingPublication, RESELLER_SIM_PRODUCT_IDS, type ResellerSimulatorOptions, type RunningResellerSimulator, startResellerSimulator } from '../simulators/reseller';
import { type RunningWebHost, startWebHost, type WebHostOptions } from '../simulators/webhost';

/** The reseller products of the default products file (tools/simulators/wotrus/products.json): DV and OV. */
export const RESELLER_DV_PRODUCT_ID = RESELLER_SIM_PRODUCT_IDS.dv;
export const RESELLER_OV_PRODUCT_ID = RESELLER_SIM_PRODUCT_IDS.ov;

export interface ResellerStackOptions {
  /** certflow's RESELLER_API_KEY, what the simulator's auth header must carry (StackSecrets.resellerApiKey). */
  apiKey: string;
  /** certflow's RESELLER_NOTIFY_TOKEN (StackSecrets.resellerNotifyToken); absent: not set, no notify_url sent. */
  notifyToken?: string;
  /** Bearer token of the simulator's /admin (StackSecrets.simulatorAdminToken); no admin API without it. */
  adminToken?: string;
  /**
   * The customers' web host the simulator fetches http(s) files from (the ACMAPI stack's, so
   * certflow's file check and every CA look at one host); absent: one of its own, whose
   * addresses then go into `env` (DOMAIN_CHECK_HTTP(S)_ADDRESS). A given host is not closed.
   */
  web?: RunningWebHost;
  /** Options of an own web host (without `web`). */
  webHost?: WebHostOptions;
  /** The local DNS server's (default: a free port on 127.0.0.1). */
  dnsServer?: DnsServerOptions;
  /**
   * `npm start`: a stand-in customer publishes every record a create or reissue leaves
   * pending (the CNAME in the local DNS, the file on the web host) at once, so an order placed
   * with the CLI validates at its first status read. Default false: a test publishes them.
   * E-mail validation is always the admin's (`approveEmail`).
   */
  customerPublishes?: boolean;
  /** Simulator options over the above (port, timeouts, products, logger…). */
  simulator?: Partial<ResellerSimulatorOptions>;
  logger?: Logger;
}

export interface ResellerStack {
  sim: RunningResellerSimulator;
  /** The customers' DNS: `dns.setCname(fullname, value)` publishes a validation record. */
  dns: RunningDnsServer;
  web: RunningWebHost;
  /** RESELLER_URL, RESELLER_API_KEY, RESELLER_NOTIFY_TOKEN (when given), DOMAIN_CHECK_DNS_SERVERS, and DOMAIN_CHECK_HTTP(S)_ADDRESS with a web host of its own. */
  env: Record<string, string>;
  /** Publishes what one pending domain needs (what `customerPublishes` does for every one). */
  publish(p: PendingPublication): void;
  close(): Promise<void>;
}

export async function startResellerStack(o: ResellerStackOptions): Promise<ResellerStack> {
  const ownWeb = o.web ? undefined : await startWebHost(o.webHost);
  const web = o.web ?? ownWeb!;
  let dns: RunningDnsServer | undefined;
  let sim: RunningResellerSimulator;
  const publish = (p: PendingPublication): void => {
    if (p.dns) dns?.setCname(p.dns.fullname, p.dns.value);
    if (p.file) web.put(p.file.host, p.file.path, p.file.content, { scheme: p.file.scheme });
  };
  try {
    dns = await startDnsServer(o.dnsServer);
    sim = await startResellerSimulator({
      apiKey: o.apiKey,
      adminToken: o.adminToken,
      connectTo: { http: web.httpAddress, https: web.httpsAddress },
      dnsServers: [dns.address],
      logger: o.logger,
      ...(o.customerPublishes ? { onPending: publish } : {}),
      ...o.simulator,
    });
  } catch (err) {
    await dns?.close();
    await ownWeb?.close();
    throw err;
  }
  const running = dns;
  let closing: Promise<void> | undefined;
  return {
    sim,
    dns: running,
    web,
    env: {
      RESELLER_URL: sim.url,
      RESELLER_API_KEY: o.apiKey,
      ...(o.notifyToken ? { RESELLER_NOTIFY_TOKEN: o.notifyToken } : {}),
      DOMAIN_CHECK_DNS_SERVERS: running.address,
      ...(ownWeb ? { DOMAIN_CHECK_HTTP_ADDRESS: ownWeb.httpAddress, DOMAIN_CHECK_HTTPS_ADDRESS: ownWeb.httpsAddress } : {}),
    },
    publish,
    close: () => {
      closing ??= (async () => {
        await sim.close();
        await running.close();
        await ownWeb?.close();
      })();
      return closing;
    },
  };
}
