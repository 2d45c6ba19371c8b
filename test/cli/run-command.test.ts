import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';

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
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() !== '') {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
    }
  });
  const seen = async (msg: string): Promise<Record<string, unknown> | undefined> => {
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      const found = lines.find((l) => l.msg === msg);
      if (found !== undefined) {
        return found;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  };
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
