/** The transaction layer on real EmbeddedTransports over loopback: whole calls over UDP and TCP. */
import t from 'tap';
import type { SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import type { ServerTransaction } from '../../src/transaction/transaction-layer.ts';
import { TransactionLayer } from '../../src/transaction/transaction-layer.ts';
import { EmbeddedTransport } from '../../src/transport/embedded-transport.ts';
import type { Endpoint } from '../../src/transport/endpoint.ts';
import { RecordingClient, RecordingUser } from './fixtures/transaction-fakes.ts';
import { until } from '../transport/fixtures/loopback-peers.ts';

function echo(req: SipRequest, status: number, tag: string): SipResponse {
  return {
    kind: 'response',
    status,
    reason: status === 200 ? 'OK' : 'Ringing',
    headers: req.headers
      .filter((h) => ['Via', 'From', 'To', 'Call-ID', 'CSeq'].includes(h.name))
      .map((h) => (h.name === 'To' && !h.value.includes(';tag=') ? { name: 'To', value: `${h.value};tag=${tag}` } : h)),
    body: '',
  };
}

function build(method: string, transport: 'udp' | 'tcp', local: Endpoint, branch: string, cseq: number, toTag = ''): SipRequest {
  const msg = parseSipMessage(
    [
      `${method} sip:bob@127.0.0.2 SIP/2.0`,
      `Via: SIP/2.0/${transport.toUpperCase()} ${local.address}:${local.port};branch=${branch};rport`,
      'Max-Forwards: 70',
      'From: <sip:alice@example.com>;tag=alice',
      `To: <sip:bob@example.com>${toTag}`,
      `Call-ID: e2e-${transport}`,
      `CSeq: ${cseq} ${method}`,
      '',
      '',
    ].join('\r\n'),
  );
  return msg as SipRequest;
}


for (const transport of ['udp', 'tcp'] as const) {
  t.test(`a whole call over ${transport}: INVITE/100/180/200, ACK for 2xx, BYE/200`, async (t) => {
    const errors: string[] = [];
    const uacTransport = new EmbeddedTransport({ listen: [{ transport, host: '127.0.0.1', port: 0 }], onError: (e) => errors.push(`uac ${e.kind} ${e.detail}`) });
    const uasTransport = new EmbeddedTransport({ listen: [{ transport, host: '127.0.0.2', port: 0 }], onError: (e) => errors.push(`uas ${e.kind} ${e.detail}`) });
    await uacTransport.start();
    await uasTransport.start();
    const uasUser = new RecordingUser();
    uasUser.onNewRequest = (req: SipRequest, txn: ServerTransaction): void => {
      if (req.method === 'INVITE') {
        txn.respond(echo(req, 180, 'bob'));
        setTimeout(() => txn.respond(echo(req, 200, 'bob')), 20);
      } else {
        txn.respond(echo(req, 200, 'bob'));
      }
    };
    const uas = new TransactionLayer(uasTransport, uasUser, { onError: (e) => errors.push(`uas ${e.kind} ${e.detail}`) });
    const uac = new TransactionLayer(uacTransport, new RecordingUser(), { onError: (e) => errors.push(`uac ${e.kind} ${e.detail}`) });
    t.teardown(async () => {
      uac.close();
      uas.close();
      await uacTransport.close();
      await uasTransport.close();
    });
    const local = uacTransport.localEndpoints[0];
    const remote = uasTransport.localEndpoints[0];
    if (local === undefined || remote === undefined) {
      return;
    }

    const inviteTu = new RecordingClient();
    uac.request(build('INVITE', transport, local, 'z9hG4bKe2e-inv', 1), remote, inviteTu);
    await until(() => inviteTu.events.includes('200'), 'the 200');
    t.same(inviteTu.events, ['100', '180', '200']);
    t.equal(uasUser.requests.length, 1);
    const serverTxn = uasUser.requests[0]?.txn;
    t.equal(serverTxn?.source.transport, transport);
    t.equal(serverTxn?.connectionId === null, transport === 'udp', 'connection id only on TCP');

    uac.sendStateless(build('ACK', transport, local, 'z9hG4bKe2e-ack', 1, ';tag=bob'), remote);
    await until(() => uasUser.acks.length === 1, 'the ACK');

    const byeTu = new RecordingClient();
    uac.request(build('BYE', transport, local, 'z9hG4bKe2e-bye', 2, ';tag=bob'), remote, byeTu);
    await until(() => byeTu.events.includes('200'), 'the BYE 200');
    t.same(byeTu.events, ['200']);
    t.equal(uasUser.requests.length, 2, 'no retransmission reached the TU');
    if (transport === 'tcp') {
      t.equal(uac.size, 1, 'TCP: only the INVITE client transaction (Accepted, Timer M) remains');
      t.equal(uas.size, 1, 'TCP: only the INVITE server transaction (Accepted, Timer L) remains');
    }
    t.same(errors, []);
  });
}
