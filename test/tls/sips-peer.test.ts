/**
 * Toward a sips: peer, on real sockets: the guard connects over TLS, presents its own
 * certificate, and sends only when the peer's certificate names the host of the peer's uri
 * (RFC 5922 7.2); what it writes about itself says TLS (Via, Contact, its Route entry). A peer
 * presenting a certificate for another name is refused in the handshake and the caller gets
 * 503. A connection the peer opened with `alias` (RFC 5923) carries the guard's requests back
 * to it, but only when its certificate names the Via's sent-by.
 */
import t from 'tap';
import type { Test } from 'tap';
import { getHeader, getHeaderValues } from '../../src/sip/sip-headers.ts';
import type { SipHeader, SipRequest } from '../../src/sip/sip-message.ts';
import { offer, WEATHER } from '../helpers/sdp-builder.ts';
import { dialogRequest, SipPeer } from '../helpers/sip-peer.ts';
import { AS1_IP, AS2_IP, GUARD_IP, startTlsGuard } from './tls-lab.ts';
import type { TlsGuard } from './tls-lab.ts';
import { makeTestPki } from './test-pki.ts';
import { TlsSipPeer } from './tls-sip-peer.ts';

const pki = makeTestPki();
t.teardown(() => pki.remove());

let nextPort = 37_000;

interface Lab {
  readonly guard: TlsGuard;
  readonly caller: SipPeer;
  readonly callee: SipPeer;
  readonly asPort: number;
}

async function lab(tt: Test): Promise<Lab> {
  const base = nextPort;
  nextPort += 10;
  const guard = await startTlsGuard(pki, { guard: base, callee: base + 2, as: base + 3 });
  const caller = await SipPeer.start('127.0.0.3', base + 4);
  const callee = await SipPeer.start('127.0.0.2', base + 2);
  tt.teardown(async () => {
    caller.close();
    callee.close();
    await guard.stop();
  });
  return { guard, caller, callee, asPort: base + 3 };
}

/** The core hands a call to `asId` through the guard (`;as=`). */
function handToAs(l: Lab, asId: string, callId: string): SipRequest {
  const invite = dialogRequest(l.caller, {
    uri: 'sip:+15550002222@ims.example.net',
    callId,
    route: [`<sip:${GUARD_IP}:${l.guard.udp.port};lr;as=${asId}>`, `<sip:127.0.0.2:${l.callee.port};lr>`],
    body: offer({ channels: [WEATHER] }),
  });
  l.caller.send(invite, l.guard.udp);
  return invite;
}

t.test('a sips: peer is reached over TLS, its name verified, the guard presenting its certificate and writing TLS about itself', async (tt) => {
  const l = await lab(tt);
  const as1 = await TlsSipPeer.listen({ ip: AS1_IP, port: l.asPort, pair: pki.as1, ca: pki.ca });
  tt.teardown(() => as1.close());
  handToAs(l, 'as1', 'sips-1');
  const got = await as1.nextRequest('INVITE');
  tt.equal(got.socket.authorized, true, 'the guard presented a certificate from the CA');
  tt.match(got.socket.getPeerCertificate().subjectaltname, /DNS:guard\.test/, "and it is the guard's");
  const via = getHeaderValues(got.message, 'Via')[0] ?? '';
  tt.match(via, new RegExp(`^SIP/2\\.0/TLS ${GUARD_IP.replace(/\./g, '\\.')}:${l.guard.tls.port};`), 'top Via: TLS and the TLS port');
  tt.match(via, /;alias(;|$)/, 'with alias (RFC 5923)');
  tt.equal(getHeader(got.message, 'Contact'), `<sip:${GUARD_IP}:${l.guard.tls.port};transport=tls>`, 'Contact: the TLS address');
  const routes = getHeaderValues(got.message, 'Route').join(',');
  tt.match(routes, new RegExp(`<sip:${GUARD_IP.replace(/\./g, '\\.')}:${l.guard.tls.port};transport=tls;lr;dcg=`), "the guard's own Route entry: over TLS");
  tt.notOk(routes.includes(`:${l.guard.udp.port};`), 'no cleartext way back in it');

  as1.reply(got, 486, 'Busy Here', { toTag: 'as1' });
  const back = await l.caller.nextResponse((s) => s >= 300, 'INVITE');
  tt.equal(back.status, 486, "the AS's answer over TLS is taken as as1's and reaches the caller");
});

t.test('a sips: peer whose certificate names another host is refused; the caller gets 503', async (tt) => {
  const l = await lab(tt);
  // Listens where as1.test resolves, with as2's certificate (CA-signed, but for as2.test).
  const wrong = await TlsSipPeer.listen({ ip: AS1_IP, port: l.asPort, pair: pki.as2, ca: pki.ca });
  tt.teardown(() => wrong.close());
  handToAs(l, 'as1', 'sips-wrong-name');
  const back = await l.caller.nextResponse((s) => s >= 300, 'INVITE');
  tt.equal(back.status, 503, '503: no cleartext or wrong-name fallback');
  tt.equal(wrong.received.length, 0, 'the impostor got nothing');
});

/** as2 opens a connection from its address and sends an OPTIONS whose Via claims `sentBy`. */
async function as2Announces(l: Lab, pair: typeof pki.as1, sentBy: string, alias: boolean): Promise<TlsSipPeer> {
  const peer = await TlsSipPeer.connect({ ip: AS2_IP, to: l.guard.tls, pair, ca: pki.ca });
  const headers: SipHeader[] = [
    { name: 'Via', value: peer.via(sentBy, alias) },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: '<sip:as2@as2.test>;tag=ping' },
    { name: 'To', value: '<sip:ims.example.net>' },
    { name: 'Call-ID', value: `announce-${sentBy}-${String(alias)}` },
    { name: 'CSeq', value: '1 OPTIONS' },
  ];
  peer.send({ kind: 'request', method: 'OPTIONS', uri: 'sip:ims.example.net', headers, body: '' });
  // Once the guard has acted on it (forwarded to the core), the connection is registered.
  await l.callee.nextRequest('OPTIONS');
  return peer;
}

t.test('connection reuse (RFC 5923): a request toward a TLS peer goes over the connection it opened with alias', async (tt) => {
  const l = await lab(tt);
  // Nobody listens at as2.test:asPort: only the peer's own connection can carry the INVITE.
  const as2 = await as2Announces(l, pki.as2, `as2.test:${l.asPort}`, true);
  tt.teardown(() => as2.close());
  handToAs(l, 'as2', 'reuse-1');
  const got = await as2.nextRequest('INVITE');
  tt.equal(got.socket, as2.sockets[0], "the INVITE came over as2's own connection");
  as2.reply(got, 486, 'Busy Here', { toTag: 'as2' });
  tt.equal((await l.caller.nextResponse((s) => s >= 300, 'INVITE')).status, 486, 'and its answer on that connection is taken as the answer');
});

t.test('without alias, or with a sent-by its certificate does not name, the connection is not reused', async (tt) => {
  const l = await lab(tt);
  const plain = await as2Announces(l, pki.as2, `as2.test:${l.asPort}`, false);
  tt.teardown(() => plain.close());
  handToAs(l, 'as2', 'reuse-no-alias');
  tt.equal((await l.caller.nextResponse((s) => s >= 300, 'INVITE')).status, 503, 'no alias: a new connection is tried, nobody answers: 503');
  tt.equal(plain.received.filter((r) => r.message.kind === 'request').length, 0, 'and nothing came over the unaliased connection');
});

t.test('an alias claimed for a host the certificate does not name is ignored', async (tt) => {
  const l = await lab(tt);
  // as1's certificate from as2's address, claiming to be as2.test: as1, and no alias for as2.
  const claimer = await as2Announces(l, pki.as1, `as2.test:${l.asPort}`, true);
  tt.teardown(() => claimer.close());
  handToAs(l, 'as2', 'reuse-claimed');
  tt.equal((await l.caller.nextResponse((s) => s >= 300, 'INVITE')).status, 503, "as2's INVITE does not go to as1's connection: 503");
  tt.equal(claimer.received.filter((r) => r.message.kind === 'request').length, 0, 'as1 got none of it');
});

t.test('the AS loop over TLS: as1 brings the call back through the guard on the connection the guard opened', async (tt) => {
  const l = await lab(tt);
  const as1 = await TlsSipPeer.listen({ ip: AS1_IP, port: l.asPort, pair: pki.as1, ca: pki.ca });
  tt.teardown(() => as1.close());
  handToAs(l, 'as1', 'loop-tls');
  const got = await as1.nextRequest('INVITE');
  const routes = getHeaderValues(got.message, 'Route').flatMap((v) => v.split(/,(?=\s*<)/).map((r) => r.trim()));
  const onward = routes.slice(1);
  // The AS's own INVITE, over the guard's connection (its Via offered alias), along the rest of the route.
  const back: SipRequest = {
    kind: 'request',
    method: 'INVITE',
    uri: got.message.uri,
    headers: [
      { name: 'Via', value: `SIP/2.0/TLS as1.test:${l.asPort};branch=${as1.branch()}` },
      { name: 'Max-Forwards', value: '69' },
      ...onward.map((value) => ({ name: 'Route', value })),
      { name: 'From', value: '<sip:service@as1.test>;tag=as1-back' },
      { name: 'To', value: getHeader(got.message, 'To') ?? '' },
      { name: 'Call-ID', value: 'loop-tls-back' },
      { name: 'CSeq', value: '1 INVITE' },
      { name: 'Contact', value: `<sip:service@as1.test:${l.asPort};transport=tls>` },
      { name: 'Content-Type', value: 'application/sdp' },
    ],
    body: got.message.body,
  };
  as1.send(back, got.socket);
  const atCallee = await l.callee.nextRequest('INVITE');
  tt.match(atCallee.body, /com\.example\.weather/, 'the call reached the callee, with its granted channel');
  tt.ok(onward[0]?.includes(';transport=tls;'), "the token entry the AS followed was the guard's TLS address");
});

t.test('reuse by certificate: a connection offered with alias from another address than the uri resolves to serves that uri', async (tt) => {
  const l = await lab(tt);
  // as1 (known by certificate only) connects from an address its uri does not resolve to (NAT, a pool).
  const as1 = await TlsSipPeer.connect({ ip: '127.0.0.79', to: l.guard.tls, pair: pki.as1, ca: pki.ca });
  tt.teardown(() => as1.close());
  const headers: SipHeader[] = [
    { name: 'Via', value: as1.via(`as1.test:${l.asPort}`, true) },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: '<sip:as1@as1.test>;tag=ping' },
    { name: 'To', value: '<sip:ims.example.net>' },
    { name: 'Call-ID', value: 'announce-as1' },
    { name: 'CSeq', value: '1 OPTIONS' },
  ];
  as1.send({ kind: 'request', method: 'OPTIONS', uri: 'sip:ims.example.net', headers, body: '' });
  await l.callee.nextRequest('OPTIONS');
  handToAs(l, 'as1', 'reuse-by-cert');
  const got = await as1.nextRequest('INVITE');
  tt.equal(got.socket, as1.sockets[0], "the INVITE to sips:as1.test came over as1's own connection");
  as1.reply(got, 486, 'Busy Here', { toTag: 'as1' });
  tt.equal((await l.caller.nextResponse((s) => s >= 300, 'INVITE')).status, 486, 'and its answer is taken');
});
