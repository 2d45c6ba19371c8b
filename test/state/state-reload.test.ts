import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';

const BIN = resolve(import.meta.dirname, '../../bin/dc-guard.js');

const PROFILE = `
sip:
  listen: ["udp:127.0.0.13:25060"]
  next_hop: "sip:127.0.0.2:25062"
peers:
  - { id: core, trusted: true, match: { source: ["127.0.0.1/32"] } }
`;

t.test('dc-guard run: a reload that changes state.* says it takes a restart, and the running store stays', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'dcg-state-')), 'guard.yaml');
  writeFileSync(file, PROFILE);
  const child = spawn(process.execPath, [BIN, 'run', '--profile', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const seen = async (text: string): Promise<boolean> => {
    for (let waited = 0; waited < 15_000; waited += 50) {
      if (out.includes(text)) {
        return true;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };
  t.ok(await seen('"guard started"'));
  writeFileSync(file, `${PROFILE}state: { store: redis, url: "redis://127.0.0.1:1/0" }\n`);
  child.kill('SIGHUP');
  t.ok(await seen('"keys":["state"]'), 'the change is reported as needing a restart');
  t.ok(await seen('only a restart puts in force'));
  t.ok(await seen('"profile reloaded"'), 'the rest of the profile is taken');
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'and it stops cleanly (no Redis client was ever opened)');
});
