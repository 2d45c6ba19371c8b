/**
 * Transactions bound to their transport source, on real sockets over loopback: a peer on another
 * address that copies a victim's branch, sent-by and dialog identifiers (all predictable or
 * visible in a trace) can neither swallow the victim's requests (RFC 3261 17.2.3 squatting), nor
 * end or confirm the victim's transactions with CANCEL or ACK, nor answer the guard's requests.
 */
import { Buffer } from 'node:buffer';
import t, { type Test } from 'tap';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { serializeSipMessage } from '../../src/sip/sip-serializer.ts';
import type { ServerTransaction } from '../../src/transaction/transaction-layer.ts';
import { TransactionLayer } from '../../src/transaction/transaction-layer.ts';
import type { Endpoint } from '../../src/transport/endpoint.ts';
import { EmbeddedTransport } from '../../src/transport/embedded-transport.ts';
import { RawTcp, RawUdp, until } from '../transport/fixtures/loopback-peers.ts';
import { RecordingClient, RecordingUser } from './fixtures/transaction-fakes.ts';

/** Short T1 so Timer G and the 2xx retransmissions come quickly (T1, 2*T1, 4*T1, ...). */
const T1 = 40;

interface Spec {
  readonly method?: string;
  readonly sentBy: string;
  readonly branch: string;
  readonly callId: string;
  readonly cseq?: number;
  readonly toTag?: string;
  readonly transport?: 'UDP' | 'TCP';
}

/** A request as a client writes it; `;rport` so each answer goes back to the real source port. */
function raw(spec: Spec): string {
  const method = spec.method ?? 'INVITE';
  return [
    `${method} sip:guard@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/${spec.transport ?? 'UDP'} ${spec.sentBy};branch=${spec.branch};rport`,
    'Max-Forwards: 70',
    'From: <sip:victim@example.com>;tag=victim-tag',
    `To: <sip:guard@example.com>${spec.toTag === undefined ? '' : `;tag=${spec.toTag}`}`,
    `Call-ID: ${spec.callId}`,
    `CSeq: ${spec.cseq ?? 1} ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function answer(req: SipRequest, status: number, toTag: string): SipResponse {
  return {
    kind: 'response',
    status,
    reason: 'Test',
    headers: req.headers
      .filter((h) => ['Via', 'From', 'To', 'Call-ID', 'CSeq'].includes(h.name))
      .map((h) => (h.name === 'To' && !h.value.includes(';tag=') ? { name: 'To', value: `${h.value};tag=${toTag}` } : h)),
    body: '',
  };
}

function statusOf(text: string): number {
  const m = parseSipMessage(text);
  return m.kind === 'response' ? m.status : 0;
}

function isStatus(status: number): (text: string) => boolean {
  return (text) => text.startsWith(`SIP/2.0 ${status} `);
}

function header(msg: SipMessage, name: string): string | undefined {
  return msg.headers.find((h) => h.name === name)?.value;
}


/** The victim on 127.0.0.2 and the attacker on 127.0.0.3, raw UDP, closed at the end of `t`. */
async function victimAndAttacker(t: Test): Promise<{ victim: RawUdp; attacker: RawUdp }> {
  const victim = await RawUdp.bind('127.0.0.2');
  const attacker = await RawUdp.bind('127.0.0.3');
  t.teardown(() => {
    victim.close();
    attacker.close();
  });
  return { victim, attacker };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Guard {
  readonly transport: EmbeddedTransport;
  readonly layer: TransactionLayer;
  readonly user: RecordingUser;
  readonly errors: string[];
  readonly udp: Endpoint;
  readonly tcp: Endpoint;
}

async function startGuard(t: { teardown(fn: () => Promise<void>): void }): Promise<Guard> {
  const errors: string[] = [];
  const transport = new EmbeddedTransport({
    listen: [
      { transport: 'udp', host: '127.0.0.1', port: 0 },
      { transport: 'tcp', host: '127.0.0.1', port: 0 },
    ],
    onError: (e) => errors.push(`transport ${e.kind} ${e.detail}`),
  });
  await transport.start();
  const user = new RecordingUser();
  const layer = new TransactionLayer(transport, user, { timers: { T1 }, onError: (e) => errors.push(e.kind) });
  t.teardown(async () => {
    layer.close();
    await transport.close();
  });
  const [udp, tcp] = transport.localEndpoints;
  if (udp === undefined || tcp === undefined) {
    throw new Error('guard did not bind');
  }
  return { transport, layer, user, errors, udp, tcp };
}

t.test('UDP: an INVITE squatting on the victim branch and sent-by does not swallow the real one', async (t) => {
  const guard = await startGuard(t);
  const { victim, attacker } = await victimAndAttacker(t);
  const copy = raw({ sentBy: `127.0.0.2:${victim.port}`, branch: 'z9hG4bKpredictable', callId: 'squat-1' });

  await attacker.send(copy, guard.udp.port, '127.0.0.1');
  t.equal(statusOf(await attacker.receive()), 100, 'the squatter gets its own 100 Trying');
  await victim.send(copy, guard.udp.port, '127.0.0.1');
  t.equal(statusOf(await victim.receive()), 100, 'the victim is not taken for a retransmission: 100 Trying');

  t.equal(guard.user.requests.length, 2, 'the TU sees both INVITEs as new requests');
  const [first, second] = guard.user.requests;
  t.same(first?.txn.source, { address: '127.0.0.3', port: attacker.port, transport: 'udp' });
  t.same(second?.txn.source, { address: '127.0.0.2', port: victim.port, transport: 'udp' });
  t.not(first?.txn.id, second?.txn.id);
  if (first === undefined || second === undefined) {
    return;
  }
  second.txn.respond(answer(second.req, 180, 'v'));
  first.txn.respond(answer(first.req, 486, 'a'));
  t.equal(statusOf((await victim.receiveMatching((d) => !isStatus(100)(d))).data), 180, 'the victim gets its 180');
  t.equal(statusOf((await attacker.receiveMatching((d) => !isStatus(100)(d))).data), 486, 'the squatter gets its 486');

  // A retransmission from each source goes to its own transaction.
  await victim.send(copy, guard.udp.port, '127.0.0.1');
  t.equal(statusOf((await victim.receiveMatching(isStatus(180))).data), 180, 'victim retransmission: its own 180 again');
  t.equal(guard.user.requests.length, 2, 'no retransmission reached the TU');
  t.same(
    guard.errors.filter((e) => e !== 'ack-timeout'),
    [],
  );
});

t.test('TCP: the same squatting, each INVITE answered on its own connection', async (t) => {
  const guard = await startGuard(t);
  const victim = await RawTcp.connect(guard.tcp.port, '127.0.0.1', '127.0.0.2');
  const attacker = await RawTcp.connect(guard.tcp.port, '127.0.0.1', '127.0.0.3');
  t.teardown(() => {
    victim.destroy();
    attacker.destroy();
  });
  const copy = raw({ sentBy: '127.0.0.2:5060', branch: 'z9hG4bKpredictable', callId: 'squat-tcp', transport: 'TCP' });
  await attacker.write(copy);
  await attacker.until((d) => d.includes('SIP/2.0 100 '), 'the squatter 100');
  await victim.write(copy);
  await victim.until((d) => d.includes('SIP/2.0 100 '), 'the victim 100');
  await until(() => guard.user.requests.length === 2, 'both INVITEs at the TU');
  const [first, second] = guard.user.requests;
  t.not(first?.txn.connectionId, second?.txn.connectionId);
  if (first === undefined || second === undefined) {
    return;
  }
  second.txn.respond(answer(second.req, 180, 'v'));
  first.txn.respond(answer(first.req, 486, 'a'));
  await victim.until((d) => d.includes('SIP/2.0 180 '), 'the victim 180');
  await attacker.until((d) => d.includes('SIP/2.0 486 '), 'the squatter 486');
  t.notOk(victim.data.includes('SIP/2.0 486 '), 'the victim never sees the squatter answer');
  t.notOk(attacker.data.includes('SIP/2.0 180 '), 'nor the squatter the victim answer');
});

t.test('UDP: CANCEL and ACK copying the victim identifiers from another address do not touch its transactions', async (t) => {
  const guard = await startGuard(t);
  const { victim, attacker } = await victimAndAttacker(t);
  const cancelFound: Array<ServerTransaction | null> = [];
  guard.user.onNewRequest = (req, txn) => {
    if (req.method === 'CANCEL') {
      cancelFound.push(guard.layer.findInvite(req, txn.source));
      txn.respond(answer(req, 200, 'c'));
    }
  };
  const sentBy = `127.0.0.2:${victim.port}`;
  const send = async (from: RawUdp, spec: Omit<Spec, 'sentBy'>): Promise<void> => from.send(raw({ sentBy, ...spec }), guard.udp.port, '127.0.0.1');

  // INVITE 1: rejected later with 487, so its ACK belongs to the INVITE transaction (17.2.1).
  await send(victim, { branch: 'z9hG4bKinv1', callId: 'cancel-ack' });
  await victim.receiveMatching(isStatus(100));
  const invite1 = guard.user.requests[0];
  if (invite1 === undefined) {
    t.fail('no INVITE at the TU');
    return;
  }
  invite1.txn.respond(answer(invite1.req, 180, 'v1'));
  await victim.receiveMatching(isStatus(180));

  await send(attacker, { method: 'CANCEL', branch: 'z9hG4bKinv1', callId: 'cancel-ack' });
  await attacker.receiveMatching(isStatus(200));
  t.same(cancelFound, [null], "the attacker's CANCEL finds no INVITE (the TU answers it 481)");
  await send(victim, { method: 'CANCEL', branch: 'z9hG4bKinv1', callId: 'cancel-ack' });
  await victim.receiveMatching(isStatus(200));
  t.equal(cancelFound[1], invite1.txn, "the victim's own CANCEL finds its INVITE");

  invite1.txn.respond(answer(invite1.req, 487, 'v1'));
  await victim.receiveMatching(isStatus(487));
  await send(attacker, { method: 'ACK', branch: 'z9hG4bKinv1', callId: 'cancel-ack', toTag: 'v1' });
  await until(() => guard.user.acks.length === 1, "the attacker's ACK at the TU");
  t.equal(guard.user.acks[0]?.source.address, '127.0.0.3', 'not absorbed by the INVITE transaction: it is the TU to judge');
  await sleep(T1 / 2);
  victim.drain();
  t.equal(statusOf((await victim.receiveMatching(isStatus(487))).data), 487, "after the attacker's ACK the 487 is still retransmitted (Timer G)");
  await send(victim, { method: 'ACK', branch: 'z9hG4bKinv1', callId: 'cancel-ack', toTag: 'v1' });
  await sleep(T1);
  victim.drain();
  t.ok(await victim.silent(8 * T1), "the victim's ACK stops it");

  // INVITE 2: accepted; its ACK is a new transaction matched by dialog and source address (13.2.2.4).
  await send(victim, { branch: 'z9hG4bKinv2', callId: 'cancel-ack', cseq: 2, toTag: 'v1' });
  await victim.receiveMatching(isStatus(100));
  const invite2 = guard.user.requests.find((r) => r.req.method === 'INVITE' && header(r.req, 'CSeq') === '2 INVITE');
  if (invite2 === undefined) {
    t.fail('no re-INVITE at the TU');
    return;
  }
  invite2.txn.respond(answer(invite2.req, 200, 'v1'));
  await victim.receiveMatching(isStatus(200));
  await send(attacker, { method: 'ACK', branch: 'z9hG4bKack-forged', callId: 'cancel-ack', cseq: 2, toTag: 'v1' });
  await until(() => guard.user.acks.length === 2, "the attacker's ACK at the TU");
  t.equal(guard.user.acks[1]?.source.address, '127.0.0.3', 'the TU gets it with its real source, to judge');
  await sleep(T1 / 2);
  victim.drain();
  t.equal(statusOf((await victim.receiveMatching(isStatus(200))).data), 200, 'the 2xx is still retransmitted');
  await send(victim, { method: 'ACK', branch: 'z9hG4bKack-real', callId: 'cancel-ack', cseq: 2, toTag: 'v1' });
  await until(() => guard.user.acks.length === 3, "the victim's ACK at the TU");
  await sleep(T1);
  victim.drain();
  t.ok(await victim.silent(8 * T1), "the victim's ACK stops the 2xx retransmissions");
});

t.test('UDP: a forged response from another address is not given to the client transaction', async (t) => {
  const guard = await startGuard(t);
  const destination = await RawUdp.bind('127.0.0.2');
  const attacker = await RawUdp.bind('127.0.0.3');
  t.teardown(() => {
    destination.close();
    attacker.close();
  });
  const request = parseSipMessage(
    raw({ sentBy: `127.0.0.1:${guard.udp.port}`, branch: 'z9hG4bKguard-out-1', callId: 'forged-486' }).replace(';rport', ''),
  ) as SipRequest;
  const tu = new RecordingClient();
  guard.layer.request(request, { address: '127.0.0.2', port: destination.port, transport: 'udp' }, tu);
  const sent = parseSipMessage(await destination.receive());
  if (sent.kind !== 'request') {
    t.fail('the destination did not get the INVITE');
    return;
  }
  // The attacker knows (or guessed) the branch: a 486 with every identifier right.
  const forged = Buffer.from(serializeSipMessage(answer(sent, 486, 'forged')));
  await attacker.send(forged, guard.udp.port, '127.0.0.1');
  await until(() => guard.user.strays.length === 1, 'the forged 486 as a stray');
  t.same(tu.events, [], 'the TU did not get the 486');
  t.same(guard.user.straySources[0], { address: '127.0.0.3', port: attacker.port, transport: 'udp' });
  t.ok(guard.errors.includes('wrong-source-response'));
  t.ok(await attacker.silent(100), 'and no ACK went to the forger');

  await destination.send(serializeSipMessage(answer(sent, 200, 'real')), guard.udp.port, '127.0.0.1');
  await until(() => tu.events.length === 1, 'the real 200');
  t.same(tu.events, ['200'], 'the real 200 from the destination is delivered');
  t.same(tu.sources, [{ address: '127.0.0.2', port: destination.port, transport: 'udp' }], 'with its source');
});

t.test('TCP: a response on another connection, even from the destination host, is refused', async (t) => {
  const guard = await startGuard(t);
  const destErrors: string[] = [];
  const dest = new EmbeddedTransport({ listen: [{ transport: 'tcp', host: '127.0.0.2', port: 0 }], onError: (e) => destErrors.push(e.kind) });
  await dest.start();
  const received: Array<{ req: SipRequest; connectionId: string | null }> = [];
  dest.onMessage((m) => {
    if (m.message.kind === 'request') {
      received.push({ req: m.message, connectionId: m.connectionId });
    }
  });
  const fromDestHost = await RawTcp.connect(guard.tcp.port, '127.0.0.1', '127.0.0.2');
  const fromAttacker = await RawTcp.connect(guard.tcp.port, '127.0.0.1', '127.0.0.3');
  t.teardown(async () => {
    fromDestHost.destroy();
    fromAttacker.destroy();
    await dest.close();
  });
  const destEnd = dest.localEndpoints[0];
  if (destEnd === undefined) {
    return;
  }
  const request = parseSipMessage(
    raw({ method: 'OPTIONS', sentBy: `127.0.0.1:${guard.tcp.port}`, branch: 'z9hG4bKguard-out-tcp', callId: 'forged-tcp', transport: 'TCP' }).replace(';rport', ''),
  ) as SipRequest;
  const tu = new RecordingClient();
  guard.layer.request(request, destEnd, tu);
  await until(() => received.length === 1, 'the OPTIONS at the destination');
  const sent = received[0]?.req;
  if (sent === undefined) {
    return;
  }
  await fromAttacker.write(serializeSipMessage(answer(sent, 486, 'forged')));
  await fromDestHost.write(serializeSipMessage(answer(sent, 486, 'forged')));
  await until(() => guard.user.strays.length === 2, 'both forgeries as strays');
  t.same(tu.events, [], 'neither reached the TU');
  t.same(
    guard.errors.filter((e) => e === 'wrong-source-response'),
    ['wrong-source-response', 'wrong-source-response'],
  );
  await dest.send(answer(sent, 200, 'real'), { address: '127.0.0.1', port: guard.tcp.port, transport: 'tcp' }, received[0]?.connectionId ?? null);
  await until(() => tu.events.length === 1, 'the real 200');
  t.same(tu.events, ['200'], 'the 200 on the request connection is delivered');
  t.same(destErrors, []);
});

