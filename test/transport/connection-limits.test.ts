/**
 * Who may hold a connection, attacked over loopback: connection caps per source and in all
 * (both directions counted), and sources refused by admitSource before anything is read.
 */
import t from 'tap';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import type { EmbeddedTransportOptions } from '../../src/transport/embedded-transport.ts';
import type { Endpoint } from '../../src/transport/endpoint.ts';
import { RawTcp, RawUdp, TestTransport, rawRequest, until } from './fixtures/loopback-peers.ts';

interface Teardown {
  teardown(fn: () => unknown): void;
}

type Limits = Omit<EmbeddedTransportOptions, 'onError' | 'listen'>;

async function guardOn(t: Teardown, limits: Limits): Promise<{ guard: TestTransport; tcp: Endpoint; udp: Endpoint }> {
  const guard = await TestTransport.start({
    listen: [
      { transport: 'tcp', host: '127.0.0.1', port: 0 },
      { transport: 'udp', host: '127.0.0.1', port: 0 },
    ],
    ...limits,
  });
  t.teardown(() => guard.transport.close());
  const [tcp, udp] = guard.transport.localEndpoints;
  if (tcp === undefined || udp === undefined) {
    throw new Error('not bound');
  }
  return { guard, tcp, udp };
}

async function connectFrom(t: Teardown, end: Endpoint, from: string): Promise<RawTcp> {
  const c = await RawTcp.connect(end.port, end.address, from);
  t.teardown(() => c.destroy());
  return c;
}

/** Sends a request on `c` and returns the Call-ID the guard delivered for it. */
async function roundTrip(guard: TestTransport, c: RawTcp, callId: string): Promise<string | undefined> {
  await c.write(rawRequest({ via: `SIP/2.0/TCP ${c.socket.localAddress ?? ''}:5060;branch=z9hG4bK${callId}`, callId }));
  return (await guard.next()).message.headers.find((h) => h.name === 'Call-ID')?.value;
}

t.test('max_connections_per_source: the connection past the cap is closed at accept; other sources still get in', async (t) => {
  const { guard, tcp } = await guardOn(t, { maxConnectionsPerSource: 3, maxConnections: 100 });
  const held: RawTcp[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await connectFrom(t, tcp, '127.0.0.5');
    t.equal(await roundTrip(guard, c, `held-${i}`), `held-${i}`);
    held.push(c);
  }
  const extra = await connectFrom(t, tcp, '127.0.0.5');
  await extra.closed();
  t.equal(extra.data, '', 'closed without a word');
  t.match(guard.errors, [{ kind: 'connections-per-source-limit', source: { address: '127.0.0.5' } }]);
  t.notOk(held.some((c) => c.ended), 'the connections within the cap stay');

  const core = await connectFrom(t, tcp, '127.0.0.2');
  t.equal(await roundTrip(guard, core, 'core'), 'core', 'another source still gets in');

  held[0]?.destroy();
  await until(() => guard.transport.stats().connections === 3, 'the slot to be given back');
  const again = await connectFrom(t, tcp, '127.0.0.5');
  t.equal(await roundTrip(guard, again, 'again'), 'again', 'a closed connection frees its slot');
});

t.test('max_connections counts both directions: accept and connect past it are refused', async (t) => {
  const { guard, tcp } = await guardOn(t, { maxConnectionsPerSource: 2, maxConnections: 3 });
  const peer = await TestTransport.start({ listen: [{ transport: 'tcp', host: '127.0.0.7', port: 0 }] });
  t.teardown(() => peer.transport.close());
  const peerEnd = peer.transport.localEndpoints[0];
  if (peerEnd === undefined) {
    return;
  }
  const a = await connectFrom(t, tcp, '127.0.0.5');
  const b = await connectFrom(t, tcp, '127.0.0.5');
  t.equal(await roundTrip(guard, a, 'a'), 'a');
  t.equal(await roundTrip(guard, b, 'b'), 'b');
  const request = parseSipMessage(rawRequest({ via: `SIP/2.0/TCP 127.0.0.1:${tcp.port};branch=z9hG4bKout1`, callId: 'out-1' }));
  await guard.transport.send(request, peerEnd);
  t.equal((await peer.next()).message.kind, 'request', 'the third connection is the guard\'s own, outbound');

  const fourth = await connectFrom(t, tcp, '127.0.0.6');
  await fourth.closed();
  t.match(guard.errors, [{ kind: 'connections-total-limit' }], 'an inbound one past the total is closed');

  const other = await TestTransport.start({ listen: [{ transport: 'tcp', host: '127.0.0.8', port: 0 }] });
  t.teardown(() => other.transport.close());
  const otherEnd = other.transport.localEndpoints[0];
  if (otherEnd === undefined) {
    return;
  }
  const second = parseSipMessage(rawRequest({ via: `SIP/2.0/TCP 127.0.0.1:${tcp.port};branch=z9hG4bKout2`, callId: 'out-2' }));
  await t.rejects(guard.transport.send(second, otherEnd), /refused/, 'so is an outbound one');
  t.equal(guard.transport.stats().connections, 3);
});

t.test('admitSource: a refused source gets no connection and no answer, UDP or TCP; admitted ones are served', async (t) => {
  const { guard, tcp, udp } = await guardOn(t, { admitSource: (address) => address === '127.0.0.2' });
  const stranger = await connectFrom(t, tcp, '127.0.0.9');
  await stranger.write(rawRequest({ via: 'SIP/2.0/TCP 127.0.0.9:5060;branch=z9hG4bKstr' })).catch(() => undefined);
  await stranger.closed();
  t.equal(stranger.data, '', 'closed at accept without an answer');
  t.match(guard.errors, [{ kind: 'source-refused', source: { address: '127.0.0.9', transport: 'tcp' } }]);

  const spoofed = await RawUdp.bind('127.0.0.9');
  t.teardown(() => spoofed.close());
  await spoofed.send(rawRequest({ via: `SIP/2.0/UDP 127.0.0.9:${spoofed.port};branch=z9hG4bKu1` }), udp.port, udp.address);
  await spoofed.send('garbage that would earn a 400\r\n\r\n', udp.port, udp.address);
  t.ok(await spoofed.silent(300), 'no answer to a stranger, not even a 400');
  t.equal(guard.queued, 0, 'nothing delivered');
  t.equal(guard.errors.filter((e) => e.kind === 'source-refused' && e.source?.transport === 'udp').length, 2);
  t.notOk(guard.errors.some((e) => e.kind === 'message-refused' || e.kind === 'message-dropped'), 'dropped before parsing');

  const core = await RawUdp.bind('127.0.0.2');
  t.teardown(() => core.close());
  await core.send(rawRequest({ via: `SIP/2.0/UDP 127.0.0.2:${core.port};branch=z9hG4bKu2`, callId: 'core-udp' }), udp.port, udp.address);
  t.equal((await guard.next()).message.headers.find((h) => h.name === 'Call-ID')?.value, 'core-udp');
  const coreTcp = await connectFrom(t, tcp, '127.0.0.2');
  t.equal(await roundTrip(guard, coreTcp, 'core-tcp'), 'core-tcp');
});

t.test('an admitSource that throws refuses (fail closed)', async (t) => {
  const { guard, udp } = await guardOn(t, {
    admitSource: () => {
      throw new Error('directory broken');
    },
  });
  const peer = await RawUdp.bind('127.0.0.2');
  t.teardown(() => peer.close());
  await peer.send(rawRequest({ via: `SIP/2.0/UDP 127.0.0.2:${peer.port};branch=z9hG4bKthrow` }), udp.port, udp.address);
  t.ok(await peer.silent(200));
  t.equal(guard.queued, 0);
  t.match(guard.errors, [{ kind: 'internal-error' }, { kind: 'source-refused' }]);
});

t.test('drop summaries: one per interval with counts, and one at close', async (t) => {
  const summaries: { total: number; kinds: Record<string, { count: number; samples: readonly string[] }> }[] = [];
  const guard = await TestTransport.start({
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    admitSource: (address) => address !== '127.0.0.9',
    onDropSummary: (s) => summaries.push(s),
  });
  const udp = guard.transport.localEndpoints[0];
  if (udp === undefined) {
    return;
  }
  const flood = await RawUdp.bind('127.0.0.9');
  t.teardown(() => flood.close());
  for (let i = 0; i < 200; i++) {
    await flood.send(Buffer.alloc(1_200, 0x41), udp.port, udp.address);
  }
  await until(() => guard.errors.length >= 200, 'the flood to arrive');
  t.same(summaries, [], 'nothing until the interval ends (10 s by default)');
  await guard.transport.close();
  t.equal(summaries.length, 1, 'close flushes the summary');
  t.equal(summaries[0]?.kinds['source-refused']?.count, 200);
  t.same(summaries[0]?.kinds['source-refused']?.samples, [`udp 127.0.0.9:${flood.port}`]);
});
