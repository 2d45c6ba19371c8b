/** Consent records through Redis: two guards, each with its own RedisConsentStore on one real redis-server. */
import { spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { createClient } from 'redis';
import t, { type Test } from 'tap';
import { RedisConsentStore } from '../../src/state/redis-consent-store.ts';
import { CALLEE, startLab, weatherPassed } from '../helpers/admin-lab.ts';

const skip = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0 ? false : 'redis-server is not installed';
const REDIS_PORT = 17390;
const PREFIX = 'dcg-test:';
const CALLEE_PATH = `/consent/${encodeURIComponent(CALLEE)}`;

/** A private redis-server on a loopback port, nothing saved; resolves once it accepts connections. */
async function startRedis(t: Test): Promise<{ kill(): void }> {
  const child = spawn('redis-server', ['--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const deadline = Date.now() + 5_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = createConnection(REDIS_PORT, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) {
      return { kill: () => child.kill('SIGKILL') };
    }
    if (Date.now() > deadline) {
      throw new Error('redis-server did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function openStore(t: Test): Promise<{ store: RedisConsentStore; client: ReturnType<typeof createClient> }> {
  const client = createClient({ url: `redis://127.0.0.1:${REDIS_PORT}/0` });
  client.on('error', () => undefined);
  await client.connect();
  const store = await RedisConsentStore.open({ client, keyPrefix: PREFIX, commandTimeoutMs: 300 });
  t.teardown(async () => {
    await store.close();
    client.destroy();
  });
  return { store, client };
}

/** Until `ready()` holds (a change published by another instance arrives over pub/sub), at most 5 s. */
async function until(ready: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (!ready() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return ready();
}

t.test('a PUT through one guard is in force on the other; a DELETE too; a store opened later loads it', { skip }, async (t) => {
  await startRedis(t);
  const a = await openStore(t);
  const b = await openStore(t);
  const labA = await startLab(t, { port: 17300, consent: a.store });
  const labB = await startLab(t, { port: 17310, consent: b.store });
  t.ok(weatherPassed(await labB.asCall('redis-1')), 'guard B: the profile record allows weather-as');

  t.equal((await labA.http('PUT', CALLEE_PATH, { body: JSON.stringify({ deny: ['weather-as'] }) })).status, 200);
  t.same(JSON.parse((await a.client.hGet(`${PREFIX}consent`, CALLEE)) ?? 'null'), { allow: [], deny: ['weather-as'] }, 'in the hash, under the normalised identity');
  t.ok(await until(() => b.store.get(CALLEE) !== undefined), 'guard B got the change');
  t.notOk(weatherPassed(await labB.asCall('redis-2')), 'guard B: the record written through A denies it');
  t.same((await labB.http('GET', CALLEE_PATH)).json, { user: CALLEE, source: 'api', allow: [], deny: ['weather-as'] });

  const late = await openStore(t);
  t.same(late.store.get(CALLEE), { allow: [], deny: ['weather-as'] }, 'a guard started later loads the hash');

  t.equal((await labA.http('DELETE', CALLEE_PATH)).status, 200);
  t.ok(await until(() => b.store.get(CALLEE) === undefined), 'guard B got the deletion');
  t.ok(weatherPassed(await labB.asCall('redis-3')), 'guard B: the profile record again');
  t.ok(await until(() => late.store.get(CALLEE) === undefined));
});

t.test('a change whose message was missed is recovered from the gap in versions', { skip }, async (t) => {
  await startRedis(t);
  const a = await openStore(t);
  const b = await openStore(t);
  // A write whose publication nobody heard (as if B's subscriber was reconnecting): hash and version only.
  await a.client.hSet(`${PREFIX}consent`, 'sip:missed@ims.example.net', JSON.stringify({ allow: [], deny: ['weather-as'] }));
  await a.client.incr(`${PREFIX}consent:version`);
  t.equal(b.store.get('sip:missed@ims.example.net'), undefined, 'B has not heard of it');
  await a.store.put('sip:next@ims.example.net', { allow: ['weather-as'], deny: [], appsOnly: ['com.example.weather'] });
  t.ok(await until(() => b.store.get('sip:next@ims.example.net') !== undefined), 'the next change arrives');
  t.same(b.store.get('sip:next@ims.example.net')?.appsOnly, ['com.example.weather'], 'subscriptions (apps_only) included');
  t.ok(await until(() => b.store.get('sip:missed@ims.example.net') !== undefined), 'and its version gap made B reload the missed one');
  t.equal(b.store.overlay.size, 2);
});

t.test('Redis gone: a PUT is 503 and changes nothing; the records held stay in force', { skip }, async (t) => {
  const redis = await startRedis(t);
  const a = await openStore(t);
  const lab = await startLab(t, { port: 17320, consent: a.store });
  t.equal((await lab.http('PUT', CALLEE_PATH, { body: JSON.stringify({ deny: ['weather-as'] }) })).status, 200);
  redis.kill();
  const res = await lab.http('PUT', CALLEE_PATH, { body: JSON.stringify({ allow: ['weather-as'] }) });
  t.equal(res.status, 503);
  t.match(res.json.error, /consent store unavailable/);
  t.equal((await lab.http('DELETE', CALLEE_PATH)).status, 503);
  t.same((await lab.http('GET', CALLEE_PATH)).json.deny, ['weather-as'], 'the record held in memory');
  t.notOk(weatherPassed(await lab.asCall('redis-down')), 'and in force');
});
