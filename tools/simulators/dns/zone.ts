/**
 * What the local DNS server answers: the customers' records as tests configure them. Pure data
 * and one lookup, no I/O, so the rules are in one place. The server is authoritative for every
 * name: a name nobody configured does not exist (NXDOMAIN), a configured name asked for another
 * type has no data (NOERROR, empty answer: NODATA) — the two answers a real zone gives and a
 * resolver reports differently (ENOTFOUND, ENODATA).
 */
import type { Answer, RecordType } from 'dns-packet';

/** 'timeout': never answer (a dead or filtered name server); 'servfail': answer SERVFAIL. */
export type Behaviour = 'timeout' | 'servfail';

/** DNS response codes this server gives (RFC 1035 4.1.1). */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;

export type Reply = { kind: 'drop' } | { kind: 'answer'; rcode: number; answers: Answer[] };

/**
 * A name owns a CNAME or other data, never both (RFC 1034 3.6.2), so each name holds one
 * of the two; setting one replaces the other.
 */
type Entry = { type: 'CNAME'; target: string } | { type: 'TXT'; values: string[] };

/** Short, so a resolver in front of the server (if any) does not keep a record a test changed. */
export const TTL_SECONDS = 5;
/** CNAME chains inside the zone are followed at most this far (a loop ends here too). */
const MAX_CHAIN = 8;

/**
 * One TXT record's value as its character-strings: at most 255 bytes each (RFC 1035 3.3.14),
 * so a longer value (a DKIM key, a long token) is split as DNS providers split it.
 */
function characterStrings(value: string): Buffer[] {
  const bytes = Buffer.from(value, 'utf8');
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 255) parts.push(bytes.subarray(at, at + 255));
  return parts.length > 0 ? parts : [Buffer.alloc(0)];
}

/** Names compare lowercased and without the trailing dot of an absolute name (RFC 4343). */
export function dnsName(name: string): string {
  const n = name.trim().toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

export class Zone {
  private readonly entries = new Map<string, Entry>();
  private readonly behaviours = new Map<string, Behaviour>();

  setCname(name: string, target: string): void {
    this.entries.set(dnsName(name), { type: 'CNAME', target: dnsName(target) });
  }

  /** Each value is one TXT record. */
  setTxt(name: string, values: readonly string[]): void {
    this.entries.set(dnsName(name), { type: 'TXT', values: [...values] });
  }

  remove(name: string): void {
    this.entries.delete(dnsName(name));
  }

  behave(name: string, behaviour: Behaviour | undefined): void {
    if (behaviour === undefined) this.behaviours.delete(dnsName(name));
    else if (behaviour === 'timeout' || behaviour === 'servfail') this.behaviours.set(dnsName(name), behaviour);
    else throw new Error(`dns server: unknown behaviour "${String(behaviour)}" (timeout, servfail)`);
  }

  /**
   * The answer to one question. The records carry the name as asked (its case included): a
   * resolver using 0x20 case randomisation matches answers to questions byte for byte.
   */
  answer(name: string, type: RecordType | string): Reply {
    const behaviour = this.behaviours.get(dnsName(name));
    if (behaviour === 'timeout') return { kind: 'drop' };
    if (behaviour === 'servfail') return { kind: 'answer', rcode: RCODE.SERVFAIL, answers: [] };

    const answers: Answer[] = [];
    let owner = name;
    for (let hop = 0; hop < MAX_CHAIN; hop++) {
      const entry = this.entries.get(dnsName(owner));
      if (!entry) {
        // The asked name itself is unknown: NXDOMAIN. A chain that leaves the configured names
        // ends there with what it has (the target is someone else's zone, like a CA's).
        return { kind: 'answer', rcode: hop === 0 ? RCODE.NXDOMAIN : RCODE.NOERROR, answers };
      }
      if (entry.type === 'CNAME') {
        answers.push({ name: owner, type: 'CNAME', class: 'IN', ttl: TTL_SECONDS, data: entry.target });
        // A CNAME question is answered by the CNAME itself; any other type follows it (RFC 1034 4.3.2).
        if (type === 'CNAME' || type === 'ANY') break;
        owner = entry.target;
        continue;
      }
      if (type === 'TXT' || type === 'ANY') {
        for (const value of entry.values) answers.push({ name: owner, type: 'TXT', class: 'IN', ttl: TTL_SECONDS, data: characterStrings(value) });
      }
      break; // otherwise NODATA for this name: it exists, without that type
    }
    return { kind: 'answer', rcode: RCODE.NOERROR, answers };
  }
}
