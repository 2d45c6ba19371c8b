import t from 'tap';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { responseTo } from '../helpers/controller-fixture.ts';
import { startGuard, wireProfile } from '../helpers/guard-harness.ts';
import { bindUdp, coreInviteText, until } from '../helpers/raw-udp.ts';

const GUARD_IP = '127.0.0.18';
const PORT = 18260;
const CALLEE_PORT = 18262;

const PROXIES = ['<sip:127.0.0.1:5070;lr;r2=on;ftag=x>', '<sip:proxy-b.ims.example.net;lr>'];

const responses = (received: SipMessage[], status: number): SipResponse[] =>
  received.filter((m): m is SipResponse => m.kind === 'response' && m.status === status);

t.test("the guard's answers that make a dialog carry the INVITE's Record-Route (RFC 3261 12.1.1), in order", async (t) => {
  const guard = await startGuard(wireProfile({ guardIp: GUARD_IP, port: PORT, calleePort: CALLEE_PORT }));
  const caller = await bindUdp('127.0.0.1', 0);
  const callee = await bindUdp('127.0.0.2', CALLEE_PORT);
  t.teardown(async () => {
    caller.socket.close();
    callee.socket.close();
    await guard.stop();
  });
  const callerPort = caller.socket.address().port;
  // A dispatcher (and a proxy behind it) record-routed the INVITE before it reached the guard.
  const invite = coreInviteText('rr-1', callerPort).replace('Max-Forwards: 70\r\n', `Max-Forwards: 70\r\n${PROXIES.map((p) => `Record-Route: ${p}\r\n`).join('')}`);
  caller.socket.send(invite, PORT, GUARD_IP);
  t.ok(await until(() => callee.received.some((m) => m.kind === 'request' && m.method === 'INVITE')), 'the INVITE reached the callee');
  const forwarded = callee.received.find((m): m is SipRequest => m.kind === 'request' && m.method === 'INVITE');
  if (forwarded === undefined) {
    return;
  }
  t.notOk(forwarded.headers.some((h) => h.name === 'Record-Route'), "the callee's leg is the guard's own: the caller side's route set does not cross");
  callee.socket.send(responseTo(forwarded, 180, 'Ringing', { contact: `<sip:bob@127.0.0.2:${CALLEE_PORT}>` }), PORT, GUARD_IP);
  callee.socket.send(responseTo(forwarded, 200, 'OK', { contact: `<sip:bob@127.0.0.2:${CALLEE_PORT}>` }), PORT, GUARD_IP);
  t.ok(await until(() => responses(caller.received, 200).length > 0), 'the caller got its 200');
  for (const status of [180, 200]) {
    const res = responses(caller.received, status)[0];
    t.strictSame(
      res?.headers.filter((h) => h.name === 'Record-Route').map((h) => h.value),
      PROXIES,
      `${status}: the request's Record-Route, as it came`,
    );
    t.equal(res?.reason, status === 200 ? 'OK' : 'Ringing');
  }
});

t.test('the reason phrases the guard writes (toward untrusted peers, and its own answers) are the standard ones: 200 OK, not a made-up word', async (t) => {
  const { reasonPhrase } = await import('../../src/call/sip-builders.ts');
  t.equal(reasonPhrase(200), 'OK');
  t.equal(reasonPhrase(183), 'Session Progress');
  t.equal(reasonPhrase(299), 'Success', 'an unnamed code gets its class');
  t.equal(reasonPhrase(699), 'Global Failure');
});
