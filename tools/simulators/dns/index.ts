/** The local DNS server's public surface (tests, `npm start`). */
export { startDnsServer, type DnsQuery, type DnsServerOptions, type RunningDnsServer } from './server';
export { type Behaviour as DnsBehaviour, dnsName } from './zone';
