import t from 'tap';
import type { CallState, HopState, LegState } from '../../src/state/call-state.ts';
import { RedisCallStore } from '../../src/state/redis-call-store.ts';
import { connectRedis, openRedisClient, RedisCommands } from '../../src/state/redis-connection.ts';
import { StoreUnavailableError } from '../../src/state/store-unavailable-error.ts';
import { REDIS_SKIP, RedisServer } from '../helpers/redis-server.ts';

function leg(peerId: string | null): LegState {
  return {
    peerId,
    trusted: peerId === 'core',
    identity: 'pass',
    target: 'sip:127.0.0.2',
    sourceAddress: null,
    sourceUri: null,
    callId: 'c',
    localTag: 't',
    remoteTag: null,
    localUri: 'sip:a@x',
    remoteUri: 'sip:b@x',
    remoteTarget: 'sip:b@127.0.0.2',
    routeSet: [],
    localCseq: 1,
    inviteCseq: 1,
    inviteCseqIn: null,
    sdpSent: null,
    negotiation: { state: 'stable', session: null },
  };
}

function call(id: string, version: number, opts: { phase?: HopState['phase']; peers?: [string, string] } = {}): CallState {
  const [up, down] = opts.peers ?? ['core', 'weather-as'];
  const hop: HopState = {
    id: 'h0',
    upstream: leg(up),
    downstream: leg(down),
    token: null,
    linkedHop: null,
    transactions: {},
    phase: opts.phase ?? 'early',
    endedByBye: false,
    resume: null,
  };
  return { id, version, createdAt: 0, updatedAt: 0, servedUsers: [], owners: [], mediaOwners: [], issued: {}, originals: null, hops: [hop] };
}

const PREFIX = 'test:';

t.test('the Redis call store', { skip: REDIS_SKIP }, async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const settings = { store: 'redis' as const, url: redis.url, passwordEnv: null, keyPrefix: PREFIX, commandTimeoutMs: 500 };
  const observed: { op: string; failed: boolean }[] = [];

  async function openStore(idleMs?: { early: number; confirmed: number }): Promise<RedisCallStore> {
    const client = openRedisClient(settings, {});
    const commands = new RedisCommands(client, settings.commandTimeoutMs, (op, _ms, failed) => observed.push({ op, failed }));
    const store = new RedisCallStore(commands, { keyPrefix: PREFIX, retryMs: 100, ...(idleMs === undefined ? {} : { idleMs }) });
    t.ok(await connectRedis(client, 2_000), 'connected');
    t.teardown(() => store.close());
    return store;
  }

  const one = await openStore();
  const two = await openStore();

  t.test('compare-and-set: a write from a stale version is refused', async (t) => {
    t.ok(await one.put(call('cas', 1)), 'version 1 over nothing');
    t.notOk(await two.put(call('cas', 1)), 'another version 1 is refused');
    t.ok(await two.put(call('cas', 2)), 'version 2 over 1');
    t.notOk(await one.put(call('cas', 2)), 'a second version 2 (made from the stale read of 1) is refused');
    t.equal((await one.get('cas'))?.version, 2, 'both instances read version 2');
    t.equal((await two.get('cas'))?.version, 2);
    t.ok(observed.some((o) => o.op === 'put' && !o.failed), 'the observer is told of every command');
  });

  t.test('index and lookup: a leg written by one instance is found by the other', async (t) => {
    const legAddress = { callStateId: 'idx', hop: 0, side: 'downstream' as const };
    t.ok(await one.put(call('idx', 1), [{ key: 'leg:cid:tag', leg: legAddress }]));
    t.same(await two.lookup('leg:cid:tag'), legAddress);
    await two.index('token:abc', { ...legAddress, side: 'upstream' });
    t.same(await one.lookup('token:abc'), { ...legAddress, side: 'upstream' });
    t.equal(await one.lookup('leg:nothing'), undefined);
    await two.delete('idx');
    t.equal(await one.get('idx'), undefined, 'deleted for both');
    t.equal(await one.lookup('leg:cid:tag'), undefined, 'with the keys of its legs');
    t.equal(await one.lookup('token:abc'), undefined);
  });

  t.test('locate: a leg and its call in one round trip, as lookup and get would find them', async (t) => {
    const legAddress = { callStateId: 'loc', hop: 0, side: 'upstream' as const };
    t.ok(await one.put(call('loc', 1), [{ key: 'leg:loc:tag', leg: legAddress }]));
    const before = observed.length;
    const found = await two.locate('leg:loc:tag');
    t.same(found?.leg, legAddress);
    t.equal(found?.call?.id, 'loc');
    t.equal(found?.call?.version, 1);
    t.strictSame(observed.slice(before).map((o) => o.op), ['locate'], 'one command');
    t.equal(await two.locate('leg:nothing'), undefined, 'no leg: nothing');
    await two.index('token:loc', { ...legAddress, callStateId: 'gone' });
    t.same(await one.locate('token:loc'), { leg: { ...legAddress, callStateId: 'gone' }, call: undefined }, 'a key whose call is gone: the leg, no call');
  });

  t.test('keys expire with their call, early calls sooner than confirmed ones, refreshed by each write', async (t) => {
    await one.put(call('ttl', 1), [{ key: 'leg:ttl', leg: { callStateId: 'ttl', hop: 0, side: 'upstream' } }]);
    const early = Number((await redis.command('PTTL', `${PREFIX}call:ttl`)).slice(1));
    t.ok(early > 150_000 && early <= 200_000, `an early call lives EARLY_IDLE_MS (${early})`);
    const legTtl = Number((await redis.command('PTTL', `${PREFIX}idx:leg:ttl`)).slice(1));
    t.ok(legTtl > 150_000 && legTtl <= 200_000, 'and so does the key of its leg');
    await one.put(call('ttl', 2, { phase: 'confirmed' }));
    const confirmed = Number((await redis.command('PTTL', `${PREFIX}call:ttl`)).slice(1));
    t.ok(confirmed > 3 * 3_600_000, `a confirmed call lives CONFIRMED_IDLE_MS (${confirmed})`);
    const legAfter = Number((await redis.command('PTTL', `${PREFIX}idx:leg:ttl`)).slice(1));
    t.ok(legAfter > 3 * 3_600_000, "the write refreshed its leg's key too");
    for (const key of ['legs:ttl', 'peers:ttl', 'live:core']) {
      t.ok(Number((await redis.command('PTTL', `${PREFIX}${key}`)).slice(1)) > 0, `${key} expires`);
    }
  });

  t.test('live calls per peer are shared by the instances, in one round trip for several peers', async (t) => {
    const before = await one.liveCallsOfPeers(['games-as', 'video-as']);
    await one.put(call('live-1', 1, { peers: ['core', 'games-as'] }));
    await two.put(call('live-2', 1, { peers: ['core', 'games-as'] }));
    await two.put(call('live-3', 1, { peers: ['core', 'video-as'] }));
    const counts = await one.liveCallsOfPeers(['games-as', 'video-as']);
    t.equal(counts.get('games-as'), (before.get('games-as') ?? 0) + 2, 'two calls with games-as, written by two instances');
    t.equal(counts.get('video-as'), (before.get('video-as') ?? 0) + 1);
    await one.put({ ...call('live-2', 2, { peers: ['core', 'games-as'] }), hops: [{ ...call('x', 1).hops[0]!, phase: 'ended', downstream: leg('games-as') }] });
    t.equal(await two.liveCallsOf('games-as'), (before.get('games-as') ?? 0) + 1, 'a call whose hops ended no longer counts');
    await two.delete('live-1');
    t.equal(await one.liveCallsOf('games-as'), before.get('games-as') ?? 0, 'nor a deleted one');
  });

  t.test("a dead instance's calls leave the counts when their keys expire", async (t) => {
    const dying = await openStore({ early: 300, confirmed: 300 });
    await dying.put(call('orphan', 1, { peers: ['core', 'orphan-as'] }));
    t.equal(await one.liveCallsOf('orphan-as'), 1, 'counted while the call lives');
    await dying.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    t.equal(await one.liveCallsOf('orphan-as'), 0, 'gone from the count once it expired, with nobody to delete it');
    t.equal(await one.get('orphan'), undefined, 'and the call itself');
  });

  t.test('Redis away: a failure is a StoreUnavailableError, then the local copy serves; Redis back: written back', async (t) => {
    await one.put(call('outage', 1, { phase: 'confirmed' }), [{ key: 'leg:outage', leg: { callStateId: 'outage', hop: 0, side: 'upstream' } }]);
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    t.notOk(one.reachable(), 'not reachable once the connection dropped');
    t.same(await one.lookup('leg:outage'), { callStateId: 'outage', hop: 0, side: 'upstream' }, 'the local copy finds the leg');
    t.equal((await one.get('outage'))?.version, 1, 'and the call');
    t.ok(await one.put(call('outage', 2, { phase: 'confirmed' })), 'a write goes to the local copy');
    t.notOk(await one.put(call('outage', 2, { phase: 'confirmed' })), 'compare-and-set there too');
    t.equal(await two.get('unknown-call'), undefined, 'a call no copy holds is not found');
    await redis.start();
    for (let waited = 0; !one.reachable() && waited < 5_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    t.ok(one.reachable(), 'reachable again with no restart');
    t.equal((await two.get('outage'))?.version, 2, 'the change made during the outage was written back to Redis');
    t.same(await two.lookup('leg:outage'), { callStateId: 'outage', hop: 0, side: 'upstream' }, 'with its legs');
  });

  t.test('a command slower than command_timeout_ms fails as StoreUnavailableError', async (t) => {
    const client = openRedisClient({ ...settings, commandTimeoutMs: 100 }, {});
    const commands = new RedisCommands(client, 100);
    t.ok(await connectRedis(client, 2_000));
    t.teardown(() => client.close());
    const blocker = openRedisClient(settings, {});
    await connectRedis(blocker, 2_000);
    t.teardown(() => blocker.close());
    // CLIENT PAUSE holds every client's commands: the next one waits past the timeout.
    await blocker.sendCommand(['CLIENT', 'PAUSE', '400', 'ALL']);
    await t.rejects(commands.send('get', ['GET', 'x']), StoreUnavailableError);
    await new Promise((resolve) => setTimeout(resolve, 400));
  });
});
