import { BlockList } from 'node:net';
import type { Config } from '../config';

type Networks = NonNullable<Config['CA_PUSH_ALLOW_FROM']>;

/** `::ffff:203.0.113.7` (an IPv4 peer of a dual-stack listener) is 203.0.113.7. */
function unmapped(ip: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (m?.[1]) return { address: m[1], family: 'ipv4' };
  return { address: ip, family: ip.includes(':') ? 'ipv6' : 'ipv4' };
}

/**
 * Whether a push may come from an address (`CA_PUSH_ALLOW_FROM`). Given fastify's
 * `request.ip`, which is the peer address unless `API_TRUST_PROXY` names the proxies whose
 * X-Forwarded-For is believed.
 */
export function createSourceAllowList(networks: Networks): (ip: string | undefined) => boolean {
  const list = new BlockList();
  for (const n of networks) list.addSubnet(n.address, n.prefix, n.family);
  return (ip) => {
    if (!ip) return false;
    const { address, family } = unmapped(ip);
    try {
      return list.check(address, family);
    } catch {
      // Not an address at all (a proxy header gone wrong): not in the list.
      return false;
    }
  };
}
