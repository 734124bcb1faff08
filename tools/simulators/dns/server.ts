/**
 * `startDnsServer`: the customers' DNS in tests and `npm start` — an authoritative server on
 * loopback that certflow's DNS check (DOMAIN_CHECK_DNS_SERVERS) asks instead of the real DNS.
 * UDP and TCP on the same port, as a name server listens: a resolver retries over TCP when a
 * UDP answer is truncated. The wire format is dns-packet's (the codec multicast-dns and
 * bonjour-service use); only the socket handling is here.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { type Behaviour, RCODE, Zone } from './zone';

export interface DnsQuery {
  /** As asked (case included). */
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
}

export interface RunningDnsServer {
  /** `127.0.0.1:PORT`, the form DOMAIN_CHECK_DNS_SERVERS and `Resolver.setServers` take; UDP and TCP. */
  address: string;
  /** `name` CNAME → `target`; replaces the name's other records (a CNAME owns its name). */
  setCname(name: string, target: string): void;
  /** One TXT record per value; replaces a CNAME at the name. */
  setTxt(name: string, values: readonly string[]): void;
  /** The name no longer exists (NXDOMAIN). */
  remove(name: string): void;
  /** Misbehave for `name`: 'timeout' (never answer), 'servfail', or undefined to clear. */
  behave(name: string, behaviour: Behaviour | undefined): void;
  /** Questions seen, for tests (the last 10,000). */
  readonly queries: ReadonlyArray<DnsQuery>;
  close(): Promise<void>;
}

export interface DnsServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default): a free port, the same for UDP and TCP. */
  port?: number;
}

/** Kept bounded: `npm start` may run for days. */
const MAX_QUERIES_KEPT = 10_000;
/** Without EDNS a UDP answer is at most 512 bytes (RFC 1035 4.2.1). */
const UDP_MIN_PAYLOAD = 512;
/** A TCP client that stops talking is let go (RFC 7766 6.2.3 suggests seconds). */
const TCP_IDLE_MS = 10_000;
/** An ephemeral UDP port may be taken for TCP by someone else; a few draws find a free pair. */
const PORT_DRAWS = 5;

export async function startDnsServer(opts: DnsServerOptions = {}): Promise<RunningDnsServer> {
  const host = opts.host ?? '127.0.0.1';
  const zone = new Zone();
  const queries: DnsQuery[] = [];

  /** The encoded answer to one message, or undefined to stay silent (garbage, answers, 'timeout'). */
  function respond(message: Buffer, transport: DnsQuery['transport']): Buffer | undefined {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined; // not DNS: a name server drops it
    }
    if (query.type !== 'query') return undefined;
    const questions = query.questions ?? [];
    const flags = query.flags ?? 0;
    const reply = (rcode: number, answers: dnsPacket.Answer[] = []) =>
      dnsPacket.encode({ type: 'response', id: query.id, flags: dnsPacket.AUTHORITATIVE_ANSWER | (flags & dnsPacket.RECURSION_DESIRED) | rcode, questions, answers });

    if (((flags >> 11) & 0xf) !== 0) return reply(RCODE.NOTIMP); // only standard queries (opcode QUERY)
    const question = questions[0];
    if (!question || questions.length > 1) return reply(RCODE.FORMERR); // one question per message, as every resolver sends
    if (queries.length >= MAX_QUERIES_KEPT) queries.shift();
    queries.push({ name: question.name, type: question.type, transport });

    const answer = zone.answer(question.name, question.type);
    if (answer.kind === 'drop') return undefined;
    const encoded = reply(answer.rcode, answer.answers);
    if (transport === 'udp' && encoded.length > udpLimit(query)) {
      // Too big for the datagram the client can take: say so (TC) and let it ask over TCP.
      return dnsPacket.encode({ type: 'response', id: query.id, flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.TRUNCATED_RESPONSE | (flags & dnsPacket.RECURSION_DESIRED) | answer.rcode, questions });
    }
    return encoded;
  }

  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    // Over TCP every message is preceded by its length in two bytes (RFC 1035 4.2.2).
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const out = respond(pending.subarray(2, 2 + length), 'tcp');
        pending = pending.subarray(2 + length);
        if (out) {
          const framed = Buffer.alloc(2 + out.length);
          framed.writeUInt16BE(out.length, 0);
          out.copy(framed, 2);
          socket.write(framed);
        }
      }
    });
  });

  const onDatagram = (udp: dgram.Socket) => (message: Buffer, peer: dgram.RemoteInfo) => {
    const out = respond(message, 'udp');
    if (out) udp.send(out, peer.port, peer.address);
  };
  const { udp, port } = await bindBoth(host, opts.port ?? 0, tcp, onDatagram);
  let closing: Promise<void> | undefined;

  return {
    address: net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`,
    setCname: (name, target) => zone.setCname(name, target),
    setTxt: (name, values) => zone.setTxt(name, values),
    remove: (name) => zone.remove(name),
    behave: (name, behaviour) => zone.behave(name, behaviour),
    queries,
    close: () => {
      closing ??= (async () => {
        for (const socket of sockets) socket.destroy(); // the 'timeout' behaviour holds TCP clients forever
        await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
      })();
      return closing;
    },
  };
}

/** What the client said it can take over UDP (its EDNS OPT record), never less than 512. */
function udpLimit(query: dnsPacket.DecodedPacket): number {
  const opt = (query.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return Math.max(UDP_MIN_PAYLOAD, opt?.udpPayloadSize ?? 0);
}

/** UDP and TCP on one port: the given one, or a free UDP port that TCP can have too. */
async function bindBoth(host: string, port: number, tcp: net.Server, onDatagram: (udp: dgram.Socket) => (message: Buffer, peer: dgram.RemoteInfo) => void): Promise<{ udp: dgram.Socket; port: number }> {
  for (let draw = 1; ; draw++) {
    // A dgram socket binds once: every draw takes a fresh one.
    const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    udp.on('message', onDatagram(udp));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', () => undefined); // a failed send to a vanished client is not the server's problem
    const bound = udp.address().port;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(bound, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, port: bound };
    } catch (err) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (port !== 0 || draw >= PORT_DRAWS || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}
