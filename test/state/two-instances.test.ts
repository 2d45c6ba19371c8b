/**
 * Two guards on one Redis: any message of a call may reach either (a dispatcher in front of
 * them does not keep in-dialog affinity when an instance goes), and each polices it as the one
 * that set the call up would. The AS's attacks are refused on instance 2 as on instance 1.
 */
import t from 'tap';
import { getHeader } from '../../src/sip/sip-headers.ts';
import type { SipRequest } from '../../src/sip/sip-message.ts';
import { serializeSipMessage } from '../../src/sip/sip-serializer.ts';
import { REDIS_SKIP, RedisServer } from '../helpers/redis-server.ts';
import { ADS, BOOTSTRAP, offer } from '../helpers/sdp-builder.ts';
import { dialogRequest, inDialog } from '../helpers/sip-peer.ts';
import { answer, answererDialog, callerDialog, decisionsWith, SERVICE, startPeers, startSharedGuard, type LabOptions } from '../helpers/shared-guard-lab.ts';

const A = '127.0.0.10';
const B = '127.0.0.11';

t.test('two guards on one Redis', { skip: REDIS_SKIP }, async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  let base = 21_000;
  const lab = (prefix: string, extra: Partial<LabOptions> = {}): LabOptions => {
    base += 10;
    return { redisUrl: redis.url, keyPrefix: prefix, port: base, calleePort: base + 2, asPort: base + 3, gamesPort: base + 4, ...extra };
  };

  t.test("a core call set up through instance 1: its re-INVITE, UPDATE and BYE through instance 2 are relayed on the call's legs", async (t) => {
    const o = lab('core:');
    const one = await startSharedGuard(t, A, o);
    const two = await startSharedGuard(t, B, o);
    const { caller, callee } = await startPeers(t, o);

    const invite = dialogRequest(caller, { uri: 'sip:+15550002222@ims.example.net', callId: 'shared-core', body: offer({ channels: [BOOTSTRAP] }) });
    caller.send(invite, one.to);
    const atCallee = await callee.nextRequest('INVITE');
    answer(callee, atCallee, one, 200, 'OK', { toTag: 'callee', body: offer({ channels: [BOOTSTRAP], username: 'bob' }) });
    const ok = await caller.nextResponse(200, 'INVITE');
    const callerSide = callerDialog(ok);
    caller.send(inDialog(caller, callerSide, { method: 'ACK', cseq: 1 }), one.to);
    await callee.nextRequest('ACK');

    // The callee re-offers through instance 2, which never saw the call.
    const calleeSide = answererDialog(atCallee, 'callee');
    callee.send(inDialog(callee, calleeSide, { method: 'INVITE', cseq: 1, body: offer({ channels: [BOOTSTRAP], username: 'bob', version: 2, audioPort: 40000 }) }), two.to);
    const reinvite = await caller.nextRequest('INVITE');
    t.equal(getHeader(reinvite, 'Call-ID'), getHeader(ok, 'Call-ID'), "instance 2 relays it on the caller's leg of the call");
    t.match(reinvite.body, /m=audio 40000/, 'with its offer');
    answer(caller, reinvite, two, 200, 'OK', { body: offer({ channels: [BOOTSTRAP], version: 2 }) });
    const reOk = await callee.nextResponse(200, 'INVITE');
    t.match(getHeader(reOk, 'CSeq'), /^1 INVITE/, "the caller's answer reaches the callee on its own leg");
    callee.send(inDialog(callee, calleeSide, { method: 'ACK', cseq: 1 }), two.to);
    await caller.nextRequest('ACK');

    caller.send(inDialog(caller, callerSide, { method: 'UPDATE', cseq: 2, body: offer({ channels: [BOOTSTRAP], version: 2, audioPort: 41000 }) }), two.to);
    const update = await callee.nextRequest('UPDATE');
    t.match(update.body, /m=audio 41000/, "the caller's UPDATE through instance 2 reaches the callee");
    answer(callee, update, two, 200, 'OK', { body: offer({ channels: [BOOTSTRAP], username: 'bob', version: 3 }) });
    await caller.nextResponse(200, 'UPDATE');

    caller.send(inDialog(caller, callerSide, { method: 'BYE', cseq: 3 }), two.to);
    const bye = await callee.nextRequest('BYE');
    answer(callee, bye, two, 200, 'OK');
    await caller.nextResponse(200, 'BYE');
    t.equal(await redis.command('EVAL', "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do if redis.call('TYPE', k).ok ~= 'hash' or redis.call('HEXISTS', k, 'ended') == 0 then n = n + 1 end end return n", '0', 'core:*'), ':0\r\n', 'the ended call left no key in Redis but its tombstone');
  });

  t.test("the AS's route-back INVITE through instance 2: the pseudonyms instance 1 issued map back there; its BYE and DC re-INVITE are refused there as on instance 1", async (t) => {
    const o = lab('as:');
    const one = await startSharedGuard(t, A, o);
    const two = await startSharedGuard(t, B, o);
    const { caller, callee, as } = await startPeers(t, o);

    const invite = dialogRequest(caller, {
      uri: 'sip:+15550002222@ims.example.net',
      callId: 'shared-as',
      route: [`<sip:${SERVICE}:${o.port};lr;as=weather-as>`, `<sip:127.0.0.2:${o.calleePort};lr>`],
      headers: [{ name: 'P-Asserted-Identity', value: '<sip:+15550001111@ims.example.net>' }],
      body: offer({ channels: [BOOTSTRAP] }),
    });
    caller.send(invite, one.to);
    const atAs = await as.nextRequest('INVITE');
    t.notMatch(serializeSipMessage(atAs), /15550001111/, 'the AS got pseudonyms from instance 1');
    // The AS goes on along the route it was given (the guard's entry carries its token), but to instance 2.
    const routes = atAs.headers.filter((h) => h.name === 'Route').flatMap((h) => h.value.split(/,(?=\s*<)/).map((r) => r.trim()));
    routes.shift();
    const onward: SipRequest = {
      kind: 'request',
      method: 'INVITE',
      uri: atAs.uri,
      headers: [
        { name: 'Via', value: as.via() },
        { name: 'Max-Forwards', value: '69' },
        ...routes.map((value) => ({ name: 'Route', value })),
        { name: 'From', value: `${(getHeader(atAs, 'From') ?? '').replace(/;tag=[^;>\s]+/, '')};tag=as-leg2` },
        { name: 'To', value: getHeader(atAs, 'To') ?? '' },
        { name: 'Call-ID', value: 'as-leg2-shared' },
        { name: 'CSeq', value: '1 INVITE' },
        { name: 'Contact', value: as.contact },
        ...atAs.headers.filter((h) => h.name === 'P-Asserted-Identity' || h.name === 'Content-Type'),
      ],
      body: atAs.body,
    };
    as.send(onward, two.to);
    const atCallee = await callee.nextRequest('INVITE');
    t.match(getHeader(atCallee, 'P-Asserted-Identity'), /\+15550001111@ims\.example\.net/, "instance 2 mapped the AS's pseudonym back to the caller's identity");

    // Answers back along both hops.
    answer(callee, atCallee, two, 200, 'OK', { toTag: 'callee', body: offer({ channels: [BOOTSTRAP], username: 'bob' }) });
    const okAtAs = await as.nextResponse(200, 'INVITE');
    answer(as, atAs, one, 200, 'OK', { toTag: 'as-leg1', body: okAtAs.body });
    const ok = await caller.nextResponse(200, 'INVITE');
    caller.send(inDialog(caller, callerDialog(ok), { method: 'ACK', cseq: 1 }), one.to);
    await as.nextRequest('ACK');
    const leg2 = callerDialog(okAtAs);
    as.send(inDialog(as, leg2, { method: 'ACK', cseq: 1 }), two.to);
    await callee.nextRequest('ACK');

    // The attacker: BYE (weather-as has no terminate grant) to each instance.
    for (const guard of [one, two]) {
      as.send(inDialog(as, leg2, { method: 'BYE', cseq: 2 }), guard.to);
      const refused = await as.nextResponse((s) => s >= 300, 'BYE');
      t.equal(refused.status, 403, `the AS's BYE is refused by ${guard.ip}`);
      t.equal(decisionsWith(guard.logs, 'dialog.terminate-not-granted').length, 1, `${guard.ip} logged why`);
    }
    // A re-INVITE whose only change is an ungranted app DC (com.example.ads).
    for (const [i, guard] of [one, two].entries()) {
      as.send(inDialog(as, leg2, { method: 'INVITE', cseq: 3 + i, body: offer({ channels: [BOOTSTRAP, ADS], version: 2 }) }), guard.to);
      const refused = await as.nextResponse((s) => s >= 300, 'INVITE');
      t.equal(refused.status, 488, `the AS's re-INVITE adding an ungranted DC is refused by ${guard.ip}`);
      as.send(inDialog(as, leg2, { method: 'ACK', cseq: 3 + i }), guard.to);
    }
    t.notOk(await callee.gotWithin((m) => m.kind === 'request' && (m.method === 'BYE' || (m.method === 'INVITE' && m !== atCallee)), 300), 'none of it reached the callee');

    // The core's BYE ends the call through instance 2: the AS relays it onward, instance 2 lets that through.
    caller.send(inDialog(caller, callerDialog(ok), { method: 'BYE', cseq: 2 }), two.to);
    const byeAtAs = await as.nextRequest('BYE');
    answer(as, byeAtAs, two, 200, 'OK');
    await caller.nextResponse(200, 'BYE');
    as.send(inDialog(as, leg2, { method: 'BYE', cseq: 10 }), two.to);
    const bye = await callee.nextRequest('BYE');
    answer(callee, bye, two, 200, 'OK');
    t.equal((await as.nextResponse((s) => s >= 200, 'BYE')).status, 200, "the AS's relay of the core's hang-up goes through");
  });
});
