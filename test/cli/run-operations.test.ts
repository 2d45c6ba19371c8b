import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import { logsOf } from '../helpers/child-logs.ts';
import { dialogRequest, SipPeer } from '../helpers/sip-peer.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/dc-guard.js');

function profileOn(ip: string, port: number): string {
  return `
sip:
  listen: ["udp:${ip}:${port}"]
  next_hop: "sip:127.0.0.2:${port + 2}"
peers:
  - { id: core, trusted: true, match: { source: ["127.0.0.1/32"] } }
`;
}

function profileFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'dcg-ops-')), 'guard.yaml');
  writeFileSync(file, text);
  return file;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const gone = async (pid: number): Promise<boolean> => {
  const end = Date.now() + 20_000;
  while (alive(pid) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
};

t.test('dc-guard --version prints the package version', async (t) => {
  const run = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
  t.equal(run.status, 0);
  t.match(run.stdout, /^ims-dc-guard \d+\.\d+\.\d+\n$/);
});

t.test('a LOG_LEVEL pino does not know is a one-line error and exit 2, not a stack trace', async (t) => {
  const run = spawnSync(process.execPath, [BIN, 'run', '--profile', profileFile(profileOn('127.0.0.15', 19160))], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'verbose' },
  });
  t.equal(run.status, 2);
  t.equal(run.stderr, 'dc-guard run: LOG_LEVEL "verbose" is not a log level (one of trace, debug, info, warn, error, fatal, silent)\n');
});

t.test('a reload that changes sip.listen says it needs a restart, and the guard keeps serving and naming the sockets it has', async (t) => {
  const file = profileFile(profileOn('127.0.0.15', 19164));
  const child = spawn(process.execPath, [BIN, 'run', '--profile', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } });
  t.teardown(() => child.kill('SIGKILL'));
  const { seen } = logsOf(child);
  t.ok(await seen('guard started'));
  writeFileSync(file, profileOn('127.0.0.16', 19168));
  child.kill('SIGHUP');
  t.match(await seen('profile keys changed that only a restart puts in force; the running values stay'), { keys: ['sip.listen'] });

  const core = await SipPeer.start('127.0.0.1', 19165);
  // The reloaded next_hop (19168 + 2) is taken: only the sockets wait for a restart.
  const callee = await SipPeer.start('127.0.0.2', 19170);
  t.teardown(() => {
    core.close();
    callee.close();
  });
  core.send(dialogRequest(core, { uri: 'sip:bob@ims.example.net', callId: 'listen-kept', contentType: null }), { address: '127.0.0.15', port: 19164 });
  const forwarded = await callee.nextRequest('INVITE', 10_000);
  t.match(forwarded.headers.find((h) => h.name === 'Via')?.value, /127\.0\.0\.15:19164/, 'the Via names the socket the guard still listens on');
});

/** `npm start -- --profile FILE`: the start script's own --profile is overridden by the one after it. */
function npmStart(file: string): ChildProcess {
  return spawn('npm', ['start', '--silent', '--', '--profile', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } });
}

/** A guard under `npm start` on `port`, its log, and its own pid (from 'guard started'), killed at teardown if still there. */
async function npmStartedGuard(t: Test, port: number): Promise<{ child: ChildProcess; seen: (msg: string) => Promise<Record<string, unknown> | undefined>; pid: number }> {
  const child = npmStart(profileFile(profileOn('127.0.0.15', port)));
  const { seen } = logsOf(child);
  const pid = Number((await seen('guard started'))?.pid);
  t.teardown(() => {
    if (alive(pid)) {
      process.kill(pid, 'SIGKILL');
    }
  });
  return { child, seen, pid };
}

t.test('npm start: SIGTERM to npm drains and stops the guard; nothing stays bound', async (t) => {
  const { child, seen, pid } = await npmStartedGuard(t, 19172);
  t.ok(pid > 0, 'the guard says its pid');
  child.kill('SIGTERM');
  t.ok(await seen('stopped'), 'the guard drained and stopped');
  t.ok(await gone(pid), 'the guard process is gone');
});

t.test('npm start: SIGHUP to npm (which npm does not pass on) stops the guard instead of leaving it orphaned on its ports', async (t) => {
  const { child, pid } = await npmStartedGuard(t, 19176);
  child.kill('SIGHUP');
  t.ok(await gone(pid), 'the guard process is gone');
});
