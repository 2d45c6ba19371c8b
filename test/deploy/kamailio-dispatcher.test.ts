/**
 * Scale-out as shipped: Kamailio running docker/kamailio/dispatcher.cfg in front of two guard
 * processes (`dc-guard run`) that share one Redis. Kamailio takes the core on 127.0.0.50 and the
 * AS on 127.0.0.51 and relays each side from its own address, so the guards still tell the
 * trusted core from the untrusted AS. One guard is killed with SIGKILL under load; then:
 * - calls set up before the kill keep their policing: the AS's BYE on one of them, sent through
 *   Kamailio, is refused by the survivor (403, terminate not granted), and the core's BYE ends it;
 * - new calls keep succeeding: INVITEs hashed onto the dead guard before the pings notice fail
 *   over to the survivor (failure_route), and once the pings mark it down every call goes there.
 * No timing is asserted: every step waits for the condition it needs.
 */
import t from 'tap';
import { getHeader } from '../../src/sip/sip-headers.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { kamailioDispatcherMissing, startDispatcher } from '../helpers/kamailio.ts';
import { REDIS_SKIP, RedisServer } from '../helpers/redis-server.ts';
import { addrUri, cseqMethod, SipPeer, tagOfHeader } from '../helpers/sip-peer.ts';
import { runSipp, SIPP_AVAILABLE } from '../helpers/sipp.ts';
import { AutoCallee } from '../helpers/auto-callee.ts';
import { startGuardProcess, type GuardProcess } from '../helpers/guard-process.ts';

const KAM_CORE = '127.0.0.50';
const KAM_AS = '127.0.0.51';
const GUARD_IPS = ['127.0.0.52', '127.0.0.53'] as const;
const SIP_PORT = 5060;
const CALLER_PORT = 19461;
const CALLEE_PORT = 19462;
const AS_PORT = 19463;
const LOAD_PORT = 19464;

const skip: false | string =
  kamailioDispatcherMissing() ?? (REDIS_SKIP !== false ? REDIS_SKIP : SIPP_AVAILABLE ? false : 'sipp is not installed (Debian package sip-tester)');

const AUDIO_OFFER = 'v=0\r\no=weather 1 1 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\nm=audio 41000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

function guardProfile(ip: string, redisUrl: string): string {
  return `
guard:
  mode: enforce
  unknown_peers: reject
sip:
  listen: ["udp:${ip}:${SIP_PORT}"]
  next_hop: "sip:127.0.0.2:${CALLEE_PORT}"
state:
  store: redis
  url: "${redisUrl}"
  key_prefix: "dcg-dispatch:"
peers:
  # Kamailio's core-side address, and the core's callee answering the guard directly.
  - id: core
    trusted: true
    match: { source: ["${KAM_CORE}/32", "127.0.0.1/32", "127.0.0.2/32"] }
  # Kamailio's AS-side address, and the AS itself (it answers the guard directly).
  - id: weather-as
    trusted: false
    uri: "sip:127.0.0.3:${AS_PORT}"
    match: { source: ["${KAM_AS}/32", "127.0.0.3/32"] }
    identity: anonymous
    grants:
      bootstrap: false
      apps: ["com.example.weather"]
      modify: own
      terminate: false
`;
}

/** A call the AS placed through Kamailio: its own dialog, and the guard's leg toward the callee. */
interface AsCall {
  readonly callId: string;
  readonly fromTag: string;
  readonly guardIp: string;
  readonly guardContact: string;
  readonly guardTag: string;
  readonly calleeLeg: SipRequest;
}

/** A From tag is a token (RFC 3261 25.1): no '@'. */
function tagFor(callId: string): string {
  return `t-${callId.replace(/[^A-Za-z0-9-]/g, '')}`;
}

function sameCall(callId: string): (m: SipMessage) => boolean {
  return (m) => getHeader(m, 'Call-ID') === callId;
}

function request(from: { ip: string; port: number }, method: string, uri: string, d: { from: string; to: string; callId: string; cseq: number; branch: string }, body = ''): SipRequest {
  return {
    kind: 'request',
    method,
    uri,
    headers: [
      { name: 'Via', value: `SIP/2.0/UDP ${from.ip}:${from.port};branch=${d.branch}` },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: d.from },
      { name: 'To', value: d.to },
      { name: 'Call-ID', value: d.callId },
      { name: 'CSeq', value: `${d.cseq} ${method}` },
      ...(method === 'INVITE' ? [{ name: 'Contact', value: `<sip:${from.ip}:${from.port}>` }] : []),
      ...(body === '' ? [] : [{ name: 'Content-Type', value: 'application/sdp' }]),
    ],
    body,
  };
}

/** An INVITE through Kamailio from `peer` and its final answer, ACKed (2xx) through Kamailio too. */
async function call(peer: SipPeer, kamailio: string, callId: string, fromUser: string, callee = 'bob'): Promise<SipResponse> {
  const fromTag = tagFor(callId);
  const d = { from: `<sip:${fromUser}>;tag=${fromTag}`, to: `<sip:${callee}@ims.example.net>`, callId, cseq: 1, branch: `z9hG4bK-${tagFor(callId)}` };
  peer.send(request(peer, 'INVITE', `sip:${callee}@ims.example.net`, d, AUDIO_OFFER), { address: kamailio, port: SIP_PORT });
  const final = await peer.next<SipResponse>((m) => sameCall(callId)(m) && m.kind === 'response' && m.status >= 200 && cseqMethod(m) === 'INVITE', 40_000);
  if (final.status < 300) {
    const ack = request(peer, 'ACK', addrUri(getHeader(final, 'Contact')), { ...d, to: getHeader(final, 'To') ?? '', branch: `z9hG4bK-ack-${tagFor(callId)}` });
    peer.send(ack, { address: kamailio, port: SIP_PORT });
  }
  return final;
}

t.test('two guards behind Kamailio\'s dispatcher: one is killed under load, calls keep their policing and new calls go on', { skip, timeout: 110_000 }, async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const guards: GuardProcess[] = [];
  t.teardown(async () => {
    for (const g of guards) {
      await g.kill();
    }
  });
  for (const ip of GUARD_IPS) {
    guards.push(await startGuardProcess(guardProfile(ip, redis.url)));
  }
  const callee = await AutoCallee.start('127.0.0.2', CALLEE_PORT);
  const as = await SipPeer.start('127.0.0.3', AS_PORT);
  const caller = await SipPeer.start('127.0.0.1', CALLER_PORT);
  t.teardown(() => {
    callee.close();
    as.close();
    caller.close();
  });
  const kamailio = await startDispatcher({
    coreListen: `udp:${KAM_CORE}:${SIP_PORT}`,
    asListen: `udp:${KAM_AS}:${SIP_PORT}`,
    guards: GUARD_IPS.map((ip) => `sip:${ip}:${SIP_PORT}`),
  });
  t.teardown(() => kamailio.stop());
  for (const ip of GUARD_IPS) {
    t.ok(await kamailio.waitFor(new RegExp(`guard up: sip:${ip.replace(/\./g, '\\.')}:${SIP_PORT}`), 30_000, 2), `Kamailio's OPTIONS pings from both sides found ${ip} serving (its own 200)`);
  }

  // Calls from the AS (untrusted, no terminate grant) until each guard holds some.
  const asCalls: AsCall[] = [];
  for (let i = 0; i < 40 && !GUARD_IPS.every((ip) => asCalls.filter((c) => c.guardIp === ip).length >= 2); i += 1) {
    const callId = `as-call-${i}@as.example`;
    const before = callee.requests.length;
    const final = await call(as, KAM_AS, callId, 'weather@as.example').catch((error: unknown) => {
      t.comment(kamailio.output().slice(-3000));
      for (const g of guards) {
        t.comment(JSON.stringify(g.lines.slice(-5)), g.stderr());
      }
      throw error;
    });
    t.equal(final.status, 200, `AS call ${i} set up through Kamailio`);
    const leg = callee.requests.slice(before).find((r) => r.method === 'INVITE');
    const guardContact = addrUri(getHeader(final, 'Contact'));
    const guardIp = GUARD_IPS.find((ip) => guardContact.includes(`${ip}:`)) ?? '';
    if (leg === undefined || guardIp === '') {
      t.fail('the call reached the callee through one of the guards', { guardContact });
      return;
    }
    asCalls.push({ callId, fromTag: tagFor(callId), guardIp, guardContact, guardTag: tagOfHeader(getHeader(final, 'To')) ?? '', calleeLeg: leg });
  }
  t.ok(
    GUARD_IPS.every((ip) => asCalls.some((c) => c.guardIp === ip)),
    'Call-ID hashing spread the calls over both guards',
    { spread: asCalls.map((c) => c.guardIp) },
  );

  // Load through the core side; the first guard dies under it.
  // A 503 the callee gives, relayed by a guard, is the caller's answer: Kamailio must not fail it
  // over to the other guard, which would set the call up a second time.
  const busyFrom = callee.requests.length;
  const busy = await call(caller, KAM_CORE, 'busy-1@core.example', '+15550001111@ims.example.net', 'busy');
  // RFC 3261 16.7 step 6: a proxy forwards a 503 as 500 (the 503 is about the next hop, not the caller's).
  t.equal(busy.status, 500, "the callee's 503 reaches the caller as Kamailio's 500");
  t.equal(callee.requests.slice(busyFrom).filter((r) => r.method === 'INVITE').length, 1, 'and the callee saw the INVITE once: no failover of a relayed 503');

  const [victimIp, survivorIp] = GUARD_IPS;
  const victim = guards[0];
  const loadStart = callee.requests.length;
  const load = runSipp({
    scenario: 'builtin:uac',
    localIp: '127.0.0.1',
    localPort: LOAD_PORT,
    remote: `${KAM_CORE}:${SIP_PORT}`,
    calls: 60,
    timeoutSeconds: 80,
    extraArgs: ['-r', '10', '-d', '300', '-max_retrans', '3'],
  });
  const loaded = async (): Promise<boolean> => {
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      if (callee.requests.slice(loadStart).filter((r) => r.method === 'INVITE').length >= 10) {
        return true;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };
  t.ok(await loaded(), 'the load is flowing through both guards');
  await victim?.kill();

  // Straight after the kill, before the pings can have noticed: some of these hash onto the
  // dead guard; each must still be answered, by the survivor.
  const failover = await Promise.all(Array.from({ length: 12 }, (_, i) => call(caller, KAM_CORE, `after-kill-${i}@core.example`, '+15550001111@ims.example.net')));
  t.same(
    failover.map((r) => r.status),
    failover.map(() => 200),
    'every INVITE sent right after the kill was answered 200',
  );
  t.ok(
    failover.every((r) => addrUri(getHeader(r, 'Contact')).includes(`${survivorIp}:`)),
    'all of them by the survivor',
  );
  t.match(kamailio.output(), /failing over[\s\S]*failover to guard sip:127\.0\.0\.53/, 'an INVITE sent to the dead guard failed over to the live one');
  // Only the pings take a guard out of the rotation (a failover does not), from both sides.
  const victimUri = `sip:${victimIp?.replace(/\./g, '\\.')}:${SIP_PORT}`;
  t.ok(await kamailio.waitFor(new RegExp(`guard down: ${victimUri}`), 30_000, 2), "the dead guard is marked down by Kamailio's pings");
  const during = await load;
  t.comment(`load across the kill: ${/Successful call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(during.output)?.[1] ?? '?'} successful, ${/Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(during.output)?.[1] ?? '?'} failed (a call in flight on the killed guard may fail)`);

  const after = await runSipp({ scenario: 'builtin:uac', localIp: '127.0.0.1', localPort: LOAD_PORT, remote: `${KAM_CORE}:${SIP_PORT}`, calls: 30, timeoutSeconds: 40, extraArgs: ['-r', '10'] });
  t.equal(after.code, 0, 'new calls after the kill all succeed through the survivor', { errors: after.errors, output: after.output.slice(-2000) });

  // The AS tries to hang up each call it is not allowed to end, through Kamailio.
  for (const c of asCalls) {
    const bye = request(as, 'BYE', c.guardContact, {
      from: `<sip:weather@as.example>;tag=${c.fromTag}`,
      to: `<sip:bob@ims.example.net>;tag=${c.guardTag}`,
      callId: c.callId,
      cseq: 2,
      branch: `z9hG4bK-bye-${tagFor(c.callId)}`,
    });
    as.send(bye, { address: KAM_AS, port: SIP_PORT });
    const answer = await as.next<SipResponse>((m) => sameCall(c.callId)(m) && m.kind === 'response' && cseqMethod(m) === 'BYE' && m.status >= 200, 20_000);
    const onDead = c.guardIp === victimIp;
    t.not(answer.status, 200, `the AS's BYE on a call of ${onDead ? 'the dead guard' : 'the survivor'} is refused`);
    t.equal(answer.status, 403, 'refused by policy, not for want of the call');
    t.match(getHeader(answer, 'Warning') ?? '', /dialog\.terminate-not-granted/, 'terminate not granted to this AS');
  }
  const legIds = new Set(asCalls.map((c) => getHeader(c.calleeLeg, 'Call-ID')));
  t.notOk(
    callee.requests.some((r) => r.method === 'BYE' && legIds.has(getHeader(r, 'Call-ID'))),
    'no BYE of the AS reached the callee',
  );

  // The core may end the calls, the dead guard's too: its BYE through Kamailio reaches the AS
  // (through the survivor, then through Kamailio again, on the route set the AS's INVITE set up).
  for (const orphan of [asCalls.find((c) => c.guardIp === victimIp), asCalls.find((c) => c.guardIp === survivorIp)]) {
    if (orphan === undefined) {
      continue;
    }
    const whose = orphan.guardIp === victimIp ? 'the dead guard' : 'the survivor';
    const leg = orphan.calleeLeg;
    const legCallId = getHeader(leg, 'Call-ID') ?? '';
    callee.send(
      request(callee, 'BYE', addrUri(getHeader(leg, 'Contact')), {
        from: `${getHeader(leg, 'To') ?? ''};tag=${AutoCallee.tagFor(legCallId)}`,
        to: getHeader(leg, 'From') ?? '',
        callId: legCallId,
        cseq: 1,
        branch: `z9hG4bK-core-bye-${legCallId.length}`,
      }),
      { address: KAM_CORE, port: SIP_PORT },
    );
    const atAs = await as.next<SipRequest>((m) => sameCall(orphan.callId)(m) && m.kind === 'request' && m.method === 'BYE', 20_000).catch(() => null);
    t.ok(atAs, `the core's BYE on a call of ${whose} reached the AS`, {
      answers: callee.responses.filter((r) => getHeader(r, 'Call-ID') === legCallId).map((r) => `${r.status} ${getHeader(r, 'Warning') ?? ''}`),
    });
    if (atAs !== null) {
      as.reply(atAs, 200, 'OK');
      const ended = await callee.until((r) => getHeader(r, 'Call-ID') === legCallId && r.status === 200);
      t.ok(ended, "the AS's 200 came back to the core: the call ended");
    }
  }
});
