/**
 * A whole dialog with an AS on TLS, on real sockets: as1 opens a call over its own TLS
 * connection (offering RFC 5923 alias for its sips: uri); the 200 it gets names the guard's
 * TLS address as Contact, its ACK over TLS reaches the core, and the core's BYE reaches it
 * over that same connection (nobody listens at its uri).
 */
import t from 'tap';
import { getHeader, getHeaderValues } from '../../src/sip/sip-headers.ts';
import type { SipHeader, SipRequest } from '../../src/sip/sip-message.ts';
import { offer, WEATHER } from '../helpers/sdp-builder.ts';
import { addrUri, inDialog, SipPeer } from '../helpers/sip-peer.ts';
import { AS1_IP, GUARD_IP, startTlsGuard } from './tls-lab.ts';
import { makeTestPki } from './test-pki.ts';
import { TlsSipPeer } from './tls-sip-peer.ts';

const pki = makeTestPki();
t.teardown(() => pki.remove());

t.test('a call an AS opens over TLS: Contact, ACK and the core\'s BYE all over TLS', async (t) => {
  const base = 37_500;
  const guard = await startTlsGuard(pki, { guard: base, callee: base + 2, as: base + 3 });
  const callee = await SipPeer.start('127.0.0.2', base + 2);
  const as1 = await TlsSipPeer.connect({ ip: AS1_IP, to: guard.tls, pair: pki.as1, ca: pki.ca });
  t.teardown(async () => {
    as1.close();
    callee.close();
    await guard.stop();
  });
  const via = as1.via(`as1.test:${base + 3}`, true);
  const headers: SipHeader[] = [
    { name: 'Via', value: via },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: '<sip:service@as1.test>;tag=as1-call' },
    { name: 'To', value: '<sip:+15550002222@ims.example.net>' },
    { name: 'Call-ID', value: 'tls-dialog' },
    { name: 'CSeq', value: '1 INVITE' },
    { name: 'Contact', value: `<sip:service@as1.test:${base + 3};transport=tls>` },
    { name: 'Content-Type', value: 'application/sdp' },
  ];
  as1.send({ kind: 'request', method: 'INVITE', uri: 'sip:+15550002222@ims.example.net', headers, body: offer({ channels: [WEATHER] }) });

  const atCallee = await callee.nextRequest('INVITE');
  callee.reply(atCallee, 200, 'OK', { toTag: 'callee', body: offer({ channels: [WEATHER], username: 'bob' }) });
  const ok = await as1.nextResponse((s) => s === 200);
  t.equal(getHeader(ok, 'Contact'), `<sip:${GUARD_IP}:${guard.tls.port};transport=tls>`, "the 200's Contact is the guard's TLS address");

  const ack: SipRequest = {
    kind: 'request',
    method: 'ACK',
    uri: addrUri(getHeader(ok, 'Contact')),
    headers: [
      { name: 'Via', value: as1.via(`as1.test:${base + 3}`, true) },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: getHeader(ok, 'From') ?? '' },
      { name: 'To', value: getHeader(ok, 'To') ?? '' },
      { name: 'Call-ID', value: 'tls-dialog' },
      { name: 'CSeq', value: '1 ACK' },
    ],
    body: '',
  };
  as1.send(ack);
  await callee.nextRequest('ACK');
  t.pass("as1's ACK over TLS reached the core");

  const bye = inDialog(
    callee,
    {
      callId: getHeader(atCallee, 'Call-ID') ?? '',
      localUri: `${getHeader(atCallee, 'To') ?? ''};tag=callee`,
      remoteUri: getHeader(atCallee, 'From') ?? '',
      remoteTarget: addrUri(getHeader(atCallee, 'Contact')),
    },
    { method: 'BYE', cseq: 1 },
  );
  callee.send(bye, guard.udp);
  const atAs = await as1.nextRequest('BYE');
  t.equal(atAs.socket, as1.sockets[0], "the core's BYE came over as1's own connection");
  t.match(getHeaderValues(atAs.message, 'Via')[0], /^SIP\/2\.0\/TLS /, 'with a TLS Via');
  as1.reply(atAs, 200, 'OK');
  t.equal((await callee.nextResponse(200, 'BYE')).status, 200, "as1's 200 to the BYE reaches the core");
});
