/**
 * Redis stopped under a running guard, mid-call, and started again: `guard.fail` decides what
 * goes on meanwhile (closed: no DC added, the AS's changes refused, the core's calls go on;
 * open: everything proceeds), and the guard uses Redis again by itself when it is back.
 */
import t from 'tap';
import { getHeader } from '../../src/sip/sip-headers.ts';
import type { SipResponse } from '../../src/sip/sip-message.ts';
import { REDIS_SKIP, RedisServer } from '../helpers/redis-server.ts';
import { BOOTSTRAP, offer, WEATHER } from '../helpers/sdp-builder.ts';
import { dialogRequest, inDialog, type SipPeer } from '../helpers/sip-peer.ts';
import { answer, callerDialog, decisionsWith, startPeers, startSharedGuard, type Dialog, type LabOptions, type SharedGuard } from '../helpers/shared-guard-lab.ts';

const WEATHER_2 = { stream: 1004, sub: 'x-app', label: 'weather-2', app: 'com.example.weather' };

async function until(what: () => boolean, ms = 5_000): Promise<boolean> {
  for (let waited = 0; !what() && waited < ms; waited += 25) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return what();
}

interface Lab {
  readonly guard: SharedGuard;
  readonly caller: SipPeer;
  readonly callee: SipPeer;
  readonly as: SipPeer;
}

/** weather-as calls the callee through the guard with a granted DC; returns the AS's dialog. */
async function asCall(l: Lab, callId: string): Promise<Dialog> {
  l.as.send(dialogRequest(l.as, { uri: 'sip:+15550002222@ims.example.net', callId, body: offer({ channels: [WEATHER] }) }), l.guard.to);
  const atCallee = await l.callee.nextRequest('INVITE');
  answer(l.callee, atCallee, l.guard, 200, 'OK', { toTag: 'callee', body: offer({ channels: [WEATHER], username: 'bob' }) });
  const ok = await l.as.nextResponse(200, 'INVITE');
  const dialog = callerDialog(ok);
  l.as.send(inDialog(l.as, dialog, { method: 'ACK', cseq: 1 }), l.guard.to);
  await l.callee.nextRequest('ACK');
  return dialog;
}

/** The core calls with a bootstrap DC; resolves with the offer the callee got and the caller's final response. */
async function coreCall(l: Lab, callId: string): Promise<{ atCallee: string; final: SipResponse }> {
  l.caller.send(dialogRequest(l.caller, { uri: 'sip:+15550002222@ims.example.net', callId, body: offer({ channels: [BOOTSTRAP] }) }), l.guard.to);
  const invite = await l.callee.nextRequest('INVITE');
  answer(l.callee, invite, l.guard, 200, 'OK', { toTag: `callee-${callId}`, body: offer({ channels: [BOOTSTRAP], username: 'bob' }) });
  return { atCallee: invite.body, final: await l.caller.nextResponse((s) => s >= 200, 'INVITE') };
}

t.test('Redis stopped and started under running guards', { skip: REDIS_SKIP }, async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const options = (prefix: string, port: number, fail: 'closed' | 'open'): LabOptions => ({
    redisUrl: redis.url,
    keyPrefix: prefix,
    port,
    calleePort: port + 2,
    asPort: port + 3,
    gamesPort: port + 4,
    fail,
  });
  // weather-as has a concurrent_calls cap on the fail-closed guard: its new calls cannot be counted with the store down.
  const closedOptions: LabOptions = { ...options('closed:', 22_000, 'closed'), weatherExtra: '    limits: { concurrent_calls: 10 }' };
  const openOptions = options('open:', 22_010, 'open');
  const closed: Lab = { guard: await startSharedGuard(t, '127.0.0.10', closedOptions), ...(await startPeers(t, closedOptions)) };
  const open: Lab = { guard: await startSharedGuard(t, '127.0.0.12', openOptions), ...(await startPeers(t, openOptions)) };

  const closedCall = await asCall(closed, 'down-closed');
  const openCall = await asCall(open, 'down-open');
  await redis.stop();
  t.ok(await until(() => !closed.guard.state.reachable() && !open.guard.state.reachable()), 'both guards see the store down');

  t.test('fail closed: the AS re-INVITE adding a (granted) DC is refused 503 with Retry-After', async (t) => {
    const { as, callee, guard } = closed;
    const invites = (): number => callee.received.filter((m) => m.kind === 'request' && m.method === 'INVITE').length;
    const before = invites();
    as.send(inDialog(as, closedCall, { method: 'INVITE', cseq: 2, body: offer({ channels: [WEATHER, WEATHER_2], version: 2 }) }), guard.to);
    const refused = await as.nextResponse((s) => s >= 200, 'INVITE');
    t.equal(refused.status, 503);
    t.ok(getHeader(refused, 'Retry-After'), 'with Retry-After');
    await new Promise((resolve) => setTimeout(resolve, 200));
    t.equal(invites(), before, 'nothing reached the callee');
    t.ok(decisionsWith(guard.logs, 'state.unavailable').some((d) => d.status === 503), 'the refusal is logged with state.unavailable');
  });

  t.test('fail closed: a new call from the AS, whose concurrent_calls no instance can count now, waits (503, Retry-After) and reaches nobody', async (t) => {
    const { as, callee, guard } = closed;
    const invites = (): number => callee.received.filter((m) => m.kind === 'request' && m.method === 'INVITE').length;
    const before = invites();
    as.send(dialogRequest(as, { uri: 'sip:+15550002222@ims.example.net', callId: 'down-as-new', body: offer({ channels: [WEATHER] }) }), guard.to);
    const refused = await as.nextResponse((s) => s >= 200, 'INVITE');
    t.equal(refused.status, 503);
    t.ok(getHeader(refused, 'Retry-After'), 'with Retry-After');
    await new Promise((resolve) => setTimeout(resolve, 200));
    t.equal(invites(), before, 'nothing reached the callee');
  });

  t.test("fail closed: the core's new call goes on with its DC refused (port 0)", async (t) => {
    const { atCallee, final } = await coreCall(closed, 'down-core-closed');
    t.match(atCallee, /m=application 0 /, 'the DC m-line reached the callee refused');
    t.match(atCallee, /m=audio 49170 /, 'the audio as offered');
    t.equal(final.status, 200, 'the call is answered');
  });

  t.test("fail closed: the core's BYE of the AS's call goes on", async (t) => {
    const { as, callee, guard } = closed;
    // The callee's dialog: it answered with To tag "callee".
    const invite = callee.received.find((m) => m.kind === 'request' && m.method === 'INVITE' && getHeader(m, 'Call-ID') !== undefined && m.body.includes('com.example.weather'));
    t.ok(invite, "the callee's side of the AS call");
    if (invite === undefined || invite.kind !== 'request') {
      return;
    }
    const calleeSide: Dialog = {
      callId: getHeader(invite, 'Call-ID') ?? '',
      localUri: `${getHeader(invite, 'To') ?? ''};tag=callee`,
      remoteUri: getHeader(invite, 'From') ?? '',
      remoteTarget: (/<([^>]+)>/.exec(getHeader(invite, 'Contact') ?? '') ?? [])[1] ?? '',
    };
    callee.send(inDialog(callee, calleeSide, { method: 'BYE', cseq: 1 }), guard.to);
    const bye = await as.nextRequest('BYE');
    answer(as, bye, guard, 200, 'OK');
    t.equal((await callee.nextResponse((s) => s >= 200, 'BYE')).status, 200, 'the hang-up reached the AS and its 200 came back');
  });

  t.test('fail open: the same re-INVITE and the new call pass as they came', async (t) => {
    const { as, callee, guard } = open;
    as.send(inDialog(as, openCall, { method: 'INVITE', cseq: 2, body: offer({ channels: [WEATHER, WEATHER_2], version: 2 }) }), guard.to);
    const reinvite = await callee.nextRequest('INVITE');
    t.match(reinvite.body, /a=3gpp-req-app:com\.example\.weather[\s\S]*label="weather-2"/, 'the added channel reached the callee');
    answer(callee, reinvite, guard, 200, 'OK', { body: offer({ channels: [WEATHER, WEATHER_2], username: 'bob', version: 2 }) });
    t.equal((await as.nextResponse((s) => s >= 200, 'INVITE')).status, 200);
    t.ok(decisionsWith(guard.logs, 'state.unavailable').some((d) => d.action === 'forward'), 'logged as passed with the store down');
    const { atCallee } = await coreCall(open, 'down-core-open');
    t.match(atCallee, /m=application 52718 /, "the core's DC is not refused");
  });

  t.test('Redis back: the guard uses it again with no restart', async (t) => {
    await redis.start();
    t.ok(await until(() => closed.guard.state.reachable()), 'reachable again');
    const logged = closed.guard.logs.length;
    const { atCallee, final } = await coreCall(closed, 'after-outage');
    t.equal(final.status, 200);
    t.match(atCallee, /m=application 52718 /, 'DCs are no longer refused');
    const keys = await redis.command('KEYS', 'closed:call:*');
    t.match(keys, /^\*[1-9]/, 'the new call is stored in Redis');
    const late = decisionsWith(closed.guard.logs.slice(logged), 'state.unavailable');
    t.same(late, [], 'and decided with the store up');
  });
});
