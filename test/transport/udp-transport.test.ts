/** EmbeddedTransport over UDP on loopback (127.0.0.x, ephemeral ports). */
import { Buffer } from 'node:buffer';
import t from 'tap';
import type { SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { EmbeddedTransport } from '../../src/transport/embedded-transport.ts';
import { responseDestination } from '../../src/transport/response-destination.ts';
import { RawUdp, TestTransport, rawRequest } from './fixtures/loopback-peers.ts';

function reply(req: SipRequest, status: number, reason: string): SipResponse {
  return {
    kind: 'response',
    status,
    reason,
    headers: req.headers.filter((h) => ['Via', 'From', 'To', 'Call-ID', 'CSeq'].includes(h.name)),
    body: '',
  };
}

t.test('UDP round trip between two transports, with received/rport annotation', async (t) => {
  const a = await TestTransport.start({ listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
  const b = await TestTransport.start({ listen: [{ transport: 'udp', host: '127.0.0.2', port: 0 }] });
  t.teardown(async () => {
    await a.transport.close();
    await b.transport.close();
  });
  const [aEnd] = a.transport.localEndpoints;
  const [bEnd] = b.transport.localEndpoints;
  if (aEnd === undefined || bEnd === undefined) {
    t.fail('no endpoints');
    return;
  }
  t.equal(aEnd.address, '127.0.0.1');
  t.ok(aEnd.port > 0, 'port 0 resolved');
  t.equal(aEnd.transport, 'udp');

  const req = parseSipMessage(rawRequest({ via: `SIP/2.0/UDP 10.1.2.3:5060;rport;branch=z9hG4bKudp1`, body: 'ping body' }));
  await a.transport.send(req, bEnd);
  const got = await b.next();
  t.same(got.source, { address: '127.0.0.1', port: aEnd.port, transport: 'udp' });
  t.equal(got.connectionId, null);
  t.equal(got.message.kind === 'request' ? got.message.body : '', 'ping body');
  const via = got.message.headers.find((h) => h.name === 'Via')?.value;
  t.equal(via, `SIP/2.0/UDP 10.1.2.3:5060;rport=${aEnd.port};branch=z9hG4bKudp1;received=127.0.0.1`);

  if (got.message.kind !== 'request') {
    return;
  }
  const res = reply(got.message, 200, 'OK');
  const to = responseDestination(res, 'udp');
  t.same(to, { address: '127.0.0.1', port: aEnd.port, transport: 'udp' }, 'the response goes to the real source');
  await b.transport.send(res, to);
  const back = await a.next();
  t.equal(back.message.kind === 'response' ? back.message.status : 0, 200);
  t.same(back.source, { address: '127.0.0.2', port: bEnd.port, transport: 'udp' });
  t.same(a.errors, []);
  t.same(b.errors, []);
});

t.test('a malformed request is answered 400 at its source; the next one is delivered', async (t) => {
  const guard = await TestTransport.start({ listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
  const peer = await RawUdp.bind('127.0.0.3');
  t.teardown(async () => {
    peer.close();
    await guard.transport.close();
  });
  const port = guard.transport.localEndpoints[0]?.port ?? 0;
  // Via names another host and asks for rport: the 400 must still reach the real source port.
  const bad = rawRequest({ via: 'SIP/2.0/UDP 10.9.9.9:5999;rport;branch=z9hG4bKbad', extra: ['This line has no colon'] });
  await peer.send(bad, port, '127.0.0.1');
  const answer = parseSipMessage(await peer.receive());
  t.equal(answer.kind, 'response');
  if (answer.kind === 'response') {
    t.equal(answer.status, 400);
    t.match(answer.reason, /no colon/);
    t.match(answer.headers.find((h) => h.name === 'To')?.value ?? '', /;tag=/);
    t.equal(answer.headers.find((h) => h.name === 'Call-ID')?.value, 'raw-1');
    t.equal(answer.headers.find((h) => h.name === 'Via')?.value, `SIP/2.0/UDP 10.9.9.9:5999;rport=${peer.port};branch=z9hG4bKbad;received=127.0.0.3`);
  }
  t.ok(guard.errors.some((e) => e.kind === 'message-refused'));
  t.equal(guard.queued, 0, 'nothing delivered for it');

  await peer.send(rawRequest({ via: `SIP/2.0/UDP 127.0.0.3:${peer.port};branch=z9hG4bKgood`, callId: 'good' }), port, '127.0.0.1');
  const good = await guard.next();
  t.equal(good.message.headers.find((h) => h.name === 'Call-ID')?.value, 'good');
});

t.test('garbage, malformed responses, keep-alives and STUN are dropped without an answer', async (t) => {
  const guard = await TestTransport.start({ listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
  const peer = await RawUdp.bind('127.0.0.3');
  t.teardown(async () => {
    peer.close();
    await guard.transport.close();
  });
  const port = guard.transport.localEndpoints[0]?.port ?? 0;
  await peer.send(Buffer.from([0, 1, 2, 3, 255, 254]), port, '127.0.0.1');
  await peer.send('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.3;branch=z9hG4bKx\r\n\r\n', port, '127.0.0.1');
  await peer.send('\r\n\r\n', port, '127.0.0.1');
  const stun = Buffer.alloc(20);
  stun.writeUInt16BE(0x0001, 0);
  stun.writeUInt32BE(0x2112a442, 4);
  await peer.send(stun, port, '127.0.0.1');
  t.ok(await peer.silent(), 'no answers');
  t.equal(guard.errors.filter((e) => e.kind === 'message-dropped').length, 2, 'garbage and the bad response reported; keep-alives not');
  await peer.send(rawRequest({ via: `SIP/2.0/UDP 127.0.0.3:${peer.port};branch=z9hG4bKok` }), port, '127.0.0.1');
  t.equal((await guard.next()).message.kind, 'request', 'still serving');
});

t.test('an oversize datagram gets 513 when its headers can be read', async (t) => {
  const guard = await TestTransport.start({ listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }], maxMessageBytes: 600 });
  const peer = await RawUdp.bind('127.0.0.3');
  t.teardown(async () => {
    peer.close();
    await guard.transport.close();
  });
  const port = guard.transport.localEndpoints[0]?.port ?? 0;
  await peer.send(rawRequest({ via: `SIP/2.0/UDP 127.0.0.3:${peer.port};branch=z9hG4bKbig`, method: 'MESSAGE', body: 'x'.repeat(1000) }), port, '127.0.0.1');
  const answer = parseSipMessage(await peer.receive());
  t.equal(answer.kind === 'response' ? answer.status : 0, 513);
  t.equal(guard.queued, 0);
});

t.test('a handler that throws is reported; delivery goes on', async (t) => {
  const guard = await TestTransport.start({ listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
  const peer = await RawUdp.bind('127.0.0.3');
  t.teardown(async () => {
    peer.close();
    await guard.transport.close();
  });
  guard.transport.onMessage(() => {
    throw new Error('handler bug');
  });
  const port = guard.transport.localEndpoints[0]?.port ?? 0;
  await peer.send(rawRequest({ via: `SIP/2.0/UDP 127.0.0.3:${peer.port};branch=z9hG4bK1` }), port, '127.0.0.1');
  await peer.send(rawRequest({ via: `SIP/2.0/UDP 127.0.0.3:${peer.port};branch=z9hG4bK2` }), port, '127.0.0.1');
  await guard.next();
  await guard.next();
  t.equal(guard.errors.filter((e) => e.kind === 'handler-error').length, 2);
});

t.test('start() rejects when a bind fails and releases what it bound; send before start rejects', async (t) => {
  const first = await TestTransport.start({ listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
  t.teardown(() => first.transport.close());
  const taken = first.transport.localEndpoints[0]?.port ?? 0;
  const second = new EmbeddedTransport({
    listen: [
      { transport: 'tcp', host: '127.0.0.1', port: 0 },
      { transport: 'udp', host: '127.0.0.1', port: taken },
    ],
  });
  await t.rejects(second.start(), { code: 'EADDRINUSE' });
  const unstarted = new EmbeddedTransport({ listen: [] });
  await t.rejects(unstarted.send(parseSipMessage(rawRequest({ via: 'SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1' })), { address: '127.0.0.1', port: taken, transport: 'udp' }));
  await t.rejects(
    first.transport.send(parseSipMessage(rawRequest({ via: 'SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1' })), { address: '::1', port: 5060, transport: 'udp' }),
    /no UDP socket/,
    'no socket of that family',
  );
});

t.test('with two UDP sockets, a response leaves from the socket its request came in on', async (t) => {
  const guard = await TestTransport.start({
    listen: [
      { transport: 'udp', host: '127.0.0.1', port: 0 },
      { transport: 'udp', host: '127.0.0.2', port: 0 },
    ],
  });
  const peer = await RawUdp.bind('127.0.0.3');
  t.teardown(async () => {
    peer.close();
    await guard.transport.close();
  });
  const [first, second] = guard.transport.localEndpoints;
  if (first === undefined || second === undefined) {
    return;
  }
  t.same(
    guard.transport.localEndpoints.map((e) => e.address),
    ['127.0.0.1', '127.0.0.2'],
    'in listen order',
  );
  await peer.send(rawRequest({ via: `SIP/2.0/UDP 127.0.0.3:${peer.port};branch=z9hG4bK2s` }), second.port, '127.0.0.2');
  const got = await guard.next();
  if (got.message.kind !== 'request') {
    return;
  }
  const res = reply(got.message, 200, 'OK');
  await guard.transport.send(res, responseDestination(res, 'udp'));
  const answer = await peer.receiveFrom();
  t.same(answer.from, { address: '127.0.0.2', port: second.port }, 'symmetric response (RFC 3581)');

  // A request leaves from the socket its top Via names, where its responses will come back.
  const out = parseSipMessage(rawRequest({ via: `SIP/2.0/UDP 127.0.0.2:${second.port};branch=z9hG4bKout` }));
  await guard.transport.send(out, { address: '127.0.0.3', port: peer.port, transport: 'udp' });
  t.same((await peer.receiveFrom()).from, { address: '127.0.0.2', port: second.port });
  const out1 = parseSipMessage(rawRequest({ via: `SIP/2.0/UDP 127.0.0.1:${first.port};branch=z9hG4bKout1` }));
  await guard.transport.send(out1, { address: '127.0.0.3', port: peer.port, transport: 'udp' });
  t.same((await peer.receiveFrom()).from, { address: '127.0.0.1', port: first.port });
});
