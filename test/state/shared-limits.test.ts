/**
 * Per-peer limits shared by the guards on one Redis: a peer that spreads its requests over two
 * instances draws on one token bucket and one count of live calls; another peer is unaffected.
 */
import t from 'tap';
import { getHeader } from '../../src/sip/sip-headers.ts';
import { REDIS_SKIP, RedisServer } from '../helpers/redis-server.ts';
import { offer, WEATHER } from '../helpers/sdp-builder.ts';
import { dialogRequest, type SipPeer } from '../helpers/sip-peer.ts';
import { decisionsWith, startPeers, startSharedGuard, type LabOptions, type SharedGuard } from './shared-guard-lab.ts';

/** Sends an INVITE of `from` to `guard` and says whether it was refused for a limit (503) or went on to the callee. */
let calls = 0;
async function tryCall(from: SipPeer, callee: SipPeer, guard: SharedGuard, callId: string): Promise<'refused' | 'forwarded'> {
  // The audio port tells this call's INVITE apart at the callee (the guard gives it a Call-ID of its own).
  calls += 1;
  const audioPort = 30_000 + calls * 2;
  from.send(dialogRequest(from, { uri: 'sip:+15550002222@ims.example.net', callId, body: offer({ channels: [WEATHER], audioPort }) }), guard.to);
  for (let waited = 0; waited < 5_000; waited += 20) {
    if (from.received.some((m) => m.kind === 'response' && m.status === 503 && getHeader(m, 'Call-ID') === callId)) {
      return 'refused';
    }
    if (callee.received.some((m) => m.kind === 'request' && m.method === 'INVITE' && m.body.includes(`m=audio ${audioPort} `))) {
      return 'forwarded';
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${callId}: neither refused nor forwarded`);
}

t.test('limits shared by two guards on one Redis', { skip: REDIS_SKIP }, async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const o: LabOptions = {
    redisUrl: redis.url,
    keyPrefix: 'limits:',
    port: 23_000,
    calleePort: 23_002,
    asPort: 23_003,
    gamesPort: 23_004,
    weatherExtra: '    limits: { requests_per_second: 0.01, burst: 3 }',
    gamesExtra: '    limits: { requests_per_second: 0.01, burst: 5, concurrent_calls: 1 }',
  };
  const one = await startSharedGuard(t, '127.0.0.10', o);
  const two = await startSharedGuard(t, '127.0.0.11', o);
  const { as, callee, games } = await startPeers(t, o);

  const outcomes: string[] = [];
  for (let i = 0; i < 6; i += 1) {
    outcomes.push(await tryCall(as, callee, i % 2 === 0 ? one : two, `rate-${i}`));
  }
  t.same(outcomes, ['forwarded', 'forwarded', 'forwarded', 'refused', 'refused', 'refused'], "weather-as's six INVITEs over two guards drew on one bucket of 3");
  t.ok(decisionsWith(one.logs, 'peer.rate-limited').length > 0 && decisionsWith(two.logs, 'peer.rate-limited').length > 0, 'both guards refused it (peer.rate-limited)');
  const refusal = as.received.find((m) => m.kind === 'response' && m.status === 503);
  t.ok(refusal !== undefined && getHeader(refusal, 'Retry-After') !== undefined, 'with Retry-After');

  t.equal(await tryCall(games, callee, two, 'games-1'), 'forwarded', 'games-as is not limited by weather-as\'s bucket');
  t.equal(await tryCall(games, callee, one, 'games-2'), 'refused', "games-as's second call through the other guard finds its one live call (concurrent_calls: 1)");
  t.equal(decisionsWith(one.logs, 'peer.concurrent-calls').length, 1, 'refused for peer.concurrent-calls');
});
