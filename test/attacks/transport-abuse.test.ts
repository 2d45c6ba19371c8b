/**
 * The embedded guard under transport abuse, with its profile's `limits.transport` and
 * `unknown_peers: reject`: a stranger's UDP garbage flood, strangers' and a known peer's TCP
 * connection floods, a slow header, a pong flood. Each time the core on 127.0.0.1 must still
 * be served, and the log must sum the drops up instead of writing a line each.
 */
import { Buffer } from 'node:buffer';
import { createSocket } from 'node:dgram';
import t from 'tap';
import { buildController } from '../../src/call/build-controller.ts';
import { parseProfile } from '../../src/profile/load-profile.ts';
import { startGuard, type RunningGuard } from '../helpers/guard-harness.ts';
import { PSEUDONYM_ENV } from '../helpers/profile-fixture.ts';
import { SipPeer, dialogRequest } from '../helpers/sip-peer.ts';
import { RawTcp } from '../transport/fixtures/loopback-peers.ts';

const GUARD_IP = '127.0.0.23';
const PORT = 31710;
const CALLER_PORT = 31711;
const CALLEE_PORT = 31712;
const PER_SOURCE = 4;

function profile(extraPeers = ''): string {
  return `
guard:
  unknown_peers: reject
sip:
  listen: ["udp:${GUARD_IP}:${PORT}", "tcp:${GUARD_IP}:${PORT}"]
  next_hop: "sip:127.0.0.2:${CALLEE_PORT}"
limits:
  transport:
    max_connections_per_source: ${PER_SOURCE}
    header_deadline_ms: 300
    idle_timeout_ms: 60000
    max_write_queue_bytes: 4096
peers:
  - id: core
    trusted: true
    match: { source: ["127.0.0.1/32", "127.0.0.2/32"] }
  - id: lab-as
    trusted: false
    match: { source: ["127.0.0.5/32"] }
${extraPeers}`;
}

interface Lab {
  readonly guard: RunningGuard;
  readonly caller: SipPeer;
  readonly callee: SipPeer;
}

async function lab(t: { teardown(fn: () => unknown): void }): Promise<Lab> {
  const guard = await startGuard(profile());
  const caller = await SipPeer.start('127.0.0.1', CALLER_PORT);
  const callee = await SipPeer.start('127.0.0.2', CALLEE_PORT);
  t.teardown(async () => {
    caller.close();
    callee.close();
    await guard.stop();
  });
  return { guard, caller, callee };
}

/** The core's OPTIONS through the guard to the callee and its 200 back: true when it came back. */
async function coreOptions(l: Lab, callId: string): Promise<boolean> {
  l.caller.send(dialogRequest(l.caller, { method: 'OPTIONS', uri: 'sip:bob@ims.example.net', callId }), { address: GUARD_IP, port: PORT });
  try {
    // The guard is a B2BUA: the callee's leg has its own Call-ID, so the callee answers whatever OPTIONS comes.
    const atCallee = await l.callee.nextRequest('OPTIONS');
    l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee' });
    await l.caller.next((m) => m.kind === 'response' && m.status === 200 && m.headers.some((h) => h.name === 'Call-ID' && h.value === callId));
    return true;
  } catch {
    return false;
  }
}

/** The drop counts of every summary line, added up per kind. */
function dropCounts(logs: readonly Record<string, unknown>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of logs.filter((l) => l.msg === 'transport drops')) {
    for (const [kind, value] of Object.entries((line.kinds ?? {}) as Record<string, { count: number }>)) {
      counts[kind] = (counts[kind] ?? 0) + value.count;
    }
  }
  return counts;
}

const perEventLines = (logs: readonly Record<string, unknown>[]): number => logs.filter((l) => l.msg === 'transport').length;

t.test('UDP garbage flood from a stranger: dropped unanswered, the core is served, the log sums it up', async (t) => {
  const l = await lab(t);
  const flood = createSocket('udp4');
  await new Promise<void>((resolve) => flood.bind(0, '127.0.0.9', resolve));
  t.teardown(() => flood.close());
  const floodPort = flood.address().port;
  let answers = 0;
  flood.on('message', () => answers++);
  // Half pure junk, half a broken request whose Via names the flooder: the old code answered those 400.
  const junk = Buffer.alloc(1_200, 0x5a);
  const broken = Buffer.alloc(1_200, 0x20);
  broken.write(`OPTIONS sip:x@ims.example.net SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.9:${floodPort};branch=z9hG4bKflood\r\nCall-ID: flood\r\nCSeq: 1 OPTIONS\r\nno colon\r\n\r\n`);
  const FLOOD = 20_000; // 24 MB of garbage
  let sent = 0;
  // The flooder shares this process with the guard, so it is paced (about 20 datagrams a
  // millisecond at most) rather than allowed to starve the event loop they both run on.
  const pump = (async () => {
    while (sent < FLOOD) {
      for (let i = 0; i < 20; i++) {
        flood.send(sent % 2 === 0 ? junk : broken, PORT, GUARD_IP);
        sent++;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  let asked = 0;
  let served = 0;
  while (sent < FLOOD) {
    asked++;
    if (await coreOptions(l, `core-under-flood-${asked}`)) {
      served++;
    }
  }
  await pump;
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.ok(asked >= 5, `${asked} core OPTIONS during the flood`);
  t.equal(served, asked, 'every one answered');
  t.equal(answers, 0, 'the stranger got nothing back, not even a 400');
  t.equal(perEventLines(l.guard.logs), 0, 'no warning line per datagram');
  await l.guard.stop();
  const counts = dropCounts(l.guard.logs);
  t.ok((counts['source-refused'] ?? 0) > 0, `summarised: ${counts['source-refused'] ?? 0} datagrams refused`);
  t.ok(l.guard.logs.filter((x) => x.msg === 'transport drops').length <= 3, 'in a few summary lines');
  const summary = l.guard.logs.find((x) => x.msg === 'transport drops');
  t.match(summary, { level: 40, kinds: { 'source-refused': { samples: [`udp 127.0.0.9:${floodPort}`] } } }, 'a warning with counts and sample sources');
});

t.test('TCP: strangers refused at accept, a known peer capped per source, the core still served over TCP', async (t) => {
  const l = await lab(t);
  const strangers: RawTcp[] = [];
  for (let i = 0; i < 20; i++) {
    const c = await RawTcp.connect(PORT, GUARD_IP, '127.0.0.9');
    t.teardown(() => c.destroy());
    strangers.push(c);
  }
  await Promise.all(strangers.map((c) => c.closed()));
  t.ok(strangers.every((c) => c.data === ''), 'every stranger closed at accept, unanswered');

  const held: RawTcp[] = [];
  for (let i = 0; i < PER_SOURCE + 3; i++) {
    const c = await RawTcp.connect(PORT, GUARD_IP, '127.0.0.5');
    t.teardown(() => c.destroy());
    held.push(c);
  }
  const extra = held.slice(PER_SOURCE);
  await Promise.all(extra.map((c) => c.closed()));
  t.ok(held.slice(0, PER_SOURCE).every((c) => !c.ended), `the first ${PER_SOURCE} stay open`);

  const core = await RawTcp.connect(PORT, GUARD_IP, '127.0.0.1');
  t.teardown(() => core.destroy());
  const options = dialogRequest(l.caller, { method: 'OPTIONS', uri: 'sip:bob@ims.example.net', callId: 'core-tcp' });
  const via = `SIP/2.0/TCP 127.0.0.1:${core.socket.localPort ?? 0};branch=z9hG4bK-core-tcp`;
  const text = [
    `OPTIONS ${options.uri} SIP/2.0`,
    `Via: ${via}`,
    ...options.headers.filter((h) => h.name !== 'Via').map((h) => `${h.name}: ${h.value}`),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  await core.write(text);
  const atCallee = await l.callee.nextRequest('OPTIONS');
  l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee' });
  await core.until((d) => d.startsWith('SIP/2.0 200'), 'the 200 on the core\'s connection');
  t.pass('the core got its answer over TCP');

  t.equal(perEventLines(l.guard.logs), 0, 'no warning line per connection');
  await l.guard.stop();
  const counts = dropCounts(l.guard.logs);
  t.equal(counts['source-refused'], 20, 'strangers counted');
  t.equal(counts['connections-per-source-limit'], 3, 'connections past the cap counted');
});

t.test('slow header and pong flood through the guard: both closed by the profile\'s limits', async (t) => {
  const l = await lab(t);
  const slow = await RawTcp.connect(PORT, GUARD_IP, '127.0.0.5');
  t.teardown(() => slow.destroy());
  const trickle = (async () => {
    for (const byte of 'OPTIONS sip:bob@ims.example.net SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.5;branch=z9hG4bKslow\r\n') {
      if (slow.ended) {
        return;
      }
      await slow.write(byte).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  await slow.closed();
  await trickle;

  const pinger = await RawTcp.connect(PORT, GUARD_IP, '127.0.0.5');
  t.teardown(() => pinger.destroy());
  pinger.socket.pause();
  const pings = Buffer.alloc(64 * 1024, '\r\n\r\n');
  let sent = 0;
  while (!pinger.ended && sent < 256 * 1024 * 1024) {
    if (!(await pinger.write(pings).then(() => true, () => false))) {
      break;
    }
    sent += pings.length;
  }
  await pinger.closed();
  t.ok(sent < 256 * 1024 * 1024, `the pinger was cut off after ${(sent / 1024 / 1024).toFixed(1)} MB`);
  t.ok(await coreOptions(l, 'core-after-abuse'), 'the core is still served');
  await l.guard.stop();
  const counts = dropCounts(l.guard.logs);
  t.equal(counts['header-deadline'], 1);
  t.equal(counts['write-queue-full'], 1);
});

t.test('SIGHUP: a reloaded profile that adds a peer admits its source at the transport at once', async (t) => {
  const l = await lab(t);
  const newcomer = await SipPeer.start('127.0.0.6', CALLER_PORT + 10);
  t.teardown(() => newcomer.close());
  const ask = (callId: string): void =>
    newcomer.send(dialogRequest(newcomer, { method: 'OPTIONS', uri: 'sip:bob@ims.example.net', callId }), { address: GUARD_IP, port: PORT });
  ask('before-reload');
  t.notOk(await newcomer.gotWithin(() => true, 300), 'not a peer yet: no answer');
  t.notOk(await l.callee.gotWithin(() => true, 0), 'and nothing forwarded');

  const next = parseProfile(profile('  - id: newcomer\n    trusted: true\n    match: { source: ["127.0.0.6/32"] }\n'), 'reloaded.yaml');
  l.guard.guard.replaceController(buildController(next, { env: PSEUDONYM_ENV, store: l.guard.store }), next);
  ask('after-reload');
  const atCallee = await l.callee.nextRequest('OPTIONS');
  l.callee.reply(atCallee, 200, 'OK', { toTag: 'callee' });
  t.equal((await newcomer.nextResponse(200, 'OPTIONS')).status, 200, 'the new peer is served');
});
