/**
 * The guard and Kamailio's tls module, both directions, mutual authentication each time:
 * - Kamailio as as1's TLS client: an INVITE it relays over TLS with as1's certificate is
 *   taken as as1's (from an address as1 never declared) and policed with as1's grants;
 * - Kamailio as as1's TLS server (sips:as1.test): the guard connects, presents its
 *   certificate, which Kamailio requires and checks, verifies Kamailio's is for as1.test,
 *   and Kamailio's own answer comes back to the caller.
 */
import t from 'tap';
import type { Test } from 'tap';
import { offer, ADS, WEATHER } from '../helpers/sdp-builder.ts';
import { dialogRequest, SipPeer } from '../helpers/sip-peer.ts';
import { kamailioTlsMissing, startKamailioTls } from './kamailio-tls.ts';
import { AS1_IP, decisionsOf, GUARD_IP, startTlsGuard } from './tls-lab.ts';
import type { TlsGuard } from './tls-lab.ts';
import { makeTestPki } from './test-pki.ts';

const missing = kamailioTlsMissing();
const pki = makeTestPki();
t.teardown(() => pki.remove());

let nextPort = 39_000;

async function lab(tt: Test): Promise<{ guard: TlsGuard; caller: SipPeer; callee: SipPeer; base: number }> {
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
  return { guard, caller, callee, base };
}

t.test('Kamailio relaying over TLS with as1\'s certificate is as1', { skip: missing ?? false }, async (tt) => {
  const l = await lab(tt);
  const kamailio = await startKamailioTls({ dir: pki.dir, ip: AS1_IP, udpPort: l.base + 5, tlsPort: l.base + 3, pair: pki.as1, ca: pki.ca, guard: l.guard.tls });
  tt.teardown(() => kamailio.stop());
  // Something behind Kamailio (on UDP) starts a call; Kamailio carries it to the guard over TLS.
  const behind = await SipPeer.start('127.0.0.8', l.base + 6);
  tt.teardown(() => behind.close());
  behind.send(
    dialogRequest(behind, { uri: 'sip:+15550002222@ims.example.net', callId: 'kamailio-in', body: offer({ channels: [WEATHER, ADS] }) }),
    { address: AS1_IP, port: l.base + 5 },
  );
  const atCallee = await l.callee.nextRequest('INVITE', 8_000);
  tt.match(atCallee.body, /com\.example\.weather/, "as1's grant applies: weather reaches the core");
  tt.notMatch(atCallee.body, /com\.example\.ads/, 'ads does not');
  tt.equal(decisionsOf(l.guard.logs).find((d) => d.message === 'INVITE')?.from, 'as1', 'the guard took it as as1 (by certificate)');
});

t.test('the guard reaches Kamailio at sips:as1.test with mutual TLS; its answer comes back', { skip: missing ?? false }, async (tt) => {
  const l = await lab(tt);
  const kamailio = await startKamailioTls({ dir: pki.dir, ip: AS1_IP, udpPort: l.base + 5, tlsPort: l.base + 3, pair: pki.as1, ca: pki.ca, guard: l.guard.tls });
  tt.teardown(() => kamailio.stop());
  l.caller.send(
    dialogRequest(l.caller, {
      uri: 'sip:+15550002222@ims.example.net',
      callId: 'kamailio-out',
      route: [`<sip:${GUARD_IP}:${l.guard.udp.port};lr;as=as1>`, `<sip:127.0.0.2:${l.callee.port};lr>`],
      body: offer({ channels: [WEATHER] }),
    }),
    l.guard.udp,
  );
  const back = await l.caller.nextResponse((s) => s >= 300, 'INVITE', 8_000);
  tt.equal(back.status, 486, 'a final answer over the TLS connection');
  tt.equal(back.reason, 'Busy Here From Kamailio', "Kamailio's own answer (toward the trusted core the phrase is kept)");
  tt.ok(
    decisionsOf(l.guard.logs).every((d) => !JSON.stringify(d.reasons).includes('wrong-peer')),
    "the guard took Kamailio's answer as as1's",
  );
});

t.test('Kamailio with a certificate for another name is refused; the caller gets 503', { skip: missing ?? false }, async (tt) => {
  const l = await lab(tt);
  const kamailio = await startKamailioTls({ dir: pki.dir, ip: AS1_IP, udpPort: l.base + 5, tlsPort: l.base + 3, pair: pki.as2, ca: pki.ca, guard: l.guard.tls });
  tt.teardown(() => kamailio.stop());
  l.caller.send(
    dialogRequest(l.caller, {
      uri: 'sip:+15550002222@ims.example.net',
      callId: 'kamailio-wrong',
      route: [`<sip:${GUARD_IP}:${l.guard.udp.port};lr;as=as1>`, `<sip:127.0.0.2:${l.callee.port};lr>`],
      body: offer({ channels: [WEATHER] }),
    }),
    l.guard.udp,
  );
  tt.equal((await l.caller.nextResponse((s) => s >= 300, 'INVITE', 8_000)).status, 503, 'as2.test is not as1.test: 503');
  tt.notMatch(kamailio.output(), /Busy Here From Kamailio/, 'Kamailio never got the INVITE');
});
