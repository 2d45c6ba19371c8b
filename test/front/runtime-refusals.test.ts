import t, { type Test } from 'tap';
import { GuardRuntime, type FrontEndPort } from '../../src/front/guard-runtime.ts';
import type { Profile } from '../../src/profile/profile-types.ts';
import { parseSipMessage } from '../../src/sip/sip-parser.ts';
import type { SipRequest, SipResponse } from '../../src/sip/sip-message.ts';
import { controllerFor, WEATHER_AS } from '../helpers/controller-fixture.ts';
import { memoryLogger } from '../helpers/guard-harness.ts';
import { labProfile } from '../helpers/profile-fixture.ts';

/** The lab profile with a queue of two messages per peer, so a burst is refused synchronously. */
function tinyQueueProfile(): Profile {
  const profile = labProfile();
  return { ...profile, limits: { ...profile.limits, fairShare: { ...profile.limits.fairShare, queuePerPeer: 2 } } };
}

/** A runtime on that profile whose front end only records what it is asked to answer. */
function tinyQueueRuntime(t: Test): { runtime: GuardRuntime<string>; answered: Array<{ txn: string; response: SipResponse }>; logs: ReturnType<typeof memoryLogger>['logs'] } {
  const profile = tinyQueueProfile();
  const { logger, logs } = memoryLogger();
  const answered: Array<{ txn: string; response: SipResponse }> = [];
  const port: FrontEndPort<string> = {
    answer: (txn, response) => answered.push({ txn, response }),
    forward: () => undefined,
    relay: () => undefined,
    originate: () => undefined,
  };
  const runtime = new GuardRuntime({ profile, controller: controllerFor(profile).controller, logger, sweepIntervalMs: 60_000 }, port);
  t.teardown(() => runtime.stop(0, () => false, () => undefined));
  return { runtime, answered, logs };
}

function request(method: 'INVITE' | 'ACK' | 'BYE', n: number): SipRequest {
  const text = [
    `${method} sip:bob@ims.example.net SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK-burst-${method}-${n}`,
    'Max-Forwards: 70',
    `From: <sip:weather@as.example>;tag=f${n}`,
    `To: <sip:bob@ims.example.net>${method === 'INVITE' ? '' : ';tag=t1'}`,
    `Call-ID: burst-${method}-${n}`,
    `CSeq: 1 ${method}`,
    'Contact: <sip:weather@127.0.0.3:5060>',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseSipMessage(text) as SipRequest;
}

t.test('a refusal for a full queue is logged only when it is sent: an ACK, never answered, gets no "guard response" line', async (t) => {
  const { runtime, answered, logs } = tinyQueueRuntime(t);
  // Submitted in one go, before the queue runs: beyond its two, each one is refused at once.
  const settled = [];
  for (let n = 0; n < 6; n++) {
    settled.push(runtime.request(request('ACK', n), WEATHER_AS, null));
  }
  for (let n = 0; n < 6; n++) {
    settled.push(runtime.request(request('INVITE', n), WEATHER_AS, `invite-${n}`));
  }
  await Promise.all(settled);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const busy = answered.filter((a) => a.response.status === 503);
  t.equal(busy.length, 6, 'every INVITE past the queue gets its 503');
  t.ok(
    busy.every((a) => a.txn.startsWith('invite-')),
    'on its own transaction',
  );
  const lines = logs.filter((l) => l.msg === 'guard response');
  t.equal(lines.length, busy.length, 'one "guard response" line per 503 sent');
  t.ok(
    lines.every((l) => l.message === 'INVITE' && l.cause === 'queue-full'),
    'none for the refused ACKs',
  );
});

t.test('past the cap, a BYE still has the queue\'s headroom (a quarter of the cap, at least one); the next one is refused', async (t) => {
  const { runtime, answered } = tinyQueueRuntime(t);
  const settled = [];
  // One running and two waiting: the cap of two is full.
  for (let n = 0; n < 4; n++) {
    settled.push(runtime.request(request('INVITE', n), WEATHER_AS, `invite-${n}`));
  }
  for (let n = 0; n < 3; n++) {
    settled.push(runtime.request(request('BYE', n), WEATHER_AS, `bye-${n}`));
  }
  await Promise.all(settled);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const busy = answered.filter((a) => a.response.status === 503).map((a) => a.txn);
  t.same(busy.filter((txn) => txn.startsWith('invite-')), ['invite-3'], 'the INVITE past the cap is refused');
  t.same(busy.filter((txn) => txn.startsWith('bye-')), ['bye-1', 'bye-2'], 'one BYE fits the headroom of one; the others are refused');
  t.ok(answered.some((a) => a.txn === 'bye-0' && a.response.status !== 503), 'the BYE in the headroom is decided on and answered');
});
