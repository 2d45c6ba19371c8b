/**
 * A guard process on Redis killed with SIGKILL mid-call and started again: the call's state
 * outlived it, so the untrusted AS's BYE is still refused and the core's BYE still ends the call.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { getHeader } from '../../src/sip/sip-headers.ts';
import { PSEUDONYM_ENV } from '../helpers/profile-fixture.ts';
import { REDIS_SKIP, RedisServer } from '../helpers/redis-server.ts';
import { offer, WEATHER } from '../helpers/sdp-builder.ts';
import { dialogRequest, inDialog } from '../helpers/sip-peer.ts';
import { answer, answererDialog, callerDialog, sharedProfile, startPeers, type LabOptions } from '../helpers/shared-guard-lab.ts';

const BIN = resolve(import.meta.dirname, '../../bin/dc-guard.js');
const GUARD_IP = '127.0.0.10';

/** `dc-guard run` on `file`; resolves once it logged that it started. */
async function runGuard(file: string, output: string[] = []): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'run', '--profile', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...PSEUDONYM_ENV, LOG_LEVEL: 'info' } });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  for (let waited = 0; !out.includes('"guard started"'); waited += 50) {
    if (waited > 15_000 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`the guard did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

t.test('a guard killed with SIGKILL mid-call and restarted still polices the call', { skip: REDIS_SKIP }, async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const o: LabOptions = { redisUrl: redis.url, keyPrefix: 'restart:', port: 24_000, calleePort: 24_002, asPort: 24_003, gamesPort: 24_004 };
  const file = join(mkdtempSync(join(tmpdir(), 'dcg-restart-')), 'guard.yaml');
  writeFileSync(file, sharedProfile(GUARD_IP, o, null));
  const to = { address: GUARD_IP, port: o.port };
  const { as, callee } = await startPeers(t, o);

  let guard = await runGuard(file);
  t.teardown(() => kill(guard));
  as.send(dialogRequest(as, { uri: 'sip:+15550002222@ims.example.net', callId: 'restart-call', body: offer({ channels: [WEATHER] }) }), to);
  const atCallee = await callee.nextRequest('INVITE');
  answer(callee, atCallee, { to }, 200, 'OK', { toTag: 'callee', body: offer({ channels: [WEATHER], username: 'bob' }) });
  const ok = await as.nextResponse(200, 'INVITE');
  const asSide = callerDialog(ok);
  as.send(inDialog(as, asSide, { method: 'ACK', cseq: 1 }), to);
  await callee.nextRequest('ACK');

  await kill(guard);
  guard = await runGuard(file);

  as.send(inDialog(as, asSide, { method: 'BYE', cseq: 2 }), to);
  const refused = await as.nextResponse((s) => s >= 200, 'BYE');
  t.equal(refused.status, 403, "the restarted guard refuses the AS's BYE (no terminate grant)");
  t.match(getHeader(refused, 'Warning'), /dialog\.terminate-not-granted/);
  t.notOk(await callee.gotWithin((m) => m.kind === 'request' && m.method === 'BYE', 200), 'the callee got no BYE');

  callee.send(inDialog(callee, answererDialog(atCallee, 'callee'), { method: 'BYE', cseq: 1 }), to);
  const bye = await as.nextRequest('BYE');
  answer(as, bye, { to }, 200, 'OK');
  t.equal((await callee.nextResponse((s) => s >= 200, 'BYE')).status, 200, "the core's BYE ends the call through the restarted guard");
  t.equal(await redis.command('EVAL', "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do if redis.call('TYPE', k).ok ~= 'hash' or redis.call('HEXISTS', k, 'ended') == 0 then n = n + 1 end end return n", '0', 'restart:call:*'), ':0\r\n', 'and its state is gone from Redis (its tombstone aside)');

  // Redis not there at start: the guard starts anyway (not ready), rather than crash-looping.
  await kill(guard);
  await redis.stop();
  const output: string[] = [];
  guard = await runGuard(file, output);
  t.match(output.join(''), /state store unreachable at start/, 'it says the store is unreachable, and starts');
  await redis.start();
  // The guard notices within its reconnection delay (up to a second): a new call now and then until one is decided with the store up.
  let kept = false;
  for (let i = 0; i < 20 && !kept; i += 1) {
    as.send(dialogRequest(as, { uri: 'sip:+15550002222@ims.example.net', callId: `after-start-${i}`, body: offer({ channels: [WEATHER], audioPort: 40_002 + 2 * i }) }), to);
    const later = await callee.next((m) => m.kind === 'request' && m.method === 'INVITE' && m.body.includes(`m=audio ${40_002 + 2 * i} `));
    kept = /m=application [1-9]/.test(later.body);
    await new Promise((r) => setTimeout(r, kept ? 0 : 250));
  }
  t.ok(kept, 'once Redis answers, new calls are policed with the store up (a granted DC kept), with no restart');
  t.match(await redis.command('KEYS', 'restart:call:*'), /^\*[1-9]/, 'and stored in Redis');
});
