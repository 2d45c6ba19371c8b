/**
 * Peers recognised by their TLS certificate, on real sockets: a certificate peer is who its
 * verified certificate says from whatever address; a peer that needs both its address and
 * its certificate needs both; an address alone, or a certificate from another CA, is nobody.
 * "Recognised" is observed by what the guard does: the AS's grants apply to its offer (the
 * granted weather channel reaches the callee, the ungranted ads channel does not), while an
 * unknown sender gets 403 (unknown_peers: reject).
 */
import t from 'tap';
import type { Test } from 'tap';
import type { SipHeader, SipRequest } from '../../src/sip/sip-message.ts';
import { ADS, offer, WEATHER } from '../helpers/sdp-builder.ts';
import { SipPeer } from '../helpers/sip-peer.ts';
import { AS2_IP, decisionsOf, startTlsGuard } from './tls-lab.ts';
import type { TlsGuard } from './tls-lab.ts';
import { makeTestPki } from './test-pki.ts';
import { TlsSipPeer } from './tls-sip-peer.ts';

const pki = makeTestPki();
t.teardown(() => pki.remove());

let nextPort = 36_000;

async function lab(tt: Test): Promise<{ guard: TlsGuard; callee: SipPeer }> {
  const base = nextPort;
  nextPort += 10;
  const guard = await startTlsGuard(pki, { guard: base, callee: base + 2, as: base + 3 });
  const callee = await SipPeer.start('127.0.0.2', base + 2);
  tt.teardown(async () => {
    callee.close();
    await guard.stop();
  });
  return { guard, callee };
}

/** An AS-initiated INVITE offering a granted (weather) and an ungranted (ads) channel. */
function asInvite(via: string, callId: string): SipRequest {
  const headers: SipHeader[] = [
    { name: 'Via', value: via },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: '<sip:service@as.example>;tag=as-tag' },
    { name: 'To', value: '<sip:+15550002222@ims.example.net>' },
    { name: 'Call-ID', value: callId },
    { name: 'CSeq', value: '1 INVITE' },
    { name: 'Contact', value: '<sip:service@as.example;transport=tls>' },
    { name: 'Content-Type', value: 'application/sdp' },
  ];
  return { kind: 'request', method: 'INVITE', uri: 'sip:+15550002222@ims.example.net', headers, body: offer({ channels: [WEATHER, ADS] }) };
}

/** Who the guard said the last INVITE it let through came from. */
function lastInviteFrom(guard: TlsGuard): unknown {
  return decisionsOf(guard.logs).filter((d) => d.message === 'INVITE' && d.action !== 'reject').at(-1)?.from;
}

t.test('a certificate peer is recognised by its certificate from an address it never declared', async (tt) => {
  const { guard, callee } = await lab(tt);
  const as1 = await TlsSipPeer.connect({ ip: '127.0.0.77', to: guard.tls, pair: pki.as1, ca: pki.ca });
  tt.teardown(() => as1.close());
  as1.send(asInvite(as1.via(), 'cert-1'));
  const atCallee = await callee.nextRequest('INVITE');
  tt.match(atCallee.body, /com\.example\.weather/, 'its grant applies: the weather channel reaches the core');
  tt.notMatch(atCallee.body, /com\.example\.ads/, 'and it is policed as untrusted: the ungranted ads channel does not');
  tt.equal(lastInviteFrom(guard), 'as1', 'the decision names as1');
});

t.test('a peer that needs address and certificate: both accepted, either alone refused', async (tt) => {
  const { guard, callee } = await lab(tt);

  // Its address over UDP, no certificate: nobody.
  const udp = await SipPeer.start(AS2_IP, nextPort - 10 + 5);
  tt.teardown(() => udp.close());
  udp.send(asInvite(udp.via(), 'both-udp'), guard.udp);
  const refused = await udp.nextResponse((s) => s >= 300, 'INVITE');
  tt.equal(refused.status, 403, 'its address alone over UDP: 403');
  tt.ok(
    decisionsOf(guard.logs).some((d) => JSON.stringify(d.reasons).includes('peer.unknown')),
    'refused as an unknown peer',
  );

  // Its certificate from another address: nobody.
  const elsewhere = await TlsSipPeer.connect({ ip: '127.0.0.7', to: guard.tls, pair: pki.as2, ca: pki.ca });
  tt.teardown(() => elsewhere.close());
  elsewhere.send(asInvite(elsewhere.via(), 'both-elsewhere'));
  tt.equal((await elsewhere.nextResponse((s) => s >= 300)).status, 403, 'its certificate from another address: 403');

  // Another peer's certificate from its address: that other peer, not as2.
  const other = await TlsSipPeer.connect({ ip: AS2_IP, to: guard.tls, pair: pki.as1, ca: pki.ca });
  tt.teardown(() => other.close());
  other.send(asInvite(other.via(), 'both-other'));
  await callee.nextRequest('INVITE');
  tt.equal(lastInviteFrom(guard), 'as1', "as1's certificate from as2's address is as1");

  // Both: as2, its grants applied.
  const both = await TlsSipPeer.connect({ ip: AS2_IP, to: guard.tls, pair: pki.as2, ca: pki.ca });
  tt.teardown(() => both.close());
  both.send(asInvite(both.via(), 'both-ok'));
  const atCallee = await callee.nextRequest('INVITE');
  tt.notMatch(atCallee.body, /com\.example\.ads/, 'policed as as2: the ungranted channel is gone');
  tt.match(atCallee.body, /com\.example\.weather/, 'and the granted one passes');
  tt.equal(lastInviteFrom(guard), 'as2', 'the decision names as2');
});

t.test('a certificate from a CA the guard does not trust never gets a message through', async (tt) => {
  const { guard, callee } = await lab(tt);
  let peer: TlsSipPeer | null = null;
  try {
    // TLS 1.3: the client may finish its side before the guard refuses its certificate.
    peer = await TlsSipPeer.connect({ ip: '127.0.0.78', to: guard.tls, pair: pki.impostor, ca: pki.ca });
    peer.send(asInvite(peer.via(), 'impostor'));
  } catch {
    // refused in the handshake
  }
  tt.teardown(() => peer?.close());
  tt.equal(await callee.gotWithin((m) => m.kind === 'request', 800), false, 'nothing reaches the core');
  tt.equal(peer?.received.length ?? 0, 0, 'and the impostor gets no answer');
  tt.ok(
    guard.logs.some((l) => l.kind === 'tls-refused'),
    'the guard reports the refused handshake',
  );
});
