/**
 * The limits of one TCP connection, attacked over loopback: a write queue that never grows
 * past max_write_queue_bytes (pongs included), a header deadline, and an idle timeout that
 * trickled bytes do not reset.
 */
import { Buffer } from 'node:buffer';
import t from 'tap';
import type { SipResponse } from '../../src/sip/sip-message.ts';
import type { EmbeddedTransportOptions } from '../../src/transport/embedded-transport.ts';
import type { Endpoint } from '../../src/transport/endpoint.ts';
import { responseDestination } from '../../src/transport/response-destination.ts';
import { RawTcp, TestTransport, rawRequest, until } from './fixtures/loopback-peers.ts';

interface Teardown {
  teardown(fn: () => unknown): void;
}

type Limits = Omit<EmbeddedTransportOptions, 'onError' | 'listen'>;

async function guardOn(t: Teardown, limits: Limits): Promise<{ guard: TestTransport; end: Endpoint }> {
  const guard = await TestTransport.start({ listen: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }], ...limits });
  t.teardown(() => guard.transport.close());
  const end = guard.transport.localEndpoints[0];
  if (end === undefined) {
    throw new Error('not bound');
  }
  return { guard, end };
}

async function attacker(t: Teardown, end: Endpoint, from = '127.0.0.5'): Promise<RawTcp> {
  const c = await RawTcp.connect(end.port, end.address, from);
  t.teardown(() => c.destroy());
  return c;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

t.test('pong flood from a client that never reads: the queue stays under the cap and the connection is closed', async (t) => {
  const cap = 64 * 1024;
  const { guard, end } = await guardOn(t, { maxWriteQueueBytes: cap });
  const c = await attacker(t, end);
  c.socket.pause(); // reads nothing the guard sends
  const pings = Buffer.alloc(64 * 1024, '\r\n\r\n');
  let peak = 0;
  let sent = 0;
  // Loopback kernel buffers take several MB of pongs before anything queues in the guard;
  // 256 MB of pings (128 MB of pongs) is far more than any of them holds.
  while (!c.ended && sent < 256 * 1024 * 1024) {
    const wrote = await c.write(pings).then(
      () => true,
      () => false,
    );
    if (!wrote) {
      break; // reset by the guard
    }
    sent += pings.length;
    peak = Math.max(peak, guard.transport.stats().queuedWriteBytes);
  }
  await until(() => guard.transport.stats().connections === 0, 'the guard to drop the connection');
  t.ok(sent < 256 * 1024 * 1024, `closed after ${(sent / 1024 / 1024).toFixed(1)} MB of pings`);
  t.ok(peak <= cap, `queued bytes peaked at ${peak}, cap ${cap}`);
  t.equal(guard.transport.stats().queuedWriteBytes, 0, 'nothing left queued');
  t.ok(guard.errors.some((e) => e.kind === 'write-queue-full'), 'reported as write-queue-full');
});

t.test('pings from a reading client are all answered, one pong each', async (t) => {
  const { end } = await guardOn(t, { maxWriteQueueBytes: 4096 });
  const c = await attacker(t, end);
  // 5,000 pings, 10 kB of pongs in all: more than the cap, but read as they come.
  for (let round = 1; round <= 25; round++) {
    await c.write('\r\n\r\n'.repeat(200));
    await c.until((d) => d.length >= round * 400, `the pongs of round ${round}`);
  }
  t.equal(c.data, '\r\n'.repeat(5_000));
  t.notOk(c.ended, 'a client that reads keeps its connection');
});

t.test('messages queued for a peer that stops reading: the send past the cap rejects and the connection closes', async (t) => {
  const cap = 256 * 1024;
  const { guard, end } = await guardOn(t, { maxWriteQueueBytes: cap });
  const c = await attacker(t, end);
  await c.write(rawRequest({ method: 'MESSAGE', via: 'SIP/2.0/TCP 127.0.0.5:5060;branch=z9hG4bKwq1' }));
  const got = await guard.next();
  c.socket.pause();
  if (got.message.kind !== 'request') {
    t.fail('expected a request');
    return;
  }
  const res: SipResponse = {
    kind: 'response',
    status: 200,
    reason: 'OK',
    headers: got.message.headers.filter((h) => ['Via', 'From', 'To', 'Call-ID', 'CSeq'].includes(h.name)),
    body: 'x'.repeat(16 * 1024),
  };
  const to = responseDestination(res, 'tcp');
  const outcome: { refused: Error | null } = { refused: null };
  let peak = 0;
  for (let i = 0; i < 40_000 && outcome.refused === null; i++) {
    guard.transport.send(res, to, got.connectionId).catch((err: unknown) => {
      outcome.refused ??= err as Error;
    });
    peak = Math.max(peak, guard.transport.stats().queuedWriteBytes);
    if (i % 8 === 0) {
      await tick();
    }
  }
  t.match(outcome.refused?.message ?? '', /not reading|closed/, 'a send past the cap rejects');
  t.ok(peak <= cap, `queued bytes peaked at ${peak}, cap ${cap}`);
  await until(() => guard.transport.stats().connections === 0, 'the connection to go');
  t.ok(guard.errors.some((e) => e.kind === 'write-queue-full'));
});

t.test('slow header: one byte at a time is closed at the header deadline', async (t) => {
  const { guard, end } = await guardOn(t, { headerDeadlineMs: 300, idleTimeoutMs: 60_000 });
  const c = await attacker(t, end);
  const request = rawRequest({ via: 'SIP/2.0/TCP 127.0.0.5:5060;branch=z9hG4bKslow' });
  const trickle = (async () => {
    for (const byte of request) {
      if (c.ended) {
        return;
      }
      await c.write(byte).catch(() => undefined);
      await sleep(25);
    }
  })();
  await c.closed();
  await trickle;
  t.equal(guard.queued, 0, 'the request never got through');
  t.match(guard.errors, [{ kind: 'header-deadline' }], 'reported as header-deadline');
  t.equal(guard.transport.stats().connections, 0);
});

t.test('idle means no complete message: trickled bytes do not keep a connection open', async (t) => {
  // The header deadline is out of the way here, so only the idle clock can close it.
  const { guard, end } = await guardOn(t, { headerDeadlineMs: 600_000, idleTimeoutMs: 400 });
  const c = await attacker(t, end);
  const request = rawRequest({ via: 'SIP/2.0/TCP 127.0.0.5:5060;branch=z9hG4bKidle' });
  const trickle = (async () => {
    for (const byte of request) {
      if (c.ended) {
        return;
      }
      await c.write(byte).catch(() => undefined);
      await sleep(25);
    }
  })();
  await c.closed();
  await trickle;
  t.equal(guard.queued, 0);
  t.notOk(guard.errors.some((e) => e.kind === 'header-deadline'), 'closed by the idle clock');
});

t.test('a connection that completes messages in time is not disturbed by the deadlines', async (t) => {
  const { guard, end } = await guardOn(t, { headerDeadlineMs: 2_000, idleTimeoutMs: 2_000 });
  const c = await attacker(t, end);
  for (let i = 0; i < 3; i++) {
    const request = rawRequest({ via: `SIP/2.0/TCP 127.0.0.5:5060;branch=z9hG4bKok${i}`, callId: `ok-${i}` });
    await c.write(request.slice(0, 20));
    await sleep(20);
    await c.write(request.slice(20));
    const got = await guard.next();
    t.equal(got.message.headers.find((h) => h.name === 'Call-ID')?.value, `ok-${i}`);
  }
  t.notOk(c.ended);
  t.same(guard.errors, []);
});
