/** Server transactions (RFC 3261 17.2, RFC 6026 7.1) and matching (17.2.3) on fake time. */
import t from 'tap';
import type { SipRequest } from '../../src/sip/sip-message.ts';
import { FakeScheduler } from '../helpers/fake-scheduler.ts';
import type { ServerTransaction } from '../../src/transaction/transaction-layer.ts';
import { TransactionLayer } from '../../src/transaction/transaction-layer.ts';
import type { Endpoint } from '../../src/transport/endpoint.ts';
import { FakeTransport, RecordingUser, UAC, UAC_TCP, ackFor2xx, header, label, request, responseTo } from './fixtures/transaction-fakes.ts';

function setup(): { transport: FakeTransport; clock: FakeScheduler; layer: TransactionLayer; user: RecordingUser; errors: string[] } {
  const transport = new FakeTransport();
  const clock = new FakeScheduler();
  const user = new RecordingUser();
  const errors: string[] = [];
  const layer = new TransactionLayer(transport, user, { scheduler: clock, onError: (e) => errors.push(e.kind) });
  return { transport, clock, layer, user, errors };
}

/** Delivers a request and returns the server transaction the TU got for it. */
function arrive(transport: FakeTransport, user: RecordingUser, req: SipRequest, source: Endpoint = UAC, connectionId: string | null = null): ServerTransaction {
  const before = user.requests.length;
  transport.deliver(req, source, connectionId);
  const got = user.requests[before];
  if (got === undefined || user.requests.length !== before + 1) {
    throw new Error('the TU did not get exactly one new request');
  }
  return got.txn;
}

/** Steps fake time in 250 ms slices and records when sends happened. */
function sendTimes(transport: FakeTransport, clock: FakeScheduler, until: number): number[] {
  const times: number[] = [];
  let seen = transport.sent.length;
  while (clock.now() < until && clock.pending > 0) {
    clock.advance(250);
    for (; seen < transport.sent.length; seen++) {
      times.push(clock.now());
    }
  }
  return times;
}

t.test('INVITE: 100 Trying at once, retransmissions get the last provisional, never the TU', async (t) => {
  const { transport, layer, user } = setup();
  const invite = request({ extra: ['Timestamp: 54'] });
  const txn = arrive(transport, user, invite);
  const [trying, ...rest] = transport.take();
  t.same(rest, []);
  t.equal(trying && label(trying), '100');
  if (trying === undefined) {
    return;
  }
  t.equal(header(trying.message, 'To'), '<sip:bob@example.com>', '100 carries no To tag');
  t.equal(header(trying.message, 'Timestamp'), '54', 'Timestamp echoed (8.2.6.1)');
  t.equal(header(trying.message, 'Call-ID'), header(invite, 'Call-ID'));
  t.same(trying.to, { address: '192.0.2.10', port: 5070, transport: 'udp' }, 'to the Via sent-by');

  transport.deliver(request({ extra: ['Timestamp: 54'] }), UAC);
  t.same(transport.take().map(label), ['100'], 'retransmitted INVITE: 100 again');
  txn.respond(responseTo(invite, 180, 'uas'));
  transport.deliver(request(), UAC);
  t.same(transport.take().map(label), ['180', '180'], 'then the 180');
  t.equal(user.requests.length, 1, 'the TU saw the INVITE once');
  layer.close();
});

t.test('INVITE non-2xx: Timer G doubles to T2, ACK confirms, Timer I then removal', async (t) => {
  const { transport, clock, layer, user } = setup();
  const invite = request();
  const txn = arrive(transport, user, invite);
  transport.take();
  txn.respond(responseTo(invite, 486, 'busy'));
  t.same(transport.take().map(label), ['486']);
  const times = sendTimes(transport, clock, 8_000);
  // G = 500, 1000, 2000, 4000 (T2), 4000: at 0.5, 1.5, 3.5, 7.5 s
  t.same(times, [500, 1500, 3500, 7500]);
  transport.take();
  transport.deliver(request(), UAC);
  t.same(transport.take().map(label), ['486'], 'retransmitted INVITE gets the final again');

  const ack = request({ method: 'ACK', toTag: 'busy' }); // same branch: 17.1.1.3
  transport.deliver(ack, UAC);
  t.same(user.acks, [], 'ACK for non-2xx absorbed by the transaction');
  clock.advance(4_000);
  t.same(transport.take(), [], 'Confirmed: no more retransmission');
  transport.deliver(ack, UAC);
  t.same(user.acks, [], 'ACK retransmission absorbed');
  t.equal(layer.size, 1);
  clock.advance(1_000);
  t.equal(layer.size, 0, 'Timer I = T4 after the ACK');
  txn.respond(responseTo(invite, 500, 'busy'));
  t.same(transport.take(), [], 'responses after the end are refused');
});

t.test('INVITE non-2xx without ACK: Timer H ends it after 64*T1', async (t) => {
  const { transport, clock, layer, user, errors } = setup();
  const invite = request();
  const txn = arrive(transport, user, invite);
  txn.respond(responseTo(invite, 404, 'nf'));
  transport.take();
  const times = sendTimes(transport, clock, 40_000);
  t.same(times, [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  t.equal(layer.size, 0);
  t.ok(errors.includes('ack-timeout'));
});

t.test('INVITE 2xx over UDP: Accepted, 2xx retransmitted T1..T2 until the ACK matched by dialog', async (t) => {
  const { transport, clock, layer, user } = setup();
  const invite = request();
  const txn = arrive(transport, user, invite);
  transport.take();
  txn.respond(responseTo(invite, 200, 'ok1'));
  t.same(transport.take().map(label), ['200']);
  t.same(sendTimes(transport, clock, 4_000), [500, 1500, 3500], '13.3.1.4 schedule');
  transport.take();
  transport.deliver(request(), UAC);
  t.same(transport.take(), [], 'INVITE retransmission absorbed in Accepted (RFC 6026 7.1)');
  t.equal(user.requests.length, 1);

  const ack = ackFor2xx(invite, 'ok1');
  transport.deliver(ack, UAC);
  t.equal(user.acks.length, 1, 'the ACK for 2xx goes to the TU');
  t.equal(user.acks[0]?.req, ack);
  clock.advance(10_000);
  t.same(transport.take(), [], 'retransmission stopped');
  transport.deliver(ack, UAC);
  t.equal(user.acks.length, 2, 'every 2xx ACK reaches the TU (it is end-to-end)');
  t.equal(layer.size, 1, 'still Accepted until Timer L');
  clock.advance(22_000);
  t.equal(layer.size, 0, 'Timer L = 64*T1');
  t.same(user.ackTimeouts, []);
  transport.deliver(ack, UAC);
  t.equal(user.acks.length, 3, 'an ACK matching nothing still reaches the TU');
});

t.test('INVITE 2xx never ACKed: retransmitted every T2 until Timer L, then onAckTimeout', async (t) => {
  const { transport, clock, user, layer } = setup();
  const invite = request();
  const txn = arrive(transport, user, invite);
  txn.respond(responseTo(invite, 200, 'ok1'));
  transport.take();
  const times = sendTimes(transport, clock, 40_000);
  t.same(times, [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  t.same(user.ackTimeouts, [txn]);
  t.equal(layer.size, 0);
});

t.test('ACK with another To tag or CSeq does not stop the 2xx', async (t) => {
  const { transport, clock, user, layer } = setup();
  const invite = request();
  const txn = arrive(transport, user, invite);
  txn.respond(responseTo(invite, 200, 'ok1'));
  transport.take();
  transport.deliver(ackFor2xx(invite, 'other'), UAC);
  transport.deliver(request({ method: 'ACK', branch: 'z9hG4bKa2', cseq: 2, toTag: 'ok1' }), UAC);
  t.equal(user.acks.length, 2);
  clock.advance(500);
  t.same(transport.take().map(label), ['200'], 'still retransmitting');
  layer.close();
});

t.test('INVITE over TCP: no retransmission, responses on the connection, H still runs, I = 0', async (t) => {
  const { transport, clock, layer, user } = setup();
  const invite = request({ transport: 'TCP', viaPort: 5070 });
  const txn = arrive(transport, user, invite, UAC_TCP, 'tcp-3');
  t.equal(txn.connectionId, 'tcp-3');
  txn.respond(responseTo(invite, 486, 'b'));
  const sent = transport.take();
  t.same(sent.map(label), ['100', '486']);
  t.equal(sent[1]?.connectionId, 'tcp-3', 'on the request connection');
  t.same(sent[1]?.to, { address: '192.0.2.10', port: 5070, transport: 'tcp' }, 'fallback address: sent-by (18.2.2)');
  clock.advance(10_000);
  t.same(transport.take(), [], 'G not set on TCP');
  transport.deliver(request({ method: 'ACK', transport: 'TCP', toTag: 'b' }), UAC_TCP, 'tcp-3');
  t.equal(layer.size, 0, 'Confirmed and I = 0');

  const invite2 = request({ transport: 'TCP', branch: 'z9hG4bKt2' });
  const txn2 = arrive(transport, user, invite2, UAC_TCP, 'tcp-3');
  txn2.respond(responseTo(invite2, 480, 'c'));
  clock.advance(31_999);
  t.equal(layer.size, 1);
  clock.advance(1);
  t.equal(layer.size, 0, 'Timer H = 64*T1 on TCP too');

  const invite3 = request({ transport: 'TCP', branch: 'z9hG4bKt3' });
  const txn3 = arrive(transport, user, invite3, UAC_TCP, 'tcp-3');
  transport.take();
  txn3.respond(responseTo(invite3, 200, 'd'));
  clock.advance(20_000);
  t.same(transport.take().map(label), ['200'], 'no 2xx retransmission on TCP');
  clock.advance(12_000);
  t.same(user.ackTimeouts, [txn3], 'Timer L on TCP');
});

t.test('non-INVITE: absorbed while Trying, last response re-sent, Timer J then removal', async (t) => {
  const { transport, clock, layer, user } = setup();
  const options = request({ method: 'OPTIONS' });
  const txn = arrive(transport, user, options);
  t.same(transport.take(), [], 'no 100 for non-INVITE');
  transport.deliver(request({ method: 'OPTIONS' }), UAC);
  t.same(transport.take(), [], 'retransmission absorbed while Trying');
  txn.respond(responseTo(options, 100));
  transport.deliver(request({ method: 'OPTIONS' }), UAC);
  t.same(transport.take().map(label), ['100', '100'], 'Proceeding: last provisional again');
  txn.respond(responseTo(options, 200, 'o'));
  transport.deliver(request({ method: 'OPTIONS' }), UAC);
  t.same(transport.take().map(label), ['200', '200'], 'Completed: final again');
  txn.respond(responseTo(options, 500, 'o'));
  t.same(transport.take(), [], 'second final refused');
  t.equal(user.requests.length, 1);
  clock.advance(31_999);
  t.equal(layer.size, 1);
  t.same(transport.take(), [], 'a server never retransmits non-INVITE responses by itself');
  clock.advance(1);
  t.equal(layer.size, 0, 'Timer J = 64*T1 on UDP');
});

t.test('non-INVITE over TCP: J = 0', async (t) => {
  const { transport, layer, user } = setup();
  const bye = request({ method: 'BYE', transport: 'TCP', toTag: 'x' });
  const txn = arrive(transport, user, bye, UAC_TCP, 'tcp-1');
  txn.respond(responseTo(bye, 200));
  t.equal(layer.size, 0);
  t.equal(transport.take()[0]?.connectionId, 'tcp-1');
});

t.test('CANCEL gets its own transaction; findInvite finds the INVITE it refers to', async (t) => {
  const { transport, layer, user } = setup();
  const invite = request();
  const inviteTxn = arrive(transport, user, invite);
  inviteTxn.respond(responseTo(invite, 180, 'r'));
  transport.take();
  const cancel = request({ method: 'CANCEL' }); // same branch as the INVITE (9.1)
  const cancelTxn = arrive(transport, user, cancel);
  t.not(cancelTxn, inviteTxn);
  t.not(cancelTxn.id, inviteTxn.id);
  t.equal(user.requests[1]?.req.method, 'CANCEL');
  t.equal(layer.findInvite(cancel, UAC), inviteTxn);
  t.equal(layer.findInvite(request({ method: 'CANCEL', branch: 'z9hG4bKnone' }), UAC), null);
  t.equal(layer.findInvite(cancel, { ...UAC, address: '192.0.2.66' }), null, 'the same CANCEL from another address finds nothing');
  t.equal(layer.findInvite(cancel, { ...UAC, port: 5071 }), null, 'nor from another port of the same address');
  cancelTxn.respond(responseTo(cancel, 200, 'r'));
  t.same(transport.take().map(label), ['200']);
  transport.deliver(request({ method: 'CANCEL' }), UAC);
  t.same(transport.take().map(label), ['200'], 'CANCEL retransmission: the CANCEL 200, not the 180');
  transport.deliver(request(), UAC);
  t.same(transport.take().map(label), ['180'], 'INVITE retransmission: its own 180');
  inviteTxn.respond(responseTo(invite, 487, 'r'));
  t.same(transport.take().map(label), ['487']);
  t.equal(user.requests.length, 2);
  layer.close();
});

t.test('matching uses branch + sent-by + method (17.2.3)', async (t) => {
  const { transport, layer, user } = setup();
  arrive(transport, user, request({ method: 'OPTIONS' }));
  arrive(transport, user, request({ method: 'OPTIONS', viaHost: '192.0.2.99' }), { ...UAC, address: '192.0.2.99' });
  arrive(transport, user, request({ method: 'OPTIONS', viaPort: 5071 }));
  arrive(transport, user, request({ method: 'MESSAGE' }));
  t.equal(layer.size, 4, 'same branch, different sent-by or method: different transactions');
  transport.deliver(request({ method: 'OPTIONS', viaHost: '192.0.2.99' }), { ...UAC, address: '192.0.2.99' });
  t.equal(user.requests.length, 4);
  layer.close();
});

t.test('the transport source is part of the key: a squatter on another address or port does not own the branch', async (t) => {
  const { transport, layer, user } = setup();
  const squatter: Endpoint = { address: '192.0.2.66', port: 5070, transport: 'udp' };
  // Same branch, same sent-by, same method: only the source differs.
  arrive(transport, user, request(), squatter);
  arrive(transport, user, request(), UAC);
  arrive(transport, user, request(), { ...UAC, port: 5071 });
  arrive(transport, user, request(), UAC_TCP, 'tcp-1');
  t.equal(layer.size, 4, 'four sources, four transactions');
  transport.deliver(request(), UAC);
  t.equal(user.requests.length, 4, 'a retransmission from the same source is still absorbed');
  layer.close();
});

t.test('RFC 2543 key includes the source too', async (t) => {
  const { transport, layer, user } = setup();
  arrive(transport, user, request({ branch: 'old1' }), { ...UAC, address: '192.0.2.66' });
  arrive(transport, user, request({ branch: 'old1' }), UAC);
  t.equal(layer.size, 2);
  layer.close();
});

t.test('a non-2xx ACK from another source does not confirm the transaction', async (t) => {
  const { transport, clock, layer, user } = setup();
  const invite = request();
  const txn = arrive(transport, user, invite);
  txn.respond(responseTo(invite, 486, 'busy'));
  transport.take();
  transport.deliver(request({ method: 'ACK', toTag: 'busy' }), { ...UAC, address: '192.0.2.66' });
  t.equal(user.acks.length, 1, 'not absorbed: it is no ACK of this transaction, so the TU judges it');
  clock.advance(500);
  t.same(transport.take().map(label), ['486'], 'Timer G still retransmits the 486');
  transport.deliver(request({ method: 'ACK', toTag: 'busy' }), UAC);
  t.equal(user.acks.length, 1, 'the real ACK is absorbed');
  clock.advance(10_000);
  t.same(transport.take(), [], 'and stops the retransmissions');
  layer.close();
});

t.test('a 2xx ACK must come from the INVITE address; another port of it will do', async (t) => {
  const { transport, clock, layer, user } = setup();
  const invite = request();
  const txn = arrive(transport, user, invite);
  txn.respond(responseTo(invite, 200, 'ok1'));
  transport.take();
  transport.deliver(ackFor2xx(invite, 'ok1'), { ...UAC, address: '192.0.2.66' });
  t.equal(user.acks.length, 1, 'the ACK reaches the TU');
  t.equal(user.acks[0]?.source.address, '192.0.2.66', 'with its real source');
  clock.advance(500);
  t.same(transport.take().map(label), ['200'], 'but the 2xx is still retransmitted');
  transport.deliver(ackFor2xx(invite, 'ok1'), { ...UAC, port: 40999, transport: 'tcp' });
  clock.advance(10_000);
  t.same(transport.take(), [], 'the ACK from the INVITE address (new port, even TCP) stops it');
  layer.close();
});

t.test('RFC 2543 branches: retransmission and ACK matched by the legacy key', async (t) => {
  const { transport, clock, layer, user } = setup();
  const invite = request({ branch: 'old1' });
  const txn = arrive(transport, user, invite);
  transport.deliver(request({ branch: 'old1' }), UAC);
  t.equal(user.requests.length, 1, 'retransmission recognised');
  txn.respond(responseTo(invite, 486, 'b'));
  transport.deliver(request({ method: 'ACK', branch: 'old1', toTag: 'b' }), UAC);
  t.same(user.acks, [], 'ACK absorbed by its INVITE transaction');
  clock.advance(5_000);
  t.equal(layer.size, 0, 'Confirmed then Timer I');
  transport.deliver(request({ branch: 'old1', cseq: 2 }), UAC);
  t.equal(user.requests.length, 2, 'a new CSeq is a new transaction');
  layer.close();
});

t.test('responses go to received/rport from the annotated Via (18.2.2, RFC 3581)', async (t) => {
  const { transport, layer, user } = setup();
  const req = request({ method: 'OPTIONS' });
  req.headers[0] = { name: 'Via', value: 'SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKnat;rport=40000;received=198.51.100.7' };
  const txn = arrive(transport, user, req, { address: '198.51.100.7', port: 40000, transport: 'udp' });
  txn.respond(responseTo(req, 200));
  t.same(transport.take()[0]?.to, { address: '198.51.100.7', port: 40000, transport: 'udp' });
  layer.close();
});

t.test('TU may answer synchronously inside onRequest; TU errors are contained', async (t) => {
  const { transport, layer, user, errors } = setup();
  user.onNewRequest = (req, txn) => {
    txn.respond(responseTo(req, 200, 'sync'));
    if (req.method === 'MESSAGE') {
      throw new Error('TU bug');
    }
  };
  arrive(transport, user, request({ method: 'OPTIONS' }));
  t.same(transport.take().map(label), ['200']);
  t.doesNotThrow(() => arrive(transport, user, request({ method: 'MESSAGE', branch: 'z9hG4bKm' })));
  t.ok(errors.includes('tu-error'));
  arrive(transport, user, request({ method: 'OPTIONS', branch: 'z9hG4bKafter' }));
  t.equal(user.requests.length, 3, 'the layer keeps working');
  layer.close();
});

t.test('a response the transport cannot send ends the server transaction', async (t) => {
  const { transport, layer, user, errors } = setup();
  const req = request({ method: 'OPTIONS' });
  const txn = arrive(transport, user, req);
  transport.fail = new Error('EHOSTUNREACH');
  txn.respond(responseTo(req, 200));
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
  t.equal(layer.size, 0);
  t.ok(errors.includes('transport-error'));
});

t.test('stray responses go to onStrayResponse; close() stops every timer', async (t) => {
  const { transport, clock, layer, user } = setup();
  transport.deliver(responseTo(request({ branch: 'z9hG4bKnobody' }), 200, 'x'), UAC);
  t.equal(user.strays.length, 1);
  const invite = request();
  const txn = arrive(transport, user, invite);
  txn.respond(responseTo(invite, 200, 'a'));
  arrive(transport, user, request({ method: 'OPTIONS', branch: 'z9hG4bKo' }));
  t.ok(clock.pending > 0);
  layer.close();
  t.equal(clock.pending, 0);
  t.equal(layer.size, 0);
  transport.deliver(request({ method: 'OPTIONS', branch: 'z9hG4bKclosed' }), UAC);
  t.equal(user.requests.length, 2, 'ignored after close');
});
