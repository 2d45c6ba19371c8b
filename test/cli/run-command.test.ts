import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { logsOf } from '../helpers/child-logs.ts';
import { dialogRequest, SipPeer } from '../helpers/sip-peer.ts';

const BIN = resolve(import.meta.dirname, '../../bin/dc-guard.js');

const PROFILE = `
sip:
  listen: ["udp:127.0.0.13:19060"]
  next_hop: "sip:127.0.0.2:19062"
peers:
  - { id: core, trusted: true, match: { source: ["127.0.0.1/32"] } }
`;

t.test('dc-guard run: SIGHUP with a broken profile is refused with file:line and the guard keeps running; SIGTERM drains and exits 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dcg-run-'));
  const file = join(dir, 'guard.yaml');
  writeFileSync(file, PROFILE);
  const child = spawn(process.execPath, [BIN, 'run', '--profile', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const { seen } = logsOf(child);
  t.ok(await seen('guard started'), `the guard started ${stderr}`);

  writeFileSync(file, PROFILE.replace('trusted: true', 'trusted: maybe'));
  child.kill('SIGHUP');
  const refused = await seen('profile refused; the running profile stays in force');
  t.ok(refused, 'the broken profile was refused');
  t.match(String(refused?.reason), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6: peers\\[0\\]\\.trusted`), 'with file, line and reason');
  t.equal(child.exitCode, null, 'still running');

  writeFileSync(file, PROFILE.replace('"sip:127.0.0.2:19062"', '"sip:127.0.0.2:19064"'));
  child.kill('SIGHUP');
  t.ok(await seen('profile reloaded'), 'a good profile is taken');

  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  t.ok(await seen('draining'));
  t.equal(await exited, 0, 'exits 0 after draining');
});

t.test('dc-guard run: a reload changes the rates, not the counts (an AS does not get a full bucket on every SIGHUP)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dcg-run-'));
  const file = join(dir, 'guard.yaml');
  const profile = `
sip:
  listen: ["udp:127.0.0.13:19070"]
  next_hop: "sip:127.0.0.2:19072"
peers:
  - { id: core, trusted: true, match: { source: ["127.0.0.1/32", "127.0.0.2/32"] } }
  - id: as
    trusted: false
    match: { source: ["127.0.0.3/32"] }
    identity: anonymous
    limits: { requests_per_second: 0.01, burst: 2 }
`;
  writeFileSync(file, profile);
  const child = spawn(process.execPath, [BIN, 'run', '--profile', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const seen = async (text: string, times = 1): Promise<boolean> => {
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      if (out.split(text).length - 1 >= times) {
        return true;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };
  t.ok(await seen('"guard started"'), 'the guard started');
  const as = await SipPeer.start('127.0.0.3', 19073);
  // The next hop answers every INVITE 486: a 503 can only be the guard's rate limit.
  const callee = await SipPeer.start('127.0.0.2', 19072);
  let done = false;
  t.teardown(() => {
    done = true;
    as.close();
    callee.close();
  });
  void (async () => {
    while (!done) {
      const req = await callee.nextRequest('INVITE', 1_000).catch(() => null);
      if (req === null) {
        continue;
      }
      callee.reply(req, 486, 'Busy Here', { toTag: 'busy' });
    }
  })();
  const to = { address: '127.0.0.13', port: 19070 };
  const answerTo = async (n: number): Promise<number> => {
    as.send(dialogRequest(as, { uri: 'sip:+15550002222@ims.example.net', callId: `rate-${n}`, contentType: null }), to);
    const res = await as.next((m) => m.kind === 'response' && m.status >= 300 && m.headers.some((h) => h.name === 'Call-ID' && h.value === `rate-${n}`));
    return res.kind === 'response' ? res.status : 0;
  };
  t.equal(await answerTo(1), 486, 'the first takes a token and reaches the callee');
  t.equal(await answerTo(2), 486, 'so does the second (burst 2)');
  t.equal(await answerTo(3), 503, 'the third is over the burst');
  child.kill('SIGHUP');
  t.ok(await seen('"profile reloaded"'), 'reloaded');
  t.equal(await answerTo(4), 503, 'after the reload the bucket is still empty (a token comes every 100 s)');
});
