import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { logsOf } from '../helpers/child-logs.ts';
import { REDIS_SKIP, RedisServer } from '../helpers/redis-server.ts';

const BIN = resolve(import.meta.dirname, '../../bin/dc-guard.js');
const TOKEN = 'run-admin-test-token-0123456789';

function profileText(opts: { port: number; adminPort: number; redisUrl?: string }): string {
  return `
sip:
  listen: ["udp:127.0.0.17:${opts.port}"]
  next_hop: "sip:127.0.0.2:${opts.port + 2}"
admin: { listen: "127.0.0.17:${opts.adminPort}", token_env: RUN_ADMIN_TOKEN }
${opts.redisUrl === undefined ? '' : `state: { store: redis, url: "${opts.redisUrl}", key_prefix: "run-admin:" }`}
peers:
  - { id: core, trusted: true, match: { source: ["127.0.0.1/32"] } }
  - { id: demo-as, trusted: false, match: { source: ["127.0.0.3/32"] }, identity: anonymous }
`;
}

function runGuard(text: string): { child: ChildProcess; file: string; exited: Promise<number | null>; seen: (msg: string) => Promise<boolean> } {
  const file = join(mkdtempSync(join(tmpdir(), 'dcg-admin-')), 'guard.yaml');
  writeFileSync(file, text);
  const child = spawn(process.execPath, [BIN, 'run', '--profile', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info', RUN_ADMIN_TOKEN: TOKEN },
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const { seen: line } = logsOf(child);
  const seen = async (msg: string): Promise<boolean> => (await line(msg)) !== undefined;
  return { child, file, exited, seen };
}

const auth = { authorization: `Bearer ${TOKEN}` };

t.test('dc-guard run serves the admin listener of its profile: readyz, metrics, reload (a bad profile 400 with file:line), consent, drain to exit 0', async (t) => {
  const adminPort = 19290;
  const base = `http://127.0.0.17:${adminPort}`;
  const guard = runGuard(profileText({ port: 19280, adminPort }));
  t.teardown(() => guard.child.kill('SIGKILL'));
  t.ok(await guard.seen('guard started'), 'started');

  t.equal((await fetch(`${base}/readyz`)).status, 200, 'ready');
  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.match(metrics, /^# HELP dcg_/m, 'Prometheus text with the guard metrics');
  t.match(metrics, /nodejs_eventloop_lag_p99_seconds/, 'and the event-loop delay');

  t.equal((await fetch(`${base}/reload`, { method: 'POST' })).status, 401, 'reload needs the token');
  writeFileSync(guard.file, profileText({ port: 19280, adminPort }).replace('trusted: true', 'trusted: perhaps'));
  const refused = await fetch(`${base}/reload`, { method: 'POST', headers: auth });
  t.equal(refused.status, 400, 'a bad profile is refused');
  const body = (await refused.json()) as { errors: string[] };
  t.match(body.errors.join('\n'), new RegExp(`${guard.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: peers\\[0\\]\\.trusted`), 'with file:line: reason');
  writeFileSync(guard.file, profileText({ port: 19280, adminPort }));
  t.equal((await fetch(`${base}/reload`, { method: 'POST', headers: auth })).status, 200, 'a good one is taken');

  const user = encodeURIComponent('sip:alice@ims.example.net');
  const put = await fetch(`${base}/consent/${user}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ allow: [], deny: ['demo-as'] }) });
  t.equal(put.status, 200, 'a consent record through the API');
  t.match(await (await fetch(`${base}/consent/${user}`, { headers: auth })).json(), { source: 'api', deny: ['demo-as'] });

  t.equal((await fetch(`${base}/drain`, { method: 'POST', headers: auth })).status, 202, 'drain accepted');
  t.equal(await guard.exited, 0, 'the guard drains and exits 0');
});

t.test('with state.store redis: a consent record made through one guard process is read by the next one, and readyz follows Redis', { skip: REDIS_SKIP }, async (t) => {
  const redis = await RedisServer.start('127.0.0.1');
  t.teardown(() => redis.stop());
  const adminPort = 19294;
  const base = `http://127.0.0.17:${adminPort}`;
  const first = runGuard(profileText({ port: 19284, adminPort, redisUrl: redis.url }));
  t.teardown(() => first.child.kill('SIGKILL'));
  t.ok(await first.seen('guard started'));
  t.equal((await fetch(`${base}/readyz`)).status, 200, 'ready with Redis');
  const user = encodeURIComponent('tel:+15550001111');
  const put = await fetch(`${base}/consent/${user}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ allow: ['demo-as'], deny: [] }) });
  t.equal(put.status, 200);

  first.child.kill('SIGTERM');
  t.equal(await first.exited, 0);

  const second = runGuard(profileText({ port: 19284, adminPort, redisUrl: redis.url }));
  t.teardown(() => second.child.kill('SIGKILL'));
  t.ok(await second.seen('guard started'));
  const read = async (): Promise<unknown> => {
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      const res = await fetch(`${base}/consent/${user}`, { headers: auth });
      if (res.status === 200) {
        return res.json();
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  };
  t.match(await read(), { source: 'api', allow: ['demo-as'] }, 'the record outlived the process that made it');

  await redis.stop();
  const notReady = async (): Promise<boolean> => {
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      if ((await fetch(`${base}/readyz`)).status === 503) {
        return true;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  };
  t.ok(await notReady(), 'not ready with Redis gone');
  t.ok(await second.seen("state store unreachable: serving from this instance's copies under guard.fail"), 'and says so in its log');
  await redis.start();
  t.ok(await second.seen('state store back: calls changed meanwhile written back, shared state in use again'), 'and when it is back');
  t.equal((await fetch(`${base}/readyz`)).status, 200, 'ready again with no restart');
  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0);
});
