/**
 * The OPTIONS a dispatcher probes a guard with, on the wire (embedded front end): answered by
 * the guard itself, 200 while serving and 503 while draining; what it says to an untrusted AS;
 * and an OPTIONS that is not addressed to the guard still goes through the controller.
 */
import t, { type Test } from 'tap';
import type { SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { startGuard, wireProfile } from '../helpers/guard-harness.ts';
import { dialogRequest, SipPeer } from '../helpers/sip-peer.ts';

const GUARD_IP = '127.0.0.14';

function options(from: SipPeer, opts: { uri: string; callId: string; maxForwards?: string; route?: string[] }): SipRequest {
  const req = dialogRequest(from, { method: 'OPTIONS', uri: opts.uri, callId: opts.callId, contentType: null, ...(opts.route === undefined ? {} : { route: opts.route }) });
  return { ...req, headers: req.headers.map((h) => (h.name === 'Max-Forwards' && opts.maxForwards !== undefined ? { ...h, value: opts.maxForwards } : h)) };
}

function names(res: SipResponse): string[] {
  return res.headers.map((h) => h.name);
}

async function lab(t: Test, base: number): Promise<{ to: { address: string; port: number }; core: SipPeer; as: SipPeer; callee: SipPeer; stranger: SipPeer; guard: Awaited<ReturnType<typeof startGuard>> }> {
  const guard = await startGuard(wireProfile({ guardIp: GUARD_IP, port: base, calleePort: base + 2, asPort: base + 3 }));
  const [core, callee, as, stranger] = await Promise.all([
    SipPeer.start('127.0.0.1', base + 1),
    SipPeer.start('127.0.0.2', base + 2),
    SipPeer.start('127.0.0.3', base + 3),
    SipPeer.start('127.0.0.9', base + 4),
  ]);
  t.teardown(async () => {
    for (const peer of [core, callee, as, stranger]) {
      peer.close();
    }
    await guard.stop();
  });
  return { to: { address: GUARD_IP, port: base }, core, as, callee, stranger, guard };
}

t.test('an OPTIONS to the guard from an untrusted AS gets the probe answer and nothing more', async (t) => {
  const { to, as, callee } = await lab(t, 18310);
  as.send(options(as, { uri: `sip:${GUARD_IP}:18310`, callId: 'probe-as' }), to);
  const res = await as.nextResponse(() => true, 'OPTIONS');
  t.equal(res.status, 200, 'answered 200 while serving');
  t.same(names(res).sort(), ['Accept', 'Allow', 'CSeq', 'Call-ID', 'Content-Length', 'From', 'Supported', 'To', 'Via'].sort(), 'only the echoed headers and what the guard takes');
  t.match(res.headers.find((h) => h.name === 'Allow')?.value, /\bINVITE\b.*\bBYE\b.*\bOPTIONS\b/);
  t.equal(res.headers.find((h) => h.name === 'Accept')?.value, 'application/sdp');
  t.equal(res.headers.find((h) => h.name === 'Supported')?.value, '100rel, timer');
  t.equal(res.body, '', 'no body');
  t.notMatch(JSON.stringify(res), /weather-as|core|127\.0\.0\.2|ims\.example\.net>;tag=(?!caller)/, 'names no peer and no other address');
  t.notOk(await callee.gotWithin(() => true, 300), 'nothing was routed onward');
});

t.test('Max-Forwards 0, or a Route naming only the guard: the guard answers; the core probing gets the same bytes', async (t) => {
  const { to, as, core } = await lab(t, 18320);
  as.send(options(as, { uri: 'sip:bob@ims.example.net', callId: 'probe-mf0', maxForwards: '0' }), to);
  const mf0 = await as.nextResponse(() => true, 'OPTIONS');
  t.equal(mf0.status, 200, 'Max-Forwards 0: answered by the guard (RFC 3261 16.3), not 483');
  t.ok(names(mf0).includes('Allow'));
  core.send(options(core, { uri: `sip:${GUARD_IP}:18320`, callId: 'probe-core', route: [`<sip:${GUARD_IP}:18320;lr>`] }), to);
  const fromCore = await core.nextResponse(() => true, 'OPTIONS');
  t.equal(fromCore.status, 200);
  const strip = (r: SipResponse): string[] => r.headers.filter((h) => !['Via', 'From', 'To', 'Call-ID'].includes(h.name)).map((h) => `${h.name}: ${h.value}`);
  t.same(strip(fromCore), strip(mf0), 'trusted or not, the same answer');
});

t.test('an OPTIONS not addressed to the guard is policed as before: to a user it is routed, to an AS route it is not answered as a probe', async (t) => {
  const { to, as, core, callee } = await lab(t, 18330);
  as.send(options(as, { uri: 'sip:bob@ims.example.net', callId: 'to-user' }), to);
  const routed = await callee.nextRequest('OPTIONS');
  t.equal(routed.uri, 'sip:bob@ims.example.net', 'the OPTIONS to a user went to the next hop through the controller');
  t.not(routed.headers.find((h) => h.name === 'Call-ID')?.value, 'to-user', 'on a leg of its own: the controller took it as a B2BUA does');
  callee.reply(routed, 200, 'OK', { toTag: 'bob' });
  const back = await as.nextResponse(() => true, 'OPTIONS');
  t.notOk(names(back).includes('Allow') && back.headers.some((h) => h.name === 'To' && h.value.includes('dcg-probe')), 'the answer is the callee\'s, not the probe\'s');

  // A user part at the guard's own address is still a user: the controller's.
  core.send(options(core, { uri: `sip:alice@${GUARD_IP}:18330`, callId: 'user-at-guard' }), to);
  const relayed = await callee.nextRequest('OPTIONS');
  t.equal(relayed.uri, `sip:alice@${GUARD_IP}:18330`, 'routed to the next hop, not answered');
  callee.reply(relayed, 404, 'Not Found', { toTag: 'nf' });
  t.equal((await core.nextResponse(() => true, 'OPTIONS')).status, 404);

  // A Route beyond the guard (toward an AS) is a request to route.
  core.send(options(core, { uri: `sip:${GUARD_IP}:18330`, callId: 'to-as', route: [`<sip:${GUARD_IP}:18330;lr;as=weather-as>`] }), to);
  const atAs = await as.nextRequest('OPTIONS');
  t.ok(atAs, 'went on to the AS');
});

t.test('an unknown source probing gets what any unknown source gets (nothing)', async (t) => {
  const { to, stranger } = await lab(t, 18340);
  stranger.send(options(stranger, { uri: `sip:${GUARD_IP}:18340`, callId: 'probe-stranger' }), to);
  t.notOk(await stranger.gotWithin(() => true, 500), 'no answer to a source the profile does not know');
});

t.test('while draining the probe gets 503 with Retry-After', async (t) => {
  const { to, core, callee, guard } = await lab(t, 18350);
  // A call in progress keeps the guard draining (not stopped) while it is probed.
  core.send(dialogRequest(core, { uri: 'sip:bob@ims.example.net', callId: 'held' }), to);
  await callee.nextRequest('INVITE');
  const stopping = guard.guard.stop(3_000);
  core.send(options(core, { uri: `sip:${GUARD_IP}:18350`, callId: 'probe-drain' }), to);
  const res = await core.nextResponse(() => true, 'OPTIONS');
  t.equal(res.status, 503, 'draining: 503, so the dispatcher sends new calls elsewhere');
  t.match(res.headers.find((h) => h.name === 'Retry-After')?.value, /^\d+$/);
  t.notOk(names(res).includes('Allow'));
  await stopping;
});
