import t from 'tap';
import { buildController } from '../../src/call/build-controller.ts';
import { SequentialIdSource } from '../../src/call/id-source.ts';
import type { SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import { RedisCallStore } from '../../src/state/redis-call-store.ts';
import { connectRedis, openRedisClient, RedisCommands } from '../../src/state/redis-connection.ts';
import { CORE, WEATHER_AS, forwarded, inDialogRequest, responseTo, send, coreInvite as invite } from '../helpers/controller-fixture.ts';
import { labProfile, PSEUDONYM_ENV } from '../helpers/profile-fixture.ts';
import { REDIS_SKIP, RedisServer } from '../helpers/redis-server.ts';
import { BOOTSTRAP, offer } from '../helpers/sdp-builder.ts';

// Session timers (RFC 4028) with two guard instances on one Redis: the sweep of the instance
// that set the call up must not end it when the other instance saw the refresh, and the call is
// ended once, its live-call count freed for both.
t.test('a session refreshed through another instance lives on; once it runs out it is ended once', { skip: REDIS_SKIP }, async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const settings = { store: 'redis' as const, url: redis.url, passwordEnv: null, keyPrefix: 'se:', commandTimeoutMs: 500 };
  let now = 5_000_000;
  const base = labProfile();
  const profile = { ...base, peers: base.peers.map((p) => (p.id === 'weather-as' ? { ...p, limits: { requestsPerSecond: null, burst: null, concurrentCalls: 5 } } : p)) };
  async function instance() {
    const client = openRedisClient(settings, {});
    const store = new RedisCallStore(new RedisCommands(client, settings.commandTimeoutMs), { keyPrefix: 'se:', retryMs: 100 });
    t.ok(await connectRedis(client, 2_000));
    t.teardown(() => store.close());
    return { store, controller: buildController(profile, { env: PSEUDONYM_ENV, store, ids: new SequentialIdSource(), now: () => now }) };
  }
  const a = await instance();
  const b = await instance();

  const inviteText = invite({ route: ['<sip:127.0.0.10:5060;lr;as=weather-as>'], extra: ['Session-Expires: 120;refresher=uac'], callId: 'shared-se' });
  const out = forwarded(await send(a.controller, inviteText, CORE)) as SipRequest;
  const ok = forwarded(
    await send(a.controller, responseTo(out, 200, 'OK', { tag: 'as', body: offer({ channels: [BOOTSTRAP] }), contact: '<sip:127.0.0.3:5060>', extra: ['Session-Expires: 120;refresher=uac'] }), WEATHER_AS),
  ) as SipResponse;
  t.equal(await b.store.liveCallsOf('weather-as'), 1);

  now += 100_000;
  const update = forwarded(await send(b.controller, inDialogRequest(parseSipMessage(inviteText) as SipRequest, ok, 'UPDATE', 11, { extra: ['Session-Expires: 120;refresher=uac', 'Contact: <sip:alice@10.0.0.1:5060>'] }), CORE)) as SipRequest;
  forwarded(await send(b.controller, responseTo(update, 200, 'OK', { extra: ['Session-Expires: 120;refresher=uac'] }), WEATHER_AS));

  now += 30_000;
  t.same(await a.controller.expireSessions(), [], "instance a had it due, but the stored call says it was refreshed (by b)");
  t.same(await b.controller.expireSessions(), []);

  now += 100_000;
  const [endedA, endedB] = await Promise.all([a.controller.expireSessions(), b.controller.expireSessions()]);
  t.equal(endedA.length + endedB.length, 1, 'the call is ended by one instance only');
  t.equal((endedA[0] ?? endedB[0])?.originate?.length, 2, 'a BYE on each leg');
  t.equal(await a.store.liveCallsOf('weather-as'), 0, 'its live-call count freed in the shared store');
  t.equal(await b.store.liveCallsOf('core'), 0);
});
