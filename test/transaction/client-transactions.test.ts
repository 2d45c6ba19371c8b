/** Client transactions (RFC 3261 17.1, RFC 6026 7.2) on fake time with a recording transport. */
import t from 'tap';
import { FakeScheduler } from '../helpers/fake-scheduler.ts';
import { TransactionLayer } from '../../src/transaction/transaction-layer.ts';
import { FakeTransport, RecordingClient, RecordingUser, UAS, UAS_TCP, header, headers, label, request, responseTo, settle } from './fixtures/transaction-fakes.ts';

function setup(): { transport: FakeTransport; clock: FakeScheduler; layer: TransactionLayer; user: RecordingUser; errors: string[] } {
  const transport = new FakeTransport();
  const clock = new FakeScheduler();
  const user = new RecordingUser();
  const errors: string[] = [];
  const layer = new TransactionLayer(transport, user, { scheduler: clock, onError: (e) => errors.push(e.kind) });
  return { transport, clock, layer, user, errors };
}

/** Times (ms) at which the transport was asked to send, recorded by sampling after each 1 ms step would be slow: step to each due timer instead. */
function sendTimes(transport: FakeTransport, clock: FakeScheduler, until: number): number[] {
  const times: number[] = [];
  let seen = transport.sent.length;
  while (clock.now() < until && clock.pending > 0) {
    clock.advance(250);
    if (transport.sent.length > seen) {
      for (let i = seen; i < transport.sent.length; i++) {
        times.push(clock.now());
      }
      seen = transport.sent.length;
    }
  }
  return times;
}

t.test('INVITE over UDP: Timer A doubles from T1, Timer B times out after 64*T1', async (t) => {
  const { transport, clock, layer } = setup();
  const tu = new RecordingClient();
  layer.request(request(), UAS, tu);
  t.same(transport.take().map(label), ['INVITE'], 'sent at once');
  t.equal(layer.size, 1);
  // A = 500, 1000, 2000, 4000, 8000, 16000 (no cap for INVITE): retransmits at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s
  const times = sendTimes(transport, clock, 33_000);
  t.same(times, [500, 1500, 3500, 7500, 15500, 31500]);
  t.same(tu.events, ['timeout'], 'Timer B at 32 s');
  t.equal(layer.size, 0, 'terminated and removed');
  t.equal(clock.pending, 0, 'no timer left behind');
});

t.test('INVITE: provisional stops retransmission and Timer B; duplicates absorbed', async (t) => {
  const { transport, clock, layer } = setup();
  const tu = new RecordingClient();
  const invite = request();
  layer.request(invite, UAS, tu);
  clock.advance(600); // one retransmission
  transport.deliver(responseTo(invite, 180, 'uas1'), UAS);
  transport.deliver(responseTo(invite, 180, 'uas1'), UAS);
  transport.deliver(responseTo(invite, 183, 'uas1'), UAS);
  t.same(tu.events, ['180', '183'], 'each provisional once');
  transport.take();
  clock.advance(120_000);
  t.same(transport.take(), [], 'no retransmission in Proceeding');
  t.same(tu.events, ['180', '183'], 'no timeout in Proceeding');
  t.equal(layer.size, 1);
  layer.close();
});

t.test('INVITE non-2xx final: ACK with the same branch, re-ACK on retransmission, Timer D then removal', async (t) => {
  const { transport, clock, layer } = setup();
  const tu = new RecordingClient();
  const invite = request();
  layer.request(invite, UAS, tu);
  transport.take();
  transport.deliver(responseTo(invite, 100), UAS);
  transport.deliver(responseTo(invite, 486, 'busy1'), UAS);
  t.same(tu.events, ['100', '486']);
  const [ack, ...more] = transport.take();
  t.same(more, []);
  t.ok(ack);
  if (ack === undefined || ack.message.kind !== 'request') {
    return;
  }
  const msg = ack.message;
  t.equal(msg.method, 'ACK');
  t.equal(msg.uri, invite.uri, 'same Request-URI (17.1.1.3)');
  t.same(headers(msg, 'Via'), ['SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKclient1'], 'one Via: the INVITE top Via, same branch');
  t.equal(header(msg, 'To'), '<sip:bob@example.com>;tag=busy1', 'To from the response');
  t.equal(header(msg, 'From'), header(invite, 'From'));
  t.equal(header(msg, 'Call-ID'), header(invite, 'Call-ID'));
  t.equal(header(msg, 'CSeq'), '1 ACK');
  t.same(headers(msg, 'Route'), ['<sip:proxy.example.com;lr>'], 'Route copied');
  t.same(ack.to, UAS, 'to the INVITE destination');

  transport.deliver(responseTo(invite, 486, 'busy1'), UAS);
  t.same(transport.take().map(label), ['ACK'], 'retransmitted final is ACKed again');
  t.same(tu.events, ['100', '486'], 'and not passed up');

  clock.advance(31_999);
  t.equal(layer.size, 1, 'Completed during Timer D');
  clock.advance(1);
  t.equal(layer.size, 0, 'Timer D = 32 s on UDP');
  transport.deliver(responseTo(invite, 486, 'busy1'), UAS);
  t.same(transport.take(), [], 'now a stray: no ACK from a dead transaction');
});

t.test('INVITE over TCP: no retransmission, Timer B still applies, Timer D is zero', async (t) => {
  const { transport, clock, layer } = setup();
  const tu = new RecordingClient();
  layer.request(request({ transport: 'TCP' }), UAS_TCP, tu);
  clock.advance(31_999);
  t.same(transport.take().map(label), ['INVITE'], 'sent once, never retransmitted');
  clock.advance(1);
  t.same(tu.events, ['timeout']);
  t.equal(layer.size, 0);

  const tu2 = new RecordingClient();
  const invite = request({ transport: 'TCP', branch: 'z9hG4bKtcp2' });
  layer.request(invite, UAS_TCP, tu2);
  transport.take();
  transport.deliver(responseTo(invite, 603, 'no'), UAS_TCP, 'tcp-7');
  const acks = transport.take();
  t.same(acks.map(label), ['ACK']);
  t.equal(acks[0]?.connectionId, 'tcp-7', 'ACK on the connection the response came on');
  t.equal(layer.size, 0, 'D = 0: terminated at once');
  t.equal(clock.pending, 0);
});

t.test('INVITE 2xx: Accepted (RFC 6026), retransmitted 2xx to onRetransmitted2xx, forked 2xx passed up, Timer M', async (t) => {
  const { transport, clock, layer, user } = setup();
  const tu = new RecordingClient();
  const invite = request();
  layer.request(invite, UAS, tu);
  transport.take();
  transport.deliver(responseTo(invite, 200, 'fork1'), UAS);
  t.same(transport.take(), [], 'no ACK for 2xx from the transaction (13.2.2.4)');
  transport.deliver(responseTo(invite, 200, 'fork1'), UAS);
  transport.deliver(responseTo(invite, 200, 'fork2'), UAS);
  transport.deliver(responseTo(invite, 180, 'fork3'), UAS);
  transport.deliver(responseTo(invite, 486, 'fork4'), UAS);
  t.same(tu.events, ['200', 're-200', '200'], 'retransmission vs new fork; 1xx and non-2xx ignored');
  t.equal(layer.size, 1);
  clock.advance(32_000);
  t.equal(layer.size, 0, 'Timer M = 64*T1');
  transport.deliver(responseTo(invite, 200, 'fork1'), UAS);
  t.equal(user.strays.length, 1, 'after Timer M a 2xx is stray');
  t.same(tu.events, ['200', 're-200', '200']);
});

t.test('responses count only from the request destination address (UDP: any port), else they are strays', async (t) => {
  const { transport, layer, user, errors } = setup();
  const tu = new RecordingClient();
  const invite = request();
  layer.request(invite, UAS, tu);
  transport.take();
  transport.deliver(responseTo(invite, 486, 'forged'), { ...UAS, address: '192.0.2.66' });
  transport.deliver(responseTo(invite, 486, 'forged'), { ...UAS, transport: 'tcp' });
  t.same(tu.events, [], 'neither a forged 486 from another address nor one over another transport reaches the TU');
  t.same(transport.take(), [], 'and neither is ACKed');
  t.equal(user.strays.length, 2, 'both go to onStrayResponse');
  t.same(errors, ['wrong-source-response', 'wrong-source-response']);
  transport.deliver(responseTo(invite, 180, 'uas'), { ...UAS, port: 6000 });
  t.same(tu.events, ['180'], '18.2.2: a UDP answer from another port of the destination counts');
  t.same(tu.sources, [{ ...UAS, port: 6000 }], 'onResponse learns the source');
  transport.deliver(responseTo(invite, 200, 'uas'), UAS);
  t.same(tu.events, ['180', '200']);
  layer.close();
});

t.test('TCP: a response must come from the destination endpoint, port included', async (t) => {
  const { transport, layer, user, errors } = setup();
  const tu = new RecordingClient();
  const req = request({ method: 'OPTIONS', transport: 'TCP' });
  layer.request(req, UAS_TCP, tu);
  transport.take();
  transport.deliver(responseTo(req, 200), { ...UAS_TCP, port: 40000 }, 'tcp-9');
  t.same(tu.events, [], 'another connection from the same host: refused');
  t.equal(user.strays.length, 1);
  t.same(errors, ['wrong-source-response']);
  transport.deliver(responseTo(req, 200), UAS_TCP, 'tcp-1');
  t.same(tu.events, ['200']);
  layer.close();
});

t.test('a host-name destination cannot be compared: its responses are taken from anywhere', async (t) => {
  const { transport, layer } = setup();
  const tu = new RecordingClient();
  const req = request({ method: 'OPTIONS' });
  layer.request(req, { address: 'as.example.com', port: 5060, transport: 'udp' }, tu);
  transport.take();
  transport.deliver(responseTo(req, 200), UAS);
  t.same(tu.events, ['200']);
  layer.close();
});

t.test('IPv6 and IPv4-mapped forms of the destination are one address', async (t) => {
  const { transport, layer, errors } = setup();
  const a = new RecordingClient();
  const first = request({ method: 'OPTIONS', branch: 'z9hG4bKv6' });
  layer.request(first, { address: '2001:DB8:0::1', port: 5060, transport: 'udp' }, a);
  transport.deliver(responseTo(first, 200), { address: '2001:db8::1', port: 5060, transport: 'udp' });
  const b = new RecordingClient();
  const second = request({ method: 'OPTIONS', branch: 'z9hG4bKmapped' });
  layer.request(second, { address: '192.0.2.20', port: 5060, transport: 'udp' }, b);
  transport.deliver(responseTo(second, 200), { address: '::ffff:192.0.2.20', port: 5060, transport: 'udp' });
  t.same([a.events, b.events, errors], [['200'], ['200'], []]);
  layer.close();
});

t.test('non-INVITE over UDP: Timer E doubles up to T2, Timer F times out', async (t) => {
  const { transport, clock, layer } = setup();
  const tu = new RecordingClient();
  layer.request(request({ method: 'OPTIONS' }), UAS, tu);
  transport.take();
  const times = sendTimes(transport, clock, 33_000);
  // E = 500, 1000, 2000, 4000 (= T2), 4000, ...
  t.same(times, [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  t.same(tu.events, ['timeout'], 'Timer F at 32 s');
  t.equal(layer.size, 0);
});

t.test('non-INVITE: Proceeding retransmits every T2, final completes, Timer K then removal', async (t) => {
  const { transport, clock, layer } = setup();
  const tu = new RecordingClient();
  const bye = request({ method: 'BYE', toTag: 'x' });
  layer.request(bye, UAS, tu);
  transport.take();
  clock.advance(500); // E fired once: next interval 1000
  transport.take();
  transport.deliver(responseTo(bye, 100), UAS);
  transport.deliver(responseTo(bye, 100), UAS);
  t.same(tu.events, ['100']);
  clock.advance(1000);
  t.equal(transport.take().length, 1, 'pending E fires once more');
  clock.advance(3999);
  t.equal(transport.take().length, 0);
  clock.advance(1);
  t.equal(transport.take().length, 1, 'then every T2 in Proceeding');
  transport.deliver(responseTo(bye, 200), UAS);
  transport.deliver(responseTo(bye, 200), UAS);
  t.same(tu.events, ['100', '200'], 'final once');
  clock.advance(4_999);
  t.equal(layer.size, 1, 'Completed for Timer K');
  t.same(transport.take(), [], 'no retransmission in Completed');
  clock.advance(1);
  t.equal(layer.size, 0, 'K = T4');
});

t.test('non-INVITE over TCP: sent once, K = 0', async (t) => {
  const { transport, clock, layer } = setup();
  const tu = new RecordingClient();
  const msg = request({ method: 'MESSAGE', transport: 'TCP' });
  layer.request(msg, UAS_TCP, tu);
  clock.advance(10_000);
  t.same(transport.take().map(label), ['MESSAGE']);
  transport.deliver(responseTo(msg, 202), UAS_TCP, 'tcp-1');
  t.same(tu.events, ['202']);
  t.equal(layer.size, 0);
});

t.test('transport error before a final reaches the TU and ends the transaction', async (t) => {
  const { transport, layer } = setup();
  transport.fail = new Error('ECONNREFUSED');
  const tu = new RecordingClient();
  layer.request(request(), UAS_TCP, tu);
  const tu2 = new RecordingClient();
  layer.request(request({ method: 'OPTIONS', branch: 'z9hG4bKopt' }), UAS_TCP, tu2);
  await settle();
  t.same(tu.events, ['transport-error']);
  t.equal(tu.errors[0]?.message, 'ECONNREFUSED');
  t.same(tu2.events, ['transport-error']);
  t.equal(layer.size, 0);
});

t.test('request() refuses what is not a client transaction', async (t) => {
  const { layer } = setup();
  const tu = new RecordingClient();
  t.throws(() => layer.request(request({ method: 'ACK', cseqMethod: 'ACK' }), UAS, tu), TypeError, 'ACK');
  t.throws(() => layer.request(request({ branch: '1234' }), UAS, tu), TypeError, 'no magic cookie');
  layer.request(request(), UAS, tu);
  t.throws(() => layer.request(request(), UAS, tu), TypeError, 'duplicate branch');
  t.doesNotThrow(() => layer.request(request({ method: 'CANCEL' }), UAS, tu), 'CANCEL with the INVITE branch: its own transaction');
  t.equal(layer.size, 2);
  layer.close();
  t.throws(() => layer.request(request({ branch: 'z9hG4bKlate' }), UAS, tu), Error, 'closed');
});

t.test('CANCEL and INVITE with one branch are matched apart by CSeq method (17.1.3)', async (t) => {
  const { transport, layer } = setup();
  const inviteTu = new RecordingClient();
  const cancelTu = new RecordingClient();
  const invite = request();
  layer.request(invite, UAS, inviteTu);
  transport.deliver(responseTo(invite, 180, 'a'), UAS);
  const cancel = request({ method: 'CANCEL' });
  layer.request(cancel, UAS, cancelTu);
  transport.deliver(responseTo(cancel, 200, 'a'), UAS);
  transport.deliver(responseTo(invite, 487, 'a'), UAS);
  t.same(cancelTu.events, ['200']);
  t.same(inviteTu.events, ['180', '487']);
  layer.close();
});

t.test('a TU that throws does not break the layer', async (t) => {
  const { transport, layer, errors } = setup();
  const invite = request();
  layer.request(invite, UAS, {
    onResponse: () => {
      throw new Error('boom');
    },
    onTimeout: () => undefined,
    onTransportError: () => undefined,
  });
  t.doesNotThrow(() => transport.deliver(responseTo(invite, 180, 'a'), UAS));
  t.ok(errors.includes('tu-error'));
  const tu = new RecordingClient();
  const next = request({ branch: 'z9hG4bKnext' });
  layer.request(next, UAS, tu);
  transport.deliver(responseTo(next, 200, 'b'), UAS);
  t.same(tu.events, ['200']);
  layer.close();
});

t.test('the TU may mutate its request after sending: retransmissions are unchanged', async (t) => {
  const { transport, clock, layer } = setup();
  const invite = request();
  layer.request(invite, UAS, new RecordingClient());
  invite.headers.push({ name: 'X-Later', value: '1' });
  clock.advance(500);
  const [, again] = transport.take();
  t.equal(again && header(again.message, 'X-Later'), undefined);
  layer.close();
});
