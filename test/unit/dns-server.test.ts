/**
 * The local DNS server (tools/simulators/dns/) on the wire: what a name server says in each
 * case certflow's check tells apart, over UDP and TCP, read with raw queries (dns-packet) and
 * with node's own resolver.
 */
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { startDnsServer, type RunningDnsServer } from '../../tools/simulators/dns';

let dns: RunningDnsServer;
let port: number;

beforeAll(async () => {
  dns = await startDnsServer();
  port = Number(dns.address.split(':')[1]);
});

afterAll(() => dns.close());

const query = (name: string, type: dnsPacket.RecordType, flags = dnsPacket.RECURSION_DESIRED): dnsPacket.Packet => ({ type: 'query', id: 4242, flags, questions: [{ name, type, class: 'IN' }] });

/** One datagram out, the first one back (or undefined after `waitMs`). */
function overUdp(message: Buffer, waitMs = 300): Promise<dnsPacket.DecodedPacket | undefined> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), waitMs);
    const done = (answer: dnsPacket.DecodedPacket | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    socket.on('message', (data) => done(dnsPacket.decode(data)));
    socket.send(message, port, '127.0.0.1');
  });
}

/** Two length-prefixed queries on one connection, written in pieces: both answers come back in order. */
function overTcp(packets: dnsPacket.Packet[]): Promise<dnsPacket.DecodedPacket[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const answers: dnsPacket.DecodedPacket[] = [];
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        answers.push(dnsPacket.streamDecode(received) as dnsPacket.DecodedPacket);
        received = received.subarray(2 + received.readUInt16BE(0));
      }
      if (answers.length === packets.length) {
        socket.end();
        resolve(answers);
      }
    });
    const bytes = Buffer.concat(packets.map((p) => dnsPacket.streamEncode(p)));
    socket.write(bytes.subarray(0, 5)); // the server must reassemble a message split across reads
    setTimeout(() => socket.write(bytes.subarray(5)), 20);
  });
}

const rcode = (answer: dnsPacket.DecodedPacket | undefined) => (answer as { rcode?: string } | undefined)?.rcode;

test('a CNAME is answered authoritatively, with the question echoed and its case kept', async () => {
  dns.setCname('_tok.example.com', 'target.ca.test');
  const answer = await overUdp(dnsPacket.encode(query('_TOK.Example.com', 'CNAME')));
  expect(answer).toMatchObject({ id: 4242, type: 'response', flag_aa: true, flag_rd: true, flag_tc: false });
  expect(rcode(answer)).toBe('NOERROR');
  expect(answer!.questions).toEqual([{ name: '_TOK.Example.com', type: 'CNAME', class: 'IN' }]);
  expect(answer!.answers).toEqual([expect.objectContaining({ name: '_TOK.Example.com', type: 'CNAME', data: 'target.ca.test' })]);
  expect(dns.queries.at(-1)).toEqual({ name: '_TOK.Example.com', type: 'CNAME', transport: 'udp' });
});

test('NXDOMAIN for a name nobody set, NODATA for a name with another type, and remove() makes it NXDOMAIN again', async () => {
  dns.setTxt('txt-only.example.com', ['v=1']);
  const nx = await overUdp(dnsPacket.encode(query('nobody.example.com', 'CNAME')));
  expect(rcode(nx)).toBe('NXDOMAIN');
  const nodata = await overUdp(dnsPacket.encode(query('txt-only.example.com', 'CNAME')));
  expect(rcode(nodata)).toBe('NOERROR');
  expect(nodata!.answers).toEqual([]);
  dns.remove('txt-only.example.com');
  expect(rcode(await overUdp(dnsPacket.encode(query('txt-only.example.com', 'TXT'))))).toBe('NXDOMAIN');
});

test('a name owns a CNAME or other data, never both: setting one replaces the other', async () => {
  dns.setTxt('swap.example.com', ['a']);
  dns.setCname('swap.example.com', 'x.ca.test');
  expect(rcode(await overUdp(dnsPacket.encode(query('swap.example.com', 'TXT'))))).toBe('NOERROR');
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([dns.address]);
  await expect(resolver.resolveCname('swap.example.com')).resolves.toEqual(['x.ca.test']);
  dns.setTxt('swap.example.com', ['b']);
  await expect(resolver.resolveCname('swap.example.com')).rejects.toMatchObject({ code: 'ENODATA' });
  await expect(resolver.resolveTxt('swap.example.com')).resolves.toEqual([['b']]);
});

test('other types follow a CNAME inside the configured names (RFC 1034 4.3.2)', async () => {
  dns.setCname('alias.example.com', 'real.example.com');
  dns.setTxt('real.example.com', ['token']);
  const answer = await overUdp(dnsPacket.encode(query('alias.example.com', 'TXT')));
  expect(answer!.answers!.map((a) => [a.name, a.type])).toEqual([['alias.example.com', 'CNAME'], ['real.example.com', 'TXT']]);
  // A loop ends, it does not hang the server.
  dns.setCname('loop-a.example.com', 'loop-b.example.com');
  dns.setCname('loop-b.example.com', 'loop-a.example.com');
  expect(rcode(await overUdp(dnsPacket.encode(query('loop-a.example.com', 'A'))))).toBe('NOERROR');
});

test('behave: servfail answers SERVFAIL, timeout never answers, undefined clears; an unknown behaviour is refused', async () => {
  dns.setCname('flaky.example.com', 'x.ca.test');
  dns.behave('flaky.example.com', 'servfail');
  expect(rcode(await overUdp(dnsPacket.encode(query('flaky.example.com', 'CNAME'))))).toBe('SERVFAIL');
  dns.behave('FLAKY.example.com.', 'timeout'); // names compare case-insensitively, trailing dot or not
  expect(await overUdp(dnsPacket.encode(query('flaky.example.com', 'CNAME')), 300)).toBeUndefined();
  dns.behave('flaky.example.com', undefined);
  expect(rcode(await overUdp(dnsPacket.encode(query('flaky.example.com', 'CNAME'))))).toBe('NOERROR');
  expect(() => dns.behave('flaky.example.com', 'slow' as never)).toThrow(/unknown behaviour/);
});

test('TCP: length-prefixed messages, split across reads and several on one connection', async () => {
  dns.setCname('_tcp.example.com', 'over.tcp.test');
  const [first, second] = await overTcp([query('_tcp.example.com', 'CNAME'), query('missing.example.com', 'CNAME')]);
  expect(first!.answers).toEqual([expect.objectContaining({ type: 'CNAME', data: 'over.tcp.test' })]);
  expect(rcode(second)).toBe('NXDOMAIN');
  expect(dns.queries.slice(-2).map((q) => q.transport)).toEqual(['tcp', 'tcp']);
});

test('an answer too big for the datagram is truncated (TC) and node’s resolver gets it whole over TCP', async () => {
  const long = 'k'.repeat(600); // split into 255-byte character-strings, three records: over 1232 bytes
  dns.setTxt('big.example.com', [long, long, long]);
  const udp = await overUdp(dnsPacket.encode(query('big.example.com', 'TXT')));
  expect(udp).toMatchObject({ flag_tc: true, answers: [] });
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([dns.address]);
  const records = await resolver.resolveTxt('big.example.com');
  expect(records.map((chunks) => chunks.join(''))).toEqual([long, long, long]);
  expect(dns.queries.slice(-2)).toEqual([
    { name: 'big.example.com', type: 'TXT', transport: 'udp' },
    { name: 'big.example.com', type: 'TXT', transport: 'tcp' },
  ]);
});

test('garbage is dropped, another opcode is NOTIMP, and the server keeps answering', async () => {
  expect(await overUdp(Buffer.from('not a dns message'), 200)).toBeUndefined();
  const notify = await overUdp(dnsPacket.encode(query('x.example.com', 'SOA', 4 << 11))); // opcode NOTIFY
  expect(rcode(notify)).toBe('NOTIMP');
  dns.setCname('after.example.com', 'still.up.test');
  const answer = await overUdp(dnsPacket.encode(query('after.example.com', 'CNAME')));
  expect(answer!.answers![0]).toMatchObject({ data: 'still.up.test' });
});

test('a given port serves UDP and TCP; close() ends even with a TCP client held by the timeout behaviour', async () => {
  const probe = await startDnsServer();
  const fixedPort = Number(probe.address.split(':')[1]);
  await probe.close();
  const fixed = await startDnsServer({ host: '127.0.0.1', port: fixedPort });
  expect(fixed.address).toBe(`127.0.0.1:${fixedPort}`);
  fixed.behave('held.example.com', 'timeout');
  const client = net.connect(fixedPort, '127.0.0.1');
  await new Promise((resolve) => client.once('connect', resolve));
  client.write(dnsPacket.streamEncode(query('held.example.com', 'CNAME')));
  const closed = new Promise((resolve) => client.once('close', resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await fixed.close();
  await closed;
  expect(fixed.queries).toEqual([{ name: 'held.example.com', type: 'CNAME', transport: 'tcp' }]);
  // Its port is free again.
  const again = await startDnsServer({ port: fixedPort });
  await again.close();
});
