/**
 * Attacks on the write-back after one instance lost Redis while the other kept it: the calls
 * the cut-off instance changed meanwhile must not overwrite what the other instance did to
 * them (a newer branch of the call), nor bring back a call the other instance ended.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import t from 'tap';
import type { CallState, HopState, LegState } from '../../src/state/call-state.ts';
import { RedisCallStore } from '../../src/state/redis-call-store.ts';
import { connectRedis, openRedisClient, RedisCommands } from '../../src/state/redis-connection.ts';
import { REDIS_SKIP, RedisServer } from '../helpers/redis-server.ts';

function leg(peerId: string): LegState {
  return {
    peerId, trusted: peerId === 'core', identity: 'pass', target: 'sip:127.0.0.2', sourceAddress: null, sourceUri: null,
    callId: 'c', localTag: 't', remoteTag: null, localUri: 'sip:a@x', remoteUri: 'sip:b@x', remoteTarget: 'sip:b@127.0.0.2',
    routeSet: [], localCseq: 1, inviteCseq: 1, inviteCseqIn: null, sdpSent: null, negotiation: { state: 'stable', session: null },
  };
}

function call(id: string, version: number, mark: string): CallState {
  const hop: HopState = {
    id: mark, upstream: leg('core'), downstream: leg('weather-as'), token: null, linkedHop: null, transactions: {},
    phase: 'confirmed', endedByBye: false, resume: null,
  };
  return { id, version, createdAt: 0, updatedAt: 0, servedUsers: [], owners: [], mediaOwners: [], issued: {}, originals: null, hops: [hop] };
}

/** A TCP relay to Redis that can be cut: only the instance behind it loses Redis. */
class Cuttable {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.#server = createServer((inbound) => {
      if (this.#cut) {
        inbound.destroy();
        return;
      }
      const outbound = createConnection(target);
      for (const s of [inbound, outbound]) {
        this.#sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.#sockets.delete(s);
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound).pipe(inbound);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
  }

  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) {
      s.destroy();
    }
  }

  mend(): void {
    this.#cut = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

const PREFIX = 'wb:';

t.test('write-back after a one-instance outage', { skip: REDIS_SKIP }, async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const relay = new Cuttable({ host: redis.host, port: redis.port });
  await relay.listen();
  t.teardown(() => relay.close());

  async function openStore(url: string): Promise<RedisCallStore> {
    const client = openRedisClient({ store: 'redis', url, passwordEnv: null, keyPrefix: PREFIX, commandTimeoutMs: 500 }, {});
    const store = new RedisCallStore(new RedisCommands(client, 500), { keyPrefix: PREFIX, retryMs: 50 });
    t.ok(await connectRedis(client, 2_000), 'connected');
    t.teardown(() => store.close());
    return store;
  }
  const one = await openStore(`redis://127.0.0.1:${relay.port}/0`);
  const two = await openStore(redis.url);

  async function outage(during: () => Promise<void>): Promise<void> {
    relay.cut();
    for (let waited = 0; one.reachable() && waited < 2_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    t.notOk(one.reachable(), 'instance one has lost Redis, instance two has not');
    await during();
    relay.mend();
    for (let waited = 0; !one.reachable() && waited < 5_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    t.ok(one.reachable(), 'instance one has Redis again');
  }

  t.test('a call the other instance ended stays ended', async (t) => {
    t.ok(await one.put(call('ended-elsewhere', 1, 'up')));
    await outage(async () => {
      t.ok(await one.put(call('ended-elsewhere', 2, 'changed-while-cut-off')), 'changed on the local copy');
      await two.delete('ended-elsewhere');
    });
    t.equal(await two.get('ended-elsewhere'), undefined, 'not brought back by the write-back');
    t.equal(await two.liveCallsOf('weather-as'), 0, 'and not counted against the peer again');
  });

  t.test("a change the other instance made is not overwritten by the cut-off instance's branch", async (t) => {
    t.ok(await one.put(call('branched', 1, 'up')));
    await outage(async () => {
      t.ok(await one.put(call('branched', 2, 'one-a')));
      t.ok(await one.put(call('branched', 3, 'one-b')), 'two changes on the local copy');
      t.ok(await two.put(call('branched', 2, 'two')), 'one change in Redis through instance two');
    });
    t.equal((await two.get('branched'))?.hops[0]?.id, 'two', "instance two's change stands");
  });

  t.test('a peer that keeps changing its own call during the write-back does not keep the instance off Redis', async (t) => {
    let version = 1;
    t.ok(await one.put(call('churn', version, 'up')));
    relay.cut();
    for (let waited = 0; one.reachable() && waited < 2_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    t.notOk(one.reachable(), 'instance one has lost Redis');
    // Many calls changed during the outage make each write-back round long enough to change one call again in it.
    for (let i = 0; i < 50; i += 1) {
      t.ok(await one.put(call(`still-${i}`, 1, 'up')));
    }
    relay.mend();
    // What an AS's stream of in-dialog requests on its own call does: a change every turn of the event loop.
    const deadline = Date.now() + 3_000;
    while (!one.reachable() && Date.now() < deadline) {
      try {
        if (await one.put(call('churn', version + 1, 'changed'))) {
          version += 1;
        }
      } catch {
        // refused while the write-back finishes: the request is retransmitted
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    t.ok(one.reachable(), 'back on Redis, and so out of store-down for every other call, despite the churn');
    t.equal((await two.get('churn'))?.version, version, 'with the last change of the churned call written back');
    t.equal((await two.get('still-49'))?.version, 1, 'and the other calls');
  });

  t.test('Redis lost everything (restarted empty): the local changes are written back', async (t) => {
    t.ok(await one.put(call('lost', 1, 'up')));
    await outage(async () => {
      t.ok(await one.put(call('lost', 2, 'changed')));
      await redis.command('FLUSHALL');
    });
    t.equal((await two.get('lost'))?.version, 2, 'written back');
  });
});
