/** EmbeddedTransport over TCP on loopback: connections, framing, errors, keep-alives. */
import net from 'node:net';
import t from 'tap';
import type { SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import type { Endpoint } from '../../src/transport/endpoint.ts';
import { responseDestination } from '../../src/transport/response-destination.ts';
import { RawTcp, TestTransport, rawRequest } from './fixtures/loopback-peers.ts';

/** The part of a tap Test the helpers need. */
interface Teardown {
  teardown(fn: () => unknown): void;
}

function reply(req: SipRequest, status: number): SipResponse {
  return {
    kind: 'response',
    status,
    reason: 'OK',
    headers: req.headers.filter((h) => ['Via', 'From', 'To', 'Call-ID', 'CSeq'].includes(h.name)),
    body: '',
  };
}

async function guardOn(t: Teardown, extra: { maxMessageBytes?: number; idleTimeoutMs?: number } = {}): Promise<{ guard: TestTransport; end: Endpoint }> {
  const guard = await TestTransport.start({ listen: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }], ...extra });
  t.teardown(() => guard.transport.close());
  const end = guard.transport.localEndpoints[0];
  if (end === undefined) {
    throw new Error('not bound');
  }
  return { guard, end };
}

async function client(t: Teardown, end: Endpoint): Promise<RawTcp> {
  const c = await RawTcp.connect(end.port, end.address, '127.0.0.4');
  t.teardown(() => c.destroy());
  return c;
}

/** Number of complete SIP status lines seen in a raw stream. */
function statusLines(data: string): string[] {
  return data.split('\r\n').filter((l) => l.startsWith('SIP/2.0 '));
}

const via = (branch: string): string => `SIP/2.0/TCP 127.0.0.4:5060;branch=${branch}`;

t.test('TCP round trip between two transports: response on the same connection, connection reused', async (t) => {
  const a = await TestTransport.start({ listen: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
  const b = await TestTransport.start({ listen: [{ transport: 'tcp', host: '127.0.0.2', port: 0 }] });
  t.teardown(async () => {
    await a.transport.close();
    await b.transport.close();
  });
  const aEnd = a.transport.localEndpoints[0];
  const bEnd = b.transport.localEndpoints[0];
  if (aEnd === undefined || bEnd === undefined) {
    return;
  }
  t.equal(bEnd.transport, 'tcp');
  const req = parseSipMessage(rawRequest({ via: `SIP/2.0/TCP 127.0.0.1:${aEnd.port};branch=z9hG4bKt1`, body: 'body one' }));
  await a.transport.send(req, bEnd);
  const got = await b.next();
  t.equal(got.source.address, '127.0.0.1', 'outbound connections leave from the listen address');
  t.equal(got.source.transport, 'tcp');
  t.type(got.connectionId, 'string');
  if (got.message.kind !== 'request') {
    return;
  }
  t.equal(got.message.body, 'body one');
  const res = reply(got.message, 200);
  await b.transport.send(res, responseDestination(res, 'tcp'), got.connectionId);
  const back = await a.next();
  t.equal(back.message.kind === 'response' ? back.message.status : 0, 200);
  t.same(back.source, { address: '127.0.0.2', port: bEnd.port, transport: 'tcp' });

  await a.transport.send(parseSipMessage(rawRequest({ via: `SIP/2.0/TCP 127.0.0.1:${aEnd.port};branch=z9hG4bKt2`, cseq: 2 })), bEnd);
  const second = await b.next();
  t.equal(second.connectionId, got.connectionId, 'the pooled connection is reused');
  t.same(a.errors, []);
  t.same(b.errors, []);
});

t.test('framing on a live connection: split chunks, two messages in one write, ping/pong', async (t) => {
  const { guard, end } = await guardOn(t);
  const c = await client(t, end);
  const one = rawRequest({ via: via('z9hG4bKs1'), callId: 'one', body: 'split\r\n\r\nbody' });
  const cut = one.indexOf('\r\n\r\n') + 2; // inside the empty line
  await c.write(one.slice(0, 10));
  await new Promise((r) => setTimeout(r, 20));
  await c.write(one.slice(10, cut));
  await new Promise((r) => setTimeout(r, 20));
  await c.write(one.slice(cut, cut + 5));
  await new Promise((r) => setTimeout(r, 20));
  await c.write(one.slice(cut + 5));
  const first = await guard.next();
  t.equal(first.message.kind === 'request' ? first.message.body : '', 'split\r\n\r\nbody');

  await c.write(rawRequest({ via: via('z9hG4bKs2'), callId: 'two' }) + rawRequest({ via: via('z9hG4bKs3'), callId: 'three' }));
  const two = await guard.next();
  const three = await guard.next();
  t.same(
    [two, three].map((m) => m.message.headers.find((h) => h.name === 'Call-ID')?.value),
    ['two', 'three'],
  );
  t.equal(two.connectionId, first.connectionId);

  await c.write('\r\n\r\n');
  await c.until((d) => d === '\r\n', 'the pong');
  t.equal(c.data, '\r\n', 'RFC 5626 pong: a single CRLF');
  await c.write(rawRequest({ via: via('z9hG4bKs4'), callId: 'four' }));
  t.equal((await guard.next()).message.headers.find((h) => h.name === 'Call-ID')?.value, 'four', 'still framing after the ping');
});

t.test('missing Content-Length: 400 on the connection, then it is closed', async (t) => {
  const { guard, end } = await guardOn(t);
  const c = await client(t, end);
  const noLength = rawRequest({ via: via('z9hG4bKnl') }).replace(/Content-Length: 0\r\n/, '');
  await c.write(noLength);
  await c.closed();
  const [status] = statusLines(c.data);
  t.equal(status, 'SIP/2.0 400 Missing Content-Length');
  t.match(c.data, /Call-ID: raw-1/);
  t.ok(guard.errors.some((e) => e.kind === 'framing-error'));
  t.equal(guard.queued, 0);
});

t.test('oversize message: 513 and close, body never read', async (t) => {
  const { end } = await guardOn(t, { maxMessageBytes: 2_000 });
  const c = await client(t, end);
  await c.write(rawRequest({ method: 'MESSAGE', via: via('z9hG4bKbig'), body: 'x'.repeat(5_000) }));
  await c.closed();
  t.same(statusLines(c.data), ['SIP/2.0 513 Message Too Large']);
});

t.test('a response that cannot be framed is not answered, just closed', async (t) => {
  const { end } = await guardOn(t);
  const c = await client(t, end);
  await c.write('SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.4;branch=z9hG4bK1\r\n\r\n');
  await c.closed();
  t.equal(c.data, '');
});

t.test('a malformed request gets 400 and the connection keeps working', async (t) => {
  const { guard, end } = await guardOn(t);
  const c = await client(t, end);
  await c.write(rawRequest({ via: via('z9hG4bKm1'), extra: ['no colon here'] }));
  await c.until((d) => statusLines(d).length === 1, 'the 400');
  t.match(statusLines(c.data)[0] ?? '', /^SIP\/2\.0 400 /);
  await c.write(rawRequest({ via: 'SIP/2.0/TCP 10.0.0.4:5060;branch=z9hG4bKm2', callId: 'after' }));
  const next = await guard.next();
  t.equal(next.message.headers.find((h) => h.name === 'Call-ID')?.value, 'after');
  t.notOk(c.ended);
  // The received parameter is added on TCP too (18.2.1).
  t.match(next.message.headers.find((h) => h.name === 'Via')?.value ?? '', /;received=127\.0\.0\.4$/);
});

t.test('send(): closed connectionId falls back to the pool or a new connection; refused connect rejects', async (t) => {
  const { guard, end } = await guardOn(t);
  const peer = await TestTransport.start({ listen: [{ transport: 'tcp', host: '127.0.0.5', port: 0 }] });
  t.teardown(() => peer.transport.close());
  const peerEnd = peer.transport.localEndpoints[0];
  if (peerEnd === undefined) {
    return;
  }
  const req = parseSipMessage(rawRequest({ via: `SIP/2.0/TCP 127.0.0.1:${end.port};branch=z9hG4bKf1` }));
  await guard.transport.send(req, peerEnd, 'tcp-does-not-exist');
  const got = await peer.next();
  t.equal(got.message.kind, 'request');

  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.6', () => r()));
  const addr = closed.address();
  const deadPort = typeof addr === 'object' && addr !== null ? addr.port : 0;
  await new Promise<void>((r) => closed.close(() => r()));
  await t.rejects(guard.transport.send(req, { address: '127.0.0.6', port: deadPort, transport: 'tcp' }), { code: 'ECONNREFUSED' });
});

t.test('idle connections are closed after idleTimeoutMs', async (t) => {
  const { end } = await guardOn(t, { idleTimeoutMs: 150 });
  const c = await client(t, end);
  const started = Date.now();
  await c.closed();
  t.ok(Date.now() - started >= 100, 'not before the timeout');
});

t.test('a peer resetting mid-message does not disturb other connections', async (t) => {
  const { guard, end } = await guardOn(t);
  const rude = await client(t, end);
  await rude.write(rawRequest({ via: via('z9hG4bKr1'), body: 'abcdef' }).slice(0, -3));
  rude.socket.resetAndDestroy();
  const polite = await client(t, end);
  await polite.write(rawRequest({ via: via('z9hG4bKr2'), callId: 'polite' }));
  t.equal((await guard.next()).message.headers.find((h) => h.name === 'Call-ID')?.value, 'polite');
});

t.test('close() ends connections and stops accepting', async (t) => {
  const guard = await TestTransport.start({ listen: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
  const end = guard.transport.localEndpoints[0];
  if (end === undefined) {
    return;
  }
  const c = await RawTcp.connect(end.port, end.address);
  await guard.transport.close();
  await c.closed();
  await t.rejects(RawTcp.connect(end.port, end.address), { code: 'ECONNREFUSED' });
  await guard.transport.close();
});
